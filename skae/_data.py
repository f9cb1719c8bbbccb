# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Data plumbing between validated arrays and torch: datasets, batch iterators, batched inference.

skorch's default ``Dataset`` + ``DataLoader`` collate one sample at a time
(about 6.5 µs per sample per epoch on the reference machine). Here rows are
sliced out of one tensor per batch instead, which is what a hand-written
PyTorch loop does.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["ArrayDataset", "BatchIterator", "batched_map", "to_float_tensor"]

#: Rows per chunk of transform/inverse_transform/score_samples (bounds working memory).
INFERENCE_BATCH_SIZE = 4096


def to_float_tensor(X, dtype: torch.dtype, device: torch.device | str) -> torch.Tensor:
    """View ``X`` as a tensor of ``dtype`` on ``device`` (no copy when nothing changes)."""
    if isinstance(X, torch.Tensor):
        return X.to(device=device, dtype=dtype)
    X = np.ascontiguousarray(X)
    if not X.flags.writeable:
        # torch warns that it cannot protect read-only memory; skae never writes
        # into its input, so share the buffer (no copy) without the warning.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            t = torch.from_numpy(X)
    else:
        t = torch.from_numpy(X)
    return t.to(device=device, dtype=dtype)


class ArrayDataset(Dataset):
    """Rows of a 2-D array served as float tensors, in batches (the module scales them).

    Parameters
    ----------
    X : ndarray or torch.Tensor of shape (n_samples, n_features)
        The data. It is never modified.
    indices : ndarray of int, default=None
        The rows of ``X`` this dataset covers (e.g. the training part of a
        validation split); all rows when ``None``. No copy of ``X`` is made.
    device : str or torch.device, default="cpu"
        Where batches are delivered.
    dtype : torch.dtype, default=torch.float32
        Dtype of the batches.
    preload : bool, default=True
        Convert ``X`` to one tensor on ``device`` up front (fast path). With
        ``False`` rows are converted and moved batch by batch (large arrays,
        memory maps, data that does not fit on the GPU).
    """

    def __init__(
        self,
        X,
        indices=None,
        *,
        device="cpu",
        dtype=torch.float32,
        preload=True,
    ):
        self.device = torch.device(device)
        self.dtype = dtype
        self.preload = preload
        if preload:
            self.data = to_float_tensor(X, dtype, self.device)
        else:
            self.data = X
        n = X.shape[0]
        self.indices = (
            torch.arange(n) if indices is None else torch.as_tensor(indices, dtype=torch.long)
        )

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i):
        return self.batch(self.indices[i : i + 1])[0]

    def batch(self, rows: torch.Tensor) -> torch.Tensor:
        """Rows ``rows`` (absolute row numbers of ``X``) on the target device."""
        if self.preload:
            if rows.device != self.data.device:
                rows = rows.to(self.data.device)
            xb = self.data.index_select(0, rows)
        else:
            xb = torch.from_numpy(np.asarray(self.data[rows.numpy()]))
            if self.device.type == "cuda":
                xb = xb.pin_memory().to(self.device, dtype=self.dtype, non_blocking=True)
            else:
                xb = xb.to(self.device, dtype=self.dtype)
        return xb


class BatchIterator:
    """Yield ``(x, x)`` batches of an :class:`ArrayDataset` (input is its own target).

    Used as skorch's ``iterator_train`` / ``iterator_valid``. Shuffling draws
    from ``generator``, by default torch's global generator, which the
    estimators seed inside :func:`torch.random.fork_rng`, so fits are
    repeatable without touching the caller's random state.

    With ``num_replicas > 1`` the iterator serves only the shard of process
    ``rank`` (data-parallel training, see the ``accelerator`` parameter of the
    estimators): the rows are ordered (shuffled when ``shuffle``) exactly as in
    a single process, padded by repeating rows from the start of that order
    up to a multiple of ``num_replicas``, and process ``rank`` takes every
    ``num_replicas``-th row starting at ``rank``, like
    :class:`torch.utils.data.distributed.DistributedSampler`. Every process
    therefore gets the same number of rows and batches, which data-parallel
    training needs (each step synchronises the gradients of all processes),
    and the shards are disjoint apart from the padding rows. The shards only
    form a partition if every process draws the same permutation: the
    processes must seed ``generator`` identically (the estimators pass one
    generator, in the same state in every process, and seed the global one
    differently per process, so noise, dropout and VAE samples differ
    between processes).

    Parameters
    ----------
    dataset : ArrayDataset
    batch_size : int, default=64
        Rows per batch (per process when ``num_replicas > 1``).
    shuffle : bool, default=False
    num_replicas : int, default=1
        Number of processes sharing the data.
    rank : int, default=0
        This process's index, in ``[0, num_replicas)``.
    generator : torch.Generator, default=None
        Source of the shuffling permutations; torch's global generator when
        ``None``.
    """

    def __init__(
        self,
        dataset: ArrayDataset,
        batch_size: int = 64,
        shuffle: bool = False,
        num_replicas: int = 1,
        rank: int = 0,
        generator: torch.Generator | None = None,
    ):
        if not isinstance(dataset, ArrayDataset):
            raise TypeError(f"BatchIterator needs an ArrayDataset, got {type(dataset).__name__}.")
        if int(num_replicas) < 1 or not 0 <= int(rank) < int(num_replicas):
            raise ValueError(
                f"BatchIterator needs num_replicas >= 1 and 0 <= rank < num_replicas, got "
                f"num_replicas={num_replicas!r} and rank={rank!r}."
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.generator = generator

    def _n_rows(self) -> int:
        """Rows this process serves per pass (its shard, padding included)."""
        return math.ceil(len(self.dataset) / self.num_replicas)

    def __len__(self) -> int:
        n, bs = self._n_rows(), self.batch_size
        n_batches = max(1, math.ceil(n / bs))
        if self.shuffle and n_batches > 1 and n % bs == 1:
            n_batches -= 1  # the trailing row is merged into the previous batch
        return n_batches

    def rows(self) -> torch.Tensor:
        """The row numbers (of the dataset's ``X``) this process serves in one pass, in order.

        With ``shuffle`` every call draws a new permutation from ``generator``.
        """
        idx = self.dataset.indices
        n = len(idx)
        if self.shuffle:
            idx = idx[torch.randperm(n, generator=self.generator)]
        if self.num_replicas > 1 and n:
            total = self._n_rows() * self.num_replicas
            if total > n:  # pad by wrapping around (more than once if n < num_replicas)
                idx = idx.repeat(math.ceil(total / n))[:total]
            idx = idx[self.rank :: self.num_replicas]
        return idx

    def __iter__(self):
        for _, xb in self.batches():
            yield xb, xb

    def batches(self):
        """Yield ``(rows, x)``: each batch's row numbers (of the dataset's ``X``) and its rows."""
        idx = self.rows()
        n = len(idx)
        bs = self.batch_size
        # A trailing batch of one row would break batch normalisation and gives a
        # very noisy step: merge it into the previous batch when training.
        stops = [*range(bs, n, bs), n]
        if self.shuffle and len(stops) > 1 and stops[-1] - stops[-2] == 1:
            stops.pop(-2)
        start = 0
        for stop in stops:
            rows = idx[start:stop]
            start = stop
            yield rows, self.dataset.batch(rows)


def batched_map(fn, X, out: np.ndarray, *, batch_size=INFERENCE_BATCH_SIZE, prepare=None):
    """Apply ``fn`` to ``X`` chunk by chunk, writing into the preallocated ``out``.

    ``prepare(chunk) -> tensor`` turns a chunk of ``X`` into the model's input;
    ``fn(tensor) -> tensor`` computes the result. Working memory stays one
    chunk; ``out`` is the only full-size allocation.
    """
    n = X.shape[0]
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        res = fn(prepare(X[start:stop]))
        out[start:stop] = res.detach().to("cpu").numpy()
    return out


def column_mean_std(X, chunk_rows=65536):
    """Per-column mean and standard deviation in float64, in chunks (no full-size temporary).

    Zero standard deviations are replaced by 1, as in
    :class:`~sklearn.preprocessing.StandardScaler`.
    """
    mean = X.mean(axis=0, dtype=np.float64)
    sq = np.zeros_like(mean)
    for start in range(0, X.shape[0], chunk_rows):
        diff = X[start : start + chunk_rows].astype(np.float64) - mean
        sq += np.einsum("ij,ij->j", diff, diff)
    std = np.sqrt(sq / X.shape[0])
    std[std < 10 * np.finfo(np.float64).eps] = 1.0
    return mean, std
