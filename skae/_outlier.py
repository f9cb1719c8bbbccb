# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Outlier detection by reconstruction error."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import OutlierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import BaseAutoencoder
from ._docs import COMMON_ATTRIBUTES_DOC, COMMON_PARAMS_DOC

__all__ = ["AutoencoderOutlierDetector"]


class AutoencoderOutlierDetector(OutlierMixin, BaseAutoencoder):
    __doc__ = (
        """Outlier detection by autoencoder reconstruction error.

    The autoencoder is trained on (mostly normal) data; rows it reconstructs
    badly are outliers. Follows scikit-learn's outlier-detector API, like
    :class:`~sklearn.ensemble.IsolationForest`: ``score_samples`` is the
    negative mean squared reconstruction error (higher is more normal),
    ``decision_function = score_samples - offset_`` (negative is an outlier),
    ``predict`` gives +1 for inliers and -1 for outliers.

    Every architecture option of :class:`AutoencoderTransformer` is
    available (dense, convolutional, denoising, sparse).

    Parameters
    ----------"""
        + COMMON_PARAMS_DOC
        + """
    contamination : "auto" or float, default="auto"
        Expected fraction of outliers in the training data. With a float in
        (0, 0.5], ``offset_`` is that quantile of the training scores, so that
        fraction of the training rows is flagged. With ``"auto"`` the threshold
        is Tukey's upper fence on the training reconstruction errors,
        ``Q3 + 1.5 * IQR`` (the box-plot outlier rule).

    Attributes
    ----------"""
        + COMMON_ATTRIBUTES_DOC
        + """
    offset_ : float
        Threshold on ``score_samples``: ``decision_function = score_samples -
        offset_``.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Isolation-based outlier detection.
    AutoencoderTransformer : The underlying autoencoder as a transformer.

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

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        contamination="auto",
        architecture="mlp",
        hidden_layer_sizes=(512, 256),
        activation="relu",
        output_activation="auto",
        dropout=0.0,
        batch_norm=False,
        input_shape=None,
        conv_channels=(32, 64),
        kernel_size=3,
        downsample="maxpool",
        noise=None,
        noise_level=0.1,
        latent_l1=0.0,
        loss="auto",
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        batch_size="auto",
        max_epochs=200,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        precision="32",
        compile=False,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        accelerator=None,
        warm_start=False,
        encoder=None,
        decoder=None,
        init="auto",
        n_jobs=None,
    ):
        self.n_components = n_components
        self.contamination = contamination
        self.architecture = architecture
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.input_shape = input_shape
        self.conv_channels = conv_channels
        self.kernel_size = kernel_size
        self.downsample = downsample
        self.noise = noise
        self.noise_level = noise_level
        self.latent_l1 = latent_l1
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.precision = precision
        self.compile = compile
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.accelerator = accelerator
        self.warm_start = warm_start
        self.encoder = encoder
        self.decoder = decoder
        self.init = init
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder on X and set the outlier threshold.

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
        return self._fit(X)

    def _after_training(self, X):
        scores = -self._squared_error(X)
        if self.contamination == "auto":
            q1, q3 = np.percentile(-scores, [25.0, 75.0])
            self.offset_ = float(-(q3 + 1.5 * (q3 - q1)))
        else:
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))

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
