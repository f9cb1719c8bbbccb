# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The UMAP loss of a batch of edges."""

import pytest
import torch

from skae.nn import UMAPLoss


def test_close_edges_and_distant_random_pairs_cost_less():
    torch.manual_seed(0)
    loss = UMAPLoss(negative_sample_rate=0)
    z = torch.randn(64, 2)
    assert loss(z, z + 0.01) < loss(z, z + 1.0) < loss(z, z + 5.0)
    # with negatives: the same edges cost more when the map is collapsed to a point
    loss = UMAPLoss()
    spread = torch.randn(64, 2) * 5
    assert loss(spread, spread + 0.01) < loss(spread * 0, spread * 0)


def test_gradient_is_finite_for_identical_codes():
    z = torch.zeros(8, 2, requires_grad=True)
    UMAPLoss()(z, z.detach().clone()).backward()
    assert torch.isfinite(z.grad).all()


def test_attraction_matches_the_formula():
    loss = UMAPLoss(a=2.0, b=1.0, negative_sample_rate=0)
    u, v = torch.zeros(1, 2), torch.tensor([[3.0, 4.0]])  # distance 5
    q = 1.0 / (1.0 + 2.0 * 25.0)
    assert float(loss(u, v)) == pytest.approx(-torch.log(torch.tensor(q)).item(), rel=1e-5)


def test_repulsion_strength_weighs_the_random_pairs():
    torch.manual_seed(0)
    z = torch.randn(32, 2) * 0.1
    torch.manual_seed(1)
    weak = UMAPLoss(repulsion_strength=0.0)(z, z)
    torch.manual_seed(1)
    strong = UMAPLoss(repulsion_strength=1.0)(z, z)
    assert strong > weak


def test_weighted_is_the_expectation_of_sampled_edges():
    torch.manual_seed(0)
    loss = UMAPLoss(negative_sample_rate=2)
    z_head, z_tail = torch.randn(3, 2), torch.randn(3, 2)
    weights = torch.tensor([0.2, 0.3, 0.5])
    neg_head, neg_tail = torch.randn(4, 2), torch.randn(4, 2)
    value = loss.weighted(z_head, z_tail, weights, neg_head, neg_tail)
    attraction = -torch.log(loss._similarity(z_head, z_tail).clamp(1e-4, 1))
    repulsion = -torch.log((1 - loss._similarity(neg_head, neg_tail)).clamp(1e-4, 1))
    expected = ((weights * attraction).sum() + 2 * repulsion.mean()) / 3
    assert float(value) == pytest.approx(float(expected), rel=1e-6)


def test_edge_weights_scale_each_edge_and_its_random_pairs():
    z_head, z_tail = torch.randn(4, 2), torch.randn(4, 2)
    weights = torch.tensor([0.5, 1.0, 1.5, 2.0])
    loss = UMAPLoss(negative_sample_rate=3)
    torch.manual_seed(3)
    weighted = loss(z_head, z_tail, weights)
    torch.manual_seed(3)
    picked = torch.randint(0, 4, (12,))
    attraction = -torch.log(loss._similarity(z_head, z_tail).clamp(1e-4, 1))
    q_neg = loss._similarity(z_head.repeat(3, 1), z_tail[picked])
    repulsion = -torch.log((1 - q_neg).clamp(1e-4, 1))
    expected = torch.cat([weights * attraction, weights.repeat(3) * repulsion]).mean()
    assert float(weighted) == pytest.approx(float(expected), rel=1e-6)
    torch.manual_seed(3)
    assert float(loss(z_head, z_tail, torch.ones(4))) == pytest.approx(
        float(torch.cat([attraction, repulsion]).mean()), rel=1e-6
    )


@pytest.mark.parametrize(
    "z_tail, weights, match",
    [
        (torch.zeros(4, 3), None, r"same shape.*\(4, 2\) and \(4, 3\)"),
        (torch.zeros(4, 2), torch.ones(3), r"one weight per edge.*\(4,\).*got \(3,\)"),
        (torch.zeros(4, 2), torch.ones(4, 1), r"one weight per edge.*got \(4, 1\)"),
    ],
)
def test_mismatched_ends_or_weights_get_a_clear_error(z_tail, weights, match):
    loss = UMAPLoss()
    with pytest.raises(ValueError, match=match):
        loss(torch.zeros(4, 2), z_tail, weights)
    with pytest.raises(ValueError, match=match):
        loss.weighted(
            torch.zeros(4, 2),
            z_tail,
            torch.ones(4) if weights is None else weights,
            torch.zeros(6, 2),
            torch.zeros(6, 2),
        )
    with pytest.raises(ValueError, match=r"random pairs.*\(6, 2\) and \(5, 2\)"):
        loss.weighted(
            torch.zeros(4, 2),
            torch.zeros(4, 2),
            torch.ones(4),
            torch.zeros(6, 2),
            torch.zeros(5, 2),
        )
