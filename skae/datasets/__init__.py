# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Data set loaders: MNIST and Fashion-MNIST, read from the standard IDX files.

This subpackage depends only on NumPy, scikit-learn and the standard library
(pandas only for ``as_frame=True``).
"""

from ._base import DatasetNotFoundError, clear_data_home, get_data_home
from ._idx import read_idx, write_idx
from ._mnist import load_fashion_mnist, load_mnist

__all__ = [
    "DatasetNotFoundError",
    "clear_data_home",
    "get_data_home",
    "load_fashion_mnist",
    "load_mnist",
    "read_idx",
    "write_idx",
]
