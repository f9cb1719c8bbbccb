# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""scikit-learn compatible autoencoders on PyTorch, trained through skorch."""

from ._outlier import AutoencoderOutlierDetector
from ._persistence import ModelFileError, ModelVersionWarning, load
from ._transformer import AutoencoderTransformer
from ._vae import VariationalAutoencoderTransformer
from ._version import __version__
from .exceptions import FitInterruptedWarning

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
