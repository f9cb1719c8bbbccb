# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""PCA-anchored encoder and decoder: a linear PCA path plus learned nonlinear corrections.

A linear autoencoder *is* PCA, so PCA's solution is inside every dense
autoencoder's reach. These parts start exactly there::

    encode(x) = (x - mean) @ components.T / sqrt(variances) + correction_e(x)
    decode(z) = z @ (components.T * sqrt(variances)).T + mean + correction_d(z)

The corrections' last layers start at zero, so an untrained autoencoder built
from them reconstructs exactly as PCA does; training then moves it only where
its loss is lower. The linear path is trainable too. Codes start whitened
(unit variance per component), on the scale of the corrections' outputs.

The PCA itself is computed from data by :func:`fit_pca`, in float64 and in
chunks (a ``n_features x n_features`` covariance, never a copy of the data),
and stored in the module as parameters and buffers, so persistence, pickling
and ONNX export carry it with no extra code.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["AnchoredDecoder", "AnchoredEncoder", "Clip", "fit_pca", "pca_init_"]


def _zero_last_linear(module: nn.Module) -> None:
    """Zero the weights and bias of the last ``nn.Linear`` of ``module``."""
    last = [m for m in module.modules() if isinstance(m, nn.Linear)]
    if not last:
        raise ValueError(f"The correction module {module!r} has no nn.Linear layer to zero.")
    with torch.no_grad():
        last[-1].weight.zero_()
        if last[-1].bias is not None:
            last[-1].bias.zero_()


class AnchoredEncoder(nn.Module):
    """Encoder ``x -> W (x - mean) + correction(x)``, with ``W`` starting at whitened PCA.

    Parameters
    ----------
    n_features : int
        Width of the input rows.
    n_components : int
        Size of the code.
    correction : torch.nn.Module
        Maps ``(batch, n_features)`` to ``(batch, n_components)``; its last
        ``nn.Linear`` is zeroed so that it starts contributing nothing.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import AnchoredEncoder, MLP
    >>> enc = AnchoredEncoder(5, 2, MLP(5, 2, (8,)))
    >>> enc(torch.zeros(3, 5)).shape
    torch.Size([3, 2])
    """

    def __init__(self, n_features: int, n_components: int, correction: nn.Module) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_components, n_features))
        self.register_buffer("mean", torch.zeros(n_features))
        self.correction = correction
        _zero_last_linear(correction)

    def forward(self, x: Tensor) -> Tensor:
        """Encode ``x``: the linear path plus the correction.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, n_features)
            Input rows.

        Returns
        -------
        torch.Tensor of shape (batch, n_components)
            The codes ``(x - mean) @ weight.T + correction(x)``.
        """
        return (x - self.mean) @ self.weight.T + self.correction(x)


class AnchoredDecoder(nn.Module):
    """Decoder ``z -> W z + bias + correction(z)``, with ``W``, ``bias`` starting at PCA's.

    Parameters
    ----------
    n_features : int
        Width of the output rows.
    n_components : int
        Size of the code.
    correction : torch.nn.Module
        Maps ``(batch, n_components)`` to ``(batch, n_features)``; its last
        ``nn.Linear`` is zeroed.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import AnchoredDecoder, MLP
    >>> dec = AnchoredDecoder(5, 2, MLP(2, 5, (8,)))
    >>> dec(torch.zeros(3, 2)).shape
    torch.Size([3, 5])
    """

    def __init__(self, n_features: int, n_components: int, correction: nn.Module) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_features, n_components))
        self.bias = nn.Parameter(torch.zeros(n_features))
        self.correction = correction
        _zero_last_linear(correction)

    def forward(self, z: Tensor) -> Tensor:
        """Decode ``z``: the linear path plus the correction.

        Parameters
        ----------
        z : torch.Tensor of shape (batch, n_components)
            Codes.

        Returns
        -------
        torch.Tensor of shape (batch, n_features)
            The outputs ``z @ weight.T + bias + correction(z)``.
        """
        return z @ self.weight.T + self.bias + self.correction(z)


class Clip(nn.Module):
    """Clamp outputs to ``[low, high]`` (buffers, so they travel with the weights).

    The output "activation" of a PCA-anchored autoencoder on bounded data: the
    reconstruction stays in the training data's range, which can only lower
    the squared error of rows inside it.

    Parameters
    ----------
    low : float, default=-inf
        Lower bound of the outputs.
    high : float, default=inf
        Upper bound of the outputs.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import Clip
    >>> Clip(0.0, 1.0)(torch.tensor([-0.5, 0.5, 1.5]))
    tensor([0.0000, 0.5000, 1.0000])
    """

    def __init__(self, low: float = -torch.inf, high: float = torch.inf) -> None:
        super().__init__()
        self.register_buffer("low", torch.tensor(float(low)))
        self.register_buffer("high", torch.tensor(float(high)))

    def forward(self, x: Tensor) -> Tensor:
        """Clamp ``x`` to ``[low, high]``.

        Parameters
        ----------
        x : torch.Tensor
            Input of any shape.

        Returns
        -------
        torch.Tensor
            ``x`` clamped elementwise, of the same shape.
        """
        return torch.clamp(x, self.low, self.high)


@torch.no_grad()
def fit_pca(
    X, n_components: int, *, shift=None, scale=None, chunk_rows: int = 65536
) -> tuple[Tensor, Tensor, Tensor]:
    """PCA of the rows of ``X``: ``(mean, components, variances)`` in float64.

    Computed from the ``n_features x n_features`` covariance, accumulated in
    float64 over chunks of rows, so memory stays at the covariance's size
    whatever ``n_samples``. ``components`` (``n_components x n_features``)
    are orthonormal, in decreasing order of variance; the signs follow
    scikit-learn's convention (largest absolute loading positive).

    Parameters
    ----------
    X : torch.Tensor or ndarray of shape (n_samples, n_features)
        The data (any float dtype; a memory map is read chunk by chunk).
    n_components : int
        Number of components; at most ``n_features``.
    shift, scale : array-like of shape (n_features,), default=None
        The PCA is that of ``(X - shift) / scale`` (computed chunk by chunk).
    chunk_rows : int, default=65536
        Rows per chunk.

    Returns
    -------
    mean : torch.Tensor of shape (n_features,)
        Per-feature mean of the (shifted and scaled) data.
    components : torch.Tensor of shape (n_components, n_features)
        Orthonormal principal axes, in decreasing order of variance.
    variances : torch.Tensor of shape (n_components,)
        Variance along each component (divided by ``n_samples - 1``, like
        :class:`~sklearn.decomposition.PCA`'s ``explained_variance_``).

    Examples
    --------
    >>> import torch
    >>> from skae.nn import fit_pca
    >>> X = torch.randn(100, 3, dtype=torch.float64) * torch.tensor([3.0, 1.0, 0.1])
    >>> mean, components, variances = fit_pca(X, 2)
    >>> components.shape, bool(variances[0] > variances[1])
    (torch.Size([2, 3]), True)
    """
    if len(getattr(X, "shape", ())) != 2:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features), got shape {getattr(X, 'shape', None)}."
        )
    n, d = X.shape
    if n < 1:
        raise ValueError("X has no rows.")
    if not 1 <= n_components <= d:
        raise ValueError(f"n_components must be in [1, {d}], got {n_components}.")
    shift = None if shift is None else torch.as_tensor(shift, dtype=torch.float64)
    scale = None if scale is None else torch.as_tensor(scale, dtype=torch.float64)

    def chunks():
        for start in range(0, n, chunk_rows):
            # a float64 copy of the chunk: the caller's (possibly read-only) data stay untouched
            chunk = X[start : start + chunk_rows]
            if isinstance(chunk, Tensor):
                c = chunk.detach().to("cpu", torch.float64, copy=True)
            else:
                c = torch.from_numpy(np.array(chunk, dtype=np.float64))
            if shift is not None:
                c = c - shift
            if scale is not None:
                c = c / scale
            if not bool(torch.isfinite(c).all()):
                raise ValueError("X contains NaN or infinity (after shift and scale).")
            yield c

    mean = torch.zeros(d, dtype=torch.float64)
    for c in chunks():
        mean += c.sum(dim=0)
    mean /= n
    cov = torch.zeros(d, d, dtype=torch.float64)
    for c in chunks():
        c = c - mean  # never in place: a chunk may share the caller's memory
        cov += c.T @ c
    cov /= max(n - 1, 1)
    variances, vectors = torch.linalg.eigh(cov)
    order = torch.argsort(variances, descending=True)[:n_components]
    components = vectors[:, order].T.contiguous()
    signs = torch.sign(components.gather(1, components.abs().argmax(dim=1, keepdim=True)))
    components *= torch.where(signs == 0, 1.0, signs)
    return mean, components, variances[order].clamp_min(0.0)


@torch.no_grad()
def pca_init_(
    encoder: AnchoredEncoder,
    decoder: AnchoredDecoder,
    X,
    *,
    shift=None,
    scale=None,
    whiten: bool = True,
) -> tuple[Tensor, Tensor, Tensor]:
    """Set an anchored encoder/decoder pair to the PCA of ``X``; returns :func:`fit_pca`'s result.

    ``shift``/``scale`` are passed to :func:`fit_pca`. With ``whiten=True``
    the codes start with unit variance (the encoder divides PCA's scores by
    their standard deviations, the decoder multiplies them back; components
    with almost no variance are not blown up); the reconstructions are PCA's
    either way.

    Parameters
    ----------
    encoder : AnchoredEncoder
        Encoder whose ``mean`` and ``weight`` are set, in place.
    decoder : AnchoredDecoder
        Decoder whose ``weight`` and ``bias`` are set, in place. Its
        ``n_features`` and ``n_components`` must match the encoder's.
    X : torch.Tensor or ndarray of shape (n_samples, n_features)
        The data, see :func:`fit_pca`.
    shift, scale : array-like of shape (n_features,), default=None
        The PCA is that of ``(X - shift) / scale``, see :func:`fit_pca`.
    whiten : bool, default=True
        Whether the codes start with unit variance per component.

    Returns
    -------
    mean : torch.Tensor of shape (n_features,)
        Per-feature mean of the (shifted and scaled) data, in float64.
    components : torch.Tensor of shape (n_components, n_features)
        Principal axes in float64; when the encoder has more components than
        ``n_features``, the extra rows are zeros.
    variances : torch.Tensor of shape (n_components,)
        Variance along each component in float64 (zeros for the extra rows).

    Examples
    --------
    >>> import torch
    >>> from skae.nn import MLP, AnchoredDecoder, AnchoredEncoder, pca_init_
    >>> X = torch.randn(50, 4, dtype=torch.float64)
    >>> enc, dec = AnchoredEncoder(4, 4, MLP(4, 4, (8,))), AnchoredDecoder(4, 4, MLP(4, 4, (8,)))
    >>> _ = pca_init_(enc, dec, X)
    >>> torch.allclose(dec(enc(X.float())), X.float(), atol=1e-4)  # all components: exact
    True
    """
    n_components, n_features = encoder.weight.shape
    mean, components, variances = fit_pca(
        X, min(n_components, n_features), shift=shift, scale=scale
    )
    # More components than features: the extra codes start unused (zero weights).
    extra = n_components - components.shape[0]
    components = torch.cat([components, components.new_zeros(extra, n_features)])
    variances = torch.cat([variances, variances.new_zeros(extra)])
    if whiten and variances.max() > 0:
        scale = variances.clamp_min(1e-6 * variances.max()).sqrt()
    else:
        scale = torch.ones_like(variances)
    dtype = encoder.weight.dtype
    encoder.mean.copy_(mean.to(dtype))
    encoder.weight.copy_((components / scale[:, None]).to(dtype))
    decoder.weight.copy_((components.T * scale).to(dtype))
    decoder.bias.copy_(mean.to(dtype))
    return mean, components, variances
