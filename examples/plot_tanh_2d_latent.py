# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
A 2-D latent space with a tanh output
=====================================

The PyTorch tutorial autoencoder with a two-number code: 784 -> 128 -> 64 -> 10 -> 2 and
back, ReLU activations and a tanh output, on pixels centred to [-0.5, 0.5]. Trained on
the mean squared error with Adam (learning rate 1e-3, weight decay 1e-5), batches of
128. Each test image becomes a point of the plane, coloured by its digit.
"""

import matplotlib.pyplot as plt
from _common import batch_size, epochs, load_images

from skae import AutoencoderTransformer
from skae.plotting import LatentSpaceDisplay

data = load_images("mnist")
X_train = data.X_train - 0.5
X_test = data.X_test - 0.5

# %%
# The model
# ---------
# With data in [-1, 1], ``output_activation="auto"`` picks tanh and ``loss="auto"``
# the mean squared error: no need to say it. ``output_activation_`` and ``loss_``
# record the choice.
ae = AutoencoderTransformer(
    n_components=2,
    hidden_layer_sizes=(128, 64, 10),
    activation="relu",
    learning_rate=1e-3,
    weight_decay=1e-5,
    batch_size=batch_size(128),
    max_epochs=epochs(100),
    random_state=0,
)
ae.fit(X_train)
print(f"{ae.n_iter_} epochs, output {ae.output_activation_!r}, loss {ae.loss_!r}")
print(f"test MSE {-ae.score(X_test):.4f}")

# %%
# The latent space
# ----------------
# :class:`~skae.plotting.LatentSpaceDisplay` encodes the data and draws the codes.
LatentSpaceDisplay.from_estimator(ae, X_test, data.y_test, name="784-128-64-10-2, tanh", s=5)
plt.show()
