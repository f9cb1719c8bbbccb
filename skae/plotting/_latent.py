# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Scatter plot of a 2-D view of the latent space."""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._utils import (
    DEPRECATED,
    NamedDisplayMixin,
    as_2d_array,
    check_matplotlib_support,
    deprecate_estimator_name,
    estimator_name,
    get_axes,
)

#: At most this many distinct labels get a legend; more get a colour bar.
MAX_LEGEND_LABELS = 10


def _project_codes(Z, components, project):
    """Return ``(Z_2d, xlabel, ylabel)`` for the requested 2-D view of the codes ``Z``."""
    n_latent = Z.shape[1]
    if project == "pca":
        if n_latent < 2:
            raise ValueError(
                f"project='pca' needs at least 2 latent dimensions, the codes have {n_latent}."
            )
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=0).fit_transform(Z), "PC1", "PC2"
    if project != "select":
        raise ValueError(f"project must be 'select' or 'pca', got {project!r}.")
    try:
        i, j = components
    except (TypeError, ValueError):
        raise ValueError(
            f"components must be a pair of latent indices (i, j), got {components!r}."
        ) from None
    for c in (i, j):
        if not isinstance(c, numbers.Integral) or isinstance(c, bool):
            raise ValueError(f"components must be integers, got {components!r}.")
        if not 0 <= c < n_latent:
            raise ValueError(
                f"components={tuple(components)!r} is out of range for codes with {n_latent} "
                f"dimension(s); valid indices are 0 to {n_latent - 1}."
            )
    if i == j:
        raise ValueError(f"components must be two different indices, got {components!r}.")
    return Z[:, [i, j]], f"z[{i}]", f"z[{j}]"


class LatentSpaceDisplay(NamedDisplayMixin):
    """Scatter plot of two latent dimensions, coloured by label.

    Use :meth:`from_estimator` or :meth:`from_embedding` to create a display; the constructor
    only stores precomputed values.

    Parameters
    ----------
    embedding : ndarray of shape (n_samples, 2)
        The 2-D points to draw.
    labels : array-like of shape (n_samples,), default=None
        Labels colouring the points. At most 10 distinct labels get a discrete colour and a
        legend; more (or continuous targets) get a colour map and a colour bar.
    xlabel : str, default="z[0]"
        Label of the x axis.
    ylabel : str, default="z[1]"
        Label of the y axis.
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
    scatter_ : matplotlib.collections.PathCollection
        The points.
    legend_ : matplotlib.legend.Legend or None
        Legend of the discrete labels, None otherwise.
    colorbar_ : matplotlib.colorbar.Colorbar or None
        Colour bar for many or continuous labels, None otherwise.
    ax_ : matplotlib.axes.Axes
        Axes with the plot.
    figure_ : matplotlib.figure.Figure
        Figure containing the plot.

    See Also
    --------
    skae.metrics.latent_knn_score : How well the labels are separated in the latent space.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skae.plotting import LatentSpaceDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> pca = PCA(n_components=8).fit(X)
    >>> display = LatentSpaceDisplay.from_estimator(pca, X, y, components=(0, 1))
    >>> display.ax_.get_xlabel(), display.ax_.get_ylabel()
    ('z[0]', 'z[1]')
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        embedding,
        labels=None,
        xlabel="z[0]",
        ylabel="z[1]",
        name=None,
        estimator_name=DEPRECATED,
    ):
        self.embedding = embedding
        self.labels = labels
        self.xlabel = xlabel
        self.ylabel = ylabel
        self.name = deprecate_estimator_name(estimator_name, name)

    def plot(self, ax=None, *, name=None, legend=True, **kwargs):
        """Draw the scatter plot.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        name : str, default=None
            Title of the plot; the ``name`` of the display if None.
        legend : bool, default=True
            Whether to add the legend (few discrete labels) or the colour bar.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.scatter`, e.g. ``s``, ``alpha`` or
            ``cmap``.

        Returns
        -------
        display : LatentSpaceDisplay
            The display, with ``ax_``, ``figure_``, ``scatter_``, ``legend_`` and
            ``colorbar_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib
        from matplotlib.colors import BoundaryNorm, ListedColormap
        from matplotlib.lines import Line2D

        ax, fig = get_axes(ax)
        Z = np.asarray(self.embedding, dtype=float)
        scatter_kwargs = {"s": 10, "alpha": 0.8, **kwargs}
        self.legend_ = None
        self.colorbar_ = None

        if self.labels is None:
            self.scatter_ = ax.scatter(Z[:, 0], Z[:, 1], **scatter_kwargs)
        else:
            labels = np.asarray(self.labels)
            if labels.shape[0] != Z.shape[0]:
                raise ValueError(
                    f"labels has {labels.shape[0]} entries but there are {Z.shape[0]} points."
                )
            classes, codes = np.unique(labels, return_inverse=True)
            numeric = np.issubdtype(labels.dtype, np.number) or labels.dtype == bool
            if len(classes) <= MAX_LEGEND_LABELS:
                # One colour per class: the first len(classes) colours of a qualitative map.
                base = scatter_kwargs.pop("cmap", "tab10")
                if isinstance(base, str):
                    base = matplotlib.colormaps[base]
                colors = base(np.arange(len(classes)) % base.N)
                cmap = ListedColormap(colors)
                norm = BoundaryNorm(np.arange(len(classes) + 1) - 0.5, len(classes))
                self.scatter_ = ax.scatter(
                    Z[:, 0], Z[:, 1], c=codes, cmap=cmap, norm=norm, **scatter_kwargs
                )
                if legend:
                    handles = [
                        Line2D([], [], marker="o", linestyle="", color=colors[k], label=str(cls))
                        for k, cls in enumerate(classes)
                    ]
                    self.legend_ = ax.legend(handles=handles, title="label", loc="best")
            else:
                c = labels.astype(float) if numeric else codes
                scatter_kwargs.setdefault("cmap", "viridis")
                self.scatter_ = ax.scatter(Z[:, 0], Z[:, 1], c=c, **scatter_kwargs)
                if legend:
                    self.colorbar_ = fig.colorbar(self.scatter_, ax=ax)
                    self.colorbar_.set_label("label" if numeric else "label index")

        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        name = self.name if name is None else name
        if name is not None:
            ax.set_title(name)
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_embedding(
        cls, Z, y=None, *, components=(0, 1), project="select", name=None, ax=None, **kwargs
    ):
        """Plot precomputed latent codes.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_latent)
            Latent codes, e.g. the output of ``estimator.transform(X)``.
        y : array-like of shape (n_samples,), default=None
            Labels colouring the points.
        components : tuple of (int, int), default=(0, 1)
            The two latent dimensions to draw when ``project="select"``.
        project : {"select", "pca"}, default="select"
            ``"select"`` draws dimensions ``components``, labelled ``z[i]`` and ``z[j]``.
            ``"pca"`` ignores ``components`` and draws the first two principal components of
            the codes (PCA fitted on ``Z``), labelled ``PC1`` and ``PC2``: useful for codes
            with more than two dimensions.
        name : str, default=None
            Title of the plot.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LatentSpaceDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_embedding")
        Z = as_2d_array(Z, name="Z")
        Z2, xlabel, ylabel = _project_codes(Z, components, project)
        display = cls(embedding=Z2, labels=y, xlabel=xlabel, ylabel=ylabel, name=name)
        return display.plot(ax=ax, name=name, **kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        components=(0, 1),
        project="select",
        name=None,
        ax=None,
        **kwargs,
    ):
        """Encode ``X`` with a fitted estimator and plot two latent dimensions.

        Parameters
        ----------
        estimator : estimator instance
            A fitted transformer (a skae autoencoder, PCA, ...).
        X : array-like of shape (n_samples, n_features)
            Data to encode with ``estimator.transform``.
        y : array-like of shape (n_samples,), default=None
            Labels colouring the points.
        components : tuple of (int, int), default=(0, 1)
            The two latent dimensions to draw when ``project="select"``.
        project : {"select", "pca"}, default="select"
            ``"select"`` draws dimensions ``components``; ``"pca"`` draws the first two
            principal components of the codes of ``X``, for codes with more than two
            dimensions.
        name : str, default=None
            Title of the plot; the estimator class name if None.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LatentSpaceDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        Z = as_2d_array(estimator.transform(X), name="transform(X)")
        return cls.from_embedding(
            Z,
            y,
            components=components,
            project=project,
            name=estimator_name(estimator) if name is None else name,
            ax=ax,
            **kwargs,
        )
