# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Default ``AutoencoderTransformer`` on real MNIST (60k train / 10k test) against PCA.

For each ``n_components`` given on the command line (default 2 and 32): test MSE
of the autoencoder and of ``PCA``, their ratio, the squared error per image
(Hinton & Salakhutdinov 2006: deep AE 3.00, PCA 13.87 at 30-D), 5-NN test
accuracy on the codes, the fit time and the start ``init="auto"`` kept. One JSON
line per size. Usage::

    python benchmarks/mnist_defaults.py [--data-home ../shared/data] [2 32]
"""

import argparse
import json
import time

from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier

from skae import AutoencoderTransformer
from skae.datasets import load_mnist


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sizes", nargs="*", type=int, default=[2, 32])
    p.add_argument("--data-home", default=None, help="folder holding mnist/ (skae's default)")
    args = p.parse_args(argv)
    train = load_mnist("train", data_home=args.data_home, download=False)
    test = load_mnist("test", data_home=args.data_home, download=False)
    X, y, Xt, yt = train.data, train.target, test.data, test.target
    for k in args.sizes:
        pca = PCA(k, random_state=0).fit(X)
        pca_mse = float(((Xt - pca.inverse_transform(pca.transform(Xt))) ** 2).mean())
        start = time.perf_counter()
        ae = AutoencoderTransformer(n_components=k, random_state=0).fit(X)
        fit_s = time.perf_counter() - start
        Z, Zt = ae.transform(X), ae.transform(Xt)
        mse = float(((Xt - ae.inverse_transform(Zt)) ** 2).mean())
        knn = KNeighborsClassifier(5).fit(Z, y).score(Zt, yt)
        row = dict(
            k=k,
            pca_mse=pca_mse,
            ae_mse=mse,
            ratio=mse / pca_mse,
            sq_err_per_image=mse * X.shape[1],
            knn5=knn,
            fit_s=fit_s,
            init_=ae.init_,
            n_iter=ae.n_iter_,
        )
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
