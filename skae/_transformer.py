# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The autoencoder as a scikit-learn transformer."""

from __future__ import annotations

from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from ._base import BaseAutoencoder
from ._docs import COMMON_ATTRIBUTES_DOC
from ._io import IOMixin
from ._params import make_init, parameter_constraints, parameters_doc

__all__ = ["AutoencoderTransformer"]


class AutoencoderTransformer(
    IOMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseAutoencoder
):
    __doc__ = (
        """Autoencoder for dimensionality reduction, trained through skorch.

    The encoder maps each row to ``n_components`` codes (``transform``) and the
    decoder maps codes back to rows (``inverse_transform``), like
    :class:`~sklearn.decomposition.PCA` but non-linear. ``score`` is the
    negative mean squared reconstruction error, so :class:`GridSearchCV`
    can choose ``n_components`` with no scorer.

    Parameters
    ----------"""
        + parameters_doc()
        + """
    Attributes
    ----------"""
        + COMMON_ATTRIBUTES_DOC
        + """
    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    VariationalAutoencoderTransformer : Variational autoencoder.
    AutoencoderOutlierDetector : Outlier detection by reconstruction error.

    Notes
    -----
    Training runs in float32. ``transform``, ``inverse_transform`` and
    ``score_samples`` compute in the input's dtype (float32 or float64) and
    return it, in chunks of 4096 rows under :func:`torch.inference_mode`, so
    memory stays bounded for large inputs. Sparse input is refused with a
    ``TypeError``: densify it first (autoencoders have no sparse fast path).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> ae = AutoencoderTransformer(n_components=8, max_epochs=5, random_state=0)
    >>> Z = ae.fit_transform(X)
    >>> Z.shape
    (1797, 8)
    >>> ae.inverse_transform(Z).shape
    (1797, 64)
    >>> ae.score(X) < 0
    True
    """
    )

    _parameter_constraints: dict = parameter_constraints()
    __init__ = make_init(qualname="AutoencoderTransformer", module=__module__)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. Not modified.
        y : Ignored
            Not used, present so the transformer fits in a supervised
            :class:`~sklearn.pipeline.Pipeline`.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._fit(X)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one pass over X, keeping the network and optimizer state.

        Like :meth:`sklearn.decomposition.IncrementalPCA.partial_fit`: feed a
        dataset larger than memory chunk by chunk. The first call builds the
        network and fixes ``n_features_in_``, the output activation and the
        standardisation from its rows, so make the first chunk representative
        (or set ``output_activation`` explicitly). No validation split is made
        and early stopping does not apply.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data. Not modified.
        y : Ignored
            Not used.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        return self._fit(X, partial=True)

    def transform(self, X):
        """Encode X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            Codes, in X's floating dtype (float32 or float64).
        """
        check_is_fitted(self)
        return self._encode(self._validate_X(X, reset=False))

    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, `n_features_in_`)
            Reconstructions in the units of the training data.
        """
        return self._decode(self._check_codes(X))

    def score(self, X, y=None):
        """Negative mean squared reconstruction error, in the input's units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        y : Ignored
            Not used.

        Returns
        -------
        score : float
            Higher is better, so :class:`~sklearn.model_selection.GridSearchCV`
            picks the best ``n_components`` without a scorer.
        """
        return float(self.score_samples(X).mean())

    @property
    def _n_features_out(self):
        check_is_fitted(self)
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
