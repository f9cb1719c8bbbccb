# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""One row's per-feature contributions to its outlier score."""

import math
import numbers

import numpy as np
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._utils import check_matplotlib_support, check_positive_int, estimator_name, get_axes

#: Feature names are written under the bars up to this many bars.
_MAX_TICK_LABELS = 40


def _check_image_shape(shape, n_features, param="image_shape"):
    """``(channels, height, width)`` of an image of ``n_features`` values.

    ``shape`` is ``(height, width)`` or ``(channels, height, width)``; one entry may be -1
    and is inferred, as in :func:`numpy.reshape`.
    """
    given = shape
    try:
        shape = tuple(shape)
    except TypeError:
        shape = ()
    ok = len(shape) in (2, 3) and all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and (s > 0 or s == -1)
        for s in shape
    )
    if not ok or shape.count(-1) > 1:
        raise ValueError(
            f"{param} must be (height, width) or (channels, height, width) with positive "
            f"integers (one may be -1), got {given!r}."
        )
    shape = tuple(int(s) for s in shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if -1 in shape:
        known = -math.prod(shape)
        if n_features % known:
            raise ValueError(f"{param}={given!r} cannot hold rows of {n_features} features.")
        shape = tuple(n_features // known if s == -1 else s for s in shape)
    if math.prod(shape) != n_features:
        raise ValueError(
            f"{param}={given!r} holds {math.prod(shape)} values per row, but the data have "
            f"{n_features} features."
        )
    return shape


def _resolve_image_shape(estimator, image_shape, n_features):
    """The ``(channels, height, width)`` to draw, or None to draw bar charts."""
    if image_shape is not None:
        return _check_image_shape(image_shape, n_features)
    input_shape = getattr(estimator, "input_shape", None)
    if input_shape is None:
        return None
    shape = _check_image_shape(input_shape, n_features, "input_shape")
    # A 1-D signal (height or width 1, e.g. input_shape=(1, -1)) is drawn as bars.
    return shape if min(shape[1:]) > 1 else None


def _row_and_reconstruction(estimator, x):
    """The one-row ``x`` as the estimator validates it, and its reconstruction."""
    if hasattr(estimator, "_reconstruct") and hasattr(estimator, "_validate_X"):
        x = estimator._validate_X(x, reset=False)  # a skae estimator
        return np.asarray(x)[0], np.asarray(estimator._reconstruct(x))[0]
    rec = estimator.inverse_transform(estimator.transform(x))
    return np.asarray(x, dtype=float)[0], np.asarray(rec, dtype=float)[0]


def _as_image(values, shape, lo, hi):
    """``values`` as an image for ``imshow``: gray (one channel), RGB(A), or the channel mean."""
    c, h, w = shape
    img = np.asarray(values, dtype=float).reshape(c, h, w)
    if c in (3, 4):
        span = hi - lo if hi > lo else 1.0
        return np.clip((np.moveaxis(img, 0, -1) - lo) / span, 0.0, 1.0)
    return img.mean(axis=0)


class FeatureScoresDisplay:
    """One row's per-feature contributions to its outlier score, beside its reconstruction.

    The contributions are :meth:`~skae.AutoencoderOutlierDetector.feature_scores`: each
    feature's share of the reconstruction part of the row's outlier score (their sum), and
    the largest show which features make the row an outlier. For tabular rows, a bar chart
    of the contributions is drawn above the row's values and their reconstruction, feature
    by feature. For images, the contributions are a heat map beside the image and its
    reconstruction (summed over channels for multi-channel images).

    Use :meth:`from_estimator` to create a display; the constructor only stores precomputed
    values.

    Parameters
    ----------
    feature_scores : ndarray of shape (n_features,)
        Contribution of each feature to the reconstruction part of the row's score.
    original : ndarray of shape (n_features,)
        The row.
    reconstruction : ndarray of shape (n_features,)
        Its reconstruction.
    feature_names : list of str, default=None
        Names of the features (bar charts); ``"x0"``, ``"x1"``, ... if None.
    image_shape : tuple of int, default=None
        ``(height, width)`` or ``(channels, height, width)`` to draw the row as an image and
        its contributions as a heat map; bar charts if None.
    k : int, default=None
        Bar charts show only the ``k`` largest contributions, largest first; heat maps mark
        the ``k`` largest pixels. None shows every feature in its order, unmarked.
    row : int, default=None
        Position of the row in the data, for the title.
    name : str, default=None
        Name of the model, for the title.

    Attributes
    ----------
    bars_ : matplotlib.container.BarContainer or None
        The contribution bars (tabular rows), else None.
    lines_ : list of matplotlib.lines.Line2D
        The row and its reconstruction (tabular rows), else empty.
    image_ : matplotlib.image.AxesImage or None
        The contribution heat map (images), else None.
    images_ : list of matplotlib.image.AxesImage
        The image and its reconstruction (images), else empty.
    shown_ : ndarray of int
        Indices of the features drawn (bar charts) or marked (heat maps), in order.
    ax_ : matplotlib.axes.Axes
        Axes with the contributions.
    axes_ : ndarray of matplotlib.axes.Axes
        All the axes drawn: the contributions and the row (tabular), or the image, its
        reconstruction and the contributions (images).
    figure_ : matplotlib.figure.Figure
        Figure containing the plot.

    See Also
    --------
    skae.AutoencoderOutlierDetector.top_features : The largest contributions as a table.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from skae import AutoencoderOutlierDetector
    >>> from skae.plotting import FeatureScoresDisplay
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
    >>> det = AutoencoderOutlierDetector(n_components=2, max_epochs=5,
    ...                                  random_state=0).fit(X)
    >>> display = FeatureScoresDisplay.from_estimator(det, X, row=3, k=3)
    >>> len(display.bars_), len(display.axes_)
    (3, 2)
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        feature_scores,
        original,
        reconstruction,
        feature_names=None,
        image_shape=None,
        k=None,
        row=None,
        name=None,
    ):
        self.feature_scores = feature_scores
        self.original = original
        self.reconstruction = reconstruction
        self.feature_names = feature_names
        self.image_shape = image_shape
        self.k = k
        self.row = row
        self.name = name

    def _title(self, name, scores):
        name = self.name if name is None else name
        parts = [] if name is None else [str(name)]
        if self.row is not None:
            parts.append(f"row {self.row}")
        parts.append(f"reconstruction part {scores.sum():.3g}")
        return ", ".join(parts)

    @staticmethod
    def _axes(ax, n, tabular):
        """``n`` axes: new ones, the given sequence, or the given Axes' area split in ``n``."""
        if ax is None:
            import matplotlib.pyplot as plt

            if tabular:
                fig, axes = plt.subplots(
                    2, 1, sharex=True, figsize=(6.4, 5.2), layout="constrained"
                )
            else:
                fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.2), layout="constrained")
            return np.asarray(axes, dtype=object).ravel(), fig
        if isinstance(ax, (list, tuple, np.ndarray)):
            axes = np.asarray(ax, dtype=object).ravel()
            if len(axes) != n:
                raise ValueError(f"ax must be one Axes or a sequence of {n} Axes, got {len(axes)}.")
            return axes, axes[0].figure
        ax, fig = get_axes(ax)
        rows, cols = (2, 1) if tabular else (1, n)
        spec = ax.get_subplotspec()
        if spec is not None:
            grid = spec.subgridspec(rows, cols)
            axes = [fig.add_subplot(grid[i]) for i in range(n)]
        else:
            bounds = (
                [[0.0, 0.55, 1.0, 0.45], [0.0, 0.0, 1.0, 0.45]]
                if tabular
                else [[i / n, 0.0, 0.9 / n, 1.0] for i in range(n)]
            )
            axes = [ax.inset_axes(b) for b in bounds]
        ax.set_axis_off()
        return np.asarray(axes, dtype=object), fig

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the contributions, the row and its reconstruction.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or sequence of Axes, default=None
            Where to draw: None creates a new figure; one Axes has its area split into two
            panels (tabular rows) or three (images); a sequence gives the panels, in the order
            of ``axes_``.
        name : str, default=None
            Name of the model in the title; the display's ``name`` if None.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.bar` (tabular rows) or
            :meth:`matplotlib.axes.Axes.imshow` (the heat map), e.g. ``color`` or ``cmap``.

        Returns
        -------
        display : FeatureScoresDisplay
            The display, with ``ax_``, ``axes_``, ``figure_`` and the artists set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        scores = np.asarray(self.feature_scores, dtype=float).ravel()
        original = np.asarray(self.original, dtype=float).ravel()
        reconstruction = np.asarray(self.reconstruction, dtype=float).ravel()
        n_features = scores.shape[0]
        if original.shape != (n_features,) or reconstruction.shape != (n_features,):
            raise ValueError(
                f"original and reconstruction must have {n_features} values like "
                f"feature_scores, got {original.shape[0]} and {reconstruction.shape[0]}."
            )
        k = None if self.k is None else check_positive_int(self.k, "k")
        if k is not None and k > n_features:
            raise ValueError(f"k must be at most n_features={n_features}, got {k}.")
        ranked = np.argsort(-scores, kind="stable")
        shape = self.image_shape
        tabular = shape is None
        if not tabular:
            shape = _check_image_shape(shape, n_features)
        axes, fig = self._axes(ax, 2 if tabular else 3, tabular)

        self.bars_, self.lines_, self.image_, self.images_ = None, [], None, []
        if tabular:
            shown = np.arange(n_features) if k is None else ranked[:k]
            names = (
                [f"x{i}" for i in range(n_features)]
                if self.feature_names is None
                else [str(f) for f in self.feature_names]
            )
            pos = np.arange(len(shown))
            bar_ax, row_ax = axes
            self.bars_ = bar_ax.bar(pos, scores[shown], **{"color": "C3", **kwargs})
            bar_ax.set_ylabel("contribution")
            (line,) = row_ax.plot(pos, original[shown], "o", label="row")
            (rec_line,) = row_ax.plot(pos, reconstruction[shown], "x", label="reconstruction")
            self.lines_ = [line, rec_line]
            row_ax.vlines(pos, original[shown], reconstruction[shown], color="0.6", zorder=0)
            row_ax.set_ylabel("value")
            row_ax.legend(loc="best")
            if len(shown) <= _MAX_TICK_LABELS:
                row_ax.set_xticks(pos, labels=[names[i] for i in shown])
                if len(shown) > 8:
                    row_ax.tick_params(axis="x", labelrotation=90)
            bar_ax.set_title(self._title(name, scores))
            self.ax_ = bar_ax
        else:
            c, h, w = shape
            lo, hi = float(original.min()), float(original.max())
            shown = np.array([], dtype=int) if k is None else ranked[:k]
            gray = {"cmap": "gray", "vmin": lo, "vmax": hi, "interpolation": "nearest"}
            for a, values, label in zip(
                axes[:2], (original, reconstruction), ("row", "reconstruction"), strict=True
            ):
                img = _as_image(values, shape, lo, hi)
                self.images_.append(a.imshow(img, **(gray if img.ndim == 2 else {})))
                a.set_title(label)
            heat_ax = axes[2]
            heat = scores.reshape(c, h, w).sum(axis=0)
            self.image_ = heat_ax.imshow(
                heat, **{"cmap": "inferno", "interpolation": "nearest", **kwargs}
            )
            fig.colorbar(self.image_, ax=heat_ax, shrink=0.8)
            if len(shown):
                pixels = np.unique(shown % (h * w))
                heat_ax.plot(
                    pixels % w, pixels // w, "s", markerfacecolor="none", color="C0", markersize=6
                )
            heat_ax.set_title("contribution")
            for a in axes:
                a.set_xticks([])
                a.set_yticks([])
            fig.suptitle(self._title(name, scores))
            self.ax_ = heat_ax
        self.shown_ = shown
        self.axes_ = np.asarray(axes, dtype=object)
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(
        cls, estimator, X, *, row=0, k=None, image_shape=None, ax=None, name=None, **kwargs
    ):
        """Draw the per-feature contributions of one row of X to its outlier score.

        Parameters
        ----------
        estimator : estimator instance
            A fitted model with ``feature_scores``, e.g.
            :class:`~skae.AutoencoderOutlierDetector`.
        X : array-like of shape (n_samples, n_features)
            Data.
        row : int, default=0
            Position of the row to draw (negative counts from the end).
        k : int, default=None
            Bar charts show only the ``k`` largest contributions; heat maps mark them. None
            shows every feature.
        image_shape : tuple of int, default=None
            ``(height, width)`` or ``(channels, height, width)`` to draw the row as an image;
            the estimator's ``input_shape`` if None (bar charts if it has none, or if it is a
            1-D signal).
        ax : matplotlib.axes.Axes or sequence of Axes, default=None
            Where to draw; see :meth:`plot`.
        name : str, default=None
            Name of the model in the title; the estimator class name if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : FeatureScoresDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if not hasattr(estimator, "feature_scores"):
            raise ValueError(
                f"{estimator_name(estimator)} has no feature_scores method; pass a fitted "
                "skae AutoencoderOutlierDetector."
            )
        n_samples = _num_samples(X)
        if (
            not isinstance(row, numbers.Integral)
            or isinstance(row, bool)
            or not -n_samples <= row < n_samples
        ):
            raise ValueError(
                f"row must be an integer in [{-n_samples}, {n_samples}) for X with "
                f"{n_samples} rows, got {row!r}."
            )
        row = int(row) % n_samples
        x = _safe_indexing(X, [row])
        scores = np.asarray(estimator.feature_scores(x))[0]
        original, reconstruction = _row_and_reconstruction(estimator, x)
        n_features = scores.shape[0]
        names = getattr(estimator, "feature_names_in_", None)
        display = cls(
            feature_scores=scores,
            original=original,
            reconstruction=reconstruction,
            feature_names=None if names is None else list(names),
            image_shape=_resolve_image_shape(estimator, image_shape, n_features),
            k=k,
            row=row,
            name=estimator_name(estimator) if name is None else name,
        )
        return display.plot(ax=ax, **kwargs)
