# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
Convolutional autoencoder with a loss curve
===========================================

The convolutional autoencoder of the PyTorch and Keras tutorials: two blocks of 3x3
convolutions with 32 and 64 channels, each followed by 2x2 max-pooling (28x28 -> 14x14
-> 7x7), then a dense layer to the code; the decoder mirrors it, upsampling back to
28x28 between convolutions. Trained on the mean squared error with Adam, batches of 128,
20 epochs on the 60,000 training images, and validation on a held-out tenth of them,
whose loss is drawn next to the training loss.

That takes about half an hour on one CPU core: convolutions are costly on a CPU. This
example trains the same network on a random 15,000 of the training images for at most 6
epochs, in batches of 32 instead of 128: four times as many optimiser steps per pass
over the data, at no more cost per pass on a CPU. That takes about two minutes on one
CPU core; the reconstructions are recognisable digits and the test error is well below
PCA's with as many numbers (printed below).

The rows stay flat vectors of 784 pixels, as for any scikit-learn transformer;
``input_shape=(28, 28)`` tells the network how to see them as images.
"""

import time

import matplotlib.pyplot as plt
from _common import batch_size, epochs, load_images
from sklearn.decomposition import PCA

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error
from skae.plotting import LossCurveDisplay, ReconstructionDisplay

# Convolutions are costly on a CPU: fast mode trains on 300 images only.
data = load_images("mnist", n_train=15000, fast_sizes=(300, 100))
print(f"{data.name}: {len(data.X_train)} training images of {data.image_shape}")

# %%
# The model
# ---------
# ``architecture="conv"`` with ``conv_channels=(32, 64)`` and
# ``downsample="maxpool"`` builds conv(32) -> pool -> conv(64) -> pool -> dense(16).
# ``loss="mse"`` trains on the squared error, with a linear output
# (``output_activation="identity"``): the squared error of a sigmoid output has
# vanishing gradients once the sigmoid saturates, which this network reaches within its
# first epoch by pushing the (mostly black) pixels to 0.
# Early stopping holds out ``validation_fraction=0.1`` of the training images, records
# the validation loss every epoch and restores the best epoch's weights.
ae = AutoencoderTransformer(
    n_components=16,
    architecture="conv",
    input_shape=data.image_shape,
    conv_channels=(32, 64),
    kernel_size=3,
    downsample="maxpool",
    loss="mse",
    output_activation="identity",
    batch_size=batch_size(32),
    max_epochs=epochs(6),
    validation_fraction=0.1,
    random_state=0,
)
start = time.perf_counter()
ae.fit(data.X_train)
fit_s = time.perf_counter() - start
print(ae.encoder_)
print(f"{ae.n_iter_} epochs in {fit_s:.0f} s")
pca = PCA(n_components=16, random_state=0).fit(data.X_train)
for name, model in [("conv autoencoder", ae), ("PCA(16)", pca)]:
    print(f"{name}: test MSE {reconstruction_error(model, data.X_test):.4f}")

# %%
# Training and validation loss
# ----------------------------
# ``loss_curve_`` and ``validation_loss_curve_`` hold the per-epoch losses (skorch's
# ``net_.history`` has everything else).
LossCurveDisplay.from_estimator(ae)
plt.show()

# %%
# Reconstructions
# ---------------
ReconstructionDisplay.from_estimator(
    ae, data.X_test, n_images=10, image_shape=data.image_shape, name="conv AE"
)
plt.show()
