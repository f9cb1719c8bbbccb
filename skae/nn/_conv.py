# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Convolutional encoder and decoder modules for image-shaped data.

The modules consume and produce *flat* rows of shape ``(batch, C * H * W)``,
the layout a scikit-learn transformer sees, and reshape internally to
``(batch, C, H, W)``. They depend on :mod:`torch` only.
"""

from __future__ import annotations

import numbers
from collections import OrderedDict
from collections.abc import Callable, Sequence

from torch import Tensor, nn

__all__ = ["ConvDecoder", "ConvEncoder", "conv_output_shapes"]

_DOWNSAMPLE_MODES = ("maxpool", "stride")


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _conv_out(n: int, kernel_size: int, stride: int, padding: int) -> int:
    # Output length of ``nn.Conv2d`` along one axis (dilation 1).
    return (n + 2 * padding - kernel_size) // stride + 1


def _pool_out(n: int) -> int:
    # Output length of ``nn.MaxPool2d(2, ceil_mode=True)`` along one axis, i.e.
    # ceil((n - 2) / 2) + 1, minus one if the last window would start in the padding.
    out = -(-(n - 2) // 2) + 1
    if (out - 1) * 2 >= n:
        out -= 1
    return out


def conv_output_shapes(
    input_shape: tuple[int, int] | tuple[int, int, int],
    n_blocks: int,
    downsample: str = "maxpool",
    kernel_size: int = 3,
) -> list[tuple[int, int]]:
    """Spatial sizes seen by a :class:`ConvEncoder` at each level.

    Computed exactly with integer arithmetic (no dry run through the layers).

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width)`` or ``(channels, height, width)``; the channels are ignored.
    n_blocks : int
        Number of convolutional blocks, each halving the spatial size (rounding up).
    downsample : {"maxpool", "stride"}, default="maxpool"
        How each block downsamples, see :class:`ConvEncoder`.
    kernel_size : int, default=3
        Odd convolution kernel size.

    Returns
    -------
    shapes : list of tuple of int
        ``n_blocks + 1`` ``(height, width)`` pairs: the input size followed by the
        size after each block.

    Examples
    --------
    >>> from skae.nn import conv_output_shapes
    >>> conv_output_shapes((1, 28, 28), 3)
    [(28, 28), (14, 14), (7, 7), (4, 4)]
    >>> conv_output_shapes((5, 9), 2, downsample="stride")
    [(5, 9), (3, 5), (2, 3)]
    """
    if len(input_shape) not in (2, 3):
        raise ValueError(
            f"input_shape must be (height, width) or (channels, height, width), "
            f"got {input_shape!r}."
        )
    height, width = input_shape[-2:]
    for name, value in (("height", height), ("width", width)):
        if not _is_int(value) or value < 1:
            raise ValueError(f"input_shape {name} must be a positive integer, got {value!r}.")
    if not _is_int(n_blocks) or n_blocks < 0:
        raise ValueError(f"n_blocks must be a non-negative integer, got {n_blocks!r}.")
    _check_downsample(downsample)
    _check_kernel_size(kernel_size)

    pad = kernel_size // 2
    sizes = [(int(height), int(width))]
    for _ in range(n_blocks):
        if downsample == "maxpool":
            # stride-1 "same" conv keeps the size, the pool halves it
            sizes.append(tuple(_pool_out(_conv_out(n, kernel_size, 1, pad)) for n in sizes[-1]))
        else:
            sizes.append(tuple(_conv_out(n, kernel_size, 2, pad) for n in sizes[-1]))
    return sizes


def _check_downsample(downsample: object) -> None:
    if downsample not in _DOWNSAMPLE_MODES:
        raise ValueError(f"downsample must be one of {_DOWNSAMPLE_MODES}, got {downsample!r}.")


def _check_kernel_size(kernel_size: object) -> None:
    # Even kernels cannot be zero-padded symmetrically to keep the size ("same"
    # padding), so they would break the exact encoder/decoder size mirroring.
    if not _is_int(kernel_size) or kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be a positive odd integer, got {kernel_size!r}.")


def _validate(
    input_shape: object,
    n_components: object,
    conv_channels: object,
    kernel_size: object,
    downsample: object,
    activation: object,
    dropout: object,
) -> tuple[tuple[int, int, int], tuple[int, ...]]:
    """Check the shared constructor arguments; return normalised shape and channels."""
    if (
        not isinstance(input_shape, Sequence)
        or len(input_shape) != 3
        or not all(_is_int(v) and v >= 1 for v in input_shape)
    ):
        raise ValueError(
            "input_shape must be a (channels, height, width) tuple of positive integers, "
            f"got {input_shape!r}."
        )
    if not _is_int(n_components) or n_components < 1:
        raise ValueError(f"n_components must be a positive integer, got {n_components!r}.")
    if (
        isinstance(conv_channels, (str, bytes))
        or not isinstance(conv_channels, Sequence)
        or len(conv_channels) == 0
        or not all(_is_int(v) and v >= 1 for v in conv_channels)
    ):
        raise ValueError(
            "conv_channels must be a non-empty sequence of positive integers, "
            f"got {conv_channels!r}."
        )
    _check_kernel_size(kernel_size)
    _check_downsample(downsample)
    if not callable(activation):
        raise ValueError(f"activation must be an nn.Module class (or factory), got {activation!r}.")
    if (
        not isinstance(dropout, numbers.Real)
        or isinstance(dropout, bool)
        or not 0.0 <= dropout < 1.0
    ):
        raise ValueError(f"dropout must be a float in [0, 1), got {dropout!r}.")
    shape = tuple(int(v) for v in input_shape)
    channels = tuple(int(v) for v in conv_channels)
    return shape, channels  # type: ignore[return-value]


def _make_activation(activation: Callable[[], nn.Module]) -> nn.Module:
    layer = activation()
    if not isinstance(layer, nn.Module):
        raise TypeError(f"activation() must return an nn.Module, got {type(layer).__name__}.")
    return layer


class ConvEncoder(nn.Module):
    """Convolutional encoder mapping flat image rows to a latent vector.

    Each entry of ``conv_channels`` adds one block::

        Conv2d -> BatchNorm2d | Identity -> activation -> MaxPool2d | Identity
               -> Dropout2d | Identity

    that halves the spatial size (rounding up, so odd sizes such as 7x7 -> 4x4
    work). The blocks are followed by ``Flatten`` and a ``Linear`` layer to
    ``n_components``.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)`` of one sample.
    n_components : int
        Size of the latent code.
    conv_channels : sequence of int, default=(32, 64)
        Output channels of each convolutional block; must be non-empty.
    kernel_size : int, default=3
        Convolution kernel size. Must be odd so that ``padding=kernel_size // 2``
        keeps ("same") the spatial size; even sizes raise ``ValueError``.
    downsample : {"maxpool", "stride"}, default="maxpool"
        ``"maxpool"``: stride-1 convolution followed by
        ``MaxPool2d(2, ceil_mode=True)``. ``"stride"``: the convolution itself
        has stride 2 and the pooling layer is ``nn.Identity``.
    activation : type of nn.Module, default=nn.ReLU
        Activation layer class (or any zero-argument factory returning a module,
        e.g. ``functools.partial(nn.LeakyReLU, 0.1)``).
    batch_norm : bool, default=False
        Add ``BatchNorm2d`` after each convolution (the convolution then has no bias).
    dropout : float, default=0.0
        ``Dropout2d`` probability at the end of each block, in ``[0, 1)``;
        ``0`` uses ``nn.Identity``.

    Attributes
    ----------
    input_shape : tuple of int
        ``(channels, height, width)``.
    n_components : int
        Latent size.
    conv_channels : tuple of int
        Channels of each block.
    spatial_shapes : list of tuple of int
        ``(height, width)`` at the input and after each block, as returned by
        :func:`conv_output_shapes`.
    blocks : nn.Sequential
        The convolutional blocks; each is an ``nn.Sequential`` with children
        ``conv``, ``norm``, ``act``, ``pool`` and ``drop``.
    fc : nn.Linear
        Final projection to ``n_components``.

    See Also
    --------
    ConvDecoder : The mirrored decoder.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import ConvEncoder
    >>> encoder = ConvEncoder((1, 28, 28), n_components=8)
    >>> encoder.spatial_shapes
    [(28, 28), (14, 14), (7, 7)]
    >>> encoder(torch.zeros(2, 784)).shape
    torch.Size([2, 8])
    """

    def __init__(
        self,
        input_shape: tuple[int, int, int],
        n_components: int,
        *,
        conv_channels: Sequence[int] = (32, 64),
        kernel_size: int = 3,
        downsample: str = "maxpool",
        activation: type[nn.Module] = nn.ReLU,
        batch_norm: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        shape, channels = _validate(
            input_shape, n_components, conv_channels, kernel_size, downsample, activation, dropout
        )
        self.input_shape = shape
        self.n_components = int(n_components)
        self.conv_channels = channels
        self.spatial_shapes = conv_output_shapes(shape, len(channels), downsample, kernel_size)

        stride = 2 if downsample == "stride" else 1
        blocks = []
        in_channels = shape[0]
        for out_channels in channels:
            blocks.append(
                nn.Sequential(
                    OrderedDict(
                        conv=nn.Conv2d(
                            in_channels,
                            out_channels,
                            kernel_size,
                            stride=stride,
                            padding=kernel_size // 2,
                            bias=not batch_norm,
                        ),
                        norm=nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity(),
                        act=_make_activation(activation),
                        pool=(
                            nn.MaxPool2d(2, ceil_mode=True)
                            if downsample == "maxpool"
                            else nn.Identity()
                        ),
                        drop=nn.Dropout2d(dropout) if dropout > 0 else nn.Identity(),
                    )
                )
            )
            in_channels = out_channels
        self.unflatten = nn.Unflatten(1, shape)
        self.blocks = nn.Sequential(*blocks)
        self.flatten = nn.Flatten()
        height, width = self.spatial_shapes[-1]
        self.fc = nn.Linear(channels[-1] * height * width, self.n_components)

    def forward(self, x: Tensor) -> Tensor:
        """Encode flat rows.

        Parameters
        ----------
        x : Tensor of shape (batch, channels * height * width)
            Flat images (C-order, as ``x.reshape(batch, -1)`` of an NCHW tensor).

        Returns
        -------
        Tensor of shape (batch, n_components)
            The latent codes.
        """
        # nn.Unflatten reshapes (copying if x is not contiguous) and fails loudly
        # when the number of features does not match input_shape.
        x = self.unflatten(x)
        x = self.blocks(x)
        return self.fc(self.flatten(x))


class ConvDecoder(nn.Module):
    """Convolutional decoder mirroring :class:`ConvEncoder`.

    ``Linear(n_components -> conv_channels[-1] * h * w)`` and the activation are
    followed, for each block in reverse order, by::

        Upsample(size=...) -> Conv2d -> BatchNorm2d | Identity -> activation
                           -> Dropout2d | Identity

    and a final ``Conv2d`` to the input channels, without activation. The output
    is flattened back to ``(batch, channels * height * width)`` and is
    pre-activation (logits): apply e.g. a sigmoid outside if needed.

    Upsampling uses ``nn.Upsample(size=..., mode="nearest")`` followed by a
    stride-1 "same" ``Conv2d`` rather than a stride-2 ``ConvTranspose2d``: the
    target size is given explicitly, so the decoder reproduces the encoder's
    recorded sizes exactly for any height and width (odd sizes and 1 included)
    without ``output_padding`` arithmetic, and resize-convolution avoids the
    checkerboard artefacts of transposed convolutions.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)`` of one reconstructed sample.
    n_components : int
        Size of the latent code.
    conv_channels : sequence of int, default=(32, 64)
        Channels of the *encoder* blocks, in encoder order; the decoder uses them
        in reverse.
    kernel_size : int, default=3
        Odd convolution kernel size.
    downsample : {"maxpool", "stride"}, default="maxpool"
        Downsampling mode of the mirrored encoder; determines the recorded sizes.
    activation : type of nn.Module, default=nn.ReLU
        Activation layer class (or zero-argument factory returning a module).
    batch_norm : bool, default=False
        Add ``BatchNorm2d`` after each hidden convolution.
    dropout : float, default=0.0
        ``Dropout2d`` probability at the end of each hidden block, in ``[0, 1)``.

    Attributes
    ----------
    input_shape : tuple of int
        ``(channels, height, width)``.
    n_components : int
        Latent size.
    conv_channels : tuple of int
        Channels of the encoder blocks (encoder order).
    spatial_shapes : list of tuple of int
        Encoder-side ``(height, width)`` per level, see :func:`conv_output_shapes`.
    fc : nn.Linear
        Projection from the latent code.
    blocks : nn.Sequential
        Upsampling blocks; each is an ``nn.Sequential`` with children ``upsample``,
        ``conv``, ``norm``, ``act`` and ``drop``.
    head : nn.Conv2d
        Final convolution to the input channels.

    See Also
    --------
    ConvEncoder : The encoder this module mirrors.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import ConvDecoder, ConvEncoder
    >>> encoder = ConvEncoder((3, 7, 7), n_components=4)
    >>> decoder = ConvDecoder((3, 7, 7), n_components=4)
    >>> x = torch.zeros(2, 3 * 7 * 7)
    >>> decoder(encoder(x)).shape
    torch.Size([2, 147])
    """

    def __init__(
        self,
        input_shape: tuple[int, int, int],
        n_components: int,
        *,
        conv_channels: Sequence[int] = (32, 64),
        kernel_size: int = 3,
        downsample: str = "maxpool",
        activation: type[nn.Module] = nn.ReLU,
        batch_norm: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        shape, channels = _validate(
            input_shape, n_components, conv_channels, kernel_size, downsample, activation, dropout
        )
        self.input_shape = shape
        self.n_components = int(n_components)
        self.conv_channels = channels
        self.spatial_shapes = conv_output_shapes(shape, len(channels), downsample, kernel_size)

        height, width = self.spatial_shapes[-1]
        self.fc = nn.Linear(self.n_components, channels[-1] * height * width)
        self.fc_act = _make_activation(activation)
        self.unflatten = nn.Unflatten(1, (channels[-1], height, width))

        blocks = []
        # Level i holds channels[i - 1] maps of size spatial_shapes[i]; block i maps
        # level i back to the size of level i - 1 with channels[i - 2] (channels[0]
        # for the outermost block, the head then maps to the input channels).
        for level in range(len(channels), 0, -1):
            in_channels = channels[level - 1]
            out_channels = channels[max(level - 2, 0)]
            blocks.append(
                nn.Sequential(
                    OrderedDict(
                        upsample=nn.Upsample(size=self.spatial_shapes[level - 1], mode="nearest"),
                        conv=nn.Conv2d(
                            in_channels,
                            out_channels,
                            kernel_size,
                            padding=kernel_size // 2,
                            bias=not batch_norm,
                        ),
                        norm=nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity(),
                        act=_make_activation(activation),
                        drop=nn.Dropout2d(dropout) if dropout > 0 else nn.Identity(),
                    )
                )
            )
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Conv2d(channels[0], shape[0], kernel_size, padding=kernel_size // 2)
        self.flatten = nn.Flatten()

    def forward(self, z: Tensor) -> Tensor:
        """Decode latent codes.

        Parameters
        ----------
        z : Tensor of shape (batch, n_components)
            Latent codes.

        Returns
        -------
        Tensor of shape (batch, channels * height * width)
            Flat reconstructions, before any output activation (logits).
        """
        x = self.unflatten(self.fc_act(self.fc(z)))
        x = self.blocks(x)
        return self.flatten(self.head(x))
