# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError

from skae.plotting import LatentTraversalDisplay, SampleDisplay

from .conftest import FakeAutoencoder


def test_traversal_from_estimator(pca2, digits):
    X, _ = digits
    display = LatentTraversalDisplay.from_estimator(pca2, X, n_steps=5)
    assert display.images.shape == (5, 5, 8, 8)
    assert (display.ax_.get_xlabel(), display.ax_.get_ylabel()) == ("z[0]", "z[1]")
    assert display.ax_.get_title() == "PCA"
    Z = pca2.transform(X)
    np.testing.assert_allclose(display.grid_x[[0, -1]], np.quantile(Z[:, 0], [0.05, 0.95]))
    # Top-left tile: lowest z[0], highest z[1].
    corner = pca2.inverse_transform([[display.grid_x[0], display.grid_y[-1]]])
    np.testing.assert_allclose(display.image_.get_array()[:8, :8], corner.reshape(8, 8))


def test_traversal_ranges_and_given_axes(fake_ae):
    fig, ax = plt.subplots()
    display = LatentTraversalDisplay.from_estimator(fake_ae, n_steps=3, ax=ax)
    assert display.ax_ is ax and display.figure_ is fig
    np.testing.assert_allclose(display.grid_x, [-2, 0, 2])
    display = LatentTraversalDisplay.from_estimator(
        fake_ae, n_steps=3, latent_range=((0, 1), (-4, 4))
    )
    np.testing.assert_allclose(display.grid_y, [-4, 0, 4])
    assert display.plot(ax=ax, cmap="viridis") is display


def test_traversal_errors(pca3, digits):
    X, _ = digits
    with pytest.raises(ValueError, match="n_components=2"):
        LatentTraversalDisplay.from_estimator(pca3)
    with pytest.raises(NotFittedError):
        LatentTraversalDisplay.from_estimator(PCA(n_components=2))
    pca = PCA(n_components=2).fit(X[:, :12])
    with pytest.raises(ValueError, match="image_shape"):
        LatentTraversalDisplay.from_estimator(pca, n_steps=2)
    display = LatentTraversalDisplay.from_estimator(pca, n_steps=2, image_shape=(4, 3))
    assert display.images.shape == (2, 2, 4, 3)
    with pytest.raises(ValueError, match="n_steps"):
        LatentTraversalDisplay.from_estimator(pca, n_steps=1, image_shape=(4, 3))
    with pytest.raises(ValueError, match="latent_range"):
        LatentTraversalDisplay.from_estimator(pca, latent_range=(1, -1), image_shape=(4, 3))


def test_samples(fake_ae):
    display = SampleDisplay.from_estimator(fake_ae, n_samples=6, random_state=0)
    assert display.samples.shape == (6, 64)
    assert display.image_.get_array().shape == (2 * 8 + 1, 3 * 8 + 2)
    assert display.ax_.get_title() == "FakeAutoencoder"
    again = SampleDisplay.from_estimator(fake_ae, n_samples=6, random_state=0)
    np.testing.assert_allclose(again.samples, display.samples)
    _, ax = plt.subplots()
    assert display.plot(ax=ax, n_cols=6) is display
    assert display.ax_ is ax and display.image_.get_array().shape == (8, 6 * 8 + 5)


def test_samples_errors(pca2):
    with pytest.raises(TypeError, match="sample"):
        SampleDisplay.from_estimator(pca2)
    with pytest.raises(NotFittedError):
        SampleDisplay.from_estimator(FakeAutoencoder())
    with pytest.raises(ValueError, match="image_shape"):
        SampleDisplay.from_samples(np.zeros((4, 10)))
