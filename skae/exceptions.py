# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Warnings and errors skae raises (the bottom layer: imports nothing from skae)."""

__all__ = ["FitInterruptedWarning", "ModelFileError", "ModelVersionWarning"]


class FitInterruptedWarning(UserWarning):
    """A fit was interrupted (Ctrl-C) and kept its last completed epoch.

    The estimator stays usable: its weights, ``n_iter_`` and ``loss_curve_`` are
    those of the last epoch that finished. Code that must not go on with a
    truncated model (a benchmark, a report) turns this warning into an
    interruption of its own, e.g.::

        with warnings.catch_warnings():
            warnings.simplefilter("error", FitInterruptedWarning)
            est.fit(X)
    """


class ModelFileError(ValueError):
    """A file is not a valid skae model file (corrupt, tampered with, or unsupported)."""


class ModelVersionWarning(UserWarning):
    """A model file was written with other versions of skae or its dependencies."""
