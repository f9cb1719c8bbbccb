# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The dense parts of skae.nn: MLP, MLPEncoder and MLPDecoder."""

import itertools

import pytest
import torch
from torch import nn

from skae.nn import (
    MLP,
    MLPDecoder,
    MLPEncoder,
)

from .conftest import linear_shapes


@pytest.mark.parametrize("hidden", [(), (8,), (8, 4), (5, 7, 3)])
def test_mlp_layer_layout(hidden):
    mlp = MLP(10, 2, hidden)
    widths = [10, *hidden, 2]
    assert linear_shapes(mlp) == list(itertools.pairwise(widths))
    # 4 modules per hidden block (Linear, norm, activation, dropout) + final Linear
    layers = list(mlp.layers)
    assert len(layers) == 4 * len(hidden) + 1
    for i in range(len(hidden)):
        block = layers[4 * i : 4 * i + 4]
        assert [type(m) for m in block] == [nn.Linear, nn.Identity, nn.ReLU, nn.Identity]
    assert isinstance(layers[-1], nn.Linear)
    assert (mlp.in_features, mlp.out_features) == (10, 2)
    assert mlp(torch.randn(3, 10)).shape == (3, 2)


def test_mlp_output_is_linear():
    mlp = MLP(4, 3, (8,))
    # The last layer has no activation: outputs can be negative and unbounded.
    out = mlp(torch.randn(200, 4) * 10)
    assert (out < 0).any() and (out > 0).any()


def test_mlp_batch_norm_dropout_activation():
    mlp = MLP(6, 2, (8, 4), activation=nn.Tanh, batch_norm=True, dropout=0.25)
    layers = list(mlp.layers)
    for i, width in enumerate((8, 4)):
        lin, norm, act, drop = layers[4 * i : 4 * i + 4]
        assert isinstance(lin, nn.Linear) and lin.out_features == width
        assert isinstance(norm, nn.BatchNorm1d) and norm.num_features == width
        assert isinstance(act, nn.Tanh)
        assert isinstance(drop, nn.Dropout) and drop.p == 0.25
    # each hidden block gets its own activation instance
    acts = [m for m in mlp.modules() if isinstance(m, nn.Tanh)]
    assert len(acts) == 2 and acts[0] is not acts[1]


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((4, 2, (8,)), dict(dropout=1.0), "dropout"),
        ((4, 2, (8,)), dict(dropout=-0.1), "dropout"),
        ((4, 2, (0,)), dict(), "positive"),
        ((0, 2, (8,)), dict(), "positive"),
        ((4, 0, (8,)), dict(), "positive"),
    ],
)
def test_mlp_rejects_bad_sizes(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLP(*args, **kwargs)


@pytest.mark.parametrize("hidden", [(), (16,), (16, 8), (12, 8, 4)])
def test_decoder_mirrors_encoder(hidden):
    enc = MLPEncoder(20, 3, hidden)
    dec = MLPDecoder(20, 3, hidden)
    enc_shapes = linear_shapes(enc)
    dec_shapes = linear_shapes(dec)
    assert dec_shapes == [(b, a) for a, b in reversed(enc_shapes)]
    x = torch.randn(5, 20)
    assert enc(x).shape == (5, 3)
    assert dec(enc(x)).shape == (5, 20)


def test_encoder_decoder_default_sizes():
    assert linear_shapes(MLPEncoder(30, 2)) == [(30, 256), (256, 128), (128, 2)]
    assert linear_shapes(MLPDecoder(30, 2)) == [(2, 128), (128, 256), (256, 30)]
