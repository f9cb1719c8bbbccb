# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Tests of the IDX reader and writer."""

import gzip
import math
import re
import struct
import tracemalloc

import numpy as np
import pytest

from skae.datasets import read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if info is None:
        array = rng.standard_normal((3, 4, 5)).astype(dtype)
    else:
        array = rng.integers(info.min, info.max, size=(3, 4, 5), endpoint=True, dtype=dtype)
    path = tmp_path / f"a-idx3{suffix}"
    write_idx(path, array)
    result = read_idx(path)
    assert result.dtype == np.dtype(dtype)
    assert result.dtype.isnative
    assert result.flags.writeable and result.flags.c_contiguous
    np.testing.assert_array_equal(result, array)
    assert read_idx(str(path)).shape == (3, 4, 5)


def test_layout_is_big_endian(tmp_path):
    path = tmp_path / "x-idx2-short"
    write_idx(path, np.array([[1, 258]], dtype=np.int16))
    assert path.read_bytes() == bytes.fromhex("00000b02000000010000000200010102")
    path = tmp_path / "y-idx1-double"
    write_idx(path, np.array([1.5], dtype=np.float64))
    assert path.read_bytes() == b"\x00\x00\x0e\x01" + struct.pack(">I", 1) + struct.pack(">d", 1.5)


def test_gzip_detected_from_content_not_name(tmp_path):
    array = np.arange(12, dtype=np.int32).reshape(3, 4)
    gz, plain_named_gz = tmp_path / "a.gz", tmp_path / "b.gz"
    write_idx(gz, array)
    write_idx(tmp_path / "b", array)
    (tmp_path / "b").rename(plain_named_gz)
    assert gz.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(gz.rename(tmp_path / "a")), array)
    np.testing.assert_array_equal(read_idx(plain_named_gz), array)


def test_empty_and_one_dimensional(tmp_path):
    write_idx(tmp_path / "e", np.zeros((0, 3), dtype=np.uint8))
    assert read_idx(tmp_path / "e").shape == (0, 3)
    write_idx(tmp_path / "v.gz", np.arange(5, dtype=np.float32))
    np.testing.assert_array_equal(read_idx(tmp_path / "v.gz"), np.arange(5))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "only 0 bytes"),
        (b"\x00\x00", "only 2 bytes"),
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "bad magic number 0x01000801"),
        (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "bad magic number 0x00000701"),
        (b"\x00\x00\x08\x03" + struct.pack(">2I", 1, 1), "truncated IDX header"),
    ],
)
def test_bad_header(tmp_path, content, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(message)) as excinfo:
        read_idx(path)
    assert str(path) in str(excinfo.value)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_truncated_payload(tmp_path, suffix):
    header = b"\x00\x00\x0b\x02" + struct.pack(">2I", 2, 3)  # 2x3 shorts = 12 bytes
    path = tmp_path / f"short{suffix}"
    payload = header + bytes(11)
    path.write_bytes(gzip.compress(payload) if suffix else payload)
    with pytest.raises(ValueError, match=r"truncated IDX file.*12 payload bytes.*only 11") as exc:
        read_idx(path)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_over_long_payload(tmp_path, suffix):
    header = b"\x00\x00\x08\x01" + struct.pack(">I", 3)
    path = tmp_path / f"long{suffix}"
    payload = header + bytes(5)
    path.write_bytes(gzip.compress(payload) if suffix else payload)
    with pytest.raises(ValueError, match="2 unexpected bytes after the 3-byte payload") as exc:
        read_idx(path)
    assert str(path) in str(exc.value)


@pytest.fixture
def gz_file(tmp_path):
    path = tmp_path / "data-idx1-ubyte.gz"
    rng = np.random.default_rng(0)
    write_idx(path, rng.integers(0, 256, size=20_000, dtype=np.uint8))
    return path


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="cut-in-half"),
        pytest.param(lambda b: b[:-4], id="trailer-cut"),
        pytest.param(lambda b: b[:100] + bytes(len(b) - 100), id="zeroed-tail"),
        pytest.param(lambda b: b[:-8] + bytes([b[-8] ^ 0xFF]) + b[-7:], id="bad-crc"),
    ],
)
def test_corrupt_or_truncated_gzip(gz_file, damage):
    gz_file.write_bytes(damage(gz_file.read_bytes()))
    with pytest.raises(ValueError, match="corrupt or truncated gzip data") as excinfo:
        read_idx(gz_file)
    assert str(gz_file) in str(excinfo.value)


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros(3, dtype=np.int64), "cannot write dtype int64"),
        (np.zeros(3, dtype=bool), "cannot write dtype bool"),
        (np.uint8(3), "1 to 255 dimensions"),
    ],
)
def test_write_rejects(tmp_path, array, message):
    with pytest.raises(ValueError, match=message):
        write_idx(tmp_path / "x", array)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dims", [(2**16, 2**16, 2**18), (2**15, 2**15)], ids=["1PiB", "1GiB"])
def test_declared_size_is_checked_before_allocating(tmp_path, suffix, dims):
    """A header declaring far more data than the file holds allocates nothing big."""
    header = b"\x00\x00\x08" + bytes([len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    path = tmp_path / f"huge{suffix}"
    content = header + bytes(100)
    path.write_bytes(gzip.compress(content) if suffix else content)
    declared = math.prod(dims)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=rf"{declared} payload bytes.*only 100") as excinfo:
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(excinfo.value)
    assert peak < 16 * 2**20
