# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Outlier detection on the eight ODDS tables: skae's detector vs IsolationForest, PCA and PyOD.

PyOD's benchmark protocol: for each seed, a 60/40 ``train_test_split`` (not
stratified), ``StandardScaler`` fitted on the training part, every detector
fitted on the training part without labels, test ROC-AUC with the higher
score for the more outlying row. skae's ``AutoencoderOutlierDetector`` runs
with its defaults (``outlier_score="combined"``) and with
``outlier_score="reconstruction"`` (skae 0.1's score); the baselines are
``IsolationForest``, a PCA reconstruction-error detector (90 % of the
variance) and PyOD's ``AutoEncoder`` when PyOD is installed. Run
``python benchmarks/outliers.py --quick`` for a short check; see
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import skae
from skae import AutoencoderOutlierDetector

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    RESULTS_DIR,
    Column,
    check,
    describe_machine,
    format_check,
    machine_info,
    markdown_table,
    median,
    result_name,
    set_threads,
)
from tables import (
    ODDS_TABLES,
    REPO,
    TableResults,
    default_data_home,
    skae_source,
    warm_up,
)

SEEDS = (0, 1, 2)
TEST_SIZE = 0.4
#: skae's columns: name -> parameters besides ``random_state`` (``init="auto"`` in both).
SKAE_VARIANTS = {
    "skae": {},
    "skae recon.": {"outlier_score": "reconstruction"},
    # split-conformal threshold: 20 % of the training part calibrates, false alarms at ALPHA
    "skae calibrated": {"calibration": 0.2, "contamination": 0.05},
}
#: Target false-positive rate of the calibrated detector (its ``contamination``).
ALPHA = 0.05
PCA_VARIANCE = 0.9


# =========================================================================== data
def load_odds(data_home, names):
    """``([(name, X, y)], missing)``: ODDS tables as float64 and 0/1 labels (1 = outlier)."""
    from scipy.io import loadmat

    odds_dir = Path(data_home) / "odds"
    tables, missing = [], []
    for name in names:
        path = odds_dir / f"{name}.mat"
        if not path.is_file():
            missing.append(str(path))
            continue
        mat = loadmat(path)
        X = np.asarray(mat["X"], dtype=np.float64)
        y = np.asarray(mat["y"]).ravel().astype(int)
        tables.append((name, X, y))
    return tables, missing


# =========================================================================== methods
class PCAReconstructionDetector:
    """Outlier score = squared error of the PCA reconstruction (90 % of the variance kept)."""

    def fit(self, X, y=None):
        self.pca_ = PCA(n_components=PCA_VARIANCE, svd_solver="full").fit(X)
        return self

    def outlier_score(self, X):
        rec = self.pca_.inverse_transform(self.pca_.transform(X))
        return np.sum((X - rec) ** 2, axis=1)


def pyod_autoencoder():
    """PyOD's ``AutoEncoder`` class, or ``(None, reason)`` when it does not import."""
    try:
        import pyod
        from pyod.models.auto_encoder import AutoEncoder
    except Exception as exc:  # ImportError, or a broken optional dependency
        return None, f"PyOD not available ({type(exc).__name__}: {exc}); its column is skipped."
    return (AutoEncoder, pyod.__version__), None


def make_methods(pyod_cls=None):
    """``{name: (factory(seed), outlier_score(est, X))}``; higher score = more outlying."""

    def neg_score_samples(est, X):
        return -est.score_samples(X)

    methods = {
        name: (
            lambda seed, params=params: AutoencoderOutlierDetector(random_state=seed, **params),
            neg_score_samples,
        )
        for name, params in SKAE_VARIANTS.items()
    }
    methods["IsolationForest"] = (
        lambda seed: IsolationForest(random_state=seed),
        neg_score_samples,
    )
    methods["PCA recon."] = (
        lambda seed: PCAReconstructionDetector(),
        lambda est, X: est.outlier_score(X),
    )
    if pyod_cls is not None:
        # verbose=0 only hides PyOD's progress bar; every model setting is PyOD's default.
        methods["PyOD AE"] = (
            lambda seed: pyod_cls(random_state=seed, verbose=0),
            lambda est, X: est.decision_function(X),
        )
    return methods


def warm_up_pyod(cls) -> float:
    """One tiny untimed PyOD fit, so that its first timed fit holds no one-off imports."""
    X = np.random.default_rng(0).standard_normal((64, 4))
    start = time.perf_counter()
    cls(epoch_num=1, verbose=0).fit(X)
    return time.perf_counter() - start


# =========================================================================== measures
def _log(message: str) -> None:
    print(message, flush=True)


def run_split(X, y, seed, methods, log=_log, name=""):
    """One seed of one table: ``{method: {auc, fit_s, ...}}``."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    out = {}
    for method, (factory, score) in methods.items():
        est = factory(seed)
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.fit(X_train)
        fit_s = time.perf_counter() - start
        scores = score(est, X_test)
        auc = float(roc_auc_score(y_test, scores))
        rec = {"auc": auc, "ap": float(average_precision_score(y_test, scores)), "fit_s": fit_s}
        if getattr(est, "calibration", None) is not None:
            # false alarms among the test part's normal rows, at the calibrated threshold
            normal = X_test[y_test == 0]
            rec["fpr"] = float(np.mean(est.predict(normal) == -1))
            # the setting of the conformal guarantee: trained (and calibrated) on normal rows
            clean = factory(seed).fit(X_train[y_train == 0])
            rec["fpr_normal_training"] = float(np.mean(clean.predict(normal) == -1))
        if isinstance(est, AutoencoderOutlierDetector):
            rec.update(init_=est.init_, epochs=est.n_iter_)
        if isinstance(est, PCAReconstructionDetector):
            rec["n_components"] = int(est.pca_.n_components_)
        if caught:
            rec["warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
        out[method] = rec
        extra = f", init_={rec['init_']}, {rec['epochs']} epochs" if "init_" in rec else ""
        if "fpr" in rec:
            extra += f", FPR {rec['fpr']:.3f} ({rec['fpr_normal_training']:.3f} normal training)"
        log(f"  {name} seed {seed} {method}: AUROC {auc:.3f}, fit {fit_s:.1f} s{extra}")
    return out


def summarize_table(name, X, y, runs, methods):
    """Mean/std AUROC and mean fit seconds per method over the seeds of one table."""
    n_train = X.shape[0] - int(np.ceil(TEST_SIZE * X.shape[0]))
    row = {
        "table": name,
        "n": X.shape[0],
        "n_train": n_train,
        "d": X.shape[1],
        "outlier_pct": 100.0 * float(np.mean(y)),
        "seeds": sorted(runs),
        "auc": {},
        "auc_std": {},
        "ap": {},
        "fit_s": {},
        "fpr": {},
        "fpr_normal_training": {},
        "per_seed": runs,
    }
    for m in methods:
        aucs = [runs[s][m]["auc"] for s in sorted(runs)]
        row["auc"][m] = float(np.mean(aucs))
        row["auc_std"][m] = float(np.std(aucs))
        row["ap"][m] = float(np.mean([runs[s][m]["ap"] for s in sorted(runs)]))
        row["fit_s"][m] = float(np.mean([runs[s][m]["fit_s"] for s in sorted(runs)]))
        if "fpr" in runs[sorted(runs)[0]][m]:
            row["fpr"][m] = [runs[s][m]["fpr"] for s in sorted(runs)]
            row["fpr_normal_training"][m] = [
                runs[s][m]["fpr_normal_training"] for s in sorted(runs)
            ]
    if "skae" in methods:
        row["auto_init"] = [runs[s]["skae"]["init_"] for s in sorted(runs)]
    return row


def mean_ranks(rows, methods):
    """Mean rank (1 = best AUROC; ties share the average rank) of each method over the tables."""
    from scipy.stats import rankdata

    ranks = np.array([rankdata([-round(r["auc"][m], 3) for m in methods]) for r in rows])
    return dict(zip(methods, ranks.mean(axis=0).tolist(), strict=True))


# =========================================================================== markdown
def _bold_best(values: dict, higher=True, digits=3) -> dict:
    """Values at ``digits`` decimals, the best (ties included) in bold."""
    shown = {m: f"{v:.{digits}f}" for m, v in values.items()}
    best = (max if higher else min)(round(v, digits) for v in values.values())
    return {m: f"**{s}**" if round(values[m], digits) == best else s for m, s in shown.items()}


def format_markdown(rows, methods, seeds, notes=()) -> str:
    keys = {m: f"m{i}" for i, m in enumerate(methods)}
    auc_rows = []
    for r in rows:
        shown = _bold_best(r["auc"])
        auc_rows.append(
            {
                "table": r["table"],
                "shape": f"{r['n_train']} \N{MULTIPLICATION SIGN} {r['d']}",
                "pct": f"{r['outlier_pct']:.1f}",
                **{keys[m]: shown[m] for m in methods},
            }
        )
    means = {m: float(np.mean([r["auc"][m] for r in rows])) for m in methods}
    auc_rows.append({"table": "**mean**", **{keys[m]: v for m, v in _bold_best(means).items()}})
    ranks = mean_ranks(rows, methods)
    auc_rows.append(
        {
            "table": "mean rank",
            **{keys[m]: v for m, v in _bold_best(ranks, higher=False, digits=2).items()},
        }
    )
    auc_cols = [
        Column("table", "table"),
        Column("shape", "n_train \N{MULTIPLICATION SIGN} d"),
        Column("pct", "outliers %"),
        *[Column(keys[m], m) for m in methods],
    ]

    ap_rows = [
        {"table": r["table"], **{keys[m]: _bold_best(r["ap"])[m] for m in methods}} for r in rows
    ]
    ap_means = {m: float(np.mean([r["ap"][m] for r in rows])) for m in methods}
    ap_rows.append({"table": "**mean**", **{keys[m]: v for m, v in _bold_best(ap_means).items()}})
    ap_cols = [Column("table", "table"), *[Column(keys[m], m) for m in methods]]

    calibrated = [m for m in methods if rows and m in rows[0]["fpr"]]
    fpr_rows = []
    for m in calibrated:
        for r in rows:
            fprs, clean = r["fpr"][m], r["fpr_normal_training"][m]
            fpr_rows.append(
                {
                    "table": r["table"],
                    "method": m,
                    "per_seed": " / ".join(f"{v:.3f}" for v in fprs),
                    "mean": f"{np.mean(fprs):.3f}",
                    "clean_per_seed": " / ".join(f"{v:.3f}" for v in clean),
                    "clean_mean": f"{np.mean(clean):.3f}",
                }
            )
        overall = float(np.mean([np.mean(r["fpr"][m]) for r in rows]))
        overall_clean = float(np.mean([np.mean(r["fpr_normal_training"][m]) for r in rows]))
        fpr_rows.append(
            {
                "table": "**mean**",
                "method": m,
                "mean": f"**{overall:.3f}**",
                "clean_mean": f"**{overall_clean:.3f}**",
            }
        )
    fpr_cols = [
        Column("table", "table"),
        Column("method", "detector"),
        Column("per_seed", "FPR per seed"),
        Column("mean", "mean FPR"),
        Column("clean_per_seed", "FPR per seed, normal training rows"),
        Column("clean_mean", "mean FPR, normal training rows"),
    ]

    fit_rows = [{"table": r["table"], **{keys[m]: r["fit_s"][m] for m in methods}} for r in rows]
    fit_rows.append(
        {"table": "**total**", **{keys[m]: sum(r["fit_s"][m] for r in rows) for m in methods}}
    )
    fit_cols = [Column("table", "table"), *[Column(keys[m], m, "{:.1f}") for m in methods]]

    parts = [
        "## Test ROC-AUC",
        "",
        f"Seeds {', '.join(map(str, seeds))}: `train_test_split(X, y, test_size={TEST_SIZE}, "
        "random_state=seed)` (not stratified), `StandardScaler` fitted on the training part and "
        "applied to both parts; each detector fitted on the training part (y unused); "
        "`roc_auc_score` on the test part, higher score = more outlying. Mean over the seeds, "
        "best per row in bold. skae: `AutoencoderOutlierDetector(random_state=seed)` (defaults: "
        '`outlier_score="combined"`), skae recon.: the same with '
        '`outlier_score="reconstruction"` (skae 0.1 score), score `-score_samples`; '
        "IsolationForest: `IsolationForest(random_state=seed)`, score "
        f'`-score_samples`; PCA recon.: `PCA(n_components={PCA_VARIANCE}, svd_solver="full")`, '
        "score = per-row squared reconstruction error; PyOD AE: "
        "`pyod.models.auto_encoder.AutoEncoder(random_state=seed)` (defaults; progress bar "
        "off), score `decision_function`. Mean rank: 1 = best on a table (ties share ranks).",
        "",
        markdown_table(auc_rows, auc_cols),
        "",
        "## Test average precision",
        "",
        "Same fits and scores as above; `average_precision_score` on the test part (the "
        "fraction of outliers is its chance level). Mean over the seeds, best per row in bold.",
        "",
        markdown_table(ap_rows, ap_cols),
        "",
        "## Calibrated threshold: false alarms on normal rows",
        "",
        "skae calibrated: `AutoencoderOutlierDetector(random_state=seed, calibration=0.2, "
        f"contamination={ALPHA})`, i.e. 20 % of the training part held out to calibrate "
        "split-conformal p-values and `predict` flagging rows with p-value <= "
        f"{ALPHA}. FPR: the fraction of the test part's *normal* rows (y = 0) that `predict` "
        f"flags; the target is {ALPHA}. The training part holds outliers too (unlabelled), which "
        "makes the held-out scores heavier-tailed and the threshold conservative: with a "
        "fraction c of outliers among the calibration rows, about alpha - c of the normal rows "
        "are flagged. The last two columns fit the same detector on the training part's "
        "normal rows only (y_train == 0; the setting in which split-conformal p-values are "
        "valid: calibration rows exchangeable with new normal rows).",
        "",
        markdown_table(fpr_rows, fpr_cols) if fpr_rows else "(no calibrated detector run)",
        "",
        "## Fit seconds",
        "",
        "Mean wall time of `fit` on the training part over the seeds (`time.perf_counter()`, "
        "after untimed warm-up fits of skae and PyOD). skae's detector (`init='auto'`) trains "
        "the PCA-anchored start alone. PyOD's `fit` includes scoring the training rows.",
        "",
        markdown_table(fit_rows, fit_cols),
        "",
    ]
    if rows and "auto_init" in rows[0]:
        init_rows = []
        for r in rows:
            per = {f"s{s}": init for s, init in zip(r["seeds"], r["auto_init"], strict=True)}
            eps = [r["per_seed"][s]["skae"]["epochs"] for s in r["seeds"]]
            init_rows.append({"table": r["table"], **per, "epochs": "/".join(map(str, eps))})
        counts = {i: sum(r["auto_init"].count(i) for r in rows) for i in ("pca", "random")}
        parts += [
            '## What `init="auto"` chose',
            "",
            "`init_` of the fitted `skae` detector per table and seed, and the epochs the "
            "kept network trained (per seed, in seed order).",
            "",
            markdown_table(
                init_rows,
                [
                    Column("table", "table"),
                    *[Column(f"s{s}", f"seed {s}") for s in seeds],
                    Column("epochs", "epochs"),
                ],
            ),
            "",
            f"Chosen: pca {counts['pca']}, random {counts['random']} "
            f"(of {sum(counts.values())} fits).",
            "",
        ]
    parts += [f"- {n}" for n in notes]
    return "\n".join(parts).rstrip() + "\n"


# =========================================================================== full-table fits
#: Issue 16: a default fit on the largest shared tables takes at most this many seconds.
FULL_FIT_LIMIT_S = 20.0
FULL_FIT_TABLES = ("pendigits", "musk")


def full_table_fits(tables, repeats, log=_log):
    """Seconds of default ``AutoencoderOutlierDetector(random_state=0)`` fits on whole tables.

    Each table is standardised as a whole; ``repeats`` timed fits after the
    warm-up fit of ``main``. Returns one row per table.
    """
    rows = []
    for name, X, _ in tables:
        X = StandardScaler().fit_transform(X)
        seconds, est = [], None
        for _ in range(repeats):
            est = AutoencoderOutlierDetector(random_state=0)
            start = time.perf_counter()
            est.fit(X)
            seconds.append(time.perf_counter() - start)
        row = {
            "table": name,
            "shape": f"{X.shape[0]} x {X.shape[1]}",
            "median_s": median(seconds),
            "all_s": " / ".join(f"{s:.1f}" for s in seconds),
            "epochs": est.n_iter_,
            "batch": est.batch_size_,
            "s_per_epoch": median(seconds) / est.n_iter_,
        }
        log(f"  full {name}: {row['all_s']} s, {row['epochs']} epochs")
        rows.append(row)
    return rows


def format_full_fits(rows, repeats):
    checks = [
        check(f"{r['table']}: default fit on the whole table, s", r["median_s"], FULL_FIT_LIMIT_S)
        for r in rows
        if r["table"] in FULL_FIT_TABLES
    ]
    columns = [
        Column("table"),
        Column("shape", "n x d"),
        Column("median_s", "median fit s", "{:.1f}"),
        Column("all_s", "fits s"),
        Column("epochs"),
        Column("batch"),
        Column("s_per_epoch", "s / epoch", "{:.3f}"),
    ]
    text = [
        "## Default fit on the whole table",
        "",
        "`AutoencoderOutlierDetector(random_state=0)` with every other setting at its default, "
        f"fitted on the whole standardised table (`StandardScaler`), {repeats} timed fit(s) "
        "after an untimed warm-up fit (`time.perf_counter()` around `fit`, which includes the "
        "post-fit scoring that sets the threshold). Target (issue 16): at most "
        f"{FULL_FIT_LIMIT_S:.0f} s on {', '.join(FULL_FIT_TABLES)}.",
        "",
        markdown_table(rows, columns),
        "",
        "Targets:",
        "",
        *([f"- {format_check(c)}" for c in checks] or ["- (no target table in this run)"]),
        "",
    ]
    return "\n".join(text), checks


# =========================================================================== main
def _int_list(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--data-home", default=None, help="folder holding odds/ ($SKAE_DATA, ../shared/data)"
    )
    p.add_argument(
        "--seeds",
        type=_int_list,
        default=None,
        help="comma list (default 0,1,2); empty ('') runs only the whole-table fits",
    )
    p.add_argument(
        "--tables", default=None, help=f"comma list among {','.join(ODDS_TABLES)} (default all)"
    )
    p.add_argument("--quick", action="store_true", help="seed 0 and the first two tables")
    p.add_argument("--threads", type=int, default=None, help="torch/BLAS threads (torch's default)")
    p.add_argument("--label", default=None, help="goes into the file name and header")
    p.add_argument(
        "--methods",
        default=None,
        help="comma list of detectors to run (default all), e.g. 'skae calibrated'",
    )
    p.add_argument(
        "--full-fits",
        type=int,
        default=None,
        help="timed default fits on each whole table (default 3; 1 with --quick; 0 skips)",
    )
    p.add_argument(
        "--out", default=None, help="path stem of the .md/.json (default results/outliers-…)"
    )
    args = p.parse_args(argv)
    if args.tables is not None:
        args.tables = [t.strip() for t in args.tables.split(",") if t.strip()]
        unknown = sorted(set(args.tables) - set(ODDS_TABLES))
        if unknown:
            p.error(f"--tables must be among {ODDS_TABLES}, got {unknown}")
    else:
        args.tables = list(ODDS_TABLES[:2] if args.quick else ODDS_TABLES)
    if args.seeds is None:
        args.seeds = [SEEDS[0]] if args.quick else list(SEEDS)
    if args.full_fits is None:
        args.full_fits = 1 if args.quick else 3
    if not args.seeds and not args.full_fits:
        p.error("--seeds is empty and --full-fits 0: nothing to run")
    if args.out is None:
        prefix = "outliers" + (f"-{args.label}" if args.label else "")
        args.out = RESULTS_DIR / result_name(prefix, args.quick)
    args.out = Path(args.out)
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    threads = set_threads(args.threads)
    info = machine_info("cpu", threads)
    if Path(skae.__file__).resolve().parent != REPO / "skae":  # the commit is not skae's
        info["skae_commit"] = f"imported from {Path(skae.__file__).resolve().parent}"
    data_home = Path(args.data_home) if args.data_home else default_data_home()
    pyod, pyod_note = pyod_autoencoder()
    notes = [pyod_note] if pyod_note else []
    if pyod is not None:
        info["pyod"] = pyod[1]
    title = "Outlier detection on ODDS tables" + (f" ({args.label})" if args.label else "")
    title += " (quick)" if args.quick else ""
    config = {
        "label": args.label,
        "seeds": args.seeds,
        "full_fits": args.full_fits,
        "tables": args.tables,
        "quick": args.quick,
        "test_size": TEST_SIZE,
        "pyod": info.get("pyod"),
        "data_home": str(data_home),
        "skae_source": skae_source(),
    }
    results = TableResults(args.out, title, info, config)
    print(f"{title}\n{describe_machine(info)}; pyod {info.get('pyod')}", flush=True)
    if pyod_note:
        print(pyod_note, flush=True)

    tables, missing = load_odds(data_home, args.tables)
    if missing:
        notes.append(f"Missing (skipped): {', '.join(missing)}")
        print("ODDS files missing, skipped:\n  " + "\n  ".join(missing), flush=True)
    if not tables:
        raise SystemExit(f"No ODDS table found under {data_home / 'odds'}.")
    methods = make_methods(pyod[0] if pyod else None)
    if args.methods is not None:
        chosen = [m.strip() for m in args.methods.split(",") if m.strip()]
        unknown = sorted(set(chosen) - set(methods))
        if unknown:
            raise SystemExit(f"--methods must be among {sorted(methods)}, got {unknown}")
        methods = {m: methods[m] for m in chosen}
    print(f"warm-up fit (not counted): {warm_up():.1f} s", flush=True)
    if pyod is not None:
        print(f"PyOD warm-up fit (not counted): {warm_up_pyod(pyod[0]):.1f} s", flush=True)

    rows = []
    for name, X, y in tables if args.seeds else []:
        t0 = time.perf_counter()
        print(f"\n== {name} ({X.shape[0]} x {X.shape[1]}, {100 * y.mean():.1f} % outliers)")
        runs = {seed: run_split(X, y, seed, methods, name=name) for seed in args.seeds}
        rows.append(summarize_table(name, X, y, runs, methods))
        rows[-1]["seconds"] = time.perf_counter() - t0
        means = {m: float(np.mean([r["auc"][m] for r in rows])) for m in methods}
        data = {
            "rows": rows,
            "methods": list(methods),
            "mean_auc": means,
            "mean_rank": mean_ranks(rows, methods),
            "missing": missing,
        }
        # Rewritten after every table, so an interrupted run keeps what it measured.
        results.add_markdown(
            "odds",
            format_markdown(rows, list(methods), args.seeds, notes),
            data,
            time.perf_counter() - start,
        )
    if args.full_fits > 0:
        t0 = time.perf_counter()
        print("\n== default fits on whole tables", flush=True)
        full = full_table_fits(tables, args.full_fits)
        markdown, checks = format_full_fits(full, args.full_fits)
        results.add_markdown(
            "full_fits", markdown, {"rows": full, "checks": checks}, time.perf_counter() - t0
        )
    results.finish(time.perf_counter() - start)
    return results.data


if __name__ == "__main__":
    main()
