# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
Denoising autoencoder
=====================

The denoising tutorial: corrupt the training images with Gaussian noise of standard
deviation 0.2 and train the autoencoder to rebuild the *clean* images. skae does the
corruption itself, freshly drawn at every batch, with ``noise="gaussian"`` and
``noise_level=0.2``: ``fit`` gets the clean images only. Then noisy test images go in and
clean ones come out.
"""

import matplotlib.pyplot as plt
import numpy as np
from _common import batch_size, epochs, load_images

from skae import AutoencoderTransformer
from skae.metrics import reconstruction_error
from skae.plotting import ReconstructionDisplay

data = load_images("mnist")

dae = AutoencoderTransformer(
    n_components=32,
    hidden_layer_sizes=(512, 256),
    noise="gaussian",
    noise_level=0.2,
    batch_size=batch_size(256),
    max_epochs=epochs(30),
    random_state=0,
)
dae.fit(data.X_train)

# %%
# Denoising unseen images
# -----------------------
# The noise is only applied during training: ``transform`` never adds any, so
# ``inverse_transform(transform(X_noisy))`` is the denoised image.
rng = np.random.RandomState(0)
X_noisy = np.clip(data.X_test + rng.normal(scale=0.2, size=data.X_test.shape), 0, 1)
X_denoised = dae.inverse_transform(dae.transform(X_noisy))
print("MSE to the clean images:")
print(f"  noisy input          {np.mean((X_noisy - data.X_test) ** 2):.4f}")
print(f"  denoised             {np.mean((X_denoised - data.X_test) ** 2):.4f}")
print(f"  clean input, rebuilt {reconstruction_error(dae, data.X_test):.4f}")

# %%
# Noisy, denoised and clean
# -------------------------
# :class:`~skae.plotting.ReconstructionDisplay` can also draw precomputed images: the
# noisy inputs as the first row, then the denoised and the clean images.
n = 10
display = ReconstructionDisplay(
    originals=X_noisy[:n],
    reconstructions={"denoised": X_denoised[:n], "clean": data.X_test[:n]},
    image_shape=data.image_shape,
).plot()
display.ax_.set_yticklabels(["noisy", "denoised", "clean"])
plt.show()
