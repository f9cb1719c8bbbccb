# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The report of ``skae compare``: its folder, its PNG plots and its Markdown file.

:func:`report_folder` stages the report files in a hidden folder inside the output folder
and moves them into place only once everything is written, so that a failed or interrupted
run leaves no partial report. :func:`write_plots` draws the plots with the
:mod:`skae.plotting` displays (matplotlib is imported only there), :func:`format_table`
prints the results and :func:`write_report` writes ``report.md``.
"""

from __future__ import annotations

import contextlib
import math
import os
import shlex
import shutil
import sys
import tempfile
import time

import numpy as np

from ._cli_data import PROG, CLIError, describe_exception, os_reason, warn
from ._compare import TRUSTWORTHINESS_MAX_SAMPLES

__all__ = [
    "CSV_FILE",
    "REPORT_FILE",
    "format_table",
    "report_folder",
    "write_file",
    "write_plots",
    "write_report",
]

#: The report files, besides the PNG plots.
CSV_FILE = "results.csv"
REPORT_FILE = "report.md"
#: Prefix of the hidden folder, inside the output folder, where the report is written
#: before being moved into place.
STAGE_PREFIX = ".skae-partial-"
#: At most this many test points are drawn in the latent-space scatter plots.
MAX_LATENT_POINTS = 2000
#: Number of test images drawn in ``reconstructions.png``.
N_RECONSTRUCTIONS = 10

_PLOT_INSTALL_HINT = 'pip install "skae[plot]"'


# --------------------------------------------------------------------------------------
# Output folder
# --------------------------------------------------------------------------------------


def _missing_folders(path):
    """The folders on the way to ``path`` that do not exist yet, innermost first."""
    missing = []
    while not os.path.exists(path) and path not in missing:
        missing.append(path)
        path = os.path.dirname(path)
    return missing


def _remove_empty_folders(folders):
    """Remove ``folders`` (innermost first) as long as they are empty."""
    for folder in folders:
        try:
            os.rmdir(folder)
        except OSError:
            return


def _write_error(path, exc):
    return CLIError(f"cannot write {path}: {os_reason(exc)}")


def _publish(stage, out_dir):
    """Move the files written in ``stage`` into ``out_dir``, ``report.md`` last."""
    for name in sorted(os.listdir(stage), key=lambda name: (name == REPORT_FILE, name)):
        target = os.path.join(out_dir, name)
        try:
            os.replace(os.path.join(stage, name), target)
        except OSError as exc:
            raise _write_error(target, exc) from exc
    os.rmdir(stage)


def write_file(stage, out_dir, name, write):
    """Call ``write(path)`` on the staged report file ``name``.

    Parameters
    ----------
    stage : str
        The staging folder yielded by :func:`report_folder`.
    out_dir : str
        The output folder, named in the error message.
    name : str
        The file name.
    write : callable
        ``write(path)`` writes the file.

    Raises
    ------
    CLIError
        If ``write`` raised an :class:`OSError`, reported with the file's place in
        ``out_dir``.
    """
    try:
        write(os.path.join(stage, name))
    except OSError as exc:
        raise _write_error(os.path.join(out_dir, name), exc) from exc


@contextlib.contextmanager
def report_folder(out_dir):
    """Create the output folder and stage the report files in a hidden folder in it.

    Creating the staging folder checks, before any fit, that files can be written. The
    files are moved into ``out_dir`` (``report.md`` last) only when the block completes;
    on an error or an interruption (Ctrl-C) the staging folder is deleted, and so are the
    folders created for ``out_dir`` when empty, so that no partial report is left behind.

    Parameters
    ----------
    out_dir : str
        The absolute path of the output folder, created if needed.

    Yields
    ------
    stage : str
        The folder to write the report files to.

    Raises
    ------
    CLIError
        If the output folder cannot be created or written to, or a file cannot be moved
        into it.
    """
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise CLIError(f"cannot write to output directory {out_dir}: it exists and is not a folder")
    created = _missing_folders(out_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
        stage = tempfile.mkdtemp(dir=out_dir, prefix=STAGE_PREFIX)
    except OSError as exc:
        _remove_empty_folders(created)
        raise CLIError(f"cannot write to output directory {out_dir}: {os_reason(exc)}") from exc
    try:
        yield stage
        _publish(stage, out_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_empty_folders(created)
        raise


# --------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------


def _latent_size(ks):
    """The latent size drawn in the latent-space plots and its projection, or None."""
    if 2 in ks:
        return 2, "select"
    larger = [k for k in ks if k > 2]
    return (min(larger), "pca") if larger else (None, None)


def _save_plot(out_dir, filename, draw, *, show_traceback):
    """Call ``draw()`` (returns a figure), save it as ``filename``; True if it worked."""
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    try:
        fig = draw()
        fig.savefig(os.path.join(out_dir, filename), dpi=100)
        return True
    except Exception as exc:
        if show_traceback:
            raise
        warn(f"could not draw {filename}: {describe_exception(exc)}")
        return False
    finally:
        for num in set(plt.get_fignums()) - before:
            plt.close(num)


def _draw_latent(model, method, k, project, data):
    import matplotlib.pyplot as plt

    from .plotting import LatentSpaceDisplay

    n = min(MAX_LATENT_POINTS, data.X_test.shape[0])
    y = None if data.y_test is None else data.y_test[:n]
    title = f"{method}, n_components={k}" + (" (first 2 PCs of the codes)" if k > 2 else "")
    fig, ax = plt.subplots(figsize=(6.4, 5.2), layout="constrained")
    LatentSpaceDisplay.from_estimator(model, data.X_test[:n], y, project=project, name=title, ax=ax)
    return fig


def _draw_reconstructions(models, k, data):
    from .plotting import ReconstructionDisplay

    display = ReconstructionDisplay.from_estimators(
        models, data.X_test, n_images=N_RECONSTRUCTIONS, image_shape=data.image_shape
    )
    display.ax_.set_title(f"Test images and reconstructions, n_components={k}")
    return display.figure_


def _draw_loss_curves(fitted, methods, ks):
    import matplotlib.pyplot as plt

    from .plotting import LossCurveDisplay

    fig, axes = plt.subplots(
        len(methods),
        len(ks),
        figsize=(min(3.6 * len(ks), 18.0), 2.9 * len(methods)),
        layout="constrained",
        squeeze=False,
    )
    for row, method in enumerate(methods):
        for col, k in enumerate(ks):
            ax = axes[row, col]
            LossCurveDisplay.from_estimator(fitted[(method, k)], name=f"{method}, k={k}", ax=ax)
            legend = ax.get_legend()
            if legend is not None:
                for text in legend.get_texts():
                    text.set_fontsize("x-small")
    return fig


def _draw_error_curves(results):
    import matplotlib.pyplot as plt

    from .plotting import ReconstructionErrorDisplay

    fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    ReconstructionErrorDisplay.from_results(results, ax=ax)
    ax.set_title("Reconstruction error on the test set (lower is better)")
    return fig


def write_plots(out_dir, data, results, fitted, methods, ks, *, show_traceback, say):
    """Draw the PNG plots of the report into ``out_dir``.

    A plot that fails is skipped with a ``skae: warning:`` line (unless
    ``show_traceback``, which lets the error through); without matplotlib, all are.

    Parameters
    ----------
    out_dir : str
        The folder to save the PNGs to.
    data : Data
        The data set (:class:`skae._cli_data.Data`).
    results : pandas.DataFrame
        The table of :func:`skae.metrics.compare`.
    fitted : dict of (str, int) to estimator
        The fitted estimators of :func:`skae.metrics.compare`.
    methods : list of str
        The methods, in report order.
    ks : list of int
        The latent sizes.
    show_traceback : bool
        Whether a failing plot raises instead of warning.
    say : callable
        Prints a progress message.

    Returns
    -------
    plots : list of (str, str) or None
        The ``(filename, caption)`` of each plot written, or None without matplotlib.
    """
    try:
        import matplotlib
    except ImportError:
        print(
            f"{PROG}: plots skipped: matplotlib is not installed "
            f"(install it with `{_PLOT_INSTALL_HINT}`)",
            file=sys.stderr,
        )
        return None
    matplotlib.use("Agg")
    say("Drawing plots ...")
    written = []

    def save(filename, caption, draw):
        if _save_plot(out_dir, filename, draw, show_traceback=show_traceback):
            written.append((filename, caption))

    save(
        "mse_vs_n_components.png",
        "Reconstruction error (test MSE) versus latent size",
        lambda: _draw_error_curves(results),
    )
    k_max = max(ks)
    if data.image_shape is not None:
        models = {m: fitted[(m, k_max)] for m in methods if (m, k_max) in fitted}
        if models:
            save(
                "reconstructions.png",
                f"Test images (top row) and their reconstructions at n_components={k_max}",
                lambda: _draw_reconstructions(models, k_max, data),
            )
    k_latent, project = _latent_size(ks)
    if k_latent is not None:
        for method in methods:
            model = fitted.get((method, k_latent))
            if model is None:
                continue
            view = "" if project == "select" else ", first two principal components of the codes"
            save(
                f"latent_{method}.png",
                f"Latent space of {method} at n_components={k_latent}{view}, test set",
                lambda model=model, method=method: _draw_latent(
                    model, method, k_latent, project, data
                ),
            )
    trained = [m for m in methods if m != "pca"]
    if trained:
        save(
            "loss_curves.png",
            "Training and validation loss per epoch of the autoencoders",
            lambda: _draw_loss_curves(fitted, trained, ks),
        )
    return written


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def format_table(results):
    """The results as aligned plain text, floats at 4 significant digits.

    Parameters
    ----------
    results : pandas.DataFrame
        The table of :func:`skae.metrics.compare`.

    Returns
    -------
    text : str
        The table, ``n/a`` for missing values.
    """
    return results.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="n/a")


def _fmt(value):
    """A number at 4 significant digits (``n/a`` for missing values)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.4g}"


def _markdown_table(results):
    """The results as a Markdown table, numbers right-aligned at 4 significant digits."""
    columns = list(results.columns)
    numeric = [results[c].dtype.kind in "iuf" for c in columns]
    lines = [
        "| " + " | ".join(str(c) for c in columns) + " |",
        "| " + " | ".join("---:" if num else ":---" for num in numeric) + " |",
    ]
    for row in results.itertuples(index=False):
        cells = [
            _fmt(value) if num else str(value).replace("|", "\\|")
            for value, num in zip(row, numeric, strict=True)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


_HOW_TO_READ = """\
Each row is one model, fitted on the training set with `n_components` latent dimensions and
evaluated on the test set. `train_mse` and `test_mse` are the mean squared reconstruction
errors (lower is better); `mse_vs_pca` divides `test_mse` by PCA's at the same
`n_components`, so a value below 1 means the method reconstructs the data better than PCA.
`knn_accuracy` and `linear_probe_accuracy` are the test accuracies of a 5-nearest-neighbours
classifier and of a logistic regression trained on the latent codes (higher means that the
classes are better separated in the latent space; `n/a` when the data have no labels).
`trustworthiness` (between 0 and 1, higher is better; no labels needed) measures how well
the latent space keeps neighbourhoods: it is 1 when the 5 nearest neighbours of each test
row in the latent space are also among its nearest neighbours in the input space
(scikit-learn's `trustworthiness`, on at most {max_rows} test rows; `n/a` with fewer than
11). `fit_seconds` and `transform_seconds` are wall-clock times. Autoencoders trained for
only a few epochs (`--max-epochs`) are under-fitted: judge them on the loss curves too. A
nonlinear autoencoder usually beats PCA at small latent sizes, while PCA is hard to beat
once the latent size approaches the data's intrinsic dimension."""

_HOW_TO_READ_UMAP = """\
`umap-ae` is the autoencoder trained with a UMAP loss on its codes besides the
reconstruction loss (`latent_regularizer="umap"`), so that the codes keep the training
data's nearest-neighbour graph: it may give up some reconstruction error for that, so
compare it with `ae` on `trustworthiness` and `knn_accuracy` as well as on `mse_vs_pca`."""


def _how_to_read(methods):
    """The "How to read this" section, with a paragraph on ``umap-ae`` when it was run."""
    text = _HOW_TO_READ.format(max_rows=TRUSTWORTHINESS_MAX_SAMPLES)
    if "umap-ae" in methods:
        text += "\n\n" + _HOW_TO_READ_UMAP
    return text


def _settings_lines(data, methods, ks, args, fitted):
    devices = sorted({getattr(m, "device_", None) for m in fitted.values()} - {None})
    device = args.device + (f" (used: {', '.join(devices)})" if devices else "")
    n_train, n_test = data.X_train.shape[0], data.X_test.shape[0]
    labels = "none" if data.y_train is None else f"{data.n_classes} classes"
    epochs = str(args.max_epochs) if args.max_epochs is not None else "estimator default"
    lines = [
        f"- **Dataset:** {data.description}",
        f"- **Split:** {n_train} training and {n_test} test samples, {data.split}",
        f"- **Features:** {data.n_features}{data.image_size}; labels: {labels}",
        f"- **Methods:** {', '.join(methods)}",
        f"- **n_components:** {', '.join(map(str, ks))}",
        f"- **max_epochs:** {epochs}; **device:** {device}; **seed:** {args.seed}",
    ]
    lines += [f"- **Note:** {note}" for note in data.notes]
    return lines


def write_report(path, data, methods, ks, args, results, fitted, plots, argv):
    """Write ``report.md``: the command, the settings, the results and the plots.

    Parameters
    ----------
    path : str
        The file to write.
    data : Data
        The data set (:class:`skae._cli_data.Data`).
    methods : list of str
        The methods, in report order.
    ks : list of int
        The latent sizes.
    args : argparse.Namespace
        The options of ``skae compare`` (``device``, ``max_epochs``, ``seed``).
    results : pandas.DataFrame
        The table of :func:`skae.metrics.compare`.
    fitted : dict of (str, int) to estimator
        The fitted estimators, for the device they used.
    plots : list of (str, str) or None
        What :func:`write_plots` returned.
    argv : list of str
        The command-line arguments, shown as the command that made the report.
    """
    from ._version import __version__

    command = shlex.join([PROG, *argv])
    parts = [
        f"# skae compare: {data.name}",
        "",
        f"Generated by skae {__version__} on {time.strftime('%Y-%m-%d %H:%M')} with",
        "",
        f"    {command}",
        "",
        "## Settings",
        "",
        *_settings_lines(data, methods, ks, args, fitted),
        "",
        "## Results",
        "",
        _markdown_table(results),
        "",
        "The full-precision table is in [results.csv](results.csv).",
        "",
        "## How to read this",
        "",
        _how_to_read(methods),
        "",
        "## Plots",
        "",
    ]
    if plots is None:
        parts += [
            f"Plots were skipped because matplotlib is not installed (`{_PLOT_INSTALL_HINT}`).",
            "",
        ]
    elif not plots:
        parts += ["No plot could be drawn.", ""]
    else:
        if data.image_shape is None:
            parts += ["The data have no image shape, so no reconstructions are drawn.", ""]
        for filename, caption in plots:
            parts += [f"### {caption}", "", f"![{caption}]({filename})", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts).rstrip() + "\n")
