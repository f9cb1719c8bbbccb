# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""PyTorch modules used by skae's estimators.

Everything here is a plain :class:`torch.nn.Module` (or a function building
one) that knows nothing about scikit-learn, so it can be reused in any PyTorch
code.
"""

from ._anchored import AnchoredDecoder, AnchoredEncoder, Clip, fit_pca, pca_init_
from ._autoencoder import Autoencoder, AutoencoderLoss, VariationalAutoencoder
from ._builders import build_autoencoder
from ._conv import ConvDecoder, ConvEncoder, conv_output_shapes
from ._layers import (
    ACTIVATIONS,
    GaussianNoise,
    MaskingNoise,
    SaltAndPepperNoise,
    get_activation,
    make_noise,
)
from ._mlp import MLP, MLPDecoder, MLPEncoder
from ._scaling import Standardize
from ._umap import UMAPLoss

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "AnchoredDecoder",
    "AnchoredEncoder",
    "Autoencoder",
    "AutoencoderLoss",
    "Clip",
    "ConvDecoder",
    "ConvEncoder",
    "GaussianNoise",
    "MLPDecoder",
    "MLPEncoder",
    "MaskingNoise",
    "SaltAndPepperNoise",
    "Standardize",
    "UMAPLoss",
    "VariationalAutoencoder",
    "build_autoencoder",
    "conv_output_shapes",
    "fit_pca",
    "get_activation",
    "make_noise",
    "pca_init_",
]
