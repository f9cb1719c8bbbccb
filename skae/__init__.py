# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""scikit-learn compatible autoencoders on PyTorch, trained through skorch."""

from ._outlier import AutoencoderOutlierDetector
from ._persistence import ModelFileError, ModelVersionWarning, load
from ._transformer import AutoencoderTransformer
from ._vae import VariationalAutoencoderTransformer
from .exceptions import FitInterruptedWarning

__version__ = "0.1.0"

__all__ = [
    "AutoencoderOutlierDetector",
    "AutoencoderTransformer",
    "FitInterruptedWarning",
    "ModelFileError",
    "ModelVersionWarning",
    "VariationalAutoencoderTransformer",
    "__version__",
    "load",
]
