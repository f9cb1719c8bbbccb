# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Sphinx configuration of the skae documentation.

Build (from the repository root; ``SKAE_EXAMPLES_FAST=1`` runs the gallery in seconds)::

    SKAE_EXAMPLES_FAST=1 .venv/bin/sphinx-build -W -b html docs docs/_build/html

Without ``SKAE_EXAMPLES_FAST`` the gallery trains for real on MNIST (about 11 minutes on
2 CPU cores; see examples/README.rst).
"""

import os
import re
import sys
import warnings
from pathlib import Path

from sphinx_gallery.sorting import ExplicitOrder

import skae

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The gallery examples import their shared helpers (examples/_common.py).
sys.path.insert(0, str(ROOT / "examples"))
os.environ.setdefault("MPLBACKEND", "Agg")
# The gallery runs in this process. Its networks are small: torch's intra-op thread pool
# only adds synchronisation (10x slower on a busy machine), as in the test suite
# (conftest.py). Set OMP_NUM_THREADS to choose otherwise.
if "OMP_NUM_THREADS" not in os.environ:
    import torch

    torch.set_num_threads(1)

# -- Project -----------------------------------------------------------------------------
project = "skae"
author = "The skae developers"
copyright = "The skae developers"
release = skae.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.json",
    "auto_examples/*.pickle",
]
templates_path = ["_templates"]
default_role = "literal"
nitpicky = False

# -- autodoc / autosummary / numpydoc ----------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
# Members inherited from torch.nn.Module (forward hooks, buffers...) are torch's business.
# So are scikit-learn's set_output and metadata-routing plumbing, whose docstrings link to
# scikit-learn's own user guide.
autodoc_default_options = {
    "members": True,
    "inherited-members": "Module,_SetOutputMixin,_MetadataRequester",
}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Docstrings use the ``:term:`fit``` role of scikit-learn's glossary; resolve it there.
numpydoc_validation_checks = set()

# -- intersphinx -------------------------------------------------------------------------
# Links to other projects' documentation need their inventories, fetched over the network;
# an unreachable inventory is a warning, so offline (-W) builds leave them out.
if os.environ.get("SKAE_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "torch": ("https://docs.pytorch.org/docs/stable", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable", None),
    "pandas": ("https://pandas.pydata.org/docs", None),
    "matplotlib": ("https://matplotlib.org/stable", None),
}
intersphinx_timeout = 10

# -- myst (Markdown pages: architecture, benchmarks README) ------------------------------
myst_heading_anchors = 3

# -- HTML --------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skae {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False

# -- sphinx-gallery ----------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # Helpers such as _common.py are not examples.
    "ignore_pattern": r"(^|/)_\w+\.py$",
    # The order of the tutorials: from the plain autoencoder to its uses.
    "within_subsection_order": ExplicitOrder(
        [
            "plot_deep_dense_autoencoder.py",
            "plot_conv_autoencoder.py",
            "plot_fashion_mnist.py",
            "plot_tanh_2d_latent.py",
            "plot_leaky_relu_2d.py",
            "plot_umap_latent_map.py",
            "plot_pipeline_vs_pca.py",
            "plot_table_vs_pca.py",
            "plot_grid_search_latent_size.py",
            "plot_denoising.py",
            "plot_vae.py",
            "plot_anomaly_detection.py",
            "plot_outlier_explanations.py",
            "*",
        ]
    ),
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skae",),
    "reference_url": {"skae": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "show_memory": False,
    # No sg_execution_times.rst files in the source tree.
    "write_computation_times": False,
    "capture_repr": ("_repr_html_",),
}

# The examples print notes and skorch/torch may warn; none of that is a docs warning.
warnings.filterwarnings("ignore", category=UserWarning, message="Matplotlib is currently using agg")


# -- Checks and generated parts of pages ---------------------------------------------------
_PUBLIC_MODULES = ("skae", "skae.metrics", "skae.plotting", "skae.datasets", "skae.nn")


def _benchmarks_intro():
    """The benchmarks' README as the page's introduction, or a title when it is missing."""
    readme = ROOT / "benchmarks" / "README.md"
    if readme.is_file():
        return ".. include:: ../benchmarks/README.md\n   :parser: myst_parser.sphinx_\n"
    return (
        "Benchmarks\n==========\n\n"
        "``benchmarks/run.py`` measures speed, memory and quality against a hand-written\n"
        "PyTorch training loop and PCA; run ``python benchmarks/run.py --help``.\n"
    )


def _on_source_read(app, docname, source):
    if docname == "benchmarks":
        source[0] = source[0].replace(".. skae-benchmarks-readme", _benchmarks_intro())


def _check_api_coverage(app, env):
    """Warn (an error under -W) when a public name is missing from api.rst."""
    import importlib

    from sphinx.util import logging

    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    # An autosummary entry, or the target of a directive such as ``.. data:: NAME``.
    documented = {line.strip().split("::")[-1].strip() for line in text.splitlines()}
    logger = logging.getLogger(__name__)
    for module_name in _PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            if name.startswith("__") or name in documented:
                continue
            logger.warning(f"{module_name}.{name} is public but missing from docs/api.rst")


_SHAPE = re.compile(r"of shape \(([^)`]*)\)")


def _escape_shape_names(app, what, name, obj, options, lines):
    """Escape attribute names in ``of shape (n_samples, n_features_in_)``.

    A trailing underscore is reST for a link to a target (here ``n_features_in``), an
    error. Writing ``(n_samples, `n_features_in_`)`` in the docstrings, as scikit-learn
    does, makes this hook unnecessary.
    """
    for i, line in enumerate(lines):
        lines[i] = _SHAPE.sub(
            lambda m: "of shape (" + re.sub(r"(\w)_\b", r"\1\\_", m.group(1)) + ")", line
        )


def _fix_summaries():
    """Summary lines that autosummary would cut in the middle of an inline literal.

    autosummary ends a summary at the first ". ", even inside ``...``; Sphinx 9 reads the
    summary before ``autodoc-process-docstring``, so only the docstring itself can be
    mended. Nothing happens once the docstring no longer has the pattern.
    """
    import skae.nn

    cls = skae.nn.MLPDecoder
    if cls.__doc__ and "``n_components -> ... -> n_features``" in cls.__doc__:
        cls.__doc__ = cls.__doc__.replace(
            "``n_components -> ... -> n_features``", "``n_components -> \u2026 -> n_features``", 1
        )


def setup(app):
    _fix_summaries()
    app.connect("autodoc-process-docstring", _escape_shape_names)
    app.connect("source-read", _on_source_read)
    app.connect("env-updated", _check_api_coverage)
