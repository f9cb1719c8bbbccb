# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""How many intra-op threads torch uses inside a fit or an inference call.

PyTorch's intra-op thread pool spins and synchronises on every operation. For
the small batches of a small model that costs more than it saves, and when
another process holds a core it costs a lot more: a default 30-epoch fit on
scikit-learn's digits took 1.7 s on an idle 2-core machine and 128 s with a
PyTorch job beside it, against 0.12 s per epoch single-threaded. skae
therefore picks the thread count for each call from the work per batch and the
CPUs this process may use, sets it only for the call, and restores the
caller's setting afterwards.
"""

from __future__ import annotations

import contextlib
import os

import torch

__all__ = ["available_cpus", "choose_threads", "torch_threads"]

#: Multiply-accumulates per batch (parameters x rows for dense layers) below which
#: one thread is used: a 64-512-256-2 autoencoder on batches of 16 rows is about
#: 5e6, MNIST's 784-512-256-32 on batches of 256 about 3e8.
SMALL_WORK = 5e7


#: Where a cgroup's CPU quota is read: v2 ``cpu.max`` ("quota period" or "max period"),
#: v1 CFS quota and period.
CGROUP_FILES = (
    ("/sys/fs/cgroup/cpu.max", None),
    ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
)


def _cgroup_cpus() -> float | None:
    """The CPU quota of this process's cgroup (v2 ``cpu.max`` or v1 CFS), if any."""
    for quota_path, period_path in CGROUP_FILES:
        try:
            with open(quota_path) as f:
                fields = f.read().split()
            if period_path is not None:
                with open(period_path) as f:
                    fields.append(f.read().strip())
        except (OSError, ValueError):
            continue
        if len(fields) < 2 or fields[0] in ("max", "-1"):
            return None
        try:
            return int(fields[0]) / int(fields[1])
        except (ValueError, ZeroDivisionError):
            return None
    return None


def available_cpus() -> int:
    """CPUs this process may use: affinity, cgroup quota and ``OMP_NUM_THREADS``.

    ``OMP_NUM_THREADS`` is how joblib/loky give each worker process its share
    of the machine (and how users cap threads), so it bounds the count too.
    """
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    quota = _cgroup_cpus()
    if quota is not None:
        n = min(n, max(1, int(quota)))
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        n = min(n, int(env))
    return max(1, n)


def choose_threads(n_jobs, work: float) -> int:
    """Threads for a call doing ``work`` multiply-accumulates per batch.

    ``n_jobs=None`` decides: one thread below :data:`SMALL_WORK`, every
    available CPU above. An int forces that many threads (``-1``: all
    available CPUs).
    """
    if n_jobs is None:
        return 1 if work < SMALL_WORK else available_cpus()
    if n_jobs < 0:
        return max(1, available_cpus() + 1 + n_jobs)
    return int(n_jobs)


@contextlib.contextmanager
def torch_threads(n: int):
    """Run the block with ``n`` intra-op threads; the caller's count is restored after."""
    before = torch.get_num_threads()
    if n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
