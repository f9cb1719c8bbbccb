# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError

from skae.plotting import ReconstructionDisplay


def _labels(ticklabels):
    return [t.get_text() for t in ticklabels]


def test_rows_layout(pca3, digits):
    X, _ = digits
    display = ReconstructionDisplay.from_estimator(pca3, X, n_images=10)
    assert display.mosaic_.shape == (2 * 8 + 1, 10 * 8 + 9)
    assert _labels(display.ax_.get_yticklabels()) == ["original", "PCA"]
    assert len(display.ax_.get_xticks()) == 0
    np.testing.assert_allclose(display.mosaic_[:8, :8], X[0].reshape(8, 8))
    rec = pca3.inverse_transform(pca3.transform(X[:1]))
    np.testing.assert_allclose(display.mosaic_[9:, :8], rec.reshape(8, 8))
    assert display.image_.get_cmap().name == "gray"


def test_grid_and_pairs_layouts(pca3, digits):
    X, _ = digits
    display = ReconstructionDisplay.from_estimator(pca3, X, n_images=16, layout="grid", n_cols=4)
    assert _labels(display.ax_.get_yticklabels()) == ["original", "PCA"] * 4
    display = ReconstructionDisplay.from_estimator(pca3, X, n_images=9, layout="pairs")
    assert _labels(display.ax_.get_xticklabels()) == ["original", "PCA"] * 3
    assert len(display.ax_.get_yticks()) == 0
    # 3 rows of 3 pairs; the last row is full.
    assert np.isfinite(display.mosaic_[-1, -1])


def test_from_estimators_and_given_axes(pca3, digits):
    X, _ = digits
    full = PCA().fit(X)
    fig, ax = plt.subplots()
    display = ReconstructionDisplay.from_estimators(
        {"PCA-3": pca3, "full": full}, X, n_images=5, ax=ax
    )
    assert display.ax_ is ax and display.figure_ is fig
    assert _labels(ax.get_yticklabels()) == ["original", "PCA-3", "full"]
    # A full-rank PCA reconstructs the images exactly.
    np.testing.assert_allclose(display.reconstructions["full"], X[:5], atol=1e-8)
    assert display.plot(ax=ax, layout="pairs") is display


def test_image_shape(digits):
    X = digits[0][:, :12]
    pca = PCA(n_components=2).fit(X)
    with pytest.raises(ValueError, match="image_shape"):
        ReconstructionDisplay.from_estimator(pca, X)
    with pytest.raises(ValueError, match="pixels"):
        ReconstructionDisplay.from_estimator(pca, X, image_shape=(5, 3))
    display = ReconstructionDisplay.from_estimator(pca, X, n_images=3, image_shape=(3, 4))
    assert display.mosaic_.shape == (7, 14)


def test_errors(pca3, digits):
    X, _ = digits
    with pytest.raises(NotFittedError):
        ReconstructionDisplay.from_estimator(PCA(n_components=2), X)
    with pytest.raises(ValueError, match="layout"):
        ReconstructionDisplay.from_estimator(pca3, X, layout="spiral")
    with pytest.raises(ValueError, match="n_images"):
        ReconstructionDisplay.from_estimator(pca3, X, n_images=0)
    display = ReconstructionDisplay.from_estimator(pca3, X[:3], n_images=10)
    assert display.originals.shape == (3, 64)
