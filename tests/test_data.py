# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The data pipeline: ArrayDataset, BatchIterator, batched_map, column_mean_std."""

import numpy as np
import pytest
import torch

from skae._data import ArrayDataset, BatchIterator, batched_map, column_mean_std


def test_array_dataset_serves_float32_rows_without_copying_x():
    X = np.arange(12, dtype=np.float64).reshape(6, 2)
    before = X.copy()
    ds = ArrayDataset(X, np.array([4, 1]))
    assert len(ds) == 2
    batch = ds.batch(ds.indices)
    assert batch.dtype == torch.float32
    np.testing.assert_array_equal(batch.numpy(), X[[4, 1]])
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("preload", [True, False])
def test_array_dataset_streams_or_preloads_the_same_rows(preload):
    X = np.random.RandomState(0).rand(10, 3)
    ds = ArrayDataset(X, preload=preload)
    np.testing.assert_allclose(ds.batch(torch.tensor([0, 9, 3])).numpy(), X[[0, 9, 3]], rtol=1e-6)


def test_batch_iterator_covers_every_row_once_per_epoch():
    X = np.arange(10, dtype=np.float32).reshape(10, 1)
    ds = ArrayDataset(X)
    seen, sizes = [], []
    iterator = BatchIterator(ds, batch_size=4, shuffle=True)
    for xb, yb in iterator:
        assert torch.equal(xb, yb)  # the target is the input
        seen.extend(xb[:, 0].tolist())
        sizes.append(len(xb))
    assert sorted(seen) == list(range(10))
    assert sizes == [4, 4, 2] and len(iterator) == 3


def test_a_trailing_single_row_joins_the_previous_training_batch():
    ds = ArrayDataset(np.zeros((10, 1), dtype=np.float32))
    iterator = BatchIterator(ds, batch_size=3, shuffle=True)
    assert [len(xb) for xb, _ in iterator] == [3, 3, 4] and len(iterator) == 3
    # not when predicting: every row is served as it comes
    assert [len(xb) for xb, _ in BatchIterator(ds, batch_size=3)] == [3, 3, 3, 1]


def test_batched_map_fills_the_output_in_chunks():
    X = np.random.RandomState(0).rand(11, 4)
    out = np.empty((11, 2))
    calls = []

    def fn(xb):
        calls.append(len(xb))
        return xb[:, :2] * 2

    result = batched_map(fn, X, out, batch_size=4, prepare=torch.from_numpy)
    assert result is out and calls == [4, 4, 3]
    np.testing.assert_allclose(out, X[:, :2] * 2)


def test_column_mean_std_matches_numpy_and_guards_constant_columns():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(5, 2, 1000), np.full(1000, 3.0)])
    mean, std = column_mean_std(X, chunk_rows=128)
    np.testing.assert_allclose(mean, X.mean(axis=0))
    np.testing.assert_allclose(std, [X[:, 0].std(), 1.0])  # a constant column scales by 1
