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
import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import Callback, PassthroughScoring, ProgressBar
from skorch.helper import predefined_split
from torch import nn

from ._data import (
    INFERENCE_BATCH_SIZE,
    ArrayDataset,
    BatchIterator,
    batched_map,
    column_mean_std,
    to_float_tensor,
)
from ._device import fits_on, move_net, resolve_device
from ._net import (
    OPTIMIZERS,
    PRECISIONS,
    _AutoencoderNet,
    _Diverged,
    _DivergenceCheck,
    _EarlyStopping,
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
from .nn import ACTIVATIONS, AutoencoderLoss, build_autoencoder

__all__ = ["BaseAutoencoder"]

#: Names of the starts ``init`` chooses between, for messages.
_STARTS = {"pca": "PCA-anchored", "random": "random"}

#: How many times a diverged fit is retried, each with a 10x smaller learning rate.
_DIVERGENCE_RETRIES = 2


class BaseAutoencoder(BaseEstimator):
    """Base class of skae's estimators. Not for direct use.

    Holds the parameters every autoencoder shares and all the plumbing:
    input validation, standardisation, building and training the skorch net
    (``net_``), seeding, batching, device placement and batched inference.
    """

    #: Every concrete estimator class, by name (``skae.load`` builds only these).
    _registry: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        BaseAutoencoder._registry[cls.__name__] = cls

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "architecture": [StrOptions({"mlp", "conv"})],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS) - {"identity", "sigmoid"}), type],
        "output_activation": [StrOptions({"auto", "sigmoid", "tanh", "identity"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "input_shape": ["array-like", None],
        "conv_channels": ["array-like"],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "downsample": [StrOptions({"maxpool", "stride"})],
        "noise": [StrOptions({"gaussian", "masking", "salt_and_pepper"}), None],
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "latent_l1": [Interval(Real, 0, None, closed="left")],
        "loss": [StrOptions({"auto", "mse", "bce"})],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "precision": [StrOptions(set(PRECISIONS))],
        "compile": ["boolean"],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "accelerator": [None, HasMethods(["prepare", "backward"])],
        "warm_start": ["boolean"],
        "encoder": [nn.Module, type, None],
        "decoder": [nn.Module, type, None],
        "init": [StrOptions({"auto", "pca", "random"})],
        "n_jobs": [Interval(Integral, None, None, closed="neither"), None],
    }

    # ------------------------------------------------------------------ checks
    def _check_structure(self):
        """Validate parameters that ``_parameter_constraints`` cannot express."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral):
            sizes = (sizes,)
        sizes = tuple(sizes)
        if not all(_positive_int(s) for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be a sequence of positive integers, got {sizes!r}."
            )
        channels = tuple(self.conv_channels)
        if self.architecture == "conv":
            if self.kernel_size % 2 == 0:
                raise ValueError(
                    f"kernel_size must be odd for architecture='conv' (padding kernel_size // 2 "
                    f"keeps the sizes mirrored), got {self.kernel_size}."
                )
            if not channels or not all(_positive_int(c) for c in channels):
                raise ValueError(
                    f"conv_channels must be a non-empty sequence of positive integers, "
                    f"got {channels!r}."
                )
            if self.input_shape is None:
                raise ValueError(
                    "architecture='conv' needs input_shape, e.g. (28, 28) or (3, 32, 32)."
                )
            shape = tuple(self.input_shape)
            if len(shape) == 2:
                shape = (1, *shape)
            ok = len(shape) == 3 and all(
                isinstance(s, Integral) and (s > 0 or s == -1) for s in shape
            )
            if not ok or shape.count(-1) > 1:
                raise ValueError(
                    "input_shape must be (height, width) or (channels, height, width) with "
                    f"positive integers (one may be -1), got {self.input_shape!r}."
                )
            if -1 in shape:
                known = -math.prod(shape)
                if self.n_features_in_ % known:
                    raise ValueError(
                        f"input_shape={tuple(self.input_shape)} cannot hold rows of "
                        f"{self.n_features_in_} features."
                    )
                shape = tuple(self.n_features_in_ // known if s == -1 else s for s in shape)
            if math.prod(shape) != self.n_features_in_:
                raise ValueError(
                    f"input_shape={tuple(self.input_shape)} holds {math.prod(shape)} values per "
                    f"row but X has {self.n_features_in_} features."
                )
            return sizes, shape
        return sizes, None

    def _resolve_output(self, X):
        """Pick output activation, loss and standardisation from the training data."""
        lo, hi = float(np.min(X)), float(np.max(X))
        in_unit = lo >= 0.0 and hi <= 1.0
        in_sym = lo >= -1.0 and hi <= 1.0
        out = self.output_activation
        if self.init_ == "pca":
            if out in ("sigmoid", "tanh") or self.loss == "bce":
                raise ValueError(
                    f"output_activation={out!r} and loss={self.loss!r} need init='random': "
                    "a PCA-anchored network (init='pca') reconstructs linearly and trains "
                    "on the squared error; with output_activation='auto' its output is "
                    "clipped to [0, 1] or [-1, 1] for data in that range."
                )
            if out == "auto":
                out = "clip" if in_sym else "identity"
            return out, "mse", out == "identity" and not in_sym, (lo, hi)
        if out == "auto":
            out = "sigmoid" if in_unit else ("tanh" if in_sym else "identity")
        elif out == "sigmoid" and not in_unit:
            raise ValueError(
                f"output_activation='sigmoid' outputs values in (0, 1) but X ranges over "
                f"[{lo:g}, {hi:g}]. Scale X to [0, 1] or use output_activation='identity'."
            )
        elif out == "tanh" and not in_sym:
            raise ValueError(
                f"output_activation='tanh' outputs values in (-1, 1) but X ranges over "
                f"[{lo:g}, {hi:g}]. Scale X to [-1, 1] or use output_activation='identity'."
            )
        loss = self.loss
        if loss == "auto":
            loss = "bce" if out == "sigmoid" else "mse"
        elif loss == "bce" and (not in_unit or out != "sigmoid"):
            raise ValueError(
                "loss='bce' needs X in [0, 1] and output_activation 'sigmoid' or 'auto'; "
                f"X ranges over [{lo:g}, {hi:g}] and output_activation={out!r}."
            )
        standardize = out == "identity" and not in_sym
        return out, loss, standardize, (lo, hi)

    # ------------------------------------------------------------------ building
    def _init_candidates(self, X):
        """The starts ``fit`` tries, best first: ``init``, or both for ``"auto"`` where they apply.

        ``"auto"`` tries the PCA-anchored start where the anchored module
        applies (dense, non-variational, built-in parts, a linear output and
        the squared error), then the random start.
        """
        if self.init != "auto":
            return [self.init]
        return ["pca", "random"] if self._anchorable() else ["random"]

    # ------------------------------------------------------------------ subclass hooks
    def _anchorable(self):
        """Whether the PCA-anchored module applies: dense built-in parts, linear output, MSE."""
        dense = self.architecture == "mlp" and self.encoder is None and self.decoder is None
        linear = self.output_activation in ("auto", "identity") and self.loss in ("auto", "mse")
        return dense and linear

    def _module_options(self):
        """Extra keyword arguments of :func:`~skae.nn.build_autoencoder` (a subclass hook)."""
        return {}

    def _code_width(self):
        """Width of the encoder's output (a subclass hook: the VAE's is twice the code)."""
        return self.n_components_

    def _log_terms(self):
        """Loss terms logged per epoch besides the total (a subclass hook)."""
        return ["reconstruction", "latent_l1"] if self.latent_l1 > 0 else []

    def _criterion_options(self):
        """Extra keyword arguments of :class:`~skae.nn.AutoencoderLoss` (a subclass hook)."""
        return {}

    def _batch_size(self, n_train):
        if self.batch_size != "auto":
            return self.batch_size
        # About n_train / 200 rows per batch, a power of two from 32 to 512: small
        # tables get enough optimizer steps per epoch, large data fast epochs.
        return int(2 ** np.clip(np.round(np.log2(max(n_train, 1) / 200)), 5, 9))

    def _build_module(self, scaling=None):
        """A new, untrained autoencoder module from the fitted attributes.

        Reads ``n_features_in_``, ``n_components_``, ``hidden_layer_sizes_``,
        ``input_shape_``, ``output_activation_``, ``init_`` and
        ``noise_range_`` (never a hyperparameter that names fitted state), so
        that loading a saved model builds the same module. ``scaling`` is the
        ``(mean, std)`` of the input standardisation the module holds, or
        ``None``. Records the parameters that define it (``_structure_``):
        continuing training (warm start, ``partial_fit``) needs them unchanged.
        """
        self._structure_ = self._structure()
        noise_range = self.noise_range_
        module = build_autoencoder(
            self.n_features_in_,
            self.n_components_,
            architecture=self.architecture,
            hidden_layer_sizes=self.hidden_layer_sizes_,
            activation=self.activation,
            output_activation=self.output_activation_,
            batch_norm=self.batch_norm,
            dropout=self.dropout,
            input_shape=self.input_shape_,
            conv_channels=tuple(self.conv_channels),
            kernel_size=self.kernel_size,
            downsample=self.downsample,
            noise=self.noise,
            noise_level=self.noise_level,
            noise_range=noise_range,
            encoder=self.encoder,
            decoder=self.decoder,
            init=self.init_,
            # the range of a clipped output: [0, 1] or [-1, 1], as the data's
            output_range=(0.0, 1.0) if noise_range[0] >= 0 else (-1.0, 1.0),
            # every module the estimators build holds a scaler (the identity when
            # they do not standardise), so that its structure never depends on data
            standardize=scaling
            or (torch.zeros(self.n_features_in_), torch.ones(self.n_features_in_)),
            **self._module_options(),
        )
        if self.encoder is not None or self.decoder is not None:
            self._check_parts(module)
        return module

    def _build_net(self, module, *, learning_rate=None):
        """The skorch net that trains ``module`` with the current training settings."""
        lr = self.learning_rate if learning_rate is None else learning_rate
        criterion = AutoencoderLoss(
            self.loss_,
            output_activation=module.output_activation,
            latent_l1=self.latent_l1,
            **self._criterion_options(),
        )
        callbacks = [("divergence", _DivergenceCheck(lr))]
        log_terms = list(dict.fromkeys(self._log_terms()))
        prefixes = ["train"] + (["valid"] if self.early_stopping else [])
        for term in log_terms:
            for prefix in prefixes:
                name = f"{prefix}_{term}"
                callbacks.append((name, PassthroughScoring(name, on_train=prefix == "train")))
        acc = self.accelerator
        if acc is not None and acc.num_processes > 1:
            from ._accelerate import _SyncScores

            # After the scorings, before the divergence check: every process must
            # take the same decisions from the same scores.
            keys = [f"{p}_{t}" for p in ("train", "valid") for t in ("loss", *log_terms)]
            callbacks = [*callbacks[1:], ("sync_scores", _SyncScores(acc, keys)), callbacks[0]]
        # With several processes only the main one prints.
        main_process = acc is None or acc.is_main_process
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    _EarlyStopping(
                        patience=self.n_iter_no_change,
                        tol=self.tol,
                        sink=print if self.verbose and main_process else None,
                    ),
                )
            )
        if self.verbose and main_process:
            callbacks.append(("progress_bar", ProgressBar()))
        for i, cb in enumerate(self.callbacks or []):
            name, obj = cb if isinstance(cb, tuple) and len(cb) == 2 else (f"user_{i}", cb)
            is_cb = isinstance(obj, Callback) or (
                isinstance(obj, type) and issubclass(obj, Callback)
            )
            if not (isinstance(name, str) and is_cb):
                raise TypeError(
                    "callbacks must be a list of skorch Callback instances or "
                    f"(name, callback) tuples; entry {i} is {cb!r}."
                )
            callbacks.append((name, obj))

        optimizer, options = optimizer_class(self.optimizer, self.weight_decay, self.device_)
        optimizer_kwargs = {f"optimizer__{k}": v for k, v in options.items()}
        net_cls, net_kwargs = _AutoencoderNet, {"device": self.device_}
        if acc is not None:
            from ._accelerate import net_options

            net_cls, net_kwargs = net_options(acc)
        # AccelerateMixin always configures the print_log callback: silence it
        # instead of removing it.
        quiet = {"callbacks__print_log": None}
        if acc is not None:
            quiet = {"callbacks__print_log__sink": silent}
        return net_cls(
            module=module,
            criterion=criterion,
            optimizer=optimizer,
            **optimizer_kwargs,
            lr=lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size_,
            iterator_train=BatchIterator,
            iterator_valid=BatchIterator,
            iterator_train__shuffle=True,
            train_split=None,
            callbacks=callbacks,
            # Outputs are post-processed by the estimator itself; never let skorch
            # apply a sigmoid/softmax behind our back.
            predict_nonlinearity=None,
            verbose=int(self.verbose),
            compile=self.compile,
            log_terms=tuple(log_terms),
            precision=self.precision,
            **net_kwargs,
            **({} if self.verbose else quiet),
        )

    def _check_parts(self, module):
        """Dry-run custom encoder/decoder on two zero rows and check their widths."""
        n_code = self._code_width()
        checks = [
            ("encoder", module.encoder, self.n_features_in_, n_code),
            ("decoder", module.decoder, self.n_components_, self.n_features_in_),
        ]
        was_training = module.training
        module.eval()
        try:
            for name, part, n_in, n_out in checks:
                with torch.no_grad():
                    try:
                        out = part(torch.zeros(2, n_in))
                    except RuntimeError as exc:
                        raise ValueError(
                            f"The {name} failed on a batch of shape (2, {n_in}): {exc}"
                        ) from exc
                if tuple(out.shape) != (2, n_out):
                    raise ValueError(
                        f"The {name} must map (batch, {n_in}) to (batch, {n_out}) "
                        f"(n_features_in_={self.n_features_in_}, "
                        f"n_components={self.n_components_}); it returned shape "
                        f"{tuple(out.shape)} for input (2, {n_in})."
                    )
        finally:
            module.train(was_training)

    # ------------------------------------------------------------------ fitting
    def _validate_X(self, X, *, reset):
        return validate_data(
            self,
            _from_torch(X),
            reset=reset,
            dtype=[np.float64, np.float32],
            ensure_min_samples=2 if reset else 1,
            ensure_all_finite=True,
        )

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
                # Moved with set_params(device=...) since: back for training.
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
            if continuing:
                old = self.net_
                self.net_ = self._build_net(self._bare_module())
                self.net_.initialize()
                carry_training_state(old, self.net_)
                self._train_net(data, valid, seed, partial)
                interrupted = self.net_.interrupted_
            else:
                interrupted = self._fit_new_net(X, data, valid, seed, scaling, partial)

        history = self.net_.history
        self.loss_curve_ = [float(v) for v in history[:, "train_loss"]]
        self.validation_loss_curve_ = (
            [float(v) for v in history[:, "valid_loss"]] if "valid_loss" in history[-1] else None
        )
        self.n_iter_ = len(history)
        self.net_.module_.eval()
        return X, interrupted

    def _fit_new_net(self, X, data, valid, seed, scaling, partial):
        """Train a new network for each candidate start; keep the best on the validation data.

        With ``init="auto"`` and a validation split, a PCA-anchored network
        and a randomly initialised one are both trained and the one with the
        lower validation reconstruction error is kept: the anchored start
        guarantees PCA's quality, the free start keeps the large nonlinear
        gains it finds on some data (it is not held near PCA's solution).
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
            self.output_activation_, self.loss_, _, _ = self._resolve_output(X)
            try:
                self._train_candidate(X, data, valid, seed, scaling, partial)
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
                best = (rows, self.net_, self.init_, self.output_activation_, self.loss_)
            if interrupted:
                break
        _, self.net_, self.init_, self.output_activation_, self.loss_ = best
        scores = ", ".join(f"{k}: {v:.4g}" for k, v in errors.items())
        say(f"Kept init={self.init_!r} (validation reconstruction error {scores}).")
        return interrupted

    def _train_candidate(self, X, data, valid, seed, scaling, partial):
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
                self._train_net(data, valid, seed, partial)
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

    def _train_net(self, data, valid, seed, partial):
        """Run skorch's training loop on ``net_``; raises ``_Diverged`` on non-finite weights."""
        if self.accelerator is not None:
            self.net_.device = None  # accelerate places the network
            if self.accelerator.num_processes > 1:
                from ._accelerate import split_generators

                split_generators(self.net_, seed)
        self.net_.train_split = predefined_split(valid) if valid is not None else None
        # skorch's partial_fit trains without re-initialising (warm start, or
        # the net just built); _AutoencoderNet stops cleanly on KeyboardInterrupt.
        threads = choose_threads(self.n_jobs, self._work_per_row() * self.net_.batch_size)
        with torch_threads(threads):
            self.net_.partial_fit(data, epochs=1 if partial else None)
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

    def _map(self, X, n_out, fn):
        """Run ``fn(module, batch)`` over ``X`` in chunks, in X's dtype (the module scales)."""
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        device = torch.device(self.device_)
        module = self._inference_module(dtype)
        out = np.empty((X.shape[0], n_out), dtype=X.dtype)

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
        """Set parameters; changing ``device`` on a fitted estimator moves its network.

        An unavailable device is refused before anything changes.
        """
        move = "device" in params and hasattr(self, "net_")
        device = resolve_device(params["device"]) if move else None
        super().set_params(**params)
        if move:
            self._move_to(device)
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
        if scaler is None or (bool((scaler.shift == 0).all()) and bool((scaler.scale == 1).all())):
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


def _positive_int(value) -> bool:
    """A positive integer, and not a boolean (``True`` is an ``Integral`` in Python)."""
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_)) and value > 0


def _is_lazy(X) -> bool:
    """True for a ``np.memmap``: training then reads batches from disk on demand."""
    return isinstance(X, np.memmap)


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
