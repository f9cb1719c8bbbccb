# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Training through Hugging Face accelerate (the ``accelerator`` parameter).

Single-process tests use ``Accelerator(cpu=True)``. One test trains in two CPU
processes (``torch.distributed`` with gloo, through accelerate's
``debug_launcher``) to check the data-parallel path; several GPUs cannot be
tested here.
"""

import ast
import math
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from _helpers import FAMILY
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae._data import ArrayDataset, BatchIterator

accelerate = pytest.importorskip("accelerate")
from accelerate import Accelerator  # noqa: E402
from skorch.hf import AccelerateMixin  # noqa: E402

SMALL = dict(n_components=3, hidden_layer_sizes=(16,), max_epochs=3, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def X(digits):
    return digits[0]


def outputs(est, X):
    """What the fitted estimator computes: codes and reconstructions, or scores."""
    if hasattr(est, "transform"):
        Z = est.transform(X)
        return {"Z": Z, "X_rec": est.inverse_transform(Z), "scores": est.score_samples(X)}
    return {"scores": est.score_samples(X), "labels": est.predict(X)}


@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
def test_single_process_fit_equals_plain_fit(cls, X):
    # One CPU process: accelerate neither wraps the module nor shards the data,
    # so training is the same computation as without an accelerator.
    plain = cls(**SMALL).fit(X)
    acc = Accelerator(cpu=True)
    est = cls(accelerator=acc, **SMALL).fit(X)

    assert isinstance(est.net_, AccelerateMixin)
    assert est.device_ == "cpu"
    assert est.net_.device is None  # placement is accelerate's
    assert not est.net_._wrapped_with_accelerator  # unwrapped after training
    assert acc._models == [] and acc._optimizers == []  # released by the net
    assert est.n_iter_ == plain.n_iter_
    assert_allclose(est.loss_curve_, plain.loss_curve_, rtol=1e-6)
    assert_allclose(est.validation_scores_, plain.validation_scores_, rtol=1e-6)
    for key, value in outputs(plain, X).items():
        assert_allclose(outputs(est, X)[key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    if cls is VariationalAutoencoderTransformer:
        assert "train_kl" in est.net_.history[-1]
        assert_allclose(est.sample(5, random_state=0), plain.sample(5, random_state=0), atol=1e-6)
    if cls is AutoencoderOutlierDetector:
        assert est.offset_ == pytest.approx(plain.offset_, rel=1e-5)


def test_pickle_roundtrip_and_further_training(X):
    est = AutoencoderTransformer(accelerator=Accelerator(cpu=True), **SMALL).fit(X)
    loaded = pickle.loads(pickle.dumps(est))
    assert isinstance(loaded.accelerator, Accelerator)
    assert loaded.net_.accelerator is loaded.accelerator
    assert_allclose(loaded.transform(X), est.transform(X))
    # The unpickled estimator trains on through its (unpickled) accelerator.
    loaded.partial_fit(X)
    assert loaded.n_iter_ == est.n_iter_ + 1
    assert not loaded.net_._wrapped_with_accelerator


def test_warm_start_and_partial_fit_equal_plain(X):
    kw = dict(SMALL, max_epochs=2, early_stopping=False, warm_start=True)
    plain = AutoencoderTransformer(**kw).fit(X).fit(X).partial_fit(X)
    est = AutoencoderTransformer(accelerator=Accelerator(cpu=True), **kw)
    est.fit(X).fit(X).partial_fit(X)
    assert est.n_iter_ == plain.n_iter_ == 5
    assert_allclose(est.loss_curve_, plain.loss_curve_, rtol=1e-6)
    assert_allclose(est.transform(X), plain.transform(X), rtol=1e-5, atol=1e-6)


def test_changed_accelerator_refuses_to_continue(X):
    est = AutoencoderTransformer(accelerator=Accelerator(cpu=True), warm_start=True, **SMALL)
    est.fit(X)
    est.set_params(accelerator=None)
    with pytest.raises(ValueError, match="accelerator was changed"):
        est.fit(X)


@pytest.mark.parametrize("precision", ["bf16", "16-mixed"])
def test_precision_with_accelerator_raises(precision, X):
    est = AutoencoderTransformer(accelerator=Accelerator(cpu=True), precision=precision, **SMALL)
    with pytest.raises(ValueError, match="mixed_precision"):
        est.fit(X)


def test_invalid_accelerator_raises(X):
    with pytest.raises(InvalidParameterError, match="accelerator"):
        AutoencoderTransformer(accelerator="cuda", **SMALL).fit(X)


def test_clone_and_save(X, tmp_path):
    pytest.importorskip("safetensors")
    est = AutoencoderTransformer(accelerator=Accelerator(cpu=True), **SMALL)
    assert isinstance(clone(est).accelerator, Accelerator)
    est.fit(X)
    with pytest.raises(TypeError, match=r"accelerate\.Accelerator"):
        est.save(tmp_path / "model.zip")
    est.set_params(accelerator=None).save(tmp_path / "model.zip")


# ---------------------------------------------------------------- BatchIterator sharding
def shards(n, num_replicas, batch_size=2, offset=3, seed=0):
    """Each rank's rows and batches of a shuffled epoch over rows offset..offset+n-1."""
    X = torch.arange(100, dtype=torch.float32)[:, None]
    ds = ArrayDataset(X, np.arange(offset, offset + n))
    out = []
    for rank in range(num_replicas):
        it = BatchIterator(
            ds, batch_size=batch_size, shuffle=True, num_replicas=num_replicas, rank=rank
        )
        torch.manual_seed(seed)
        rows = it.rows()
        torch.manual_seed(seed)
        batches = [xb[:, 0].long() for xb, _ in it]
        assert torch.equal(torch.cat(batches), rows)
        assert len(batches) == len(it)
        out.append((rows, batches))
    torch.manual_seed(seed)
    perm = ds.indices[torch.randperm(n)]
    return out, perm


@pytest.mark.parametrize("n", [12, 10, 2])
def test_batch_iterator_shards_the_epoch_permutation(n):
    R = 3
    out, perm = shards(n, R)
    per_rank = math.ceil(n / R)
    # Same number of rows and batches on every rank.
    assert {len(rows) for rows, _ in out} == {per_rank}
    assert len({len(batches) for _, batches in out}) == 1
    # Interleaving the ranks' rows gives the single-process permutation, padded by
    # wrapping around it: disjoint shards whose union is the epoch's permutation.
    padded = torch.empty(per_rank * R, dtype=torch.long)
    for rank, (rows, _) in enumerate(out):
        padded[rank::R] = rows
    assert torch.equal(padded[:n], perm)
    assert torch.equal(padded, perm.repeat(R)[: per_rank * R])
    if n % R == 0:
        assert sorted(torch.cat([rows for rows, _ in out]).tolist()) == sorted(perm.tolist())


def test_batch_iterator_single_replica_unchanged():
    [(rows, batches)], perm = shards(9, 1, batch_size=4)
    assert torch.equal(rows, perm)
    # The trailing single-row batch is merged into the previous one, as before.
    assert [len(b) for b in batches] == [4, 5]


def test_batch_iterator_generator_and_validation():
    ds = ArrayDataset(torch.zeros(6, 1))
    a = BatchIterator(ds, shuffle=True, generator=torch.Generator().manual_seed(1))
    b = BatchIterator(ds, shuffle=True, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    rows_a = a.rows()
    torch.manual_seed(5)  # the global generator plays no part
    assert torch.equal(rows_a, b.rows())
    for kwargs in ({"num_replicas": 0}, {"num_replicas": 2, "rank": 2}, {"rank": -1}):
        with pytest.raises(ValueError, match="num_replicas"):
            BatchIterator(ds, **kwargs)


# ---------------------------------------------------------------- imports, processes
def test_import_skae_does_not_import_accelerate():
    code = "import sys, skae; print([m for m in ('accelerate', 'skorch.hf') if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"


TWO_PROCESSES = textwrap.dedent(
    """
    import pickle, sys
    import numpy as np
    from accelerate import debug_launcher
    from sklearn.datasets import load_digits

    OUT = sys.argv[1]
    X = load_digits().data[:220] / 16.0  # 22 validation rows, 198 = 2 x 3 x 33 training rows
    KW = dict(n_components=3, hidden_layer_sizes=(16,), max_epochs=4, n_iter_no_change=1,
              tol=0.5, random_state=0)

    def train():
        import torch
        from accelerate import Accelerator
        from skae import AutoencoderTransformer

        torch.set_num_threads(1)
        acc = Accelerator(cpu=True)
        est = AutoencoderTransformer(batch_size=33, accelerator=acc, **KW).fit(X)
        info = dict(n=acc.num_processes, dist=str(acc.distributed_type),
                    registry=len(acc._models) + len(acc._optimizers),
                    loss=est.loss_curve_, valid=est.validation_scores_, Z=est.transform(X))
        with open(f"{OUT}/{acc.process_index}.pkl", "wb") as f:
            pickle.dump((info, est if acc.is_main_process else None), f)

    if __name__ == "__main__":
        debug_launcher(train, num_processes=2)
        import torch
        from skae import AutoencoderTransformer

        torch.set_num_threads(1)
        (r0, est), (r1, _) = (pickle.load(open(f"{OUT}/{r}.pkl", "rb")) for r in (0, 1))
        ref = AutoencoderTransformer(batch_size=66, **KW).fit(X)
        print(repr(dict(
            n=r0["n"], dist=r0["dist"], registry=r0["registry"],
            same_history=(r0["loss"], r0["valid"]) == (r1["loss"], r1["valid"]),
            same_model=bool(np.array_equal(r0["Z"], r1["Z"])),
            n_iter=(len(r0["loss"]), ref.n_iter_),
            loss=float(np.max(np.abs(np.subtract(r0["loss"], ref.loss_curve_)))),
            valid=float(np.max(np.abs(np.subtract(r0["valid"], ref.validation_scores_)))),
            Z=float(np.max(np.abs(r0["Z"] - ref.transform(X)))),
            unpickled=float(np.max(np.abs(est.transform(X) - r0["Z"]))),
        )))
    """
)


def test_two_processes_equal_one_process_with_twice_the_batch(tmp_path):
    # Two gloo processes (DistributedDataParallel on the CPU) with 33 rows per batch
    # each see, step by step, the same 66 rows as one process with batches of 66
    # (the shards interleave the same permutation), and DDP averages the two
    # gradients: the same training up to float rounding. Early stopping (patience 1)
    # stops both processes at the same epoch and restores the best weights.
    script = tmp_path / "two_processes.py"
    script.write_text(TWO_PROCESSES)
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    res = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    assert res["n"] == 2 and res["dist"] == "DistributedType.MULTI_CPU"
    assert res["registry"] == 0
    assert res["same_history"] and res["same_model"]
    assert res["n_iter"][0] == res["n_iter"][1] < 4  # stopped early, at the same epoch
    assert res["loss"] < 1e-5 and res["valid"] < 1e-5
    assert res["Z"] < 1e-4
    assert res["unpickled"] == 0.0
