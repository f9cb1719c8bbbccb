# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""``save`` and ``to_onnx`` as estimator methods, delegating to the IO functions.

The IO layer (:mod:`skae._persistence`, :mod:`skae._onnx`) reads the fitted
state of :class:`~skae._base.BaseAutoencoder`; the concrete estimators mix
this class in, so the base never imports the IO layer.
"""

from __future__ import annotations

from ._onnx import to_onnx
from ._persistence import save

__all__ = ["IOMixin"]


class IOMixin:
    """Mixin adding :meth:`save` and :meth:`to_onnx` to a skae estimator."""

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
        return to_onnx(self, path, part=part, opset=opset)
