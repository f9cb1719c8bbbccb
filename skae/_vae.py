# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The variational autoencoder transformer."""

from __future__ import annotations

from numbers import Real

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_is_fitted

from ._docs import COMMON_ATTRIBUTES_DOC
from ._params import make_init, parameter_constraints, parameters_doc
from ._transformer import LATENT_PARAMETERS, LATENT_PARAMETERS_DOC, AutoencoderTransformer

__all__ = ["VariationalAutoencoderTransformer"]


class VariationalAutoencoderTransformer(AutoencoderTransformer):
    __doc__ = (
        """Variational autoencoder (β-VAE) with a diagonal Gaussian latent.

    The encoder outputs a posterior mean and log-variance per component; the
    code is sampled with the reparameterisation trick during training and the
    loss adds ``beta`` times the KL divergence to the standard normal prior
    (per input element, like the reconstruction term). ``transform`` returns
    the posterior mean (deterministic), ``inverse_transform`` decodes codes and
    :meth:`sample` draws new rows from the prior. ``score`` is the negative
    mean squared reconstruction error, as for
    :class:`AutoencoderTransformer`, so both compare with PCA in a
    :class:`~sklearn.model_selection.GridSearchCV`.

    Parameters
    ----------"""
        + parameters_doc(
            """
    beta : float, default=1.0
        Weight of the KL term (``beta > 1`` gives a β-VAE).
"""
            + LATENT_PARAMETERS_DOC
        )
        + """
    Attributes
    ----------"""
        + COMMON_ATTRIBUTES_DOC
        + """
    See Also
    --------
    AutoencoderTransformer : Deterministic autoencoder.

    Notes
    -----
    The per-epoch reconstruction and KL terms are recorded in ``net_.history``
    as ``train_reconstruction``, ``train_kl`` (and ``valid_*`` with early
    stopping).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import VariationalAutoencoderTransformer
    >>> X = load_digits().data / 16.0
    >>> vae = VariationalAutoencoderTransformer(n_components=2, max_epochs=3, random_state=0)
    >>> vae.fit(X).transform(X).shape
    (1797, 2)
    >>> vae.sample(4, random_state=0).shape
    (4, 64)
    >>> "train_kl" in vae.net_.history[-1]
    True
    """
    )

    _own_parameters = {
        "beta": (1.0, [Interval(Real, 0, None, closed="left")]),
        **LATENT_PARAMETERS,
    }
    _parameter_constraints: dict = parameter_constraints(_own_parameters)
    __init__ = make_init(
        _own_parameters, qualname="VariationalAutoencoderTransformer", module=__module__
    )

    # Hooks of BaseAutoencoder: what makes this autoencoder variational.
    def _anchorable(self):
        return False  # the anchored module is deterministic

    def _module_options(self):
        return {"variational": True}

    def _code_width(self):
        return 2 * self.n_components_  # posterior means and log-variances

    def _log_terms(self):
        return ["reconstruction", "kl", *super()._log_terms()]

    def _criterion_options(self):
        return {"beta": self.beta}

    @validate_params(
        {"n_samples": [Interval(Real, 1, None, closed="left")], "random_state": ["random_state"]},
        prefer_skip_nested_validation=True,
    )
    def sample(self, n_samples=1, random_state=None):
        """Draw new rows by decoding codes sampled from the standard normal prior.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seed of the prior samples; an int makes the draw reproducible.

        Returns
        -------
        X_new : ndarray of shape (n_samples, `n_features_in_`)
            Generated rows in the units of the training data (float64).
        """
        check_is_fitted(self)
        if int(n_samples) != n_samples:
            raise ValueError(f"n_samples must be an integer, got {n_samples!r}.")
        rng = check_random_state(random_state)
        Z = rng.standard_normal((int(n_samples), self.n_components_))
        with torch.inference_mode():
            return self._decode(np.asarray(Z, dtype=np.float64))
