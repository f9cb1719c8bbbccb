# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Autoencoder modules and the reconstruction loss.

These are plain :class:`torch.nn.Module` classes: they know nothing about
scikit-learn and can be reused in any PyTorch training loop.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._anchored import AnchoredDecoder, AnchoredEncoder, pca_init_
from ._scaling import Standardize

__all__ = ["Autoencoder", "AutoencoderLoss", "VariationalAutoencoder"]


class Autoencoder(nn.Module):
    """An encoder, a decoder, optional input scaling and corruption, and an output activation.

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps ``(batch, n_features)`` to ``(batch, n_components)``.
    decoder : torch.nn.Module
        Maps ``(batch, n_components)`` to ``(batch, n_features)`` *logits*
        (pre-activation).
    output_activation : torch.nn.Module, default=None
        Applied to the decoder's output by :meth:`decode`; ``None`` means
        :class:`torch.nn.Identity`.
    noise : torch.nn.Module, default=None
        Corruption applied to the input in training mode only (e.g.
        :class:`~skae.nn.GaussianNoise`); ``None`` means no corruption.
    scaler : Standardize, default=None
        Input scaling (e.g. the training data's standardisation), held as
        buffers: :meth:`encode` scales its input and :meth:`decode` unscales
        its output, so both work in the data's own units. ``None`` means no
        scaling.

    Notes
    -----
    :meth:`forward` returns ``(logits, z)`` so that a loss can use either the
    logits (binary cross-entropy) or the activated output, and penalise the
    code ``z``. It works in the scaled space: compare its output with
    :meth:`scale_input` of the input.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import Autoencoder, MLPDecoder, MLPEncoder
    >>> ae = Autoencoder(MLPEncoder(10, 2, (8,)), MLPDecoder(10, 2, (8,)), torch.nn.Sigmoid())
    >>> logits, z = ae(torch.rand(4, 10))
    >>> logits.shape, z.shape
    (torch.Size([4, 10]), torch.Size([4, 2]))
    >>> ae.decode(z).min() >= 0
    tensor(True)
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        output_activation: nn.Module | None = None,
        noise: nn.Module | None = None,
        scaler: Standardize | None = None,
    ) -> None:
        super().__init__()
        self.noise = noise if noise is not None else nn.Identity()
        self.encoder = encoder
        self.decoder = decoder
        self.output_activation = (
            output_activation if output_activation is not None else nn.Identity()
        )
        self.scaler = scaler

    def scale_input(self, x: Tensor) -> Tensor:
        """``x`` in the space the network works in (scaled by :attr:`scaler`, if any).

        Parameters
        ----------
        x : torch.Tensor of shape (batch, n_features)
            Rows in the data's units.

        Returns
        -------
        torch.Tensor of shape (batch, n_features)
            ``scaler(x)``, or ``x`` itself without a scaler.
        """
        return x if self.scaler is None else self.scaler(x)

    def unscale_output(self, x: Tensor) -> Tensor:
        """Rows of the network's space back in the data's units.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, n_features)
            Rows in the network's (scaled) space.

        Returns
        -------
        torch.Tensor of shape (batch, n_features)
            ``scaler.inverse(x)``, or ``x`` itself without a scaler.
        """
        return x if self.scaler is None else self.scaler.inverse(x)

    @torch.no_grad()
    def init_output_bias(self, mean: Tensor) -> bool:
        """Start reconstructions at the data mean (PCA's zero-component solution).

        Sets the decoder's output bias so that ``decode`` starts at ``mean``,
        when the decoder supports it (it has an ``init_output_bias`` method,
        like :class:`~skae.nn.MLPDecoder`) and the activation is sigmoid, tanh
        or identity.

        Parameters
        ----------
        mean : torch.Tensor of shape (n_features,)
            Per-feature mean of the training data, in the data's units.

        Returns
        -------
        bool
            Whether the bias was set.
        """
        setter = getattr(self.decoder, "init_output_bias", None)
        act = self.output_activation
        eps = 1e-4
        if setter is None:
            return False
        mean = self.scale_input(mean.to(self.scaler.shift) if self.scaler is not None else mean)
        if isinstance(act, nn.Sigmoid):
            bias = torch.logit(mean.clamp(eps, 1 - eps))
        elif isinstance(act, nn.Tanh):
            bias = torch.atanh(mean.clamp(-1 + eps, 1 - eps))
        elif isinstance(act, nn.Identity):
            bias = mean
        else:
            return False
        setter(bias)
        return True

    @torch.no_grad()
    def init_pca_(self, X) -> bool:
        """Start PCA-anchored parts at the PCA of ``X`` (in the data's units).

        ``X`` is scaled by :attr:`scaler` first, in float64. Only anchored
        parts (:class:`~skae.nn.AnchoredEncoder`,
        :class:`~skae.nn.AnchoredDecoder`) are set; other parts are left as
        they are. See :func:`~skae.nn.pca_init_`.

        Parameters
        ----------
        X : torch.Tensor or ndarray of shape (n_samples, n_features)
            Training data, in the data's units.

        Returns
        -------
        bool
            Whether the encoder and decoder are anchored parts (and were set).
        """
        if not (
            isinstance(self.encoder, AnchoredEncoder) and isinstance(self.decoder, AnchoredDecoder)
        ):
            return False
        shift = scale = None
        if self.scaler is not None:
            shift = self.scaler.shift.double().cpu().numpy()
            scale = self.scaler.scale.double().cpu().numpy()
        pca_init_(self.encoder, self.decoder, X, shift=shift, scale=scale)
        return True

    def encode(self, x: Tensor) -> Tensor:
        """Codes of ``x``, given in the data's units (never corrupted by :attr:`noise`).

        Parameters
        ----------
        x : torch.Tensor of shape (batch, n_features)
            Rows in the data's units.

        Returns
        -------
        torch.Tensor of shape (batch, n_components)
            The codes.
        """
        return self.encoder(self.scale_input(x))

    def decode(self, z: Tensor) -> Tensor:
        """Reconstruction of codes ``z`` in the data's units (after the output activation).

        Parameters
        ----------
        z : torch.Tensor of shape (batch, n_components)
            Codes.

        Returns
        -------
        torch.Tensor of shape (batch, n_features)
            The reconstructed rows, in the data's units.
        """
        return self.unscale_output(self.output_activation(self.decoder(z)))

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        """Encode and decode ``x`` (corrupted by :attr:`noise` in training mode).

        Parameters
        ----------
        x : torch.Tensor of shape (batch, n_features)
            Rows in the data's units.

        Returns
        -------
        logits : torch.Tensor of shape (batch, n_features)
            The decoder's output before the output activation, in the scaled
            space (compare it with :meth:`scale_input` of ``x``).
        z : torch.Tensor of shape (batch, n_components)
            The codes.
        """
        z = self.encoder(self.noise(self.scale_input(x)))
        return self.decoder(z), z


class VariationalAutoencoder(Autoencoder):
    """A variational autoencoder with a diagonal Gaussian posterior.

    The encoder must output ``2 * n_components`` values per row: the posterior
    means followed by the log-variances. In training mode the code is sampled
    with the reparameterisation trick; in eval mode it is the mean.

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps ``(batch, n_features)`` to ``(batch, 2 * n_components)``: the
        posterior means, then the log-variances.
    decoder : torch.nn.Module
        Maps ``(batch, n_components)`` to ``(batch, n_features)`` *logits*
        (pre-activation).
    output_activation : torch.nn.Module, default=None
        Applied to the decoder's output by :meth:`decode`; ``None`` means
        :class:`torch.nn.Identity`.
    noise : torch.nn.Module, default=None
        Corruption applied to the input in training mode only (e.g.
        :class:`~skae.nn.GaussianNoise`); ``None`` means no corruption.
    scaler : Standardize, default=None
        Input scaling (e.g. the training data's standardisation), held as
        buffers: :meth:`encode` scales its input and :meth:`decode` unscales
        its output, so both work in the data's own units. ``None`` means no
        scaling.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import MLPDecoder, MLPEncoder, VariationalAutoencoder
    >>> vae = VariationalAutoencoder(MLPEncoder(10, 4, (8,)), MLPDecoder(10, 2, (8,)))
    >>> logits, z, mean, log_var = vae(torch.rand(3, 10))
    >>> z.shape, mean.shape
    (torch.Size([3, 2]), torch.Size([3, 2]))
    """

    def encode(self, x: Tensor) -> Tensor:
        """Posterior means of ``x`` (given in the data's units).

        Parameters
        ----------
        x : torch.Tensor of shape (batch, n_features)
            Rows in the data's units.

        Returns
        -------
        torch.Tensor of shape (batch, n_components)
            The posterior means (never sampled, never corrupted by :attr:`noise`).
        """
        mean, _ = self.encoder(self.scale_input(x)).chunk(2, dim=-1)
        return mean

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        """Encode, sample (in training mode) and decode ``x``.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, n_features)
            Rows in the data's units (corrupted by :attr:`noise` in training
            mode).

        Returns
        -------
        logits : torch.Tensor of shape (batch, n_features)
            The decoder's output before the output activation, in the scaled
            space (compare it with :meth:`scale_input` of ``x``).
        z : torch.Tensor of shape (batch, n_components)
            The codes: sampled from the posterior in training mode, its mean
            in eval mode.
        mean : torch.Tensor of shape (batch, n_components)
            Posterior means.
        log_var : torch.Tensor of shape (batch, n_components)
            Posterior log-variances, clamped to ``[-30, 20]``.
        """
        mean, log_var = self.encoder(self.noise(self.scale_input(x))).chunk(2, dim=-1)
        log_var = log_var.clamp(-30.0, 20.0)
        if self.training:
            z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
        else:
            z = mean
        return self.decoder(z), z, mean, log_var


class AutoencoderLoss(nn.Module):
    """Reconstruction loss with optional L1 code penalty and KL term.

    Parameters
    ----------
    loss : {"mse", "bce"}, default="mse"
        ``"mse"`` compares ``output_activation(logits)`` with the target;
        ``"bce"`` is binary cross-entropy computed on the logits (numerically
        stable, targets in ``[0, 1]``).
    output_activation : torch.nn.Module, default=None
        Activation applied before the MSE; ignored by ``"bce"``.
    latent_l1 : float, default=0.0
        Weight of the mean absolute value of the code (sparse autoencoder).
    beta : float, default=1.0
        Weight of the KL divergence for variational outputs.

    Notes
    -----
    Every term is averaged per input element, so the KL divergence (a sum over
    latent dimensions) is divided by the number of features. The terms of the
    last call are kept in ``last_terms`` (detached) for logging.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import AutoencoderLoss
    >>> crit = AutoencoderLoss("bce")
    >>> x = torch.rand(4, 3)
    >>> float(crit((torch.zeros(4, 3), torch.zeros(4, 1)), x)) > 0
    True
    """

    def __init__(
        self,
        loss: str = "mse",
        output_activation: nn.Module | None = None,
        latent_l1: float = 0.0,
        beta: float = 1.0,
    ) -> None:
        super().__init__()
        if loss not in ("mse", "bce"):
            raise ValueError(f"loss must be 'mse' or 'bce', got {loss!r}.")
        self.loss = loss
        self.output_activation = (
            output_activation if output_activation is not None else nn.Identity()
        )
        self.latent_l1 = float(latent_l1)
        self.beta = float(beta)
        self.last_terms: dict[str, Tensor] = {}

    def forward(self, output: tuple[Tensor, ...], target: Tensor) -> Tensor:
        """Loss of an autoencoder's output against ``target``.

        Parameters
        ----------
        output : tuple of torch.Tensor
            What the autoencoder's ``forward`` returns: ``(logits, z)``, or
            ``(logits, z, mean, log_var)`` for a variational autoencoder (which
            adds the KL term).
        target : torch.Tensor of shape (batch, n_features)
            The rows to reconstruct, in the space of ``logits`` (the scaled
            space of an autoencoder with a scaler).

        Returns
        -------
        torch.Tensor
            The total loss, a scalar. Its terms are kept, detached, in
            ``last_terms``.
        """
        logits, z = output[0], output[1]
        if self.loss == "bce":
            rec = F.binary_cross_entropy_with_logits(logits, target)
        else:
            rec = F.mse_loss(self.output_activation(logits), target)
        total = rec
        terms = {"reconstruction": rec}
        if self.latent_l1 > 0:
            l1 = z.abs().mean()
            total = total + self.latent_l1 * l1
            terms["latent_l1"] = l1
        if len(output) == 4:
            mean, log_var = output[2], output[3]
            kl = -0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum(dim=1).mean()
            kl = kl / target[0].numel()
            total = total + self.beta * kl
            terms["kl"] = kl
        self.last_terms = {k: v.detach() for k, v in terms.items()}
        return total
