# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
import functools
import pickle

import pytest
import torch
from torch import nn

from skae.nn._conv import ConvDecoder, ConvEncoder, conv_output_shapes

SHAPES = [(1, 8, 8), (1, 28, 28), (3, 7, 7), (1, 5, 9), (3, 1, 1), (1, 3, 31)]
CHANNELS = [(2,), (2, 3), (2, 3, 4)]


def _pair(input_shape, n_components=3, **kwargs):
    return (
        ConvEncoder(input_shape, n_components, **kwargs),
        ConvDecoder(input_shape, n_components, **kwargs),
    )


@pytest.mark.parametrize("downsample", ["maxpool", "stride"])
@pytest.mark.parametrize("conv_channels", CHANNELS)
@pytest.mark.parametrize("input_shape", SHAPES)
def test_round_trip_shape(input_shape, conv_channels, downsample):
    encoder, decoder = _pair(input_shape, conv_channels=conv_channels, downsample=downsample)
    n_features = input_shape[0] * input_shape[1] * input_shape[2]
    x = torch.randn(2, n_features)
    z = encoder(x)
    assert z.shape == (2, 3)
    assert decoder(z).shape == (2, n_features)
    assert encoder.spatial_shapes == decoder.spatial_shapes
    assert len(encoder.spatial_shapes) == len(conv_channels) + 1


@pytest.mark.parametrize("downsample", ["maxpool", "stride"])
@pytest.mark.parametrize("kernel_size", [1, 3, 5])
@pytest.mark.parametrize("input_shape", [(1, 7, 7), (2, 5, 9), (1, 1, 1), (1, 3, 31)])
def test_recorded_sizes_match_layers(input_shape, kernel_size, downsample):
    # The sizes computed by integer arithmetic are the sizes the layers produce,
    # on the way down (encoder) and on the way up (decoder).
    kwargs = dict(conv_channels=(2, 2, 2), kernel_size=kernel_size, downsample=downsample)
    encoder, decoder = _pair(input_shape, **kwargs)
    h = encoder.unflatten(torch.zeros(1, input_shape[0] * input_shape[1] * input_shape[2]))
    seen = [tuple(h.shape[-2:])]
    for block in encoder.blocks:
        h = block(h)
        seen.append(tuple(h.shape[-2:]))
    assert seen == encoder.spatial_shapes
    assert seen == conv_output_shapes(input_shape, 3, downsample, kernel_size)

    h = decoder.unflatten(decoder.fc_act(decoder.fc(torch.zeros(1, 3))))
    up = [tuple(h.shape[-2:])]
    for block in decoder.blocks:
        h = block(h)
        up.append(tuple(h.shape[-2:]))
    assert up == encoder.spatial_shapes[::-1]


def test_conv_output_shapes_values():
    assert conv_output_shapes((1, 28, 28), 3) == [(28, 28), (14, 14), (7, 7), (4, 4)]
    assert conv_output_shapes((8, 8), 2, "stride") == [(8, 8), (4, 4), (2, 2)]
    assert conv_output_shapes((1, 1), 2) == [(1, 1), (1, 1), (1, 1)]
    assert conv_output_shapes((3, 31), 0) == [(3, 31)]


def test_layer_types_off():
    encoder, decoder = _pair((1, 8, 8))
    for block in [*encoder.blocks, *decoder.blocks]:
        assert isinstance(block.norm, nn.Identity)
        assert isinstance(block.drop, nn.Identity)
        assert isinstance(block.act, nn.ReLU)
        assert block.conv.bias is not None
    for block in encoder.blocks:
        assert isinstance(block.pool, nn.MaxPool2d)
        assert block.conv.stride == (1, 1)
    assert isinstance(decoder.fc_act, nn.ReLU)
    assert decoder.head.out_channels == 1


def test_layer_types_on():
    kwargs = dict(batch_norm=True, dropout=0.25, downsample="stride", activation=nn.GELU)
    encoder, decoder = _pair((3, 8, 8), **kwargs)
    for block in [*encoder.blocks, *decoder.blocks]:
        assert isinstance(block.norm, nn.BatchNorm2d)
        assert isinstance(block.drop, nn.Dropout2d)
        assert block.drop.p == 0.25
        assert isinstance(block.act, nn.GELU)
        assert block.conv.bias is None
    for block in encoder.blocks:
        assert isinstance(block.pool, nn.Identity)
        assert block.conv.stride == (2, 2)
    assert [b.conv.out_channels for b in encoder.blocks] == [32, 64]
    assert [b.conv.out_channels for b in decoder.blocks] == [32, 32]
    assert decoder.head.out_channels == 3


def test_activation_factory():
    encoder = ConvEncoder((1, 4, 4), 2, activation=functools.partial(nn.LeakyReLU, 0.1))
    assert encoder.blocks[0].act.negative_slope == 0.1
    with pytest.raises(TypeError, match="activation"):
        ConvEncoder((1, 4, 4), 2, activation=lambda: 3)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_training_reduces_loss(batch_norm):
    torch.manual_seed(0)
    kwargs = dict(conv_channels=(4, 8), batch_norm=batch_norm)
    encoder, decoder = _pair((1, 6, 6), 4, **kwargs)
    model = nn.Sequential(encoder, decoder)
    x = torch.rand(8, 36)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(15):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), x)
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
    assert all(p.grad is not None for p in model.parameters())
    assert losses[-1] < 0.5 * losses[0]


def test_non_contiguous_input():
    encoder = ConvEncoder((1, 5, 9), 2, conv_channels=(2,)).eval()
    wide = torch.randn(3, 90)
    x = wide[:, ::2]
    assert not x.is_contiguous()
    torch.testing.assert_close(encoder(x), encoder(x.contiguous()))


def test_wrong_number_of_features_raises():
    encoder = ConvEncoder((1, 8, 8), 2, conv_channels=(2,))
    with pytest.raises(RuntimeError):
        encoder(torch.zeros(2, 63))


@pytest.mark.parametrize("cls", [ConvEncoder, ConvDecoder])
@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(input_shape=(8, 8)), "input_shape"),
        (dict(input_shape=(1, 0, 8)), "input_shape"),
        (dict(input_shape=(1, 8, -1)), "input_shape"),
        (dict(input_shape=(1, 8.0, 8)), "input_shape"),
        (dict(n_components=0), "n_components"),
        (dict(n_components=2.5), "n_components"),
        (dict(conv_channels=()), "conv_channels"),
        (dict(conv_channels=(4, 0)), "conv_channels"),
        (dict(conv_channels=8), "conv_channels"),
        (dict(kernel_size=0), "kernel_size"),
        (dict(kernel_size=4), "kernel_size"),
        (dict(downsample="avgpool"), "downsample"),
        (dict(activation="relu"), "activation"),
        (dict(dropout=1.0), "dropout"),
        (dict(dropout=-0.1), "dropout"),
    ],
)
def test_invalid_arguments(cls, kwargs, name):
    params = {"input_shape": (1, 8, 8), "n_components": 2, **kwargs}
    with pytest.raises(ValueError, match=name):
        cls(**params)


def test_conv_output_shapes_invalid():
    with pytest.raises(ValueError, match="n_blocks"):
        conv_output_shapes((8, 8), -1)
    with pytest.raises(ValueError, match="downsample"):
        conv_output_shapes((8, 8), 1, "avg")
    with pytest.raises(ValueError, match="height"):
        conv_output_shapes((0, 8), 1)


def test_pickle_round_trip():
    torch.manual_seed(0)
    kwargs = dict(conv_channels=(2, 3), batch_norm=True, dropout=0.5)
    encoder, decoder = _pair((1, 5, 9), 2, **kwargs)
    x = torch.randn(4, 45)
    # update BatchNorm running stats so they are not the defaults
    nn.Sequential(encoder, decoder).train()(x)
    encoder.eval()
    decoder.eval()
    encoder2 = pickle.loads(pickle.dumps(encoder))
    decoder2 = pickle.loads(pickle.dumps(decoder))
    assert encoder2.spatial_shapes == encoder.spatial_shapes
    with torch.no_grad():
        torch.testing.assert_close(encoder2(x), encoder(x))
        torch.testing.assert_close(decoder2(encoder2(x)), decoder(encoder(x)))
