# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Export a fitted estimator's network to ONNX, with skae's input scaling inside the graph.

The graph computes exactly what the estimator does on float32 input, because
it is the estimator's own module (which holds the input scaling as buffers):

* ``part="encoder"``: ``X -> module.encode -> Z`` (``transform``),
* ``part="decoder"``: ``Z -> module.decode -> X_reconstructed``
  (``inverse_transform``),
* ``part="autoencoder"``: both, ``X -> reconstruction``
  (``inverse_transform(transform(X))``).

The batch axis is dynamic.

The legacy TorchScript-based exporter of :func:`torch.onnx.export`
(``dynamo=False``) is used: it needs only the ``onnx`` package, while the
``torch.export``-based one also needs ``onnxscript``.
"""

from __future__ import annotations

import copy
import functools
import inspect
import io
import warnings
from numbers import Integral
from pathlib import Path

import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ._base import BaseAutoencoder
from ._files import atomic_write
from ._version import __version__

__all__ = ["PARTS", "to_onnx"]

# Lowest ONNX opset every skae network exports to: the convolutional
# architecture needs ``aten::unflatten``, which the exporter maps from opset 13.
_MIN_OPSET = 13

#: Valid values of ``part`` and their (input, output) names in the graph.
PARTS = {
    "encoder": ("X", "Z"),
    "decoder": ("Z", "X_reconstructed"),
    "autoencoder": ("X", "X_reconstructed"),
}


class _ExportWrapper(nn.Module):
    """The estimator's computation for one ``part`` of its module."""

    def __init__(self, module, part):
        super().__init__()
        self.module = module
        self.part = part

    def forward(self, x):
        if self.part != "decoder":
            x = self.module.encode(x)
            if self.part == "encoder":
                return x
        return self.module.decode(x)


def _torch_max_opset():
    """Newest opset of torch's TorchScript exporter (the one :func:`to_onnx` uses)."""
    try:
        from torch.onnx import _constants

        # Newer torch also has a dynamo exporter, whose ONNX_MAX_OPSET is higher.
        return int(
            getattr(_constants, "ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET", _constants.ONNX_MAX_OPSET)
        )
    except (ImportError, AttributeError):  # pragma: no cover - the private module changed
        return 17  # exported by every torch >= 2.0


def _onnxruntime_max_opset():
    """Newest opset onnxruntime knows, or ``None`` if it is not installed or will not say."""
    try:
        from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

        schemas = ort_state.get_all_operator_schema()
        return max(s.since_version for s in schemas if s.domain in ("", "ai.onnx"))
    except Exception:  # not installed, or a build without the schema registry
        return None


@functools.lru_cache(maxsize=1)
def _opset_range():
    """The opsets :func:`to_onnx` accepts here: ``(lowest, highest)``, both included.

    ``lowest`` is ``_MIN_OPSET``; ``highest`` is the newest opset that torch's
    TorchScript exporter, the installed ``onnx`` and (when installed)
    ``onnxruntime`` all support.
    """
    import onnx

    highest = min(_torch_max_opset(), onnx.defs.onnx_opset_version())
    runtime = _onnxruntime_max_opset()
    if runtime is not None:
        highest = min(highest, runtime)
    return _MIN_OPSET, highest


def _check_opset(opset):
    """``opset`` as an int (or ``None``), refused unless the export can use it."""
    if opset is None:
        return None
    if not isinstance(opset, Integral) or isinstance(opset, bool):
        raise TypeError(f"opset must be an int or None, got {opset!r}.")
    lowest, highest = _opset_range()
    if not lowest <= opset <= highest:
        raise ValueError(
            f"opset must be None or an ONNX opset version from {lowest} to {highest} "
            f"(supported here by torch's exporter, onnx and onnxruntime), got {opset}."
        )
    return int(opset)


def to_onnx(estimator, path, *, part="encoder", opset=None):
    """Export a fitted estimator's network, including its input scaling, to an ONNX file.

    Parameters
    ----------
    estimator : AutoencoderTransformer, VariationalAutoencoderTransformer or \
AutoencoderOutlierDetector
        A fitted skae estimator.
    path : str or os.PathLike
        Destination ``.onnx`` file, written atomically (a temporary file in
        the same directory renamed over ``path`` once complete).
    part : {"encoder", "decoder", "autoencoder"}, default="encoder"
        ``"encoder"``: float32 input ``"X"`` of shape ``(n, n_features_in_)``,
        output ``"Z"`` of shape ``(n, n_components)`` (as ``transform``; the
        posterior mean for the variational autoencoder). ``"decoder"``: input
        ``"Z"``, output ``"X_reconstructed"`` (as ``inverse_transform``).
        ``"autoencoder"``: input ``"X"``, output ``"X_reconstructed"``
        (``inverse_transform(transform(X))``).
    opset : int, default=None
        ONNX opset version, from 13 to the newest version that torch's
        TorchScript exporter, the installed ``onnx`` and ``onnxruntime`` all
        support; ``None`` uses the exporter's default.

    Returns
    -------
    path : pathlib.Path
        The path written.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    ValueError
        If ``part`` is not one of the above, or ``opset`` is outside
        that range (checked before anything is exported or written).
    TypeError
        If ``estimator`` is not a skae estimator or ``opset`` not an int.

    Notes
    -----
    The graph is float32 (the network's dtype): feed float32 arrays. The
    batch axis (``"batch"``) is dynamic. Dropout and training-time noise are
    not part of the graph (the network is exported in eval mode). The model
    carries ``metadata_props``: ``skae_class``, ``skae_part``,
    ``skae_version``, ``n_features_in``, ``n_components``.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skae import AutoencoderTransformer
    >>> X = np.random.RandomState(0).rand(50, 8).astype(np.float32)
    >>> ae = AutoencoderTransformer(hidden_layer_sizes=(16,), max_epochs=2,
    ...                             random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = ae.to_onnx(os.path.join(tmp, "encoder.onnx"))
    ...     session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    >>> Z = session.run(None, {"X": X})[0]
    >>> bool(np.allclose(Z, ae.transform(X), atol=1e-5, rtol=1e-5))
    True
    """
    import onnx

    if part not in PARTS:
        raise ValueError(f"part must be one of {sorted(PARTS)}, got {part!r}.")
    if not isinstance(estimator, BaseAutoencoder):
        raise TypeError(f"to_onnx expects a skae estimator, got {type(estimator).__name__}.")
    check_is_fitted(estimator)
    opset = _check_opset(opset)

    # A CPU float32 copy in eval mode: the estimator itself is left untouched.
    module = copy.deepcopy(estimator._bare_module()).to("cpu", torch.float32).eval()
    wrapper = _ExportWrapper(module, part).eval()
    n_in = estimator.n_components_ if part == "decoder" else estimator.n_features_in_
    input_name, output_name = PARTS[part]
    example = torch.zeros(2, n_in, dtype=torch.float32)

    kwargs = dict(
        input_names=[input_name],
        output_names=[output_name],
        dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}},
        do_constant_folding=True,
    )
    if opset is not None:
        kwargs["opset_version"] = opset
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # TorchScript exporter: needs no onnxscript
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        # torch >= 2.9 deprecates the TorchScript exporter; nothing a user can act on.
        warnings.filterwarnings("ignore", message=".*TorchScript-based ONNX export.*")
        warnings.filterwarnings("ignore", message=".*The feature will be removed.*")
        torch.onnx.export(wrapper, (example,), buffer, **kwargs)

    model = onnx.load_from_string(buffer.getvalue())
    model.producer_name = "skae"
    model.producer_version = __version__
    meta = {
        "skae_class": type(estimator).__name__,
        "skae_part": part,
        "skae_version": __version__,
        "n_features_in": str(estimator.n_features_in_),
        "n_components": str(estimator.n_components_),
    }
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    atomic_write(path, lambda f: f.write(data))
    return Path(path)
