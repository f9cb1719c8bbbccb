# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Location of the folder where data sets are looked for and downloaded to, and the
error raised when a data set file is in none of the places it is looked for."""

import os
import shutil

__all__ = ["DatasetNotFoundError", "clear_data_home", "get_data_home"]

#: Environment variable naming the data folder when ``data_home`` is not given.
DATA_HOME_ENV = "SKAE_DATA"


class DatasetNotFoundError(FileNotFoundError):
    """A data set file is missing and could not be downloaded.

    Raised by the loaders of :mod:`skae.datasets` (:func:`load_mnist`,
    :func:`load_fashion_mnist`). It is a :class:`FileNotFoundError`, whose message
    names the file, every path it was looked for at, the URLs tried and how to
    provide the files; the attributes hold the same facts for programs, so that
    they never need to parse the message.

    Parameters
    ----------
    message : str
        The full, human-readable message.
    dataset : str
        The data set, e.g. ``"mnist"`` or ``"fashion-mnist"``.
    file_name : str
        The name of the missing file, e.g. ``"train-images-idx3-ubyte.gz"``.
    data_home : str
        The data folder the file was looked for in (and its subfolder ``dataset``).
    searched : sequence of str, default=()
        The paths the file was looked for at, in order.
    download_errors : sequence of str or None, default=None
        One ``"<url>: <reason>"`` line per failed download attempt (a line saying
        why none was tried if the download folder could not be created), or None
        when downloading was disabled (``download=False``).

    Attributes
    ----------
    dataset, file_name, data_home : str
        As given.
    searched : tuple of str
        As given.
    download_errors : tuple of str or None
        As given.

    Examples
    --------
    >>> import tempfile
    >>> from skae.datasets import DatasetNotFoundError, load_mnist
    >>> try:
    ...     load_mnist(data_home=tempfile.mkdtemp(), download=False)
    ... except DatasetNotFoundError as exc:
    ...     print(exc.file_name, exc.download_errors)
    train-images-idx3-ubyte.gz None
    """

    def __init__(
        self, message, *, dataset, file_name, data_home, searched=(), download_errors=None
    ):
        super().__init__(message)
        self.dataset = dataset
        self.file_name = file_name
        self.data_home = data_home
        self.searched = tuple(searched)
        self.download_errors = None if download_errors is None else tuple(download_errors)

    def __reduce__(self):
        kwargs = {
            "dataset": self.dataset,
            "file_name": self.file_name,
            "data_home": self.data_home,
            "searched": self.searched,
            "download_errors": self.download_errors,
        }
        return (_rebuild_not_found, (str(self), kwargs))


def _rebuild_not_found(message, kwargs):
    """Unpickle a :class:`DatasetNotFoundError` (whose keyword arguments pickle drops)."""
    return DatasetNotFoundError(message, **kwargs)


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
