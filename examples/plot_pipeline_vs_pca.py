# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
Autoencoder against PCA in a classification pipeline
====================================================

Squeeze scikit-learn's 8x8 digits into two numbers, with an autoencoder or with PCA,
and classify the digits from those two numbers with a logistic regression. Because the
autoencoder is a scikit-learn transformer, both are the same
:class:`~sklearn.pipeline.Pipeline` with a different first step. The autoencoder's
curved 2-D map keeps the classes further apart than PCA's two directions of largest
variance (compare the printed accuracies).

The 1,797 small images take seconds to train on, so this example uses the
autoencoder's default training in full (at most 200 epochs, early stopping).
"""

import time

import matplotlib.pyplot as plt
from _common import batch_size, epochs, load_digits_split
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from skae import AutoencoderTransformer
from skae.plotting import LatentSpaceDisplay

data = load_digits_split()

# %%
# Two pipelines
# -------------
# The autoencoder uses its default settings: two hidden layers of 512 and 256 units, a
# sigmoid output and binary cross-entropy for data in [0, 1], early stopping.
autoencoder = AutoencoderTransformer(
    n_components=2, batch_size=batch_size("auto"), max_epochs=epochs(200), random_state=0
)
pipelines = {
    "autoencoder": Pipeline([("reduce", autoencoder), ("clf", LogisticRegression(max_iter=1000))]),
    "PCA": Pipeline([("reduce", PCA(n_components=2)), ("clf", LogisticRegression(max_iter=1000))]),
}
# Besides the pipeline's accuracy, the test accuracy of a 5-nearest-neighbour classifier
# on the same codes tells whether the digits form separate groups in the plane.
for name, pipe in pipelines.items():
    start = time.perf_counter()
    pipe.fit(data.X_train, data.y_train)
    fit_s = time.perf_counter() - start
    reduce = pipe["reduce"]
    knn = KNeighborsClassifier(n_neighbors=5).fit(reduce.transform(data.X_train), data.y_train)
    print(
        f"{name}: test accuracy from 2 numbers {pipe.score(data.X_test, data.y_test):.3f} "
        f"(5-NN {knn.score(reduce.transform(data.X_test), data.y_test):.3f}), "
        f"fit in {fit_s:.1f} s"
    )
print(f"autoencoder: init_={autoencoder.init_!r}, {autoencoder.n_iter_} epochs")

# %%
# Both latent spaces
# ------------------
fig, axes = plt.subplots(1, 2, figsize=(11, 5), layout="constrained")
for ax, (name, pipe) in zip(axes, pipelines.items(), strict=True):
    accuracy = pipe.score(data.X_test, data.y_test)
    LatentSpaceDisplay.from_estimator(
        pipe["reduce"], data.X_test, data.y_test, name=f"{name} (accuracy {accuracy:.2f})", ax=ax
    )
plt.show()
