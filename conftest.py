# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Test-session set-up shared by ``tests/`` and the doctests in ``skae/``."""

import os

# scikit-learn's ``check_array_api_input`` runs only when SciPy's array API
# support is switched on, which must happen before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# Plots are drawn off-screen.
os.environ.setdefault("MPLBACKEND", "Agg")

# The test models are tiny: torch's intra-op thread pool only adds synchronisation
# overhead for them (10x slower when the cores are busy). Tests run single-threaded
# and in parallel processes instead (pytest-xdist, see ``addopts`` in pyproject.toml).
import torch

torch.set_num_threads(1)
