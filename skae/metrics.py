# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Metrics for autoencoders and other invertible transformers.

The functions in this module work with any fitted scikit-learn transformer that implements
``transform`` and ``inverse_transform`` (for example :class:`~sklearn.decomposition.PCA` or
the skae autoencoders). They cover three questions:

* How well does the model reconstruct its input? :func:`reconstruction_error`,
  :func:`neg_reconstruction_error` and :func:`make_reconstruction_scorer` (the latter two are
  scorers for :class:`~sklearn.model_selection.GridSearchCV`).
* How useful is the latent space for a downstream task? :func:`latent_knn_score` and
  :func:`linear_probe_score`.
* How well does the latent space preserve neighbourhoods? :func:`latent_trustworthiness`.

:func:`compare` benchmarks several estimators against a PCA baseline over a range of latent
sizes and returns a tidy :class:`pandas.DataFrame` of these measures.
"""

import time

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.manifold import trustworthiness
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_array, check_is_fitted

from ._compare import COMPARE_COLUMNS as COMPARE_COLUMNS  # re-exported: the table's columns
from ._compare import (
    check_data,
    fit_or_interrupt,
    plan_fits,
    results_frame,
    trustworthiness_rows,
    validate_n_components,
    validate_n_neighbors,
    with_pca_baseline,
)

__all__ = [
    "compare",
    "latent_knn_score",
    "latent_trustworthiness",
    "linear_probe_score",
    "make_reconstruction_scorer",
    "neg_reconstruction_error",
    "reconstruction_error",
]

#: Reconstruction metrics understood by :func:`reconstruction_error`.
RECONSTRUCTION_METRICS = ("mse", "mae", "rmse", "bce")

#: Predictions are clipped to ``[_BCE_EPS, 1 - _BCE_EPS]`` before taking logarithms.
_BCE_EPS = 1e-7


def _validate_metric(metric):
    if metric not in RECONSTRUCTION_METRICS:
        raise ValueError(f"metric must be one of {RECONSTRUCTION_METRICS}, got {metric!r} instead.")


def _check_X(X, name="X"):
    """Validate ``X`` as a finite 2-D numeric array and return it as float64."""
    try:
        return check_array(X, dtype=np.float64, input_name=name)
    except ValueError as exc:
        raise ValueError(f"Invalid {name}: {exc}") from exc


def _reconstruct(estimator, X):
    """Return ``(X_array, X_reconstructed)`` as two float64 arrays of the same shape."""
    check_is_fitted(estimator)
    if not hasattr(estimator, "inverse_transform"):
        raise TypeError(
            f"{type(estimator).__name__} does not implement inverse_transform; a reconstruction"
            " error needs an estimator that can map codes back to the input space."
        )
    X_arr = _check_X(X)
    # Pass the original X (a DataFrame keeps its feature names) to the estimator.
    X_rec = np.asarray(estimator.inverse_transform(estimator.transform(X)), dtype=np.float64)
    if X_rec.shape != X_arr.shape:
        raise ValueError(
            f"inverse_transform(transform(X)) returned shape {X_rec.shape}, expected the shape "
            f"of X, {X_arr.shape}."
        )
    return X_arr, X_rec


def _per_sample_errors(X, X_rec, metric):
    """Per-sample reconstruction error; for ``"rmse"`` the per-sample *MSE* is returned."""
    diff = X - X_rec
    if metric in ("mse", "rmse"):
        return np.mean(diff**2, axis=1)
    if metric == "mae":
        return np.mean(np.abs(diff), axis=1)
    # bce
    if X.size and (X.min() < 0 or X.max() > 1):
        raise ValueError(
            "metric='bce' (binary cross-entropy) needs data in [0, 1]; got values in "
            f"[{X.min():.4g}, {X.max():.4g}]. Scale the data first, e.g. with MinMaxScaler."
        )
    p = np.clip(X_rec, _BCE_EPS, 1 - _BCE_EPS)
    return -np.mean(X * np.log(p) + (1 - X) * np.log1p(-p), axis=1)


def reconstruction_error(estimator, X, *, metric="mse", per_sample=False):
    """Reconstruction error of a fitted transformer.

    The data are encoded and decoded, ``X_rec = estimator.inverse_transform(
    estimator.transform(X))``, and compared with ``X`` in the input space.

    Parameters
    ----------
    estimator : estimator instance
        A fitted transformer implementing ``transform`` and ``inverse_transform``, such as a
        skae autoencoder or :class:`~sklearn.decomposition.PCA`.
    X : array-like of shape (n_samples, n_features)
        Data to reconstruct.
    metric : {"mse", "mae", "rmse", "bce"}, default="mse"
        - ``"mse"``: mean squared error over the features.
        - ``"mae"``: mean absolute error over the features.
        - ``"rmse"``: root mean squared error. The aggregate is the square root of the overall
          MSE (not the mean of the per-sample RMSEs).
        - ``"bce"``: binary cross-entropy, for data in ``[0, 1]`` (e.g. pixel intensities).
          Reconstructions are clipped to ``[1e-7, 1 - 1e-7]`` before taking logarithms.
    per_sample : bool, default=False
        If True, return one error per sample instead of the mean over samples.

    Returns
    -------
    error : float or ndarray of shape (n_samples,)
        The reconstruction error (lower is better).

    See Also
    --------
    neg_reconstruction_error : The negated MSE as a scorer for model selection.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skae.metrics import reconstruction_error
    >>> X, _ = load_digits(return_X_y=True)
    >>> pca = PCA(n_components=16, random_state=0).fit(X)
    >>> round(reconstruction_error(pca, X), 2)
    2.83
    >>> reconstruction_error(pca, X, metric="mae", per_sample=True).shape
    (1797,)
    """
    _validate_metric(metric)
    X_arr, X_rec = _reconstruct(estimator, X)
    errors = _per_sample_errors(X_arr, X_rec, metric)
    if metric == "rmse":
        if per_sample:
            return np.sqrt(errors)
        return float(np.sqrt(np.mean(errors)))
    if per_sample:
        return errors
    return float(np.mean(errors))


class _ReconstructionScorer:
    """Callable ``scorer(estimator, X, y=None)`` returning the negated reconstruction error."""

    def __init__(self, metric="mse"):
        _validate_metric(metric)
        self.metric = metric

    def __call__(self, estimator, X, y=None, sample_weight=None):
        X_arr, X_rec = _reconstruct(estimator, X)
        errors = _per_sample_errors(X_arr, X_rec, self.metric)
        error = np.average(errors, weights=sample_weight)
        if self.metric == "rmse":
            error = np.sqrt(error)
        return -float(error)

    def __repr__(self):
        return f"make_reconstruction_scorer(metric={self.metric!r})"


def make_reconstruction_scorer(metric="mse"):
    """Make a scorer returning the negated reconstruction error.

    The scorer has the signature ``scorer(estimator, X, y=None, sample_weight=None)``, which
    :class:`~sklearn.model_selection.GridSearchCV` and
    :func:`~sklearn.model_selection.cross_val_score` accept as ``scoring``. Higher is better.

    Parameters
    ----------
    metric : {"mse", "mae", "rmse", "bce"}, default="mse"
        Error to negate; see :func:`reconstruction_error`.

    Returns
    -------
    scorer : callable
        The scorer. With ``sample_weight``, per-sample errors are averaged with these weights.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.model_selection import cross_val_score
    >>> from skae.metrics import make_reconstruction_scorer
    >>> X, _ = load_digits(return_X_y=True)
    >>> scorer = make_reconstruction_scorer("mae")
    >>> scorer
    make_reconstruction_scorer(metric='mae')
    >>> scores = cross_val_score(PCA(n_components=8), X, scoring=scorer, cv=3)
    >>> bool((scores < 0).all())
    True
    """
    return _ReconstructionScorer(metric)


def neg_reconstruction_error(estimator, X, y=None):
    """Negated mean squared reconstruction error, a scorer for model selection.

    Use it as ``scoring=neg_reconstruction_error`` in
    :class:`~sklearn.model_selection.GridSearchCV`: higher is better, and the best model has
    the smallest reconstruction MSE.

    Parameters
    ----------
    estimator : estimator instance
        A fitted transformer implementing ``transform`` and ``inverse_transform``.
    X : array-like of shape (n_samples, n_features)
        Data to reconstruct.
    y : None
        Ignored; present for API consistency with scikit-learn scorers.

    Returns
    -------
    score : float
        ``-reconstruction_error(estimator, X, metric="mse")``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skae.metrics import neg_reconstruction_error
    >>> X, _ = load_digits(return_X_y=True)
    >>> search = GridSearchCV(
    ...     PCA(), {"n_components": [2, 8, 32]}, scoring=neg_reconstruction_error, cv=3
    ... ).fit(X)
    >>> search.best_params_
    {'n_components': 32}
    """
    return -reconstruction_error(estimator, X, metric="mse")


def _codes(estimator, X):
    return np.asarray(estimator.transform(X))


def latent_knn_score(estimator, X_train, y_train, X_test, y_test, *, n_neighbors=5):
    """Accuracy of a k-nearest-neighbours classifier trained on the latent codes.

    A :class:`~sklearn.neighbors.KNeighborsClassifier` is fitted on
    ``estimator.transform(X_train)`` and scored on ``estimator.transform(X_test)``. High
    accuracy means that samples of the same class are close in the latent space.

    Parameters
    ----------
    estimator : estimator instance
        A fitted transformer.
    X_train : array-like of shape (n_train, n_features)
        Data to fit the classifier on (after encoding).
    y_train : array-like of shape (n_train,)
        Labels of ``X_train``.
    X_test : array-like of shape (n_test, n_features)
        Data to evaluate the classifier on (after encoding).
    y_test : array-like of shape (n_test,)
        Labels of ``X_test``.
    n_neighbors : int, default=5
        Number of neighbours of the classifier.

    Returns
    -------
    accuracy : float
        Fraction of correctly classified test samples.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skae.metrics import latent_knn_score
    >>> X, y = load_digits(return_X_y=True)
    >>> pca = PCA(n_components=16, random_state=0).fit(X[:1000])
    >>> acc = latent_knn_score(pca, X[:1000], y[:1000], X[1000:], y[1000:])
    >>> bool(acc > 0.9)
    True
    """
    check_is_fitted(estimator)
    clf = KNeighborsClassifier(n_neighbors=n_neighbors)
    clf.fit(_codes(estimator, X_train), y_train)
    return float(clf.score(_codes(estimator, X_test), y_test))


def linear_probe_score(estimator, X_train, y_train, X_test, y_test, *, max_iter=1000):
    """Accuracy of a linear classifier (a "linear probe") trained on the latent codes.

    A :class:`~sklearn.linear_model.LogisticRegression` on standardised codes is fitted on
    ``estimator.transform(X_train)`` and scored on ``estimator.transform(X_test)``. High
    accuracy means that the classes are linearly separable in the latent space.

    Parameters
    ----------
    estimator : estimator instance
        A fitted transformer.
    X_train : array-like of shape (n_train, n_features)
        Data to fit the probe on (after encoding).
    y_train : array-like of shape (n_train,)
        Labels of ``X_train``.
    X_test : array-like of shape (n_test, n_features)
        Data to evaluate the probe on (after encoding).
    y_test : array-like of shape (n_test,)
        Labels of ``X_test``.
    max_iter : int, default=1000
        Maximum number of iterations of the logistic regression solver.

    Returns
    -------
    accuracy : float
        Fraction of correctly classified test samples.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skae.metrics import linear_probe_score
    >>> X, y = load_digits(return_X_y=True)
    >>> pca = PCA(n_components=16, random_state=0).fit(X[:1000])
    >>> acc = linear_probe_score(pca, X[:1000], y[:1000], X[1000:], y[1000:])
    >>> bool(acc > 0.8)
    True
    """
    check_is_fitted(estimator)
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
    probe.fit(_codes(estimator, X_train), y_train)
    return float(probe.score(_codes(estimator, X_test), y_test))


def latent_trustworthiness(estimator, X, *, n_neighbors=5):
    """Trustworthiness of the latent space, between 0 and 1.

    Measures to what extent the ``n_neighbors`` nearest neighbours of each sample in the
    latent space are also close in the input space (1 is perfect); see
    :func:`sklearn.manifold.trustworthiness`.

    Parameters
    ----------
    estimator : estimator instance
        A fitted transformer.
    X : array-like of shape (n_samples, n_features)
        Data to encode. ``n_neighbors`` must be less than ``n_samples / 2``.
    n_neighbors : int, default=5
        Number of neighbours to consider.

    Returns
    -------
    trustworthiness : float
        The trustworthiness of the codes of ``X``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skae.metrics import latent_trustworthiness
    >>> X, _ = load_digits(return_X_y=True)
    >>> pca = PCA(n_components=16, random_state=0).fit(X)
    >>> bool(0.9 < latent_trustworthiness(pca, X[:500]) <= 1)
    True
    """
    check_is_fitted(estimator)
    X_arr = _check_X(X)
    return _trustworthiness(X_arr, _codes(estimator, X), n_neighbors)


def _trustworthiness(X, codes, n_neighbors):
    """:func:`sklearn.manifold.trustworthiness` of ``codes``, the encoded rows of ``X``."""
    return float(trustworthiness(X, codes, n_neighbors=n_neighbors))


def compare(
    estimators,
    X_train,
    X_test=None,
    y_train=None,
    y_test=None,
    *,
    n_components=(2, 8, 32),
    n_neighbors=5,
    verbose=False,
    return_estimators=False,
):
    """Benchmark transformers against PCA over several latent sizes.

    For every estimator and every latent size ``k``, a clone of the estimator with
    ``n_components=k`` is fitted on ``X_train`` and evaluated. A
    ``PCA(n_components=k, random_state=0)`` baseline named ``"pca"`` is always included
    (first), unless an estimator of that name is given, which is then the baseline.

    Parameters
    ----------
    estimators : dict of str to estimator, or list of (str, estimator) tuples
        Unfitted estimators with an ``n_components`` parameter (e.g. skae autoencoders),
        keyed by the name used in the ``method`` column. They are cloned, never modified.
    X_train : array-like of shape (n_train, n_features)
        Training data.
    X_test : array-like of shape (n_test, n_features), default=None
        Held-out data. Without it ``test_mse`` is NaN and ``mse_vs_pca`` uses ``train_mse``.
    y_train : array-like of shape (n_train,), default=None
        Labels of ``X_train``, used only by the latent-space probes.
    y_test : array-like of shape (n_test,), default=None
        Labels of ``X_test``. ``y_train`` and ``y_test`` must be given together, and need
        ``X_test``: the probes are fitted on the training codes and scored on the test codes.
    n_components : int or iterable of int, default=(2, 8, 32)
        Latent sizes to evaluate. A size larger than PCA allows
        (``min(n_train, n_features)``) skips the PCA row for that size with a warning; other
        methods are still evaluated.
    n_neighbors : int, default=5
        Number of neighbours of the k-NN probe (:func:`latent_knn_score`) and of the
        ``trustworthiness``.
    verbose : bool, default=False
        Show a ``tqdm`` progress bar over the fits.
    return_estimators : bool, default=False
        If True, also return the fitted estimators.

    Returns
    -------
    results : pandas.DataFrame
        One row per (method, n_components), methods in the given order (PCA first) and
        sizes in the given order, with the columns

        - ``method``: the estimator name;
        - ``n_components``: the latent size;
        - ``fit_seconds``: wall-clock time of ``fit(X_train)``;
        - ``transform_seconds``: wall-clock time of ``transform`` on ``X_test`` (on
          ``X_train`` when there is no ``X_test``);
        - ``train_mse`` and ``test_mse``: reconstruction MSE (:func:`reconstruction_error`)
          on ``X_train`` and ``X_test``; ``test_mse`` is NaN without ``X_test``;
        - ``mse_vs_pca``: ``test_mse`` divided by PCA's ``test_mse`` at the same size
          (``train_mse`` ratios without ``X_test``); below 1 beats PCA; NaN when the PCA row
          was skipped;
        - ``knn_accuracy`` and ``linear_probe_accuracy``: test accuracy of
          :func:`latent_knn_score` and :func:`linear_probe_score`; NaN without labels;
        - ``trustworthiness``: :func:`sklearn.manifold.trustworthiness` (as in
          :func:`latent_trustworthiness`, between 0 and 1, higher is better) of the codes
          of ``X_test`` (of ``X_train`` when there is no ``X_test``) with ``n_neighbors``
          neighbours; needs no labels. Its cost grows with the square of the number of
          rows, so it is computed on at most 2000 of them: all the rows if there are at
          most 2000, else 2000 drawn at random with a fixed seed (the same rows for every
          method and every run). NaN when fewer than ``2 * n_neighbors + 1`` rows are
          evaluated (:func:`~sklearn.manifold.trustworthiness` needs ``n_neighbors <
          n_samples / 2``).

        All the columns are always present, so that results with and without labels can be
        concatenated.
    fitted : dict of (str, int) to estimator
        Only if ``return_estimators=True``: the fitted estimator for each
        ``(method, n_components)`` row.

    Raises
    ------
    KeyboardInterrupt
        When interrupted (Ctrl-C), also when a fit stopped early and emitted a
        :class:`~skae.exceptions.FitInterruptedWarning` (a skae estimator interrupted
        during training keeps its last completed epoch): no results are returned from a
        truncated model.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import KernelPCA
    >>> from skae.metrics import compare
    >>> X, y = load_digits(return_X_y=True)
    >>> kpca = KernelPCA(kernel="rbf", gamma=1e-3, fit_inverse_transform=True)
    >>> df = compare(
    ...     {"kpca": kpca}, X[:300], X[300:600], y[:300], y[300:600], n_components=(2, 8)
    ... )
    >>> df[["method", "n_components"]]
       method  n_components
    0     pca             2
    1     pca             8
    2    kpca             2
    3    kpca             8
    >>> df.loc[df.method == "pca", "mse_vs_pca"].tolist()
    [1.0, 1.0]
    >>> bool(df["trustworthiness"].between(0, 1).all())
    True
    """
    items = with_pca_baseline(estimators)
    ks = validate_n_components(n_components)
    n_neighbors = validate_n_neighbors(n_neighbors)
    X_train, X_test, y_train, y_test = check_data(X_train, X_test, y_train, y_test)
    with_labels = y_train is not None
    jobs = plan_fits(items, ks, *X_train.shape)

    from tqdm.auto import tqdm

    rows, fitted = [], {}
    X_eval = X_test if X_test is not None else X_train
    # The trustworthiness is taken on (at most TRUSTWORTHINESS_MAX_SAMPLES of) these rows.
    trust_rows = trustworthiness_rows(X_eval.shape[0])
    X_trust = np.asarray(X_eval[trust_rows], dtype=np.float64)
    with_trust = n_neighbors < len(trust_rows) / 2
    for name, est, k in tqdm(jobs, desc="compare", disable=not verbose):
        model = clone(est).set_params(n_components=k)
        start = time.perf_counter()
        fit_or_interrupt(model, X_train)
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        codes = model.transform(X_eval)
        transform_seconds = time.perf_counter() - start
        row = {
            "method": name,
            "n_components": k,
            "fit_seconds": fit_seconds,
            "transform_seconds": transform_seconds,
            "train_mse": reconstruction_error(model, X_train),
            "test_mse": np.nan if X_test is None else reconstruction_error(model, X_test),
            "mse_vs_pca": np.nan,
            "knn_accuracy": np.nan,
            "linear_probe_accuracy": np.nan,
            "trustworthiness": np.nan,
        }
        if with_trust:
            row["trustworthiness"] = _trustworthiness(
                X_trust, np.asarray(codes)[trust_rows], n_neighbors
            )
        if with_labels:
            row["knn_accuracy"] = latent_knn_score(
                model, X_train, y_train, X_test, y_test, n_neighbors=n_neighbors
            )
            row["linear_probe_accuracy"] = linear_probe_score(
                model, X_train, y_train, X_test, y_test
            )
        rows.append(row)
        if return_estimators:
            fitted[(name, k)] = model

    df = results_frame(rows, with_test=X_test is not None)
    if return_estimators:
        return df, fitted
    return df
