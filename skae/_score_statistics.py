# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Statistics of the outlier detector's combined score, from one streamed pass over the rows."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["rounding_variance", "score_statistics"]


def score_statistics(map_rows, X, k):
    """``(residual_var, latent_mean, latent_precision)`` of the rows ``X``, in float64.

    ``map_rows(X, n_out, fn)`` runs ``fn(module, batch)`` over chunks of ``X``
    (the estimator's ``_map``); ``k`` is the code size. Sums are accumulated
    per chunk, so that a ``np.memmap`` of any size is summarised in the memory
    of a chunk; the codes' sums are shifted by the first chunk's mean, which
    keeps the covariance exact.
    """
    n, d = X.shape
    sums = {"sq": np.zeros(d), "x2": 0.0, "z": np.zeros(k), "zz": np.zeros((k, k))}
    shift = []  # the first chunk's mean code: shifted sums keep the covariance exact

    def accumulate(module, xb):
        z = module.encode(xb)
        residual = (xb - module.decode(z)).double().cpu().numpy()
        z = z.double().cpu().numpy()
        if not shift:
            shift.append(z.mean(axis=0))
        dz = z - shift[0]
        sums["sq"] += np.einsum("ij,ij->j", residual, residual)
        sums["x2"] += float(torch.sum(xb.double() ** 2))
        sums["z"] += dz.sum(axis=0)
        sums["zz"] += dz.T @ dz
        return xb.new_empty((xb.shape[0], 0))

    map_rows(X, 0, accumulate)
    var = sums["sq"] / n
    # Shrink each feature's residual variance toward the mean over the features:
    # a feature almost always reconstructed exactly (an image's border pixel)
    # would otherwise weigh a thousand times more than the others, and one such
    # residual would decide a row's score. Measured AUROC of the default
    # (benchmarks/outliers.py, benchmarks/one_class_mnist.py): unshrunk, ODDS
    # 0.834 and one-class MNIST 0.949; shrunk, 0.836 and 0.957; the plain mean
    # squared error plus the latent term, 0.832 and 0.961.
    shrunk = var + var.mean()
    # Rescaled so that the term averages exactly 1 over the training rows.
    shrunk *= float(np.mean(var / shrunk)) if var.mean() > 0 else 1.0
    # A feature reconstructed exactly on every training row (constant data):
    # floor its variance at float32's rounding error of the data, so that
    # scores stay finite (a floor at float64's tiny underflows to 0 in float32).
    rounding = rounding_variance(sums["x2"] / (n * d))
    residual_var = np.maximum(shrunk, max(1e-6 * float(var.mean()), rounding))
    mean_shift = sums["z"] / n
    mean = shift[0] + mean_shift
    cov = sums["zz"] / n - np.outer(mean_shift, mean_shift)
    mean_square = float(np.trace(cov)) / k + float(np.mean(mean**2))
    ridge = max(1e-6 * float(np.trace(cov)) / k, rounding_variance(mean_square))
    return residual_var, mean, np.linalg.inv(cov + ridge * np.eye(k))


def rounding_variance(mean_square):
    """Squared float32 rounding error of values of mean square ``mean_square`` (>= tiny)."""
    return max(
        float(np.finfo(np.float32).eps) ** 2 * float(mean_square), float(np.finfo(np.float32).tiny)
    )
