# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""UMAP's fuzzy k-nearest-neighbour graph of the training rows, and its edge sampler.

Below the estimators: NumPy, SciPy and torch only. The graph is exactly
umap-learn's ``fuzzy_simplicial_set`` (Euclidean metric, ``local_connectivity=1``,
``set_op_mix_ratio=1``) on exact nearest neighbours; it is built here rather than
with umap-learn or pynndescent because, measured on real MNIST (784 features,
2 CPU cores): for all 60,000 training images, importing pynndescent took 22 s
and building its approximate graph 62 s (numba compilation included),
scikit-learn's exact ``NearestNeighbors`` 71 s and umap-learn's fuzzy set
8.8 s; for the 54,000 rows a default fit trains on, the exact neighbours by
blocked matrix products in torch below take 42 s and the fuzzy set in NumPy
0.7 s, with no compiler among the dependencies.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = [
    "GraphRegularizer",
    "NeighborSampler",
    "fuzzy_graph",
    "memberships",
    "nearest_neighbors",
    "umap_curve",
    "umap_regularizer",
]

#: umap-learn's constants of ``smooth_knn_dist``.
_SMOOTH_K_TOLERANCE = 1e-5
_MIN_K_DIST_SCALE = 1e-3
_N_ITER = 64


@torch.no_grad()
def nearest_neighbors(X, n_neighbors, *, queries=None, block=1024):
    """Exact Euclidean nearest neighbours among the rows of ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    n_neighbors : int
        Neighbours per row. Without ``queries``, the row itself is included
        (first), as umap-learn counts.
    queries : ndarray of shape (n_queries, n_features), default=None
        Rows whose neighbours among ``X`` are wanted (other rows than
        ``X``'s: none is its own neighbour). ``None``: the rows of ``X``.
    block : int, default=1024
        Query rows per block of the distance computation: memory stays at
        ``block * n_samples`` distances.

    Returns
    -------
    indices : ndarray of shape (n_queries, n_neighbors), int64
    distances : ndarray of shape (n_queries, n_neighbors), float32
        Sorted by distance. Without ``queries``, column 0 is the row itself at
        distance 0.
    """
    data = torch.as_tensor(np.ascontiguousarray(X), dtype=torch.float32)
    own = queries is None
    query = data if own else torch.as_tensor(np.ascontiguousarray(queries), dtype=torch.float32)
    norms = (data * data).sum(dim=1)
    n = query.shape[0]
    indices = np.empty((n, n_neighbors), dtype=np.int64)
    distances = np.empty((n, n_neighbors), dtype=np.float32)
    for start in range(0, n, block):
        rows = query[start : start + block]
        d2 = (rows * rows).sum(dim=1)[:, None] + norms[None, :] - 2.0 * rows @ data.T
        if own:  # itself first, whatever the rounding
            d2[torch.arange(rows.shape[0]), torch.arange(start, start + rows.shape[0])] = -1.0
        d2, idx = torch.topk(d2, n_neighbors, dim=1, largest=False, sorted=True)
        indices[start : start + block] = idx.numpy()
        distances[start : start + block] = d2.clamp_min(0.0).sqrt().numpy()
    return indices, distances


def _smooth_knn_dist(distances, k):
    """``sigma`` and ``rho`` of each row, as umap-learn's ``smooth_knn_dist`` (vectorised)."""
    target = math.log2(k)
    d = distances[:, 1:].astype(np.float64)  # without the row itself
    positive = np.where(d > 0, d, np.inf)
    rho = np.min(positive, axis=1)
    rho[~np.isfinite(rho)] = 0.0
    lo = np.zeros(len(d))
    hi = np.full(len(d), np.inf)
    mid = np.ones(len(d))
    done = np.zeros(len(d), dtype=bool)
    for _ in range(_N_ITER):
        psum = np.exp(-np.maximum(d - rho[:, None], 0.0) / mid[:, None])
        psum = np.where(d - rho[:, None] > 0, psum, 1.0).sum(axis=1)
        done |= np.abs(psum - target) < _SMOOTH_K_TOLERANCE
        if done.all():
            break
        active = ~done
        high = active & (psum > target)
        low = active & ~(psum > target)
        hi[high] = mid[high]
        mid[high] = (lo[high] + hi[high]) / 2.0
        lo[low] = mid[low]
        finite = low & np.isfinite(hi)
        mid[low & ~np.isfinite(hi)] *= 2
        mid[finite] = (lo[finite] + hi[finite]) / 2.0
    mean_all = float(np.mean(distances))
    row_mean = distances.mean(axis=1)  # the row itself included, as umap-learn
    floor = np.where(rho > 0, _MIN_K_DIST_SCALE * row_mean, _MIN_K_DIST_SCALE * mean_all)
    return np.maximum(mid, floor), rho


def memberships(distances):
    """UMAP's membership strength of each neighbour (the row itself in column 0).

    ``exp(-(d - rho) / sigma)``, 1 for the nearest neighbour, with umap-learn's
    ``rho`` and ``sigma`` per row (``smooth_knn_dist``).
    """
    sigma, rho = _smooth_knn_dist(distances, distances.shape[1])
    d = distances.astype(np.float64)
    w = np.exp(-np.maximum(d - rho[:, None], 0.0) / sigma[:, None])
    w[d - rho[:, None] <= 0] = 1.0
    return w


def fuzzy_graph(indices, distances):
    """UMAP's symmetric fuzzy graph from nearest neighbours, as a list of weighted edges.

    Parameters
    ----------
    indices, distances : ndarray of shape (n_samples, n_neighbors)
        From :func:`nearest_neighbors` (the row itself in column 0).

    Returns
    -------
    heads, tails : ndarray of shape (n_edges,), int64
        Both directions of every edge (``i -> j`` and ``j -> i``), no self loops.
    weights : ndarray of shape (n_edges,), float32
        Membership strengths in (0, 1]: ``w_ij + w_ji - w_ij * w_ji``.
    """
    from scipy.sparse import coo_matrix

    n, k = indices.shape
    w = memberships(distances)
    rows = np.repeat(np.arange(n), k)
    cols = indices.ravel()
    keep = rows != cols
    graph = coo_matrix((w.ravel()[keep], (rows[keep], cols[keep])), shape=(n, n)).tocsr()
    graph = graph + graph.T - graph.multiply(graph.T)
    graph = graph.tocoo()
    keep = graph.data > 0
    return (
        graph.row[keep].astype(np.int64),
        graph.col[keep].astype(np.int64),
        graph.data[keep].astype(np.float32),
    )


def umap_curve(min_dist=0.1, spread=1.0):
    """UMAP's ``(a, b)``: ``1 / (1 + a d^(2b))`` fitted to its curve of ``min_dist``."""
    from scipy.optimize import curve_fit

    x = np.linspace(0, spread * 3, 300)
    y = np.where(x < min_dist, 1.0, np.exp(-(x - min_dist) / spread))
    (a, b), _ = curve_fit(lambda x, a, b: 1.0 / (1.0 + a * x ** (2 * b)), x, y)
    return float(a), float(b)


class NeighborSampler:
    """Draws graph neighbours of given rows, with probability proportional to the edge weight.

    The heads of a step's edges are the rows of its reconstruction batch (their
    codes come from that forward pass); this draws each head's tails. Rows are
    picked uniformly by the batches, so each drawn edge also gets the weight
    ``degree(head) / mean degree`` (``degree``: the sum of the row's edge
    weights): the weighted loss has the expectation of UMAP's, whose edges are
    drawn in proportion to their weights. Training-time state only: nothing
    here is saved with a model. Reads the tails' rows from the training dataset
    (an :class:`~skae._data.ArrayDataset`, already on the training device): no
    copy of the data is made.

    Parameters
    ----------
    dataset : ArrayDataset
        The training rows the graph was built on (row ``i`` of the graph is
        ``dataset.indices[i]``).
    heads, tails, weights : ndarray
        The graph, from :func:`fuzzy_graph`: every row has an edge.
    per_row : int
        Tails drawn per head row.
    """

    def __init__(self, dataset, heads, tails, weights, per_row):
        n = len(dataset)
        counts = np.bincount(heads, minlength=n)
        degree = np.bincount(heads, weights=weights, minlength=n)
        order = np.argsort(heads, kind="stable")  # each row's edges together
        tails = tails[order]
        weights = weights[order].astype(np.float64)
        cumulative = np.cumsum(weights)
        first = np.cumsum(counts) - counts
        self.dataset = dataset
        self.per_row = int(per_row)
        self.first = torch.as_tensor(first)
        self.last = torch.as_tensor(first + counts - 1)
        self.offset = torch.as_tensor(cumulative[first] - weights[first])
        self.cumulative = torch.as_tensor(cumulative)
        self.degree = torch.as_tensor(degree)
        self.relative_degree = torch.as_tensor(degree / degree.mean(), dtype=torch.float32)
        self.tails = dataset.indices[torch.as_tensor(tails)]
        # the dataset's row numbers -> the graph's
        self.position = torch.full((int(dataset.indices.max()) + 1,), -1, dtype=torch.long)
        self.position[dataset.indices] = torch.arange(n)

    def __call__(self, rows):
        """``per_row`` neighbours of each of ``rows`` (the dataset's row numbers).

        Returns
        -------
        tails : torch.Tensor of shape (len(rows) * per_row, n_features)
            The neighbours' rows, ``per_row`` consecutive ones per row of ``rows``.
        weights : torch.Tensor of shape (len(rows) * per_row,)
            Each edge's ``degree(head) / mean degree``.
        """
        graph_rows = self.position[rows.cpu()].repeat_interleave(self.per_row)
        if (graph_rows < 0).any():
            raise ValueError("The batch has rows the graph was not built on.")
        u = self.offset[graph_rows] + self.degree[graph_rows] * torch.rand(
            len(graph_rows), dtype=torch.float64
        )
        edges = torch.searchsorted(self.cumulative, u, right=True)
        edges = edges.clamp(self.first[graph_rows], self.last[graph_rows])  # rounding at row ends
        return self.dataset.batch(self.tails[edges]), self.relative_degree[graph_rows]


class GraphRegularizer:
    """The UMAP term of a fit: edges from the batch's rows, their codes, the loss.

    Set on the skorch net for the duration of a fit
    (``_AutoencoderNet.regularizer``); called at every training step with the
    module, the batch's row numbers and its codes, it returns ``(name,
    weight, value)``, and the net adds ``weight * value`` to the
    reconstruction loss and logs ``value`` as ``train_<name>``.
    :meth:`validation_loss` scores the validation rows, for early stopping.

    Parameters
    ----------
    sampler : NeighborSampler
        Draws the neighbours of a step's rows.
    loss : skae.nn.UMAPLoss
        The loss of a batch of edges' codes.
    weight : float
        Weight of the term against the reconstruction loss.
    validation : tuple of torch.Tensor, default=None
        ``(heads, tails, weights, negative_heads, negative_tails)``: fixed
        edges from validation rows to their nearest training rows, with UMAP's
        membership strengths, and fixed random pairs (row numbers of the
        dataset). ``None``: no validation term.
    name : str, default="umap"
        Name of the logged term.
    """

    def __init__(self, sampler, loss, weight, validation=None, name="umap"):
        self.sampler = sampler
        self.loss = loss
        self.weight = float(weight)
        self.validation = validation
        self.name = name

    def __call__(self, module, rows, codes):
        """The term of a training step: ``(name, weight, value)``.

        Parameters
        ----------
        module : torch.nn.Module
            The autoencoder; encodes the drawn neighbours.
        rows : torch.Tensor of int
            The step's batch (the dataset's row numbers): the heads of its edges.
        codes : torch.Tensor of shape (len(rows), n_components)
            The batch's codes from the step's forward pass (of the corrupted
            rows for a denoising module, a sample for a variational one).
        """
        tails, weights = self.sampler(rows)
        z_head = codes.repeat_interleave(self.sampler.per_row, dim=0)
        z_tail = module.encode(tails)
        return self.name, self.weight, self.loss(z_head, z_tail, weights.to(codes.device))

    @torch.no_grad()
    def validation_loss(self, module):
        """The term on the fixed validation edges (a float), or ``None`` without them.

        Measures how well the codes of rows the encoder was not trained on
        keep their neighbourhoods: the map's generalisation, as UMAP's
        ``transform`` places a new row among its training neighbours.
        """
        if self.validation is None:
            return None
        heads, tails, weights, neg_heads, neg_tails = self.validation
        everything = torch.cat([heads, tails, neg_heads, neg_tails])
        rows, where = torch.unique(everything, return_inverse=True)
        was_training = module.training
        module.eval()
        try:
            codes = torch.cat(
                [module.encode(self.sampler.dataset.batch(chunk)) for chunk in rows.split(4096)]
            )
        finally:
            module.train(was_training)
        z = codes[where.to(codes.device)]
        n, m = len(heads), len(neg_heads)
        z_head, z_tail = z[:n], z[n : 2 * n]
        z_neg_head, z_neg_tail = z[2 * n : 2 * n + m], z[2 * n + m :]
        value = self.loss.weighted(z_head, z_tail, weights.to(z.device), z_neg_head, z_neg_tail)
        return float(value)


#: At most this many validation rows score the UMAP term (each with its neighbours).
_MAX_VALIDATION_ROWS = 1000


def _validation_edges(train_rows, valid, n_neighbors, negative_sample_rate):
    """Edges from (at most 1000) validation rows to their nearest training rows, and random pairs.

    Heads are row numbers of the dataset, tails row numbers of ``train_rows``.
    """
    chosen = valid.indices[:_MAX_VALIDATION_ROWS]
    queries = valid.batch(chosen).cpu().numpy()
    indices, distances = nearest_neighbors(train_rows, n_neighbors - 1, queries=queries)
    # UMAP's memberships, as if each validation row were its own first neighbour
    with_self = np.hstack([np.zeros((len(queries), 1), dtype=distances.dtype), distances])
    weights = torch.as_tensor(memberships(with_self)[:, 1:].ravel(), dtype=torch.float32)
    n_valid, k = indices.shape
    heads = chosen.repeat_interleave(k)
    tails = torch.as_tensor(indices.ravel())
    neg_heads = chosen.repeat_interleave(negative_sample_rate)
    neg_tails = torch.randint(0, len(train_rows), (n_valid * negative_sample_rate,))
    return heads, tails, weights, neg_heads, neg_tails


def umap_regularizer(data, valid, n_neighbors, weight, per_row, *, min_dist=0.1):
    """A :class:`GraphRegularizer` for the rows of ``data`` (an ``ArrayDataset``).

    ``valid`` (an ``ArrayDataset`` over the same array, or ``None``) gives
    the validation edges of :meth:`GraphRegularizer.validation_loss`.
    """
    from .nn import UMAPLoss

    rows = data.batch(data.indices).cpu().numpy()
    indices, distances = nearest_neighbors(rows, n_neighbors)
    heads, tails, weights = fuzzy_graph(indices, distances)
    loss = UMAPLoss(*umap_curve(min_dist))
    validation = None
    if valid is not None and len(valid):
        v_heads, v_tails, v_weights, neg_heads, neg_tails = _validation_edges(
            rows, valid, n_neighbors, loss.negative_sample_rate
        )
        # training-graph row numbers -> the dataset's row numbers
        validation = (v_heads, data.indices[v_tails], v_weights, neg_heads, data.indices[neg_tails])
    del rows
    sampler = NeighborSampler(data, heads, tails, weights, per_row)
    return GraphRegularizer(sampler, loss, weight, validation)
