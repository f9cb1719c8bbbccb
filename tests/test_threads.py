# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Thread counts: chosen per call from the work and the CPUs available, then restored."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
    _threads,
)
from skae._threads import available_cpus, choose_threads, torch_threads

FAMILY = [AutoencoderTransformer, VariationalAutoencoderTransformer, AutoencoderOutlierDetector]
SMALL = dict(n_components=2, hidden_layer_sizes=(8,), max_epochs=2, random_state=0)


@pytest.fixture
def X():
    return np.random.RandomState(0).rand(80, 6)


class _RecordThreads(Callback):
    def initialize(self):
        self.seen_ = getattr(self, "seen_", set())
        return self

    def on_batch_end(self, net, **kwargs):
        self.seen_.add(torch.get_num_threads())


@pytest.fixture
def caller_threads():
    """The caller runs with a thread count skae would not choose by itself."""
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    yield 3
    torch.set_num_threads(before)


@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
@pytest.mark.parametrize("n_jobs", [None, 1, 2])
def test_caller_thread_counts_are_restored(cls, n_jobs, X, caller_threads):
    interop = torch.get_num_interop_threads()
    est = cls(**SMALL, n_jobs=n_jobs).fit(X)
    assert torch.get_num_threads() == caller_threads
    est.score_samples(X)
    if hasattr(est, "transform"):
        est.inverse_transform(est.transform(X))
    assert torch.get_num_threads() == caller_threads
    assert torch.get_num_interop_threads() == interop


@pytest.mark.parametrize("n_jobs, expected", [(None, {1}), (1, {1}), (2, {2})])
def test_fit_trains_with_the_chosen_threads(n_jobs, expected, X, caller_threads):
    record = _RecordThreads()
    AutoencoderTransformer(**SMALL, n_jobs=n_jobs, callbacks=[record]).fit(X)
    assert record.seen_ == expected  # a tiny network: auto is one thread


def test_failed_fit_restores_threads(X, caller_threads):
    class Boom(Callback):
        def on_batch_end(self, net, **kwargs):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        AutoencoderTransformer(**SMALL, n_jobs=2, callbacks=[Boom()]).fit(X)
    assert torch.get_num_threads() == caller_threads


def test_choose_threads():
    assert choose_threads(None, 1e4) == 1
    assert choose_threads(None, 1e12) == available_cpus()
    assert choose_threads(3, 1.0) == 3
    assert choose_threads(-1, 1.0) == available_cpus()


def test_available_cpus_respects_omp_num_threads(monkeypatch):
    monkeypatch.setattr(_threads.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr(_threads, "CGROUP_FILES", ())
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert available_cpus() == 8
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # e.g. a joblib/loky worker's share
    assert available_cpus() == 2


@pytest.mark.parametrize(
    "content, expected", [("150000 100000", 1), ("400000 100000", 4), ("max 100000", 8)]
)
def test_available_cpus_respects_the_cgroup_quota(tmp_path, monkeypatch, content, expected):
    (tmp_path / "cpu.max").write_text(content)
    monkeypatch.setattr(_threads, "CGROUP_FILES", ((str(tmp_path / "cpu.max"), None),))
    monkeypatch.setattr(_threads.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert available_cpus() == expected


def test_torch_threads_restores_on_error(caller_threads):
    with pytest.raises(ValueError), torch_threads(1):
        assert torch.get_num_threads() == 1
        raise ValueError
    assert torch.get_num_threads() == caller_threads


@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
def test_every_parameter_round_trips_through_get_params(cls):
    est = cls(init="random", n_jobs=1, warm_start=True)
    params = est.get_params()
    assert (params["init"], params["n_jobs"], params["warm_start"]) == ("random", 1, True)
