# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
Fashion-MNIST: 100 images and their reconstructions
===================================================

The Fashion-MNIST tutorial autoencoder: 784 pixels -> 256 -> 128 -> a 20-number code,
and back, ReLU activations, a sigmoid output trained with binary cross-entropy and Adam,
batches of 256, 30 epochs on the 60,000 training images. The pictures are the tutorial's
two 10x10 grids: 100 test images, and the same 100 images rebuilt from their 20 numbers
each.

This example trains the tutorial's network as it is, on all 60,000 training images for
at most 30 epochs (with early stopping on a tenth of them): about a minute on one CPU
core. It asks for the tutorial's randomly initialised network with ``init="random"``:
skae's default would also train a PCA-anchored start and keep the better one, at twice
the cost.

The Fashion-MNIST files are read with :func:`skae.datasets.load_fashion_mnist`; when
they are missing the example falls back to MNIST, then to scikit-learn's digits, and
says so.
"""

import time

import matplotlib.pyplot as plt
from _common import batch_size, epochs, load_images
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error
from skae.plotting import SampleDisplay

data = load_images("fashion-mnist")
print(f"{data.name}: {len(data.X_train)} training images; classes {data.target_names}")

# %%
# The model
# ---------
ae = AutoencoderTransformer(
    n_components=20,
    hidden_layer_sizes=(256, 128),
    activation="relu",
    init="random",
    batch_size=batch_size(256),
    max_epochs=epochs(30),
    random_state=0,
)
start = time.perf_counter()
ae.fit(data.X_train)
fit_s = time.perf_counter() - start
pca = PCA(n_components=20, random_state=0).fit(data.X_train)
print(f"{ae.n_iter_} epochs in {fit_s:.0f} s")
for name, model in [("autoencoder", ae), ("PCA(20)", pca)]:
    print(f"{name}: test MSE {reconstruction_error(model, data.X_test):.4f}")

# %%
# Originals and reconstructions
# -----------------------------
# :class:`~skae.plotting.SampleDisplay` draws any set of flat images as a grid; one
# for the originals and one for the reconstructions, on the same gray scale.
X = data.X_test[:100]
X_rec = ae.inverse_transform(ae.transform(X))
fig, (ax_orig, ax_rec) = plt.subplots(1, 2, figsize=(12, 6.5), layout="constrained")
for images, ax, title in [(X, ax_orig, "originals"), (X_rec, ax_rec, "reconstructions")]:
    SampleDisplay.from_samples(
        images, image_shape=data.image_shape, name=title, ax=ax, n_cols=10, vmin=0, vmax=1
    )
plt.show()
