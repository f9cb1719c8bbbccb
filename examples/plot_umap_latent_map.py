# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
2-D maps: PCA, an autoencoder and a UMAP-regularised autoencoder
================================================================

Three ways to draw MNIST in two dimensions: PCA's two directions of largest variance,
the default :class:`~skae.AutoencoderTransformer` with a two-number code, and the same
autoencoder with ``latent_regularizer="umap"``, which adds parametric UMAP's loss on
the codes to the reconstruction loss (Sainburg, McInnes & Gentner, *Parametric UMAP
embeddings for representation and semisupervised learning*, Neural Computation 33(11),
2021). All three are transformers with an ``inverse_transform``, so each map can be
judged by how well it keeps the digits apart *and* by how well it reconstructs them.

Trained on all 60,000 MNIST training images with their default settings (up to 200
epochs, early stopping), the two autoencoders take 8 to 13 minutes each on 2 CPU cores
(``benchmarks/umap_latent.py``: 5-NN accuracy 0.852 for the autoencoder, 0.945 with
the UMAP term). To build the whole gallery in about a quarter of an hour, this example
trains them on a random 15,000 of the training images (in batches of 64, the default
for that many rows) and evaluates on the full test set (10,000 images): the plain
autoencoder for at most 45 epochs, the UMAP autoencoder, whose epochs cost more
(the graph term), for at most 20. The plain autoencoder is the classic,
randomly initialised one (``init="random"``): its default, ``init="auto"``, also trains
a PCA-anchored start and on these images keeps the random one, at twice the cost.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from _common import batch_size, epochs, load_images
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier

from skae import AutoencoderTransformer
from skae.metrics import latent_trustworthiness
from skae.plotting import LatentSpaceDisplay, LatentTraversalDisplay

data = load_images("mnist", n_train=15000)
print(f"{data.name}: {len(data.X_train)} training and {len(data.X_test)} test images")

# %%
# What the regulariser does
# -------------------------
# With ``latent_regularizer="umap"``, ``fit`` first builds UMAP's fuzzy graph of the
# training rows: each row is joined to its ``n_neighbors`` (default 15) nearest
# neighbours, with weights that fall off with the distance. Every training step then
# joins each row of its batch to a few of its graph neighbours, drawn in proportion to
# the edges' weights, and adds UMAP's cross-entropy between those edges and the codes
# of their two ends: joined rows are pulled together in the 2-D map, while 5 random
# pairs per edge (negative sampling) are pushed apart. ``latent_regularizer_weight``
# (default 1.0) weighs that term against the reconstruction loss, and the decoder
# keeps learning to reconstruct.
#
# The graph is only needed for training: ``transform`` is still one pass through the
# encoder, so new rows are mapped without any neighbour search, and the fitted model
# stores no graph. ``inverse_transform`` decodes any point of the map.
#
# The two autoencoders share every other setting (the defaults: hidden layers of 512
# and 256 units, early stopping on the validation loss, which for the UMAP autoencoder
# also scores the validation rows' codes among their training neighbours'), apart from
# the start and the number of epochs (see above).
models = {
    "PCA": PCA(n_components=2, random_state=0),
    "autoencoder": AutoencoderTransformer(
        n_components=2,
        init="random",
        batch_size=batch_size("auto"),
        max_epochs=epochs(45),
        random_state=0,
    ),
    "UMAP autoencoder": AutoencoderTransformer(
        n_components=2,
        latent_regularizer="umap",
        batch_size=batch_size("auto"),
        max_epochs=epochs(20),
        random_state=0,
    ),
}

# %%
# Fit and measure
# ---------------
# For each map: the test accuracy of a 5-nearest-neighbour classifier fitted on the
# training codes (do the digits form separate groups?), the trustworthiness of the
# test codes (are neighbours in the map also neighbours among the images? 1 is
# perfect; computed on at most 2,000 test rows), the test reconstruction error (mean
# squared error per pixel, from the two numbers) and the fit time.
rows = np.random.default_rng(0).choice(len(data.X_test), min(2000, len(data.X_test)), replace=False)
results = {}
for name, model in models.items():
    start = time.perf_counter()
    model.fit(data.X_train)
    fit_s = time.perf_counter() - start
    Z_train, Z_test = model.transform(data.X_train), model.transform(data.X_test)
    knn = KNeighborsClassifier(n_neighbors=5).fit(Z_train, data.y_train)
    results[name] = {
        "knn": knn.score(Z_test, data.y_test),
        "trust": latent_trustworthiness(model, data.X_test[rows]),
        "mse": float(np.mean((data.X_test - model.inverse_transform(Z_test)) ** 2)),
        "fit_s": fit_s,
    }

print(f"{'method':<18} {'5-NN':>6} {'trust':>6} {'test MSE':>9} {'fit (s)':>8}")
for name, r in results.items():
    print(f"{name:<18} {r['knn']:>6.3f} {r['trust']:>6.3f} {r['mse']:>9.4f} {r['fit_s']:>8.1f}")
for name in ("autoencoder", "UMAP autoencoder"):
    print(f"{name}: {models[name].n_iter_} epochs, init_={models[name].init_!r}")

# %%
# Three maps of the test images
# -----------------------------
# Each test image is a point, coloured by its digit; the titles repeat the test 5-NN
# accuracy and reconstruction error.
fig, axes = plt.subplots(1, 3, figsize=(16, 5.5), layout="constrained")
for ax, (name, model) in zip(axes, models.items(), strict=True):
    r = results[name]
    LatentSpaceDisplay.from_estimator(
        model,
        data.X_test,
        data.y_test,
        name=f"{name}\n5-NN {r['knn']:.3f}, test MSE {r['mse']:.4f}",
        ax=ax,
        legend=ax is axes[-1],
        s=3,
    )
plt.show()

# %%
# Decoding the UMAP map
# ---------------------
# The decoder turns any point of the map back into an image, including the empty space
# between the clusters. :class:`~skae.plotting.LatentTraversalDisplay` decodes a 15x15
# grid spanning the training codes (from their 1st to their 99th percentile on each
# axis, so that a few stray codes do not stretch the grid); ``z[1]`` increases upwards.
LatentTraversalDisplay.from_estimator(
    models["UMAP autoencoder"],
    data.X_train,
    n_steps=15,
    quantile_range=(0.01, 0.99),
    image_shape=data.image_shape,
    name="UMAP autoencoder: decoded grid",
)
plt.show()

# %%
# When to use it
# --------------
# The regulariser is meant for maps to look at: 2-D (or 3-D) codes where the clusters of
# the data should stand apart, as in a UMAP plot, but which, unlike UMAP's, come with an
# encoder for new rows and a decoder back to the data. Its loss competes with the
# reconstruction (compare the test MSEs above; a larger ``latent_regularizer_weight``
# favours the neighbourhoods more), and its graph costs memory proportional to
# ``n_samples * n_neighbors`` plus an exact neighbour search during ``fit``. When the
# codes feed a downstream step that needs the reconstruction (denoising, compression,
# anomaly scores from the reconstruction error), use the plain autoencoder, usually with
# more than two components.
