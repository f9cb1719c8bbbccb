# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Location of the folder where data sets are looked for and downloaded to."""

import os
import shutil

__all__ = ["clear_data_home", "get_data_home"]

#: Environment variable naming the data folder when ``data_home`` is not given.
DATA_HOME_ENV = "SKAE_DATA"


def get_data_home(data_home=None):
    """Return the path of the skae data folder, creating it if needed.

    Data sets are looked for, and downloaded to, this folder. It is, in order
    of precedence: the ``data_home`` argument, the ``SKAE_DATA`` environment
    variable, or ``~/skae_data``. A leading ``~`` is expanded. The folder (and
    its parents) is created if it does not exist, as
    :func:`sklearn.datasets.get_data_home` does; an existing folder is left
    untouched, so a read-only folder is fine.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. ``None`` means ``SKAE_DATA``, or ``~/skae_data``
        when that variable is unset or empty.

    Returns
    -------
    data_home : str
        The path of the data folder.

    See Also
    --------
    clear_data_home : Delete the data folder.

    Examples
    --------
    >>> import os, tempfile
    >>> from skae.datasets import get_data_home
    >>> home = get_data_home(os.path.join(tempfile.mkdtemp(), "skae_data"))
    >>> os.path.isdir(home)
    True
    >>> os.environ["SKAE_DATA"] = home
    >>> get_data_home() == home
    True
    >>> del os.environ["SKAE_DATA"]
    >>> import shutil; shutil.rmtree(os.path.dirname(home))
    """
    data_home = _resolve_data_home(data_home)
    os.makedirs(data_home, exist_ok=True)
    return data_home


def _resolve_data_home(data_home=None):
    """The path :func:`get_data_home` returns, without creating the folder."""
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or os.path.join("~", "skae_data")
    return os.path.expanduser(os.fspath(data_home))


def clear_data_home(data_home=None):
    """Delete the skae data folder and everything in it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to delete; ``None`` means the folder given by
        :func:`get_data_home` (``SKAE_DATA`` or ``~/skae_data``).

    See Also
    --------
    get_data_home : Return the data folder.

    Examples
    --------
    >>> import os, tempfile
    >>> from skae.datasets import clear_data_home, get_data_home
    >>> home = get_data_home(tempfile.mkdtemp())
    >>> clear_data_home(home)
    >>> os.path.exists(home)
    False
    """
    data_home = get_data_home(data_home)
    shutil.rmtree(data_home)
