# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Scale-out figures: fit on a memory-mapped array, and serial vs loky vs Dask grid search.

``python benchmarks/scale_out.py [--rows 1000000] [--data-home ../shared/data]``

1. ``fit`` (1 epoch) on a ``np.memmap`` of MNIST rows repeated to ``--rows`` rows
   (3 GB at 1,000,000 rows): peak added anonymous memory (heap, arrays, tensors) against
   the file size. The file's pages read during training are reclaimable page cache.
2. ``GridSearchCV`` over 4 candidates x 3 folds on digits: serial, joblib loky
   ``n_jobs=2``, and a ``distributed.LocalCluster`` (2 worker processes, 1 thread each);
   wall time and whether the results equal the serial run's.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PeakMemory, load_mnist_arrays, memory_now

from skae import AutoencoderTransformer

RESULTS = Path(__file__).resolve().parent / "results"


def memmap_fit(rows, data_home):
    X, _ = load_mnist_arrays(data_home, "train")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "X.dat")
        mm = np.memmap(path, dtype=np.float32, mode="w+", shape=(rows, X.shape[1]))
        for start in range(0, rows, len(X)):
            stop = min(start + len(X), rows)
            mm[start:stop] = X[: stop - start]
        mm.flush()
        del mm
        mm = np.memmap(path, dtype=np.float32, mode="r", shape=(rows, X.shape[1]))
        est = AutoencoderTransformer(
            n_components=32, max_epochs=1, early_stopping=False, batch_size=256, random_state=0
        )
        before = memory_now()
        t0 = time.perf_counter()
        with PeakMemory(interval=0.01) as peak:
            est.fit(mm)
        seconds = time.perf_counter() - t0
    file_mib = rows * X.shape[1] * 4 / 2**20
    added = (peak.peak_anon - before["anon"]) / 2**20 if before["anon"] is not None else None
    return {
        "rows": rows,
        "file_MiB": round(file_mib, 1),
        "peak_added_anon_MiB": None if added is None else round(added, 1),
        "added_vs_file": None if added is None else round(added / file_mib, 4),
        "fit_seconds": round(seconds, 1),
    }


def grid_search():
    X = load_digits().data / 16.0
    params = dict(hidden_layer_sizes=(64,), max_epochs=20, random_state=0)
    grid = {"n_components": [2, 4, 8, 16]}

    def run(n_jobs=None):
        t0 = time.perf_counter()
        res = GridSearchCV(AutoencoderTransformer(**params), grid, cv=3, n_jobs=n_jobs).fit(X)
        return time.perf_counter() - t0, res.cv_results_["mean_test_score"]

    serial_s, serial = run()
    loky_s, loky = run(n_jobs=2)
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
    ):
        dask_s, on_dask = run(n_jobs=-1)
    return [
        {"backend": "serial", "seconds": round(serial_s, 1), "equal_to_serial": True},
        {
            "backend": "loky n_jobs=2",
            "seconds": round(loky_s, 1),
            "equal_to_serial": bool(np.array_equal(loky, serial)),
        },
        {
            "backend": "dask LocalCluster 2x1",
            "seconds": round(dask_s, 1),
            "equal_to_serial": bool(np.array_equal(on_dask, serial)),
        },
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args()
    mem = memmap_fit(args.rows, args.data_home)
    print("fit on np.memmap:", json.dumps(mem))
    grid = grid_search()
    print("| backend | seconds | equal to serial |\n|---|---:|---|")
    for row in grid:
        print(f"| {row['backend']} | {row['seconds']} | {row['equal_to_serial']} |")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"scale_out-{time.strftime('%Y-%m-%d')}.json"
    out.write_text(json.dumps({"memmap_fit": mem, "grid_search": grid}, indent=2) + "\n")
    print(f"Results: {out}")


if __name__ == "__main__":
    main()
