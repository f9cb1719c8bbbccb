# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Images decoded from a grid over a 2-D latent space, and generated samples."""

import math
import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._utils import (
    DEPRECATED,
    NamedDisplayMixin,
    as_2d_array,
    check_matplotlib_support,
    check_positive_int,
    deprecate_estimator_name,
    estimator_name,
    get_axes,
    grid_cells,
    infer_image_shape,
    tile_images,
)

#: Range of a latent axis when neither ``latent_range`` nor ``X`` is given: the central
#: 95 % of a standard normal prior, which suits a variational autoencoder.
DEFAULT_LATENT_RANGE = (-2.0, 2.0)


def _latent_dim(estimator):
    """Number of latent dimensions declared by a fitted estimator, or None if unknown."""
    for attr in ("n_components_", "n_components"):
        value = getattr(estimator, attr, None)
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
    return None


def _check_range(value, name):
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair of numbers (low, high), got {value!r}.") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"{name} must satisfy low < high (both finite), got {value!r}.")
    return low, high


def _latent_ranges(latent_range, Z, quantile_range):
    """Return ``[(low0, high0), (low1, high1)]``, the extent of the traversal."""
    if latent_range is None:
        if Z is None:
            return [DEFAULT_LATENT_RANGE, DEFAULT_LATENT_RANGE]
        q_low, q_high = _check_range(quantile_range, "quantile_range")
        if not 0 <= q_low < q_high <= 1:
            raise ValueError(f"quantile_range must lie in [0, 1], got {quantile_range!r}.")
        lows, highs = np.quantile(Z, [q_low, q_high], axis=0)
        return [_check_range((lows[d], highs[d]), "the code quantiles") for d in range(2)]
    values = list(latent_range)
    if len(values) == 2 and all(isinstance(v, numbers.Real) for v in values):
        rng = _check_range(values, "latent_range")
        return [rng, rng]
    if len(values) == 2:
        return [_check_range(v, f"latent_range[{d}]") for d, v in enumerate(values)]
    raise ValueError(
        f"latent_range must be (low, high) or ((low0, high0), (low1, high1)), got {latent_range!r}."
    )


class LatentTraversalDisplay(NamedDisplayMixin):
    """Images decoded from a regular grid over a 2-D latent space.

    The picture popularised by variational autoencoders: the decoder is applied to every
    point of an ``n_steps`` x ``n_steps`` grid of latent codes, and the decoded images are
    assembled into one big image, ``z[0]`` increasing to the right and ``z[1]`` upwards. The
    axes are in latent units.

    Use :meth:`from_estimator` to create a display; the constructor only stores precomputed
    values. To show random draws from a generative model instead, see :class:`SampleDisplay`.

    Parameters
    ----------
    images : ndarray of shape (n_steps_y, n_steps_x, height, width)
        ``images[i, j]`` is decoded from the code ``(grid_x[j], grid_y[i])``.
    grid_x : ndarray of shape (n_steps_x,)
        Increasing values of ``z[0]``.
    grid_y : ndarray of shape (n_steps_y,)
        Increasing values of ``z[1]``.
    name : str, default=None
        Title of the plot; no title if None.

        .. versionadded:: 0.2
    estimator_name : str, default=None
        Title of the plot; no title if None.

        .. deprecated:: 0.2
            ``estimator_name`` is deprecated in skae 0.2 and will be removed in 0.4. Use
            ``name`` instead.

    Attributes
    ----------
    name : str or None
        Title of the plot.
    image_ : matplotlib.image.AxesImage
        The assembled image.
    ax_ : matplotlib.axes.Axes
        Axes with the plot.
    figure_ : matplotlib.figure.Figure
        Figure containing the plot.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skae.plotting import LatentTraversalDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> pca = PCA(n_components=2).fit(X)
    >>> display = LatentTraversalDisplay.from_estimator(pca, X, n_steps=10)
    >>> display.images.shape
    (10, 10, 8, 8)
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(self, *, images, grid_x, grid_y, name=None, estimator_name=DEPRECATED):
        self.images = images
        self.grid_x = grid_x
        self.grid_y = grid_y
        self.name = deprecate_estimator_name(estimator_name, name)

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the decoded grid.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        name : str, default=None
            Title of the plot; the ``name`` of the display if None.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`, e.g. ``cmap`` or ``vmin``.

        Returns
        -------
        display : LatentTraversalDisplay
            The display, with ``ax_``, ``figure_`` and ``image_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        images = np.asarray(self.images, dtype=float)
        n_y, n_x, h, w = images.shape
        gx = np.asarray(self.grid_x, dtype=float)
        gy = np.asarray(self.grid_y, dtype=float)
        # Highest z[1] on top.
        cells = [list(images[i]) for i in range(n_y - 1, -1, -1)]
        mosaic, _, _ = tile_images(cells, row_gaps=[0] * (n_y - 1), col_gaps=[0] * (n_x - 1))
        dx = (gx[-1] - gx[0]) / (n_x - 1) if n_x > 1 else 1.0
        dy = (gy[-1] - gy[0]) / (n_y - 1) if n_y > 1 else 1.0
        extent = (gx[0] - dx / 2, gx[-1] + dx / 2, gy[0] - dy / 2, gy[-1] + dy / 2)

        ax, fig = get_axes(ax, figsize=(6, 6) if ax is None else None)
        imshow_kwargs = {"cmap": "gray", "interpolation": "nearest", **kwargs}
        self.image_ = ax.imshow(mosaic, extent=extent, origin="upper", **imshow_kwargs)
        # Square pixels whatever the latent ranges.
        ax.set_aspect((dx / w) / (dy / h))
        ax.set_xlabel("z[0]")
        ax.set_ylabel("z[1]")
        name = self.name if name is None else name
        if name is not None:
            ax.set_title(name)
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X=None,
        *,
        n_steps=15,
        latent_range=None,
        quantile_range=(0.05, 0.95),
        image_shape=None,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Decode a grid over the 2-D latent space of a fitted model.

        Parameters
        ----------
        estimator : estimator instance
            A fitted transformer with a 2-D latent space (``n_components == 2``) and
            ``inverse_transform``: a skae autoencoder, a VAE, or a 2-component PCA.
        X : array-like of shape (n_samples, n_features), default=None
            Data (typically the training data) whose codes set the extent of the grid when
            ``latent_range`` is None.
        n_steps : int, default=15
            Number of grid points along each latent axis (at least 2).
        latent_range : (float, float) or ((float, float), (float, float)), default=None
            Extent of the grid, for both axes or for each axis. If None: the
            ``quantile_range`` quantiles of the codes of ``X`` when ``X`` is given, otherwise
            ``(-2, 2)``, which suits the standard normal prior of a VAE (a PCA or a plain
            autoencoder needs ``X`` or an explicit range).
        quantile_range : (float, float), default=(0.05, 0.95)
            Quantiles of the codes of ``X`` used as the extent of each axis.
        image_shape : tuple of (int, int), default=None
            Height and width of an image; if None, the decoded images must be square.
        name : str, default=None
            Title of the plot; the estimator class name if None.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LatentTraversalDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        n_steps = check_positive_int(n_steps, "n_steps")
        if n_steps < 2:
            raise ValueError(f"n_steps must be at least 2, got {n_steps}.")
        Z = None
        if X is not None:
            Z = as_2d_array(estimator.transform(X), name="transform(X)")
            n_latent = Z.shape[1]
        else:
            n_latent = _latent_dim(estimator)
        if n_latent != 2:
            raise ValueError(
                "A latent traversal needs a 2-D latent space (n_components=2), but "
                f"{estimator_name(estimator)} has "
                f"{'an unknown number of' if n_latent is None else n_latent} latent "
                "dimension(s). Use LatentSpaceDisplay for larger latent spaces."
            )
        (x0, x1), (y0, y1) = _latent_ranges(latent_range, Z, quantile_range)
        grid_x = np.linspace(x0, x1, n_steps)
        grid_y = np.linspace(y0, y1, n_steps)
        zx, zy = np.meshgrid(grid_x, grid_y)  # zx[i, j] = grid_x[j], zy[i, j] = grid_y[i]
        codes = np.column_stack([zx.ravel(), zy.ravel()])
        decoded = as_2d_array(estimator.inverse_transform(codes), name="inverse_transform")
        h, w = infer_image_shape(decoded.shape[1], image_shape)
        name = estimator_name(estimator) if name is None else name
        display = cls(
            images=decoded.reshape(n_steps, n_steps, h, w),
            grid_x=grid_x,
            grid_y=grid_y,
            name=name,
        )
        return display.plot(ax=ax, name=name, **kwargs)


class SampleDisplay(NamedDisplayMixin):
    """A grid of images generated by a generative model (e.g. a VAE's ``sample``).

    Use :meth:`from_estimator` or :meth:`from_samples` to create a display; the constructor
    only stores precomputed values. Unlike :class:`LatentTraversalDisplay`, the images are
    random draws from the prior, not a systematic sweep, and work for any latent size.

    Parameters
    ----------
    samples : ndarray of shape (n_samples, n_features)
        Generated rows, in input units.
    image_shape : tuple of (int, int)
        Height and width of an image.
    name : str, default=None
        Title of the plot; no title if None.

        .. versionadded:: 0.2
    estimator_name : str, default=None
        Title of the plot; no title if None.

        .. deprecated:: 0.2
            ``estimator_name`` is deprecated in skae 0.2 and will be removed in 0.4. Use
            ``name`` instead.

    Attributes
    ----------
    name : str or None
        Title of the plot.
    image_ : matplotlib.image.AxesImage
        The grid of images.
    ax_ : matplotlib.axes.Axes
        Axes with the plot.
    figure_ : matplotlib.figure.Figure
        Figure containing the plot.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from skae.plotting import SampleDisplay
    >>> samples = np.random.default_rng(0).random((16, 64))
    >>> display = SampleDisplay.from_samples(samples)
    >>> display.image_.get_array().shape
    (35, 35)
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(self, *, samples, image_shape, name=None, estimator_name=DEPRECATED):
        self.samples = samples
        self.image_shape = image_shape
        self.name = deprecate_estimator_name(estimator_name, name)

    def plot(self, ax=None, *, name=None, n_cols=None, **kwargs):
        """Draw the samples in a grid.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        name : str, default=None
            Title of the plot; the ``name`` of the display if None.
        n_cols : int, default=None
            Images per row; ``ceil(sqrt(n_samples))`` if None.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.imshow`, e.g. ``cmap``.

        Returns
        -------
        display : SampleDisplay
            The display, with ``ax_``, ``figure_`` and ``image_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        samples = as_2d_array(self.samples, name="samples")
        h, w = self.image_shape
        n = samples.shape[0]
        n_cols = math.ceil(math.sqrt(n)) if n_cols is None else check_positive_int(n_cols, "n_cols")
        cells = grid_cells(samples.reshape(n, h, w), n_cols)
        mosaic, _, _ = tile_images(cells)
        ax, fig = get_axes(
            ax, figsize=None if ax is not None else (0.6 * len(cells[0]) + 1, 0.6 * len(cells) + 1)
        )
        imshow_kwargs = {"cmap": "gray", "interpolation": "nearest", **kwargs}
        self.image_ = ax.imshow(mosaic, **imshow_kwargs)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        name = self.name if name is None else name
        if name is not None:
            ax.set_title(name)
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_samples(cls, samples, *, image_shape=None, name=None, ax=None, **kwargs):
        """Draw precomputed samples.

        Parameters
        ----------
        samples : array-like of shape (n_samples, n_features)
            Generated rows, flattened images.
        image_shape : tuple of (int, int), default=None
            Height and width of an image; if None, the images must be square.
        name : str, default=None
            Title of the plot.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : SampleDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_samples")
        samples = as_2d_array(samples, name="samples")
        image_shape = infer_image_shape(samples.shape[1], image_shape)
        display = cls(samples=samples, image_shape=image_shape, name=name)
        return display.plot(ax=ax, name=name, **kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        n_samples=16,
        random_state=0,
        image_shape=None,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Draw samples generated by a fitted generative model.

        Parameters
        ----------
        estimator : estimator instance
            A fitted model with a ``sample(n_samples, random_state=...)`` method returning
            rows in input units, such as ``VariationalAutoencoderTransformer``. Models
            without ``sample`` (PCA, plain autoencoders) raise a ``TypeError``.
        n_samples : int, default=16
            Number of images to generate.
        random_state : int, RandomState instance or None, default=0
            Seed of the samples, passed to ``estimator.sample``.
        image_shape : tuple of (int, int), default=None
            Height and width of an image; if None, the images must be square.
        name : str, default=None
            Title of the plot; the estimator class name if None.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : SampleDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        if not callable(getattr(estimator, "sample", None)):
            raise TypeError(
                f"{estimator_name(estimator)} cannot generate samples (it has no sample "
                "method); use a generative model such as VariationalAutoencoderTransformer."
            )
        check_is_fitted(estimator)
        n_samples = check_positive_int(n_samples, "n_samples")
        samples = estimator.sample(n_samples, random_state=random_state)
        return cls.from_samples(
            samples,
            image_shape=image_shape,
            name=estimator_name(estimator) if name is None else name,
            ax=ax,
            **kwargs,
        )
