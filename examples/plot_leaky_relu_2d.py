# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
A shallow LeakyReLU autoencoder with a 2-D code
===============================================

The smallest tutorial autoencoder: 784 pixels -> 300 LeakyReLU units -> 2 numbers, and
back through 300 units to 784, with a sigmoid output trained with binary cross-entropy
and Adam. Two numbers per image is little: the latent space shows which digits the
network tells apart, and the reconstructions show what it keeps.
"""

import matplotlib.pyplot as plt
from _common import batch_size, epochs, load_images

from skae import AutoencoderTransformer
from skae.plotting import LatentSpaceDisplay, ReconstructionDisplay

data = load_images("mnist")

ae = AutoencoderTransformer(
    n_components=2,
    hidden_layer_sizes=(300,),
    activation="leaky_relu",
    batch_size=batch_size(128),
    max_epochs=epochs(30),
    random_state=0,
)
ae.fit(data.X_train)
print(f"{ae.n_iter_} epochs, test MSE {-ae.score(data.X_test):.4f}")

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
