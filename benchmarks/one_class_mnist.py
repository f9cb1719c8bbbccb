# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""One-class MNIST: outlier detection AUROC of skae's detector vs IsolationForest and PCA.

For each digit d, train on the training images of d only, score all 10,000
test images and report the AUROC of "another digit" (positive, the outlier)
against "digit d", with the negated ``score_samples`` as the outlier score.
Run ``python benchmarks/one_class_mnist.py --quick`` for a short check.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from skae import AutoencoderOutlierDetector

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    Column,
    Results,
    Timer,
    check,
    load_mnist_arrays,
    machine_info,
    median,
    resolve_device,
    result_name,
    set_threads,
)

N_COMPONENTS = 32


class PCAReconstructionDetector:
    """Outlier score = mean squared error of the PCA reconstruction (higher = more outlying)."""

    def __init__(self, n_components=N_COMPONENTS):
        self.n_components = n_components

    def fit(self, X):
        self.pca_ = PCA(self.n_components, random_state=0).fit(X)
        return self

    def score_samples(self, X):
        """Negative reconstruction error, like scikit-learn's detectors (higher = normal)."""
        rec = self.pca_.inverse_transform(self.pca_.transform(X))
        return -np.mean((X - rec) ** 2, axis=1)


def make_methods(device, max_epochs):
    ae_kwargs = {"n_components": N_COMPONENTS, "random_state": 0, "device": device}
    if max_epochs is not None:
        ae_kwargs["max_epochs"] = max_epochs
    return {
        "skae AE": lambda: AutoencoderOutlierDetector(**ae_kwargs),
        "IsolationForest": lambda: IsolationForest(random_state=0),
        f"PCA({N_COMPONENTS}) recon.": lambda: PCAReconstructionDetector(),
    }


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="digits 0-2, 2,000 rows, 5 epochs")
    p.add_argument("--data-home", default=None, help="folder holding mnist/ (skae's default)")
    p.add_argument("--max-epochs", type=int, default=None, help="max_epochs of the AE")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=None, help="torch/BLAS threads")
    p.add_argument(
        "--digits",
        type=lambda s: [int(d) for d in s.split(",") if d.strip()],
        default=None,
        help="comma-separated digits (default: all; quick: 0,1,2)",
    )
    p.add_argument("--tag", default=None, help="machine name recorded in the results")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    device = resolve_device(args.device)
    threads = set_threads(args.threads)
    info = machine_info(device, threads, args.tag)
    digits = args.digits or (list(range(3)) if args.quick else list(range(10)))
    max_rows = 2000 if args.quick else None
    max_epochs = args.max_epochs if args.max_epochs is not None else (5 if args.quick else None)
    config = {
        "quick": args.quick,
        "digits": digits,
        "max_train_rows_per_digit": max_rows,
        "max_epochs": max_epochs,
    }
    results = Results(
        result_name("one_class_mnist", args.quick),
        "One-class MNIST" + (" (quick)" if args.quick else ""),
        info,
        config,
    )
    print(
        f"One-class MNIST on {info['machine']}: device={device}, threads={threads}, "
        f"digits={digits}, max_epochs={max_epochs or 'default'}",
        flush=True,
    )
    X_train, y_train = load_mnist_arrays(args.data_home, "train")
    X_test, y_test = load_mnist_arrays(args.data_home, "test")
    methods = make_methods(device, max_epochs)

    rows = []
    for digit in digits:
        X_d = X_train[y_train == digit][:max_rows]
        is_outlier = (y_test != digit).astype(int)
        row = {"digit": digit, "n_train": len(X_d)}
        for name, make in methods.items():
            model = make()
            with Timer(device) as t:
                model.fit(X_d)
            row[name] = roc_auc_score(is_outlier, -model.score_samples(X_test))
            row[f"{name} fit s"] = t.seconds
            if hasattr(model, "n_iter_"):
                row["AE epochs"] = model.n_iter_
        rows.append(row)
        print(
            f"  digit {digit}: "
            + ", ".join(f"{name} {row[name]:.3f}" for name in methods)
            + f" (AE {row['AE epochs']} epochs, {row['skae AE fit s']:.1f} s)",
            flush=True,
        )
    mean = {"digit": "mean", "n_train": int(np.mean([r["n_train"] for r in rows]))}
    for name in methods:
        mean[name] = float(np.mean([r[name] for r in rows]))
        mean[f"{name} fit s"] = float(np.mean([r[f"{name} fit s"] for r in rows]))
    mean["AE epochs"] = median([r["AE epochs"] for r in rows])
    ae, iforest, pca = (mean[name] for name in methods)
    checks = [
        check("mean AUROC: skae AE - IsolationForest (> 0)", ae - iforest, 0.0, at_most=False),
        check("mean AUROC: skae AE - PCA (>= -0.01)", ae - pca, -0.01, at_most=False),
    ]
    if ae - iforest == 0:
        checks[0]["pass"] = False  # strictly above is required
    columns = [
        Column("digit"),
        Column("n_train", "train rows"),
        *[Column(name, f"{name} AUROC", "{:.3f}") for name in methods],
        Column("AE epochs", "AE epochs", "{:g}"),
        Column("skae AE fit s", "AE fit s", "{:.1f}"),
        Column("IsolationForest fit s", "IF fit s", "{:.2f}"),
    ]
    epochs_text = (
        f"max_epochs={max_epochs}"
        if max_epochs
        else f"default max_epochs ({AutoencoderOutlierDetector().max_epochs})"
    )
    results.add(
        "one_class",
        "One-class MNIST AUROC",
        (
            "Train on one digit's training images, score the 10,000 test images; AUROC of "
            "'other digit' (outlier, positive) vs 'this digit' with `-score_samples` as the "
            f"outlier score. skae: `AutoencoderOutlierDetector(n_components={N_COMPONENTS}, "
            f"random_state=0)` with default settings ({epochs_text}; early stopping on); "
            "`IsolationForest(random_state=0)`; PCA: mean squared reconstruction error of a "
            f"PCA({N_COMPONENTS}) fitted on the digit."
            + (f" Quick mode: at most {max_rows:,} training rows per digit." if max_rows else "")
        ),
        [("", [*rows, mean], columns)],
        checks=checks,
        seconds=time.perf_counter() - start,
    )
    results.finish(time.perf_counter() - start)


if __name__ == "__main__":
    main()
