# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
Choosing the latent size with a grid search
===========================================

:class:`~skae.AutoencoderTransformer`'s ``score`` is the negative mean squared
reconstruction error, so :class:`~sklearn.model_selection.GridSearchCV` chooses
``n_components`` by cross-validated reconstruction error with no ``scoring`` argument.
PCA's ``score`` is a log-likelihood instead, so its search gets
:func:`skae.metrics.neg_reconstruction_error` as the scorer. Both curves on one plot
show how much the autoencoder gains at each size.

The data are scikit-learn's 1,797 8x8 digits, small enough for the autoencoder's
default training in full (at most 200 epochs, early stopping) at five sizes with 3-fold
cross-validation: 16 fits, each a few seconds.
"""

import time

import matplotlib.pyplot as plt
from _common import FAST, batch_size, epochs, load_digits_split
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer
from skae.metrics import neg_reconstruction_error
from skae.plotting import ReconstructionErrorDisplay

data = load_digits_split()
sizes = [2, 8] if FAST else [2, 4, 8, 16, 32]
cv = 2 if FAST else 3

# %%
# Two searches
# ------------
start = time.perf_counter()
ae_search = GridSearchCV(
    AutoencoderTransformer(
        hidden_layer_sizes=(256, 128),
        batch_size=batch_size("auto"),
        max_epochs=epochs(200),
        random_state=0,
    ),
    {"n_components": sizes},
    cv=cv,
).fit(data.X_train)
fit_s = time.perf_counter() - start
pca_search = GridSearchCV(
    PCA(random_state=0), {"n_components": sizes}, scoring=neg_reconstruction_error, cv=cv
).fit(data.X_train)
print(f"autoencoder: {len(sizes) * cv + 1} fits in {fit_s:.0f} s, best {ae_search.best_params_}")
ae_scores = ae_search.cv_results_["mean_test_score"]
pca_scores = pca_search.cv_results_["mean_test_score"]
print("cross-validated MSE:")
for k, ae_score, pca_score in zip(sizes, ae_scores, pca_scores, strict=True):
    print(
        f"  n_components={k:2d}: autoencoder {-ae_score:.4f}, PCA {-pca_score:.4f} "
        f"(ratio {ae_score / pca_score:.2f})"
    )

# %%
# Error against size
# ------------------
# :meth:`~skae.plotting.ReconstructionErrorDisplay.from_cv_results` draws
# ``-mean_test_score`` with one standard deviation across the folds.
fig, ax = plt.subplots(layout="constrained")
ReconstructionErrorDisplay.from_cv_results(ae_search, ax=ax)
ReconstructionErrorDisplay.from_cv_results(pca_search, ax=ax)
ax.set_ylabel("cross-validated MSE")
plt.show()
