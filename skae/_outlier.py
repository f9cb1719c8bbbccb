# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Outlier detection by reconstruction error."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import torch
from sklearn.base import OutlierMixin, _fit_context
from sklearn.exceptions import NotFittedError
from sklearn.utils import _safe_indexing, check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in, _num_samples, check_is_fitted

from ._base import BaseAutoencoder, _from_torch
from ._docs import COMMON_ATTRIBUTES_DOC
from ._io import IOMixin
from ._params import COMMON, make_init, parameter_constraints, parameters_doc
from ._score_statistics import score_statistics

__all__ = ["AutoencoderOutlierDetector"]


class AutoencoderOutlierDetector(IOMixin, OutlierMixin, BaseAutoencoder):
    __doc__ = (
        """Outlier detection with an autoencoder: reconstruction error and code distance.

    The autoencoder is trained on (mostly normal) data. A row is an outlier
    when the autoencoder reconstructs it badly (it lies off the learned
    manifold) or when its code lies far from the training codes (usual
    features in an unusual combination: on ODDS tables such as cardio, musk
    and pendigits the outliers are reconstructed well and only their codes
    give them away). ``outlier_score="combined"`` (the default) adds the two,
    ``outlier_score="reconstruction"`` uses the reconstruction error alone. Follows
    scikit-learn's outlier-detector API, like
    :class:`~sklearn.ensemble.IsolationForest`: ``score_samples`` is higher
    for more normal rows, ``decision_function = score_samples - offset_``
    (negative is an outlier), ``predict`` gives +1 for inliers and -1 for
    outliers.

    Every architecture option of :class:`AutoencoderTransformer` is
    available (dense, convolutional, denoising, sparse).

    **Explanations.** :meth:`feature_scores` splits the reconstruction part
    of each row's score into per-feature contributions; :meth:`top_features`
    lists the features
    that contribute most to each row, and
    :class:`~skae.plotting.FeatureScoresDisplay` draws them.

    **Calibrated thresholds.** With ``calibration`` set, ``fit`` holds a
    fraction of the rows out of training and scores them. The split-conformal
    p-value of a row (:meth:`score_pvalues`) is ``(1 + k) / (n_cal + 1)``,
    where ``k`` of the ``n_cal`` held-out rows have a reconstruction error at
    least as large as the row's. If the held-out rows and a new normal row
    are exchangeable (e.g. drawn independently from one distribution), then
    ``P(p-value <= a) <= a`` for every level ``a``, whatever the network, its
    training or the data distribution. ``predict`` then flags exactly the
    rows whose p-value is at most ``contamination`` (0.05 for ``"auto"``), so
    a normal row is flagged with probability at most ``contamination`` (and
    at least ``contamination - 1 / (n_cal + 1)``). The guarantee holds on
    average over the random held-out set; for one fitted detector the
    false-alarm rate varies around ``contamination`` by about
    ``sqrt(contamination * (1 - contamination) / n_cal)``.

    Parameters
    ----------"""
        + parameters_doc(
            """
    contamination : "auto" or float, default="auto"
        Expected fraction of outliers in the training data. With a float in
        (0, 0.5], ``offset_`` is that quantile of the training scores, so that
        fraction of the training rows is flagged. With ``"auto"`` the threshold
        is Tukey's upper fence on the training reconstruction errors,
        ``Q3 + 1.5 * IQR`` (the box-plot outlier rule). With ``calibration``
        set, it is instead the false-alarm rate of a calibrated threshold:
        ``predict`` flags the rows with ``score_pvalues(X) <= contamination``,
        and ``"auto"`` means 0.05.

    calibration : float in (0, 1), default=None
        Fraction of the training rows held out from training to calibrate the
        threshold (split-conformal outlier detection). ``None`` trains on all
        rows. With a float, ``fit`` holds out ``ceil(calibration *
        n_samples)`` rows drawn at random (seeded by ``random_state``), trains
        on the others (early stopping's validation rows come out of these),
        stores the held-out rows' scores in ``calibration_scores_`` and sets
        ``offset_`` from them; :meth:`score_pvalues` becomes available. At
        least ``1 / contamination - 1`` rows must be held out (19 for 0.05);
        fewer raise a ``ValueError`` before training. Training rows are copied
        (a ``np.memmap`` X is not streamed from disk). With ``warm_start``,
        use an int ``random_state`` so that every fit holds out the same rows.

    outlier_score : {"combined", "reconstruction"}, default="combined"
        The outlier score (see :meth:`score_samples`). ``"combined"``: each
        feature's squared reconstruction residual relative to its mean on the
        training rows, averaged, plus the squared Mahalanobis distance of the
        code to the training codes over ``n_components`` (the two parts of
        PCA's combined SPE + Hotelling T² index, for the autoencoder).
        ``"reconstruction"``: the mean squared reconstruction error in the
        input's units (skae 0.1's score).

    max_epochs : int, default=60
        Maximum number of passes over the training data. Lower than the
        transformers' 200: on the eight ODDS tables of
        ``benchmarks/outliers.py`` the mean test ROC-AUC is the same at 20,
        40, 60 and 200 epochs (0.833 to 0.834) while fits take up to 3 times
        longer, and most tables stop early before 60.
"""
        )
        + """
    Attributes
    ----------"""
        + COMMON_ATTRIBUTES_DOC
        + """
    offset_ : float
        Threshold on ``score_samples``: ``decision_function = score_samples -
        offset_``. With ``calibration``, it is one of ``calibration_scores_``,
        chosen so that ``decision_function(X) < 0`` exactly where
        ``score_pvalues(X) <= contamination``.

    outlier_score_ : {"combined", "reconstruction"}
        The score the detector was fitted with (``outlier_score`` at ``fit``);
        ``score_samples``, the threshold and the explanations use it.

    residual_var_ : ndarray of shape (`n_features_in_`,)
        Scale of each feature's squared reconstruction residual in the
        reconstruction part of ``outlier_score="combined"``: the feature's mean
        squared residual on the training rows plus the mean of those over the
        features (so that no nearly always exact feature dominates), rescaled
        so that the part averages 1 over the training rows.

    latent_mean_ : ndarray of shape (`n_components_`,)
        Mean of the training rows' codes.

    latent_precision_ : ndarray of shape (`n_components_`, `n_components_`)
        Inverse covariance of the training rows' codes (with a tiny ridge).

    calibration_scores_ : ndarray of shape (n_cal,) or None
        Scores (``score_samples``) of the rows held out for calibration,
        sorted in increasing order; None when ``calibration`` is None.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Isolation-based outlier detection.
    AutoencoderTransformer : The underlying autoencoder as a transformer.
    skae.plotting.FeatureScoresDisplay : One row's per-feature contributions.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import AutoencoderOutlierDetector
    >>> rng = np.random.RandomState(0)
    >>> t = rng.uniform(0, 1, size=(300, 1))
    >>> X = np.hstack([t, t ** 2, 1 - t])  # points on a curve
    >>> det = AutoencoderOutlierDetector(n_components=1, contamination=0.05,
    ...                                  max_epochs=50, random_state=0).fit(X)
    >>> det.predict([[0.5, 0.25, 0.5], [0.9, 0.1, 0.9]])
    array([ 1, -1])
    """
    )

    _own_parameters = {
        "contamination": (
            "auto",
            [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        ),
        "calibration": (None, [None, Interval(Real, 0, 1, closed="neither")]),
        "outlier_score": ("combined", [StrOptions({"combined", "reconstruction"})]),
        # overrides the common default of 200 (see the docstring)
        "max_epochs": (60, COMMON["max_epochs"][1]),
    }
    _parameter_constraints: dict = parameter_constraints(_own_parameters)
    __init__ = make_init(_own_parameters, qualname="AutoencoderOutlierDetector", module=__module__)

    #: False-alarm rate of the calibrated threshold for ``contamination="auto"``.
    _AUTO_LEVEL = 0.05

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder on X and set the outlier threshold.

        With ``calibration`` set, a random fraction of the rows is held out of
        training and calibrates the threshold (see the class description).
        Fitting is one transaction: if it fails, the estimator is left as it
        was before the call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (mostly normal rows). Not modified.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        if self.calibration is None:
            return self._fit(X)
        X_train, X_cal = self._calibration_split(X)
        # _after_training scores the held-out rows; _fit restores the estimator's
        # attributes (this one included) on failure, and it is removed either way.
        self._calibration_rows = X_cal
        try:
            return self._fit(X_train)
        finally:
            del self._calibration_rows

    def _level(self):
        """False-alarm rate of the calibrated threshold."""
        return self._AUTO_LEVEL if self.contamination == "auto" else float(self.contamination)

    @staticmethod
    def _n_flagged(level, n_cal):
        """Largest number of calibration scores at or below a flagged row's score.

        A row is flagged when its p-value ``(1 + k) / (n_cal + 1) <= level``,
        i.e. when ``k <= floor(level * (n_cal + 1)) - 1`` (negative: never).
        """
        return math.floor(level * (n_cal + 1) + 1e-9) - 1

    def _calibration_split(self, X):
        """Split X into training and held-out calibration rows, before any fitting."""
        X = _from_torch(X)
        n_samples = _num_samples(X)
        n_cal = math.ceil(self.calibration * n_samples)
        if n_samples - n_cal < 2:
            raise ValueError(
                f"calibration={self.calibration} holds out {n_cal} of n_samples={n_samples} "
                "rows and leaves fewer than 2 to train on. Pass more samples or a smaller "
                "calibration fraction."
            )
        level = self._level()
        if self._n_flagged(level, n_cal) < 0:
            needed = math.ceil(1.0 / level - 1.0 - 1e-9)
            raise ValueError(
                f"calibration={self.calibration} holds out {n_cal} of n_samples={n_samples} "
                f"rows, too few for the false-alarm rate {level:g} (contamination="
                f"{self.contamination!r}): the smallest possible p-value is 1/{n_cal + 1}, so "
                f"no row could ever be flagged. Hold out at least {needed} rows (more samples "
                "or a larger calibration fraction) or use a larger contamination."
            )
        perm = check_random_state(self.random_state).permutation(n_samples)
        X_cal = _safe_indexing(X, np.sort(perm[:n_cal]))
        # Fail before training on held-out rows that could not be scored.
        check_array(X_cal, dtype=[np.float64, np.float32], ensure_all_finite=True)
        return _safe_indexing(X, np.sort(perm[n_cal:])), X_cal

    def _after_training(self, X):
        # the score the statistics and the threshold below are fitted for; later
        # set_params(outlier_score=...) changes nothing until the next fit
        self.outlier_score_ = self.outlier_score
        self._fit_score_statistics(X)
        held_out = getattr(self, "_calibration_rows", None)
        if held_out is not None:
            X_cal = self._validate_X(held_out, reset=False)
            cal = np.sort(self._scores(X_cal))
            offset = float(cal[self._n_flagged(self._level(), len(cal))])
            self.calibration_scores_ = cal
            self.offset_ = offset
            return
        scores = self._scores(X)
        if self.contamination == "auto":
            q1, q3 = np.percentile(-scores, [25.0, 75.0])
            self.offset_ = float(-(q3 + 1.5 * (q3 - q1)))
        else:
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))
        self.calibration_scores_ = None

    def _anchored_min_batch(self):
        # Batches of 32 on small tables: with 64, mean ODDS test ROC-AUC fell from
        # 0.835 to 0.827, below IsolationForest's 0.830 (benchmarks/outliers.py, 3 seeds).
        return 32

    def _init_candidates(self, X):
        """``init="auto"``: the PCA-anchored start alone, where it applies.

        Its codes start as whitened PCA scores, so the latent term of the
        combined score refines Hotelling's T²; a random start's codes carry no
        such geometry, and choosing between starts by validation
        reconstruction error rewards reconstructing every row well, outliers
        included, which is not a detector's goal. (One network also halves
        the fit time.)
        """
        candidates = super()._init_candidates(X)
        return candidates[:1] if self.init == "auto" else candidates

    def _fit_score_statistics(self, X):
        """The training rows' residual variance per feature and code distribution.

        ``outlier_score="combined"`` reads them (``residual_var_``, ``latent_mean_``,
        ``latent_precision_``); they are set for both scores, so that the
        explanations and ``outlier_score`` can be switched by ``set_params`` + ``fit``.
        One streamed pass over ``X`` (see :func:`~skae._score_statistics.score_statistics`).
        """
        self.residual_var_, self.latent_mean_, self.latent_precision_ = score_statistics(
            self._map, X, self.n_components_
        )

    def _feature_terms(self, X, rec):
        """Per-feature terms of ``X`` given its reconstruction, scaled for ``outlier_score``."""
        terms = (X - rec) ** 2
        if self.outlier_score_ == "combined":
            scaled = terms.astype(np.float64) / (self.residual_var_ * self.n_features_in_)
            terms = scaled.astype(terms.dtype)
        return terms

    def _latent_term(self, Z):
        """``T^2 / k`` of codes ``Z``: squared Mahalanobis distance (1 on average in training)."""
        dz = Z.astype(np.float64) - self.latent_mean_
        return np.einsum("ij,jk,ik->i", dz, self.latent_precision_, dz) / dz.shape[1]

    def _scores_of(self, X, Z, rec):
        """``score_samples`` of ``X`` from its codes and reconstruction (float64)."""
        total = self._feature_terms(X, rec).astype(np.float64).sum(axis=1)
        if self.outlier_score_ == "combined":
            total += self._latent_term(Z)
        else:
            total /= self.n_features_in_
        return -total

    def _scores(self, X):
        """``score_samples`` of validated ``X`` (float64), one pass through the network.

        Streams: each chunk of rows is encoded, decoded and scored before the
        next, so memory stays one chunk besides the scores (a ``np.memmap`` of
        millions of rows is scored like ``transform`` maps it).
        """

        def score(module, xb):
            z = module.encode(xb)
            rec = module.decode(z)
            scores = self._scores_of(xb.cpu().numpy(), z.cpu().numpy(), rec.cpu().numpy())
            return torch.from_numpy(scores)[:, None]

        return self._map(X, 1, score, out_dtype=np.float64)[:, 0]

    def score_samples(self, X):
        """Outlier score of each row: the lower, the more abnormal.

        With ``outlier_score="combined"`` (the default) it is minus the sum of two
        terms, each 1 on average over the training rows: the reconstruction
        term ``mean_j (x_j - x̂_j)^2 / residual_var_[j]`` (off the learned
        manifold, per feature relative to how well that feature is usually
        reconstructed) and the latent term ``T^2 / n_components_``, the squared
        Mahalanobis distance of the row's code to the training codes (on the
        manifold but in an unusual place). With ``outlier_score="reconstruction"`` it
        is minus the mean squared reconstruction error.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The negated outlier score, in float64.
        """
        check_is_fitted(self)
        return self._scores(self._validate_X(X, reset=False))

    def score_pvalues(self, X):
        """Split-conformal p-value of each row: small values are outliers.

        Available when the detector was fitted with ``calibration`` set. The
        p-value of a row is ``(1 + k) / (n_cal + 1)``, where ``k`` of the
        ``n_cal`` held-out calibration rows have a reconstruction error at
        least as large as the row's. For a normal row exchangeable with the
        calibration rows, ``P(p-value <= a) <= a`` for every level ``a``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        pvalues : ndarray of shape (n_samples,)
            P-values in ``[1 / (n_cal + 1), 1]``, in float64.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the detector is not fitted, or was fitted with ``calibration=None``.

        Examples
        --------
        >>> import numpy as np
        >>> from skae import AutoencoderOutlierDetector
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(400, 4)) @ rng.normal(size=(4, 6))
        >>> det = AutoencoderOutlierDetector(n_components=2, calibration=0.25,
        ...                                  max_epochs=5, random_state=0).fit(X)
        >>> det.calibration_scores_.shape
        (100,)
        >>> p = det.score_pvalues(X[:5])
        >>> bool(((p > 0) & (p <= 1)).all())
        True
        >>> bool(np.array_equal(det.predict(X[:5]) == -1, p <= 0.05))
        True
        """
        check_is_fitted(self)
        cal = getattr(self, "calibration_scores_", None)
        if cal is None:
            raise NotFittedError(
                f"This {type(self).__name__} was fitted with calibration=None: score_pvalues "
                "needs scores of rows held out from training. Set calibration (e.g. "
                "calibration=0.2) and fit again."
            )
        scores = self.score_samples(X).astype(np.float64)
        # k = calibration scores at most the row's (reconstruction error at least as large)
        k = np.searchsorted(cal, scores, side="right")
        return (1.0 + k) / (len(cal) + 1.0)

    def feature_scores(self, X):
        """Per-feature contributions to each row's outlier score.

        With ``outlier_score="reconstruction"``, the contribution of a feature is its
        squared reconstruction residual in the input's units, and the row mean
        of ``feature_scores(X)`` equals ``-score_samples(X)``. With
        ``outlier_score="combined"``, it is the feature's term of the reconstruction
        part, ``(x_j - x̂_j)^2 / (residual_var_[j] * n_features_in_)``, and the
        row sum of ``feature_scores(X)`` plus the latent term (the code's
        squared Mahalanobis distance over ``n_components_``) equals
        ``-score_samples(X)``: large values show which features make a row an
        outlier; a row whose score comes mostly from the latent term is made
        of usual features in an unusual combination.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_features)
            The contributions, in X's floating dtype.

        See Also
        --------
        top_features : The largest contributions of each row, as a table.

        Examples
        --------
        >>> import numpy as np
        >>> from skae import AutoencoderOutlierDetector
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
        >>> det = AutoencoderOutlierDetector(n_components=2, max_epochs=5,
        ...                                  random_state=0).fit(X)
        >>> contributions = det.feature_scores(X[:3])
        >>> contributions.shape
        (3, 5)
        >>> det = det.set_params(outlier_score="reconstruction").fit(X)
        >>> bool(np.allclose(det.feature_scores(X[:3]).mean(axis=1), -det.score_samples(X[:3])))
        True
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return self._feature_terms(X, self._reconstruct(X))

    def top_features(self, X, k=3):
        """The ``k`` features that contribute most to each row's score, as a table.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        k : int, default=3
            Number of features per row, from 1 to ``n_features_in_``.

        Returns
        -------
        table : pandas.DataFrame
            One row per sample and rank (``n_samples * k`` rows), ordered by
            sample then rank, with columns ``sample`` (row position in X),
            ``rank`` (1 for the largest contribution, ties in feature order),
            ``feature`` (name from ``feature_names_in_``, else ``"x0"``,
            ``"x1"``, ...), ``score`` (the feature's contribution, from
            :meth:`feature_scores`) and ``share`` (its fraction of the row's
            total contribution; 0 for a row reconstructed exactly).

        See Also
        --------
        feature_scores : The contributions of every feature.

        Examples
        --------
        >>> import numpy as np
        >>> from skae import AutoencoderOutlierDetector
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
        >>> det = AutoencoderOutlierDetector(n_components=2, max_epochs=5,
        ...                                  random_state=0).fit(X)
        >>> table = det.top_features(X[:2], k=2)
        >>> list(table.columns)
        ['sample', 'rank', 'feature', 'score', 'share']
        >>> table[["sample", "rank"]].to_numpy().tolist()
        [[0, 1], [0, 2], [1, 1], [1, 2]]
        """
        check_is_fitted(self)
        n_features = self.n_features_in_
        if not (
            isinstance(k, (int, np.integer))
            and not isinstance(k, (bool, np.bool_))
            and 1 <= k <= n_features
        ):
            raise ValueError(
                f"k must be an integer from 1 to n_features_in_={n_features}, got {k!r}."
            )
        import pandas as pd

        scores = self.feature_scores(X)
        n_samples = scores.shape[0]
        k = int(k)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(scores, order, axis=1)
        total = scores.sum(axis=1, keepdims=True, dtype=np.float64)
        share = np.divide(top, total, out=np.zeros(top.shape), where=total > 0)
        names = np.asarray(_check_feature_names_in(self, None), dtype=object)
        return pd.DataFrame(
            {
                "sample": np.repeat(np.arange(n_samples, dtype=np.int64), k),
                "rank": np.tile(np.arange(1, k + 1, dtype=np.int64), n_samples),
                "feature": names[order.ravel()],
                "score": top.ravel(),
                "share": share.ravel(),
            }
        )

    def decision_function(self, X):
        """Shifted score: negative values are outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each row as inlier (+1) or outlier (-1).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 for inliers, -1 for outliers.
        """
        check_is_fitted(self)
        return np.where(self.decision_function(X) < 0, -1, 1)
