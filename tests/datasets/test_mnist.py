# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Tests of the MNIST and Fashion-MNIST loaders, on tiny generated IDX files."""

import hashlib
import io
import os
import pickle
import re
import sys
import urllib.error
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.utils import Bunch

from skae.datasets import (
    DatasetNotFoundError,
    _mnist,
    clear_data_home,
    get_data_home,
    load_fashion_mnist,
    load_mnist,
    write_idx,
)

from .conftest import N_TEST, N_TRAIN, random_subset

LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}
FILE_NAMES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


# --------------------------------------------------------------------------------------
# Data home
# --------------------------------------------------------------------------------------


def test_get_data_home_argument(tmp_path):
    home = tmp_path / "a" / "b"
    result = get_data_home(home)
    assert isinstance(result, str)
    assert result == str(home)
    assert home.is_dir()
    assert get_data_home(str(home)) == str(home)  # existing folder: fine


def test_get_data_home_env_and_default(tmp_path, monkeypatch):
    default = get_data_home()  # HOME is tmp_path / "home" (see conftest)
    assert default == str(tmp_path / "home" / "skae_data")
    assert os.path.isdir(default)
    monkeypatch.setenv("SKAE_DATA", str(tmp_path / "env"))
    assert get_data_home() == str(tmp_path / "env")
    assert (tmp_path / "env").is_dir()
    assert get_data_home(tmp_path / "arg") == str(tmp_path / "arg")  # argument wins
    monkeypatch.setenv("SKAE_DATA", "~/from-env")
    assert get_data_home() == str(tmp_path / "home" / "from-env")


def test_clear_data_home(tmp_path, monkeypatch):
    home = Path(get_data_home(tmp_path / "data"))
    (home / "mnist").mkdir()
    (home / "mnist" / "f").write_bytes(b"x")
    clear_data_home(home)
    assert not home.exists()
    monkeypatch.setenv("SKAE_DATA", str(home))
    get_data_home()
    clear_data_home()
    assert not home.exists()


# --------------------------------------------------------------------------------------
# Loading and return types
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["mnist", "fashion-mnist"])
def test_load_bunch(tmp_path, make_subset, dataset):
    images, labels = make_subset(tmp_path / dataset, "train")
    bunch = LOADERS[dataset](data_home=tmp_path, download=False)
    assert isinstance(bunch, Bunch)
    assert bunch.data.shape == (N_TRAIN, 784)
    assert bunch.data.dtype == np.float32
    assert bunch.data.min() == 0.0 and bunch.data.max() == 1.0
    np.testing.assert_array_equal(bunch.data, images.reshape(N_TRAIN, -1) / np.float32(255))
    assert bunch.images.shape == (N_TRAIN, 28, 28)
    assert np.shares_memory(bunch.images, bunch.data)
    np.testing.assert_array_equal(bunch.images.reshape(N_TRAIN, -1), bunch.data)
    assert bunch.target.dtype == np.int64
    np.testing.assert_array_equal(bunch.target, labels)
    assert len(bunch.feature_names) == len(set(bunch.feature_names)) == 784
    assert bunch.feature_names[0] == "pixel_0" and bunch.feature_names[-1] == "pixel_783"
    assert bunch.frame is None
    assert "Licen" in bunch.DESCR


def test_target_names_and_descr(tmp_path, make_subset):
    make_subset(tmp_path / "mnist", "test")
    make_subset(tmp_path / "fashion-mnist", "test")
    mnist = load_mnist("test", data_home=tmp_path, download=False)
    fashion = load_fashion_mnist("test", data_home=tmp_path, download=False)
    assert mnist.target_names == [str(i) for i in range(10)]
    assert fashion.target_names == [
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
    ]
    assert "LeCun" in mnist.DESCR and "CC BY-SA 3.0" in mnist.DESCR
    assert "Xiao" in fashion.DESCR and "MIT" in fashion.DESCR


def test_uint8(tmp_path, make_subset):
    images, labels = make_subset(tmp_path, "test")
    X, y = load_mnist("test", data_home=tmp_path, download=False, dtype="uint8", return_X_y=True)
    assert X.dtype == np.uint8
    np.testing.assert_array_equal(X, images.reshape(N_TEST, 784))
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, labels)
    X2, _ = load_mnist("test", data_home=tmp_path, download=False, dtype=np.uint8, return_X_y=True)
    np.testing.assert_array_equal(X2, X)


def test_all_is_train_then_test(tmp_path, make_subset):
    train = make_subset(tmp_path / "mnist", "train", seed=1)
    test = make_subset(tmp_path / "mnist", "test", seed=2)
    bunch = load_mnist("all", data_home=tmp_path, download=False, dtype="uint8")
    assert bunch.data.shape == (N_TRAIN + N_TEST, 784)
    np.testing.assert_array_equal(bunch.images, np.concatenate([train[0], test[0]]))
    np.testing.assert_array_equal(bunch.target, np.concatenate([train[1], test[1]]))
    assert np.shares_memory(bunch.images, bunch.data)


def test_as_frame(tmp_path, make_subset):
    images, labels = make_subset(tmp_path, "train")
    bunch = load_mnist(data_home=tmp_path, download=False, as_frame=True)
    assert isinstance(bunch.data, pd.DataFrame)
    assert isinstance(bunch.target, pd.Series)
    assert isinstance(bunch.frame, pd.DataFrame)
    assert list(bunch.data.columns) == bunch.feature_names
    assert bunch.target.name == "target" and bunch.target.dtype == np.int64
    assert list(bunch.frame.columns) == [*bunch.feature_names, "target"]
    assert bunch.frame.shape == (N_TRAIN, 785)
    assert (bunch.data.dtypes == np.float32).all()
    np.testing.assert_array_equal(bunch.target.to_numpy(), labels)
    assert isinstance(bunch.images, np.ndarray) and bunch.images.shape == (N_TRAIN, 28, 28)
    X, y = load_mnist(data_home=tmp_path, download=False, as_frame=True, return_X_y=True)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    np.testing.assert_array_equal(X.to_numpy(), images.reshape(N_TRAIN, -1) / np.float32(255))


def test_no_cache_between_calls(tmp_path, make_subset):
    make_subset(tmp_path, "test", seed=1)
    first = load_mnist("test", data_home=tmp_path, download=False, dtype="uint8")
    images, _ = make_subset(tmp_path, "test", seed=2)
    second = load_mnist("test", data_home=tmp_path, download=False, dtype="uint8")
    np.testing.assert_array_equal(second.images, images)
    assert not np.array_equal(first.images, second.images)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"subset": "validation"}, "subset must be one of 'train', 'test', 'all'; got 'valid"),
        ({"subset": None}, "subset must be one of"),
        ({"subset": 1}, "subset must be one of"),
        ({"dtype": "float64"}, "dtype must be 'float32' or 'uint8'; got 'float64'"),
        ({"dtype": None}, "dtype must be 'float32' or 'uint8'; got None"),
        ({"dtype": "not-a-dtype"}, "dtype must be"),
    ],
)
def test_invalid_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        load_mnist(data_home=tmp_path, download=False, **kwargs)


# --------------------------------------------------------------------------------------
# Where files are looked for
# --------------------------------------------------------------------------------------


def test_subfolder_preferred_over_data_home(tmp_path, make_subset):
    in_sub, _ = make_subset(tmp_path / "mnist", "test", seed=1)
    in_root, _ = make_subset(tmp_path, "test", seed=2)
    bunch = load_mnist("test", data_home=tmp_path, download=False, dtype="uint8")
    np.testing.assert_array_equal(bunch.images, in_sub)
    for name in FILE_NAMES[2:]:
        (tmp_path / "mnist" / f"{name}.gz").unlink()
    bunch = load_mnist("test", data_home=tmp_path, download=False, dtype="uint8")
    np.testing.assert_array_equal(bunch.images, in_root)


def test_plain_and_gz_names(tmp_path, make_subset):
    plain, _ = make_subset(tmp_path / "mnist", "test", compress=False, seed=1)
    bunch = load_mnist("test", data_home=tmp_path, download=False, dtype="uint8")
    np.testing.assert_array_equal(bunch.images, plain)
    gz, _ = make_subset(tmp_path / "mnist", "test", compress=True, seed=2)
    bunch = load_mnist("test", data_home=tmp_path, download=False, dtype="uint8")
    np.testing.assert_array_equal(bunch.images, gz)  # .gz first within a folder


def test_datasets_use_their_own_subfolder(tmp_path, make_subset):
    digits, _ = make_subset(tmp_path / "mnist", "test", seed=1)
    clothes, _ = make_subset(tmp_path / "fashion-mnist", "test", seed=2)
    np.testing.assert_array_equal(
        load_mnist("test", data_home=tmp_path, download=False, dtype="uint8").images, digits
    )
    np.testing.assert_array_equal(
        load_fashion_mnist("test", data_home=tmp_path, download=False, dtype="uint8").images,
        clothes,
    )


def test_skae_data_environment_variable(tmp_path, make_subset, monkeypatch):
    images, _ = make_subset(tmp_path / "env" / "fashion-mnist", "test")
    monkeypatch.setenv("SKAE_DATA", str(tmp_path / "env"))
    bunch = load_fashion_mnist("test", download=False, dtype="uint8")
    np.testing.assert_array_equal(bunch.images, images)


# --------------------------------------------------------------------------------------
# Validation of files on disk
# --------------------------------------------------------------------------------------


def _assert_error(tmp_path, file_name, message, subset="train"):
    with pytest.raises(ValueError, match=message) as excinfo:
        load_mnist(subset, data_home=tmp_path, download=False)
    assert file_name in str(excinfo.value)


def test_bad_magic(tmp_path, make_subset):
    make_subset(tmp_path, "train")
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((N_TRAIN, 784), np.uint8))
    _assert_error(
        tmp_path, "train-images-idx3-ubyte.gz", "bad magic number 0x00000802 for an images file"
    )
    make_subset(tmp_path, "train")
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(N_TRAIN, np.int16))
    _assert_error(tmp_path, "train-labels-idx1-ubyte.gz", "bad magic number 0x00000B01")


def test_bad_dimensions(tmp_path, make_subset):
    make_subset(tmp_path, "train", images=np.zeros((N_TRAIN, 28, 27), np.uint8))
    _assert_error(tmp_path, "train-images-idx3-ubyte.gz", "images are 28x27, expected 28x28")


def test_wrong_counts(tmp_path, make_subset):
    make_subset(tmp_path, "test", images=np.zeros((N_TEST + 1, 28, 28), np.uint8))
    _assert_error(
        tmp_path,
        "t10k-images-idx3-ubyte.gz",
        f"holds {N_TEST + 1} images, expected {N_TEST}",
        "test",
    )


def test_labels_images_count_mismatch(tmp_path, make_subset):
    make_subset(tmp_path, "train", labels=np.zeros(N_TRAIN - 1, np.uint8))
    _assert_error(
        tmp_path,
        "train-labels-idx1-ubyte.gz",
        re.escape(f"holds {N_TRAIN - 1} labels, expected {N_TRAIN} (one per image)"),
    )


def test_label_out_of_range(tmp_path, make_subset):
    labels = np.arange(N_TRAIN, dtype=np.uint8)
    labels[3] = 10
    make_subset(tmp_path, "train", labels=labels)
    _assert_error(
        tmp_path, "train-labels-idx1-ubyte.gz", "label 10 at index 3 is out of the range 0..9"
    )


def test_truncated_and_corrupt_files(tmp_path, make_subset):
    make_subset(tmp_path, "train")
    path = tmp_path / "train-images-idx3-ubyte.gz"
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    _assert_error(tmp_path, "train-images-idx3-ubyte.gz", "corrupt or truncated gzip data")
    path.write_bytes(good[:20] + bytes(len(good) - 20))
    _assert_error(tmp_path, "train-images-idx3-ubyte.gz", "corrupt or truncated gzip data")
    path.unlink()
    plain = tmp_path / "train-images-idx3-ubyte"
    write_idx(plain, np.zeros((N_TRAIN, 28, 28), np.uint8))
    plain.write_bytes(plain.read_bytes()[:-1])
    _assert_error(tmp_path, "train-images-idx3-ubyte", "truncated IDX file")
    plain.write_bytes(plain.read_bytes() + b"\x00\x00")
    _assert_error(tmp_path, "train-images-idx3-ubyte", "1 unexpected bytes")


# --------------------------------------------------------------------------------------
# Download (with a fake URL opener: the network is never touched)
# --------------------------------------------------------------------------------------


class FakeOpener:
    """Stand-in for ``urllib.request.urlopen`` serving canned responses by URL.

    A response is bytes or an exception instance (raised). Bytes are served in small
    chunks, checking meanwhile, if ``watch`` (a folder) is given, that the file named
    like the URL has not appeared in it yet.
    """

    def __init__(self, responses, watch=None):
        self.responses = responses
        self.watch = watch
        self.calls = []

    def __call__(self, url, timeout=None):
        self.calls.append(url)
        assert timeout is not None
        response = self.responses.get(url, urllib.error.HTTPError(url, 404, "Not Found", {}, None))
        if isinstance(response, BaseException):
            raise response
        watch = None if self.watch is None else os.path.join(self.watch, url.rsplit("/", 1)[1])
        return _WatchedStream(response, watch)


class _WatchedStream(io.BytesIO):
    def __init__(self, data, watch):
        super().__init__(data)
        self.watch = watch

    def read(self, size=-1):
        if self.watch is not None:
            assert not os.path.exists(self.watch), "file in place before its checksum passed"
        return super().read(min(size, 64) if size and size > 0 else size)


@pytest.fixture
def payloads(tmp_path_factory, monkeypatch):
    """Gzipped tiny test-subset files, with their SHA-256 put in the checksum table."""
    src = tmp_path_factory.mktemp("src")
    images, labels = random_subset(N_TEST, seed=3)
    write_idx(src / "t10k-images-idx3-ubyte.gz", images)
    write_idx(src / "t10k-labels-idx1-ubyte.gz", labels)
    data = {p.name: p.read_bytes() for p in src.iterdir()}
    table = {name: hashlib.sha256(content).hexdigest() for name, content in data.items()}
    monkeypatch.setattr(_mnist, "_SHA256", {"mnist": table, "fashion-mnist": table})
    monkeypatch.setattr(_mnist, "_N_SAMPLES", {"train": N_TRAIN, "test": N_TEST})
    return data, images, labels


def _urls(dataset, name):
    return [mirror + name for mirror in _mnist._MIRRORS[dataset]]


@pytest.mark.parametrize("dataset", ["mnist", "fashion-mnist"])
def test_download_success(tmp_path, payloads, monkeypatch, dataset):
    data, images, labels = payloads
    folder = tmp_path / dataset
    opener = FakeOpener({_urls(dataset, n)[0]: c for n, c in data.items()}, watch=folder)
    monkeypatch.setattr(_mnist, "_urlopen", opener)
    bunch = LOADERS[dataset]("test", data_home=tmp_path, dtype="uint8")
    np.testing.assert_array_equal(bunch.images, images)
    np.testing.assert_array_equal(bunch.target, labels)
    assert sorted(opener.calls) == sorted(_urls(dataset, n)[0] for n in data)
    assert sorted(os.listdir(folder)) == sorted(data)  # no temporary file left
    for name, content in data.items():
        assert (folder / name).read_bytes() == content
    # Second call: files are on disk, nothing is downloaded.
    opener.calls.clear()
    LOADERS[dataset]("test", data_home=tmp_path)
    assert opener.calls == []


def test_download_only_missing_file(tmp_path, payloads, monkeypatch):
    data, images, _ = payloads
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images)  # in data_home itself
    opener = FakeOpener({_urls("mnist", n)[0]: c for n, c in data.items()})
    monkeypatch.setattr(_mnist, "_urlopen", opener)
    load_mnist("test", data_home=tmp_path)
    assert opener.calls == [_urls("mnist", "t10k-labels-idx1-ubyte.gz")[0]]
    assert os.listdir(tmp_path / "mnist") == ["t10k-labels-idx1-ubyte.gz"]


def test_checksum_mismatch_tries_next_mirror(tmp_path, payloads, monkeypatch):
    data, images, _ = payloads
    responses = {}
    for name, content in data.items():
        first, second = _urls("fashion-mnist", name)
        corrupt = bytearray(content)
        corrupt[len(content) // 2] ^= 1
        responses[first] = bytes(corrupt)
        responses[second] = content
    opener = FakeOpener(responses)
    monkeypatch.setattr(_mnist, "_urlopen", opener)
    bunch = load_fashion_mnist("test", data_home=tmp_path, dtype="uint8")
    np.testing.assert_array_equal(bunch.images, images)
    assert len(opener.calls) == 4
    assert opener.calls[:2] == _urls("fashion-mnist", "t10k-images-idx3-ubyte.gz")
    assert sorted(os.listdir(tmp_path / "fashion-mnist")) == sorted(data)


@pytest.mark.usefixtures("payloads")
def test_all_mirrors_fail(tmp_path, monkeypatch):
    name = "t10k-images-idx3-ubyte.gz"
    first, second = _urls("mnist", name)
    opener = FakeOpener(
        {first: urllib.error.URLError("no route to host"), second: b"not the right bytes"}
    )
    monkeypatch.setattr(_mnist, "_urlopen", opener)
    with pytest.raises(FileNotFoundError) as excinfo:
        load_mnist("test", data_home=tmp_path)
    message = str(excinfo.value)
    assert opener.calls == [first, second]
    assert name in message
    for folder in (tmp_path / "mnist", tmp_path):
        assert str(folder / name) in message
        assert str(folder / "t10k-images-idx3-ubyte") in message
    assert f"{first}: <urlopen error no route to host>" in message
    assert f"{second}: checksum mismatch: expected SHA-256 {_mnist._SHA256['mnist'][name]}" in (
        message
    )
    assert "SKAE_DATA" in message and "data_home=" in message
    assert os.listdir(tmp_path / "mnist") == []  # nothing partial left behind


def test_download_false_never_uses_network(tmp_path, payloads, monkeypatch):
    data, _, _ = payloads
    opener = FakeOpener({_urls("mnist", n)[0]: c for n, c in data.items()})
    monkeypatch.setattr(_mnist, "_urlopen", opener)
    home = tmp_path / "missing"
    with pytest.raises(FileNotFoundError, match=r"download=False") as excinfo:
        load_mnist("test", data_home=home, download=False)
    assert opener.calls == []
    message = str(excinfo.value)
    assert str(home / "mnist" / "t10k-images-idx3-ubyte.gz") in message
    assert str(home / "t10k-images-idx3-ubyte") in message
    assert "SKAE_DATA" in message
    assert not home.exists()  # loading never creates folders unless it downloads


@pytest.mark.usefixtures("payloads")
def test_not_found_error_attributes(tmp_path, monkeypatch):
    # The facts of the message are attributes too, so that callers never parse it.
    name = "t10k-images-idx3-ubyte.gz"
    first, second = _urls("mnist", name)
    opener = FakeOpener({first: urllib.error.URLError("no route to host")})
    monkeypatch.setattr(_mnist, "_urlopen", opener)
    with pytest.raises(DatasetNotFoundError) as excinfo:
        load_mnist("test", data_home=tmp_path)
    exc = excinfo.value
    assert isinstance(exc, FileNotFoundError)
    assert (exc.dataset, exc.file_name, exc.data_home) == ("mnist", name, str(tmp_path))
    assert exc.searched == (
        str(tmp_path / "mnist" / name),
        str(tmp_path / "mnist" / "t10k-images-idx3-ubyte"),
        str(tmp_path / name),
        str(tmp_path / "t10k-images-idx3-ubyte"),
    )
    assert len(exc.download_errors) == 2
    assert exc.download_errors[0] == f"{first}: <urlopen error no route to host>"
    assert exc.download_errors[1].startswith(f"{second}: ")
    assert f"\n  {exc.download_errors[0]}\n" in str(exc)

    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is DatasetNotFoundError
    assert str(copy) == str(exc)
    assert (copy.file_name, copy.searched, copy.download_errors) == (
        exc.file_name,
        exc.searched,
        exc.download_errors,
    )


def test_not_found_error_without_download(tmp_path):
    with pytest.raises(DatasetNotFoundError) as excinfo:
        load_fashion_mnist("train", data_home=tmp_path, download=False)
    exc = excinfo.value
    assert (exc.dataset, exc.file_name) == ("fashion-mnist", "train-images-idx3-ubyte.gz")
    assert exc.download_errors is None
    assert exc.searched[0] == str(tmp_path / "fashion-mnist" / "train-images-idx3-ubyte.gz")


def test_all_fails_fast_on_missing_test_file(tmp_path, make_subset, monkeypatch):
    make_subset(tmp_path, "train")
    read = []
    original = _mnist._read_subset
    monkeypatch.setattr(_mnist, "_read_subset", lambda *a: read.append(a) or original(*a))
    with pytest.raises(FileNotFoundError, match=re.escape("t10k-images-idx3-ubyte.gz not found")):
        load_mnist("all", data_home=tmp_path, download=False)
    assert read == []  # nothing was read before the missing file was noticed


# --------------------------------------------------------------------------------------
# The real data set
# --------------------------------------------------------------------------------------

# The shared read-only copy of MNIST lives next to the repository: <repo>/../shared/data.
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _real_mnist_home(subset):
    """``SHARED_DATA`` if it holds the real MNIST files of ``subset``, else skip the test.

    The files are looked for where :func:`load_mnist` looks, gzip-compressed or not.
    """
    missing = [
        f"{name}.gz"
        for name in _mnist._FILES[subset]
        if not any(os.path.isfile(p) for p in _mnist._candidates("mnist", name, SHARED_DATA))
    ]
    if missing:
        pytest.skip(
            f"the real MNIST files {', '.join(missing)} are not in {os.path.normpath(SHARED_DATA)} "
            "(nor its 'mnist' subfolder)"
        )
    return SHARED_DATA


def test_real_mnist_test_set(monkeypatch):
    home = _real_mnist_home("test")

    def forbidden(url, *args, **kwargs):
        raise AssertionError(f"the real data should be read from {home}, not {url}")

    monkeypatch.setattr(_mnist, "_urlopen", forbidden)
    bunch = load_mnist("test", data_home=home, download=False)
    assert bunch.data.shape == (10_000, 784)
    assert bunch.images.shape == (10_000, 28, 28)
    assert bunch.data.dtype == np.float32
    assert bunch.data.min() == 0.0 and bunch.data.max() == 1.0
    assert 0.1 < bunch.data.mean() < 0.15  # MNIST's mean intensity is about 0.13
    np.testing.assert_array_equal(np.unique(bunch.target), np.arange(10))
    assert bunch.target[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first test labels


def test_real_data_tests_skip_without_the_shared_folder(monkeypatch, tmp_path):
    """A fresh machine has no ``../shared``: the real-data test skips, naming the files."""
    monkeypatch.setattr(sys.modules[__name__], "SHARED_DATA", tmp_path / "shared" / "data")
    with pytest.raises(pytest.skip.Exception) as excinfo:
        test_real_mnist_test_set(monkeypatch)
    reason = str(excinfo.value)
    assert "t10k-images-idx3-ubyte.gz" in reason and "t10k-labels-idx1-ubyte.gz" in reason
    assert str(tmp_path / "shared" / "data") in reason
