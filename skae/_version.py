# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The version of skae (one place; the package and the file formats read it)."""

__version__ = "0.1.0"
