# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Reconstruction error as a function of the latent size."""

import numbers

import numpy as np
from sklearn.exceptions import NotFittedError

from ._utils import check_matplotlib_support, estimator_name, get_axes


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class ReconstructionErrorDisplay:
    """Reconstruction error versus number of latent components, one line per method.

    Use :meth:`from_results` (the output of :func:`skae.metrics.compare`) or
    :meth:`from_cv_results` (a fitted :class:`~sklearn.model_selection.GridSearchCV`) to
    create a display; the constructor only stores precomputed values.

    Parameters
    ----------
    n_components : list of array-like
        Latent sizes of each line.
    errors : list of array-like
        Errors of each line, matching ``n_components``.
    names : list of str
        Legend label of each line.
    errors_std : list of array-like or None, default=None
        Standard deviations drawn as a band around each line (None for no band, globally or
        per line).
    ylabel : str, default="reconstruction error"
        Label of the y axis.

    Attributes
    ----------
    lines_ : list of matplotlib.lines.Line2D
        One line per method.
    fills_ : list of matplotlib.collections.PolyCollection or None
        The ± one standard deviation band of each line, None where there is none.
    ax_ : matplotlib.axes.Axes
        Axes with the plot.
    figure_ : matplotlib.figure.Figure
        Figure containing the plot.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from skae.metrics import compare
    >>> from skae.plotting import ReconstructionErrorDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> df = compare({}, X[:200], X[200:400], n_components=(2, 4, 8, 16))
    >>> display = ReconstructionErrorDisplay.from_results(df)
    >>> display.ax_.get_xlabel(), display.ax_.get_ylabel()
    ('n_components', 'test_mse')
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(
        self, *, n_components, errors, names, errors_std=None, ylabel="reconstruction error"
    ):
        self.n_components = n_components
        self.errors = errors
        self.names = names
        self.errors_std = errors_std
        self.ylabel = ylabel

    def plot(self, ax=None, *, xscale="log2", logy=False, **kwargs):
        """Draw the error curves.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        xscale : {"log2", "linear"}, default="log2"
            Scale of the ``n_components`` axis. With ``"log2"``, the ticks are the evaluated
            sizes.
        logy : bool, default=False
            Use a logarithmic error axis.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every line.

        Returns
        -------
        display : ReconstructionErrorDisplay
            The display, with ``ax_``, ``figure_``, ``lines_`` and ``fills_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        if xscale not in ("log2", "linear"):
            raise ValueError(f"xscale must be 'log2' or 'linear', got {xscale!r}.")
        from matplotlib.ticker import NullFormatter, ScalarFormatter

        ax, fig = get_axes(ax)
        stds = self.errors_std if self.errors_std is not None else [None] * len(self.names)
        self.lines_, self.fills_ = [], []
        all_ks = set()
        for ks, err, std, name in zip(
            self.n_components, self.errors, stds, self.names, strict=True
        ):
            ks = np.asarray(ks, dtype=float)
            err = np.asarray(err, dtype=float)
            order = np.argsort(ks)
            ks, err = ks[order], err[order]
            all_ks.update(ks.tolist())
            (line,) = ax.plot(ks, err, **{"marker": "o", "label": str(name), **kwargs})
            self.lines_.append(line)
            fill = None
            if std is not None:
                std = np.asarray(std, dtype=float)[order]
                fill = ax.fill_between(
                    ks, err - std, err + std, color=line.get_color(), alpha=0.2, linewidth=0
                )
            self.fills_.append(fill)
        if xscale == "log2":
            ax.set_xscale("log", base=2)
            ax.set_xticks(sorted(all_ks))
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("n_components")
        ax.set_ylabel(self.ylabel)
        ax.legend(loc="best")
        self.ax_ = ax
        self.figure_ = fig
        return self

    @classmethod
    def from_results(cls, results, *, metric=None, ax=None, **kwargs):
        """Plot the results of :func:`skae.metrics.compare`.

        Parameters
        ----------
        results : pandas.DataFrame
            A DataFrame with the columns ``method``, ``n_components`` and ``metric``, such
            as the output of :func:`skae.metrics.compare`.
        metric : str, default=None
            Column to plot. If None, ``"test_mse"``, or ``"train_mse"`` when ``test_mse`` is
            entirely missing (``compare`` without ``X_test``).
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ReconstructionErrorDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_results")
        if metric is None:
            metric = "test_mse"
            if "test_mse" not in results or results["test_mse"].isna().all():
                metric = "train_mse"
        missing = {"method", "n_components", metric} - set(results.columns)
        if missing:
            raise ValueError(
                f"results lacks the column(s) {sorted(missing)}; expected the output of "
                "skae.metrics.compare."
            )
        if len(results) == 0:
            raise ValueError("results is empty.")
        ks, errors, names = [], [], []
        for method, group in results.groupby("method", sort=False):
            ks.append(group["n_components"].to_numpy())
            errors.append(group[metric].to_numpy(dtype=float))
            names.append(str(method))
        display = cls(n_components=ks, errors=errors, names=names, ylabel=metric)
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_cv_results(cls, search, *, param=None, metric=None, negate=True, ax=None, **kwargs):
        """Plot cross-validated errors of a fitted hyper-parameter search.

        Draws ``-mean_test_score`` ± ``std_test_score`` against ``n_components``. The
        search should score with a negated error, like the default ``score`` of the skae
        estimators or :func:`skae.metrics.neg_reconstruction_error`. When other parameters
        vary as well, one line is drawn per combination of their values.

        Parameters
        ----------
        search : GridSearchCV or RandomizedSearchCV
            A fitted search whose candidates vary ``n_components`` (or a nested parameter
            ending in ``n_components``, such as ``ae__n_components`` in a pipeline).
        param : str, default=None
            Name of the latent size parameter in ``search.cv_results_`` (without the
            ``param_`` prefix). If None, the only parameter ending in ``n_components``.
        metric : str, default=None
            Scorer name for multi-metric searches: plots ``mean_test_<metric>``. If None,
            ``mean_test_score``, or the ``refit`` scorer of a multi-metric search.
        negate : bool, default=True
            Plot ``-mean_test_score``, the error. Set to False for scores that are not
            negated errors.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ReconstructionErrorDisplay
        """
        check_matplotlib_support(f"{cls.__name__}.from_cv_results")
        if not hasattr(search, "cv_results_"):
            raise NotFittedError(
                f"This {type(search).__name__} instance is not fitted yet: it has no "
                "cv_results_. Call fit first."
            )
        results = search.cv_results_
        if param is None:
            candidates = [
                key[len("param_") :]
                for key in results
                if key.startswith("param_") and key.endswith("n_components")
            ]
            if len(candidates) != 1:
                raise ValueError(
                    "Could not find a single n_components parameter in cv_results_ (found "
                    f"{candidates}); pass param=..."
                )
            param = candidates[0]
        if f"param_{param}" not in results:
            raise ValueError(f"cv_results_ has no column 'param_{param}'.")
        if metric is None:
            metric = "score"
            if "mean_test_score" not in results and isinstance(getattr(search, "refit", None), str):
                metric = search.refit
        mean_key, std_key = f"mean_test_{metric}", f"std_test_{metric}"
        if mean_key not in results:
            raise ValueError(f"cv_results_ has no column {mean_key!r}; pass metric=...")

        k_column = results[f"param_{param}"]
        k_mask = np.ma.getmaskarray(k_column)
        kept = [i for i, k in enumerate(k_column) if not k_mask[i] and _is_number(k)]
        # Other parameters that vary between the kept candidates split them into lines.
        others = {}
        for key in results:
            if key.startswith("param_") and key != f"param_{param}":
                values = list(np.ma.filled(np.ma.asarray(results[key], dtype=object), None))
                if len({repr(values[i]) for i in kept}) > 1:
                    others[key[len("param_") :]] = values
        sign = -1.0 if negate else 1.0
        groups = {}
        for idx in kept:
            label = ", ".join(f"{name}={values[idx]}" for name, values in others.items())
            ks, errs, stds = groups.setdefault(label, ([], [], []))
            ks.append(k_column[idx])
            errs.append(sign * results[mean_key][idx])
            stds.append(results[std_key][idx] if std_key in results else np.nan)
        if not groups:
            raise ValueError(f"No candidate has a numeric {param!r}.")
        default_name = estimator_name(getattr(search, "estimator", search))
        display = cls(
            n_components=[g[0] for g in groups.values()],
            errors=[g[1] for g in groups.values()],
            errors_std=[g[2] for g in groups.values()],
            names=[label or default_name for label in groups],
            ylabel=f"-mean_test_{metric}" if negate else f"mean_test_{metric}",
        )
        return display.plot(ax=ax, **kwargs)
