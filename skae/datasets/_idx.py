# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Reader and writer for the IDX binary format used by MNIST-like data sets.

An IDX file is a big-endian header followed by a dense array::

    0x00 0x00 <type code> <ndim>   magic number (4 bytes)
    <dim 0> ... <dim ndim-1>       one unsigned 32-bit big-endian integer each
    <payload>                      prod(dims) items, big-endian, C order

Files may be gzip-compressed; compression is detected from the content (the gzip
magic bytes ``1f 8b``), not from the file name.
"""

import gzip
import io
import math
import os
import stat
import struct
import zlib
from contextlib import contextmanager

import numpy as np

__all__ = ["read_idx", "write_idx"]

# IDX type code -> big-endian numpy dtype.
_IDX_TO_DTYPE = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_DTYPE_TO_IDX = {(dt.kind, dt.itemsize): code for code, dt in _IDX_TO_DTYPE.items()}

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 22  # 4 MiB: bounds the temporary buffers used while decompressing


@contextmanager
def _open_idx(path):
    """Open an IDX file for binary reading, transparently un-gzipping it."""
    raw = open(path, "rb")
    try:
        is_gzip = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if is_gzip:
            with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                yield f
        else:
            yield raw
    finally:
        raw.close()


@contextmanager
def _gzip_errors(path):
    """Turn low-level decompression errors into a ``ValueError`` naming ``path``."""
    try:
        yield
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(
            f"{os.fspath(path)!s}: corrupt or truncated gzip data ({exc}). "
            "Delete the file and download it again."
        ) from exc


def _read_upto(f, n):
    """Read up to ``n`` bytes (fewer only at end of file)."""
    data = f.read(n)
    return data if data is not None else b""


def _read_header(f, path):
    """Read and check an IDX header.

    Returns
    -------
    magic : int
        The 32-bit magic number.
    dtype : numpy.dtype
        Big-endian item type.
    shape : tuple of int
        The dimensions.
    """
    name = os.fspath(path)
    head = _read_upto(f, 4)
    if len(head) < 4:
        raise ValueError(f"{name}: not an IDX file: only {len(head)} bytes, no 4-byte magic number")
    (magic,) = struct.unpack(">I", head)
    if head[:2] != b"\x00\x00" or head[2] not in _IDX_TO_DTYPE:
        raise ValueError(
            f"{name}: not an IDX file: bad magic number 0x{magic:08X} (expected 0x0000TTNN "
            f"with type code TT one of {', '.join(f'0x{c:02X}' for c in _IDX_TO_DTYPE)})"
        )
    ndim = head[3]
    dims_bytes = _read_upto(f, 4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise ValueError(
            f"{name}: truncated IDX header: {ndim} dimensions declared but only "
            f"{len(dims_bytes)} of {4 * ndim} dimension bytes present"
        )
    shape = struct.unpack(f">{ndim}I", dims_bytes)
    return magic, _IDX_TO_DTYPE[head[2]], tuple(int(d) for d in shape)


def _bytes_left(f):
    """Bytes left to read in ``f`` if it is a plain (uncompressed, regular) file, else ``None``.

    The size of gzip data or of a pipe is only known once read.
    """
    if isinstance(f, gzip.GzipFile):
        return None
    try:
        info = os.fstat(f.fileno())
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None
    return info.st_size - f.tell() if stat.S_ISREG(info.st_mode) else None


def _read_capped(f, n):
    """Read up to ``n`` bytes (fewer only at end of file) into a new ``bytearray``.

    The buffer grows only as data arrive, so a header that declares more data than
    the file holds cannot make the reader allocate that much memory.
    """
    data = bytearray()
    while len(data) < n:
        chunk = _read_upto(f, min(_CHUNK, n - len(data)))
        if not chunk:
            break
        data += chunk
    return data


def _check_payload_size(name, dtype, shape, nbytes, size):
    """Raise a ``ValueError`` unless the payload holds exactly the ``nbytes`` declared."""
    if size < nbytes:
        raise ValueError(
            f"{name}: truncated IDX file: the header declares shape {shape} of {dtype.name} "
            f"({nbytes} payload bytes) but only {size} payload bytes are present"
        )
    if size > nbytes:
        raise ValueError(
            f"{name}: IDX file longer than its header declares: {size - nbytes} unexpected "
            f"bytes after the {nbytes}-byte payload of shape {shape}"
        )


def _read_payload(f, path, dtype, shape):
    """Read exactly the payload declared by the header into a new writable array.

    The declared size is checked against the data available before anything is
    allocated: against the file size for a plain file, and for gzip data by
    reading into a buffer that grows only as data arrive and stops at the
    declared size. The payload is read in chunks, so no second copy of the data
    is built. An error is raised if the file is shorter or longer than the
    header declares. The result has native byte order.
    """
    name = os.fspath(path)
    nbytes = math.prod(shape) * dtype.itemsize
    left = _bytes_left(f)
    if left is not None:
        _check_payload_size(name, dtype, shape, nbytes, left)
    data = _read_capped(f, nbytes)
    extra = 0
    while True:  # also makes gzip check its CRC and length trailer
        rest = _read_upto(f, _CHUNK)
        if not rest:
            break
        extra += len(rest)
    _check_payload_size(name, dtype, shape, nbytes, len(data) + extra)
    out = np.frombuffer(data, dtype=dtype)
    if not out.dtype.isnative:
        out = out.byteswap(inplace=True).view(out.dtype.newbyteorder("="))
    return out.reshape(shape)


def read_idx(path):
    """Read an IDX file (optionally gzip-compressed) into a NumPy array.

    All IDX item types are supported: unsigned byte (``0x08``), signed byte
    (``0x09``), short (``0x0B``), int (``0x0C``), float (``0x0D``) and double
    (``0x0E``), all big-endian in the file. Gzip compression is detected from
    the file content, whatever the file name.

    Parameters
    ----------
    path : str or path-like
        The file to read.

    Returns
    -------
    array : ndarray
        A new writable array, in native byte order, with the shape given by the
        file header.

    Raises
    ------
    ValueError
        If the file is not a valid IDX file (bad magic number, truncated header),
        if its payload is shorter or longer than the header declares (found out
        before memory is allocated for the declared size), or if the gzip
        stream is corrupt or truncated. The message names the file.

    See Also
    --------
    write_idx : Write an array to an IDX file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skae.datasets import read_idx, write_idx
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "example-idx2-short.gz")
    >>> write_idx(path, np.array([[1, -2, 3], [4, 5, -6]], dtype=np.int16))
    >>> read_idx(path)
    array([[ 1, -2,  3],
           [ 4,  5, -6]], dtype=int16)
    >>> import shutil; shutil.rmtree(folder)
    """
    with _open_idx(path) as f, _gzip_errors(path):
        _, dtype, shape = _read_header(f, path)
        return _read_payload(f, path, dtype, shape)


def write_idx(path, array):
    """Write a NumPy array to an IDX file, gzip-compressed if the name ends in ``.gz``.

    Parameters
    ----------
    path : str or path-like
        Destination file. Its folder must exist. A name ending in ``.gz`` gives
        a gzip-compressed file.
    array : array-like
        Data of type ``uint8``, ``int8``, ``int16``, ``int32``, ``float32`` or
        ``float64``, with 1 to 255 dimensions, each smaller than ``2**32``.

    Raises
    ------
    ValueError
        If the array type or shape cannot be stored in an IDX file.

    See Also
    --------
    read_idx : Read an IDX file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skae.datasets import read_idx, write_idx
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "labels-idx1-ubyte")
    >>> write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
    >>> with open(path, "rb") as f:
    ...     f.read().hex()
    '0000080100000003070201'
    >>> read_idx(path)
    array([7, 2, 1], dtype=uint8)
    >>> import shutil; shutil.rmtree(folder)
    """
    array = np.asarray(array)
    code = _DTYPE_TO_IDX.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        supported = ", ".join(dt.newbyteorder("=").name for dt in _IDX_TO_DTYPE.values())
        raise ValueError(
            f"cannot write dtype {array.dtype} to an IDX file; supported types: {supported}"
        )
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX files hold 1 to 255 dimensions, got an array with {array.ndim}")
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(f"IDX dimensions must be smaller than 2**32, got shape {array.shape}")
    header = struct.pack(f">4B{array.ndim}I", 0, 0, code, array.ndim, *array.shape)
    payload = np.ascontiguousarray(array, dtype=_IDX_TO_DTYPE[code])
    if os.fspath(path).endswith(".gz"):
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            f.write(header)
            f.write(payload.view(np.uint8).reshape(-1).data)
    else:
        with open(path, "wb") as f:
            f.write(header)
            f.write(payload.view(np.uint8).reshape(-1).data)
