# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The PCA-anchored parts: PCA computed in the module, an untrained model is exactly PCA."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from skae.nn import (
    AnchoredDecoder,
    AnchoredEncoder,
    Autoencoder,
    Clip,
    MLPDecoder,
    MLPEncoder,
    build_autoencoder,
    fit_pca,
)


@pytest.fixture
def X():
    rng = np.random.RandomState(0)
    # correlated columns of very different scales, plus a constant one
    X = rng.randn(200, 6) @ rng.randn(6, 6) * [1, 2, 5, 0.1, 1, 3] + 4.0
    return np.hstack([X, np.full((200, 1), 2.0)])


def test_fit_pca_matches_scikit_learn(X):
    X_before = X.copy()
    mean, components, variances = fit_pca(X, 3, chunk_rows=7)  # chunks must not matter
    np.testing.assert_array_equal(X, X_before)  # the data are never modified
    pca = PCA(3).fit(X)
    np.testing.assert_allclose(mean.numpy(), pca.mean_, rtol=1e-10)
    np.testing.assert_allclose(variances.numpy(), pca.explained_variance_, rtol=1e-8)
    # same subspace, same sign convention
    np.testing.assert_allclose(components.numpy(), pca.components_, atol=1e-8)


@pytest.mark.parametrize(
    "bad, k, match",
    [
        (np.array([[1.0, np.nan], [2.0, 3.0]]), 1, "NaN or infinity"),
        (np.array([[1.0, np.inf], [2.0, 3.0]]), 1, "NaN or infinity"),
        (np.ones(3), 1, "2-D"),
        (np.ones((0, 3)), 1, "no rows"),
        (np.ones((4, 2)), 3, r"n_components must be in \[1, 2\]"),
    ],
)
def test_fit_pca_refuses_bad_input(bad, k, match):
    with pytest.raises(ValueError, match=match):
        fit_pca(bad, k)


def test_fit_pca_with_shift_and_scale(X):
    shift, scale = X.mean(axis=0), X.std(axis=0) + 1.0
    _, c1, v1 = fit_pca(X, 2, shift=shift, scale=scale)
    _, c2, v2 = fit_pca((X - shift) / scale, 2)
    torch.testing.assert_close(c1, c2)
    torch.testing.assert_close(v1, v2)


@pytest.mark.parametrize("n_components", [1, 3, 7])
def test_untrained_anchored_autoencoder_is_pca(X, n_components):
    ae = build_autoencoder(7, n_components, hidden_layer_sizes=(16, 8), init="pca").double()
    assert ae.init_pca_(X)
    rec = ae.decode(ae.encode(torch.as_tensor(X))).detach().numpy()
    pca = PCA(n_components).fit(X)
    np.testing.assert_allclose(rec, pca.inverse_transform(pca.transform(X)), atol=1e-9)


def test_more_components_than_features_start_unused(X):
    ae = build_autoencoder(7, 9, hidden_layer_sizes=(8,), init="pca").double()
    ae.init_pca_(X)
    Z = ae.encode(torch.as_tensor(X)).detach().numpy()
    np.testing.assert_array_equal(Z[:, 7:], 0)
    rec = ae.decode(torch.as_tensor(Z)).detach().numpy()
    np.testing.assert_allclose(rec, X, atol=1e-9)  # all 7 components: exact


def test_codes_start_whitened(X):
    ae = build_autoencoder(7, 3, hidden_layer_sizes=(8,), init="pca").double()
    ae.init_pca_(X)
    Z = ae.encode(torch.as_tensor(X)).detach().numpy()
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(Z.std(axis=0, ddof=1), 1, rtol=1e-8)


def test_corrections_start_at_zero_and_train():
    enc = AnchoredEncoder(5, 2, MLPEncoder(5, 2, (8,)))
    dec = AnchoredDecoder(5, 2, MLPDecoder(5, 2, (8,)))
    assert torch.equal(enc.correction(torch.randn(4, 5)), torch.zeros(4, 2))
    assert torch.equal(dec.correction(torch.randn(4, 2)), torch.zeros(4, 5))
    # the zeroed layers still receive gradients
    x = torch.randn(16, 5)
    loss = ((dec(enc(x) + 1.0) - x) ** 2).mean()
    loss.backward()
    assert dec.correction.layers[-1].weight.grad.abs().sum() > 0


def test_plain_parts_are_not_anchored(X):
    ae = build_autoencoder(7, 2, hidden_layer_sizes=(8,))
    assert isinstance(ae.encoder, MLPEncoder) and isinstance(ae.decoder, MLPDecoder)
    assert not ae.init_pca_(X)


@pytest.mark.parametrize(
    "kwargs",
    [dict(architecture="conv", input_shape=(1, 7, 1)), dict(variational=True)],
    ids=["conv", "variational"],
)
def test_pca_init_needs_a_dense_plain_autoencoder(kwargs):
    with pytest.raises(ValueError, match="init='pca' builds dense"):
        build_autoencoder(7, 2, init="pca", **kwargs)


def test_clip_keeps_its_range_in_the_state_dict():
    clip = Clip(-1.0, 1.0)
    other = Clip()
    other.load_state_dict(clip.state_dict())
    assert torch.equal(other(torch.tensor([-3.0, 0.5, 3.0])), torch.tensor([-1.0, 0.5, 1.0]))
    ae = build_autoencoder(3, 1, output_activation="clip", output_range=(0.0, 1.0), init="pca")
    assert isinstance(ae.output_activation, Clip)
    assert isinstance(ae, Autoencoder)
