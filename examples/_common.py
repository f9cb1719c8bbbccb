# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Helpers shared by the gallery examples (not an example itself).

- :data:`FAST`: ``SKAE_EXAMPLES_FAST=1`` in the environment runs every example in a few
  seconds (small data, at most 3 epochs), as the test suite and the documentation build do.
- :func:`epochs` and :func:`batch_size`: the tutorial's settings, or at most 3 epochs of
  small batches in fast mode (small batches give more optimiser steps in 3 epochs).
- :func:`load_images`: MNIST / Fashion-MNIST through :mod:`skae.datasets`, read from local
  files, with scikit-learn's 8x8 digits as the fallback when the files are missing.
- :func:`load_odds`: an outlier-detection table of the ODDS collection (``odds/<name>.mat``
  under :func:`data_home`), with scikit-learn's breast-cancer table as the fallback.
"""

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch

from skae.datasets import load_fashion_mnist, load_mnist

#: Fast mode: tiny data and at most 3 epochs, so that each example runs in seconds.
FAST = os.environ.get("SKAE_EXAMPLES_FAST") == "1"

#: Rows used in fast mode (training + test), taken from the MNIST test file.
FAST_N_TRAIN = 1500
FAST_N_TEST = 500

_LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}
_FALLBACKS = {"fashion-mnist": ["fashion-mnist", "mnist"], "mnist": ["mnist"], "digits": []}


def epochs(full):
    """Number of epochs: ``full`` (the tutorial's setting), or at most 3 in fast mode."""
    return min(full, 3) if FAST else full


def batch_size(full):
    """Rows per batch: ``full`` (the tutorial's setting), or 32 in fast mode.

    Three epochs of large batches over a small subset are only a few optimiser steps;
    small batches make the fast-mode pictures recognisable for the same computation.
    """
    return 32 if FAST else full


def data_home():
    """Folder holding the IDX files: ``$SKAE_DATA``, else ``shared/data`` beside the checkout.

    Returns None (skae's own default, ``~/skae_data``) when neither exists.
    """
    env = os.environ.get("SKAE_DATA")
    if env:
        return env
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    return str(shared) if shared.is_dir() else None


def _online(dataset):
    """Whether the first download mirror of ``dataset`` answers within 3 seconds."""
    from skae.datasets import _mnist

    url = urlsplit(_mnist._MIRRORS[dataset][0])
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=3).close()
    except OSError:
        return False
    return True


def _load_idx(dataset, subset):
    """The Bunch of one subset, from local files, or downloaded (never in fast mode)."""
    loader = _LOADERS[dataset]
    home = data_home()
    try:
        return loader(subset, data_home=home, download=False)
    except FileNotFoundError:
        if FAST or not _online(dataset):
            raise
    return loader(subset, data_home=home, download=True)


def _subsample(X, y, n, rng):
    if n is None or n >= X.shape[0]:
        return X, y
    idx = np.sort(rng.choice(X.shape[0], n, replace=False))
    return X[idx], y[idx]


def load_images(
    name="mnist",
    n_train=None,
    n_test=None,
    *,
    fast_sizes=(FAST_N_TRAIN, FAST_N_TEST),
    random_state=0,
):
    """Load an image data set as flat rows in [0, 1], split into training and test sets.

    ``name`` is ``"mnist"``, ``"fashion-mnist"`` or ``"digits"``. Fashion-MNIST falls back
    to MNIST, and MNIST to scikit-learn's 8x8 digits, with a printed note, when the IDX
    files are neither on disk (see :func:`data_home`) nor downloadable. ``n_train`` and
    ``n_test`` subsample the training and test sets (None keeps them whole). In fast mode
    only the MNIST *test* file is read and split into ``fast_sizes`` training and test
    rows (at most ``FAST_N_TRAIN`` and ``FAST_N_TEST``; smaller for slow models).

    Returns
    -------
    data : Bunch
        ``X_train``, ``y_train``, ``X_test``, ``y_test`` (float32 pixels in [0, 1], int
        labels), ``image_shape`` (height, width), ``name`` (the data set actually loaded)
        and ``target_names``.
    """
    rng = np.random.RandomState(random_state)
    if FAST:
        n_train = min(fast_sizes[0], FAST_N_TRAIN)
        n_test = min(fast_sizes[1], FAST_N_TEST)
    for dataset in _FALLBACKS[name]:
        try:
            test = _load_idx(dataset, "test")
            if FAST:
                X_train, X_test, y_train, y_test = train_test_split(
                    test.data,
                    test.target,
                    train_size=n_train,
                    test_size=n_test,
                    random_state=rng,
                    stratify=test.target,
                )
            else:
                train = _load_idx(dataset, "train")
                X_train, y_train = _subsample(train.data, train.target, n_train, rng)
                X_test, y_test = _subsample(test.data, test.target, n_test, rng)
        except FileNotFoundError:
            print(f"Note: the {dataset} files were not found (set SKAE_DATA to their folder).")
            continue
        if dataset != name:
            print(f"Note: using {dataset} instead of {name}.")
        return Bunch(
            X_train=X_train,
            y_train=y_train,
            X_test=X_test,
            y_test=y_test,
            image_shape=(28, 28),
            name=dataset,
            target_names=test.target_names,
        )
    if name != "digits":
        print("Note: using scikit-learn's 8x8 digits instead.")
    return load_digits_split(n_train, n_test, random_state=random_state)


def load_digits_split(n_train=None, n_test=None, *, random_state=0):
    """scikit-learn's 8x8 digits scaled to [0, 1], split 75/25 (stratified)."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=random_state
    )
    rng = np.random.RandomState(random_state)
    X_train, y_train = _subsample(X_train, y_train, n_train, rng)
    X_test, y_test = _subsample(X_test, y_test, n_test, rng)
    return Bunch(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        image_shape=(8, 8),
        name="digits",
        target_names=[str(i) for i in range(10)],
    )


#: Column names of the ODDS cardio table: the 21 cardiotocogram features of the UCI
#: Cardiotocography data, in the UCI order (ODDS stores them standardised).
CARDIO_FEATURES = [
    "LB", "AC", "FM", "UC", "DL", "DS", "DP", "ASTV", "MSTV", "ALTV", "MLTV",
    "Width", "Min", "Max", "Nmax", "Nzeros", "Mode", "Mean", "Median", "Variance", "Tendency",
]  # fmt: skip


def load_odds(name="cardio", *, random_state=0):
    """An ODDS outlier-detection table, or a stand-in built from scikit-learn's breast cancer.

    Reads ``odds/<name>.mat`` (MATLAB files with ``X`` and ``y``, 1 for an outlier) under
    :func:`data_home`. When the file is missing, says so and returns instead scikit-learn's
    breast-cancer table made into an outlier table as ODDS made its ``wbc`` one: every
    benign tumour (normal) and 21 malignant ones drawn at random (outliers, about 6 %),
    standardised.

    Returns
    -------
    data : Bunch
        ``data`` (float64 array), ``target`` (int, 1 for an outlier), ``feature_names``
        (``CARDIO_FEATURES`` for cardio, ``x0``, ``x1``, ... for the other ODDS tables)
        and ``name`` (the table actually loaded).
    """
    home = data_home()
    path = Path(home or Path.home() / "skae_data") / "odds" / f"{name}.mat"
    if path.is_file():
        from scipy.io import loadmat

        mat = loadmat(path)
        X = np.asarray(mat["X"], dtype=np.float64)
        y = np.asarray(mat["y"]).ravel().astype(int)
        names = CARDIO_FEATURES if name == "cardio" else [f"x{j}" for j in range(X.shape[1])]
        return Bunch(data=X, target=y, feature_names=list(names), name=name)
    print(f"Note: {path} was not found (set SKAE_DATA to the folder holding odds/).")
    print("Note: using scikit-learn's breast cancer (benign: normal, 21 malignant: outliers).")
    cancer = load_breast_cancer()
    outlier = cancer.target == 0  # 0 is malignant
    rng = np.random.RandomState(random_state)
    drawn = rng.choice(np.flatnonzero(outlier), 21, replace=False)
    keep = np.sort(np.r_[np.flatnonzero(~outlier), drawn])
    X = cancer.data[keep]
    return Bunch(
        data=(X - X.mean(axis=0)) / X.std(axis=0),  # standardised, as ODDS's tables are
        target=outlier[keep].astype(int),
        feature_names=[str(f) for f in cancer.feature_names],
        name="breast cancer",
    )
