# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""scikit-learn's own estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
)

# Small networks and few epochs keep the ~50 checks per estimator fast; every
# check runs, none is skipped or marked as an expected failure.
FAST = dict(hidden_layer_sizes=(16,), max_epochs=5, batch_size=16)

ESTIMATORS = [
    AutoencoderTransformer(**FAST),
    AutoencoderTransformer(n_components=3, batch_norm=True, dropout=0.1, **FAST),
    AutoencoderTransformer(early_stopping=False, noise="gaussian", latent_l1=0.01, **FAST),
    AutoencoderTransformer(activation="tanh", noise="masking", noise_level=0.2, **FAST),
    AutoencoderTransformer(architecture="conv", input_shape=(1, -1), conv_channels=(4,), **FAST),
    AutoencoderTransformer(latent_regularizer="umap", n_neighbors=3, **FAST),
    VariationalAutoencoderTransformer(**FAST),
    VariationalAutoencoderTransformer(beta=4.0, early_stopping=False, **FAST),
    AutoencoderOutlierDetector(**FAST),
    AutoencoderOutlierDetector(contamination=0.1, noise="salt_and_pepper", **FAST),
    AutoencoderOutlierDetector(
        architecture="conv", input_shape=(-1, 1), conv_channels=(4,), **FAST
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
