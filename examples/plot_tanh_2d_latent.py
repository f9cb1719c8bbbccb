# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
A 2-D latent space with a tanh output
=====================================

The PyTorch tutorial autoencoder with a two-number code: 784 -> 128 -> 64 -> 10 -> 2 and
back, ReLU activations and a tanh output, on pixels centred to [-0.5, 0.5]. Trained on
the mean squared error with Adam (learning rate 1e-3, weight decay 1e-5), batches of
128, 100 epochs on the 60,000 training images. Each test image becomes a point of the
plane, coloured by its digit.

This example trains the same network on all 60,000 training images for 40 epochs instead
of 100 (about two and a half minutes on one CPU core, so that the whole gallery builds in
a quarter of an hour), with one addition: batch normalisation after each hidden layer.
Without it the map depends more on the seed: the 5-nearest-neighbour accuracy of the test
codes after 40 epochs was 0.79 with ``random_state=0`` (0.787 after 60 epochs) and 0.82
with ``random_state=1``. With it, 0.81, 0.80 and 0.82 with ``random_state`` 0, 1 and 2.
"""

import time

import matplotlib.pyplot as plt
from _common import batch_size, epochs, load_images
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.metrics import latent_knn_score, reconstruction_error
from skae.plotting import LatentSpaceDisplay

data = load_images("mnist")
X_train = data.X_train - 0.5
X_test = data.X_test - 0.5

# %%
# The model
# ---------
# ``init="random"`` is the tutorial's classic, randomly initialised network. With data
# in [-1, 1], ``output_activation="auto"`` then picks tanh and ``loss="auto"`` the mean
# squared error: no need to say it. ``output_activation_`` and ``loss_`` record the
# choice. ``batch_norm=True`` (not in the tutorial) normalises each hidden layer over the
# batch; ``early_stopping=False`` trains on every training image for all the epochs, as
# the tutorial does.
ae = AutoencoderTransformer(
    n_components=2,
    hidden_layer_sizes=(128, 64, 10),
    activation="relu",
    batch_norm=True,
    learning_rate=1e-3,
    weight_decay=1e-5,
    init="random",
    batch_size=batch_size(128),
    max_epochs=epochs(40),
    early_stopping=False,
    random_state=0,
)
start = time.perf_counter()
ae.fit(X_train)
fit_s = time.perf_counter() - start
print(f"{ae.n_iter_} epochs in {fit_s:.0f} s, output {ae.output_activation_!r}, loss {ae.loss_!r}")

# %%
# How good is the map?
# --------------------
# Two figures: the test reconstruction error, next to PCA's with two components, and
# the test accuracy of a 5-nearest-neighbour classifier fitted on the training codes
# (do the digits form separate groups in the plane?).
pca = PCA(n_components=2, random_state=0).fit(X_train)
for name, model in [("autoencoder", ae), ("PCA(2)", pca)]:
    accuracy = latent_knn_score(model, X_train, data.y_train, X_test, data.y_test)
    mse = reconstruction_error(model, X_test)
    print(f"{name}: test MSE {mse:.4f}, 5-NN accuracy of the test codes {accuracy:.3f}")

# %%
# The latent space
# ----------------
# :class:`~skae.plotting.LatentSpaceDisplay` encodes the data and draws the codes.
LatentSpaceDisplay.from_estimator(ae, X_test, data.y_test, name="784-128-64-10-2, tanh", s=5)
plt.show()
