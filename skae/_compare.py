# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The machinery of :func:`skae.metrics.compare`: checking its arguments, planning the
(estimator, latent size) fits, fitting without accepting an interrupted fit, and the
results table.

:func:`skae.metrics.compare` itself (and its documentation) lives in :mod:`skae.metrics`;
this module imports nothing from skae but :mod:`skae.exceptions`, so that the metrics
module can build on it without an import cycle.
"""

import numbers
import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_array

from .exceptions import FitInterruptedWarning

__all__ = [
    "COMPARE_COLUMNS",
    "TRUSTWORTHINESS_MAX_SAMPLES",
    "check_data",
    "fit_or_interrupt",
    "plan_fits",
    "results_frame",
    "trustworthiness_rows",
    "validate_n_components",
    "validate_n_neighbors",
    "with_pca_baseline",
]

#: Columns of the DataFrame returned by :func:`skae.metrics.compare`, in order.
COMPARE_COLUMNS = (
    "method",
    "n_components",
    "fit_seconds",
    "transform_seconds",
    "train_mse",
    "test_mse",
    "mse_vs_pca",
    "knn_accuracy",
    "linear_probe_accuracy",
    "trustworthiness",
)

#: :func:`skae.metrics.compare` computes the trustworthiness on at most this many
#: evaluation rows (:func:`sklearn.manifold.trustworthiness` builds dense
#: ``n_rows x n_rows`` distance matrices).
TRUSTWORTHINESS_MAX_SAMPLES = 2000


def _normalize_estimators(estimators):
    """Return a list of ``(name, estimator)`` from a dict or a list of pairs."""
    if isinstance(estimators, dict):
        items = list(estimators.items())
    else:
        try:
            items = [tuple(item) for item in estimators]
        except TypeError:
            items = None
        if items is None or any(len(item) != 2 for item in items):
            raise TypeError(
                "estimators must be a dict mapping names to estimators or a list of "
                f"(name, estimator) pairs, got {type(estimators).__name__}."
            )
    names = [name for name, _ in items]
    if any(not isinstance(name, str) for name in names):
        raise TypeError(f"Estimator names must be strings, got {names!r}.")
    if len(set(names)) != len(names):
        raise ValueError(f"Estimator names must be unique, got {names!r}.")
    for name, est in items:
        if not hasattr(est, "get_params") or "n_components" not in est.get_params():
            raise ValueError(
                f"Estimator {name!r} ({type(est).__name__}) has no n_components parameter; "
                "compare() sets n_components on a clone of each estimator."
            )
    return items


def with_pca_baseline(estimators):
    """The ``(name, estimator)`` pairs of ``estimators``, the ``"pca"`` baseline first.

    A ``PCA(random_state=0)`` named ``"pca"`` is added unless an estimator has that name.

    Parameters
    ----------
    estimators : dict of str to estimator, or list of (str, estimator) tuples
        The estimators given to :func:`skae.metrics.compare`.

    Returns
    -------
    items : list of (str, estimator)
        The checked pairs, ``"pca"`` first, the others in the given order.
    """
    items = _normalize_estimators(estimators)
    if "pca" not in {name for name, _ in items}:
        items.insert(0, ("pca", PCA(random_state=0)))
    else:
        items.sort(key=lambda item: item[0] != "pca")
    return items


def validate_n_components(n_components):
    """The latent sizes ``n_components`` as a list of positive ints.

    Parameters
    ----------
    n_components : int or iterable of int
        The latent sizes given to :func:`skae.metrics.compare`.

    Returns
    -------
    ks : list of int
        The sizes, in the given order.
    """
    if isinstance(n_components, numbers.Integral):
        n_components = [n_components]
    ks = list(n_components)
    if not ks or any(
        not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1 for k in ks
    ):
        raise ValueError(
            f"n_components must be a positive int or a non-empty list of them, got {ks!r}."
        )
    return [int(k) for k in ks]


def validate_n_neighbors(n_neighbors):
    """``n_neighbors`` as a positive int.

    Parameters
    ----------
    n_neighbors : int
        The number of neighbours given to :func:`skae.metrics.compare`.

    Returns
    -------
    n_neighbors : int
        The validated value.
    """
    if (
        not isinstance(n_neighbors, numbers.Integral)
        or isinstance(n_neighbors, bool)
        or n_neighbors < 1
    ):
        raise ValueError(f"n_neighbors must be a positive int, got {n_neighbors!r}.")
    return int(n_neighbors)


def trustworthiness_rows(n_samples):
    """The evaluation rows the trustworthiness of :func:`skae.metrics.compare` is taken on.

    All the rows when there are at most :data:`TRUSTWORTHINESS_MAX_SAMPLES`, else that
    many drawn without replacement with a fixed seed (0), in increasing order: the same
    rows for every method and every run.

    Parameters
    ----------
    n_samples : int
        The number of evaluation rows.

    Returns
    -------
    rows : ndarray of shape (min(n_samples, TRUSTWORTHINESS_MAX_SAMPLES),)
        The row indices.
    """
    if n_samples <= TRUSTWORTHINESS_MAX_SAMPLES:
        return np.arange(n_samples)
    rng = np.random.default_rng(0)
    return np.sort(rng.choice(n_samples, size=TRUSTWORTHINESS_MAX_SAMPLES, replace=False))


def check_data(X_train, X_test, y_train, y_test):
    """Validate the data given to :func:`skae.metrics.compare`.

    Parameters
    ----------
    X_train : array-like of shape (n_train, n_features)
        Training data.
    X_test : array-like of shape (n_test, n_features) or None
        Held-out data.
    y_train, y_test : array-like or None
        Labels of ``X_train`` and ``X_test``, given together or not at all.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray or None
        The validated arrays (float32 or float64 data).
    """
    X_train = check_array(X_train, dtype=(np.float64, np.float32), input_name="X_train")
    if X_test is not None:
        X_test = check_array(X_test, dtype=(np.float64, np.float32), input_name="X_test")
        if X_test.shape[1] != X_train.shape[1]:
            raise ValueError(
                f"X_test has {X_test.shape[1]} features, but X_train has {X_train.shape[1]}."
            )
    if (y_train is None) != (y_test is None):
        raise ValueError(
            "y_train and y_test must be given together (or both left out); the latent-space "
            "probes are fitted on the training codes and scored on the test codes."
        )
    if y_train is not None:
        if X_test is None:
            raise ValueError("y_test was given without X_test.")
        y_train, y_test = np.asarray(y_train), np.asarray(y_test)
        if len(y_train) != X_train.shape[0] or len(y_test) != X_test.shape[0]:
            raise ValueError(
                f"Inconsistent numbers of samples: X_train {X_train.shape[0]}, y_train "
                f"{len(y_train)}, X_test {X_test.shape[0]}, y_test {len(y_test)}."
            )
    return X_train, X_test, y_train, y_test


def plan_fits(items, ks, n_samples, n_features):
    """The ``(name, estimator, k)`` fits to run, estimator by estimator.

    A PCA cannot have more components than ``min(n_samples, n_features)``: such fits are
    skipped with a :class:`UserWarning` attributed to the caller of
    :func:`skae.metrics.compare`.

    Parameters
    ----------
    items : list of (str, estimator)
        The estimators, as returned by :func:`with_pca_baseline`.
    ks : list of int
        The latent sizes, as returned by :func:`validate_n_components`.
    n_samples, n_features : int
        The shape of the training data.

    Returns
    -------
    jobs : list of (str, estimator, int)
        The fits, in the order of ``items`` then of ``ks``.
    """
    max_pca = min(n_samples, n_features)
    jobs = []
    for name, est in items:
        for k in ks:
            if isinstance(est, PCA) and k > max_pca:
                warnings.warn(
                    f"Skipping {name!r} for n_components={k}: PCA allows at most "
                    f"min(n_samples, n_features) = {max_pca} components.",
                    UserWarning,
                    stacklevel=3,
                )
                continue
            jobs.append((name, est, k))
    return jobs


def fit_or_interrupt(model, X):
    """``model.fit(X)``, raising :class:`KeyboardInterrupt` if the fit was interrupted.

    skae estimators stop cleanly on Ctrl-C: they keep their last completed epoch, return
    normally and emit a :class:`~skae.exceptions.FitInterruptedWarning`. A benchmark must
    not go on with such a truncated model, so the warning is turned back into the
    interruption it reports.

    Parameters
    ----------
    model : estimator instance
        The estimator to fit.
    X : ndarray of shape (n_samples, n_features)
        The training data.

    Returns
    -------
    model : estimator instance
        What ``model.fit(X)`` returned.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitInterruptedWarning)
        try:
            return model.fit(X)
        except FitInterruptedWarning as exc:
            raise KeyboardInterrupt(str(exc)) from exc


def results_frame(rows, *, with_test):
    """The results table of :func:`skae.metrics.compare`, ``mse_vs_pca`` filled in.

    Parameters
    ----------
    rows : list of dict
        One dict per fit, keyed by the names in :data:`COMPARE_COLUMNS`.
    with_test : bool
        Whether there was test data: ``mse_vs_pca`` divides ``test_mse`` if so, else
        ``train_mse``, by PCA's at the same ``n_components``.

    Returns
    -------
    results : pandas.DataFrame
        The rows, with the columns :data:`COMPARE_COLUMNS`.
    """
    import pandas as pd

    df = pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))
    df["n_components"] = df["n_components"].astype(int)
    ref_col = "test_mse" if with_test else "train_mse"
    baseline = df.loc[df["method"] == "pca"].set_index("n_components")[ref_col]
    df["mse_vs_pca"] = df[ref_col] / df["n_components"].map(baseline).astype(float)
    return df
