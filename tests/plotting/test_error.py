# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.decomposition import PCA, KernelPCA
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skae.metrics import compare, neg_reconstruction_error
from skae.plotting import ReconstructionErrorDisplay


@pytest.fixture(scope="module")
def results(digits):
    X, _ = digits
    kpca = KernelPCA(kernel="rbf", gamma=1e-3, fit_inverse_transform=True)
    return compare({"kpca": kpca}, X[:100], X[100:], n_components=(2, 4, 8))


def test_from_results(results):
    display = ReconstructionErrorDisplay.from_results(results)
    assert display.ax_.get_xlabel() == "n_components"
    assert display.ax_.get_ylabel() == "test_mse"
    assert display.names == ["pca", "kpca"]
    assert len(display.lines_) == 2 and display.fills_ == [None, None]
    np.testing.assert_allclose(display.lines_[0].get_xdata(), [2, 4, 8])
    expected = results.loc[results.method == "pca", "test_mse"]
    np.testing.assert_allclose(display.lines_[0].get_ydata(), expected)
    assert display.ax_.get_xscale() == "log"
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == ["pca", "kpca"]


def test_from_results_train_only_and_given_axes(digits):
    df = compare({}, digits[0], n_components=(2, 4))
    fig, ax = plt.subplots()
    display = ReconstructionErrorDisplay.from_results(df, ax=ax, xscale="linear")
    assert display.ax_ is ax and display.figure_ is fig
    assert ax.get_ylabel() == "train_mse"
    assert ax.get_xscale() == "linear"
    assert display.plot(ax=ax) is display
    with pytest.raises(ValueError, match="column"):
        ReconstructionErrorDisplay.from_results(df.drop(columns="method"))
    with pytest.raises(ValueError, match="xscale"):
        display.plot(xscale="log10")


def test_from_cv_results(digits):
    X, _ = digits
    search = GridSearchCV(
        PCA(), {"n_components": [2, 4, 8]}, scoring=neg_reconstruction_error, cv=2
    ).fit(X)
    display = ReconstructionErrorDisplay.from_cv_results(search)
    assert display.names == ["PCA"]
    np.testing.assert_allclose(
        display.lines_[0].get_ydata(), -search.cv_results_["mean_test_score"]
    )
    assert display.fills_[0] is not None
    assert display.ax_.get_ylabel() == "-mean_test_score"


def test_from_cv_results_pipeline_with_other_params(digits):
    X, _ = digits
    pipe = Pipeline([("scale", StandardScaler()), ("pca", PCA())])
    search = GridSearchCV(
        pipe, {"pca__n_components": [2, 4], "pca__whiten": [False, True]}, cv=2
    ).fit(X)
    display = ReconstructionErrorDisplay.from_cv_results(search)
    assert sorted(display.names) == ["pca__whiten=False", "pca__whiten=True"]


def test_from_cv_results_skips_candidates_without_n_components(digits):
    X, _ = digits
    grid = [{"n_components": [2, 4]}, {"n_components": [None]}, {"whiten": [True]}]
    search = GridSearchCV(PCA(), grid, scoring=neg_reconstruction_error, cv=2).fit(X[:60])
    display = ReconstructionErrorDisplay.from_cv_results(search)
    assert display.names == ["PCA"]
    np.testing.assert_allclose(display.lines_[0].get_xdata(), [2, 4])


def test_from_cv_results_errors():
    search = GridSearchCV(PCA(), {"n_components": [2, 4]})
    with pytest.raises(NotFittedError):
        ReconstructionErrorDisplay.from_cv_results(search)
    X = np.random.default_rng(0).normal(size=(20, 4))
    search = GridSearchCV(PCA(), {"whiten": [False, True]}, scoring=neg_reconstruction_error)
    search.fit(X)
    with pytest.raises(ValueError, match="n_components"):
        ReconstructionErrorDisplay.from_cv_results(search)
