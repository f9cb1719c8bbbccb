# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""UMAP's neighbour graph and its neighbour sampler (``skae/_graph.py``)."""

import math

import numpy as np
import pytest
import torch
from sklearn.neighbors import NearestNeighbors

from skae._data import ArrayDataset
from skae._graph import NeighborSampler, fuzzy_graph, nearest_neighbors, umap_curve


def _reference_graph(indices, distances):
    """umap-learn's ``smooth_knn_dist`` and membership strengths, transcribed loop by loop."""
    n, k = indices.shape
    target = math.log2(k)
    mean_all = distances.mean()
    W = np.zeros((n, n))
    for i in range(n):
        row = distances[i]
        positive = row[row > 0]
        rho = positive[0] if len(positive) else 0.0
        lo, hi, mid = 0.0, np.inf, 1.0
        for _ in range(64):
            psum = sum(
                np.exp(-(row[j] - rho) / mid) if row[j] - rho > 0 else 1.0 for j in range(1, k)
            )
            if abs(psum - target) < 1e-5:
                break
            if psum > target:
                hi = mid
                mid = (lo + hi) / 2
            else:
                lo = mid
                mid = mid * 2 if hi == np.inf else (lo + hi) / 2
        floor = 1e-3 * (row.mean() if rho > 0 else mean_all)
        sigma = max(mid, floor)
        for j in range(k):
            if indices[i, j] == i:
                continue
            d = row[j] - rho
            W[i, indices[i, j]] = 1.0 if d <= 0 else np.exp(-d / sigma)
    return W + W.T - W * W.T


def test_nearest_neighbors_are_exact_and_start_with_the_row_itself():
    X = np.random.RandomState(0).normal(size=(300, 7))
    indices, distances = nearest_neighbors(X, 6, block=64)  # several blocks
    ref_dist, ref_idx = NearestNeighbors(n_neighbors=6).fit(X).kneighbors(X)
    np.testing.assert_array_equal(indices, ref_idx)
    np.testing.assert_allclose(distances, ref_dist, atol=1e-4)
    np.testing.assert_array_equal(indices[:, 0], np.arange(300))
    assert (distances[:, 0] == 0).all()


def test_fuzzy_graph_is_umaps():
    X = np.random.RandomState(1).normal(size=(120, 5))
    X[7] = X[3]  # a duplicate row: distance 0 to a neighbour
    indices, distances = nearest_neighbors(X, 10)
    heads, tails, weights = fuzzy_graph(indices, distances)
    W = np.zeros((120, 120))
    W[heads, tails] = weights
    expected = _reference_graph(indices, distances.astype(np.float64))
    np.testing.assert_allclose(W, expected, atol=1e-5)
    assert (heads != tails).all()
    assert ((weights > 0) & (weights <= 1)).all()
    np.testing.assert_allclose(W, W.T)  # both directions of every edge


def test_umap_curve_matches_umaps_constants():
    # umap-learn's find_ab_params(spread=1, min_dist=0.1): a=1.5769..., b=0.8950...
    a, b = umap_curve(0.1)
    assert a == pytest.approx(1.57694346, rel=1e-4)
    assert b == pytest.approx(0.89506088, rel=1e-4)
    a_wide, _ = umap_curve(0.5)
    assert a_wide < a  # a larger min_dist flattens the curve near 0


def test_neighbor_sampler_draws_each_rows_neighbours_in_proportion_to_the_weights():
    X = torch.arange(12, dtype=torch.float32).reshape(6, 2)
    data = ArrayDataset(X.numpy(), indices=np.array([5, 3, 1]))  # graph rows -> dataset rows
    heads, tails = np.array([0, 1, 0, 2, 1]), np.array([1, 0, 2, 0, 2])
    weights = np.array([0.2, 0.2, 0.6, 0.6, 0.5], dtype=np.float32)
    sampler = NeighborSampler(data, heads, tails, weights, per_row=4000)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(0)
    rows = torch.tensor([1, 5])  # graph rows 2 and 0, in the dataset's row numbers
    tails_x, edge_weights = sampler(rows)
    torch.random.set_rng_state(generator_state)
    assert tails_x.shape == (8000, 2)
    drawn = tails_x[:, 0].long().numpy() // 2  # the dataset row of each tail
    # dataset row 1 (graph row 2) has one edge, to graph row 0 (dataset row 5)
    assert (drawn[:4000] == 5).all()
    # dataset row 5 (graph row 0): edges to dataset rows 3 and 1, weights 0.2 and 0.6
    np.testing.assert_allclose(np.mean(drawn[4000:] == 1), 0.75, atol=0.02)
    assert set(drawn[4000:].tolist()) == {3, 1}
    # each edge weighs its head's degree against the mean degree (0.8, 0.7, 0.6)
    np.testing.assert_allclose(edge_weights[:4000], 0.6 / 0.7, rtol=1e-6)
    np.testing.assert_allclose(edge_weights[4000:], 0.8 / 0.7, rtol=1e-6)
    with pytest.raises(ValueError, match="not built on"):
        sampler(torch.tensor([0]))


def test_neighbors_of_other_rows():
    rng = np.random.RandomState(2)
    X, queries = rng.normal(size=(200, 4)), rng.normal(size=(30, 4))
    indices, distances = nearest_neighbors(X, 5, queries=queries, block=8)
    ref_dist, ref_idx = NearestNeighbors(n_neighbors=5).fit(X).kneighbors(queries)
    np.testing.assert_array_equal(indices, ref_idx)
    np.testing.assert_allclose(distances, ref_dist, atol=1e-4)
