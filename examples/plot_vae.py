# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
Variational autoencoder: latent manifold and new digits
=======================================================

The Keras variational autoencoder example: an encoder of 512 ReLU units to the mean and
log-variance of a 2-D Gaussian code, a decoder of 512 units back to 784 sigmoid
pixels, trained on binary cross-entropy plus the KL divergence to the standard normal
prior, with Adam and batches of 128, 50 epochs on the 60,000 training images. Because
the codes follow the prior, decoding a regular grid over [-2, 2] x [-2, 2] sweeps through
the digits (the *latent manifold*), and decoding random normal codes draws new digits.

This example trains the same network on all 60,000 training images for at most 15 epochs
instead of 50, with early stopping on a tenth of them: about a minute on one CPU core,
so that the whole gallery builds in a quarter of an hour. The manifold below already
sweeps through the digits.
"""

import time

import matplotlib.pyplot as plt
from _common import batch_size, epochs, load_images
from sklearn.decomposition import PCA

from skae import VariationalAutoencoderTransformer
from skae.metrics import latent_knn_score, reconstruction_error
from skae.plotting import LatentSpaceDisplay, LatentTraversalDisplay, SampleDisplay

data = load_images("mnist")

vae = VariationalAutoencoderTransformer(
    n_components=2,
    beta=1.0,
    hidden_layer_sizes=(512,),
    batch_size=batch_size(128),
    max_epochs=epochs(15),
    random_state=0,
)
start = time.perf_counter()
vae.fit(data.X_train)
fit_s = time.perf_counter() - start
last = vae.net_.history[-1]
print(
    f"{vae.n_iter_} epochs in {fit_s:.0f} s; last epoch: reconstruction "
    f"{last['train_reconstruction']:.4f}, KL {last['train_kl']:.4f}"
)

# %%
# Against PCA's two directions: the test reconstruction error (from the posterior
# means), and the test accuracy of a 5-nearest-neighbour classifier fitted on the
# training codes.
pca = PCA(n_components=2, random_state=0).fit(data.X_train)
for name, model in [("VAE", vae), ("PCA(2)", pca)]:
    accuracy = latent_knn_score(model, data.X_train, data.y_train, data.X_test, data.y_test)
    mse = reconstruction_error(model, data.X_test)
    print(f"{name}: test MSE {mse:.4f}, 5-NN accuracy of the test codes {accuracy:.3f}")

# %%
# The latent space
# ----------------
# ``transform`` returns the posterior means.
LatentSpaceDisplay.from_estimator(vae, data.X_test, data.y_test, name="VAE codes", s=5)
plt.show()

# %%
# The latent manifold
# -------------------
# Images decoded from a 15x15 grid of codes; ``z[1]`` increases upwards.
LatentTraversalDisplay.from_estimator(vae, n_steps=15, latent_range=(-2, 2))
plt.show()

# %%
# Generated digits
# ----------------
# ``sample`` draws codes from the standard normal prior and decodes them.
SampleDisplay.from_estimator(vae, n_samples=64, random_state=0)
plt.show()
