# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
Variational autoencoder: latent manifold and new digits
=======================================================

The Keras variational autoencoder example: an encoder of 512 ReLU units to the mean and
log-variance of a 2-D Gaussian code, a decoder of 512 units back to 784 sigmoid
pixels, trained on binary cross-entropy plus the KL divergence to the standard normal
prior, with Adam and batches of 128. Because the codes follow the prior, decoding a
regular grid over [-2, 2] x [-2, 2] sweeps through the digits (the *latent manifold*),
and decoding random normal codes draws new digits.
"""

import matplotlib.pyplot as plt
from _common import batch_size, epochs, load_images

from skae import VariationalAutoencoderTransformer
from skae.plotting import LatentSpaceDisplay, LatentTraversalDisplay, SampleDisplay

data = load_images("mnist")

vae = VariationalAutoencoderTransformer(
    n_components=2,
    beta=1.0,
    hidden_layer_sizes=(512,),
    batch_size=batch_size(128),
    max_epochs=epochs(50),
    random_state=0,
)
vae.fit(data.X_train)
last = vae.net_.history[-1]
print(
    f"{vae.n_iter_} epochs; last epoch: reconstruction {last['train_reconstruction']:.4f}, "
    f"KL {last['train_kl']:.4f}"
)

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
