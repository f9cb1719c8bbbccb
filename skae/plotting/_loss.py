# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Training and validation loss per epoch."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._utils import (
    DEPRECATED,
    NamedDisplayMixin,
    check_matplotlib_support,
    deprecate_estimator_name,
    estimator_name,
    get_axes,
)


def _history_column(history, key):
    """``history[:, key]`` of a skorch History as a list, or None if not recorded."""
    if history is None:
        return None
    try:
        values = history[:, key]
    except (KeyError, IndexError, TypeError):
        return None
    return list(values) if len(values) else None


class LossCurveDisplay(NamedDisplayMixin):
    """Training (and validation) loss per epoch of an iteratively trained model.

    Use :meth:`from_estimator` or :meth:`from_history` to create a display; the constructor
    only stores precomputed values.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss at each epoch.
    validation_loss : array-like of shape (n_val_epochs,), default=None
        Validation loss at each epoch (lower is better), if any.
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
    line_ : matplotlib.lines.Line2D
        The training loss curve.
    validation_line_ : matplotlib.lines.Line2D or None
        The validation loss curve, None without validation loss.
    best_marker_ : matplotlib.lines.Line2D or None
        Marker at the epoch of lowest validation loss, if drawn.
    ax_ : matplotlib.axes.Axes
        Axes with the plot.
    figure_ : matplotlib.figure.Figure
        Figure containing the plot.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from skae.plotting import LossCurveDisplay
    >>> display = LossCurveDisplay(loss_curve=[1.0, 0.5, 0.3], validation_loss=[1.1, 0.7, 0.8])
    >>> display = display.plot()
    >>> display.ax_.get_xlabel(), display.ax_.get_ylabel()
    ('epoch', 'loss')
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(self, *, loss_curve, validation_loss=None, name=None, estimator_name=DEPRECATED):
        self.loss_curve = loss_curve
        self.validation_loss = validation_loss
        self.name = deprecate_estimator_name(estimator_name, name)

    def plot(self, ax=None, *, name=None, mark_best=True, logy=False, **kwargs):
        """Draw the loss curves.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        name : str, default=None
            Title of the plot; the ``name`` of the display if None.
        mark_best : bool, default=True
            Mark the epoch with the lowest validation loss (if there is a validation loss).
        logy : bool, default=False
            Use a logarithmic loss axis.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for both curves.

        Returns
        -------
        display : LossCurveDisplay
            The display, with ``ax_``, ``figure_``, ``line_``, ``validation_line_`` and
            ``best_marker_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        from matplotlib.ticker import MaxNLocator

        ax, fig = get_axes(ax)
        train = np.asarray(self.loss_curve, dtype=float)
        (self.line_,) = ax.plot(
            np.arange(1, len(train) + 1), train, **{"label": "training loss", **kwargs}
        )
        self.validation_line_ = None
        self.best_marker_ = None
        if self.validation_loss is not None and len(self.validation_loss):
            valid = np.asarray(self.validation_loss, dtype=float)
            epochs = np.arange(1, len(valid) + 1)
            (self.validation_line_,) = ax.plot(
                epochs, valid, **{"label": "validation loss", **kwargs}
            )
            if mark_best and np.isfinite(valid).any():
                best = int(np.nanargmin(valid))
                (self.best_marker_,) = ax.plot(
                    epochs[best],
                    valid[best],
                    marker="o",
                    linestyle="",
                    color=self.validation_line_.get_color(),
                    label=f"best epoch ({best + 1})",
                )
        if logy:
            ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.legend(loc="best")
        name = self.name if name is None else name
        if name is not None:
            ax.set_title(name)
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_history(cls, history, *, name=None, ax=None, **kwargs):
        """Plot the ``train_loss`` and ``valid_loss`` columns of a skorch ``History``.

        Parameters
        ----------
        history : skorch.history.History
            The history, e.g. ``estimator.net_.history``.
        name : str, default=None
            Title of the plot.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LossCurveDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_history")
        train = _history_column(history, "train_loss")
        if train is None:
            raise ValueError("The history has no 'train_loss' entries.")
        valid = _history_column(history, "valid_loss")
        display = cls(loss_curve=train, validation_loss=valid, name=name)
        return display.plot(ax=ax, name=name, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, *, name=None, ax=None, **kwargs):
        """Plot the loss curves of a fitted skae estimator.

        The training loss is read from ``loss_curve_`` and the validation loss from
        ``validation_loss_curve_`` (``validation_scores_`` before skae 0.2; a loss: lower is
        better; None without early stopping). Either falls back to the ``train_loss`` /
        ``valid_loss`` columns of ``net_.history``.

        Parameters
        ----------
        estimator : estimator instance
            A fitted, iteratively trained estimator. Estimators without a loss curve, such as
            PCA, raise a ``ValueError``.
        name : str, default=None
            Title of the plot; the estimator class name if None.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LossCurveDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        history = getattr(getattr(estimator, "net_", None), "history", None)
        train = getattr(estimator, "loss_curve_", None)
        if train is None or not len(train):
            train = _history_column(history, "train_loss")
        if train is None:
            raise ValueError(
                f"{estimator_name(estimator)} has no loss curve (no loss_curve_ attribute nor "
                "net_.history): only iteratively trained models such as the skae autoencoders "
                "have one."
            )
        if hasattr(estimator, "validation_loss_curve_"):
            valid = estimator.validation_loss_curve_
        else:  # estimators predating skae 0.2, which named it validation_scores_
            valid = getattr(estimator, "validation_scores_", None)
        if valid is None:
            valid = _history_column(history, "valid_loss")
        name = estimator_name(estimator) if name is None else name
        display = cls(loss_curve=train, validation_loss=valid, name=name)
        return display.plot(ax=ax, name=name, **kwargs)
