# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""skae benchmarks: training speed, inference, memory, quality, scaling (and optional others).

Run ``python benchmarks/run.py --quick`` for a < 10 minute smoke run on a
laptop, or without ``--quick`` for the full benchmark (hours on 2 cores).
See ``benchmarks/README.md`` for what each section measures.
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier
from skorch import NeuralNetRegressor
from torch import nn

from skae import AutoencoderTransformer, VariationalAutoencoderTransformer
from skae.nn import build_autoencoder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    BENCH_DIR,
    MIB,
    Column,
    PeakMemory,
    Results,
    Timer,
    check,
    load_mnist_arrays,
    machine_info,
    max_rss,
    median,
    memory_now,
    repeat_rows,
    resolve_device,
    result_name,
    set_threads,
    sync,
)

SECTIONS = ("speed", "inference", "memory", "quality", "scaling", "others")
N_FEATURES = 784
HIDDEN = (512, 256)
N_COMPONENTS = 32
CHUNK = 4096  # rows per inference chunk, as skae's transform uses
KNN_ROWS = 10_000

# What --quick changes. Everything else is identical between the two modes.
PLANS = {
    "quick": {
        "speed_rows": 20_000,
        "speed_epochs": 2,
        "speed_batches": (64, 256),
        "inference_rows": 20_000,
        "memory_rows": 200_000,
        "fit_memory_rows": 20_000,
        "quality_rows": 10_000,
        "quality_epochs": 5,
        "quality_plan": [("pca", 2), ("ae", 2), ("pca", 32), ("ae", 32)],
        "scaling_rows": (5_000, 10_000, 20_000),
        "scaling_features": (196, 392, 784),
        "scaling_feature_rows": 10_000,
        "scaling_epochs": 2,
        "others_rows": 20_000,
        "others_epochs": 2,
    },
    "full": {
        "speed_rows": 60_000,
        "speed_epochs": 3,
        "speed_batches": (64, 256, 1024),
        "inference_rows": 60_000,
        "memory_rows": 1_000_000,
        "fit_memory_rows": 60_000,
        "quality_rows": None,  # all 60,000
        "quality_epochs": None,  # the estimators' defaults (early stopping)
        "quality_plan": [
            *[(m, k) for k in (2, 8, 32, 64) for m in ("pca", "ae")],
            *[(m, k) for k in (2, 32) for m in ("conv", "vae")],
        ],
        "scaling_rows": (10_000, 60_000, 240_000),
        "scaling_features": (196, 392, 784, 1568),
        "scaling_feature_rows": 60_000,
        "scaling_epochs": 2,
        "others_rows": 60_000,
        "others_epochs": 5,
    },
}


# =========================================================================== models
def speed_estimator(batch_size, epochs, device, **kwargs):
    """skae with the benchmark's fixed architecture and no early stopping.

    ``init="random"``: the same module (sigmoid output, BCE) as the raw loop's, so
    the timings compare the training machinery, not two different networks.
    """
    params = {
        "n_components": N_COMPONENTS,
        "hidden_layer_sizes": HIDDEN,
        "init": "random",
        "early_stopping": False,
        "max_epochs": epochs,
        "batch_size": batch_size,
        "random_state": 0,
        "device": device,
    }
    return AutoencoderTransformer(**{**params, **kwargs})


def raw_module(n_features=N_FEATURES):
    """The very module skae trains (sigmoid output; forward returns ``(logits, z)``)."""
    return build_autoencoder(
        n_features, N_COMPONENTS, hidden_layer_sizes=HIDDEN, output_activation="sigmoid"
    )


class LogitsOnly(nn.Module):
    """Wrap an skae autoencoder so that ``forward`` returns only the logits (for skorch)."""

    def __init__(self, autoencoder):
        super().__init__()
        self.autoencoder = autoencoder

    def forward(self, x):
        return self.autoencoder(x)[0]


def fit_skae(X, batch_size, epochs, device):
    est = speed_estimator(batch_size, epochs, device)
    with Timer(device) as t:
        est.fit(X)
    return {"fit": t.seconds, "epochs": [float(d) for d in est.net_.history[:, "dur"]]}


def fit_raw(X, batch_size, epochs, device):
    """A hand-written PyTorch loop: one tensor, ``randperm``, index per batch."""
    epoch_seconds = []
    with Timer(device) as t:
        torch.manual_seed(0)
        module = raw_module(X.shape[1]).to(device)
        # The same optimizer skae uses by default: fused Adam (one kernel per step).
        optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, fused=True)
        data = torch.from_numpy(X).to(device)
        n = data.shape[0]
        module.train()
        for _ in range(epochs):
            start_epoch = time.perf_counter()
            perm = torch.randperm(n, device=device)
            total = torch.zeros((), device=device)
            for start in range(0, n, batch_size):
                xb = data[perm[start : start + batch_size]]
                optimizer.zero_grad(set_to_none=True)
                logits, _ = module(xb)
                loss = F.binary_cross_entropy_with_logits(logits, xb)
                loss.backward()
                optimizer.step()
                total += loss.detach()
            total.item()  # the epoch's loss, as any real loop reports (and a GPU sync)
            epoch_seconds.append(time.perf_counter() - start_epoch)
    return {"fit": t.seconds, "epochs": epoch_seconds}


def fit_skorch_default(X, batch_size, epochs, device):
    """skorch's ``NeuralNetRegressor`` with its default Dataset/DataLoader, fed NumPy."""
    with Timer(device) as t:
        torch.manual_seed(0)
        net = NeuralNetRegressor(
            LogitsOnly(raw_module(X.shape[1])),
            criterion=nn.BCEWithLogitsLoss,
            optimizer=torch.optim.Adam,
            optimizer__fused=True,
            lr=1e-3,
            batch_size=batch_size,
            max_epochs=epochs,
            train_split=None,
            iterator_train__shuffle=True,
            callbacks__print_log=None,
            predict_nonlinearity=None,
            device=device,
        )
        net.fit(X, X)
    return {"fit": t.seconds, "epochs": [float(d) for d in net.history[:, "dur"]]}


def rotations(names, repeats):
    """``repeats`` orders of ``names``, each rotated by one, so no method is always first."""
    return [names[r % len(names) :] + names[: r % len(names)] for r in range(repeats)]


# =========================================================================== 1. speed
def section_speed(ctx):
    plan, device, repeats = ctx["plan"], ctx["device"], ctx["repeats"]
    X = ctx["X_train"][: plan["speed_rows"]]
    epochs = plan["speed_epochs"]
    runners = {"skae": fit_skae, "raw": fit_raw, "skorch-default": fit_skorch_default}
    # Warm up every code path once (thread pools, oneDNN, CUDA context): not timed.
    for run in runners.values():
        run(X[:1024], 256, 1, device)

    rows, raw_data = [], {}
    for batch_size in plan["speed_batches"]:
        measured = {name: [] for name in runners}
        for order in rotations(list(runners), repeats):
            for name in order:
                measured[name].append(runners[name](X, batch_size, epochs, device))
        raw_data[batch_size] = measured
        summary = {}
        for name, runs in measured.items():
            summary[name] = {
                "fit_per_epoch": median([r["fit"] / epochs for r in runs]),
                "epoch": median([median(r["epochs"]) for r in runs]),
            }
        base = summary["raw"]
        for name, s in summary.items():
            rows.append(
                {
                    "batch_size": batch_size,
                    "method": name,
                    "fit_per_epoch": s["fit_per_epoch"],
                    "epoch": s["epoch"],
                    "us_per_sample": 1e6 * s["epoch"] / len(X),
                    "ratio_fit": s["fit_per_epoch"] / base["fit_per_epoch"],
                    "ratio_epoch": s["epoch"] / base["epoch"],
                }
            )

    def ratio(batch, method="skae"):
        return next(
            r["ratio_epoch"] for r in rows if r["batch_size"] == batch and r["method"] == method
        )

    checks = [
        check(f"skae/raw epoch time at batch {b}", ratio(b), limit)
        for b, limit in ((256, 1.10), (64, 1.25))
        if b in plan["speed_batches"]
    ]
    columns = [
        Column("batch_size", "batch"),
        Column("method"),
        Column("fit_per_epoch", "fit s / epoch", "{:.3f}"),
        Column("epoch", "epoch s (history)", "{:.3f}"),
        Column("us_per_sample", "µs / sample", "{:.1f}"),
        Column("ratio_fit", "fit ratio vs raw", "{:.3f}"),
        Column("ratio_epoch", "epoch ratio vs raw", "{:.3f}"),
    ]
    return {
        "title": "1. Training speed",
        "description": (
            f"MNIST {len(X):,}x{X.shape[1]} float32, dense {N_FEATURES}-{HIDDEN[0]}-{HIDDEN[1]}-"
            f"{N_COMPONENTS} (mirrored decoder), BCE-with-logits, fused Adam lr 1e-3, "
            f"{epochs} epochs, "
            f"median of {repeats} alternating repeats. `fit s / epoch` is the whole `fit` call "
            "divided by the epochs (set-up included); `epoch s` is the median epoch duration "
            "(skorch's `history[:, 'dur']`, or timed around the raw loop's epoch). "
            "`raw` is a hand-written PyTorch loop on the same module; `skorch-default` is "
            "`NeuralNetRegressor` with skorch's default Dataset/DataLoader fed the NumPy array."
        ),
        "tables": [("", rows, columns)],
        "checks": checks,
        "notes": ["Targets are checked on the epoch-time ratio (steady state)."],
        "extra": {"raw": raw_data},
    }


# =========================================================================== 2. inference
def raw_map(fn, X, n_out, device):
    """The raw module over ``X`` in chunks of 4096 under ``torch.inference_mode``."""
    out = np.empty((X.shape[0], n_out), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, X.shape[0], CHUNK):
            xb = torch.from_numpy(X[start : start + CHUNK]).to(device)
            out[start : start + CHUNK] = fn(xb).cpu().numpy()
    return out


def section_inference(ctx):
    plan, device, repeats = ctx["plan"], ctx["device"], ctx["repeats"]
    X = ctx["X_train"][: plan["inference_rows"]]
    est = speed_estimator(256, 1, device).fit(ctx["X_train"][:5000])
    module = est.net_.module_.eval()
    pca = PCA(N_COMPONENTS, random_state=0).fit(X)
    Z = est.transform(X)
    Z_pca = pca.transform(X)
    ops = {
        "transform": {
            "skae": lambda: est.transform(X),
            "raw": lambda: raw_map(module.encode, X, N_COMPONENTS, device),
            "PCA": lambda: pca.transform(X),
        },
        "inverse_transform": {
            "skae": lambda: est.inverse_transform(Z),
            "raw": lambda: raw_map(module.decode, Z, X.shape[1], device),
            "PCA": lambda: pca.inverse_transform(Z_pca),
        },
    }
    np.testing.assert_allclose(ops["transform"]["skae"](), ops["transform"]["raw"](), atol=1e-4)
    rows, checks = [], []
    for op, methods in ops.items():
        times = {name: [] for name in methods}
        for fn in methods.values():  # warm-up
            fn()
        for order in rotations(list(methods), repeats):
            for name in order:
                with Timer(device) as t:
                    methods[name]()
                times[name].append(t.seconds)
        best = {name: min(ts) for name, ts in times.items()}
        for name in methods:
            rows.append(
                {
                    "op": op,
                    "method": name,
                    "seconds": best[name],
                    "rows_per_s": len(X) / best[name],
                    "vs_raw": best["raw"] / best[name],
                }
            )
        if op == "transform":
            checks.append(
                check(
                    "skae transform throughput / raw",
                    best["raw"] / best["skae"],
                    0.9,
                    at_most=False,
                )
            )
    columns = [
        Column("op"),
        Column("method"),
        Column("seconds", "best s", "{:.4f}"),
        Column("rows_per_s", "rows / s", "{:,.0f}"),
        Column("vs_raw", "throughput vs raw", "{:.3f}"),
    ]
    return {
        "title": "2. Inference throughput",
        "description": (
            f"{len(X):,} MNIST rows (float32), the fitted {N_FEATURES}-{HIDDEN[0]}-{HIDDEN[1]}-"
            f"{N_COMPONENTS} model. `raw` runs the same module under `torch.inference_mode()` in "
            f"chunks of {CHUNK} rows into a preallocated array; PCA({N_COMPONENTS}) for scale. "
            f"Best of {repeats} alternating repeats."
        ),
        "tables": [("", rows, columns)],
        "checks": checks,
    }


# =========================================================================== 3. memory
CHILD = "import sys; sys.path.insert(0, sys.argv[1]); import run; run.memory_child(sys.argv[2])"


def run_child(config: dict) -> dict:
    """Run :func:`memory_child` in a fresh interpreter; return its JSON result."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(BENCH_DIR), json.dumps(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"memory child failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def memory_child(config_json: str) -> None:
    """Child process of the memory section: measure one call, print a JSON line."""
    cfg = json.loads(config_json)
    set_threads(cfg["threads"])
    device = cfg["device"]
    if cfg["kind"] == "transform":
        with open(cfg["model"], "rb") as fh:
            est = pickle.load(fh)
        X = np.memmap(cfg["path"], dtype=np.float32, mode="r", shape=tuple(cfg["shape"]))
        est.transform(X[:64])  # warm-up: one-off library initialisation is not counted
        call = lambda: est.transform(X)  # noqa: E731
    else:
        X, _ = load_mnist_arrays(cfg["data_home"], "train", cfg["rows"])
        speed_estimator(256, 1, device, hidden_layer_sizes=(8,)).fit(X[:256])  # warm-up
        est = speed_estimator(256, cfg["epochs"], device, early_stopping=True)
        call = lambda: est.fit(X)  # noqa: E731
    gc.collect()
    before = memory_now()
    with PeakMemory() as peak, Timer(device) as t:
        out = call()
    result = {
        "seconds": t.seconds,
        "before_rss": before["rss"],
        "before_anon": before["anon"],
        "peak_rss": peak.peak_rss,
        "peak_anon": peak.peak_anon,
        "ru_maxrss": max_rss(),
        "input_bytes": int(X.nbytes),
    }
    if cfg["kind"] == "transform":
        result["output_bytes"] = int(out.nbytes)
        result["output_dtype"] = str(out.dtype)
    print(json.dumps(result))


def make_memmap(path, X, n_rows):
    """An ``n_rows``x784 float32 ``np.memmap`` filled chunk by chunk with rows of ``X``."""
    mm = np.memmap(path, dtype=np.float32, mode="w+", shape=(n_rows, X.shape[1]))
    for start in range(0, n_rows, len(X)):
        stop = min(start + len(X), n_rows)
        mm[start:stop] = X[: stop - start]
    mm.flush()
    del mm


def section_memory(ctx):
    plan, device, threads = ctx["plan"], ctx["device"], ctx["threads"]
    X = ctx["X_train"]
    n_rows = plan["memory_rows"]
    base = {"threads": threads, "device": device}
    with tempfile.TemporaryDirectory(prefix="skae-bench-") as tmp:
        path = Path(tmp) / "X.f32"
        make_memmap(path, X, n_rows)
        est = speed_estimator(256, 1, device).fit(X[:5000])
        model = Path(tmp) / "model.pkl"
        with open(model, "wb") as fh:
            pickle.dump(est, fh)
        tr = run_child(
            {
                **base,
                "kind": "transform",
                "path": str(path),
                "shape": [n_rows, X.shape[1]],
                "model": str(model),
            }
        )
    fit = run_child(
        {
            **base,
            "kind": "fit",
            "data_home": ctx["data_home"],
            "rows": plan["fit_memory_rows"],
            "epochs": 1,
        }
    )
    # Anonymous memory where the platform reports it (Linux), else total RSS.
    key = "anon" if tr["peak_anon"] is not None else "rss"
    rows = []
    for name, r in (("transform (np.memmap input)", tr), ("fit (1 epoch, in-memory X)", fit)):
        added = r[f"peak_{key}"] - r[f"before_{key}"]
        ref = r.get("output_bytes", r["input_bytes"])
        rows.append(
            {
                "call": name,
                "input_mib": r["input_bytes"] / MIB,
                "output_mib": r["output_bytes"] / MIB if "output_bytes" in r else None,
                "added_mib": added / MIB,
                "added_rss_mib": (r["peak_rss"] - r["before_rss"]) / MIB,
                "ratio": added / ref,
                "ratio_of": "output" if "output_bytes" in r else "input",
                "seconds": r["seconds"],
            }
        )
    added = rows[0]["added_mib"] * MIB
    limit = 1.2 * tr["output_bytes"] + 64 * MIB
    checks = [check("transform: peak added memory (MiB)", added / MIB, limit / MIB)]
    columns = [
        Column("call"),
        Column("input_mib", "input MiB", "{:,.0f}"),
        Column("output_mib", "output MiB", "{:,.1f}"),
        Column("added_mib", f"peak added MiB ({key})", "{:,.1f}"),
        Column("added_rss_mib", "peak added RSS MiB (incl. mapped file)", "{:,.1f}"),
        Column("ratio", "added / reference", "{:.3f}"),
        Column("ratio_of", "reference"),
        Column("seconds", "s", "{:.2f}"),
    ]
    return {
        "title": "3. Memory",
        "description": (
            f"Each call runs in a fresh subprocess (device={device}). `transform` of a fitted "
            f"{N_FEATURES}-{HIDDEN[0]}-{HIDDEN[1]}-{N_COMPONENTS} model (pickled after a fit on "
            f"5,000 rows) on a {n_rows:,}x{X.shape[1]} float32 `np.memmap` of repeated MNIST "
            f"rows; `fit` of the same architecture on {plan['fit_memory_rows']:,} MNIST rows "
            "(1 epoch, early stopping on, so the validation split is exercised). Memory is "
            "sampled every 2 ms from before the call to its end, after a warm-up call."
        ),
        "tables": [("", rows, columns)],
        "checks": checks,
        "notes": [
            "`peak added (anon)` is anonymous resident memory (heap, arrays, tensors): it "
            "excludes the pages of the memory-mapped input, which reading makes resident as "
            "reclaimable page cache; the `incl. mapped file` column counts them too.",
            "Target: ≤ 1.2 x output size + 64 MiB (so no float64 or float32 copy of X).",
        ],
        "extra": {"raw": {"transform": tr, "fit": fit}},
    }


# =========================================================================== 4. quality
# Published values, quoted for comparison (not measured here).
# Sainburg, McInnes & Gentner (2021), Parametric UMAP, Neural Computation 33(11):
# MNIST test reconstruction MSE per pixel and 2-D latent 5-NN accuracy.
SAINBURG_MSE = {("ae", 2): 0.0369, ("vae", 2): 0.0371, ("pca", 2): 0.0557}
SAINBURG_MSE.update({("ae", 64): 0.0016, ("pca", 64): 0.0090})
SAINBURG_KNN = {("ae", 2): 0.79, ("pca", 2): 0.42}
# Hinton & Salakhutdinov (2006), Science 313(5786): MNIST test squared error per image, 30-D.
HINTON_SSE_30D = {"ae": 3.00, "pca": 13.87}
QUALITY_METHODS = ("pca", "ae", "conv", "vae")
QUALITY_LABELS = {"pca": "PCA", "ae": "AE (default)", "conv": "conv AE", "vae": "VAE"}


def quality_model(method, k, device, max_epochs):
    kwargs = {"random_state": 0, "device": device}
    if max_epochs is not None:
        kwargs["max_epochs"] = max_epochs
    if method == "ae":
        return AutoencoderTransformer(n_components=k, **kwargs)
    if method == "conv":
        return AutoencoderTransformer(
            n_components=k, architecture="conv", input_shape=(28, 28), **kwargs
        )
    if method == "vae":
        return VariationalAutoencoderTransformer(n_components=k, **kwargs)
    return PCA(k, random_state=0)


def quality_plan(ctx):
    args, plan = ctx["args"], ctx["plan"]
    if args.quality_methods is None and args.quality_sizes is None:
        return plan["quality_plan"]
    methods = args.quality_methods or list(QUALITY_METHODS)
    sizes = args.quality_sizes or [2, 8, 32, 64]
    return [(m, k) for k in sizes for m in methods]


def section_quality(ctx):
    plan, device, args = ctx["plan"], ctx["device"], ctx["args"]
    X_tr, y_tr = ctx["X_train"], ctx["y_train"]
    if plan["quality_rows"] is not None:
        X_tr, y_tr = X_tr[: plan["quality_rows"]], y_tr[: plan["quality_rows"]]
    X_te, y_te = ctx["X_test"], ctx["y_test"]
    max_epochs = args.max_epochs if args.max_epochs is not None else plan["quality_epochs"]
    knn_rows = np.sort(
        np.random.default_rng(0).choice(len(X_tr), min(KNN_ROWS, len(X_tr)), replace=False)
    )
    rows = []
    for method, k in quality_plan(ctx):
        model = quality_model(method, k, device, max_epochs)
        with Timer(device) as t:
            model.fit(X_tr)
        Z_te = model.transform(X_te)
        sq = (model.inverse_transform(Z_te) - X_te) ** 2
        knn = KNeighborsClassifier(5).fit(model.transform(X_tr[knn_rows]), y_tr[knn_rows])
        row = {
            "method": QUALITY_LABELS[method],
            "k": k,
            "epochs": getattr(model, "n_iter_", None) if method != "pca" else None,
            "fit_s": t.seconds,
            "mse": float(sq.mean()),
            "sse": float(sq.sum(axis=1).mean()),
            "knn": float(knn.score(Z_te, y_te)),
            "ref_mse": SAINBURG_MSE.get((method, k)),
            "ref_knn": SAINBURG_KNN.get((method, k)),
            "ref_sse": HINTON_SSE_30D.get(method) if k == 32 else None,
            "key": method,
        }
        rows.append(row)
        print(
            f"  quality {row['method']} k={k}: MSE {row['mse']:.4f}, 5-NN {row['knn']:.3f}, "
            f"fit {row['fit_s']:.1f} s, epochs {row['epochs']}",
            flush=True,
        )

    def find(method, k):
        return next((r for r in rows if r["key"] == method and r["k"] == k), None)

    checks = []
    if find("ae", 2):
        checks.append(check("default AE test MSE at 2-D", find("ae", 2)["mse"], 0.040))
    if find("ae", 32) and find("pca", 32):
        ratio = find("ae", 32)["mse"] / find("pca", 32)["mse"]
        checks.append(check("default AE / PCA test MSE at 32-D", ratio, 0.4))
    fits = [r["fit_s"] for r in rows if r["key"] != "pca"]
    if fits:
        checks.append(check("slowest autoencoder fit (s)", max(fits), 600.0))
    for r in rows:
        del r["key"]
    columns = [
        Column("method"),
        Column("k", "n_components"),
        Column("epochs"),
        Column("fit_s", "fit s", "{:.1f}"),
        Column("mse", "test MSE / pixel", "{:.4f}"),
        Column("sse", "SSE / image", "{:.2f}"),
        Column("knn", "5-NN acc", "{:.3f}"),
        Column("ref_mse", "published MSE [S21]", "{:.4f}"),
        Column("ref_knn", "published 5-NN [S21]", "{:.2f}"),
        Column("ref_sse", "published SSE/image 30-D [HS06]", "{:.2f}"),
    ]
    epochs_note = f"max_epochs={max_epochs}" if max_epochs is not None else "default max_epochs"
    return {
        "title": "4. Quality",
        "description": (
            f"MNIST train ({len(X_tr):,} rows) → test (10,000 rows). Estimators with their "
            f"defaults (only n_components, random_state=0 and device set; {epochs_note}; the "
            "conv AE adds architecture='conv', input_shape=(28, 28)). Test MSE per pixel and "
            "mean per-image sum of squared errors of `inverse_transform(transform(X_test))`; "
            f"5-NN accuracy of a `KNeighborsClassifier(5)` trained on the codes of "
            f"{len(knn_rows):,} random training rows (seed 0), scored on the test codes."
        ),
        "tables": [("", rows, columns)],
        "checks": checks,
        "notes": [
            "Published reference values (not measured here): [S21] Sainburg, McInnes & "
            "Gentner 2021, Parametric UMAP (Neural Computation 33(11)), MNIST test MSE per "
            "pixel and 2-D 5-NN accuracy; [HS06] Hinton & Salakhutdinov 2006 (Science "
            "313(5786)), squared error per image with a 30-D code (784-1000-500-250-30 deep "
            "AE vs PCA), shown beside our 32-D rows. Their architectures and training "
            "budgets differ from skae's defaults.",
        ]
        + (
            ["Quick mode: a training subset and few epochs, so the targets are indicative only."]
            if ctx["quick"]
            else []
        ),
    }


# =========================================================================== 5. scaling
def time_fit(X, epochs, device):
    est = speed_estimator(256, epochs, device)
    with Timer(device) as t:
        est.fit(X)
    pca = PCA(N_COMPONENTS, random_state=0)
    with Timer("cpu") as tp:
        pca.fit(X)
    return {
        "fit_per_epoch": t.seconds / epochs,
        "epoch": median([float(d) for d in est.net_.history[:, "dur"]]),
        "pca_fit": tp.seconds,
    }


def section_scaling(ctx):
    plan, device = ctx["plan"], ctx["device"]
    X = ctx["X_train"]
    epochs = plan["scaling_epochs"]
    time_fit(X[:1024], 1, device)  # warm-up
    by_rows = []
    for n in plan["scaling_rows"]:
        r = time_fit(repeat_rows(X, n), epochs, device)
        by_rows.append({"n_samples": n, **r, "us_per_sample": 1e6 * r["epoch"] / n})
    base = by_rows[0]["us_per_sample"]
    for r in by_rows:
        r["relative"] = r["us_per_sample"] / base
    n = plan["scaling_feature_rows"]
    by_features = []
    for d in plan["scaling_features"]:
        if d <= X.shape[1]:
            Xd = np.ascontiguousarray(X[:n, :d])
        else:
            Xd = np.ascontiguousarray(np.tile(X[:n], (1, -(-d // X.shape[1])))[:, :d])
        r = time_fit(Xd, epochs, device)
        by_features.append({"n_features": d, **r, "us_per_sample": 1e6 * r["epoch"] / n})
    common = [
        Column("fit_per_epoch", "skae fit s / epoch", "{:.3f}"),
        Column("epoch", "skae epoch s", "{:.3f}"),
        Column("us_per_sample", "µs / sample / epoch", "{:.1f}"),
        Column("pca_fit", f"PCA({N_COMPONENTS}) fit s", "{:.3f}"),
    ]
    return {
        "title": "5. Scaling",
        "description": (
            f"skae fit time per epoch (batch 256, {epochs} epochs, architecture "
            f"d-{HIDDEN[0]}-{HIDDEN[1]}-{N_COMPONENTS}) against n_samples (MNIST rows repeated) "
            f"and against n_features ({n:,} rows; columns sliced, or tiled beyond 784), with "
            f"PCA({N_COMPONENTS}) fit time beside it. A constant µs / sample means linear "
            "scaling in n_samples."
        ),
        "tables": [
            (
                "vs n_samples",
                by_rows,
                [
                    Column("n_samples", "n_samples", "{:,}"),
                    *common,
                    Column("relative", "per-sample cost vs smallest", "{:.2f}"),
                ],
            ),
            ("vs n_features", by_features, [Column("n_features"), *common]),
        ],
    }


# =========================================================================== 6. others
def section_others(ctx):
    plan, device, repeats = ctx["plan"], ctx["device"], ctx["repeats"]
    n, epochs = plan["others_rows"], plan["others_epochs"]
    X, X_te = ctx["X_train"][:n], ctx["X_test"]
    notes, rows, versions = [], [], {}
    try:
        import encdr  # noqa: F401

        notes.append(
            "encdr is installed but has no runner here (it needs Python >= 3.12, which the "
            "development environment lacked, so its API could not be exercised)."
        )
    except ImportError:
        notes.append("encdr: not installed (it requires Python >= 3.12).")
    try:
        import pyod
        from pyod.models.auto_encoder import AutoEncoder as PyODAutoEncoder
    except ImportError:
        notes.append("pyod: not installed (`pip install -r benchmarks/requirements.txt`).")
        PyODAutoEncoder = None
    if PyODAutoEncoder is None:
        print("\nOther libraries: " + " ".join(notes))
        return {
            "title": "6. Other libraries",
            "description": "Optional comparison with other autoencoder libraries.",
            "tables": [],
            "notes": notes,
        }
    versions["pyod"] = pyod.__version__

    def run_pyod():
        det = PyODAutoEncoder(
            hidden_neuron_list=[*HIDDEN, N_COMPONENTS],
            batch_norm=False,
            dropout_rate=0.0,
            preprocessing=False,
            optimizer_params={"weight_decay": 0.0},
            lr=1e-3,
            epoch_num=epochs,
            batch_size=256,
            device=device,
            random_state=0,
            verbose=0,
        )
        with Timer(device) as t:
            det.fit(X)
        # decision_function is the Euclidean reconstruction error of each row.
        mse = float(np.mean(det.decision_function(X_te) ** 2) / X_te.shape[1])
        return t.seconds, mse

    def run_skae():
        est = speed_estimator(256, epochs, device)
        with Timer(device) as t:
            est.fit(X)
        mse = float(np.mean((est.inverse_transform(est.transform(X_te)) - X_te) ** 2))
        return t.seconds, mse

    runners = {"skae": run_skae, f"pyod {pyod.__version__} AutoEncoder": run_pyod}
    results = {name: [] for name in runners}
    for order in rotations(list(runners), max(1, min(repeats, 2))):
        for name in order:
            results[name].append(runners[name]())
    for name, runs in results.items():
        rows.append(
            {
                "method": name,
                "fit_per_epoch": median([r[0] / epochs for r in runs]),
                "mse": runs[0][1],
            }
        )
    notes.append(
        "PyOD's AutoEncoder is configured as close to skae as its API allows "
        f"(hidden_neuron_list=[{HIDDEN[0]}, {HIDDEN[1]}, {N_COMPONENTS}], no batch norm, no "
        "dropout, no standardisation, no weight decay, Adam lr 1e-3, batch 256), but it "
        "trains with MSE on a linear output and applies ReLU to the code, where skae uses "
        "BCE-with-logits and a sigmoid output; its `fit` also scores the training set once "
        "(included in its fit time). PyOD feeds a per-row torch Dataset through a DataLoader."
    )
    columns = [
        Column("method"),
        Column("fit_per_epoch", "fit s / epoch", "{:.3f}"),
        Column("mse", "test MSE / pixel", "{:.4f}"),
    ]
    return {
        "title": "6. Other libraries",
        "description": (
            f"MNIST {n:,} training rows, {epochs} epochs, batch 256, same {N_FEATURES}-"
            f"{HIDDEN[0]}-{HIDDEN[1]}-{N_COMPONENTS} architecture; test MSE on 10,000 test rows."
        ),
        "tables": [("", rows, columns)],
        "notes": notes,
        "extra": {"versions": versions},
    }


# =========================================================================== main
RUNNERS = {
    "speed": section_speed,
    "inference": section_inference,
    "memory": section_memory,
    "quality": section_quality,
    "scaling": section_scaling,
    "others": section_others,
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small subsets; < 10 min on 2 cores")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--data-home", default=None, help="folder holding mnist/ (skae's default)")
    p.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)}",
    )
    p.add_argument(
        "--threads", type=int, default=None, help="torch/BLAS threads (default: torch's)"
    )
    p.add_argument("--repeats", type=int, default=3, help="timing repeats (median or best)")
    p.add_argument("--tag", default=None, help="machine name in the result files (hostname)")
    p.add_argument(
        "--quality-methods",
        type=lambda s: [m.strip() for m in s.split(",") if m.strip()],
        default=None,
        help=f"comma-separated subset of {','.join(QUALITY_METHODS)}",
    )
    p.add_argument(
        "--quality-sizes",
        type=lambda s: [int(k) for k in s.split(",") if k.strip()],
        default=None,
        help="comma-separated n_components, e.g. 2,8,32,64",
    )
    p.add_argument("--max-epochs", type=int, default=None, help="override quality max_epochs")
    args = p.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        p.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    if args.quality_methods and set(args.quality_methods) - set(QUALITY_METHODS):
        p.error(f"--quality-methods must be among {QUALITY_METHODS}")
    args.sections = sections
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    device = resolve_device(args.device)
    threads = set_threads(args.threads)
    info = machine_info(device, threads, args.tag)
    plan = PLANS["quick" if args.quick else "full"]
    results = Results(
        result_name(info["machine"], args.quick),
        "skae benchmarks" + (" (quick)" if args.quick else ""),
        info,
        {"quick": args.quick, "sections": args.sections, "repeats": args.repeats, **plan},
    )
    print(
        f"skae benchmarks ({'quick' if args.quick else 'full'}) on {info['machine']}: "
        f"{info['cpu_count']} CPUs, device={device}, threads={threads}, torch {info['torch']}, "
        f"scikit-learn {info['sklearn']}, skorch {info['skorch']}",
        flush=True,
    )
    X_train, y_train = load_mnist_arrays(args.data_home, "train")
    X_test, y_test = load_mnist_arrays(args.data_home, "test")
    ctx = {
        "args": args,
        "plan": plan,
        "quick": args.quick,
        "device": device,
        "threads": threads,
        "repeats": args.repeats,
        "data_home": args.data_home,
        "X_train": X_train,
        "y_train": y_train,
        "X_test": X_test,
        "y_test": y_test,
    }
    for name in args.sections:
        print(f"\n== {name} ...", flush=True)
        t0 = time.perf_counter()
        section = RUNNERS[name](ctx)
        sync(device)
        results.add(
            name,
            section["title"],
            section["description"],
            section["tables"],
            checks=section.get("checks", ()),
            notes=section.get("notes", ()),
            extra=section.get("extra"),
            seconds=time.perf_counter() - t0,
        )
    results.finish(time.perf_counter() - start)


if __name__ == "__main__":
    main()
