# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Build an autoencoder module from a flat description (used by the estimators)."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from torch import nn

from ._anchored import AnchoredDecoder, AnchoredEncoder, Clip
from ._autoencoder import Autoencoder, VariationalAutoencoder
from ._layers import get_activation, make_noise
from ._mlp import MLPDecoder, MLPEncoder
from ._scaling import Standardize

__all__ = ["build_autoencoder"]


def _instantiate(part, n_features: int, n_out: int, name: str) -> nn.Module:
    """Copy a user-supplied module instance, or call a class as ``cls(n_features, n_out)``."""
    if isinstance(part, nn.Module):
        return copy.deepcopy(part)
    if isinstance(part, type) and issubclass(part, nn.Module):
        return part(n_features, n_out)
    raise TypeError(f"{name} must be a torch.nn.Module instance or class, got {part!r}.")


def build_autoencoder(
    n_features: int,
    n_components: int,
    *,
    architecture: str = "mlp",
    hidden_layer_sizes: Sequence[int] = (256, 128),
    activation: str | type[nn.Module] = "relu",
    output_activation: str = "identity",
    batch_norm: bool = False,
    dropout: float = 0.0,
    input_shape: Sequence[int] | None = None,
    conv_channels: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    downsample: str = "maxpool",
    noise: str | None = None,
    noise_level: float = 0.0,
    noise_range: tuple[float, float] = (0.0, 1.0),
    variational: bool = False,
    encoder: nn.Module | type[nn.Module] | None = None,
    decoder: nn.Module | type[nn.Module] | None = None,
    init: str = "random",
    output_range: tuple[float, float] = (0.0, 1.0),
    standardize: tuple | None = None,
) -> Autoencoder:
    """Build an :class:`~skae.nn.Autoencoder` (or its variational variant).

    Parameters
    ----------
    n_features : int
        Width of the (flattened) input rows.
    n_components : int
        Size of the code.
    architecture : {"mlp", "conv"}, default="mlp"
        Built-in encoder/decoder family, ignored for a part given explicitly.
    hidden_layer_sizes : sequence of int, default=(256, 128)
        Encoder widths for ``"mlp"``; the decoder mirrors them.
    activation : str or type of torch.nn.Module, default="relu"
        Hidden activation, see :func:`~skae.nn.get_activation`.
    output_activation : str, default="identity"
        Activation applied to the decoder's logits.
    batch_norm : bool, default=False
        Batch normalisation in hidden blocks.
    dropout : float, default=0.0
        Dropout in hidden blocks.
    input_shape : sequence of int, default=None
        ``(channels, height, width)`` for ``"conv"``.
    conv_channels : sequence of int, default=(32, 64)
        Output channels of the encoder's convolutional blocks for ``"conv"``
        (the decoder mirrors them), see :class:`~skae.nn.ConvEncoder`.
    kernel_size : int, default=3
        Odd convolution kernel size for ``"conv"``.
    downsample : {"maxpool", "stride"}, default="maxpool"
        How each convolutional block downsamples for ``"conv"``, see
        :class:`~skae.nn.ConvEncoder`.
    noise : {None, "gaussian", "masking", "salt_and_pepper"}, default=None
        Training-time input corruption (denoising autoencoder).
    noise_level : float, default=0.0
        Strength of the corruption.
    noise_range : tuple of float, default=(0.0, 1.0)
        ``(low, high)`` values for salt-and-pepper noise.
    variational : bool, default=False
        Build a :class:`~skae.nn.VariationalAutoencoder`; the encoder then
        outputs ``2 * n_components`` values.
    encoder, decoder : torch.nn.Module instance or class, default=None
        Custom parts. A class is called as ``cls(n_features, n_out)`` for the
        encoder and ``cls(n_components, n_features)`` for the decoder; an
        instance is deep-copied.
    init : {"random", "pca"}, default="random"
        ``"pca"`` builds PCA-anchored parts (:class:`~skae.nn.AnchoredEncoder`,
        :class:`~skae.nn.AnchoredDecoder`) whose MLPs are corrections on top of
        a linear path; set them to the data's PCA with
        :func:`~skae.nn.pca_init_`. Dense, non-variational, built-in parts only.
    output_range : tuple of float, default=(0.0, 1.0)
        ``(low, high)`` of ``output_activation="clip"``.
    standardize : (shift, scale) or None, default=None
        Per-feature constants of a :class:`~skae.nn.Standardize` input scaling
        held by the module (``encode`` and ``decode`` then work in the data's
        units, the network on ``(x - shift) / scale``); ``None`` for none.

    Returns
    -------
    Autoencoder
        The module (a :class:`~skae.nn.VariationalAutoencoder` if ``variational``),
        untrained; with ``init="pca"`` its anchored parts still have to be set
        with :func:`~skae.nn.pca_init_` (or :meth:`~skae.nn.Autoencoder.init_pca_`).

    Examples
    --------
    >>> import torch
    >>> from skae.nn import build_autoencoder
    >>> ae = build_autoencoder(64, 2, hidden_layer_sizes=(32,), output_activation="sigmoid")
    >>> ae.decode(ae.encode(torch.rand(5, 64))).shape
    torch.Size([5, 64])
    """
    act = get_activation(activation)
    n_code = 2 * n_components if variational else n_components
    if init == "pca":
        if architecture != "mlp" or variational or encoder is not None or decoder is not None:
            raise ValueError(
                "init='pca' builds dense, non-variational parts: it needs architecture='mlp', "
                "no custom encoder/decoder and variational=False."
            )
        block = dict(activation=act, batch_norm=batch_norm, dropout=dropout)
        encoder = AnchoredEncoder(
            n_features,
            n_components,
            MLPEncoder(n_features, n_components, hidden_layer_sizes, **block),
        )
        decoder = AnchoredDecoder(
            n_features,
            n_components,
            MLPDecoder(n_features, n_components, hidden_layer_sizes, **block),
        )
    elif init != "random":
        raise ValueError(f"init must be 'random' or 'pca', got {init!r}.")
    if architecture == "mlp":
        block = dict(activation=act, batch_norm=batch_norm, dropout=dropout)
        make_enc = lambda: MLPEncoder(n_features, n_code, hidden_layer_sizes, **block)  # noqa: E731
        make_dec = lambda: MLPDecoder(n_features, n_components, hidden_layer_sizes, **block)  # noqa: E731
    elif architecture == "conv":
        from ._conv import ConvDecoder, ConvEncoder

        if input_shape is None:
            raise ValueError("architecture='conv' needs input_shape=(channels, height, width).")
        block = dict(
            conv_channels=tuple(conv_channels),
            kernel_size=kernel_size,
            downsample=downsample,
            activation=act,
            batch_norm=batch_norm,
            dropout=dropout,
        )
        shape = tuple(int(s) for s in input_shape)
        make_enc = lambda: ConvEncoder(shape, n_code, **block)  # noqa: E731
        make_dec = lambda: ConvDecoder(shape, n_components, **block)  # noqa: E731
    else:
        raise ValueError(f"Unknown architecture {architecture!r}; expected 'mlp' or 'conv'.")

    enc = make_enc() if encoder is None else _instantiate(encoder, n_features, n_code, "encoder")
    dec = (
        make_dec()
        if decoder is None
        else _instantiate(decoder, n_components, n_features, "decoder")
    )
    cls = VariationalAutoencoder if variational else Autoencoder
    if output_activation == "clip":
        out = Clip(*output_range)
    else:
        out = get_activation(output_activation)()
    return cls(
        enc,
        dec,
        output_activation=out,
        noise=make_noise(noise, noise_level, *noise_range),
        scaler=None if standardize is None else Standardize(*standardize),
    )
