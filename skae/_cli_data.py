# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The data of the ``skae`` command line: loading ``--dataset`` and its errors.

``--dataset`` names scikit-learn's digits, MNIST, Fashion-MNIST (read by
:mod:`skae.datasets`), or a ``.csv`` or ``.npy`` file. :func:`load_data` loads it, splits it
into training and test sets and subsamples the training set. Problems with the input are
raised as :class:`CLIError`, which the command line reports as one ``skae: error:`` line:
the messages are those of the loaders' typed exceptions (an :class:`OSError`'s reason,
pandas' parser errors, :class:`~skae.datasets.DatasetNotFoundError`'s attributes) and of
:func:`sklearn.utils.check_array`, prefixed with the file they are about. This module also
holds the small message helpers the other command-line modules share.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field

import numpy as np

__all__ = ["MIN_SAMPLES", "PROG", "TITLES", "CLIError", "Data", "dataset_kind", "load_data"]

PROG = "skae"

#: Named data sets accepted by ``--dataset`` (a ``.csv`` or ``.npy`` path is also accepted).
DATASETS = ("digits", "mnist", "fashion-mnist")
#: Column names (case-insensitive) taken as the label column of a CSV file, by priority.
LABEL_COLUMNS = ("target", "label", "y")
#: Fraction of the rows held out as the test set (digits, CSV and NPY data).
TEST_SIZE = 0.25
#: Fewest rows a CSV or NPY data set may have; fewest training rows after ``--max-samples``.
MIN_SAMPLES = 10
#: Display names of the named data sets.
TITLES = {"digits": "digits", "mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}

_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".csv.zst")
_DATASET_ALIASES = {
    "digits": "digits",
    "mnist": "mnist",
    "fashion-mnist": "fashion-mnist",
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
}
_SPLIT = f"{100 - int(TEST_SIZE * 100)}/{int(TEST_SIZE * 100)} split"


# --------------------------------------------------------------------------------------
# Errors and messages
# --------------------------------------------------------------------------------------


class CLIError(Exception):
    """An error caused by the user's input, reported as one line without a traceback."""


def one_line(text, limit=500):
    """Collapse ``text`` to a single line of at most ``limit`` characters.

    Parameters
    ----------
    text : object
        The text, or any object (converted with :class:`str`).
    limit : int, default=500
        The most characters returned; a longer text is cut and ends with ``…``.

    Returns
    -------
    line : str
        The text on one line.
    """
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def describe_exception(exc):
    """``"TypeName: message"`` on one line (only the type name without a message)."""
    message = one_line(str(exc))
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def os_reason(exc):
    """The human part of an ``OSError`` ("No such file or directory")."""
    return exc.strerror or one_line(str(exc)) or type(exc).__name__


def warn(message):
    """Print ``message`` on stderr as one ``skae: warning:`` line."""
    print(f"{PROG}: warning: {one_line(message)}", file=sys.stderr)


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


@dataclass
class Data:
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


def dataset_kind(spec):
    """What ``--dataset spec`` names.

    Parameters
    ----------
    spec : str
        The value of ``--dataset``.

    Returns
    -------
    kind : {"digits", "mnist", "fashion-mnist", "csv", "npy"}
        The data set, or the kind of file.
    spec : str
        ``spec`` itself (the path of a file).
    """
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


def _check_X(X, source):
    """``X`` as a finite float64 array of at least ``MIN_SAMPLES`` rows and one column.

    The problems are :func:`~sklearn.utils.check_array`'s, prefixed with ``source``.
    """
    from sklearn.utils import check_array

    try:
        return check_array(X, dtype=np.float64, ensure_min_samples=MIN_SAMPLES, input_name="")
    except ValueError as exc:
        raise CLIError(f"{source}: {one_line(exc)}") from exc


def _random_split(X, y, seed):
    from sklearn.model_selection import train_test_split

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
    return Data(
        name="digits",
        description=(
            "scikit-learn's handwritten digits: 8x8 grey-level images, pixel values scaled "
            "to [0, 1]"
        ),
        split=f"stratified {_SPLIT} (seed {seed})",
        X_train=X_train,
        X_test=X_test,
        y_train=y_train,
        y_test=y_test,
        image_shape=(8, 8),
    )


def _load_idx_dataset(kind, data_home):
    from .datasets import DatasetNotFoundError, load_fashion_mnist, load_mnist

    loader = load_mnist if kind == "mnist" else load_fashion_mnist
    title = TITLES[kind]
    try:
        X_train, y_train = loader("train", data_home=data_home, download=True, return_X_y=True)
        X_test, y_test = loader("test", data_home=data_home, download=True, return_X_y=True)
    except DatasetNotFoundError as exc:
        folder = os.path.join(exc.data_home, exc.dataset)
        failed = " and could not be downloaded" if exc.download_errors is not None else ""
        raise CLIError(
            f"{title} file {exc.file_name} not found in {folder} or {exc.data_home}{failed}; "
            f"put the {title} IDX files there, or point --data-home (or the SKAE_DATA "
            "environment variable) to a folder holding them"
        ) from exc
    except (ValueError, OSError) as exc:
        raise CLIError(f"cannot load {title}: {one_line(exc)}") from exc
    return Data(
        name=kind,
        description=f"{title}: 28x28 grey-level images, pixel values in [0, 1]",
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
    return CLIError(f"cannot read {what} {path}: {os_reason(exc)}")


def _find_label_column(columns):
    by_name = {str(c).strip().lower(): c for c in reversed(list(columns))}
    for name in LABEL_COLUMNS:
        if name in by_name:
            return by_name[name]
    return None


def _check_labels(y, source, notes):
    """Keep ``y`` only if it is a classification target (the probes are classifiers)."""
    from sklearn.utils.multiclass import type_of_target

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
        raise CLIError(f"cannot parse CSV file {path}: {one_line(exc)}") from exc
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
    if not np.isfinite(X).all():  # check_array would not say where
        row, col = np.argwhere(~np.isfinite(X))[0]
        raise CLIError(
            f"CSV file {path} has {int((~np.isfinite(X)).sum())} missing or infinite value(s), "
            f"the first in row {row + 1}, column {str(frame.columns[col])!r}"
        )
    X = _check_X(X, f"CSV file {path}")
    X_train, X_test, y_train, y_test = _random_split(X, y, seed)
    label_text = f", labels in column {label!r}" if y is not None else ", no labels"
    return Data(
        name=os.path.basename(path),
        description=f"CSV file {path} ({X.shape[1]} numeric feature columns{label_text})",
        split=f"random {_SPLIT} (seed {seed})",
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
        raise CLIError(f"cannot read NumPy file {path}: {one_line(exc)}") from exc
    if not isinstance(array, np.ndarray):
        if hasattr(array, "close"):
            array.close()
        raise CLIError(f"{path} is not a single NumPy array (.npz archives are not supported)")
    # check_array would accept dates and numeric strings, and print a complex array.
    if array.dtype.kind == "c":
        raise CLIError(f"NumPy file {path} holds complex numbers; real numbers are needed")
    if array.dtype.kind not in "biuf":
        raise CLIError(f"NumPy file {path} holds {array.dtype} values; numbers are needed")
    if array.ndim == 3:
        image_shape = tuple(int(s) for s in array.shape[1:])
        array = array.reshape(array.shape[0], math.prod(image_shape))
    elif array.ndim == 2:
        image_shape = _square_shape(array.shape[1])
    else:
        raise CLIError(
            f"NumPy file {path} holds an array of shape {array.shape}; expected a 2-D array "
            "(n_samples, n_features) or a 3-D stack of images (n_samples, height, width)"
        )
    X = _check_X(array, f"NumPy file {path}")
    X_train, X_test, _, _ = _random_split(X, None, seed)
    return Data(
        name=os.path.basename(path),
        description=f"NumPy file {path} ({X.shape[1]} features, no labels)",
        split=f"random {_SPLIT} (seed {seed})",
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


def load_data(kind, spec, *, seed, data_home=None, max_samples=None):
    """Load the data set of ``--dataset``, split and subsampled.

    Parameters
    ----------
    kind, spec : str
        As returned by :func:`dataset_kind`.
    seed : int
        Seed of the train/test split and of the subsampling.
    data_home : str, default=None
        Folder of the MNIST / Fashion-MNIST files (see :func:`skae.datasets.get_data_home`).
    max_samples : int, default=None
        Keep at most this many training rows (stratified by label when there are labels).

    Returns
    -------
    data : Data
        The training and test sets; without labels when the training set holds one class.

    Raises
    ------
    CLIError
        If the data cannot be read or are not usable.
    """
    if kind == "digits":
        data = _load_digits(seed)
    elif kind in ("mnist", "fashion-mnist"):
        data = _load_idx_dataset(kind, data_home)
    elif kind == "csv":
        data = _load_csv(spec, seed)
    else:
        data = _load_npy(spec, seed)
    _subsample(data, max_samples, seed)
    if data.y_train is not None and len(np.unique(data.y_train)) < 2:
        data.notes.append(
            "the training set holds a single class; the latent-space classification probes "
            "are skipped"
        )
        data.y_train = data.y_test = None
    return data
