# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Fitting as a transaction: validation split, candidate starts, retries, early stopping.

A mixin of :class:`~skae._base.BaseAutoencoder`; it builds through the
:class:`~skae._build.BuildMixin` methods and trains with skorch.
"""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch.helper import predefined_split
from torch import nn

from ._data import ArrayDataset, column_mean_std
from ._device import fits_on, resolve_device
from ._net import (
    _Diverged,
    carry_training_state,
    clearly_better,
    finite_parameters,
    optimizer_class,
    row_errors,
    silent,
)
from ._threads import choose_threads, torch_threads
from ._transaction import EstimatorState, caller_state_kept, flush_denormal
from .exceptions import FitInterruptedWarning

__all__ = ["FitMixin"]

#: Names of the starts ``init`` chooses between, for messages.
_STARTS = {"pca": "PCA-anchored", "random": "random"}

#: How many times a diverged fit is retried, each with a 10x smaller learning rate.
_DIVERGENCE_RETRIES = 2


class FitMixin:
    """``_fit`` and its steps; ``fit``/``partial_fit`` of the estimators call ``_fit``."""

    def _fit(self, X, *, partial=False):
        """Fit (or continue fitting) as one transaction; returns ``self``.

        Either the fit completes, or the estimator is left exactly as it was
        before the call (unfitted stays unfitted, a fitted model keeps its
        weights, optimizer state and history), whatever the exception:
        divergence, a bad parameter, an unavailable device, a failing callback,
        an interruption before the first epoch ended. A fit interrupted
        (Ctrl-C) after at least one epoch keeps its last completed epoch and
        warns with :class:`~skae.exceptions.FitInterruptedWarning`. The
        caller's global torch state (RNGs, flush-denormal mode, threads,
        default dtype) is the same after the call as before.
        """
        saved = EstimatorState(self, continuing=partial or self.warm_start)
        try:
            with caller_state_kept():
                X, interrupted = self._train(X, partial=partial)
                self._after_training(X)
        except BaseException:
            saved.restore()
            raise
        if interrupted:
            warnings.warn(
                f"Fit interrupted: {type(self).__name__} keeps the weights of its last "
                f"completed epoch (n_iter_={self.n_iter_}).",
                FitInterruptedWarning,
                stacklevel=3,
            )
        return self

    def _after_training(self, X):
        """Hook run inside the fit transaction once the network is trained.

        ``X`` is the validated training data. Subclasses set the fitted
        attributes that depend on the trained network here (the detector's
        threshold), so that a failure leaves the estimator as it was.
        """

    def _check_fit_params(self, partial):
        """Checks across parameters, before any work starts (constraints are checked already)."""
        if self.accelerator is not None and self.precision != "32":
            raise ValueError(
                f"precision={self.precision!r} cannot be combined with an accelerator: mixed "
                "precision is then the accelerator's job. Leave precision='32' and pass e.g. "
                "Accelerator(mixed_precision='bf16')."
            )
        if self.noise in ("masking", "salt_and_pepper") and self.noise_level > 1:
            raise ValueError(
                f"noise_level is the fraction of corrupted inputs for noise={self.noise!r} "
                f"and must be in [0, 1], got {self.noise_level}."
            )
        optimizer_class(self.optimizer, self.weight_decay)
        if self.accelerator is None:
            resolve_device(self.device)

    def _continues(self, partial):
        """Whether this call continues training the existing network."""
        if not (hasattr(self, "net_") and (self.warm_start or partial)):
            return False
        built = getattr(self, "_structure_", None)
        now = self._structure()
        changed = [k for k in now if built is not None and not _same(now[k], built.get(k))]
        if changed:
            how = "partial_fit" if partial else "warm_start=True"
            raise ValueError(
                f"{how} continues training the existing network, but "
                f"{', '.join(changed)} changed since it was built "
                f"({', '.join(f'{k}={built[k]!r}' for k in changed)}). "
                "Set the previous value back, or refit from scratch with warm_start=False."
            )
        return True

    #: Parameters that define the network; warm starts and partial fits need them unchanged.
    _STRUCTURE_PARAMS = (
        "n_components",
        "architecture",
        "hidden_layer_sizes",
        "activation",
        "output_activation",
        "dropout",
        "batch_norm",
        "input_shape",
        "conv_channels",
        "kernel_size",
        "downsample",
        "noise",
        "noise_level",
        "loss",
        "encoder",
        "decoder",
    )

    def _structure(self):
        return {k: _normalize(getattr(self, k)) for k in self._STRUCTURE_PARAMS}

    def _train(self, X, *, partial):
        """Validate, build or reuse the network, and train it.

        Returns the validated X and whether a Ctrl-C cut the training short.
        """
        self._check_fit_params(partial)
        continuing = self._continues(partial)
        stream = _is_lazy(X)
        X = self._validate_X(X, reset=not continuing)
        hidden, input_shape = self._check_structure()
        n_samples = X.shape[0]

        scaling = None
        if not continuing:
            self.hidden_layer_sizes_, self.input_shape_ = hidden, input_shape
            scaling = self._fit_preprocessing(X)

        n_valid = 0
        if self.early_stopping and not partial:
            n_valid = math.ceil(self.validation_fraction * n_samples)
            if n_samples - n_valid < 1 or n_valid < 1:
                raise ValueError(
                    f"early_stopping=True with validation_fraction={self.validation_fraction} "
                    f"leaves no training or validation samples out of n_samples={n_samples}. "
                    "Pass more samples, change validation_fraction or set early_stopping=False."
                )
        n_train = n_samples - n_valid
        self.batch_size_ = self._batch_size(n_train)
        if self.batch_norm and not partial and (n_train < 2 or self._batch_size(n_train) < 2):
            raise ValueError(
                "batch_norm=True needs at least 2 rows in every training batch, but "
                f"batch_size={self.batch_size} and {n_train} of n_samples={n_samples} rows "
                "are used for training. Pass more samples, a larger batch_size, "
                "early_stopping=False, or batch_norm=False."
            )

        if continuing and getattr(self.net_, "accelerator", None) is not self.accelerator:
            raise ValueError(
                "accelerator was changed after the network was built; continuing "
                "training needs the same accelerator. Fit with warm_start=False."
            )
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        if self.accelerator is not None:
            from ._accelerate import shared_seed

            seed = shared_seed(self.accelerator, seed)
            if continuing and self.device_ != self.accelerator.device.type:
                # Moved with to_device since: back for training.
                self._move_to(self.accelerator.device)
        devices = [torch.device(self.device_)] if self.device_ == "cuda" else []
        with (
            torch.random.fork_rng(devices=devices, device_type=self.device_),
            flush_denormal(),
        ):
            torch.manual_seed(seed)
            perm = torch.randperm(n_samples)
            train_idx, valid_idx = perm[n_valid:], perm[:n_valid]
            if n_valid == 0:
                train_idx = None  # all rows, in order (shuffled per epoch)
            data = self._make_dataset(X, train_idx, stream=stream)
            valid = self._make_dataset(X, valid_idx, like=data) if n_valid else None
            regularizer = self._latent_regularizer(data, valid)
            if continuing:
                old = self.net_
                self.net_ = self._build_net(self._bare_module())
                self.net_.initialize()
                carry_training_state(old, self.net_)
                self._train_net(data, valid, seed, partial, regularizer)
                interrupted = self.net_.interrupted_
            else:
                interrupted = self._fit_new_net(X, data, valid, seed, scaling, partial, regularizer)

        history = self.net_.history
        self.loss_curve_ = [float(v) for v in history[:, "train_loss"]]
        self.validation_loss_curve_ = (
            [float(v) for v in history[:, "valid_loss"]] if "valid_loss" in history[-1] else None
        )
        self.n_iter_ = len(history)
        self.net_.module_.eval()
        return X, interrupted

    def _fit_new_net(self, X, data, valid, seed, scaling, partial, regularizer=None):
        """Train a new network for each candidate start; keep the best on the validation data.

        With ``init="auto"`` on bounded data and a validation split, a
        PCA-anchored network and a randomly initialised one (sigmoid/tanh
        output) are both trained and the one with the lower validation
        reconstruction error is kept: the anchored start guarantees PCA's
        quality, the free start keeps the gains of its output on images.
        A Ctrl-C stops there: no further start is trained, the best one so
        far is kept. Returns whether training was interrupted.
        """
        candidates = self._init_candidates(X)
        if valid is None or partial:
            candidates = candidates[:1]
        best = None
        say = print if self.verbose and len(candidates) > 1 else silent
        errors = {}
        interrupted = False
        for init in candidates:
            say(f"Training the {_STARTS[init]} start (init={init!r}).")
            self.init_ = init
            self.batch_size_ = self._batch_size(len(data))
            self.output_activation_, self.loss_, _, _ = self._resolve_output(X)
            try:
                self._train_candidate(X, data, valid, seed, scaling, partial, regularizer)
            except KeyboardInterrupt:
                if best is None:  # nothing trained yet: the fit is cancelled
                    raise
                interrupted = True
                break
            interrupted = self.net_.interrupted_
            if len(candidates) == 1:
                return interrupted
            rows = row_errors(self._bare_module(), valid)
            errors[init] = float(rows.mean())
            # A later start replaces the kept one only if clearly better (the first,
            # PCA-anchored, one is itself never worse than PCA on these rows).
            if best is None or clearly_better(rows, best[0]):
                best = (
                    rows,
                    self.net_,
                    self.init_,
                    self.output_activation_,
                    self.loss_,
                    self.batch_size_,
                )
            if interrupted:
                break
        _, self.net_, self.init_, self.output_activation_, self.loss_, self.batch_size_ = best
        scores = ", ".join(f"{k}: {v:.4g}" for k, v in errors.items())
        say(f"Kept init={self.init_!r} (validation reconstruction error {scores}).")
        return interrupted

    def _train_candidate(self, X, data, valid, seed, scaling, partial, regularizer=None):
        """Build and train a new network; retry with smaller learning rates if it diverges."""
        learning_rates = [self.learning_rate * 10.0**-i for i in range(_DIVERGENCE_RETRIES + 1)]
        for attempt, lr in enumerate(learning_rates):
            torch.manual_seed(seed)
            self.net_ = self._build_net(self._build_module(scaling), learning_rate=lr)
            self.net_.initialize()
            module = self._bare_module()
            if module.init_pca_(X):
                pass  # PCA-anchored: starts as the training data's PCA
            elif scaling is None:  # standardised data have mean 0: nothing to do
                module.init_output_bias(
                    torch.as_tensor(X.mean(axis=0, dtype=np.float64), dtype=torch.float32)
                )
            try:
                self._train_net(data, valid, seed, partial, regularizer)
            except _Diverged as exc:
                diverged = exc
                continue
            if attempt:
                warnings.warn(
                    f"{diverged} Retried with learning_rate={lr:g}, which trained "
                    "(net_.lr holds the learning rate used).",
                    UserWarning,
                    stacklevel=5,
                )
            return
        tried = ", ".join(f"{lr:g}" for lr in learning_rates)
        raise FloatingPointError(
            f"{diverged} Tried learning_rate {tried}: every one diverged. The estimator was "
            "left as it was before fit. Check X for extreme values or outliers (scale it, "
            "e.g. with StandardScaler), use batch_norm=True or a smaller weight_decay."
        )

    def _train_net(self, data, valid, seed, partial, regularizer=None):
        """Run skorch's training loop on ``net_``; raises ``_Diverged`` on non-finite weights.

        ``regularizer`` (from :meth:`_latent_regularizer`) is set on the net
        for this loop only: it holds the training data, which a fitted model
        must not keep.
        """
        if self.accelerator is not None:
            self.net_.device = None  # accelerate places the network
            if self.accelerator.num_processes > 1:
                from ._accelerate import split_generators

                split_generators(self.net_, seed)
        self.net_.train_split = predefined_split(valid) if valid is not None else None
        # skorch's partial_fit trains without re-initialising (warm start, or
        # the net just built); _AutoencoderNet stops cleanly on KeyboardInterrupt.
        threads = choose_threads(self.n_jobs, self._work_per_row() * self.net_.batch_size)
        self.net_.regularizer = regularizer
        try:
            with torch_threads(threads):
                self.net_.partial_fit(data, epochs=1 if partial else None)
        finally:
            self.net_.regularizer = None
        if not finite_parameters(self._bare_module()):
            raise _Diverged(
                "Training diverged: the network's weights became non-finite at epoch "
                f"{len(self.net_.history)} (learning_rate={self.net_.lr:g})."
            )

    def _fit_preprocessing(self, X):
        """Set output activation, loss, value range and device from the training data.

        Returns the ``(mean, std)`` of the input standardisation the module
        will hold, or ``None``; ``noise_range_`` is the ``(low, high)`` range
        of the rows the network sees (for salt-and-pepper noise).
        """
        self.init_ = self._init_candidates(X)[0]
        out, loss, standardize, (lo, hi) = self._resolve_output(X)
        limit = float(np.finfo(np.float32).max)
        if max(abs(lo), abs(hi)) > limit:
            raise ValueError(
                f"X has values of magnitude up to {max(abs(lo), abs(hi)):g}, beyond float32's "
                f"range ({limit:.3g}), in which skae trains. Rescale X first (e.g. divide by a "
                "constant or take logarithms)."
            )
        self.n_components_ = self.n_components
        self.output_activation_ = out
        self.loss_ = loss
        scaling = None
        if standardize:
            scaling = mean, std = column_mean_std(X)
            lo = float(np.min((X.min(axis=0) - mean) / std))
            hi = float(np.max((X.max(axis=0) - mean) / std))
        self.noise_range_ = (lo, hi)
        if self.accelerator is not None:
            # accelerate places the network (and sets the current CUDA device of
            # each process, so "cuda" is this process's GPU).
            self.device_ = self.accelerator.device.type
        else:
            self.device_ = resolve_device(self.device).type
        return scaling

    def _make_dataset(self, X, indices, like=None, stream=False):
        if like is not None:
            # Share the already converted tensor between training and validation data.
            ds = copy.copy(like)
            ds.indices = torch.as_tensor(indices, dtype=torch.long)
            return ds
        return ArrayDataset(
            X,
            indices,
            device=self.device_,
            dtype=torch.float32,
            preload=not stream and fits_on(self.device_, X.shape[0] * X.shape[1] * 4),
        )


def _is_lazy(X) -> bool:
    """True for a ``np.memmap``: training then reads batches from disk on demand."""
    return isinstance(X, np.memmap)


def _normalize(value):
    """A parameter value in a form that compares by value (sequences become tuples)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_normalize(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _same(a, b) -> bool:
    if isinstance(a, (nn.Module, type)) or isinstance(b, (nn.Module, type)):
        return a is b
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return a is b
