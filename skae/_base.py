# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""What every skae estimator does: validation, scaling, the skorch net, seeding, batching, device.

Data flows one way::

    X -> validate_data -> float tensors -> torch module (scaling buffers, network) -> codes

The module owns every data-derived constant (standardisation, the PCA path);
the estimator keeps fitted scalars (``n_components_``, ``hidden_layer_sizes_``,
...) that describe how to build it, and code after ``fit`` reads those, never
the hyperparameters. Subclasses say what differs by overriding small hooks
(``_module_options``, ``_code_width``, ``_log_terms``, ``_criterion_options``,
``_anchorable``, ``_after_training``); the base mentions none of their
parameters.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from ._build import BuildMixin
from ._data import (
    INFERENCE_BATCH_SIZE,
    batched_map,
    to_float_tensor,
)
from ._device import move_net, resolve_device
from ._fit import FitMixin
from ._params import parameter_constraints
from ._threads import choose_threads, torch_threads

__all__ = ["BaseAutoencoder"]


class BaseAutoencoder(FitMixin, BuildMixin, BaseEstimator):
    """Base class of skae's estimators. Not for direct use.

    The parameters every autoencoder shares (:mod:`skae._params`), input
    validation, batched inference, device moves and the fitted properties;
    building the module and its skorch net (:class:`~skae._build.BuildMixin`,
    with the subclass hooks) and fitting (:class:`~skae._fit.FitMixin`) are
    mixed in.
    """

    #: Every concrete estimator class, by name (``skae.load`` builds only these).
    _registry: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        BaseAutoencoder._registry[cls.__name__] = cls

    _parameter_constraints: dict = parameter_constraints()

    def _validate_X(self, X, *, reset):
        return validate_data(
            self,
            _from_torch(X),
            reset=reset,
            dtype=[np.float64, np.float32],
            ensure_min_samples=2 if reset else 1,
            ensure_all_finite=True,
        )

    # ------------------------------------------------------------------ inference
    def _bare_module(self):
        """``net_.module_`` without the wrappers of ``accelerate`` and ``torch.compile``."""
        module = self.net_.module_
        accelerator = getattr(self.net_, "accelerator", None)
        if accelerator is not None:
            module = accelerator.unwrap_model(module)
        return getattr(module, "_orig_mod", module)  # the plain module behind torch.compile

    def _inference_module(self, dtype):
        """The trained module in eval mode, in ``dtype`` (a float64 copy for float64 input)."""
        module = self._bare_module()
        module.eval()
        if dtype != torch.float32:
            module = copy.deepcopy(module).to(dtype)
        return module

    def _map(self, X, n_out, fn, out_dtype=None):
        """Run ``fn(module, batch)`` over ``X`` in chunks, in X's dtype (the module scales).

        The result is an ``(n_samples, n_out)`` array of ``out_dtype`` (X's dtype
        by default), the only full-size allocation.
        """
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        device = torch.device(self.device_)
        module = self._inference_module(dtype)
        out = np.empty((X.shape[0], n_out), dtype=out_dtype or X.dtype)

        def prepare(chunk):
            return to_float_tensor(chunk, dtype, device)

        rows = min(X.shape[0], INFERENCE_BATCH_SIZE)
        threads = choose_threads(self.n_jobs, self._work_per_row() * rows)
        with torch.inference_mode(), torch_threads(threads):
            return batched_map(lambda xb: fn(module, xb), X, out, prepare=prepare)

    def _work_per_row(self):
        """Multiply-accumulates per row of a forward pass, roughly (to choose threads)."""
        module = self._bare_module()
        work = sum(p.numel() for p in module.parameters())
        if self.architecture == "conv":
            # each convolution weight is used at every position of its (downsampled) map
            work *= max(1, self.n_features_in_ // 4)
        return work

    def _encode(self, X):
        return self._map(X, self.n_components_, lambda m, xb: m.encode(xb))

    def _decode(self, Z):
        return self._map(Z, self.n_features_in_, lambda m, zb: m.decode(zb))

    def _reconstruct(self, X):
        """Reconstruction of validated ``X`` in the input's units, in X's dtype."""
        return self._map(X, self.n_features_in_, lambda m, xb: m.decode(m.encode(xb)))

    def _codes_and_reconstruction(self, X):
        """``(codes, reconstruction)`` of validated ``X`` in one pass, in X's dtype."""
        k = self.n_components_

        def both(m, xb):
            z = m.encode(xb)
            return torch.cat([z, m.decode(z)], dim=1)

        out = self._map(X, k + self.n_features_in_, both)
        return out[:, :k], out[:, k:]

    def _squared_error(self, X):
        """Per-sample mean squared reconstruction error in the input's units."""

        def err(m, xb):
            return ((m.decode(m.encode(xb)) - xb) ** 2).mean(dim=1, keepdim=True)

        return self._map(X, 1, err)[:, 0]

    def _check_codes(self, Z):
        check_is_fitted(self)
        Z = check_array(_from_torch(Z), dtype=[np.float64, np.float32], ensure_all_finite=True)
        if Z.shape[1] != self.n_components_:
            raise ValueError(
                f"Z has {Z.shape[1]} features, but {type(self).__name__} was fitted with "
                f"n_components={self.n_components_}; inverse_transform expects codes "
                "as returned by transform."
            )
        return Z

    def score_samples(self, X):
        """Negative mean squared reconstruction error of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-mean((X - inverse_transform(transform(X)))**2, axis=1)``;
            higher means better reconstructed (more normal).
        """
        check_is_fitted(self)
        return -self._squared_error(self._validate_X(X, reset=False))

    @property
    def encoder_(self):
        """The trained encoder module."""
        check_is_fitted(self)
        return self._bare_module().encoder

    @property
    def decoder_(self):
        """The trained decoder module."""
        check_is_fitted(self)
        return self._bare_module().decoder

    # ------------------------------------------------------------------ misc
    def set_params(self, **params):
        """Set the parameters of this estimator.

        Like every scikit-learn estimator's ``set_params``, it only stores the
        values: a fitted model keeps transforming as fitted (it reads fitted
        attributes such as ``n_components_``) until the next ``fit``. To move
        a fitted network to another device, use :meth:`to_device`.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            Estimator instance.
        """
        if "device" in params and "net_" in self.__dict__:
            device = resolve_device(params["device"])  # refused before anything changes
            if device.type != self.device_:
                warnings.warn(
                    "set_params(device=...) on a fitted estimator moves its network; this "
                    "is deprecated since skae 0.2 and will stop in skae 0.4 (set_params will "
                    "only store the parameter, as in scikit-learn). Use to_device(device) "
                    "to move a fitted model.",
                    FutureWarning,
                    stacklevel=2,
                )
                super().set_params(**params)
                self._move_to(device)
                return self
        return super().set_params(**params)

    def to_device(self, device):
        """Move the fitted network (weights and optimizer state) to ``device``.

        Parameters
        ----------
        device : str or torch.device
            ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"auto"``; an
            unavailable device is refused with a ``ValueError`` before anything
            moves.

        Returns
        -------
        self : estimator instance
            The estimator, with ``device_`` and its network on ``device``. The
            ``device`` parameter is unchanged (it applies to the next ``fit``).
        """
        check_is_fitted(self)
        self._move_to(resolve_device(device))
        return self

    def _move_to(self, device: torch.device):
        move_net(self.net_, device)
        self.device_ = device.type

    @property
    def mean_(self):
        """Per-feature mean the module standardises inputs with, or ``None`` (float64 copy)."""
        return self._scaling_constant("shift")

    @property
    def scale_(self):
        """Per-feature scale the module standardises inputs with, or ``None`` (float64 copy)."""
        return self._scaling_constant("scale")

    def _scaling_constant(self, name):
        if "net_" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__} is not fitted: it has no scaling yet.")
        scaler = self._bare_module().scaler
        if scaler is None or scaler.identity:
            return None
        return getattr(scaler, name).detach().cpu().double().numpy()

    @property
    def validation_scores_(self):
        """Deprecated alias of ``validation_loss_curve_`` (it holds losses, not scores)."""
        warnings.warn(
            "validation_scores_ was renamed validation_loss_curve_ in skae 0.2 (it holds "
            "validation losses, lower is better, unlike MLPRegressor's validation_scores_); "
            "the old name will be removed in skae 0.4.",
            FutureWarning,
            stacklevel=2,
        )
        return self.validation_loss_curve_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags


def _from_torch(X):
    """A CPU tensor becomes a zero-copy NumPy view; other tensors get a clear error.

    float16/bfloat16 tensors (no NumPy equivalent for bfloat16) are widened to float32.
    """
    if not isinstance(X, torch.Tensor):
        return X
    if X.device.type != "cpu":
        raise TypeError(
            f"X is a torch tensor on {X.device}; skae validates input on the CPU. "
            "Pass X.cpu() (training data are moved to the estimator's device_ once)."
        )
    X = X.detach()
    if X.dtype in (torch.float16, torch.bfloat16):
        X = X.float()
    return X.numpy()
