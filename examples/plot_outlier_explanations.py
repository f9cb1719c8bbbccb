# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
Explaining outliers, with a calibrated threshold
================================================

:class:`~skae.AutoencoderOutlierDetector` on a table: which features make a row an
outlier, and a threshold whose false-alarm rate is chosen instead of guessed.

The table is ODDS's *cardio* (1,831 cardiotocograms, 21 standardised features of the
fetal heart rate and uterine contractions; the 176 pathologic ones are the outliers),
read from ``odds/cardio.mat`` in the shared data folder. Without that file the example
uses scikit-learn's breast-cancer table instead (benign tumours normal, 21 malignant ones
as outliers) and says so. The table is split in two halves (stratified); the detector
learns from the *normal* rows of the first half, as one does with clean reference data,
and is judged on the second half. The whole table takes a few seconds to fit, so the full
example uses it all and the detector's default training (at most 60 epochs, early
stopping); the documentation's fast build trains for three epochs only.

- ``calibration=0.2`` holds a fifth of the training rows out of training and scores
  them; :meth:`~skae.AutoencoderOutlierDetector.score_pvalues` turns any row's score into
  a split-conformal p-value, and ``predict`` flags the rows whose p-value is at most
  ``contamination=0.05``: a normal row is then flagged with probability at most 5 %.
- :meth:`~skae.AutoencoderOutlierDetector.top_features` and
  :class:`~skae.plotting.FeatureScoresDisplay` split a row's reconstruction error into
  per-feature contributions, with the column names of the DataFrame the detector was
  fitted on.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from _common import epochs, load_odds
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skae import AutoencoderOutlierDetector
from skae.plotting import FeatureScoresDisplay

data = load_odds("cardio")
X = pd.DataFrame(data.data, columns=data.feature_names)
X_train, X_test, y_train, y_test = train_test_split(
    X, data.target, test_size=0.5, stratify=data.target, random_state=0
)
X_normal = X_train[y_train == 0]
print(
    f"{data.name}: {len(X)} rows, {X.shape[1]} features, {data.target.mean():.1%} outliers; "
    f"training on {len(X_normal)} normal rows, testing on {len(X_test)} rows"
)

# %%
# Fit, and compare with IsolationForest
# -------------------------------------
# Both detectors learn from the same normal rows. The area under the ROC curve (AUROC)
# of the test scores measures how well each ranks the outliers above the normal rows,
# whatever the threshold.
det = AutoencoderOutlierDetector(
    calibration=0.2, contamination=0.05, max_epochs=epochs(60), random_state=0
)
start = time.perf_counter()
det.fit(X_normal)
fit_s = time.perf_counter() - start
forest = IsolationForest(random_state=0).fit(X_normal)

# Higher means more anomalous for both scores.
auroc_ae = roc_auc_score(y_test, -det.score_samples(X_test))
auroc_forest = roc_auc_score(y_test, -forest.score_samples(X_test))
print(f"autoencoder: {det.n_iter_} epochs, fit in {fit_s:.1f} s, test AUROC {auroc_ae:.3f}")
print(f"IsolationForest: test AUROC {auroc_forest:.3f}")

# %%
# The calibrated threshold
# ------------------------
# ``calibration_scores_`` holds the scores of the held-out rows; ``offset_`` is the
# threshold they set. On the *test* normal rows, which the detector has never seen, the
# share flagged should be close to (at most about) the 5 % asked for; its spread across
# held-out sets is about ``sqrt(0.05 * 0.95 / n_cal)``.
pvalues = det.score_pvalues(X_test)
flagged = det.predict(X_test) == -1
n_cal = len(det.calibration_scores_)
print(f"{n_cal} calibration rows, threshold offset_ = {det.offset_:.3f}")
print(f"false-positive rate on the test normal rows: {flagged[y_test == 0].mean():.3f}")
print(f"share of the test outliers flagged: {flagged[y_test == 1].mean():.3f}")
print(f"predict flags exactly the p-values <= 0.05: {np.array_equal(flagged, pvalues <= 0.05)}")

# %%
# The p-values of normal rows are spread evenly over (0, 1]: the share below any level
# is about that level. Those of the outliers pile up near 0.
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
bins = np.linspace(0, 1, 21)
ax.hist(pvalues[y_test == 0], bins=bins, alpha=0.7, density=True, label="normal test rows")
ax.hist(pvalues[y_test == 1], bins=bins, alpha=0.7, density=True, label="outliers")
ax.axvline(0.05, color="k", linestyle=":", label="contamination = 0.05")
ax.set_xlabel("split-conformal p-value (score_pvalues)")
ax.set_ylabel("density")
ax.legend()
plt.show()

# %%
# Which features make a row an outlier
# ------------------------------------
# The five test rows with the smallest scores (the most anomalous). ``top_features`` lists
# the three features contributing most to each row's reconstruction term, with their
# share of it; ``sample`` is the position among the rows passed, mapped back to the test
# set below. The score also has a latent term (how far the row's code lies from the
# training codes): a row with a small reconstruction term but a large latent term is
# made of usual values in an unusual combination.
scores = det.score_samples(X_test)
worst = np.argsort(scores)[:5]
rows = X_test.iloc[worst]
reconstruction_term = det.feature_scores(rows).sum(axis=1)
summary = pd.DataFrame(
    {
        "test row": worst,
        "outlier (label)": y_test[worst],
        "p-value": pvalues[worst],
        "reconstruction term": reconstruction_term,
        "latent term": -scores[worst] - reconstruction_term,
    }
)
print(summary.round(3).to_string(index=False))
table = det.top_features(rows, k=3)
table["sample"] = worst[table["sample"]]
print(table.rename(columns={"sample": "test row"}).round(3).to_string(index=False))

# %%
# One row, feature by feature
# ---------------------------
# :class:`~skae.plotting.FeatureScoresDisplay` draws a row's ten largest contributions,
# above the row's values and their reconstruction (in standard deviations): the
# features whose values the autoencoder could not rebuild. First the most anomalous test
# row. On cardio, the most anomalous rows owe nearly all of their reconstruction term to
# one feature, ``DS`` (severe decelerations): zero in nearly every normal recording, far
# above it in these rows, a value that an autoencoder trained on normal rows does not
# reproduce.
FeatureScoresDisplay.from_estimator(det, X_test, row=int(worst[0]), k=10, name="autoencoder")
plt.show()

# %%
# Then the most anomalous of the test rows whose reconstruction term is spread over
# several features (none above half of it).
contributions = det.feature_scores(X_test)
spread = contributions.max(axis=1) <= 0.5 * contributions.sum(axis=1)
row = int(np.flatnonzero(spread)[np.argmin(scores[spread])])
print(f"test row {row}: label {y_test[row]}, p-value {pvalues[row]:.3f}")
FeatureScoresDisplay.from_estimator(det, X_test, row=row, k=10, name="autoencoder")
plt.show()
