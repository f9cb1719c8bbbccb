# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""partial_fit and training from memory-mapped arrays."""

import numpy as np
import pytest

from skae import AutoencoderTransformer, VariationalAutoencoderTransformer

PARAMS = dict(n_components=3, hidden_layer_sizes=(16,), random_state=0)


@pytest.fixture
def X():
    return np.random.RandomState(0).rand(300, 12).astype(np.float32)


@pytest.mark.parametrize("cls", [AutoencoderTransformer, VariationalAutoencoderTransformer])
def test_partial_fit_one_epoch_per_call_keeps_optimizer_state(cls, X):
    est = cls(**PARAMS)
    est.partial_fit(X[:100])
    module = est.net_.module_
    step = next(iter(est.net_.optimizer_.state.values()))["step"].item()
    est.partial_fit(X[100:200])
    assert est.net_.module_ is module  # same network, not rebuilt
    assert est.n_iter_ == 2
    assert len(est.loss_curve_) == 2
    # Adam's step counter carried over from the first call
    assert next(iter(est.net_.optimizer_.state.values()))["step"].item() > step
    assert est.transform(X).shape == (300, 3)


def test_partial_fit_reduces_loss_over_chunks(X):
    # From a random start (a PCA-anchored one already starts at PCA's solution,
    # which these structureless rows leave no room to improve on).
    est = AutoencoderTransformer(**PARAMS, learning_rate=1e-2, init="random")
    for _ in range(15):
        for chunk in np.array_split(X, 3):
            est.partial_fit(chunk)
    assert est.loss_curve_[-1] < est.loss_curve_[0]


def test_partial_fit_rejects_other_width(X):
    est = AutoencoderTransformer(**PARAMS).partial_fit(X)
    with pytest.raises(ValueError, match="12 features"):
        est.partial_fit(X[:, :5])


def test_partial_fit_after_fit_continues(X):
    est = AutoencoderTransformer(**PARAMS, max_epochs=3).fit(X)
    n = est.n_iter_
    est.partial_fit(X)
    assert est.n_iter_ == n + 1


def test_fit_after_partial_fit_starts_over(X):
    est = AutoencoderTransformer(**PARAMS, max_epochs=2, early_stopping=False)
    est.partial_fit(X).partial_fit(X)
    est.fit(X)
    assert est.n_iter_ == 2


def test_memmap_fit_streams_and_matches_in_memory_fit(tmp_path, X):
    path = tmp_path / "X.dat"
    mm = np.memmap(path, dtype=np.float32, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    mm = np.memmap(path, dtype=np.float32, mode="r", shape=X.shape)
    on_disk = AutoencoderTransformer(**PARAMS, max_epochs=3).fit(mm)
    in_memory = AutoencoderTransformer(**PARAMS, max_epochs=3).fit(X)
    # The streaming path reads batches from the file instead of one tensor...
    assert not on_disk.net_.get_iterator(
        on_disk.net_.train_split(None)[1], training=False
    ).dataset.preload
    # ...and trains exactly the same network.
    np.testing.assert_array_equal(on_disk.transform(X), in_memory.transform(X))
    np.testing.assert_array_equal(on_disk.transform(mm), in_memory.transform(X))
