# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Training through Hugging Face ``accelerate`` (skorch's ``AccelerateMixin``).

Imported only when an estimator is given an ``accelerator``, so ``import skae``
imports neither this module nor ``accelerate``. ``skorch.hf`` itself imports no
Hugging Face library at module level; ``accelerate`` is imported inside the
functions that need it.

The net class is ``AccelerateMixin`` in front of skae's ``_AutoencoderNet``::

    _AcceleratedAutoencoderNet -> AccelerateMixin -> _AutoencoderNet -> NeuralNet

so the mixin's ``initialize``, ``train_step``/``train_step_single`` (autocast
and ``accelerator.backward``), ``_step_optimizer``, ``get_iterator`` and
``evaluation_step`` win, while ``_AutoencoderNet`` still provides ``infer``
(no autocast: ``precision`` must be ``"32"``), ``get_loss`` (logging of the
loss terms), ``_set_training`` and the pickling hooks. The mixin's
``initialize`` does not call ``_AutoencoderNet.initialize``, so the float16
``GradScaler`` of the latter is never built (``grad_scaler_`` is ``None``).
"""

from __future__ import annotations

import torch
from skorch.callbacks import Callback, LRScheduler
from skorch.hf import AccelerateMixin
from skorch.net import NeuralNet

from ._net import _AutoencoderNet

__all__: list[str] = []


class _AcceleratedAutoencoderNet(AccelerateMixin, _AutoencoderNet):
    """``_AutoencoderNet`` trained through an ``accelerate.Accelerator``.

    Differences from ``skorch.hf.AccelerateMixin``:

    * Modules without trainable parameters (skae's loss) are moved to the
      accelerator's device but not prepared: preparing them is pointless, and
      on several CPU processes accelerate would wrap them in
      ``DistributedDataParallel``, which refuses modules without parameters.
    * The optimizer is prepared once. Every training call (``partial_fit``,
      ``warm_start``) prepares the modules again, since they are unwrapped at
      the end of each call: training an unwrapped module on several processes
      would silently skip the gradient synchronisation.
    * Unwrapping happens after the callbacks' ``on_train_end`` (skorch's
      mixin unwraps before), so ``EarlyStopping(load_best=True)`` restores
      weights into the module they were saved from (a
      ``DistributedDataParallel`` wrapper's state-dict keys carry a
      ``module.`` prefix).
    * After training, the module, loss and optimizer are removed from the
      accelerator's lists of prepared objects, so a reused accelerator does
      not keep every model it ever trained alive (nor pickle copies of them).
    """

    def initialize(self):
        super().initialize()
        self.grad_scaler_ = None
        return self

    def __getstate__(self):
        state = super().__getstate__()
        if state.get("device") is None:
            # skorch unpickles the weights onto ``device``, onto the CPU when it is
            # None: record where accelerate placed them.
            state["device"] = self.accelerator.device.type
        return state

    def _initialize_accelerator(self):
        if self._wrapped_with_accelerator:
            return self
        acc = self.accelerator
        for kind, names in (("criterion", self._criteria), ("module", self._modules)):
            with self._current_init_context(kind):
                for name in names:
                    obj = getattr(self, name + "_")
                    if not isinstance(obj, torch.nn.Module):
                        continue
                    if any(p.requires_grad for p in obj.parameters()):
                        obj = acc.prepare(obj)
                    elif acc.device_placement:
                        obj = obj.to(acc.device)
                    setattr(self, name + "_", obj)

        from accelerate.optimizer import AcceleratedOptimizer

        with self._current_init_context("optimizer"):
            for name in self._optimizers:
                opt = getattr(self, name + "_")
                if isinstance(opt, torch.optim.Optimizer) and not isinstance(
                    opt, AcceleratedOptimizer
                ):
                    setattr(self, name + "_", acc.prepare(opt))

        for _, callback in self.callbacks_:
            if isinstance(callback, LRScheduler):
                callback.policy_ = acc.prepare(callback.policy_)

        self._wrapped_with_accelerator = True
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._initialize_accelerator()  # no-op right after initialize()
        return super().on_train_begin(net, X=X, y=y, **kwargs)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        # Skip AccelerateMixin.on_train_end, which unwraps before the callbacks
        # run; partial_fit unwraps once they have.
        self.accelerator.wait_for_everyone()
        return NeuralNet.on_train_end(self, net, X=X, y=y, **kwargs)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        try:
            return super().partial_fit(X, y=y, classes=classes, **fit_params)
        finally:
            if self.unwrap_after_train:
                self._release()

    def _release(self):
        """Unwrap the modules and drop this net's objects from the accelerator's lists."""
        names = self._modules + self._criteria
        mine = [getattr(self, n + "_", None) for n in names]
        self._unwrap_accelerator()
        mine += [getattr(self, n + "_", None) for n in names]
        mine += [getattr(self, n + "_", None) for n in self._optimizers]
        ids = {id(obj) for obj in mine if obj is not None}
        for attr in ("_models", "_optimizers"):
            registry = getattr(self.accelerator, attr, None)
            if isinstance(registry, list):
                registry[:] = [obj for obj in registry if id(obj) not in ids]


class _SyncScores(Callback):
    """Average the epoch's scores over all processes (data-parallel training).

    Each process records the training loss of its own shard; validation runs
    on the full validation set in every process. Averaging makes the history
    identical everywhere, so early stopping and the divergence check take the
    same decision in every process (a process that stops alone would leave
    the others waiting for it forever). Must run after the scoring callbacks
    and before anything that reads the scores.
    """

    def __init__(self, accelerator, keys):
        self.accelerator = accelerator
        self.keys = keys

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        keys = [k for k in self.keys if k in row]
        if not keys:
            return
        acc = self.accelerator
        values = torch.tensor([float(row[k]) for k in keys], dtype=torch.float64, device=acc.device)
        values = acc.reduce(values, reduction="mean")
        for key, value in zip(keys, values.tolist(), strict=True):
            net.history.record(key, value)


def net_options(accelerator):
    """Net class and extra keyword arguments for training through ``accelerator``."""
    options = {
        "accelerator": accelerator,
        # accelerate places the module and optimizer itself (skorch's documented setting).
        "device": None,
    }
    if accelerator.num_processes > 1:
        options["iterator_train__num_replicas"] = accelerator.num_processes
        options["iterator_train__rank"] = accelerator.process_index
    return _AcceleratedAutoencoderNet, options


def split_generators(net, seed):
    """Shuffle from a generator shared by all processes; reseed the global one per process.

    Called with torch's global generator in the same state in every process.
    The copy keeps the epochs' permutations, hence the shards, identical
    everywhere, while noise, dropout and VAE samples, drawn from the global
    generator, differ between processes instead of repeating the same draws
    on every shard.
    """
    generator = torch.Generator()
    generator.set_state(torch.get_rng_state())
    # A plain attribute: skorch's set_params refuses iterator parameters on an
    # initialised net, get_iterator reads them from the instance.
    net.iterator_train__generator = generator
    torch.manual_seed(seed + 1 + net.accelerator.process_index)


def shared_seed(accelerator, seed):
    """Process 0's ``seed`` in every process (the data shards rely on identical permutations)."""
    if accelerator.num_processes == 1:
        return seed
    from accelerate.utils import broadcast_object_list

    return broadcast_object_list([seed], from_process=0)[0]
