# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Private helpers shared by the Display classes.

Nothing here imports matplotlib at module level: ``import skae.plotting`` must work without it.
"""

import math
import numbers
import warnings

import numpy as np

PLOT_INSTALL_HINT = 'pip install "skae[plot]"'

#: Default of the deprecated ``estimator_name`` parameter of the Displays: tells "not passed"
#: apart from an explicit None.
DEPRECATED = "deprecated"

_ESTIMATOR_NAME_MSG = (
    "`estimator_name` is deprecated in skae 0.2 and will be removed in 0.4. Use `name` instead."
)


def deprecate_estimator_name(estimator_name, name):
    """Resolve the deprecated ``estimator_name`` parameter of a Display into ``name``.

    Parameters
    ----------
    estimator_name : str or None
        Value of the deprecated parameter; :data:`DEPRECATED` when it was not passed.
    name : str or None
        Value of the ``name`` parameter.

    Returns
    -------
    name : str or None
        ``estimator_name`` if it was passed (with a ``FutureWarning``), ``name`` otherwise.
    """
    if isinstance(estimator_name, str) and estimator_name == DEPRECATED:
        return name
    if name is not None:
        raise ValueError(
            "Cannot pass both `estimator_name` and `name`. `estimator_name` is deprecated in "
            "skae 0.2 and will be removed in 0.4. Use `name` only."
        )
    warnings.warn(_ESTIMATOR_NAME_MSG, FutureWarning, stacklevel=3)
    return estimator_name


class NamedDisplayMixin:
    """Deprecated ``estimator_name`` attribute of the Displays storing a title as ``name``."""

    @property
    def estimator_name(self):
        """Title of the plot (deprecated alias of ``name``).

        .. deprecated:: 0.2
            ``estimator_name`` is deprecated in skae 0.2 and will be removed in 0.4. Use
            ``name`` instead.
        """
        warnings.warn(_ESTIMATOR_NAME_MSG, FutureWarning, stacklevel=2)
        return self.name

    @estimator_name.setter
    def estimator_name(self, value):
        warnings.warn(_ESTIMATOR_NAME_MSG, FutureWarning, stacklevel=2)
        self.name = value


def check_matplotlib_support(caller_name):
    """Raise an informative ``ImportError`` if matplotlib cannot be imported.

    Parameters
    ----------
    caller_name : str
        Name of the function or method that needs matplotlib, used in the message.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller_name} requires matplotlib, which is not installed. "
            f"Install it with `{PLOT_INSTALL_HINT}` (or `pip install matplotlib`)."
        ) from exc


def get_axes(ax, figsize=None):
    """Return ``(ax, figure)``, creating a new (constrained layout) figure when ``ax`` is None."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax, ax.figure


def estimator_name(estimator):
    """Short display name of an estimator: its class name."""
    return type(estimator).__name__


def as_2d_array(X, name="X"):
    """Convert an estimator output to a float 2-D numpy array."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got an array of shape {X.shape}.")
    return X


def check_positive_int(value, name):
    """Validate a positive integer parameter and return it as an ``int``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def infer_image_shape(n_features, image_shape=None):
    """Return the ``(height, width)`` of images with ``n_features`` pixels.

    Parameters
    ----------
    n_features : int
        Number of pixels per image.
    image_shape : tuple of int, default=None
        The shape to validate. If None, the images are assumed square and the side is
        ``sqrt(n_features)``.

    Returns
    -------
    image_shape : tuple of (int, int)
    """
    if image_shape is None:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"Cannot infer a square image shape from {n_features} features (not a perfect "
                "square). Pass image_shape=(height, width)."
            )
        return (side, side)
    shape = tuple(image_shape)
    if len(shape) != 2 or any(
        not isinstance(s, numbers.Integral) or isinstance(s, bool) or s < 1 for s in shape
    ):
        raise ValueError(
            f"image_shape must be a pair of positive integers (height, width), got {image_shape!r}."
        )
    if shape[0] * shape[1] != n_features:
        raise ValueError(
            f"image_shape={shape} has {shape[0] * shape[1]} pixels, but the data have "
            f"{n_features} features."
        )
    return (int(shape[0]), int(shape[1]))


def tile_images(cells, row_gaps=None, col_gaps=None):
    """Assemble a 2-D grid of equally shaped images into one mosaic.

    Parameters
    ----------
    cells : list of list of ndarray of shape (h, w) or None
        ``cells[r][c]`` is the image in row ``r`` and column ``c``; None leaves a blank cell.
        All rows must have the same length.
    row_gaps : sequence of int, default=None
        Blank pixels between consecutive rows (``len(cells) - 1`` values); 1 by default.
    col_gaps : sequence of int, default=None
        Blank pixels between consecutive columns; 1 by default.

    Returns
    -------
    mosaic : ndarray of shape (H, W)
        The mosaic; blank pixels are NaN, which ``imshow`` leaves transparent.
    row_centers : ndarray of shape (n_rows,)
        Vertical pixel coordinate of the centre of each row.
    col_centers : ndarray of shape (n_cols,)
        Horizontal pixel coordinate of the centre of each column.
    """
    n_rows, n_cols = len(cells), len(cells[0])
    first = next(img for row in cells for img in row if img is not None)
    h, w = np.shape(first)
    row_gaps = [1] * (n_rows - 1) if row_gaps is None else list(row_gaps)
    col_gaps = [1] * (n_cols - 1) if col_gaps is None else list(col_gaps)
    row_starts = np.concatenate([[0], np.cumsum([h + g for g in row_gaps])]).astype(int)
    col_starts = np.concatenate([[0], np.cumsum([w + g for g in col_gaps])]).astype(int)
    mosaic = np.full((row_starts[-1] + h, col_starts[-1] + w), np.nan)
    for r, row in enumerate(cells):
        for c, img in enumerate(row):
            if img is not None:
                mosaic[row_starts[r] : row_starts[r] + h, col_starts[c] : col_starts[c] + w] = img
    return mosaic, row_starts + (h - 1) / 2, col_starts + (w - 1) / 2


def grid_cells(images, n_cols):
    """Arrange ``images`` of shape (n, h, w) row by row in ``n_cols`` columns."""
    n = len(images)
    n_rows = math.ceil(n / n_cols)
    return [
        [images[r * n_cols + c] if r * n_cols + c < n else None for c in range(n_cols)]
        for r in range(n_rows)
    ]


def hide_frame(ax):
    """Remove ticks, tick labels and spines of ``ax``."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
