# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Original images next to their reconstructions."""

import math

import numpy as np
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_is_fitted

from ._utils import (
    as_2d_array,
    check_matplotlib_support,
    check_positive_int,
    estimator_name,
    get_axes,
    infer_image_shape,
    tile_images,
)

LAYOUTS = ("rows", "grid", "pairs")

#: Size in inches of one image of the mosaic in a figure created by ``plot``.
_INCHES_PER_IMAGE = 0.7


def _normalize_estimators(estimators):
    if isinstance(estimators, dict):
        items = list(estimators.items())
    else:
        items = [tuple(item) for item in estimators]
    if not items:
        raise ValueError("estimators must contain at least one estimator.")
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"Estimator names must be unique, got {names!r}.")
    return items


class ReconstructionDisplay:
    """Images next to their reconstructions by one or several models.

    All the images are drawn into a single mosaic on one axes, in gray levels, without ticks,
    and with the rows (or columns) labelled ``"original"`` and by model name. Three layouts
    are available:

    - ``"rows"``: the classic picture, one row of originals above one row of reconstructions
      per model, one column per image;
    - ``"grid"``: the ``"rows"`` picture wrapped into bands of ``n_cols`` images, for many
      images (e.g. 100 digits as 10 bands of 10);
    - ``"pairs"``: each original immediately followed, to its right, by its reconstruction(s),
      the pairs arranged in a grid of ``n_cols`` pairs per row; the columns are labelled on
      top.

    All the images share one gray scale, from the minimum to the maximum of the originals
    (reconstructions beyond it are clipped), so that the reconstructions can be compared with
    the originals. Pass ``vmin`` / ``vmax`` to :meth:`plot` to change it.

    Parameters
    ----------
    originals : ndarray of shape (n_images, n_features)
        The original images, flattened.
    reconstructions : dict of str to ndarray of shape (n_images, n_features)
        Reconstructions of ``originals`` by each model, keyed by the model name.
    image_shape : tuple of (int, int)
        Height and width of an image; ``height * width == n_features``.

    Attributes
    ----------
    image_ : matplotlib.image.AxesImage
        The mosaic.
    mosaic_ : ndarray of shape (height, width)
        The pixels of the mosaic; blank pixels are NaN.
    ax_ : matplotlib.axes.Axes
        Axes with the plot.
    figure_ : matplotlib.figure.Figure
        Figure containing the plot.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skae.plotting import ReconstructionDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> pca = PCA(n_components=8).fit(X)
    >>> display = ReconstructionDisplay.from_estimator(pca, X, n_images=8)
    >>> [label.get_text() for label in display.ax_.get_yticklabels()]
    ['original', 'PCA']
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(self, *, originals, reconstructions, image_shape):
        self.originals = originals
        self.reconstructions = reconstructions
        self.image_shape = image_shape

    def _cells(self, layout, n_cols):
        """Return ``(cells, row_gaps, col_gaps, row_labels, col_labels)`` for ``layout``."""
        h, w = self.image_shape
        originals = np.asarray(self.originals, dtype=float)
        stack = [originals] + [
            np.asarray(rec, dtype=float) for rec in self.reconstructions.values()
        ]
        labels = ["original", *self.reconstructions]
        n_images, n_rows_per_image = originals.shape[0], len(stack)
        images = [[s[i].reshape(h, w) for i in range(n_images)] for s in stack]
        band_gap = max(2, h // 3)

        if layout == "rows":
            cells = images
            return cells, None, None, labels, None
        n_cols = (
            math.ceil(math.sqrt(n_images))
            if n_cols is None
            else check_positive_int(n_cols, "n_cols")
        )
        n_bands = math.ceil(n_images / n_cols)
        if layout == "grid":
            cells, row_labels, row_gaps = [], [], []
            for band in range(n_bands):
                for r in range(n_rows_per_image):
                    cells.append(
                        [
                            images[r][band * n_cols + c] if band * n_cols + c < n_images else None
                            for c in range(n_cols)
                        ]
                    )
                    row_labels.append(labels[r])
                    row_gaps.append(1 if r < n_rows_per_image - 1 else band_gap)
            return cells, row_gaps[:-1], None, row_labels, None
        # pairs
        cells, col_labels, col_gaps = [], [], []
        for band in range(n_bands):
            row = []
            for c in range(n_cols):
                i = band * n_cols + c
                row.extend(images[r][i] if i < n_images else None for r in range(n_rows_per_image))
            cells.append(row)
        for _ in range(n_cols):
            col_labels.extend(labels)
            col_gaps.extend([1] * (n_rows_per_image - 1) + [band_gap])
        return cells, None, col_gaps[:-1], None, col_labels

    def plot(self, ax=None, *, layout="rows", n_cols=None, **kwargs):
        """Draw the images.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure sized for the mosaic is created if None.
        layout : {"rows", "grid", "pairs"}, default="rows"
            Arrangement of the images; see the class description.
        n_cols : int, default=None
            Images (``"grid"``) or pairs (``"pairs"``) per row; ``ceil(sqrt(n_images))`` if
            None. Ignored by ``"rows"``.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`, e.g. ``cmap``, ``vmin``,
            ``vmax``.

        Returns
        -------
        display : ReconstructionDisplay
            The display, with ``ax_``, ``figure_``, ``image_`` and ``mosaic_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}.")
        cells, row_gaps, col_gaps, row_labels, col_labels = self._cells(layout, n_cols)
        mosaic, row_centers, col_centers = tile_images(cells, row_gaps, col_gaps)

        figsize = None
        if ax is None:
            n_r, n_c = len(cells), len(cells[0])
            figsize = (
                min(16.0, 1.2 + _INCHES_PER_IMAGE * n_c),
                min(16.0, 0.4 + _INCHES_PER_IMAGE * n_r),
            )
        ax, fig = get_axes(ax, figsize=figsize)
        originals = np.asarray(self.originals, dtype=float)
        imshow_kwargs = {
            "cmap": "gray",
            "interpolation": "nearest",
            "vmin": np.nanmin(originals),
            "vmax": np.nanmax(originals),
            **kwargs,
        }
        self.image_ = ax.imshow(mosaic, **imshow_kwargs)
        self.mosaic_ = mosaic
        ax.set_xticks([] if col_labels is None else col_centers, labels=col_labels)
        ax.set_yticks([] if row_labels is None else row_centers, labels=row_labels)
        if col_labels is not None:
            ax.xaxis.tick_top()
            ax.tick_params(axis="x", labelrotation=90 if len(cells[0]) > 8 else 0)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimators(
        cls,
        estimators,
        X,
        *,
        n_images=10,
        image_shape=None,
        layout="rows",
        n_cols=None,
        ax=None,
        **kwargs,
    ):
        """Compare the reconstructions of several fitted models.

        Parameters
        ----------
        estimators : dict of str to estimator, or list of (str, estimator) tuples
            Fitted transformers with ``transform`` and ``inverse_transform``, e.g.
            ``{"AE": autoencoder, "PCA": pca}``; the names label the rows.
        X : array-like of shape (n_samples, n_features)
            Images, flattened; the first ``n_images`` rows are drawn.
        n_images : int, default=10
            Number of images to draw (all of ``X`` if it has fewer rows).
        image_shape : tuple of (int, int), default=None
            Height and width of an image. If None, the images must be square and the side is
            ``sqrt(n_features)``; otherwise a ``ValueError`` asks for ``image_shape``.
        layout : {"rows", "grid", "pairs"}, default="rows"
            Arrangement of the images; see the class description.
        n_cols : int, default=None
            Images or pairs per row for the ``"grid"`` and ``"pairs"`` layouts.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : ReconstructionDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimators")
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}.")
        items = _normalize_estimators(estimators)
        for _, est in items:
            check_is_fitted(est)
        n_images = check_positive_int(n_images, "n_images")
        X_all = as_2d_array(X, name="X")
        n_images = min(n_images, X_all.shape[0])
        image_shape = infer_image_shape(X_all.shape[1], image_shape)
        X_sub = _safe_indexing(X, np.arange(n_images))
        reconstructions = {}
        for name, est in items:
            rec = as_2d_array(
                est.inverse_transform(est.transform(X_sub)), name=f"{name} reconstruction"
            )
            if rec.shape != (n_images, X_all.shape[1]):
                raise ValueError(
                    f"The reconstruction by {name!r} has shape {rec.shape}, expected "
                    f"{(n_images, X_all.shape[1])}."
                )
            reconstructions[str(name)] = rec
        display = cls(
            originals=X_all[:n_images], reconstructions=reconstructions, image_shape=image_shape
        )
        return display.plot(ax=ax, layout=layout, n_cols=n_cols, **kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        n_images=10,
        image_shape=None,
        layout="rows",
        n_cols=None,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Draw images and their reconstructions by one fitted model.

        Parameters
        ----------
        estimator : estimator instance
            A fitted transformer with ``transform`` and ``inverse_transform``.
        X : array-like of shape (n_samples, n_features)
            Images, flattened; the first ``n_images`` rows are drawn.
        n_images : int, default=10
            Number of images to draw (all of ``X`` if it has fewer rows).
        image_shape : tuple of (int, int), default=None
            Height and width of an image. If None, the images must be square.
        layout : {"rows", "grid", "pairs"}, default="rows"
            Arrangement of the images; see the class description.
        n_cols : int, default=None
            Images or pairs per row for the ``"grid"`` and ``"pairs"`` layouts.
        name : str, default=None
            Label of the reconstructions; the estimator class name if None.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : ReconstructionDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        name = estimator_name(estimator) if name is None else name
        return cls.from_estimators(
            {name: estimator},
            X,
            n_images=n_images,
            image_shape=image_shape,
            layout=layout,
            n_cols=n_cols,
            ax=ax,
            **kwargs,
        )
