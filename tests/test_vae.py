# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""VariationalAutoencoderTransformer: what its hooks change, ``beta``, ``sample``."""

import numpy as np
import pytest
import torch

from skae import VariationalAutoencoderTransformer
from skae.nn import VariationalAutoencoder

TINY = dict(hidden_layer_sizes=(16,), max_epochs=3, random_state=0)


def test_builds_a_variational_module_with_a_double_width_encoder(X_unit):
    vae = VariationalAutoencoderTransformer(n_components=3, **TINY).fit(X_unit)
    module = vae.net_.module_
    assert isinstance(module, VariationalAutoencoder)
    with torch.no_grad():
        out = module.encoder(torch.zeros(2, X_unit.shape[1]))
    assert out.shape == (2, 6)  # posterior means and log-variances
    assert vae.transform(X_unit).shape == (len(X_unit), 3)
    assert vae.init_ == "random"  # the PCA-anchored module is deterministic


def test_init_pca_is_refused_before_training(X_unit):
    with pytest.raises(ValueError, match="non-variational"):
        VariationalAutoencoderTransformer(init="pca", **TINY).fit(X_unit)
    assert not hasattr(VariationalAutoencoderTransformer(), "net_")


def test_kl_and_reconstruction_terms_are_logged(X_unit):
    vae = VariationalAutoencoderTransformer(**TINY).fit(X_unit)
    row = vae.net_.history[-1]
    for key in ("train_kl", "train_reconstruction", "valid_kl", "valid_reconstruction"):
        assert key in row and np.isfinite(row[key])


def test_beta_weights_the_kl_term(X_unit):
    """The training loss is reconstruction + beta * KL (per element)."""
    vae = VariationalAutoencoderTransformer(beta=0.0, early_stopping=False, **TINY).fit(X_unit)
    row = vae.net_.history[-1]
    np.testing.assert_allclose(row["train_loss"], row["train_reconstruction"], rtol=1e-5)
    vae = VariationalAutoencoderTransformer(beta=3.0, early_stopping=False, **TINY).fit(X_unit)
    row = vae.net_.history[-1]
    np.testing.assert_allclose(
        row["train_loss"], row["train_reconstruction"] + 3.0 * row["train_kl"], rtol=1e-4
    )


def test_transform_is_the_deterministic_posterior_mean(X_unit):
    vae = VariationalAutoencoderTransformer(**TINY).fit(X_unit)
    np.testing.assert_array_equal(vae.transform(X_unit), vae.transform(X_unit))


def test_sample(X_unit):
    vae = VariationalAutoencoderTransformer(**TINY).fit(X_unit)
    a = vae.sample(5, random_state=0)
    assert a.shape == (5, X_unit.shape[1]) and a.dtype == np.float64
    np.testing.assert_array_equal(a, vae.sample(5, random_state=0))
    assert not np.array_equal(a, vae.sample(5, random_state=1))
    # sigmoid output for [0, 1] data: samples stay in range
    assert a.min() >= 0.0 and a.max() <= 1.0
    state = torch.get_rng_state()
    vae.sample(3)
    assert torch.equal(state, torch.get_rng_state())
    with pytest.raises(ValueError, match="integer"):
        vae.sample(2.5)
