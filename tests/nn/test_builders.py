# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""build_autoencoder: dense, conv, variational and custom parts."""

import pytest
import torch
from torch import nn

from skae.nn import (
    Autoencoder,
    ConvDecoder,
    ConvEncoder,
    MaskingNoise,
    MLPDecoder,
    MLPEncoder,
    VariationalAutoencoder,
    build_autoencoder,
)

from .conftest import linear_shapes


def test_build_mlp():
    ae = build_autoencoder(
        10,
        3,
        hidden_layer_sizes=(8, 4),
        activation="gelu",
        output_activation="sigmoid",
        batch_norm=True,
        dropout=0.1,
        noise="masking",
        noise_level=0.2,
    )
    assert type(ae) is Autoencoder
    assert isinstance(ae.encoder, MLPEncoder) and isinstance(ae.decoder, MLPDecoder)
    assert linear_shapes(ae.encoder) == [(10, 8), (8, 4), (4, 3)]
    assert linear_shapes(ae.decoder) == [(3, 4), (4, 8), (8, 10)]
    types = {type(m) for m in ae.modules()}
    assert {nn.GELU, nn.BatchNorm1d, nn.Dropout} <= types
    assert isinstance(ae.output_activation, nn.Sigmoid)
    assert isinstance(ae.noise, MaskingNoise) and ae.noise.p == 0.2
    ae.eval()
    out = ae.decode(ae.encode(torch.rand(5, 10)))
    assert out.shape == (5, 10) and (out >= 0).all() and (out <= 1).all()


@pytest.mark.parametrize("output_activation, cls", [("identity", nn.Identity), ("tanh", nn.Tanh)])
def test_build_output_activation(output_activation, cls):
    ae = build_autoencoder(4, 2, hidden_layer_sizes=(), output_activation=output_activation)
    assert isinstance(ae.output_activation, cls)
    assert linear_shapes(ae) == [(4, 2), (2, 4)]


def test_build_salt_and_pepper_range():
    ae = build_autoencoder(4, 2, noise="salt_and_pepper", noise_level=0.1, noise_range=(-3, 7))
    assert (ae.noise.low, ae.noise.high) == (-3.0, 7.0)


def test_build_conv():
    ae = build_autoencoder(
        64,
        3,
        architecture="conv",
        input_shape=(1, 8, 8),
        conv_channels=(2, 4),
        output_activation="sigmoid",
    )
    assert isinstance(ae.encoder, ConvEncoder) and isinstance(ae.decoder, ConvDecoder)
    x = torch.rand(2, 64)
    assert ae.encode(x).shape == (2, 3)
    assert ae.decode(ae.encode(x)).shape == (2, 64)


def test_build_conv_needs_input_shape():
    with pytest.raises(ValueError, match="needs input_shape"):
        build_autoencoder(64, 3, architecture="conv")


def test_build_unknown_architecture():
    with pytest.raises(ValueError, match="Unknown architecture 'rnn'"):
        build_autoencoder(64, 3, architecture="rnn")


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_build_variational(architecture):
    ae = build_autoencoder(
        16,
        3,
        architecture=architecture,
        hidden_layer_sizes=(8,),
        input_shape=(1, 4, 4),
        conv_channels=(2,),
        variational=True,
    )
    assert type(ae) is VariationalAutoencoder
    x = torch.rand(5, 16)
    assert ae.encoder(x).shape == (5, 6)  # mean and log-variance
    assert ae.encode(x).shape == (5, 3)
    ae.eval()
    logits, z, mean, log_var = ae(x)
    assert logits.shape == (5, 16) and z.shape == mean.shape == log_var.shape == (5, 3)


class _Part(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.args = (n_in, n_out)
        self.lin = nn.Linear(n_in, n_out)

    def forward(self, x):
        return self.lin(x)


@pytest.mark.parametrize("variational, n_code", [(False, 3), (True, 6)])
def test_build_custom_classes(variational, n_code):
    ae = build_autoencoder(10, 3, encoder=_Part, decoder=_Part, variational=variational)
    assert isinstance(ae.encoder, _Part) and isinstance(ae.decoder, _Part)
    assert ae.encoder.args == (10, n_code)
    assert ae.decoder.args == (3, 10)


def test_build_custom_instances_are_copied():
    enc, dec = nn.Linear(10, 3), nn.Linear(3, 10)
    ae = build_autoencoder(10, 3, encoder=enc, decoder=dec)
    assert ae.encoder is not enc and ae.decoder is not dec
    torch.testing.assert_close(ae.encoder.weight, enc.weight)
    with torch.no_grad():
        ae.encoder.weight.add_(1.0)
    assert not torch.equal(ae.encoder.weight, enc.weight)


def test_build_mixed_custom_and_builtin():
    ae = build_autoencoder(10, 3, hidden_layer_sizes=(8,), encoder=nn.Linear(10, 3))
    assert isinstance(ae.encoder, nn.Linear)
    assert isinstance(ae.decoder, MLPDecoder)
    assert linear_shapes(ae.decoder) == [(3, 8), (8, 10)]


def test_build_custom_part_errors():
    with pytest.raises(TypeError, match=r"encoder must be a torch\.nn\.Module"):
        build_autoencoder(10, 3, encoder=int)
    with pytest.raises(TypeError, match=r"decoder must be a torch\.nn\.Module"):
        build_autoencoder(10, 3, decoder="linear")
