# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Loaders for MNIST and Fashion-MNIST, read from the standard IDX files."""

import hashlib
import http.client
import logging
import os
import tempfile
import urllib.request

import numpy as np
from sklearn.utils import Bunch

from ._base import DatasetNotFoundError, _resolve_data_home
from ._idx import _gzip_errors, _open_idx, _read_header, _read_payload

__all__ = ["load_fashion_mnist", "load_mnist"]

logger = logging.getLogger(__name__)

# The URL opener, a module attribute so that tests can replace it (they never touch
# the network). Called as ``_urlopen(url, timeout=...)``; must return a context
# manager with a ``read(size)`` method, like :func:`urllib.request.urlopen`.
_urlopen = urllib.request.urlopen
_TIMEOUT = 60  # seconds, per blocking socket operation
_DOWNLOAD_CHUNK = 1 << 20

_SUBSETS = ("train", "test", "all")
_DTYPES = (np.dtype(np.float32), np.dtype(np.uint8))

_N_ROWS = 28
_N_COLS = 28
_N_FEATURES = _N_ROWS * _N_COLS
_N_CLASSES = 10
_IMAGES_MAGIC = 0x00000803  # unsigned byte, 3 dimensions
_LABELS_MAGIC = 0x00000801  # unsigned byte, 1 dimension

# subset -> (images file, labels file), names without the ".gz" suffix.
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# Number of examples each subset must hold (tests shrink these to use tiny files).
_N_SAMPLES = {"train": 60_000, "test": 10_000}

# Download mirrors, tried in order; a file's URL is the mirror + the file name + ".gz".
_MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    ),
}

# Published SHA-256 of the original ``.gz`` files, checked on download only (files
# already on disk are validated through their IDX headers instead, since local copies
# may have been re-compressed). Sources, which agree with each other:
# - MNIST: tensorflow/datasets ``tensorflow_datasets/url_checksums/mnist.txt`` and
#   torchvision's prototype ``torchvision/prototype/datasets/_builtin/mnist.py``.
# - Fashion-MNIST: tensorflow/datasets ``url_checksums/fashion_mnist.txt`` and the
#   same torchvision file.
_SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
        ),
        "train-labels-idx1-ubyte.gz": (
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
        ),
    },
}

_TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}

_TARGET_NAMES = {
    "mnist": [str(i) for i in range(_N_CLASSES)],
    "fashion-mnist": [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
}

_DESCR = {
    "mnist": """\
.. _mnist_dataset:

MNIST handwritten digits
------------------------

**Data Set Characteristics:**

:Number of Instances: 70,000 (60,000 train, 10,000 test)
:Number of Attributes: 784 (28 x 28 grey-level pixels)
:Attribute Information: pixel intensities, 0 (background) to 255 (ink) as
    bytes, or 0.0 to 1.0 when loaded as float32
:Classes: 10 (the digits 0 to 9)
:Creators: Yann LeCun, Corinna Cortes, Christopher J. C. Burges
:Source: http://yann.lecun.com/exdb/mnist/ (files mirrored at
    https://ossci-datasets.s3.amazonaws.com/mnist/)

Size-normalised and centred handwritten digits, a mix of NIST Special
Databases 1 (high-school students) and 3 (Census Bureau employees); the
writers of the training and test sets are disjoint.

**Licence:** copyright Yann LeCun and Corinna Cortes, made available under
the terms of the Creative Commons Attribution-Share Alike 3.0 licence
(CC BY-SA 3.0).

.. rubric:: References

- Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning
  applied to document recognition", Proceedings of the IEEE, 86(11):2278-2324,
  November 1998.
""",
    "fashion-mnist": """\
.. _fashion_mnist_dataset:

Fashion-MNIST
-------------

**Data Set Characteristics:**

:Number of Instances: 70,000 (60,000 train, 10,000 test)
:Number of Attributes: 784 (28 x 28 grey-level pixels)
:Attribute Information: pixel intensities, 0 to 255 as bytes, or 0.0 to 1.0
    when loaded as float32
:Classes: 10 (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt,
    Sneaker, Bag, Ankle boot)
:Creators: Han Xiao, Kashif Rasul, Roland Vollgraf (Zalando Research)
:Source: https://github.com/zalandoresearch/fashion-mnist

Zalando article images in the same format, size and train/test split as
MNIST, meant as a harder drop-in replacement for it.

**Licence:** MIT licence, copyright (c) 2017 Zalando SE.

.. rubric:: References

- H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
  Benchmarking Machine Learning Algorithms", arXiv:1708.07747, 2017.
""",
}


class _ChecksumError(ValueError):
    """A downloaded file does not have the published checksum."""


# --------------------------------------------------------------------------------------
# Finding and downloading files
# --------------------------------------------------------------------------------------


def _candidates(dataset, name, data_home):
    """Paths where the file ``name`` (without ``.gz``) is looked for, in order."""
    folders = (os.path.join(data_home, dataset), data_home)
    return [os.path.join(folder, fname) for folder in folders for fname in (name + ".gz", name)]


def _download(url, dest, sha256):
    """Download ``url`` to ``dest``, atomically, checking its SHA-256.

    The data is streamed into a temporary file in the folder of ``dest``, which is
    moved into place only once its checksum matches; otherwise it is deleted.

    Raises
    ------
    _ChecksumError
        If the downloaded data does not have the SHA-256 ``sha256``.
    OSError, http.client.HTTPException
        If the download fails.
    """
    folder, base = os.path.split(dest)
    tmp = tempfile.NamedTemporaryFile(dir=folder, prefix=f".{base}.", suffix=".part", delete=False)
    try:
        digest = hashlib.sha256()
        with tmp, _urlopen(url, timeout=_TIMEOUT) as response:
            while chunk := response.read(_DOWNLOAD_CHUNK):
                digest.update(chunk)
                tmp.write(chunk)
        if digest.hexdigest() != sha256:
            raise _ChecksumError(
                f"checksum mismatch: expected SHA-256 {sha256}, got {digest.hexdigest()}"
            )
        os.replace(tmp.name, dest)
    except BaseException:
        try:
            os.remove(tmp.name)
        except OSError:
            pass
        raise


def _how_to_provide(dataset, data_home):
    files = ", ".join(f"{name}.gz" for pair in _FILES.values() for name in pair)
    return (
        f"To provide the data, put the standard {_TITLES[dataset]} IDX files ({files}; "
        f"uncompressed copies without '.gz' also work) in {os.path.join(data_home, dataset)} "
        f"or {data_home}, or point data_home= or the SKAE_DATA environment variable to a "
        "folder that holds them (or its subfolder "
        f"'{dataset}')."
    )


def _fetch(dataset, name, data_home, download):
    """Return the path of the file ``name`` (no ``.gz``), downloading it if allowed.

    Raises
    ------
    DatasetNotFoundError
        If the file is in none of the candidate places and cannot be downloaded.
    """
    candidates = _candidates(dataset, name, data_home)
    for path in candidates:
        if os.path.isfile(path):
            return path

    title = _TITLES[dataset]
    looked = "\n".join(f"  {p}" for p in candidates)
    message = f"{title} file {name}.gz not found. Looked for:\n{looked}\n"
    facts = {
        "dataset": dataset,
        "file_name": name + ".gz",
        "data_home": data_home,
        "searched": candidates,
    }
    if not download:
        raise DatasetNotFoundError(
            message
            + "Downloading is disabled (download=False).\n"
            + _how_to_provide(dataset, data_home),
            **facts,
        )

    folder = os.path.join(data_home, dataset)
    dest = os.path.join(folder, name + ".gz")
    sha256 = _SHA256[dataset][name + ".gz"]
    failures = []
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        failures.append(f"(not tried) could not create the download folder {folder}: {exc}")
    else:
        for mirror in _MIRRORS[dataset]:
            url = mirror + name + ".gz"
            logger.info("Downloading %s to %s", url, dest)
            try:
                _download(url, dest, sha256)
            except (OSError, http.client.HTTPException, _ChecksumError) as exc:
                reason = str(exc) or type(exc).__name__
                failures.append(f"{url}: {reason}")
                logger.info("Download of %s failed: %s", url, reason)
            else:
                return dest
    raise DatasetNotFoundError(
        message
        + "and downloading it failed:\n"
        + "\n".join(f"  {failure}" for failure in failures)
        + "\n"
        + _how_to_provide(dataset, data_home),
        download_errors=failures,
        **facts,
    )


# --------------------------------------------------------------------------------------
# Reading and validating files
# --------------------------------------------------------------------------------------


def _read_mnist_file(path, kind, n_samples):
    """Read an MNIST-format images or labels file, validating its header first.

    ``kind`` is "images" or "labels". Returns a uint8 array of shape
    ``(n_samples, 28, 28)`` or ``(n_samples,)``.
    """
    magic_expected = _IMAGES_MAGIC if kind == "images" else _LABELS_MAGIC
    with _open_idx(path) as f, _gzip_errors(path):
        magic, dtype, shape = _read_header(f, path)
        if magic != magic_expected:
            raise ValueError(
                f"{path}: bad magic number 0x{magic:08X} for an {kind} file "
                f"(expected 0x{magic_expected:08X})"
            )
        if kind == "images" and shape[1:] != (_N_ROWS, _N_COLS):
            raise ValueError(
                f"{path}: images are {shape[1]}x{shape[2]}, expected {_N_ROWS}x{_N_COLS}"
            )
        if shape[0] != n_samples:
            per_image = " (one per image)" if kind == "labels" else ""
            raise ValueError(f"{path}: holds {shape[0]} {kind}, expected {n_samples}{per_image}")
        return _read_payload(f, path, dtype, shape)


def _read_subset(images_path, labels_path, n_samples):
    """Read and validate the images and labels of one subset."""
    images = _read_mnist_file(images_path, "images", n_samples)
    labels = _read_mnist_file(labels_path, "labels", n_samples)
    if labels.size and labels.max() >= _N_CLASSES:
        bad = int(np.flatnonzero(labels >= _N_CLASSES)[0])
        raise ValueError(
            f"{labels_path}: label {int(labels[bad])} at index {bad} is out of the range "
            f"0..{_N_CLASSES - 1}"
        )
    return images, labels


# --------------------------------------------------------------------------------------
# Public loaders
# --------------------------------------------------------------------------------------


def _check_params(subset, dtype):
    if not isinstance(subset, str) or subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {', '.join(map(repr, _SUBSETS))}; got {subset!r}")
    try:
        dtype_ = None if dtype is None else np.dtype(dtype)
    except TypeError:
        dtype_ = None
    if dtype_ not in _DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'uint8'; got {dtype!r}")
    return dtype_


def _load(dataset, subset, *, data_home, download, return_X_y, as_frame, dtype):
    dtype_ = _check_params(subset, dtype)
    # Not get_data_home: nothing is created unless a file must be downloaded.
    data_home = _resolve_data_home(data_home)

    subsets = ("train", "test") if subset == "all" else (subset,)
    # Locate (or download) every file before reading any, to fail fast.
    paths = [[_fetch(dataset, name, data_home, download) for name in _FILES[s]] for s in subsets]
    parts = [_read_subset(*p, _N_SAMPLES[s]) for p, s in zip(paths, subsets, strict=True)]
    if len(parts) == 1:
        images, labels = parts[0]
    else:
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
    del parts

    n_samples = images.shape[0]
    data = images.reshape(n_samples, _N_FEATURES)
    if dtype_ == np.float32:
        # Scale to [0, 1] in float32, never going through a float64 copy.
        data = np.divide(data, np.float32(255), dtype=np.float32)
    del images
    images = data.reshape(n_samples, _N_ROWS, _N_COLS)  # a view of data
    target = labels.astype(np.int64)
    feature_names = [f"pixel_{i}" for i in range(_N_FEATURES)]
    target_names = list(_TARGET_NAMES[dataset])

    frame = None
    if as_frame:
        import pandas as pd

        data = pd.DataFrame(data, columns=feature_names, copy=False)
        target = pd.Series(target, name="target", copy=False)
        frame = pd.concat([data, target], axis=1)

    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        images=images,
        feature_names=feature_names,
        target_names=target_names,
        DESCR=_DESCR[dataset],
    )


_LOAD_DOC = """Load the {title} data set ({summary}).

    The standard IDX files (``train-images-idx3-ubyte.gz``,
    ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
    ``t10k-labels-idx1-ubyte.gz``) are looked for first in
    ``data_home/{folder}/`` and then in ``data_home`` itself; in each folder the
    ``.gz`` name is tried before the uncompressed one (the same name without
    ``.gz``). As the files have the same names for MNIST and Fashion-MNIST,
    keep each data set in its own subfolder when ``data_home`` holds both.

    Files on disk are validated through their IDX headers (magic number,
    28x28 images, 60,000 train / 10,000 test examples, as many labels as
    images, labels 0 to 9, payload length exactly as declared), not through a
    checksum, so re-compressed or uncompressed copies are accepted. A missing
    file is downloaded, if ``download`` is true, into ``data_home/{folder}/``
    from these mirrors in turn: {mirrors}. A download is written to a temporary
    file, checked against the published SHA-256 of the original file, and only
    then moved into place.

    Nothing is cached in memory: every call reads the files again. Nothing is
    written, and no folder created, unless a file has to be downloaded.

    Parameters
    ----------
    subset : {{"train", "test", "all"}}, default="train"
        Which examples to load: the 60,000 training examples, the 10,000 test
        examples, or all 70,000 (training examples first, then test).
    data_home : str or path-like, default=None
        Folder holding the data (see :func:`get_data_home`). ``None`` means the
        ``SKAE_DATA`` environment variable, or ``~/skae_data`` when it is unset.
    download : bool, default=True
        Whether to download missing files. If false, a missing file raises
        :class:`DatasetNotFoundError` (a :class:`FileNotFoundError`) without
        any network access.
    return_X_y : bool, default=False
        If true, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        If true, ``data`` is a :class:`pandas.DataFrame` with one column per
        pixel, ``target`` a :class:`pandas.Series` named ``"target"``, and
        ``frame`` a DataFrame holding both, as in
        :func:`sklearn.datasets.fetch_openml`.
    dtype : {{"float32", "uint8"}}, default="float32"
        ``"float32"`` gives pixel values scaled to [0, 1] (divided by 255);
        ``"uint8"`` gives the raw bytes, 0 to 255.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_samples, 784) or DataFrame
            The images, flattened row by row.
        target : ndarray of shape (n_samples,) of int64, or Series
            The class of each image, 0 to 9.
        frame : DataFrame of shape (n_samples, 785) or None
            ``data`` and ``target`` together when ``as_frame=True``, else None.
        images : ndarray of shape (n_samples, 28, 28)
            The images as 2-D arrays (a view of the data array).
        feature_names : list of str
            ``"pixel_0"`` to ``"pixel_783"``, pixel ``28 * row + col``.
        target_names : list of str
            The class names: {target_names}.
        DESCR : str
            Description of the data set: source, licence and citation.

    (data, target) : tuple if ``return_X_y`` is True
        ``data`` of shape (n_samples, 784) and ``target`` of shape
        (n_samples,), as ndarrays or, with ``as_frame=True``, a DataFrame and
        a Series.

    Raises
    ------
    ValueError
        If an argument is invalid, or if a file is not a valid {title} file
        (bad IDX header, wrong number of examples, truncated or over-long
        payload, corrupt gzip data, out-of-range labels). The message names
        the file.
    DatasetNotFoundError
        If a file is missing and cannot be downloaded (or ``download=False``).
        A :class:`FileNotFoundError` whose message names the file, every path
        it was looked for at, the URLs tried and why each failed, and how to
        provide the files; its attributes hold the same facts.

    See Also
    --------
    {see_also}
    get_data_home : The folder where data sets are looked for.

    Examples
    --------
    With the data set in ``~/skae_data`` (or downloadable)::

        >>> from skae.datasets import {func}
        >>> X, y = {func}(return_X_y=True)  # doctest: +SKIP
        >>> X.shape  # doctest: +SKIP
        (60000, 784)

    Any folder holding the IDX files can be used. Here, one with a stand-in
    test set of blank images:

    >>> import os, tempfile
    >>> import numpy as np
    >>> from skae.datasets import clear_data_home, write_idx
    >>> home = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(home, "{folder}"))
    >>> write_idx(os.path.join(home, "{folder}", "t10k-images-idx3-ubyte"),
    ...           np.zeros((10000, 28, 28), dtype=np.uint8))
    >>> write_idx(os.path.join(home, "{folder}", "t10k-labels-idx1-ubyte.gz"),
    ...           np.arange(10000, dtype=np.uint8) % 10)
    >>> ds = {func}("test", data_home=home, download=False)
    >>> ds.data.shape, ds.data.dtype, ds.images.shape
    ((10000, 784), dtype('float32'), (10000, 28, 28))
    >>> ds.target[:4], ds.target_names[3]
    (array([0, 1, 2, 3]), '{name3}')
    >>> X, y = {func}("test", data_home=home, download=False, dtype="uint8",
    ...                return_X_y=True, as_frame=True)
    >>> X.shape, y.name
    ((10000, 784), 'target')
    >>> clear_data_home(home)
    """


def load_mnist(
    subset="train",
    *,
    data_home=None,
    download=True,
    return_X_y=False,
    as_frame=False,
    dtype="float32",
):
    return _load(
        "mnist",
        subset,
        data_home=data_home,
        download=download,
        return_X_y=return_X_y,
        as_frame=as_frame,
        dtype=dtype,
    )


def load_fashion_mnist(
    subset="train",
    *,
    data_home=None,
    download=True,
    return_X_y=False,
    as_frame=False,
    dtype="float32",
):
    return _load(
        "fashion-mnist",
        subset,
        data_home=data_home,
        download=download,
        return_X_y=return_X_y,
        as_frame=as_frame,
        dtype=dtype,
    )


def _format_doc(dataset, func, summary, see_also):
    names = _TARGET_NAMES[dataset]
    if dataset == "mnist":
        target_names_text = '``"0"`` to ``"9"``'
    else:
        target_names_text = ", ".join(f'``"{n}"``' for n in names)
    return _LOAD_DOC.format(
        title=_TITLES[dataset],
        summary=summary,
        folder=dataset,
        mirrors=", ".join(f"``{m}``" for m in _MIRRORS[dataset]),
        target_names=target_names_text,
        see_also=see_also,
        func=func,
        name3=names[3],
    )


load_mnist.__doc__ = _format_doc(
    "mnist",
    "load_mnist",
    "handwritten digits, classification",
    "load_fashion_mnist : The Fashion-MNIST data set, in the same format.",
)
load_fashion_mnist.__doc__ = _format_doc(
    "fashion-mnist",
    "load_fashion_mnist",
    "Zalando article images, classification",
    "load_mnist : The MNIST handwritten digits, in the same format.",
)
