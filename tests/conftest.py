# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Tiny data sets shared by the test modules (made once per session: never modify them).

Functions and constants shared by several modules (estimator parameters, the
estimator family) are in ``tests/_helpers.py``.
"""

import numpy as np
import pytest
from sklearn.datasets import load_digits


@pytest.fixture(scope="session")
def X_unit():
    """Data in [0, 1] (sigmoid / bce territory)."""
    return np.random.RandomState(0).rand(40, 6)


@pytest.fixture(scope="session")
def X_sym():
    """Data in [-1, 1] with negative values (tanh territory)."""
    return np.random.RandomState(1).uniform(-1, 1, size=(40, 6))


@pytest.fixture(scope="session")
def X_wide():
    """Data well outside [-1, 1] (identity output + standardisation)."""
    rng = np.random.RandomState(2)
    return rng.normal(loc=50.0, scale=[1.0, 10.0, 100.0, 5.0, 20.0, 3.0], size=(40, 6))


@pytest.fixture(scope="session")
def digits():
    """The first 300 8x8 digits scaled to [0, 1] (64 features), and their labels."""
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]
