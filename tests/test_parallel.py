# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Parallel and distributed grid search: joblib's loky backend and a real Dask cluster."""

import distributed
import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer

PARAMS = dict(hidden_layer_sizes=(16,), max_epochs=3, batch_size=32, random_state=0)
GRID = {"n_components": [2, 4], "activation": ["relu", "tanh"]}


@pytest.fixture(scope="module")
def X():
    return load_digits().data[:200] / 16.0


def _search(X, n_jobs=None):
    search = GridSearchCV(AutoencoderTransformer(**PARAMS), GRID, cv=2, n_jobs=n_jobs)
    return search.fit(X).cv_results_


@pytest.fixture(scope="module")
def serial(X):
    return _search(X)


def _assert_same_results(a, b):
    for key in ("mean_test_score", "split0_test_score", "split1_test_score", "rank_test_score"):
        np.testing.assert_array_equal(a[key], b[key])


def test_loky_grid_search_equals_serial(X, serial):
    parallel = _search(X, n_jobs=2)
    _assert_same_results(serial, parallel)


def test_dask_grid_search_equals_serial(X, serial):
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
    ):
        on_dask = _search(X, n_jobs=-1)
    _assert_same_results(serial, on_dask)


def _threads_in_worker():
    return torch.get_num_threads()


def test_loky_workers_do_not_oversubscribe():
    # joblib's loky backend caps OpenMP threads (torch's intra-op pool) in each
    # worker at cpu_count // n_jobs, so two parallel fits share the cores.
    n_jobs = 2
    threads = joblib.Parallel(n_jobs=n_jobs)(joblib.delayed(_threads_in_worker)() for _ in range(2))
    assert max(threads) <= max(1, joblib.cpu_count() // n_jobs)
