# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""2-D maps: PCA, the default autoencoder and the UMAP-regularised autoencoder (issue #17).

For real MNIST (60k train / 10k test, ``../shared/data`` or ``--data-home``) and
scikit-learn's digits (scaled to [0, 1], 75/25 split, ``random_state=0``): test
5-NN accuracy of the 2-D codes, trustworthiness (5 neighbours, on 2,000 test rows),
test reconstruction MSE and fit seconds, one JSON line per (data, method), in
one run. Usage::

    python benchmarks/umap_latent.py [--data mnist digits] [--methods pca ae umap-ae]
        [--weight 1.0] [--patience 10] [--init auto] [--data-home ../shared/data]
"""

import argparse
import json
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from skae import AutoencoderTransformer
from skae.datasets import load_mnist


def _data(name, data_home):
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return train_test_split(X / 16.0, y, test_size=0.25, random_state=0)
    train = load_mnist("train", data_home=data_home, download=False)
    test = load_mnist("test", data_home=data_home, download=False)
    return train.data, test.data, train.target, test.target


def _model(method, weight, patience, init):
    if method == "pca":
        return PCA(2, random_state=0)
    extra = {} if method == "ae" else {"latent_regularizer": "umap"}
    if weight is not None and extra:
        extra["latent_regularizer_weight"] = weight
    if patience is not None and extra:
        extra["n_iter_no_change"] = patience
    if init is not None and extra:
        extra["init"] = init
    return AutoencoderTransformer(n_components=2, random_state=0, **extra)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", default=["digits", "mnist"])
    p.add_argument("--methods", nargs="+", default=["pca", "ae", "umap-ae"])
    p.add_argument("--weight", type=float, default=None, help="latent_regularizer_weight")
    p.add_argument("--patience", type=int, default=None, help="umap-ae's n_iter_no_change")
    p.add_argument("--init", default=None, help="umap-ae's init")
    p.add_argument("--data-home", default=None, help="folder holding mnist/ (skae's default)")
    args = p.parse_args(argv)
    for name in args.data:
        X, Xt, y, yt = _data(name, args.data_home)
        rows = np.random.default_rng(0).choice(len(Xt), min(2000, len(Xt)), replace=False)
        for method in args.methods:
            model = _model(method, args.weight, args.patience, args.init)
            start = time.perf_counter()
            model.fit(X)
            fit_s = time.perf_counter() - start
            Z, Zt = model.transform(X), model.transform(Xt)
            mse = float(((Xt - model.inverse_transform(Zt)) ** 2).mean())
            row = {
                "data": name,
                "method": method,
                "knn5": KNeighborsClassifier(5).fit(Z, y).score(Zt, yt),
                "trustworthiness": float(trustworthiness(Xt[rows], Zt[rows], n_neighbors=5)),
                "test_mse": mse,
                "fit_s": round(fit_s, 1),
                "n_iter": getattr(model, "n_iter_", None),
                "weight": args.weight if method == "umap-ae" else None,
                "patience": args.patience if method == "umap-ae" else None,
                "init_": getattr(model, "init_", None),
            }
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
