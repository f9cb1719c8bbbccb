# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Autoencoder vs PCA on the tables users bring: test reconstruction MSE at equal k.

Twelve real tables (scikit-learn's wine, breast_cancer, diabetes and digits, and
eight ODDS tables from ``<data-home>/odds``), each split 75/25 and standardised
on its training part; ``PCA(k)`` against ``AutoencoderTransformer(n_components=k,
random_state=0)`` (plus ``--params``) for k in {2, d//4, d//2}. A second section
scores 2-D codes of digits with a logistic regression. Run
``python benchmarks/tables.py --quick`` for a smoke run; see ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import skae
from skae import AutoencoderTransformer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    RESULTS_DIR,
    Column,
    Results,
    describe_machine,
    machine_info,
    markdown_table,
    resolve_device,
    result_name,
    set_threads,
)

REPO = Path(__file__).resolve().parent.parent
SKLEARN_TABLES = {
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "diabetes": load_diabetes,
    "digits": load_digits,  # raw pixel counts 0-16, not divided by 16
}
ODDS_TABLES = (
    "arrhythmia",
    "cardio",
    "glass",
    "ionosphere",
    "letter",
    "musk",
    "pendigits",
    "vowels",
)
GROUPS = ("sklearn", "odds", "clf")
GROUP_TITLES = {"sklearn": "scikit-learn tables", "odds": "ODDS tables"}
CLF_SEEDS = (0, 1, 2)
CLF_SIZES = (2, 8, 32)
WORSE = 1.01  # a row counts as "skae worse than PCA" above this ratio


# =========================================================================== data
def default_data_home() -> Path:
    return Path(os.environ.get("SKAE_DATA") or REPO.parent / "shared" / "data")


def load_tables(data_home=None, groups=("sklearn", "odds"), quick=False):
    """``({group: [(name, X)]}, missing)``: the tables as float64, and ODDS files not found.

    ``quick`` keeps the first two ODDS tables. When any ODDS file is missing the
    ODDS group is left out (empty), so that its summary always covers the same tables.
    """
    tables = {}
    if "sklearn" in groups:
        tables["sklearn"] = [
            (name, np.asarray(load(return_X_y=True)[0], dtype=np.float64))
            for name, load in SKLEARN_TABLES.items()
        ]
    missing = []
    if "odds" in groups:
        from scipy.io import loadmat

        odds_dir = Path(data_home or default_data_home()) / "odds"
        names = ODDS_TABLES[:2] if quick else ODDS_TABLES
        missing = [
            str(odds_dir / f"{n}.mat") for n in names if not (odds_dir / f"{n}.mat").is_file()
        ]
        tables["odds"] = (
            []
            if missing
            else [
                (n, np.asarray(loadmat(odds_dir / f"{n}.mat")["X"], dtype=np.float64))
                for n in names
            ]
        )
    return tables, missing


def skae_source() -> str:
    """Where skae was imported from, and whether that checkout has uncommitted changes."""
    path = Path(skae.__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            cwd=path,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return str(path)
    if out.returncode != 0:  # not a git checkout (an installed copy or a snapshot)
        return f"{path} (not a git checkout)"
    changed = out.stdout.splitlines()
    return f"{path} ({len(changed)} uncommitted changes)" if changed else f"{path} (clean)"


def component_sizes(d: int, quick: bool = False) -> list[int]:
    """k in {2, d//4, d//2}, each at least 1, deduplicated, ascending (quick: k=2)."""
    ks = [2] if quick else [2, d // 4, d // 2]
    return sorted({min(max(k, 1), d) for k in ks})


# =========================================================================== measures
def _log(message: str) -> None:
    print(message, flush=True)


def reconstruction_mse(est, X_test) -> float:
    """Mean over all test elements of ``(X_test - inverse_transform(transform(X_test)))**2``."""
    return float(np.mean((X_test - est.inverse_transform(est.transform(X_test))) ** 2))


def fit_timed(est, X, y=None):
    """``(est, seconds)``: ``est.fit(X, y)`` timed with ``time.perf_counter()``."""
    start = time.perf_counter()
    est.fit(X, y)
    return est, time.perf_counter() - start


def fit_pair(k, X_train, X_test, random_state=0, params=None, ae=None, ae_seconds=None):
    """One row: PCA(k) and the autoencoder (fitted here unless ``ae`` is given) on one split."""
    pca, pca_s = fit_timed(PCA(k, random_state=0), X_train)
    if ae is None:
        ae = AutoencoderTransformer(n_components=k, random_state=random_state, **(params or {}))
        ae, ae_seconds = fit_timed(ae, X_train)
    row = {
        "k": k,
        "pca_mse": reconstruction_mse(pca, X_test),
        "ae_mse": reconstruction_mse(ae, X_test),
    }
    row["ratio"] = row["ae_mse"] / row["pca_mse"] if row["pca_mse"] > 0 else float("nan")
    row.update(
        fit_s=ae_seconds,
        pca_fit_s=pca_s,
        epochs=getattr(ae, "n_iter_", None),
        init=getattr(ae, "init_", None),  # the start kept (init="auto" may train two)
        batch_size=getattr(ae, "batch_size_", None),
    )
    return row


def warm_up(params=None) -> float:
    """One tiny untimed fit (the first optimizer of a process imports ``torch._dynamo``)."""
    rng = np.random.default_rng(0)
    est = AutoencoderTransformer(**{**(params or {}), "n_components": 2, "max_epochs": 1})
    return fit_timed(est, rng.standard_normal((64, 4)))[1]


def run_table(name, X, params=None, quick=False, log=_log):
    """Rows (one per k) of PCA vs skae test MSE on one table (75/25 split, standardised)."""
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    n_train, d = X_train.shape
    ks = component_sizes(d, quick)
    rows = []
    for k in ks:
        row = {"table": name, "n_train": n_train, "d": d, **fit_pair(k, X_train, X_test, 0, params)}
        row["deduplicated"] = not quick and len(ks) < 3
        rows.append(row)
        log(
            f"  {name} ({n_train} x {d}) k={k}: PCA {row['pca_mse']:.4f}, skae "
            f"{row['ae_mse']:.4f}, ratio {row['ratio']:.3f}, fit {row['fit_s']:.1f} s, "
            f"{row['epochs']} epochs, init_={row['init']}, batch {row['batch_size']}"
        )
    return rows


def geomean(values) -> float:
    """Geometric mean of positive finite values (NaN when there are none)."""
    values = [v for v in values if v is not None and np.isfinite(v) and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else float("nan")


def summarize(rows) -> dict:
    ratios = [r["ratio"] for r in rows]
    return {
        "n_rows": len(rows),
        "geomean_ratio": geomean(ratios),
        "max_ratio": max(ratios) if ratios else float("nan"),
        "n_worse": sum(r > WORSE for r in ratios),
        "total_fit_s": sum(r["fit_s"] for r in rows),
    }


def run_digits_clf(params=None, quick=False, log=_log):
    """Digits in [0, 1]: 2-D codes + logistic regression vs PCA(2), and MSE ratios (rs=0)."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    acc_rows, mse_rows = [], []
    for rs in CLF_SEEDS:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, stratify=y, random_state=rs
        )
        clf = LogisticRegression(max_iter=1000)
        ae = AutoencoderTransformer(n_components=2, random_state=rs, **(params or {}))
        pipe, ae_s = fit_timed(Pipeline([("ae", ae), ("clf", clf)]), X_train, y_train)
        pca_pipe = Pipeline(
            [("pca", PCA(2, random_state=0)), ("clf", LogisticRegression(max_iter=1000))]
        )
        pca_pipe.fit(X_train, y_train)
        acc_rows.append(
            {
                "random_state": rs,
                "ae_acc": float(pipe.score(X_test, y_test)),
                "pca_acc": float(pca_pipe.score(X_test, y_test)),
                "fit_s": ae_s,
                "epochs": getattr(pipe.named_steps["ae"], "n_iter_", None),
                "init": getattr(pipe.named_steps["ae"], "init_", None),
            }
        )
        log(
            f"  digits clf rs={rs}: skae+LR {acc_rows[-1]['ae_acc']:.3f}, "
            f"PCA+LR {acc_rows[-1]['pca_acc']:.3f}, fit {ae_s:.1f} s"
        )
        if rs != 0:
            continue
        for k in [2] if quick else CLF_SIZES:
            # The pipeline's autoencoder is AutoencoderTransformer(2, random_state=0)
            # fitted on X_train (it ignores y): reuse it for k = 2.
            reuse = {"ae": pipe.named_steps["ae"], "ae_seconds": ae_s} if k == 2 else {}
            row = fit_pair(k, X_train, X_test, 0, params, **reuse)
            mse_rows.append(row)
            log(
                f"  digits [0,1] k={k}: PCA {row['pca_mse']:.4f}, skae {row['ae_mse']:.4f}, "
                f"ratio {row['ratio']:.3f}, fit {row['fit_s']:.1f} s"
            )
    summary = {
        "mean_ae_acc": float(np.mean([r["ae_acc"] for r in acc_rows])),
        "mean_pca_acc": float(np.mean([r["pca_acc"] for r in acc_rows])),
        "geomean_ratio": geomean([r["ratio"] for r in mse_rows]),
    }
    return acc_rows, mse_rows, summary


# =========================================================================== markdown
def _ratio_fmt(value):
    return f"{value:.3f}" + (" ▲" if value > WORSE else "")


TABLE_COLUMNS = [
    Column("label", "table"),
    Column("shape", "n_train \N{MULTIPLICATION SIGN} d"),
    Column("k", "k"),
    Column("pca_mse", "PCA MSE", "{:.4f}"),
    Column("ae_mse", "skae MSE", "{:.4f}"),
    Column("ratio", "ratio (skae/PCA)", _ratio_fmt),
    Column("fit_s", "fit s", "{:.1f}"),
]


PROTOCOL = (
    "Each table: `train_test_split(X, test_size=0.25, random_state=0)`, `StandardScaler` fitted "
    "on the training part (float64); k in {2, d//4, d//2}. `PCA(k)` and "
    "`AutoencoderTransformer(n_components=k, random_state=0, **params)` fitted on the training "
    "part; MSE = mean over all test elements of `(X_test - inverse_transform(transform(X_test)))"
    "**2`; fit s = the autoencoder's `fit` wall time (after one untimed warm-up fit). "
    "▲: ratio > 1.01 (skae worse than PCA)."
)


def format_markdown(title, rows, summary, notes=(), description=PROTOCOL) -> str:
    """One group: the PCA-vs-skae table, geometric mean and max of the ratios, count > 1.01."""
    shown = [
        {
            **r,
            "label": r["table"] + (" *" if r.get("deduplicated") else ""),
            "shape": f"{r['n_train']} \N{MULTIPLICATION SIGN} {r['d']}",
        }
        for r in rows
    ]
    parts = [f"## {title}", "", *([description, ""] if description else [])]
    parts += [markdown_table(shown, TABLE_COLUMNS) if rows else "Not run.", ""]
    if rows:
        parts.append(
            f"Geometric mean ratio **{summary['geomean_ratio']:.3f}**, max ratio "
            f"**{summary['max_ratio']:.3f}**, rows with ratio > {WORSE}: "
            f"**{summary['n_worse']} / {summary['n_rows']}** (▲); total skae fit time "
            f"{summary['total_fit_s']:.0f} s."
        )
        parts.append("")
    dedup = sorted({r["table"]: r["d"] for r in rows if r.get("deduplicated")}.items())
    for name, d in dedup:
        ks = [2, d // 4, d // 2]
        kept = sorted({r["k"] for r in rows if r["table"] == name})
        parts.append(f"- \\* {name} (d = {d}): k ∈ {{2, d//4, d//2}} = {ks}, so it has k ∈ {kept}.")
    parts += [f"- {n}" for n in notes]
    return "\n".join(parts).rstrip() + "\n"


def format_clf_markdown(acc_rows, mse_rows, summary) -> str:
    acc = markdown_table(
        [
            *acc_rows,
            {
                "random_state": "mean",
                "ae_acc": summary["mean_ae_acc"],
                "pca_acc": summary["mean_pca_acc"],
            },
        ],
        [
            Column("random_state", "random_state"),
            Column("ae_acc", "skae(2) + LR accuracy", "{:.3f}"),
            Column("pca_acc", "PCA(2) + LR accuracy", "{:.3f}"),
            Column("fit_s", "pipeline fit s", "{:.1f}"),
        ],
    )
    mse = markdown_table(mse_rows, [c for c in TABLE_COLUMNS if c.key not in ("label", "shape")])
    return (
        "\n".join(
            [
                "## digits in [0, 1]: 2-D codes + logistic regression",
                "",
                "`load_digits` / 16, `train_test_split(X, y, test_size=0.25, stratify=y, "
                "random_state=rs)`; `Pipeline([AutoencoderTransformer(n_components=2, "
                "random_state=rs), LogisticRegression(max_iter=1000)])` against PCA(2) + the same "
                "regression; test accuracy.",
                "",
                acc,
                "",
                f"Mean accuracy: skae **{summary['mean_ae_acc']:.3f}**, PCA "
                f"**{summary['mean_pca_acc']:.3f}**.",
                "",
                "Test MSE on the same [0, 1] data (random_state=0 split; the k = 2 autoencoder is "
                "the one in the rs=0 pipeline):",
                "",
                mse,
                "",
                f"Geometric mean ratio {summary['geomean_ratio']:.3f}.",
            ]
        )
        + "\n"
    )


class TableResults(Results):
    """``Results`` written to ``<stem>.json`` / ``<stem>.md``, with sections given as markdown."""

    def __init__(self, stem: Path, title: str, info: dict, config: dict):
        super().__init__(stem.name, title, info, config)
        self.stem = stem

    @property
    def json_path(self) -> Path:
        return self.stem.with_name(self.stem.name + ".json")

    @property
    def md_path(self) -> Path:
        return self.stem.with_name(self.stem.name + ".md")

    def add_markdown(self, key: str, markdown: str, data: dict, seconds: float) -> None:
        """Record a section, print it and rewrite the result files."""
        markdown += f"\n_Section wall time: {seconds:.0f} s._\n"
        self.data["sections"][key] = {**data, "seconds": seconds, "_markdown": markdown}
        print("\n" + markdown, flush=True)
        self.stem.parent.mkdir(parents=True, exist_ok=True)
        self.write()


# =========================================================================== main
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--data-home", default=None, help="folder holding odds/ ($SKAE_DATA, ../shared/data)"
    )
    p.add_argument(
        "--params",
        type=json.loads,
        default={},
        help="JSON dict of extra AutoencoderTransformer parameters, e.g. '{\"max_epochs\": 50}'",
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        help=f"sections to run: {','.join(GROUPS)} (repeatable or comma list; default all)",
    )
    p.add_argument(
        "--digits-clf", action="store_true", help="run the digits section (= --only clf)"
    )
    p.add_argument("--quick", action="store_true", help="k=2 only and the first 2 ODDS tables")
    p.add_argument("--label", default=None, help="goes into the file name and header, e.g. before")
    p.add_argument(
        "--out", default=None, help="path stem of the .md/.json (default results/tables-…)"
    )
    p.add_argument("--threads", type=int, default=None, help="torch/BLAS threads (torch's default)")
    args = p.parse_args(argv)
    only = [g.strip() for item in args.only for g in item.split(",") if g.strip()]
    only += ["clf"] if args.digits_clf else []
    if set(only) - set(GROUPS):
        p.error(f"--only must be among {GROUPS}, got {sorted(set(only) - set(GROUPS))}")
    args.only = [g for g in GROUPS if g in only] if only else list(GROUPS)
    if not isinstance(args.params, dict):
        p.error("--params must be a JSON object")
    if {"n_components", "random_state"} & set(args.params):
        p.error("--params may not set n_components or random_state (fixed by the protocol)")
    if args.out is None:
        prefix = "tables" + (f"-{args.label}" if args.label else "")
        args.out = RESULTS_DIR / result_name(prefix, args.quick)
    args.out = Path(args.out)
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    threads = set_threads(args.threads)
    device = resolve_device(str(args.params.get("device", "auto")))
    info = machine_info(device, threads)
    if Path(skae.__file__).resolve().parent != REPO / "skae":  # the commit is not skae's
        info["skae_commit"] = f"imported from {Path(skae.__file__).resolve().parent}"
    data_home = Path(args.data_home) if args.data_home else default_data_home()
    title = "skae vs PCA on real tables" + (f" ({args.label})" if args.label else "")
    title += " (quick)" if args.quick else ""
    config = {
        "label": args.label,
        "params": json.dumps(args.params, sort_keys=True),
        "sections": args.only,
        "quick": args.quick,
        "data_home": str(data_home),
        "skae_source": skae_source(),
    }
    results = TableResults(args.out, title, info, config)
    results.data["params"] = args.params
    print(f"{title}\n{describe_machine(info)}", flush=True)
    extra = args.params or "(none: all defaults)"
    print(f"AutoencoderTransformer(n_components=k, random_state=0) + params: {extra}")

    print(f"warm-up fit (not counted): {warm_up(args.params):.1f} s", flush=True)
    tables, missing = load_tables(data_home, args.only, args.quick)
    if missing:
        print(
            "ODDS files missing, running the scikit-learn tables only:\n  " + "\n  ".join(missing)
        )
    for group, group_tables in tables.items():
        t0 = time.perf_counter()
        print(f"\n== {GROUP_TITLES[group]} ...", flush=True)
        rows = [r for name, X in group_tables for r in run_table(name, X, args.params, args.quick)]
        summary = summarize(rows)
        notes = [f"Missing: {', '.join(missing)}"] if group == "odds" and missing else []
        md = format_markdown(GROUP_TITLES[group], rows, summary, notes)
        results.add_markdown(
            group,
            md,
            {"rows": rows, "summary": summary, "missing": missing if group == "odds" else []},
            time.perf_counter() - t0,
        )
    if "clf" in args.only:
        t0 = time.perf_counter()
        print("\n== digits classification ...", flush=True)
        acc_rows, mse_rows, summary = run_digits_clf(args.params, args.quick)
        data = {"accuracy": acc_rows, "mse": mse_rows, "summary": summary}
        results.add_markdown(
            "clf", format_clf_markdown(acc_rows, mse_rows, summary), data, time.perf_counter() - t0
        )
    results.finish(time.perf_counter() - start)
    return results.data


if __name__ == "__main__":
    main()
