# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Where digits' 2-D 5-NN accuracy is lost: the encoder against free coordinates (issue #17).

Scikit-learn's digits (scaled to [0, 1], 75/25 split, ``random_state=0``), the
neighbour graph and the UMAP loss that ``latent_regularizer="umap"`` uses
(15 neighbours, ``min_dist=0.1``). One JSON line per (method, seed):

- ``umap-ae``: ``AutoencoderTransformer(n_components=2, latent_regularizer="umap")``,
  defaults. The map of new rows is the encoder's.
- ``free-train``: UMAP's own setting, one free 2-D point per training row (PCA
  start, Adam, 300 epochs of 40 steps of 256 edges drawn in proportion to their
  weights, learning rate decayed linearly to 0); no encoder.
- ``free-all``: the same with the test rows in the graph too (transductive, as
  UMAP's ``fit_transform`` of all rows).

Columns, all 5-NN accuracies of 2-D codes with the training rows' codes as
reference: ``test_knn5`` (the test rows' own codes: the encoder's for
``umap-ae``, the transductive map's for ``free-all``), ``placed_knn5`` (each
test row placed at the code of its nearest training row in input space: how good
the training map is, whatever maps the new rows), ``placed_mean15_knn5``
(placed at the mean code of its 15 nearest training rows) and ``train_cv_knn5``
(10-fold cross-validated among the training rows' codes). Usage::

    python benchmarks/umap_ceiling.py [--seeds 0 1 2] [--methods umap-ae free-train free-all]
"""

import argparse
import json
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors

from skae import AutoencoderTransformer
from skae._graph import fuzzy_graph, nearest_neighbors, umap_curve  # the regulariser's graph
from skae.nn import UMAPLoss


def _knn5(Z, y, Zt, yt):
    return float(KNeighborsClassifier(5).fit(Z, y).score(Zt, yt))


def _train_cv(Z, y):
    return float(cross_val_score(KNeighborsClassifier(5), Z, y, cv=10).mean())


def _free_map(X, seed, epochs=300, steps=40, edges=256, lr=0.05):
    """UMAP's optimisation of free coordinates, with skae's graph and loss."""
    generator = torch.Generator().manual_seed(seed)
    indices, distances = nearest_neighbors(X.astype(np.float32), 15)
    heads, tails, weights = (torch.as_tensor(a) for a in fuzzy_graph(indices, distances))
    Z = torch.nn.Parameter(torch.as_tensor(PCA(2, random_state=seed).fit_transform(X)).float())
    loss = UMAPLoss(*umap_curve(0.1))
    optimizer = torch.optim.Adam([Z], lr=lr)
    total = epochs * steps
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1 - s / total)
    p = (weights / weights.sum()).float()
    with torch.random.fork_rng():  # UMAPLoss draws its random pairs from the global RNG
        torch.manual_seed(seed)
        for _ in range(total):
            pick = torch.multinomial(p, edges, replacement=True, generator=generator)
            value = loss(Z[heads[pick]], Z[tails[pick]])
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            schedule.step()
    return Z.detach().numpy()


def _run(method, seed, X, Xt, y, yt):
    row = {"method": method, "seed": seed}
    start = time.perf_counter()
    if method == "umap-ae":
        model = AutoencoderTransformer(
            n_components=2, latent_regularizer="umap", random_state=seed
        ).fit(X)
        Z, Zt = model.transform(X), model.transform(Xt)
        row.update(test_knn5=_knn5(Z, y, Zt, yt), n_iter=model.n_iter_)
    elif method == "free-train":
        Z = _free_map(X, seed)
    else:  # free-all
        Z_all = _free_map(np.vstack([X, Xt]), seed)
        Z, Zt = Z_all[: len(X)], Z_all[len(X) :]
        row.update(test_knn5=_knn5(Z, y, Zt, yt))
    seconds = round(time.perf_counter() - start, 1)
    nearest = NearestNeighbors(n_neighbors=15).fit(X).kneighbors(Xt, return_distance=False)
    row.update(
        placed_knn5=_knn5(Z, y, Z[nearest[:, 0]], yt),
        placed_mean15_knn5=_knn5(Z, y, Z[nearest].mean(axis=1), yt),
        train_cv_knn5=_train_cv(Z, y),
        seconds=seconds,
    )
    return row


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--methods", nargs="+", default=["umap-ae", "free-train", "free-all"])
    args = p.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    X, Xt, y, yt = train_test_split(X / 16.0, y, test_size=0.25, random_state=0)
    raw = _knn5(X, y, Xt, yt)
    print(json.dumps({"method": "input space (64-D)", "test_knn5": raw}), flush=True)
    for method in args.methods:
        for seed in args.seeds:
            row = _run(method, seed, X, Xt, y, yt)
            row = {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
