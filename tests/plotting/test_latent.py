# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError

from skae.plotting import LatentSpaceDisplay


def test_from_estimator_discrete_labels(pca3, digits):
    X, y = digits
    display = LatentSpaceDisplay.from_estimator(pca3, X, y)
    assert display.ax_.get_xlabel() == "z[0]"
    assert display.ax_.get_ylabel() == "z[1]"
    assert display.ax_.get_title() == "PCA"
    assert display.figure_ is display.ax_.figure
    assert display.colorbar_ is None
    texts = [t.get_text() for t in display.legend_.get_texts()]
    assert texts == [str(k) for k in range(10)]
    np.testing.assert_allclose(display.scatter_.get_offsets(), pca3.transform(X)[:, :2])


def test_components_selects_dimensions(pca3, digits):
    X, _ = digits
    display = LatentSpaceDisplay.from_estimator(pca3, X, components=(2, 0))
    assert (display.ax_.get_xlabel(), display.ax_.get_ylabel()) == ("z[2]", "z[0]")
    np.testing.assert_allclose(display.scatter_.get_offsets(), pca3.transform(X)[:, [2, 0]])
    assert display.legend_ is None and display.colorbar_ is None


def test_project_pca(pca3, digits):
    X, y = digits
    display = LatentSpaceDisplay.from_estimator(pca3, X, y, project="pca")
    assert (display.ax_.get_xlabel(), display.ax_.get_ylabel()) == ("PC1", "PC2")
    assert display.embedding.shape == (len(X), 2)


def test_many_or_continuous_labels_use_colorbar(pca3, digits):
    X, _ = digits
    display = LatentSpaceDisplay.from_estimator(pca3, X, X[:, 20])  # many distinct values
    assert display.legend_ is None
    assert display.colorbar_ is not None
    display = LatentSpaceDisplay.from_estimator(pca3, X, [f"c{i % 12}" for i in range(len(X))])
    assert display.colorbar_ is not None


def test_string_labels_and_given_axes(pca3, digits):
    X, y = digits
    fig, ax = plt.subplots()
    labels = np.where(y % 2 == 0, "even", "odd")
    display = LatentSpaceDisplay.from_estimator(pca3, X, labels, ax=ax, s=3)
    assert display.ax_ is ax and display.figure_ is fig
    assert [t.get_text() for t in display.legend_.get_texts()] == ["even", "odd"]
    assert display.plot(ax=ax, legend=False) is display


def test_from_embedding():
    Z = np.random.default_rng(0).normal(size=(30, 4))
    display = LatentSpaceDisplay.from_embedding(Z, components=(1, 3), name="codes")
    assert display.ax_.get_title() == "codes"
    assert display.ax_.get_xlabel() == "z[1]"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"components": (0, 3)}, "out of range"),
        ({"components": (1, 1)}, "different"),
        ({"components": (0,)}, "pair"),
        ({"project": "tsne"}, "project"),
    ],
)
def test_bad_arguments(pca3, digits, kwargs, match):
    with pytest.raises(ValueError, match=match):
        LatentSpaceDisplay.from_estimator(pca3, digits[0], **kwargs)


def test_errors(digits):
    X, _ = digits
    with pytest.raises(NotFittedError):
        LatentSpaceDisplay.from_estimator(PCA(n_components=2), X)
    pca1 = PCA(n_components=1).fit(X)
    with pytest.raises(ValueError, match="out of range"):
        LatentSpaceDisplay.from_estimator(pca1, X)
    with pytest.raises(ValueError, match="labels has"):
        LatentSpaceDisplay.from_embedding(np.zeros((5, 2)), y=[0, 1])
