# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""UMAP's cross-entropy between a neighbour graph and the codes, with negative sampling."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["UMAPLoss"]


class UMAPLoss(nn.Module):
    """Parametric UMAP's loss of a batch of graph edges (Sainburg et al., 2021).

    The codes of an edge's two ends should be close: their similarity
    ``q = 1 / (1 + a d^(2b))`` (``d`` their Euclidean distance) is pulled to 1.
    Each edge also gives ``negative_sample_rate`` random pairs (its head with
    the tails of other edges of the batch), pushed apart: their ``q`` is pulled
    to 0. The edges are drawn with probability proportional to their graph
    weight, so every positive target is 1, as in UMAP's stochastic
    optimisation.

    Parameters
    ----------
    a, b : float, default=1.577, 0.895
        The curve of the codes' similarity; the defaults are UMAP's for
        ``min_dist=0.1``, ``spread=1``.
    negative_sample_rate : int, default=5
        Random pairs per edge.
    repulsion_strength : float, default=1.0
        Weight of the negative pairs' term.
    eps : float, default=1e-4
        Similarities are clipped to ``[eps, 1 - eps]`` inside the logarithms
        (as parametric UMAP does), so the loss stays finite.

    Examples
    --------
    >>> import torch
    >>> from skae.nn import UMAPLoss
    >>> loss = UMAPLoss()
    >>> z = torch.randn(8, 2)
    >>> bool(loss(z, z + 0.01) < loss(z, torch.randn(8, 2) * 10))
    True
    """

    def __init__(
        self,
        a: float = 1.5769434602697652,
        b: float = 0.8950608778515733,
        negative_sample_rate: int = 5,
        repulsion_strength: float = 1.0,
        eps: float = 1e-4,
    ) -> None:
        super().__init__()
        self.a = float(a)
        self.b = float(b)
        self.negative_sample_rate = int(negative_sample_rate)
        self.repulsion_strength = float(repulsion_strength)
        self.eps = float(eps)

    @staticmethod
    def _check_pairs(z_head: Tensor, z_tail: Tensor, weights: Tensor | None, what: str) -> None:
        """A clear error for ends or weights of mismatched shapes (not torch's broadcasting one)."""
        if z_head.ndim != 2 or z_head.shape != z_tail.shape:
            raise ValueError(
                f"UMAPLoss needs the codes of both ends of the {what} as two tensors of the "
                f"same shape (n, n_components); got {tuple(z_head.shape)} and "
                f"{tuple(z_tail.shape)}."
            )
        if weights is not None and tuple(weights.shape) != (z_head.shape[0],):
            raise ValueError(
                f"UMAPLoss needs one weight per edge, a tensor of shape ({z_head.shape[0]},); "
                f"got {tuple(weights.shape)}."
            )

    def _similarity(self, u: Tensor, v: Tensor) -> Tensor:
        # d^(2b) = (d^2)^b; the small offset keeps the gradient finite at d = 0.
        d2 = (u - v).pow(2).sum(dim=1)
        return 1.0 / (1.0 + self.a * (d2 + 1e-12).pow(self.b))

    def forward(self, z_head: Tensor, z_tail: Tensor, weights: Tensor | None = None) -> Tensor:
        """Mean cross-entropy of the edges ``(z_head[i], z_tail[i])`` and of random pairs.

        Parameters
        ----------
        z_head, z_tail : torch.Tensor of shape (n_edges, n_components)
            Codes of the two ends of each edge.
        weights : torch.Tensor of shape (n_edges,), default=None
            Weight of each edge and of its random pairs (e.g. to correct for
            edges drawn out of proportion to their graph weights); ``None``:
            all 1.

        Returns
        -------
        torch.Tensor
            A scalar: attraction of the edges plus ``repulsion_strength`` times
            the repulsion of the random pairs, averaged over all pairs.

        Raises
        ------
        ValueError
            If ``z_head`` and ``z_tail`` differ in shape or are not 2-D, or
            ``weights`` is not one value per edge.
        """
        self._check_pairs(z_head, z_tail, weights, "edges")
        q = self._similarity(z_head, z_tail)
        attraction = -torch.log(q.clamp(self.eps, 1.0))
        if weights is not None:
            attraction = weights * attraction
        n = z_head.shape[0]
        if self.negative_sample_rate and n > 1:
            heads = z_head.repeat(self.negative_sample_rate, 1)
            picked = torch.randint(0, n, (n * self.negative_sample_rate,), device=z_tail.device)
            tails = z_tail[picked]
            q_neg = self._similarity(heads, tails)
            repulsion = -torch.log((1.0 - q_neg).clamp(self.eps, 1.0))
            if weights is not None:
                repulsion = weights.repeat(self.negative_sample_rate) * repulsion
            return torch.cat([attraction, self.repulsion_strength * repulsion]).mean()
        return attraction.mean()

    def weighted(
        self,
        z_head: Tensor,
        z_tail: Tensor,
        weights: Tensor,
        z_negative_head: Tensor,
        z_negative_tail: Tensor,
    ) -> Tensor:
        """The loss of given edges with weights, and of given random pairs (no sampling).

        The expectation of :meth:`forward` when its edges are drawn with
        probability proportional to ``weights``: a deterministic score, e.g.
        for validation rows.

        Parameters
        ----------
        z_head, z_tail : torch.Tensor of shape (n_edges, n_components)
            Codes of the two ends of each edge.
        weights : torch.Tensor of shape (n_edges,)
            The edges' membership strengths.
        z_negative_head, z_negative_tail : torch.Tensor of shape (n_pairs, n_components)
            Codes of random pairs, pushed apart.

        Returns
        -------
        torch.Tensor
            A scalar on the scale of :meth:`forward`.

        Raises
        ------
        ValueError
            If the ends of the edges or of the random pairs differ in shape,
            or ``weights`` is not one value per edge.
        """
        self._check_pairs(z_head, z_tail, weights, "edges")
        self._check_pairs(z_negative_head, z_negative_tail, None, "random pairs")
        attraction = -torch.log(self._similarity(z_head, z_tail).clamp(self.eps, 1.0))
        attraction = (weights * attraction).sum() / weights.sum()
        q_neg = self._similarity(z_negative_head, z_negative_tail)
        repulsion = -torch.log((1.0 - q_neg).clamp(self.eps, 1.0)).mean()
        rate = self.negative_sample_rate
        return (attraction + rate * self.repulsion_strength * repulsion) / (1 + rate)

    def extra_repr(self) -> str:
        """Return the parameters shown in the module's ``repr``.

        Returns
        -------
        str
            The curve and the negative sampling's settings.
        """
        return (
            f"a={self.a:.4g}, b={self.b:.4g}, negative_sample_rate={self.negative_sample_rate}, "
            f"repulsion_strength={self.repulsion_strength}"
        )
