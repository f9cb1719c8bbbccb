# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Safe reading of the zip archive of a skae model file, and the entries it is written with.

A model file holds exactly two members, ``config.json`` and
``model.safetensors``. :class:`_Archive` reads them by exact name into
memory, never extracting anything, and does not trust the sizes declared in
the zip directory: ``config.json`` is refused as soon as more bytes than its
limit have been inflated (:func:`_read_capped`), and the weights must be
stored uncompressed, lie within the file and match the size of the network
they are loaded into. Every zip-level problem becomes a
:class:`~skae.exceptions.ModelFileError`.
"""

from __future__ import annotations

import os
import zipfile

from .exceptions import ModelFileError

_CONFIG = "config.json"
_WEIGHTS = "model.safetensors"
_READ_CHUNK = 2**20  # bytes inflated at a time while reading config.json


def _read_capped(f, limit, what):
    """Read ``f`` to its end in chunks, refusing it as soon as it holds more than ``limit`` bytes.

    Returns a ``bytearray``; ``what`` names the data in the error message.
    """
    data = bytearray()
    while chunk := f.read(_READ_CHUNK):
        data += chunk
        if len(data) > limit:
            raise ModelFileError(f"{what} holds more than {limit} bytes.")
    return data


def _zipinfo(name, compress):
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


class _Archive:
    """Read-only access to the two members of a model file.

    Every zip-level problem (not a zip, truncated, corrupt data, members
    missing or extra, oversized members) becomes a :class:`ModelFileError`.
    Members are only ever read into memory by exact name, never extracted.
    """

    def __init__(self, path):
        self.path = path
        self._file = open(path, "rb")  # closed in close()
        try:
            self._size = os.fstat(self._file.fileno()).st_size
            self._zip = self._guard(lambda: zipfile.ZipFile(self._file))
            names = [i.filename for i in self._zip.infolist()]
            if sorted(names) != sorted([_CONFIG, _WEIGHTS]):
                raise ModelFileError(
                    f"{path} is not a skae model file: expected exactly the members "
                    f"{[_CONFIG, _WEIGHTS]}, found {names[:10]!r:.200}."
                )
        except BaseException:
            self._file.close()
            raise

    def _guard(self, fn):
        try:
            return fn()
        except ModelFileError:
            raise
        except zipfile.BadZipFile as exc:
            raise ModelFileError(
                f"{self.path} is not a valid skae model file (not a complete zip archive): {exc}"
            ) from None
        except Exception as exc:  # EOFError, zlib.error, NotImplementedError, ...
            raise ModelFileError(
                f"{self.path} is corrupt or unsupported: {type(exc).__name__}: {exc}"
            ) from None

    def read(self, name, limit):
        """Member ``name``, refused as soon as more than ``limit`` bytes are inflated.

        The size the zip directory declares is checked first, but not trusted:
        the member is inflated in chunks, counted as they come.
        """
        size = self._zip.getinfo(name).file_size
        if size > limit:
            raise ModelFileError(
                f"{self.path}: member {name} declares {size} bytes, more than the "
                f"{limit} it can hold."
            )

        def read():
            with self._zip.open(name) as member:
                return _read_capped(member, limit, f"{self.path}: member {name}")

        return self._guard(read)

    def read_weights(self, expected):
        """The weights member, which must be stored uncompressed and fit ``expected``.

        Stored (not deflated) data occupy their full size on disk, so a small
        file cannot make :func:`skae.load` allocate a large network or buffer.
        """
        info = self._zip.getinfo(_WEIGHTS)
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            raise ModelFileError(f"{self.path}: {_WEIGHTS} must be stored uncompressed.")
        if info.header_offset + info.compress_size > self._size:
            raise ModelFileError(
                f"{self.path}: {_WEIGHTS} declares {info.compress_size} bytes, past the end "
                f"of the file ({self._size} bytes): the file is truncated or tampered with."
            )
        if expected is None:  # pragma: no cover - _build_net passed a module class
            return self._guard(lambda: self._zip.read(_WEIGHTS))
        # A safetensors file: an 8-byte header length, a JSON header, the raw data.
        data = sum(t.numel() * t.element_size() for t in expected.values())
        if not data <= info.file_size <= data + 8 + 4096 + 512 * len(expected):
            raise ModelFileError(
                f"{self.path}: {_WEIGHTS} holds {info.file_size} bytes, but the network the "
                f"parameters describe needs {data} bytes of weights."
            )
        return self._guard(lambda: self._zip.read(_WEIGHTS))

    def close(self):
        self._zip.close()
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
