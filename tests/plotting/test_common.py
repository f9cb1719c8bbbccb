# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Checks shared by all the Displays: optional matplotlib, real skae estimators."""

import subprocess
import sys

import numpy as np
import pytest

import skae.plotting
from skae.plotting import (
    LatentSpaceDisplay,
    LatentTraversalDisplay,
    LossCurveDisplay,
    ReconstructionDisplay,
    ReconstructionErrorDisplay,
    SampleDisplay,
)


def test_import_does_not_import_matplotlib():
    code = (
        "import sys; import skae, skae.metrics, skae.plotting; "
        "assert 'matplotlib' not in sys.modules, "
        "sorted(m for m in sys.modules if 'matplotlib' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_api():
    assert sorted(skae.plotting.__all__) == sorted(
        [
            "FeatureScoresDisplay",
            "LatentSpaceDisplay",
            "LatentTraversalDisplay",
            "LossCurveDisplay",
            "ReconstructionDisplay",
            "ReconstructionErrorDisplay",
            "SampleDisplay",
        ]
    )


@pytest.mark.parametrize(
    "draw",
    [
        lambda est, X: LatentSpaceDisplay.from_estimator(est, X),
        lambda est, X: ReconstructionDisplay.from_estimator(est, X),
        lambda est, X: LossCurveDisplay.from_estimator(est),
        lambda est, X: LatentTraversalDisplay.from_estimator(est, X),
        lambda est, X: SampleDisplay.from_estimator(est),
        lambda est, X: ReconstructionErrorDisplay(
            n_components=[[2]], errors=[[1.0]], names=["x"]
        ).plot(),
    ],
)
def test_missing_matplotlib_raises_helpful_error(monkeypatch, fake_ae, digits, draw):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "skae\[plot\]"'):
        draw(fake_ae, digits[0])


@pytest.fixture(scope="module")
def autoencoder(digits):
    import skae as skae_mod

    X = digits[0][:64] / 16.0
    ae = skae_mod.AutoencoderTransformer(
        n_components=2, hidden_layer_sizes=(16,), max_epochs=2, random_state=0
    )
    return ae.fit(X), X


def test_real_autoencoder(autoencoder, digits):
    ae, X = autoencoder
    y = digits[1][:64]
    display = LatentSpaceDisplay.from_estimator(ae, X, y)
    assert display.ax_.get_title() == "AutoencoderTransformer"
    display = ReconstructionDisplay.from_estimators({"AE": ae}, X, n_images=4, layout="pairs")
    assert display.reconstructions["AE"].shape == (4, 64)
    display = LossCurveDisplay.from_estimator(ae)
    assert len(display.line_.get_ydata()) == ae.n_iter_
    display = LatentTraversalDisplay.from_estimator(ae, n_steps=3)
    assert np.isfinite(display.image_.get_array()).all()
    with pytest.raises(TypeError, match="sample"):
        SampleDisplay.from_estimator(ae)


def test_real_vae(digits):
    import skae as skae_mod

    X = digits[0][:64] / 16.0
    vae = skae_mod.VariationalAutoencoderTransformer(
        n_components=2, hidden_layer_sizes=(16,), max_epochs=2, random_state=0
    ).fit(X)
    display = SampleDisplay.from_estimator(vae, n_samples=4, random_state=0)
    assert display.samples.shape == (4, 64)
    assert display.ax_.get_title() == "VariationalAutoencoderTransformer"
    display = LatentTraversalDisplay.from_estimator(vae, n_steps=3)
    np.testing.assert_allclose(display.grid_x, [-2, 0, 2])
