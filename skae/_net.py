# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The skorch net that trains skae's modules, its callbacks and training utilities.

Below the estimators: nothing here knows scikit-learn's estimator API.
"""

from __future__ import annotations

import copy
import inspect
import math

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping

from ._data import BatchIterator

__all__ = [
    "FUSED",
    "OPTIMIZERS",
    "PRECISIONS",
    "carry_training_state",
    "clearly_better",
    "finite_parameters",
    "optimizer_class",
    "row_errors",
    "silent",
]

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


class _RegularizedValidation(Callback):
    """Add the net's regulariser term on the validation rows to the epoch's ``valid_loss``.

    Runs before early stopping, which then judges the whole objective
    (reconstruction and, e.g., how well the validation rows keep their
    neighbourhoods in the codes); records the term as ``valid_<name>``. Does
    nothing without a regulariser.
    """

    def on_epoch_end(self, net, **kwargs):
        regularizer = net.regularizer
        row = net.history[-1]
        if regularizer is None or "valid_loss" not in row:
            return
        module = getattr(net.module_, "module", net.module_)  # inside a DDP wrapper
        value = regularizer.validation_loss(module)
        if value is None:
            return
        net.history.record(f"valid_{regularizer.name}", value)
        net.history.record("valid_loss", row["valid_loss"] + regularizer.weight * value)


class _Stall:
    """Epochs since a loss last improved by more than ``tol`` (relative to its value)."""

    def __init__(self, tol):
        self.tol = tol
        self.threshold = math.inf
        self.misses = 0

    def update(self, value):
        """Count epoch ``value``; whether it improved."""
        if value < self.threshold:
            self.threshold = value - self.tol * abs(value)
            self.misses = 0
            return True
        self.misses += 1
        return False


class _EarlyStopping(Callback):
    """Stop when the validation loss stops improving; restore the best state seen.

    skorch's ``EarlyStopping(load_best=True)`` with a relative threshold, plus
    one more candidate: the state training starts from (a new network's
    initialisation, or the model a warm start continues). It is restored when
    no epoch reached a lower validation loss, so training never ends worse on
    the validation data than it started. Epochs run without validation data
    (``partial_fit``) are ignored.

    With ``decay=(factor, times)``, the first ``times`` stalls multiply the
    learning rate by ``factor`` and training goes on; the next one stops it
    (scikit-learn's ``MLPRegressor(learning_rate="adaptive")`` rule). Only
    numbers are kept: no reference to the optimizer outlives an epoch, so a
    pickled model carries none.
    """

    def __init__(self, patience, tol, sink=None, decay=None):
        self.patience = patience
        self.tol = tol
        self.sink = sink
        self.decay = decay

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.stall_ = _Stall(self.tol)
        self.decays_left_ = 0 if self.decay is None else self.decay[1]
        self.best_epoch_ = None
        self.best_weights_ = None
        self.initial_ = None
        if net.train_split is not None:
            self.initial_ = (len(net.history), copy.deepcopy(net.module_.state_dict()))

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        if "valid_loss" not in row:
            return
        if self.stall_.update(row["valid_loss"]):
            self.best_epoch_ = row["epoch"]
            self.best_weights_ = copy.deepcopy(net.module_.state_dict())
        if self.stall_.misses < self.patience:
            return
        if self.decays_left_:
            self.decays_left_ -= 1
            self.stall_.misses = 0
            for group in net.optimizer_.param_groups:
                group["lr"] *= self.decay[0]
            self._say(
                f"valid_loss has not improved in the last {self.patience} epochs: learning "
                f"rate multiplied by {self.decay[0]:g}."
            )
            return
        self._say(f"Stopping since valid_loss has not improved in the last {self.patience} epochs.")
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
        errors = row_errors(module, valid)
        net.module_.load_state_dict(start_weights)
        reference = row_errors(module, valid)
        net.module_.load_state_dict(trained)
        return clearly_better(errors, reference)

    def _say(self, message):
        if self.sink is not None:
            self.sink(message)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["best_weights_"] = state["initial_"] = None
        return state


class _RowsOnNet:
    """A :class:`~skae._data.BatchIterator` that leaves each batch's row numbers on the net.

    ``net._batch_rows`` holds the rows of the batch being trained, for a fit's
    regulariser (whose graph edges start at the batch's rows).
    """

    def __init__(self, iterator, net):
        self.iterator = iterator
        self.net = net

    def __len__(self):
        return len(self.iterator)

    def __iter__(self):
        try:
            for rows, xb in self.iterator.batches():
                self.net._batch_rows = rows
                yield xb, xb
        finally:
            self.net._batch_rows = None


class _AutoencoderNet(NeuralNet):
    """skorch ``NeuralNet`` that logs the criterion's extra terms and supports autocast.

    The training loop, callbacks, history and checkpointing are skorch's own;
    its hooks are extended for interruption (Ctrl-C rewinds to the last
    completed epoch), mixed precision, the module's scaled target and a fit's
    extra loss term (``regularizer``).
    """

    #: A training-time extra loss term: a callable ``(module, rows, codes) -> (name, weight,
    #: value)`` (the batch's row numbers and codes) set for the duration of a fit (e.g. the
    #: UMAP graph term), never saved.
    regularizer = None
    _batch_rows = None

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

    def get_iterator(self, dataset, training=False):
        iterator = super().get_iterator(dataset, training=training)
        if not training or self.regularizer is None:
            return iterator
        if not isinstance(iterator, BatchIterator):
            raise TypeError(
                "A latent regulariser needs skae's BatchIterator as iterator_train, got "
                f"{type(iterator).__name__}."
            )
        return _RowsOnNet(iterator, self)

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
        # The module works on scaled rows (its ``scaler``): so does the loss.
        module = getattr(self.module_, "module", self.module_)  # inside a DDP wrapper
        if hasattr(module, "scale_input"):
            y_true = module.scale_input(y_true)
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        terms = self.criterion_.last_terms
        if training and self.regularizer is not None:
            # The batch's codes (``y_pred[1]``) are the heads of the step's graph edges.
            name, weight, value = self.regularizer(module, self._batch_rows, y_pred[1])
            loss = loss + weight * value
            terms = {**terms, name: value.detach()}
        prefix = "train_" if training else "valid_"
        for name in self.log_terms:
            value = terms.get(name)
            if value is not None:
                self.history.record_batch(prefix + name, value.item())
        return loss


def silent(*args, **kwargs):
    """A sink that prints nothing (skorch callbacks print through a sink)."""


def carry_training_state(old, new):
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


def optimizer_class(optimizer, weight_decay, device="cpu"):
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
def row_errors(module, dataset, batch_size=4096):
    """Mean squared reconstruction error of each row of an :class:`ArrayDataset` (float64)."""
    was_training = module.training
    module.eval()
    errors = []
    for start in range(0, len(dataset), batch_size):
        xb = dataset.batch(dataset.indices[start : start + batch_size])
        # in the space the network is trained in (standardised, when it standardises)
        rec = module.scale_input(module.decode(module.encode(xb)))
        errors.append(((rec - module.scale_input(xb)) ** 2).mean(dim=1).double().cpu())
    module.train(was_training)
    return torch.cat(errors)


#: How many standard errors a model must beat the one it would replace by, on the
#: validation rows, to replace it: the one-standard-error rule of model selection
#: (Breiman et al., CART), with the simpler model (PCA's state, the anchored start)
#: kept unless the trained one is better beyond the noise of the validation split.
_SIGNIFICANCE = 1.0


def clearly_better(errors, reference):
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


def finite_parameters(module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in module.parameters())
