# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
A shallow LeakyReLU autoencoder with a 2-D code
===============================================

The smallest tutorial autoencoder: 784 pixels -> 300 LeakyReLU units -> 2 numbers, and
back through 300 units to 784, with a sigmoid output trained with binary cross-entropy
and Adam, batches of 128, 30 epochs on the 60,000 training images. Two numbers per image
is little: the latent space shows which digits the network tells apart, and the
reconstructions show what it keeps.

This example trains the same randomly initialised network (``init="random"``, the
tutorial's classic autoencoder) on all 60,000 training images for at most 25 epochs
instead of 30, with early stopping on a tenth of them: about a minute on one CPU core.
One hidden layer and two numbers keep the digits only partly apart, and more training
does not change that: the tutorial's 30 epochs (without early stopping) gave the same
5-nearest-neighbour accuracy of the test codes, 0.72. The deeper networks of
:ref:`sphx_glr_auto_examples_plot_tanh_2d_latent.py` and
:ref:`sphx_glr_auto_examples_plot_umap_latent_map.py` separate them better.
"""

import time

import matplotlib.pyplot as plt
from _common import batch_size, epochs, load_images
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.metrics import latent_knn_score, reconstruction_error
from skae.plotting import LatentSpaceDisplay, ReconstructionDisplay

data = load_images("mnist")

ae = AutoencoderTransformer(
    n_components=2,
    hidden_layer_sizes=(300,),
    activation="leaky_relu",
    init="random",
    batch_size=batch_size(128),
    max_epochs=epochs(25),
    random_state=0,
)
start = time.perf_counter()
ae.fit(data.X_train)
fit_s = time.perf_counter() - start
print(f"{ae.n_iter_} epochs in {fit_s:.0f} s")

# %%
# Against PCA's two directions: the test reconstruction error, and the test accuracy of
# a 5-nearest-neighbour classifier fitted on the training codes.
pca = PCA(n_components=2, random_state=0).fit(data.X_train)
for name, model in [("autoencoder", ae), ("PCA(2)", pca)]:
    accuracy = latent_knn_score(model, data.X_train, data.y_train, data.X_test, data.y_test)
    mse = reconstruction_error(model, data.X_test)
    print(f"{name}: test MSE {mse:.4f}, 5-NN accuracy of the test codes {accuracy:.3f}")

# %%
# The latent space
# ----------------
LatentSpaceDisplay.from_estimator(ae, data.X_test, data.y_test, name="784-300-2", s=5)
plt.show()

# %%
# Reconstructions from two numbers
# --------------------------------
# Each test image followed by its reconstruction.
ReconstructionDisplay.from_estimator(
    ae,
    data.X_test,
    n_images=20,
    image_shape=data.image_shape,
    layout="pairs",
    n_cols=5,
    name="2-D code",
)
plt.show()
