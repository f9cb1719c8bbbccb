# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""scikit-learn compatible autoencoders on PyTorch, trained through skorch."""

from ._transformer import AutoencoderTransformer

__version__ = "0.1.0"

__all__ = ["AutoencoderTransformer", "__version__"]
