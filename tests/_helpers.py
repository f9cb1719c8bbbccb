# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Constants shared by several test modules (``from _helpers import ...``).

``tests/`` is not a package: pytest (``rootdir``-based ``prepend`` import mode)
puts it on ``sys.path`` when it loads ``tests/conftest.py``, so this module
imports as ``_helpers``. Shared data sets are fixtures, in ``tests/conftest.py``.
"""

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
)

# Every estimator class built on the shared base (for tests parametrised over them).
FAMILY = [AutoencoderTransformer, VariationalAutoencoderTransformer, AutoencoderOutlierDetector]

# A tiny, quick, reproducible network: one hidden layer of 16, two epochs.
TINY = dict(hidden_layer_sizes=(16,), max_epochs=2, batch_size=16, random_state=0)
