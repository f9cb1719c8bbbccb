# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Fully connected encoder and decoder stacks."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ["MLP", "MLPDecoder", "MLPEncoder"]


class MLP(nn.Module):
    """A stack of ``Linear -> norm -> activation -> dropout`` blocks and a final ``Linear``.

    Parameters
    ----------
    in_features : int
        Width of the input.
    out_features : int
        Width of the output; the last layer is linear (no activation).
    hidden_layer_sizes : sequence of int
        Widths of the hidden layers, in order.
    activation : type of torch.nn.Module, default=torch.nn.ReLU
        Activation class, built once per hidden layer.
    batch_norm : bool, default=False
        Insert :class:`torch.nn.BatchNorm1d` after each hidden ``Linear``.
    dropout : float, default=0.0
        Dropout probability after each hidden activation (``nn.Identity`` when 0).

    Examples
    --------
    >>> import torch
    >>> from skae.nn import MLP
    >>> mlp = MLP(64, 2, (32, 16))
    >>> mlp(torch.zeros(5, 64)).shape
    torch.Size([5, 2])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        hidden_layer_sizes: Sequence[int] = (),
        *,
        activation: type[nn.Module] = nn.ReLU,
        batch_norm: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        sizes = [int(in_features), *map(int, hidden_layer_sizes)]
        if min([*sizes, int(out_features)]) < 1:
            raise ValueError(f"Layer sizes must be positive, got {[*sizes, out_features]}.")
        layers: list[nn.Module] = []
        for n_in, n_out in itertools.pairwise(sizes):
            layers += [
                nn.Linear(n_in, n_out),
                nn.BatchNorm1d(n_out) if batch_norm else nn.Identity(),
                activation(),
                nn.Dropout(dropout) if dropout > 0 else nn.Identity(),
            ]
        layers.append(nn.Linear(sizes[-1], int(out_features)))
        self.layers = nn.Sequential(*layers)
        self.reset_parameters(activation)
        self.in_features = int(in_features)
        self.out_features = int(out_features)

    @torch.no_grad()
    def reset_parameters(self, activation: type[nn.Module] = nn.ReLU) -> None:
        """He (Kaiming) initialisation for ReLU-like activations, Glorot for the others.

        Hidden layers feeding a ReLU, LeakyReLU, ELU or GELU get
        ``kaiming_normal_``, those feeding tanh/sigmoid/SELU get Glorot's
        initialisation with the matching gain, and the last (linear) layer gets
        Glorot's; biases start at zero. PyTorch's default (uniform with bound
        ``1/sqrt(fan_in)``) trains markedly slower in deep autoencoders.

        Parameters
        ----------
        activation : type of torch.nn.Module, default=torch.nn.ReLU
            Activation class of the hidden layers, which selects the initialisation.
        """
        linears = [m for m in self.layers if isinstance(m, nn.Linear)]
        name = activation.__name__.lower() if isinstance(activation, type) else ""
        for i, layer in enumerate(linears):
            last = i == len(linears) - 1
            if not last and name in ("relu", "leakyrelu", "elu", "gelu"):
                slope = 0.01 if name == "leakyrelu" else 0.0
                nonlinearity = "leaky_relu" if name == "leakyrelu" else "relu"
                nn.init.kaiming_normal_(layer.weight, a=slope, nonlinearity=nonlinearity)
            else:
                gain = 1.0
                if not last and name in ("tanh", "sigmoid", "selu"):
                    gain = nn.init.calculate_gain("tanh" if name == "selu" else name)
                nn.init.xavier_normal_(layer.weight, gain=gain)
            nn.init.zeros_(layer.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the stack.

        Parameters
        ----------
        x : Tensor of shape (batch, in_features)
            Input rows.

        Returns
        -------
        Tensor of shape (batch, out_features)
            Output of the last (linear) layer.
        """
        return self.layers(x)


class MLPEncoder(MLP):
    """Dense encoder: ``n_features -> hidden_layer_sizes -> n_components``.

    Parameters
    ----------
    n_features : int
        Width of the input.
    n_components : int
        Size of the latent code (the output, without activation).
    hidden_layer_sizes : sequence of int, default=(256, 128)
        Widths of the hidden layers, from the input to the code.
    **kwargs : dict
        ``activation``, ``batch_norm`` and ``dropout``, passed to :class:`MLP`.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import MLPEncoder
    >>> MLPEncoder(784, 32, (256, 128))(torch.zeros(3, 784)).shape
    torch.Size([3, 32])
    """

    def __init__(
        self,
        n_features: int,
        n_components: int,
        hidden_layer_sizes: Sequence[int] = (256, 128),
        **kwargs,
    ) -> None:
        super().__init__(n_features, n_components, hidden_layer_sizes, **kwargs)


class MLPDecoder(MLP):
    """Dense decoder mirroring :class:`MLPEncoder` (from the code back to the features).

    ``hidden_layer_sizes`` is given in the *encoder's* order and reversed here,
    so ``MLPEncoder(d, k, h)`` and ``MLPDecoder(d, k, h)`` are mirror images.
    The output is pre-activation (logits); the output activation is applied by
    :class:`~skae.nn.Autoencoder`.

    Parameters
    ----------
    n_features : int
        Width of the output (the reconstructed features).
    n_components : int
        Size of the latent code (the input).
    hidden_layer_sizes : sequence of int, default=(256, 128)
        Widths of the hidden layers in the encoder's order, from the features to the code.
    **kwargs : dict
        ``activation``, ``batch_norm`` and ``dropout``, passed to :class:`MLP`.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import MLPDecoder
    >>> MLPDecoder(784, 32, (256, 128))(torch.zeros(3, 32)).shape
    torch.Size([3, 784])
    """

    def __init__(
        self,
        n_features: int,
        n_components: int,
        hidden_layer_sizes: Sequence[int] = (256, 128),
        **kwargs,
    ) -> None:
        super().__init__(n_components, n_features, tuple(hidden_layer_sizes)[::-1], **kwargs)

    @torch.no_grad()
    def init_output_bias(self, bias: Tensor) -> None:
        """Set the bias of the output layer (pre-activation), e.g. to the data mean.

        Parameters
        ----------
        bias : Tensor of shape (n_features,)
            New bias, copied to the device and dtype of the layer.
        """
        self.layers[-1].bias.copy_(bias.to(self.layers[-1].bias))
