# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Small building blocks: activation lookup and input-corruption layers."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = [
    "ACTIVATIONS",
    "GaussianNoise",
    "MaskingNoise",
    "SaltAndPepperNoise",
    "get_activation",
    "make_noise",
]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "sigmoid": nn.Sigmoid,
    "identity": nn.Identity,
}


def get_activation(activation: str | type[nn.Module]) -> type[nn.Module]:
    """Return the activation class for a name or pass a module class through.

    Parameters
    ----------
    activation : str or type of torch.nn.Module
        One of the keys of ``ACTIVATIONS`` or a ``torch.nn.Module`` subclass
        that can be built without arguments.

    Returns
    -------
    type of torch.nn.Module
        The activation class, to be built without arguments.

    Examples
    --------
    >>> from skae.nn import get_activation
    >>> get_activation("leaky_relu")
    <class 'torch.nn.modules.activation.LeakyReLU'>
    """
    if isinstance(activation, str):
        try:
            return ACTIVATIONS[activation]
        except KeyError:
            raise ValueError(
                f"Unknown activation {activation!r}; expected one of {sorted(ACTIVATIONS)} "
                "or a torch.nn.Module class."
            ) from None
    if isinstance(activation, type) and issubclass(activation, nn.Module):
        return activation
    raise TypeError(f"activation must be a name or a torch.nn.Module class, got {activation!r}.")


class GaussianNoise(nn.Module):
    """Add ``N(0, std**2)`` noise in training mode; identity in eval mode.

    Parameters
    ----------
    std : float
        Standard deviation of the noise, in input units; 0 disables the noise.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import GaussianNoise
    >>> layer = GaussianNoise(0.1).eval()
    >>> bool(torch.equal(layer(torch.ones(2, 3)), torch.ones(2, 3)))
    True
    """

    def __init__(self, std: float) -> None:
        super().__init__()
        self.std = float(std)

    def forward(self, x: Tensor) -> Tensor:
        """Add Gaussian noise to ``x`` in training mode.

        Parameters
        ----------
        x : Tensor
            Input batch, of any shape.

        Returns
        -------
        Tensor
            ``x`` corrupted in training mode, ``x`` itself in eval mode.
        """
        if not self.training or self.std == 0:
            return x
        return x + self.std * torch.randn_like(x)

    def extra_repr(self) -> str:
        """Return the parameters shown in the module's ``repr``.

        Returns
        -------
        str
            The noise parameters, e.g. ``"p=0.5"``.
        """
        return f"std={self.std}"


class MaskingNoise(nn.Module):
    """Set each input feature to zero with probability ``p`` in training mode.

    Unlike :class:`torch.nn.Dropout` the kept values are not rescaled: the
    corrupted input stays in the data's range, as in denoising autoencoders.

    Parameters
    ----------
    p : float
        Probability of zeroing each value, in ``[0, 1]``; 0 disables the noise.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import MaskingNoise
    >>> _ = torch.manual_seed(0)
    >>> out = MaskingNoise(0.5).train()(torch.ones(1000))
    >>> 0.4 < float((out == 0).float().mean()) < 0.6
    True
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        """Zero random values of ``x`` in training mode.

        Parameters
        ----------
        x : Tensor
            Input batch, of any shape.

        Returns
        -------
        Tensor
            ``x`` corrupted in training mode, ``x`` itself in eval mode.
        """
        if not self.training or self.p == 0:
            return x
        keep = torch.rand_like(x) >= self.p
        return x * keep

    def extra_repr(self) -> str:
        """Return the parameters shown in the module's ``repr``.

        Returns
        -------
        str
            The noise parameters, e.g. ``"p=0.5"``.
        """
        return f"p={self.p}"


class SaltAndPepperNoise(nn.Module):
    """Set a fraction ``p`` of the inputs to ``low`` or ``high`` in training mode.

    Each value is set to ``low`` with probability ``p / 2`` and to ``high`` with
    probability ``p / 2``.

    Parameters
    ----------
    p : float
        Fraction of corrupted values, in ``[0, 1]``; 0 disables the noise.
    low : float, default=0.0
        Value of the "pepper" pixels.
    high : float, default=1.0
        Value of the "salt" pixels.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import SaltAndPepperNoise
    >>> _ = torch.manual_seed(0)
    >>> out = SaltAndPepperNoise(0.2).train()(torch.full((1000,), 0.5))
    >>> sorted(set(out.tolist()))
    [0.0, 0.5, 1.0]
    """

    def __init__(self, p: float, low: float = 0.0, high: float = 1.0) -> None:
        super().__init__()
        self.p = float(p)
        self.low = float(low)
        self.high = float(high)

    def forward(self, x: Tensor) -> Tensor:
        """Set random values of ``x`` to ``low`` or ``high`` in training mode.

        Parameters
        ----------
        x : Tensor
            Input batch, of any shape.

        Returns
        -------
        Tensor
            ``x`` corrupted in training mode, ``x`` itself in eval mode.
        """
        if not self.training or self.p == 0:
            return x
        u = torch.rand_like(x)
        x = torch.where(u < self.p / 2, torch.full_like(x, self.low), x)
        return torch.where(u > 1 - self.p / 2, torch.full_like(x, self.high), x)

    def extra_repr(self) -> str:
        """Return the parameters shown in the module's ``repr``.

        Returns
        -------
        str
            The noise parameters, e.g. ``"p=0.5"``.
        """
        return f"p={self.p}, low={self.low}, high={self.high}"


def make_noise(kind: str | None, level: float, low: float = 0.0, high: float = 1.0) -> nn.Module:
    """Build the input-corruption layer for a denoising autoencoder.

    Parameters
    ----------
    kind : {None, "gaussian", "masking", "salt_and_pepper"}
        Type of corruption; ``None`` gives :class:`torch.nn.Identity`.
    level : float
        Standard deviation (``"gaussian"``) or fraction of corrupted inputs.
    low : float, default=0.0
        Low ("pepper") value used by ``"salt_and_pepper"``.
    high : float, default=1.0
        High ("salt") value used by ``"salt_and_pepper"``.

    Returns
    -------
    torch.nn.Module
        The corruption layer, active in training mode only.

    Examples
    --------
    >>> from skae.nn import make_noise
    >>> make_noise("gaussian", 0.2)
    GaussianNoise(std=0.2)
    >>> make_noise(None, 0.2)
    Identity()
    """
    if kind is None or level == 0:
        return nn.Identity()
    if kind == "gaussian":
        return GaussianNoise(level)
    if kind == "masking":
        return MaskingNoise(level)
    if kind == "salt_and_pepper":
        return SaltAndPepperNoise(level, low, high)
    raise ValueError(
        f"Unknown noise {kind!r}; expected None, 'gaussian', 'masking' or 'salt_and_pepper'."
    )
