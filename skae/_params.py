# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The estimators' hyperparameters in one table: defaults, constraints, ``__init__``, docs.

Adding a hyperparameter shared by every estimator touches three places: its
row in :data:`COMMON` (default and constraints), its entry in
``skae/_docs.py`` (documentation) and the code that uses it. Each estimator's
``__init__`` is generated from the table, as :mod:`dataclasses` generates
one: a real function with an explicit signature (scikit-learn's
``get_params`` reads it), storing every argument unchanged, nothing else.
"""

from __future__ import annotations

import re
from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from torch import nn

from ._docs import COMMON_PARAMS_DOC
from ._net import OPTIMIZERS, PRECISIONS
from .nn import ACTIVATIONS

__all__ = ["COMMON", "make_init", "parameter_constraints", "parameters_doc"]

_POSITIVE_INT = Interval(Integral, 1, None, closed="left")
_NON_NEGATIVE = Interval(Real, 0, None, closed="left")

#: Every estimator's hyperparameters, in signature order: name -> (default, constraints).
COMMON = {
    "n_components": (2, [_POSITIVE_INT]),
    "architecture": ("mlp", [StrOptions({"mlp", "conv"})]),
    "hidden_layer_sizes": ((512, 256), ["array-like", _POSITIVE_INT]),
    "activation": ("relu", [StrOptions(set(ACTIVATIONS) - {"identity", "sigmoid"}), type]),
    "output_activation": ("auto", [StrOptions({"auto", "sigmoid", "tanh", "identity"})]),
    "dropout": (0.0, [Interval(Real, 0, 1, closed="left")]),
    "batch_norm": (False, ["boolean"]),
    "input_shape": (None, ["array-like", None]),
    "conv_channels": ((32, 64), ["array-like"]),
    "kernel_size": (3, [_POSITIVE_INT]),
    "downsample": ("maxpool", [StrOptions({"maxpool", "stride"})]),
    "noise": (None, [StrOptions({"gaussian", "masking", "salt_and_pepper"}), None]),
    "noise_level": (0.1, [_NON_NEGATIVE]),
    "latent_l1": (0.0, [_NON_NEGATIVE]),
    "loss": ("auto", [StrOptions({"auto", "mse", "bce"})]),
    "optimizer": ("adam", [StrOptions(set(OPTIMIZERS)), type]),
    "learning_rate": (1e-3, [Interval(Real, 0, None, closed="neither")]),
    "weight_decay": (0.0, [_NON_NEGATIVE]),
    "batch_size": ("auto", [_POSITIVE_INT, StrOptions({"auto"})]),
    "max_epochs": (200, [_POSITIVE_INT]),
    "early_stopping": (True, ["boolean"]),
    "validation_fraction": (0.1, [Interval(Real, 0, 1, closed="neither")]),
    "n_iter_no_change": (10, [_POSITIVE_INT]),
    "tol": (1e-4, [_NON_NEGATIVE]),
    "precision": ("32", [StrOptions(set(PRECISIONS))]),
    "compile": (False, ["boolean"]),
    "device": ("auto", [str, torch.device]),
    "random_state": (None, ["random_state"]),
    "verbose": (0, ["verbose"]),
    "callbacks": (None, [list, None]),
    "accelerator": (None, [None, HasMethods(["prepare", "backward"])]),
    "warm_start": (False, ["boolean"]),
    "encoder": (None, [nn.Module, type, None]),
    "decoder": (None, [nn.Module, type, None]),
    "init": ("auto", [StrOptions({"auto", "pca", "random"})]),
    "n_jobs": (None, [Interval(Integral, None, None, closed="neither"), None]),
}


def _signature_order(extra):
    """``n_components``, then a class's own parameters, then the other common ones.

    An entry of ``extra`` named like a common parameter overrides that
    parameter's default and constraints and keeps its place in the signature.
    """
    names = list(COMMON)
    own = [name for name in extra if name not in COMMON]
    return [names[0], *own, *names[1:]]


def parameter_constraints(extra=None):
    """``_parameter_constraints`` with a class's own ``{name: (default, constraints)}``."""
    extra = extra or {}
    table = {**COMMON, **extra}
    return {name: table[name][1] for name in _signature_order(extra)}


def make_init(extra=None, *, qualname, module):
    """A generated ``__init__(self, n_components=2, *, <extra...>, <common...>)``.

    It stores each argument as an attribute of the same name and does nothing
    else, as scikit-learn requires. ``extra`` maps a class's own parameters to
    ``(default, constraints)``.
    """
    extra = extra or {}
    table = {**COMMON, **extra}
    names = _signature_order(extra)
    defaults = {name: table[name][0] for name in names}
    args = [f"{names[0]}=_defaults[{names[0]!r}]", "*"]
    args += [f"{name}=_defaults[{name!r}]" for name in names[1:]]
    body = "\n".join(f"    self.{name} = {name}" for name in names)
    source = f"def __init__(self, {', '.join(args)}):\n{body}\n"
    namespace = {}
    code = compile(source, f"<{module}.{qualname}.__init__>", "exec")
    exec(code, {"_defaults": defaults}, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{qualname}.__init__"
    init.__module__ = module
    return init


_ENTRY = re.compile(r"^    (\S[^:\n]*) : ", re.MULTILINE)


def _entries(text):
    """Numpydoc parameter entries of ``text`` by name (``"encoder, decoder"`` is one)."""
    starts = [(m.start(), m.group(1)) for m in _ENTRY.finditer(text)]
    ends = [s for s, _ in starts[1:]] + [len(text)]
    return {name: text[s:e].rstrip() for (s, name), e in zip(starts, ends, strict=True)}


_COMMON_DOCS = _entries(COMMON_PARAMS_DOC)


def parameters_doc(extra_doc=""):
    """The Parameters section's entries in signature order, ``extra_doc`` after ``n_components``.

    An entry of ``extra_doc`` named like a common parameter replaces that
    parameter's entry in place (a class that overrides its default).
    """
    extra = _entries("\n" + extra_doc.strip("\n") + "\n") if extra_doc.strip() else {}
    common = {name: extra.get(name, text) for name, text in _COMMON_DOCS.items()}
    own = [text for name, text in extra.items() if name not in _COMMON_DOCS]
    entries = list(common.values())
    return "\n" + "\n\n".join([entries[0], *own, *entries[1:]]) + "\n"
