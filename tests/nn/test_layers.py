# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Activations and noise layers of skae.nn."""

import pytest
import torch
from torch import nn

from skae.nn import (
    ACTIVATIONS,
    GaussianNoise,
    MaskingNoise,
    SaltAndPepperNoise,
    get_activation,
    make_noise,
)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_get_activation_names(name):
    cls = get_activation(name)
    assert cls is ACTIVATIONS[name]
    assert isinstance(cls(), nn.Module)


def test_get_activation_passes_classes_through():
    assert get_activation(nn.Softplus) is nn.Softplus


def test_get_activation_errors():
    with pytest.raises(ValueError, match="Unknown activation 'foo'"):
        get_activation("foo")
    with pytest.raises(TypeError, match="activation must be a name"):
        get_activation(int)
    with pytest.raises(TypeError, match="activation must be a name"):
        get_activation(nn.ReLU())  # an instance, not a class


def test_gaussian_noise():
    x = torch.ones(2000)
    layer = GaussianNoise(0.5)
    layer.eval()
    assert layer(x) is x
    layer.train()
    out = layer(x)
    assert not torch.equal(out, x)
    assert out.shape == x.shape
    assert abs(float((out - x).std()) - 0.5) < 0.05
    assert abs(float((out - x).mean())) < 0.05
    assert torch.equal(x, torch.ones(2000))  # input not modified
    assert GaussianNoise(0.0).train()(x) is x


def test_masking_noise():
    x = torch.full((4000,), 3.0)
    layer = MaskingNoise(0.3)
    assert layer.eval()(x) is x
    out = layer.train()(x)
    zeros = out == 0
    assert abs(float(zeros.float().mean()) - 0.3) < 0.03
    # kept values are not rescaled (unlike nn.Dropout)
    assert torch.equal(out[~zeros], x[~zeros])
    assert torch.equal(x, torch.full((4000,), 3.0))
    assert MaskingNoise(0.0).train()(x) is x


def test_salt_and_pepper_noise():
    x = torch.full((4000,), 0.25)
    layer = SaltAndPepperNoise(0.4, low=-2.0, high=5.0)
    assert layer.eval()(x) is x
    out = layer.train()(x)
    values = set(out.unique().tolist())
    assert values <= {-2.0, 0.25, 5.0}
    frac_low = float((out == -2.0).float().mean())
    frac_high = float((out == 5.0).float().mean())
    assert abs(frac_low - 0.2) < 0.03
    assert abs(frac_high - 0.2) < 0.03
    assert torch.equal(x, torch.full((4000,), 0.25))
    assert SaltAndPepperNoise(0.0).train()(x) is x


@pytest.mark.parametrize(
    "kind, cls, attr",
    [("gaussian", GaussianNoise, "std"), ("masking", MaskingNoise, "p")],
)
def test_make_noise(kind, cls, attr):
    layer = make_noise(kind, 0.2)
    assert isinstance(layer, cls)
    assert getattr(layer, attr) == 0.2


def test_make_noise_salt_and_pepper_range():
    layer = make_noise("salt_and_pepper", 0.1, -1.0, 3.0)
    assert isinstance(layer, SaltAndPepperNoise)
    assert (layer.p, layer.low, layer.high) == (0.1, -1.0, 3.0)


@pytest.mark.parametrize("kind, level", [(None, 0.5), ("gaussian", 0.0), ("masking", 0)])
def test_make_noise_identity(kind, level):
    assert isinstance(make_noise(kind, level), nn.Identity)


def test_make_noise_errors():
    with pytest.raises(ValueError, match="Unknown noise 'speckle'"):
        make_noise("speckle", 0.1)
