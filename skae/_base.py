# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""What every skae estimator does: validation, scaling, the skorch net, seeding, batching, device.

Data flows one way::

    X -> validate_data -> (optional standardisation) -> float tensors -> skorch net (net_) -> codes

Subclasses only say what differs: whether the latent is variational
(``_variational``), which extra loss terms apply, and their public methods.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, PassthroughScoring, ProgressBar
from skorch.helper import predefined_split
from torch import nn

from ._data import INFERENCE_BATCH_SIZE, ArrayDataset, BatchIterator, batched_map, to_float_tensor
from ._threads import choose_threads, torch_threads
from .exceptions import FitInterruptedWarning
from .nn import ACTIVATIONS, AutoencoderLoss, build_autoencoder

__all__ = ["BaseAutoencoder"]

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "nadam": torch.optim.NAdam,
    "radam": torch.optim.RAdam,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
}

_SAME_AS_INITIALIZED = "__same_as_initialized__"

#: Built-in optimizers that have a fused implementation on CPU and CUDA.
FUSED = {"adam", "adamw", "sgd", "adagrad"}

PRECISIONS = {"32": None, "bf16": torch.bfloat16, "16-mixed": torch.float16}


def resolve_device(device) -> torch.device:
    """``"auto"`` is CUDA when available, then MPS, else CPU; anything else is checked.

    Only devices skae can train on are accepted: ``"cpu"``, ``"cuda"`` (or
    ``"cuda:N"``) when PyTorch sees a GPU, ``"mps"`` when available. Anything
    else is refused with a ``ValueError`` naming ``device`` before any work.
    """
    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"Invalid device {device!r}: {exc}") from None
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(
            f"device={device!r} is not supported: skae trains on 'cpu', 'cuda' or 'mps' "
            "(or 'auto', which picks the best available)."
        )
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was requested but CUDA is not available.")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only {torch.cuda.device_count()} "
                "CUDA device(s) are visible."
            )
    if dev.type == "mps" and not _mps_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available.")
    return dev


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


#: Names of the starts ``init`` chooses between, for messages.
_STARTS = {"pca": "PCA-anchored", "random": "random"}

#: How many times a diverged fit is retried, each with a 10x smaller learning rate.
_DIVERGENCE_RETRIES = 2


class _Diverged(FloatingPointError):
    """Training produced a non-finite loss or weights."""


class _StopTraining(Exception):
    """Raised by early stopping to end skorch's training loop (a user's Ctrl-C stays apart)."""


class _DivergenceCheck(Callback):
    """Stop with a clear error as soon as an epoch's loss is not finite."""

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        for key in ("train_loss", "valid_loss"):
            value = row.get(key)
            if value is not None and not math.isfinite(value):
                raise _Diverged(
                    f"Training diverged: {key} became {value} at epoch {row['epoch']} "
                    f"with learning_rate={self.learning_rate:g}."
                )


class _EarlyStopping(Callback):
    """Stop when the validation loss stops improving; restore the best state seen.

    skorch's ``EarlyStopping(load_best=True)`` with a relative threshold, plus
    one more candidate: the state training starts from (a new network's
    initialisation, or the model a warm start continues). It is restored when
    no epoch reached a lower validation loss, so training never ends worse on
    the validation data than it started. Epochs run without validation data
    (``partial_fit``) are ignored.
    """

    def __init__(self, patience, tol, sink=None):
        self.patience = patience
        self.tol = tol
        self.sink = sink

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.misses_ = 0
        self.threshold_ = math.inf
        self.best_epoch_ = None
        self.best_weights_ = None
        self.initial_ = None
        if net.train_split is not None:
            self.initial_ = (len(net.history), copy.deepcopy(net.module_.state_dict()))

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        if "valid_loss" not in row:
            return
        loss = row["valid_loss"]
        if loss < self.threshold_:
            self.misses_ = 0
            self.threshold_ = loss - self.tol * abs(loss)
            self.best_epoch_ = row["epoch"]
            self.best_weights_ = copy.deepcopy(net.module_.state_dict())
        else:
            self.misses_ += 1
        if self.misses_ >= self.patience:
            self._say(
                f"Stopping since valid_loss has not improved in the last {self.patience} epochs."
            )
            raise _StopTraining

    def on_train_end(self, net, X=None, **kwargs):
        initial, self.initial_ = self.initial_, None
        best, self.best_weights_ = self.best_weights_, None
        if getattr(net, "interrupted_", False) or not len(net.history):
            return
        if best is not None and self.best_epoch_ != net.history[-1, "epoch"]:
            net.module_.load_state_dict(best)
            self._say(f"Restoring best model from epoch {self.best_epoch_}.")
        if initial is not None and not self._beats_start(net, X, initial[1]):
            net.module_.load_state_dict(initial[1])
            self.best_epoch_ = initial[0]
            self._say(
                f"Restoring the starting state (epoch {initial[0]}): no epoch reconstructed "
                "the validation rows clearly better."
            )

    @staticmethod
    def _beats_start(net, X, start_weights):
        """Whether the current weights reconstruct the validation rows clearly better."""
        # All validation rows (not a process's shard), so that every process of a
        # data-parallel fit takes the same decision.
        _, valid = net.get_split_datasets(X)
        module = getattr(net.module_, "module", net.module_)  # inside a DDP wrapper
        trained = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}
        errors = _row_errors(module, valid)
        net.module_.load_state_dict(start_weights)
        reference = _row_errors(module, valid)
        net.module_.load_state_dict(trained)
        return _clearly_better(errors, reference)

    def _say(self, message):
        if self.sink is not None:
            self.sink(message)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["best_weights_"] = state["initial_"] = None
        return state


class _AutoencoderNet(NeuralNet):
    """skorch ``NeuralNet`` that logs the criterion's extra terms and supports autocast.

    The training loop, callbacks, history and checkpointing are skorch's own;
    only two hooks are extended.
    """

    def __init__(self, *args, log_terms=(), precision="32", **kwargs):
        super().__init__(*args, **kwargs)
        self.log_terms = log_terms
        self.precision = precision

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """skorch's ``partial_fit``, telling a user's interruption from early stopping.

        A ``KeyboardInterrupt`` (Ctrl-C) rewinds to the last completed epoch
        (weights, optimizer state and history) and sets ``interrupted_``; when
        no epoch of this call completed it propagates, so that the estimator
        can put its previous state back.
        """
        if not self.initialized_:
            self.initialize()
        routing_method = fit_params.pop("_routing_method", "partial_fit")
        self.interrupted_ = False
        self._last_good = None
        n_before = len(self.history)
        self.notify("on_train_begin", X=X, y=y)
        try:
            self.fit_loop(X, y, _routing_method=routing_method, **fit_params)
        except _StopTraining:
            pass
        except KeyboardInterrupt:
            self.interrupted_ = True
            self._rewind()
            if len(self.history) == n_before:
                raise
        self.notify("on_train_end", X=X, y=y)
        self._last_good = None
        return self

    def notify(self, method_name, **cb_kwargs):
        if method_name == "on_epoch_begin":
            self._last_good = self._training_state()
            self._epoch_trained = False
        if method_name != "on_epoch_end":
            return super().notify(method_name, **cb_kwargs)
        # Training and validation of the epoch are done: its weights are final.
        self._epoch_trained = True
        getattr(self, method_name)(self, **cb_kwargs)
        for _, cb in self.callbacks_:
            try:
                getattr(cb, method_name)(self, **cb_kwargs)
            except KeyboardInterrupt:
                # skorch's own EarlyStopping (a user's callback) stops this way.
                if isinstance(cb, EarlyStopping):
                    raise _StopTraining from None
                raise
        return None

    def _training_state(self):
        """A copy of what an epoch changes: weights, optimizer state, number of epochs."""
        weights = {k: v.detach().clone() for k, v in self.module_.state_dict().items()}
        return weights, copy.deepcopy(self.optimizer_.state_dict()), len(self.history)

    def _rewind(self):
        """Drop the epoch an interruption cut short: back to the state it began from.

        An epoch counts as completed once its training and validation passes
        ran and its losses were recorded (an interruption in a later
        ``on_epoch_end`` callback keeps it).
        """
        if self._last_good is None:
            return
        row = self.history[-1] if len(self.history) else {}
        keys = ["train_loss"] + (["valid_loss"] if self.train_split is not None else [])
        if getattr(self, "_epoch_trained", False) and all(k in row for k in keys):
            return
        weights, optimizer_state, n_epochs = self._last_good
        self.module_.load_state_dict(weights)
        self.optimizer_.load_state_dict(optimizer_state)
        del self.history[n_epochs:]

    def _set_training(self, training=True):
        # skorch calls this for every batch and ``Module.train`` walks the whole
        # module tree; skip the walk when the mode is already right.
        if self.module_.training is training and self.criterion_.training is training:
            return
        super()._set_training(training)

    def initialize(self):
        super().initialize()
        # float16 autocast needs loss scaling against gradient underflow; bf16 does not.
        use_scaler = self.precision == "16-mixed"
        self.grad_scaler_ = (
            torch.amp.GradScaler(torch.device(self.device).type) if use_scaler else None
        )
        return self

    def __getstate__(self):
        # The scaler may hold CUDA tensors outside skorch's device mapping; its
        # state is a running loss scale, cheap to rebuild after unpickling.
        state = super().__getstate__()
        state.pop("grad_scaler_", None)
        # module/criterion were given as instances, so skorch's ``module_`` is the
        # same object: pickle it once, through skorch's device-mapping path.
        for name in ("module", "criterion"):
            if state.get(name) is self.__dict__.get(name + "_"):
                state[name] = _SAME_AS_INITIALIZED
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        for name in ("module", "criterion"):
            if isinstance(self.__dict__.get(name), str) and (
                self.__dict__[name] == _SAME_AS_INITIALIZED
            ):
                setattr(self, name, getattr(self, name + "_"))
        if self.precision == "16-mixed" and getattr(self, "initialized_", False):
            self.grad_scaler_ = torch.amp.GradScaler(torch.device(self.device).type)
        else:
            self.grad_scaler_ = None

    def train_step_single(self, batch, **fit_params):
        if self.grad_scaler_ is None:
            return super().train_step_single(batch, **fit_params)
        self._set_training(True)
        Xi, yi = batch
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        self.grad_scaler_.scale(loss).backward()
        return {"loss": loss, "y_pred": y_pred}

    def _step_optimizer(self, step_fn):
        if self.grad_scaler_ is None:
            return super()._step_optimizer(step_fn)
        step_fn()
        self.grad_scaler_.step(self.optimizer_)
        self.grad_scaler_.update()
        return None

    def infer(self, x, **fit_params):
        dtype = PRECISIONS[self.precision]
        if dtype is None:
            return super().infer(x, **fit_params)
        device_type = torch.device(self.device).type
        with torch.autocast(device_type=device_type, dtype=dtype):
            out = super().infer(x, **fit_params)
        return tuple(o.float() for o in out)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        prefix = "train_" if training else "valid_"
        for name in self.log_terms:
            value = self.criterion_.last_terms.get(name)
            if value is not None:
                self.history.record_batch(prefix + name, value.item())
        return loss


class BaseAutoencoder(BaseEstimator):
    """Base class of skae's estimators. Not for direct use.

    Holds the parameters every autoencoder shares and all the plumbing:
    input validation, standardisation, building and training the skorch net
    (``net_``), seeding, batching, device placement and batched inference.
    """

    _variational = False  # overridden by the VAE

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
        dense = self.architecture == "mlp" and self.encoder is None and self.decoder is None
        linear = self.output_activation in ("auto", "identity") and self.loss in ("auto", "mse")
        if dense and linear and not self._variational:
            return ["pca", "random"]
        return ["random"]

    def _criterion_options(self):
        """Extra keyword arguments of :class:`~skae.nn.AutoencoderLoss` (a subclass hook)."""
        return {}

    def _batch_size(self, n_train):
        if self.batch_size != "auto":
            return self.batch_size
        # About n_train / 200 rows per batch, a power of two from 32 to 512: small
        # tables get enough optimizer steps per epoch, large data fast epochs.
        return int(2 ** np.clip(np.round(np.log2(max(n_train, 1) / 200)), 5, 9))

    def _build_module(self, input_shape, hidden_layer_sizes, noise_range):
        """A new, untrained autoencoder module for the current parameters.

        Records the parameters that define it (``_structure_``): continuing
        training (warm start, ``partial_fit``) needs them unchanged.
        """
        self._structure_ = self._structure()
        module = build_autoencoder(
            self.n_features_in_,
            self.n_components_,
            architecture=self.architecture,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=self.activation,
            output_activation=self.output_activation_,
            batch_norm=self.batch_norm,
            dropout=self.dropout,
            input_shape=input_shape,
            conv_channels=tuple(self.conv_channels),
            kernel_size=self.kernel_size,
            downsample=self.downsample,
            noise=self.noise,
            noise_level=self.noise_level,
            noise_range=noise_range,
            variational=self._variational,
            encoder=self.encoder,
            decoder=self.decoder,
            init=self.init_,
            # the range of a clipped output: [0, 1] or [-1, 1], as the data's
            output_range=(0.0, 1.0) if noise_range[0] >= 0 else (-1.0, 1.0),
        )
        if self.encoder is not None or self.decoder is not None:
            self._check_parts(module)
        return module

    def _build_net(
        self,
        input_shape,
        hidden_layer_sizes,
        noise_range,
        n_train,
        *,
        module=None,
        learning_rate=None,
    ):
        """The skorch net training ``module`` (a new one is built when ``None``)."""
        if module is None:
            module = self._build_module(input_shape, hidden_layer_sizes, noise_range)
        lr = self.learning_rate if learning_rate is None else learning_rate
        criterion = AutoencoderLoss(
            self.loss_,
            output_activation=module.output_activation,
            latent_l1=self.latent_l1,
            **self._criterion_options(),
        )
        log_terms = []
        callbacks = [("divergence", _DivergenceCheck(lr))]
        if self._variational:
            log_terms += ["reconstruction", "kl"]
        if self.latent_l1 > 0:
            log_terms += ["reconstruction", "latent_l1"]
        log_terms = list(dict.fromkeys(log_terms))
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

        optimizer, options = _optimizer_class(self.optimizer, self.weight_decay, self.device_)
        optimizer_kwargs = {f"optimizer__{k}": v for k, v in options.items()}
        net_cls, net_kwargs = _AutoencoderNet, {"device": self.device_}
        if acc is not None:
            from ._accelerate import net_options

            net_cls, net_kwargs = net_options(acc)
        # AccelerateMixin always configures the print_log callback: silence it
        # instead of removing it.
        quiet = {"callbacks__print_log": None}
        if acc is not None:
            quiet = {"callbacks__print_log__sink": _silent}
        return net_cls(
            module=module,
            criterion=criterion,
            optimizer=optimizer,
            **optimizer_kwargs,
            lr=lr,
            max_epochs=self.max_epochs,
            batch_size=self._batch_size(n_train),
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
        n_code = 2 * self.n_components_ if self._variational else self.n_components_
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
        saved = _EstimatorState(self, continuing=partial or self.warm_start)
        try:
            with _caller_state_kept():
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
        _optimizer_class(self.optimizer, self.weight_decay)
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

        noise_range = None if continuing else self._fit_preprocessing(X)

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
            _flush_denormal(),
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
                self.net_ = self._build_net(
                    input_shape, hidden, None, n_train, module=self._bare_module()
                )
                self.net_.initialize()
                _carry_training_state(old, self.net_)
                self._train_net(data, valid, seed, partial)
                interrupted = self.net_.interrupted_
            else:
                build = (input_shape, hidden, noise_range)
                interrupted = self._fit_new_net(X, data, valid, seed, build, partial)

        history = self.net_.history
        self.loss_curve_ = [float(v) for v in history[:, "train_loss"]]
        self.validation_scores_ = (
            [float(v) for v in history[:, "valid_loss"]] if "valid_loss" in history[-1] else None
        )
        self.n_iter_ = len(history)
        self.net_.module_.eval()
        return X, interrupted

    def _fit_new_net(self, X, data, valid, seed, build_args, partial):
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
        say = print if self.verbose and len(candidates) > 1 else _silent
        errors = {}
        interrupted = False
        for init in candidates:
            say(f"Training the {_STARTS[init]} start (init={init!r}).")
            self.init_ = init
            self.output_activation_, self.loss_, _, _ = self._resolve_output(X)
            try:
                self._train_candidate(X, data, valid, seed, build_args, partial)
            except KeyboardInterrupt:
                if best is None:  # nothing trained yet: the fit is cancelled
                    raise
                interrupted = True
                break
            interrupted = self.net_.interrupted_
            if len(candidates) == 1:
                return interrupted
            rows = _row_errors(self._bare_module(), valid)
            errors[init] = float(rows.mean())
            # A later start replaces the kept one only if clearly better (the first,
            # PCA-anchored, one is itself never worse than PCA on these rows).
            if best is None or _clearly_better(rows, best[0]):
                best = (rows, self.net_, self.init_, self.output_activation_, self.loss_)
            if interrupted:
                break
        _, self.net_, self.init_, self.output_activation_, self.loss_ = best
        scores = ", ".join(f"{k}: {v:.4g}" for k, v in errors.items())
        say(f"Kept init={self.init_!r} (validation reconstruction error {scores}).")
        return interrupted

    def _train_candidate(self, X, data, valid, seed, build_args, partial):
        """Build and train a new network; retry with smaller learning rates if it diverges."""
        input_shape, hidden, noise_range = build_args
        n_train = len(data)
        learning_rates = [self.learning_rate * 10.0**-i for i in range(_DIVERGENCE_RETRIES + 1)]
        for attempt, lr in enumerate(learning_rates):
            torch.manual_seed(seed)
            self.net_ = self._build_net(input_shape, hidden, noise_range, n_train, learning_rate=lr)
            self.net_.initialize()
            module = self._bare_module()
            if module.init_pca_(X, shift=self.mean_, scale=self.scale_):
                pass  # PCA-anchored: starts as the training data's PCA
            elif self.mean_ is None:  # standardised data have mean 0: nothing to do
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
        if not _finite_parameters(self._bare_module()):
            raise _Diverged(
                "Training diverged: the network's weights became non-finite at epoch "
                f"{len(self.net_.history)} (learning_rate={self.net_.lr:g})."
            )

    def _fit_preprocessing(self, X):
        """Set output activation, loss, standardisation and device from the training data.

        Returns the ``(low, high)`` range the network sees (for salt-and-pepper noise).
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
        self.mean_ = self.scale_ = None
        if standardize:
            self.mean_, self.scale_ = _column_mean_std(X)
            lo = float(np.min((X.min(axis=0) - self.mean_) / self.scale_))
            hi = float(np.max((X.max(axis=0) - self.mean_) / self.scale_))
        if self.accelerator is not None:
            # accelerate places the network (and sets the current CUDA device of
            # each process, so "cuda" is this process's GPU).
            self.device_ = self.accelerator.device.type
        else:
            self.device_ = resolve_device(self.device).type
        return lo, hi

    def _make_dataset(self, X, indices, like=None, stream=False):
        shift = scale = None
        if self.mean_ is not None:
            shift = torch.as_tensor(self.mean_, dtype=torch.float32)
            scale = torch.as_tensor(self.scale_, dtype=torch.float32)
        if like is not None:
            # Share the already converted tensor between training and validation data.
            ds = copy.copy(like)
            ds.indices = torch.as_tensor(indices, dtype=torch.long)
            return ds
        return ArrayDataset(
            X,
            indices,
            shift=shift,
            scale=scale,
            device=self.device_,
            dtype=torch.float32,
            preload=not stream and _fits_on(self.device_, X.shape[0] * X.shape[1] * 4),
        )

    # ------------------------------------------------------------------ inference
    def _bare_module(self):
        """``net_.module_`` without the wrapper ``accelerate`` adds while training."""
        module = self.net_.module_
        accelerator = getattr(self.net_, "accelerator", None)
        return module if accelerator is None else accelerator.unwrap_model(module)

    def _inference_module(self, dtype):
        """The trained module in eval mode, in ``dtype`` (a float64 copy for float64 input)."""
        module = self._bare_module()
        module.eval()
        if dtype != torch.float32:
            module = copy.deepcopy(module).to(dtype)
        return module

    def _affine(self, dtype, device):
        if self.mean_ is None:
            return None, None
        return (
            torch.as_tensor(self.mean_, dtype=dtype, device=device),
            torch.as_tensor(self.scale_, dtype=dtype, device=device),
        )

    def _map(self, X, n_out, fn):
        """Run ``fn(module, scaled_batch, shift, scale)`` over ``X`` in chunks, in X's dtype."""
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        device = torch.device(self.device_)
        module = self._inference_module(dtype)
        shift, scale = self._affine(dtype, device)
        out = np.empty((X.shape[0], n_out), dtype=X.dtype)

        def prepare(chunk):
            return to_float_tensor(chunk, dtype, device)

        rows = min(X.shape[0], INFERENCE_BATCH_SIZE)
        threads = choose_threads(self.n_jobs, self._work_per_row() * rows)
        with torch.inference_mode(), torch_threads(threads):
            return batched_map(lambda xb: fn(module, xb, shift, scale), X, out, prepare=prepare)

    def _work_per_row(self):
        """Multiply-accumulates per row of a forward pass, roughly (to choose threads)."""
        module = self._bare_module()
        work = sum(p.numel() for p in module.parameters())
        if self.architecture == "conv":
            # each convolution weight is used at every position of its (downsampled) map
            work *= max(1, self.n_features_in_ // 4)
        return work

    @staticmethod
    def _scale(x, shift, scale):
        return x if shift is None else (x - shift) / scale

    @staticmethod
    def _unscale(x, shift, scale):
        return x if shift is None else x * scale + shift

    def _encode(self, X):
        return self._map(
            X,
            self.n_components_,
            lambda m, xb, sh, sc: m.encode(self._scale(xb, sh, sc)),
        )

    def _decode(self, Z):
        return self._map(
            Z,
            self.n_features_in_,
            lambda m, zb, sh, sc: self._unscale(m.decode(zb), sh, sc),
        )

    def _reconstruct(self, X):
        """Reconstruction of validated ``X`` in the input's units, in X's dtype."""
        return self._map(
            X,
            self.n_features_in_,
            lambda m, xb, sh, sc: self._unscale(
                m.decode(m.encode(self._scale(xb, sh, sc))), sh, sc
            ),
        )

    def _squared_error(self, X):
        """Per-sample mean squared reconstruction error in the input's units."""

        def err(m, xb, sh, sc):
            rec = self._unscale(m.decode(m.encode(self._scale(xb, sh, sc))), sh, sc)
            return ((rec - xb) ** 2).mean(dim=1, keepdim=True)

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

    # ------------------------------------------------------------------ persistence
    def save(self, path):
        """Save the fitted estimator to a zip of ``config.json`` and ``model.safetensors``.

        Loading it back with :func:`skae.load` never unpickles nor runs code
        from the file. Models with custom ``torch.nn.Module`` parts or
        callbacks cannot be saved this way; use :mod:`pickle`/:mod:`joblib`.

        Parameters
        ----------
        path : str or path-like
            Destination file (written atomically).

        Returns
        -------
        path : pathlib.Path
            The file written.
        """
        from ._persistence import save

        return save(self, path)

    def to_onnx(self, path, *, part="encoder", opset=None):
        """Export the fitted network, input scaling included, to ONNX.

        Parameters
        ----------
        path : str or path-like
            Destination ``.onnx`` file (written atomically).
        part : {"encoder", "decoder", "autoencoder"}, default="encoder"
            ``"encoder"`` maps X to codes (like :meth:`transform`),
            ``"decoder"`` codes to rows (like ``inverse_transform``) and
            ``"autoencoder"`` X to its reconstruction. The batch axis is dynamic.
        opset : int, default=None
            ONNX opset version, from 13 to the newest that torch's exporter,
            ``onnx`` and ``onnxruntime`` all support here; ``None`` uses skae's
            default. Other values raise ``ValueError`` before anything is written.

        Returns
        -------
        path : pathlib.Path
            The file written.
        """
        from ._onnx import to_onnx

        return to_onnx(self, path, part=part, opset=opset)

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
        net = self.net_
        net.module_.to(device)
        net.criterion_.to(device)
        for state in net.optimizer_.state.values():
            for key, value in state.items():
                if isinstance(value, torch.Tensor):
                    state[key] = value.to(device)
        net.device = device.type
        self.device_ = device.type

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags


def _positive_int(value) -> bool:
    """A positive integer, and not a boolean (``True`` is an ``Integral`` in Python)."""
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_)) and value > 0


def _silent(*args, **kwargs):
    """A sink that prints nothing (skorch callbacks print through a sink)."""


def _is_lazy(X) -> bool:
    """True for a ``np.memmap``: training then reads batches from disk on demand."""
    return isinstance(X, np.memmap)


def _fits_on(device: str, nbytes: int) -> bool:
    """Whether a float32 copy of the training data fits comfortably on ``device``.

    The CPU always takes the one-tensor fast path (the float32 tensor shares the
    caller's memory when X is already float32). On CUDA the data are moved to the
    GPU once if they use at most half the free memory; otherwise batches stream
    from pinned host memory.
    """
    if device != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info()
    return nbytes <= free // 2


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


def _column_mean_std(X, chunk_rows=65536):
    """Per-column mean and standard deviation in float64, in chunks (no full-size temporary).

    Zero standard deviations are replaced by 1, as in
    :class:`~sklearn.preprocessing.StandardScaler`.
    """
    mean = X.mean(axis=0, dtype=np.float64)
    sq = np.zeros_like(mean)
    for start in range(0, X.shape[0], chunk_rows):
        diff = X[start : start + chunk_rows].astype(np.float64) - mean
        sq += np.einsum("ij,ij->j", diff, diff)
    std = np.sqrt(sq / X.shape[0])
    std[std < 10 * np.finfo(np.float64).eps] = 1.0
    return mean, std


def _flush_denormal_enabled() -> bool:
    """Whether the CPU currently flushes denormal floats to zero (torch has no getter)."""
    return bool((torch.tensor([1e-40], dtype=torch.float32) * 1.0).item() == 0.0)


@contextlib.contextmanager
def _flush_denormal():
    """Treat denormal floats as zero on the CPU while training.

    Weights and activations drifting towards zero become denormal numbers, which
    x86 CPUs process up to 100x slower: without this, epoch times were seen to
    grow 7x within 40 epochs. The caller's setting is restored afterwards.
    """
    before = _flush_denormal_enabled()
    supported = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if supported:
            torch.set_flush_denormal(before)


@contextlib.contextmanager
def _caller_state_kept():
    """Restore torch's process-wide settings that a fit may touch, whatever happens."""
    threads = torch.get_num_threads()
    dtype = torch.get_default_dtype()
    flush = _flush_denormal_enabled()
    grad = torch.is_grad_enabled()
    try:
        yield
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        if torch.get_default_dtype() != dtype:
            torch.set_default_dtype(dtype)
        if _flush_denormal_enabled() != flush:
            torch.set_flush_denormal(flush)
        torch.set_grad_enabled(grad)


class _EstimatorState:
    """What a fit may change, saved so that a failed fit can put it back.

    The attributes are saved shallowly: a fit from scratch replaces ``net_``
    by a new net and leaves the old one untouched. A fit that continues
    training (``warm_start``, ``partial_fit``) changes the existing module and
    optimizer in place, so their states are copied too.
    """

    def __init__(self, estimator, continuing):
        self.estimator = estimator
        self.attrs = dict(estimator.__dict__)
        self.net = estimator.__dict__.get("net_") if continuing else None
        if self.net is not None:
            module = estimator._bare_module()
            self.module = module
            self.weights = {k: v.detach().clone() for k, v in module.state_dict().items()}
            self.optimizer = copy.deepcopy(self.net.optimizer_.state_dict())
            self.history = copy.deepcopy(self.net.history)

    def restore(self):
        est = self.estimator
        est.__dict__.clear()
        est.__dict__.update(self.attrs)
        if self.net is not None:
            self.module.load_state_dict(self.weights)
            self.module.eval()
            self.net.optimizer_.load_state_dict(self.optimizer)
            self.net.history = self.history


def _carry_training_state(old, new):
    """Give ``new`` (a net around ``old``'s module) ``old``'s history and optimizer state.

    The optimizer's state (e.g. Adam's moments) carries over when the optimizer
    class is unchanged; its hyperparameters (learning rate, weight decay) are the
    ones ``new`` was built with, so changed settings take effect.
    """
    new.history = copy.deepcopy(old.history)
    if type(old.optimizer_) is type(new.optimizer_):
        settings = [
            {k: v for k, v in g.items() if k != "params"} for g in new.optimizer_.param_groups
        ]
        new.optimizer_.load_state_dict(old.optimizer_.state_dict())
        for group, fresh in zip(new.optimizer_.param_groups, settings, strict=True):
            group.update(fresh)


def _optimizer_class(optimizer, weight_decay, device="cpu"):
    """The optimizer class and its keyword arguments; clear errors for what cannot work."""
    options = {}
    if isinstance(optimizer, str):
        cls = OPTIMIZERS[optimizer]
        if optimizer in FUSED and device in ("cpu", "cuda"):
            # One fused kernel per step instead of one per parameter tensor:
            # 25-40 % faster epochs for the default MLP on CPU, same maths.
            options["fused"] = True
    elif isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer):
        cls = optimizer
    else:
        raise TypeError(
            f"optimizer must be one of {sorted(OPTIMIZERS)} or a torch.optim.Optimizer "
            f"subclass, got {optimizer!r}."
        )
    params = inspect.signature(cls.__init__).parameters
    open_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
    if "lr" not in params and not open_kwargs:
        raise ValueError(
            f"optimizer={cls.__name__} takes no 'lr' argument, which skae sets from "
            "learning_rate. Use an optimizer that accepts it."
        )
    if "weight_decay" in params or open_kwargs:
        options["weight_decay"] = weight_decay
    elif weight_decay:
        raise ValueError(
            f"optimizer={cls.__name__} has no weight decay, but weight_decay={weight_decay}. "
            "Set weight_decay=0 or choose an optimizer that supports it."
        )
    return cls, options


@torch.no_grad()
def _row_errors(module, dataset, batch_size=4096):
    """Mean squared reconstruction error of each row of an :class:`ArrayDataset` (float64)."""
    was_training = module.training
    module.eval()
    errors = []
    for start in range(0, len(dataset), batch_size):
        xb = dataset.batch(dataset.indices[start : start + batch_size])
        errors.append(((module.decode(module.encode(xb)) - xb) ** 2).mean(dim=1).double().cpu())
    module.train(was_training)
    return torch.cat(errors)


#: How many standard errors a model must beat the one it would replace by, on the
#: validation rows, to replace it: the one-standard-error rule of model selection
#: (Breiman et al., CART), with the simpler model (PCA's state, the anchored start)
#: kept unless the trained one is better beyond the noise of the validation split.
_SIGNIFICANCE = 1.0


def _clearly_better(errors, reference):
    """Whether per-row ``errors`` are lower than ``reference``'s beyond validation noise.

    A paired test: the mean of the differences must be below ``-_SIGNIFICANCE``
    standard errors. On a validation split of a few dozen rows a lower mean
    alone is often luck (measured: diabetes, 33 validation rows, kept a model
    3.6 % worse than PCA on the test rows), and the held-out data then prefer
    the reference.
    """
    diff = errors - reference
    if len(diff) < 2:
        return bool(diff.mean() < 0)
    se = float(diff.std()) / math.sqrt(len(diff))
    return float(diff.mean()) < -_SIGNIFICANCE * se


def _finite_parameters(module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in module.parameters())


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
