# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The ``skae`` command-line interface.

``skae compare`` benchmarks autoencoders against a PCA baseline over several latent sizes
(with :func:`skae.metrics.compare`), prints the results table and writes a small report
folder: ``results.csv``, ``report.md`` and PNG plots. Run ``skae compare --help`` (or
``python -m skae compare --help``) for the options.

Errors caused by the input (unknown data set, missing or malformed files, unwritable output
folder, invalid options) are reported as one line on stderr starting with ``skae: error:``
and exit with status 1, without a traceback. Invalid command-line syntax exits with status 2
(argparse's convention). Ctrl-C exits with status 130, also when it stopped a training
loop (the estimators keep their last epoch, :func:`skae.metrics.compare` does not): the
report files are staged in a hidden folder and moved into the output folder only once every
fit and plot is done, so an interrupted or failed run writes no report.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shlex
import shutil
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["main"]

PROG = "skae"

#: Named data sets accepted by ``--dataset`` (a ``.csv`` or ``.npy`` path is also accepted).
DATASETS = ("digits", "mnist", "fashion-mnist")
#: Methods accepted by ``--methods``, in report order.
METHODS = ("pca", "ae", "conv", "vae")
DEFAULT_METHODS = ("pca", "ae")
DEFAULT_N_COMPONENTS = (2, 8, 32)
DEFAULT_OUTPUT = "skae-report"
#: The report files, besides the PNG plots.
CSV_FILE = "results.csv"
REPORT_FILE = "report.md"
#: Prefix of the hidden folder, inside the output folder, where the report is written
#: before being moved into place.
STAGE_PREFIX = ".skae-partial-"
#: Exit status on Ctrl-C (128 + SIGINT, the shell's convention).
EXIT_INTERRUPTED = 130
#: Column names (case-insensitive) taken as the label column of a CSV file, by priority.
LABEL_COLUMNS = ("target", "label", "y")
#: Fraction of the rows held out as the test set (digits, CSV and NPY data).
TEST_SIZE = 0.25
#: Fewest rows a CSV or NPY data set may have; fewest training rows after ``--max-samples``.
MIN_SAMPLES = 10
#: At most this many test points are drawn in the latent-space scatter plots.
MAX_LATENT_POINTS = 2000
#: Number of test images drawn in ``reconstructions.png``.
N_RECONSTRUCTIONS = 10

_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".csv.zst")
_DATASET_ALIASES = {
    "digits": "digits",
    "mnist": "mnist",
    "fashion-mnist": "fashion-mnist",
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
}
_TITLES = {"digits": "digits", "mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
_PLOT_INSTALL_HINT = 'pip install "skae[plot]"'


class CLIError(Exception):
    """An error caused by the user's input, reported as one line without a traceback."""


@dataclass
class _Data:
    """A loaded data set, split into training and test sets."""

    name: str
    description: str
    split: str
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray | None = None
    y_test: np.ndarray | None = None
    image_shape: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n_features(self):
        return self.X_train.shape[1]

    @property
    def image_size(self):
        """``" (8x8)"`` for images, else ``""``."""
        if self.image_shape is None:
            return ""
        return f" ({self.image_shape[0]}x{self.image_shape[1]})"

    @property
    def n_classes(self):
        if self.y_train is None:
            return None
        return len(np.unique(np.concatenate([self.y_train, self.y_test])))


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _one_line(text, limit=500):
    """Collapse ``text`` to a single line of at most ``limit`` characters."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _describe_exception(exc):
    message = _one_line(str(exc))
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _os_reason(exc):
    """The human part of an ``OSError`` ("No such file or directory")."""
    return exc.strerror or _one_line(str(exc)) or type(exc).__name__


def _fmt(value):
    """A number at 4 significant digits (``n/a`` for missing values)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.4g}"


def _warn(message):
    print(f"{PROG}: warning: {_one_line(message)}", file=sys.stderr)


class _Printer:
    """Informational messages on stdout, silenced by ``--quiet``."""

    def __init__(self, quiet):
        self.quiet = quiet

    def __call__(self, message):
        if not self.quiet:
            print(message, flush=True)


# --------------------------------------------------------------------------------------
# Argument parsing
# --------------------------------------------------------------------------------------


def _build_parser():
    from . import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "scikit-learn compatible autoencoders on PyTorch. "
            "Run 'skae compare --help' for the benchmark command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    compare = subparsers.add_parser(
        "compare",
        help="benchmark autoencoders against PCA and write a report",
        description=(
            "Fit PCA and autoencoders at several latent sizes on a training set, evaluate\n"
            "them on a test set (reconstruction error and latent-space probes), print the\n"
            "table and write results.csv, report.md and PNG plots to the output folder.\n"
            "Other files in that folder are never deleted; the report files are overwritten,\n"
            "only once every fit is done: a failed or interrupted run (Ctrl-C, exit status\n"
            "130) writes nothing."
        ),
        epilog=(
            "examples:\n"
            "  skae compare                                  # digits, pca+ae, k = 2 8 32\n"
            "  skae compare --dataset mnist --methods pca,ae,conv,vae --max-samples 10000\n"
            "  skae compare --dataset data.csv --n-components 2 4 --max-epochs 50\n"
            "\n"
            "methods: pca (PCA, always included as the baseline), ae (AutoencoderTransformer),\n"
            "conv (convolutional AutoencoderTransformer, image data only), vae\n"
            "(VariationalAutoencoderTransformer)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument(
        "--dataset",
        default="digits",
        metavar="DATASET",
        help=(
            "digits (scikit-learn's 8x8 digits, default), mnist, fashion-mnist, or a path to "
            "a .csv file (numeric columns; a column named target, label or y holds the "
            "labels) or a .npy file (a 2-D array, or 3-D for a stack of images)"
        ),
    )
    compare.add_argument(
        "--n-components",
        nargs="+",
        default=None,
        metavar="K",
        help="latent sizes to evaluate (default: 2 8 32)",
    )
    compare.add_argument(
        "--methods",
        nargs="+",
        default=None,
        metavar="METHODS",
        help=(
            "comma-separated methods among pca, ae, conv, vae (default: pca,ae); "
            "pca is always included"
        ),
    )
    compare.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        metavar="N",
        help="maximum training epochs of the autoencoders (default: the estimators' default)",
    )
    compare.add_argument(
        "--data-home",
        default=None,
        metavar="DIR",
        help="folder holding the MNIST / Fashion-MNIST files (default: $SKAE_DATA or ~/skae_data)",
    )
    compare.add_argument(
        "--output",
        default=DEFAULT_OUTPUT,
        metavar="DIR",
        help=f"report folder, created if needed (default: ./{DEFAULT_OUTPUT})",
    )
    compare.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="device of the autoencoders (default: auto, CUDA when available)",
    )
    compare.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of the train/test split, the subsampling and the models (default: 0)",
    )
    compare.add_argument(
        "--max-samples",
        type=int,
        default=None,
        metavar="N",
        help="use at most N training samples (stratified when there are labels)",
    )
    compare.add_argument(
        "--quiet",
        action="store_true",
        help="print only the results table and the report path (no progress bar)",
    )
    compare.add_argument(
        "--traceback",
        action="store_true",
        help="show the full traceback of errors (for bug reports)",
    )
    return parser


def _parse_n_components(values):
    if values is None:
        return list(DEFAULT_N_COMPONENTS)
    ks = []
    for token in (t for value in values for t in value.split(",")):
        token = token.strip()
        if not token:
            continue
        try:
            k = int(token)
        except ValueError:
            raise CLIError(
                f"invalid --n-components value {token!r}: expected positive integers, "
                "e.g. --n-components 2 8 32"
            ) from None
        if k < 1:
            raise CLIError(f"invalid --n-components value {k}: latent sizes must be at least 1")
        ks.append(k)
    if not ks:
        raise CLIError("--n-components needs at least one latent size, e.g. --n-components 2 8")
    return sorted(set(ks))


def _parse_methods(values):
    """Return ``(methods, explicit)``; ``pca`` first, then the others in the given order."""
    if values is None:
        return list(DEFAULT_METHODS), False
    methods = []
    for token in (t for value in values for t in value.split(",")):
        token = token.strip().lower()
        if not token:
            continue
        if token not in METHODS:
            raise CLIError(f"unknown method {token!r}: choose among {', '.join(METHODS)}")
        if token not in methods:
            methods.append(token)
    if not methods:
        raise CLIError(f"--methods needs at least one of {', '.join(METHODS)}")
    return ["pca"] + [m for m in methods if m != "pca"], True


def _check_options(args):
    if args.max_epochs is not None and args.max_epochs < 1:
        raise CLIError(f"--max-epochs must be at least 1, got {args.max_epochs}")
    if args.max_samples is not None and args.max_samples < MIN_SAMPLES:
        raise CLIError(f"--max-samples must be at least {MIN_SAMPLES}, got {args.max_samples}")
    if not 0 <= args.seed < 2**32:
        raise CLIError(f"--seed must be between 0 and 2**32 - 1, got {args.seed}")
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise CLIError(
                "--device cuda was requested but CUDA is not available; "
                "use --device cpu or --device auto"
            )


# --------------------------------------------------------------------------------------
# Output folder
# --------------------------------------------------------------------------------------


def _missing_folders(path):
    """The folders on the way to ``path`` that do not exist yet, innermost first."""
    missing = []
    while not os.path.exists(path) and path not in missing:
        missing.append(path)
        path = os.path.dirname(path)
    return missing


def _remove_empty_folders(folders):
    """Remove ``folders`` (innermost first) as long as they are empty."""
    for folder in folders:
        try:
            os.rmdir(folder)
        except OSError:
            return


def _write_error(path, exc):
    return CLIError(f"cannot write {path}: {_os_reason(exc)}")


def _publish(stage, out_dir):
    """Move the files written in ``stage`` into ``out_dir``, ``report.md`` last."""
    for name in sorted(os.listdir(stage), key=lambda name: (name == REPORT_FILE, name)):
        target = os.path.join(out_dir, name)
        try:
            os.replace(os.path.join(stage, name), target)
        except OSError as exc:
            raise _write_error(target, exc) from exc
    os.rmdir(stage)


def _write_file(stage, out_dir, name, write):
    """Call ``write(path)`` on the staged report file ``name``.

    An :class:`OSError` is reported with the file's place in ``out_dir``.
    """
    try:
        write(os.path.join(stage, name))
    except OSError as exc:
        raise _write_error(os.path.join(out_dir, name), exc) from exc


@contextlib.contextmanager
def _report_folder(path):
    """Create the output folder ``path`` and stage the report files in a hidden folder in it.

    Yields ``(out_dir, stage)``: the absolute output folder and the folder to write the
    report files to. Creating ``stage`` checks, before any fit, that files can be written.
    The files are moved into ``out_dir`` only when the block completes; on an error or an
    interruption (Ctrl-C) ``stage`` is deleted, and so are the folders created for
    ``out_dir`` when empty, so that no partial report is left behind.
    """
    out_dir = os.path.abspath(os.path.expanduser(path))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise CLIError(f"cannot write to output directory {out_dir}: it exists and is not a folder")
    created = _missing_folders(out_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
        stage = tempfile.mkdtemp(dir=out_dir, prefix=STAGE_PREFIX)
    except OSError as exc:
        _remove_empty_folders(created)
        raise CLIError(f"cannot write to output directory {out_dir}: {_os_reason(exc)}") from exc
    try:
        yield out_dir, stage
        _publish(stage, out_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_empty_folders(created)
        raise


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


def _dataset_kind(spec):
    """``("digits" | "mnist" | "fashion-mnist" | "csv" | "npy", spec)`` for ``--dataset``."""
    key = spec.strip().lower()
    if key in _DATASET_ALIASES:
        return _DATASET_ALIASES[key], spec
    if key.endswith(_CSV_SUFFIXES):
        return "csv", spec
    if key.endswith(".npy"):
        return "npy", spec
    if os.path.exists(spec):
        raise CLIError(
            f"unsupported data file {spec!r}: expected a .csv or .npy file "
            "(or one of digits, mnist, fashion-mnist)"
        )
    raise CLIError(
        f"unknown dataset {spec!r}: expected digits, mnist, fashion-mnist, "
        "or the path of a .csv or .npy file"
    )


def _square_shape(n_features):
    side = math.isqrt(n_features)
    return (side, side) if side >= 2 and side * side == n_features else None


def _random_split(X, y, seed, name):
    from sklearn.model_selection import train_test_split

    n = X.shape[0]
    if n < MIN_SAMPLES:
        raise CLIError(f"{name} has {n} rows; at least {MIN_SAMPLES} are needed")
    if y is None:
        X_train, X_test = train_test_split(X, test_size=TEST_SIZE, random_state=seed)
        return X_train, X_test, None, None
    return train_test_split(X, y, test_size=TEST_SIZE, random_state=seed)


def _load_digits(seed):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, stratify=y, random_state=seed
    )
    return _Data(
        name="digits",
        description=(
            "scikit-learn's handwritten digits: 8x8 grey-level images, pixel values scaled "
            "to [0, 1]"
        ),
        split=f"stratified {100 - int(TEST_SIZE * 100)}/{int(TEST_SIZE * 100)} split (seed {seed})",
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        image_shape=(8, 8),
    )


def _missing_data_message(kind, exc, data_home):
    """One line out of the loaders' multi-line :class:`FileNotFoundError` message."""
    title = _TITLES[kind]
    message = str(exc)
    lines = message.splitlines()
    first = lines[0] if lines else f"{title} file not found."
    first = first.replace(" Looked for:", "").rstrip(" .:")
    folder = os.path.join(data_home, kind)
    failed = " and could not be downloaded" if "downloading it failed" in message else ""
    return (
        f"{first} in {folder} or {data_home}{failed}; put the {title} IDX files there, or "
        "point --data-home (or the SKAE_DATA environment variable) to a folder holding them"
    )


def _load_idx_dataset(kind, data_home):
    from .datasets import load_fashion_mnist, load_mnist
    from .datasets._base import _resolve_data_home

    loader = load_mnist if kind == "mnist" else load_fashion_mnist
    home = _resolve_data_home(data_home)
    try:
        X_train, y_train = loader("train", data_home=home, download=True, return_X_y=True)
        X_test, y_test = loader("test", data_home=home, download=True, return_X_y=True)
    except FileNotFoundError as exc:
        raise CLIError(_missing_data_message(kind, exc, home)) from exc
    except (ValueError, OSError) as exc:
        raise CLIError(f"cannot load {_TITLES[kind]}: {_one_line(str(exc))}") from exc
    return _Data(
        name=kind,
        description=f"{_TITLES[kind]}: 28x28 grey-level images, pixel values in [0, 1]",
        split="the official train/test split",
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        image_shape=(28, 28),
    )


def _read_error(path, exc, what):
    if isinstance(exc, FileNotFoundError):
        return CLIError(f"cannot read {what} {path}: no such file")
    if isinstance(exc, IsADirectoryError):
        return CLIError(f"cannot read {what} {path}: it is a folder")
    return CLIError(f"cannot read {what} {path}: {_os_reason(exc)}")


def _find_label_column(columns):
    by_name = {str(c).strip().lower(): c for c in reversed(list(columns))}
    for name in LABEL_COLUMNS:
        if name in by_name:
            return by_name[name]
    return None


def _check_labels(y, source, notes):
    """Keep ``y`` only if it is a classification target (the probes are classifiers)."""
    from sklearn.utils.multiclass import type_of_target

    if y is None:
        return None
    try:
        kind = type_of_target(y)
    except ValueError:
        kind = "unknown"
    if kind not in ("binary", "multiclass"):
        notes.append(
            f"the labels in {source} are not class labels ({kind}); the latent-space "
            "classification probes are skipped"
        )
        return None
    return y


def _load_csv(path, seed):
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except OSError as exc:
        raise _read_error(path, exc, "CSV file") from exc
    except pd.errors.EmptyDataError as exc:
        raise CLIError(f"cannot parse CSV file {path}: the file is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise CLIError(f"cannot parse CSV file {path}: {_one_line(str(exc))}") from exc
    if frame.shape[0] == 0:
        raise CLIError(f"CSV file {path} has a header but no rows")

    notes = []
    label = _find_label_column(frame.columns)
    y = None
    if label is not None:
        y_series = frame[label]
        if y_series.isna().any():
            raise CLIError(
                f"CSV file {path}: the label column {label!r} has "
                f"{int(y_series.isna().sum())} missing value(s)"
            )
        y = _check_labels(y_series.to_numpy(), f"column {label!r}", notes)
        frame = frame.drop(columns=[label])
    if frame.shape[1] == 0:
        raise CLIError(f"CSV file {path} has no feature columns")
    bad = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        shown = ", ".join(repr(c) for c in bad[:5]) + (", ..." if len(bad) > 5 else "")
        raise CLIError(
            f"CSV file {path} has {len(bad)} non-numeric column(s): {shown}; all columns "
            f"must be numbers, except a label column named {', '.join(LABEL_COLUMNS)}"
        )
    X = frame.to_numpy(dtype=np.float64)
    if not np.isfinite(X).all():
        row, col = np.argwhere(~np.isfinite(X))[0]
        raise CLIError(
            f"CSV file {path} has {int((~np.isfinite(X)).sum())} missing or infinite value(s), "
            f"the first in row {row + 1}, column {str(frame.columns[col])!r}"
        )
    X_train, X_test, y_train, y_test = _random_split(X, y, seed, f"CSV file {path}")
    label_text = f", labels in column {label!r}" if y is not None else ", no labels"
    return _Data(
        name=os.path.basename(path),
        description=f"CSV file {path} ({X.shape[1]} numeric feature columns{label_text})",
        split=f"random {100 - int(TEST_SIZE * 100)}/{int(TEST_SIZE * 100)} split (seed {seed})",
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        image_shape=_square_shape(X.shape[1]),
        notes=notes,
    )


def _load_npy(path, seed):
    try:
        array = np.load(path, allow_pickle=False)
    except OSError as exc:
        raise _read_error(path, exc, "NumPy file") from exc
    except (ValueError, EOFError) as exc:
        raise CLIError(f"cannot read NumPy file {path}: {_one_line(str(exc))}") from exc
    if not isinstance(array, np.ndarray):
        if hasattr(array, "close"):
            array.close()
        raise CLIError(f"{path} is not a single NumPy array (.npz archives are not supported)")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise CLIError(f"NumPy file {path} holds {array.dtype} values; numbers are needed")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise CLIError(f"NumPy file {path} holds complex numbers; real numbers are needed")
    image_shape = None
    if array.ndim == 3:
        image_shape = tuple(int(s) for s in array.shape[1:])
        array = array.reshape(array.shape[0], -1)
    elif array.ndim != 2:
        raise CLIError(
            f"NumPy file {path} holds an array of shape {array.shape}; expected a 2-D array "
            "(n_samples, n_features) or a 3-D stack of images (n_samples, height, width)"
        )
    else:
        image_shape = _square_shape(array.shape[1])
    if array.shape[1] == 0:
        raise CLIError(f"NumPy file {path} has no features")
    X = np.asarray(array, dtype=np.float64)
    if not np.isfinite(X).all():
        raise CLIError(
            f"NumPy file {path} has {int((~np.isfinite(X)).sum())} missing or infinite value(s)"
        )
    X_train, X_test, _, _ = _random_split(X, None, seed, f"NumPy file {path}")
    return _Data(
        name=os.path.basename(path),
        description=f"NumPy file {path} ({X.shape[1]} features, no labels)",
        split=f"random {100 - int(TEST_SIZE * 100)}/{int(TEST_SIZE * 100)} split (seed {seed})",
        X_train=X_train,
        X_test=X_test,
        image_shape=image_shape,
    )


def _subsample(data, max_samples, seed):
    """Keep at most ``max_samples`` training rows, stratified by label when there are labels."""
    from sklearn.utils import resample

    n_train = data.X_train.shape[0]
    if max_samples is None or max_samples >= n_train:
        return
    if data.y_train is None:
        data.X_train = resample(
            data.X_train, n_samples=max_samples, replace=False, random_state=seed
        )
        how = "randomly"
    else:
        data.X_train, data.y_train = resample(
            data.X_train,
            data.y_train,
            n_samples=max_samples,
            replace=False,
            stratify=data.y_train,
            random_state=seed,
        )
        how = "stratified by label"
    data.notes.append(f"training set subsampled from {n_train} to {max_samples} rows ({how})")


def _load_data(kind, spec, args):
    if kind == "digits":
        data = _load_digits(args.seed)
    elif kind in ("mnist", "fashion-mnist"):
        data = _load_idx_dataset(kind, args.data_home)
    elif kind == "csv":
        data = _load_csv(spec, args.seed)
    else:
        data = _load_npy(spec, args.seed)
    _subsample(data, args.max_samples, args.seed)
    if data.y_train is not None and len(np.unique(data.y_train)) < 2:
        data.notes.append(
            "the training set holds a single class; the latent-space classification probes "
            "are skipped"
        )
        data.y_train = data.y_test = None
    return data


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


def _select_methods(methods, explicit, data):
    if "conv" in methods and data.image_shape is None:
        if explicit:
            raise CLIError(
                f"method 'conv' needs images, but the data set {data.name} has no image shape "
                f"({data.n_features} features is not a perfect square; save a 3-D .npy array "
                "of shape (n_samples, height, width) for non-square images)"
            )
        methods = [m for m in methods if m != "conv"]
    return methods


def _check_n_components(ks, data):
    too_big = [k for k in ks if k > data.n_features]
    if too_big:
        raise CLIError(
            f"invalid --n-components {', '.join(map(str, too_big))}: the latent size cannot "
            f"exceed the number of features of {data.name} ({data.n_features})"
        )


def _make_estimators(methods, data, args):
    from sklearn.decomposition import PCA

    from . import AutoencoderTransformer, VariationalAutoencoderTransformer

    common = {"random_state": args.seed, "device": args.device}
    if args.max_epochs is not None:
        common["max_epochs"] = args.max_epochs
    estimators = {}
    for method in methods:
        if method == "pca":
            estimators[method] = PCA(random_state=args.seed)
        elif method == "ae":
            estimators[method] = AutoencoderTransformer(**common)
        elif method == "conv":
            estimators[method] = AutoencoderTransformer(
                architecture="conv", input_shape=data.image_shape, **common
            )
        else:
            estimators[method] = VariationalAutoencoderTransformer(**common)
    return estimators


def _run_compare_fits(estimators, data, ks, *, verbose):
    """:func:`skae.metrics.compare` with its warnings turned into ``skae: warning:`` lines."""
    from . import metrics

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        results, fitted = metrics.compare(
            estimators,
            data.X_train,
            data.X_test,
            data.y_train,
            data.y_test,
            n_components=ks,
            verbose=verbose,
            return_estimators=True,
        )
    seen = set()
    for w in caught:
        text = _one_line(f"{w.category.__name__}: {w.message}")
        if text not in seen:
            seen.add(text)
            _warn(text)
    return results, fitted


# --------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------


def _latent_size(ks):
    """The latent size drawn in the latent-space plots and its projection, or None."""
    if 2 in ks:
        return 2, "select"
    larger = [k for k in ks if k > 2]
    return (min(larger), "pca") if larger else (None, None)


def _save_plot(out_dir, filename, draw, *, show_traceback):
    """Call ``draw()`` (returns a figure), save it as ``filename``; True if it worked."""
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    try:
        fig = draw()
        fig.savefig(os.path.join(out_dir, filename), dpi=100)
        return True
    except Exception as exc:
        if show_traceback:
            raise
        _warn(f"could not draw {filename}: {_describe_exception(exc)}")
        return False
    finally:
        for num in set(plt.get_fignums()) - before:
            plt.close(num)


def _draw_latent(model, method, k, project, data):
    import matplotlib.pyplot as plt

    from .plotting import LatentSpaceDisplay

    n = min(MAX_LATENT_POINTS, data.X_test.shape[0])
    y = None if data.y_test is None else data.y_test[:n]
    title = f"{method}, n_components={k}" + (" (first 2 PCs of the codes)" if k > 2 else "")
    fig, ax = plt.subplots(figsize=(6.4, 5.2), layout="constrained")
    LatentSpaceDisplay.from_estimator(model, data.X_test[:n], y, project=project, name=title, ax=ax)
    return fig


def _draw_reconstructions(models, k, data):
    from .plotting import ReconstructionDisplay

    display = ReconstructionDisplay.from_estimators(
        models, data.X_test, n_images=N_RECONSTRUCTIONS, image_shape=data.image_shape
    )
    display.ax_.set_title(f"Test images and reconstructions, n_components={k}")
    return display.figure_


def _draw_loss_curves(fitted, methods, ks):
    import matplotlib.pyplot as plt

    from .plotting import LossCurveDisplay

    fig, axes = plt.subplots(
        len(methods),
        len(ks),
        figsize=(min(3.6 * len(ks), 18.0), 2.9 * len(methods)),
        layout="constrained",
        squeeze=False,
    )
    for row, method in enumerate(methods):
        for col, k in enumerate(ks):
            ax = axes[row, col]
            LossCurveDisplay.from_estimator(fitted[(method, k)], name=f"{method}, k={k}", ax=ax)
            legend = ax.get_legend()
            if legend is not None:
                for text in legend.get_texts():
                    text.set_fontsize("x-small")
    return fig


def _draw_error_curves(results):
    import matplotlib.pyplot as plt

    from .plotting import ReconstructionErrorDisplay

    fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    ReconstructionErrorDisplay.from_results(results, ax=ax)
    ax.set_title("Reconstruction error on the test set (lower is better)")
    return fig


def _write_plots(out_dir, data, results, fitted, methods, ks, *, show_traceback, say):
    """Draw the PNGs; return ``[(filename, caption), ...]`` of those written, or None."""
    try:
        import matplotlib
    except ImportError:
        print(
            f"{PROG}: plots skipped: matplotlib is not installed "
            f"(install it with `{_PLOT_INSTALL_HINT}`)",
            file=sys.stderr,
        )
        return None
    matplotlib.use("Agg")
    say("Drawing plots ...")
    written = []

    def save(filename, caption, draw):
        if _save_plot(out_dir, filename, draw, show_traceback=show_traceback):
            written.append((filename, caption))

    save(
        "mse_vs_n_components.png",
        "Reconstruction error (test MSE) versus latent size",
        lambda: _draw_error_curves(results),
    )
    k_max = max(ks)
    if data.image_shape is not None:
        models = {m: fitted[(m, k_max)] for m in methods if (m, k_max) in fitted}
        if models:
            save(
                "reconstructions.png",
                f"Test images (top row) and their reconstructions at n_components={k_max}",
                lambda: _draw_reconstructions(models, k_max, data),
            )
    k_latent, project = _latent_size(ks)
    if k_latent is not None:
        for method in methods:
            model = fitted.get((method, k_latent))
            if model is None:
                continue
            view = "" if project == "select" else ", first two principal components of the codes"
            save(
                f"latent_{method}.png",
                f"Latent space of {method} at n_components={k_latent}{view}, test set",
                lambda model=model, method=method: _draw_latent(
                    model, method, k_latent, project, data
                ),
            )
    trained = [m for m in methods if m != "pca"]
    if trained:
        save(
            "loss_curves.png",
            "Training and validation loss per epoch of the autoencoders",
            lambda: _draw_loss_curves(fitted, trained, ks),
        )
    return written


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def _format_table(results):
    """The results as aligned plain text, floats at 4 significant digits."""
    return results.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="n/a")


def _markdown_table(results):
    columns = list(results.columns)
    numeric = [results[c].dtype.kind in "iuf" for c in columns]
    lines = [
        "| " + " | ".join(str(c) for c in columns) + " |",
        "| " + " | ".join("---:" if num else ":---" for num in numeric) + " |",
    ]
    for row in results.itertuples(index=False):
        cells = [
            _fmt(value) if num else str(value).replace("|", "\\|")
            for value, num in zip(row, numeric, strict=True)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


_HOW_TO_READ = """\
Each row is one model, fitted on the training set with `n_components` latent dimensions and
evaluated on the test set. `train_mse` and `test_mse` are the mean squared reconstruction
errors (lower is better); `mse_vs_pca` divides `test_mse` by PCA's at the same
`n_components`, so a value below 1 means the method reconstructs the data better than PCA.
`knn_accuracy` and `linear_probe_accuracy` are the test accuracies of a 5-nearest-neighbours
classifier and of a logistic regression trained on the latent codes (higher means that the
classes are better separated in the latent space; `n/a` when the data have no labels).
`fit_seconds` and `transform_seconds` are wall-clock times. Autoencoders trained for only a
few epochs (`--max-epochs`) are under-fitted: judge them on the loss curves too. A
nonlinear autoencoder usually beats PCA at small latent sizes, while PCA is hard to beat
once the latent size approaches the data's intrinsic dimension."""


def _settings_lines(data, methods, ks, args, fitted):
    devices = sorted({getattr(m, "device_", None) for m in fitted.values()} - {None})
    device = args.device + (f" (used: {', '.join(devices)})" if devices else "")
    n_train, n_test = data.X_train.shape[0], data.X_test.shape[0]
    labels = "none" if data.y_train is None else f"{data.n_classes} classes"
    epochs = str(args.max_epochs) if args.max_epochs is not None else "estimator default"
    lines = [
        f"- **Dataset:** {data.description}",
        f"- **Split:** {n_train} training and {n_test} test samples, {data.split}",
        f"- **Features:** {data.n_features}{data.image_size}; labels: {labels}",
        f"- **Methods:** {', '.join(methods)}",
        f"- **n_components:** {', '.join(map(str, ks))}",
        f"- **max_epochs:** {epochs}; **device:** {device}; **seed:** {args.seed}",
    ]
    lines += [f"- **Note:** {note}" for note in data.notes]
    return lines


def _write_report(path, data, methods, ks, args, results, fitted, plots, argv):
    from . import __version__

    command = shlex.join([PROG, *argv])
    parts = [
        f"# skae compare: {data.name}",
        "",
        f"Generated by skae {__version__} on {time.strftime('%Y-%m-%d %H:%M')} with",
        "",
        f"    {command}",
        "",
        "## Settings",
        "",
        *_settings_lines(data, methods, ks, args, fitted),
        "",
        "## Results",
        "",
        _markdown_table(results),
        "",
        "The full-precision table is in [results.csv](results.csv).",
        "",
        "## How to read this",
        "",
        _HOW_TO_READ,
        "",
        "## Plots",
        "",
    ]
    if plots is None:
        parts += [
            f"Plots were skipped because matplotlib is not installed (`{_PLOT_INSTALL_HINT}`).",
            "",
        ]
    elif not plots:
        parts += ["No plot could be drawn.", ""]
    else:
        if data.image_shape is None:
            parts += ["The data have no image shape, so no reconstructions are drawn.", ""]
        for filename, caption in plots:
            parts += [f"### {caption}", "", f"![{caption}]({filename})", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts).rstrip() + "\n")


# --------------------------------------------------------------------------------------
# The compare command
# --------------------------------------------------------------------------------------


def _compare(args, argv):
    say = _Printer(args.quiet)
    ks = _parse_n_components(args.n_components)
    methods, explicit = _parse_methods(args.methods)
    _check_options(args)
    kind, spec = _dataset_kind(args.dataset)

    # Nothing is written to out_dir until the fits, the plots and the report are all done.
    with _report_folder(args.output) as (out_dir, stage):
        say(f"Loading {_TITLES.get(kind, spec)} ...")
        data = _load_data(kind, spec, args)
        methods = _select_methods(methods, explicit, data)
        _check_n_components(ks, data)
        classes = "no labels" if data.y_train is None else f"{data.n_classes} classes"
        say(
            f"{data.name}: {data.X_train.shape[0]} training / {data.X_test.shape[0]} test "
            f"samples, {data.n_features} features{data.image_size}, {classes}."
        )
        for note in data.notes:
            say(f"Note: {note}.")
        say(
            f"Fitting {', '.join(methods)} at n_components {', '.join(map(str, ks))} "
            f"({len(methods) * len(ks)} fits) ..."
        )

        estimators = _make_estimators(methods, data, args)
        results, fitted = _run_compare_fits(estimators, data, ks, verbose=not args.quiet)

        _write_file(stage, out_dir, CSV_FILE, lambda path: results.to_csv(path, index=False))
        print()
        print(_format_table(results))
        print()

        plots = _write_plots(
            stage, data, results, fitted, methods, ks, show_traceback=args.traceback, say=say
        )
        _write_file(
            stage,
            out_dir,
            REPORT_FILE,
            lambda path: _write_report(path, data, methods, ks, args, results, fitted, plots, argv),
        )
    n_plots = 0 if plots is None else len(plots)
    print(f"Report written to {out_dir} ({CSV_FILE}, {REPORT_FILE}, {n_plots} plot(s)).")
    return 0


def _run(argv):
    """Parse ``argv`` and run the command; return the exit status (errors included)."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a syntax error (already printed)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)

    show_traceback = getattr(args, "traceback", False)
    try:
        return _compare(args, argv)
    except CLIError as exc:
        if show_traceback:
            traceback.print_exc()
        print(f"{PROG}: error: {_one_line(str(exc), limit=1000)}", file=sys.stderr)
        return 1
    except Exception as exc:
        if show_traceback:
            traceback.print_exc()
            print(f"{PROG}: error: {_describe_exception(exc)}", file=sys.stderr)
        else:
            print(
                f"{PROG}: error: {_describe_exception(exc)} "
                "(rerun with --traceback for the full traceback)",
                file=sys.stderr,
            )
        return 1


def main(argv=None) -> int:
    """Run the ``skae`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments, without the program name; ``sys.argv[1:]`` if None.

    Returns
    -------
    status : int
        The exit status: 0 on success, 1 on an error (reported as one line on stderr
        starting with ``skae: error:``), 2 on invalid command-line syntax and 130 when
        interrupted (Ctrl-C; nothing is written to the output folder then).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return _run(argv)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; no report was written", file=sys.stderr)
        return EXIT_INTERRUPTED
