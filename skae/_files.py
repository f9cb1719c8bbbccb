# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Writing files safely: atomically, or not at all."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path, write):
    """Call ``write(fileobj)`` on a temporary file next to ``path``, then rename it over ``path``.

    The temporary file is created with ``os.open(..., 0o666)`` so the final file
    gets the usual permissions (umask applied). On any error it is removed,
    so ``path`` is either the old file (or absent) or the complete new one.
    """
    path = Path(path)
    directory = path.parent
    tmp = directory / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename durable (POSIX)
        try:
            dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:  # pragma: no cover
            return
        try:
            os.fsync(dfd)
        except OSError:  # pragma: no cover
            pass
        finally:
            os.close(dfd)
