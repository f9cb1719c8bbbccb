# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
Anomaly detection by reconstruction error
=========================================

One-class anomaly detection, as in the autoencoder anomaly-detection tutorials: train on
images of a single digit (the normal class), then score test images of every digit;
the other digits are the anomalies. An autoencoder trained on zeros rebuilds zeros well
and everything else badly, so its reconstruction error is an anomaly score.

:class:`~skae.AutoencoderOutlierDetector` follows scikit-learn's outlier-detector API
(``score_samples``, ``decision_function``, ``predict``); it is compared, through ROC
curves of the scores, with :class:`~sklearn.ensemble.IsolationForest` and with PCA's
reconstruction error.

The tutorials train for up to 100 epochs on the zeros of the 60,000 training images
(about 5,900). So does this example, with the detector's early stopping on a tenth of
them; it stops long before (see the printed number of epochs).
"""

import time

import matplotlib.pyplot as plt
from _common import batch_size, epochs, load_images
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import RocCurveDisplay, roc_auc_score

from skae import AutoencoderOutlierDetector
from skae.metrics import reconstruction_error

NORMAL = 0
data = load_images("mnist")
X_normal = data.X_train[data.y_train == NORMAL]
is_anomaly = data.y_test != NORMAL
print(f"{len(X_normal)} training images of {NORMAL}s; {is_anomaly.mean():.0%} test anomalies")

# %%
# Three detectors, trained on the normal class only
# -------------------------------------------------
detector = AutoencoderOutlierDetector(
    n_components=8,
    hidden_layer_sizes=(256, 128),
    contamination=0.01,
    batch_size=batch_size("auto"),
    max_epochs=epochs(100),
    random_state=0,
)
start = time.perf_counter()
detector.fit(X_normal)
fit_s = time.perf_counter() - start
print(f"autoencoder: {detector.n_iter_} epochs in {fit_s:.0f} s")
forest = IsolationForest(random_state=0).fit(X_normal)
pca = PCA(n_components=8, random_state=0).fit(X_normal)

# Higher means more anomalous for every score.
scores = {
    "autoencoder": -detector.score_samples(data.X_test),
    "IsolationForest": -forest.score_samples(data.X_test),
    "PCA reconstruction": reconstruction_error(pca, data.X_test, per_sample=True),
}
# The area under the ROC curve: 1 when every anomaly scores above every normal image.
for name, score in scores.items():
    print(f"{name}: test AUROC {roc_auc_score(is_anomaly, score):.3f}")

# %%
# The threshold
# -------------
# ``contamination=0.01`` puts ``offset_`` at the 1 % quantile of the training scores;
# ``predict`` flags rows below it (-1).
flagged = detector.predict(data.X_test) == -1
print(f"flagged: {flagged[is_anomaly].mean():.0%} of the anomalies, ", end="")
print(f"{flagged[~is_anomaly].mean():.0%} of the normal test images")

# %%
# ROC curves
# ----------
fig, ax = plt.subplots(figsize=(6, 6), layout="constrained")
for name, score in scores.items():
    RocCurveDisplay.from_predictions(is_anomaly, score, name=name, ax=ax)
ax.plot([0, 1], [0, 1], linestyle=":", color="gray")
ax.set_title(f"{NORMAL}s against the other digits")
plt.show()
