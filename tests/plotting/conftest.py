# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Fixtures for the plotting tests: a headless backend and small fitted models."""

import matplotlib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="package")
def digits():
    """200 8x8 digit images (64 features) and their labels."""
    X, y = load_digits(return_X_y=True)
    return X[:200], y[:200]


@pytest.fixture(scope="package")
def pca3(digits):
    return PCA(n_components=3, random_state=0).fit(digits[0])


@pytest.fixture(scope="package")
def pca2(digits):
    return PCA(n_components=2, random_state=0).fit(digits[0])


class FakeAutoencoder(TransformerMixin, BaseEstimator):
    """A PCA posing as a trained skae autoencoder (loss curves, ``sample``)."""

    def __init__(self, n_components=2, early_stopping=True):
        self.n_components = n_components
        self.early_stopping = early_stopping

    def fit(self, X, y=None):
        self.pca_ = PCA(n_components=self.n_components, random_state=0).fit(X)
        self.n_features_in_ = self.pca_.n_features_in_
        self.loss_curve_ = [1.0, 0.6, 0.4, 0.35]
        self.validation_loss_curve_ = [1.1, 0.7, 0.65, 0.66] if self.early_stopping else None
        self.n_iter_ = len(self.loss_curve_)
        return self

    def transform(self, X):
        check_is_fitted(self)
        return self.pca_.transform(X)

    def inverse_transform(self, Z):
        check_is_fitted(self)
        return self.pca_.inverse_transform(Z)

    def sample(self, n_samples=1, random_state=None):
        check_is_fitted(self)
        rng = np.random.default_rng(random_state)
        return self.inverse_transform(rng.standard_normal((n_samples, self.n_components)))


@pytest.fixture(scope="package")
def fake_ae(digits):
    return FakeAutoencoder(n_components=2).fit(digits[0])
