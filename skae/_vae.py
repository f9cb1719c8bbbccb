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

from ._docs import COMMON_ATTRIBUTES_DOC, COMMON_PARAMS_DOC
from ._transformer import AutoencoderTransformer

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
        + COMMON_PARAMS_DOC
        + """
    beta : float, default=1.0
        Weight of the KL term (``beta > 1`` gives a β-VAE).

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

    _parameter_constraints: dict = {
        **AutoencoderTransformer._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        beta=1.0,
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
        super().__init__(
            n_components=n_components,
            architecture=architecture,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            output_activation=output_activation,
            dropout=dropout,
            batch_norm=batch_norm,
            input_shape=input_shape,
            conv_channels=conv_channels,
            kernel_size=kernel_size,
            downsample=downsample,
            noise=noise,
            noise_level=noise_level,
            latent_l1=latent_l1,
            loss=loss,
            optimizer=optimizer,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            batch_size=batch_size,
            max_epochs=max_epochs,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            precision=precision,
            compile=compile,
            device=device,
            random_state=random_state,
            verbose=verbose,
            callbacks=callbacks,
            accelerator=accelerator,
            warm_start=warm_start,
            encoder=encoder,
            decoder=decoder,
            init=init,
            n_jobs=n_jobs,
        )
        self.beta = beta

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
