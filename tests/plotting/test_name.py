# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The ``name`` parameter of the Displays and the deprecated ``estimator_name``."""

import warnings

import numpy as np
import pytest

from skae.plotting import (
    LatentSpaceDisplay,
    LatentTraversalDisplay,
    LossCurveDisplay,
    SampleDisplay,
)

# Each Display with the other constructor arguments it needs.
DISPLAYS = {
    "LossCurveDisplay": (LossCurveDisplay, lambda: {"loss_curve": [1.0, 0.5, 0.4]}),
    "LatentSpaceDisplay": (LatentSpaceDisplay, lambda: {"embedding": np.zeros((3, 2))}),
    "LatentTraversalDisplay": (
        LatentTraversalDisplay,
        lambda: {"images": np.zeros((2, 2, 3, 3)), "grid_x": [0.0, 1.0], "grid_y": [0.0, 1.0]},
    ),
    "SampleDisplay": (
        SampleDisplay,
        lambda: {"samples": np.zeros((4, 9)), "image_shape": (3, 3)},
    ),
}

DEPRECATION_MSG = (
    r"`estimator_name` is deprecated in skae 0\.2 and will be removed in 0\.4\. "
    r"Use `name` instead\."
)


@pytest.fixture(params=sorted(DISPLAYS))
def display_cls_kwargs(request):
    cls, kwargs = DISPLAYS[request.param]
    return cls, kwargs()


def test_name(display_cls_kwargs):
    cls, kwargs = display_cls_kwargs
    display = cls(**kwargs, name="my model")
    assert display.name == "my model"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert display.plot() is display
    assert display.ax_.get_title() == "my model"


def test_no_name_no_title(display_cls_kwargs):
    cls, kwargs = display_cls_kwargs
    display = cls(**kwargs)
    assert display.name is None
    assert display.plot().ax_.get_title() == ""


def test_plot_name_overrides_title(display_cls_kwargs):
    cls, kwargs = display_cls_kwargs
    display = cls(**kwargs, name="stored")
    display.plot(name="override")
    assert display.ax_.get_title() == "override"
    # The stored name is kept for later plots.
    assert display.name == "stored"
    assert display.plot().ax_.get_title() == "stored"


def test_estimator_name_is_deprecated(display_cls_kwargs):
    cls, kwargs = display_cls_kwargs
    with pytest.warns(FutureWarning, match=DEPRECATION_MSG):
        display = cls(**kwargs, estimator_name="old")
    assert display.name == "old"
    assert display.plot().ax_.get_title() == "old"
    with pytest.warns(FutureWarning, match=DEPRECATION_MSG):
        assert display.estimator_name == "old"
    with pytest.warns(FutureWarning, match=DEPRECATION_MSG):
        display.estimator_name = "renamed"
    assert display.name == "renamed"


def test_estimator_name_none_is_deprecated(display_cls_kwargs):
    cls, kwargs = display_cls_kwargs
    with pytest.warns(FutureWarning, match=DEPRECATION_MSG):
        display = cls(**kwargs, estimator_name=None)
    assert display.name is None


def test_name_and_estimator_name_raise(display_cls_kwargs):
    cls, kwargs = display_cls_kwargs
    with pytest.raises(ValueError, match="Cannot pass both `estimator_name` and `name`"):
        cls(**kwargs, name="new", estimator_name="old")


@pytest.mark.parametrize(
    "draw",
    [
        lambda est, X, **kw: LossCurveDisplay.from_estimator(est, **kw),
        lambda est, X, **kw: LatentSpaceDisplay.from_estimator(est, X, **kw),
        lambda est, X, **kw: LatentTraversalDisplay.from_estimator(est, X, n_steps=3, **kw),
        lambda est, X, **kw: SampleDisplay.from_estimator(est, n_samples=4, **kw),
    ],
    ids=["loss", "latent", "traversal", "sample"],
)
def test_from_estimator_name(fake_ae, digits, draw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        display = draw(fake_ae, digits[0])
        assert display.name == "FakeAutoencoder"
        assert display.ax_.get_title() == "FakeAutoencoder"
        display = draw(fake_ae, digits[0], name="custom")
    assert display.name == "custom"
    assert display.ax_.get_title() == "custom"
