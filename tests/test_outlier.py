# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""AutoencoderOutlierDetector: feature explanations and split-conformal calibration."""

import math
import pickle
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from skae import AutoencoderOutlierDetector
from skae.plotting import FeatureScoresDisplay

matplotlib.use("Agg")

FAST = dict(hidden_layer_sizes=(16,), max_epochs=5, random_state=0)
N_FEATURES = 5


def _normal_rows(n, seed):
    """Rows near a 2-D plane in 5-D (one fixed plane, fresh draws per seed)."""
    basis = np.random.RandomState(42).normal(size=(2, N_FEATURES))
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, 2)) @ basis + 0.05 * rng.normal(size=(n, N_FEATURES))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def X():
    return _normal_rows(200, seed=0)


@pytest.fixture(scope="module")
def detector(X):
    return AutoencoderOutlierDetector(n_components=2, **FAST).fit(X)


@pytest.fixture(scope="module")
def calibrated(X):
    return AutoencoderOutlierDetector(n_components=2, calibration=0.3, **FAST).fit(X)


# ---------------------------------------------------------------- explanations
def test_feature_scores_shape_and_identity(detector, X):
    # the default combined score: the contributions sum to its reconstruction part, and the
    # rest is the codes' squared Mahalanobis distance over n_components_
    scores = detector.feature_scores(X)
    assert isinstance(scores, np.ndarray)
    assert scores.shape == X.shape and scores.dtype == np.float64
    assert (scores >= 0).all()
    with torch.no_grad():
        Z = detector.net_.module_.encode(torch.as_tensor(X, dtype=torch.float32)).double().numpy()
    dz = Z - detector.latent_mean_
    latent = np.einsum("ij,jk,ik->i", dz, detector.latent_precision_, dz) / Z.shape[1]
    np.testing.assert_allclose(
        scores.sum(axis=1) + latent, -detector.score_samples(X), rtol=1e-4, atol=1e-6
    )
    X32 = X.astype(np.float32)
    scores32 = detector.feature_scores(X32)
    assert scores32.dtype == np.float32
    np.testing.assert_allclose(scores32, scores, rtol=1e-3, atol=1e-6)


def test_feature_scores_of_the_reconstruction_score(X):
    detector = AutoencoderOutlierDetector(n_components=2, outlier_score="reconstruction", **FAST)
    detector.fit(X)
    scores = detector.feature_scores(X)
    np.testing.assert_allclose(scores.mean(axis=1), -detector.score_samples(X), rtol=1e-6)
    X32 = X.astype(np.float32)
    np.testing.assert_allclose(
        detector.feature_scores(X32).mean(axis=1),
        -detector.score_samples(X32),
        rtol=1e-4,
        atol=1e-7,
    )


def test_combined_score_terms_average_one_on_the_training_rows(detector, X):
    """Each part of the combined score is 1 on average over the rows it was fitted on."""
    scores = detector.feature_scores(X)
    np.testing.assert_allclose(scores.sum(axis=1).mean(), 1.0, rtol=1e-4)
    latent = -detector.score_samples(X) - scores.sum(axis=1)
    np.testing.assert_allclose(latent.mean(), 1.0, rtol=1e-3)


def test_combined_score_sees_an_unusual_code_that_reconstructs_well():
    """A row on the learned (here linear) manifold but far out along it is an outlier."""
    rng = np.random.RandomState(0)
    basis = rng.normal(size=(2, 6))
    X = rng.normal(size=(400, 2)) @ basis + 0.05 * rng.normal(size=(400, 6))
    far = np.array([[8.0, -8.0]]) @ basis  # exactly on the plane, 8 standard deviations out
    params = dict(n_components=2, init="pca", max_epochs=5, random_state=0)
    combined = AutoencoderOutlierDetector(**params).fit(X)
    reconstruction = AutoencoderOutlierDetector(outlier_score="reconstruction", **params).fit(X)
    assert combined.predict(far)[0] == -1
    assert reconstruction.predict(far)[0] == 1  # reconstructed as well as the normal rows


def test_feature_scores_needs_fit_and_matching_features(detector, X):
    with pytest.raises(NotFittedError):
        AutoencoderOutlierDetector().feature_scores(X)
    with pytest.raises(ValueError, match="features"):
        detector.feature_scores(X[:, :3])


def test_planted_outlier_is_explained_by_its_shifted_feature(detector, X):
    x = X[:20].copy()
    x[7, 3] += 5 * X[:, 3].std()
    scores = detector.feature_scores(x)
    assert int(np.argmax(scores[7])) == 3
    table = detector.top_features(x, k=2)
    first = table[(table["sample"] == 7) & (table["rank"] == 1)]
    assert first["feature"].item() == "x3"
    assert first["share"].item() > 0.5
    # the planted row is also the worst reconstructed one
    assert int(np.argmin(detector.score_samples(x))) == 7


def test_top_features_table(detector, X):
    k = 3
    table = detector.top_features(X[:4], k=k)
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["sample", "rank", "feature", "score", "share"]
    assert len(table) == 4 * k
    assert table["sample"].dtype == np.int64 and table["rank"].dtype == np.int64
    assert table["score"].dtype == np.float64 and table["share"].dtype == np.float64
    assert table["sample"].tolist() == [0] * k + [1] * k + [2] * k + [3] * k
    assert table["rank"].tolist() == [1, 2, 3] * 4
    scores = detector.feature_scores(X[:4])
    for i, rows in table.groupby("sample"):
        assert np.all(np.diff(rows["score"].to_numpy()) <= 0)  # ranked, largest first
        expected = np.sort(scores[i])[::-1][:k]
        np.testing.assert_allclose(rows["score"].to_numpy(), expected)
        np.testing.assert_allclose(rows["share"].to_numpy(), expected / scores[i].sum())
        cols = [int(f[1:]) for f in rows["feature"]]
        np.testing.assert_allclose(scores[i, cols], expected)
    full = detector.top_features(X[:4], k=N_FEATURES)
    np.testing.assert_allclose(full.groupby("sample")["share"].sum(), 1.0)


def test_top_features_uses_dataframe_column_names(X):
    columns = ["alpha", "beta", "gamma", "delta", "epsilon"]
    df = pd.DataFrame(X, columns=columns)
    det = AutoencoderOutlierDetector(n_components=2, calibration=0.3, **FAST).fit(df)
    shifted = df.iloc[:3].copy()
    shifted["delta"] += 5 * df["delta"].std()
    table = det.top_features(shifted, k=1)
    assert table["feature"].tolist() == ["delta"] * 3
    assert set(det.top_features(df.iloc[:5], k=5)["feature"]) == set(columns)


@pytest.mark.parametrize("k", [0, -1, N_FEATURES + 1, 1.5, "2", True, None])
def test_top_features_validates_k(detector, X, k):
    with pytest.raises(ValueError, match=r"k must be an integer from 1 to n_features_in_=5"):
        detector.top_features(X[:2], k=k)


def test_top_features_accepts_numpy_int(detector, X):
    assert len(detector.top_features(X[:2], k=np.int64(2))) == 4


# ---------------------------------------------------------------- display
def test_display_bar_charts(detector, X):
    display = FeatureScoresDisplay.from_estimator(detector, X, row=5)
    scores = detector.feature_scores(X[5:6])[0]
    assert len(display.axes_) == 2 and display.ax_ is display.axes_[0]
    assert display.image_ is None and display.images_ == []
    np.testing.assert_allclose([b.get_height() for b in display.bars_], scores)
    np.testing.assert_array_equal(display.shown_, np.arange(N_FEATURES))
    labels = [t.get_text() for t in display.axes_[1].get_xticklabels()]
    assert labels == [f"x{i}" for i in range(N_FEATURES)]
    np.testing.assert_allclose(display.lines_[0].get_ydata(), X[5])
    assert "row 5" in display.ax_.get_title()
    assert "AutoencoderOutlierDetector" in display.ax_.get_title()


def test_display_top_k_and_axes(detector, X):
    import matplotlib.pyplot as plt

    x = X[:3].copy()
    x[2, 3] += 5 * X[:, 3].std()
    fig, (a, b) = plt.subplots(2, 1)
    display = FeatureScoresDisplay.from_estimator(detector, x, row=-1, k=2, ax=[a, b], name="AE")
    assert display.ax_ is a and display.figure_ is fig
    assert display.shown_[0] == 3 and len(display.bars_) == 2
    assert b.get_xticklabels()[0].get_text() == "x3"
    assert display.ax_.get_title().startswith("AE, row 2")
    # one Axes is split into the two panels; plot returns the display
    _, ax = plt.subplots()
    assert display.plot(ax=ax) is display
    assert len(display.axes_) == 2 and display.axes_[0] is not ax
    with pytest.raises(ValueError, match="sequence of 2 Axes"):
        display.plot(ax=[a])


def test_display_validation(detector, X):
    with pytest.raises(ValueError, match="row must be an integer"):
        FeatureScoresDisplay.from_estimator(detector, X[:4], row=4)
    with pytest.raises(ValueError, match="k must be"):
        FeatureScoresDisplay.from_estimator(detector, X, k=N_FEATURES + 1)
    with pytest.raises(ValueError, match="feature_scores"):
        from sklearn.decomposition import PCA

        FeatureScoresDisplay.from_estimator(PCA(1).fit(X), X)
    with pytest.raises(ValueError, match="holds 6 values"):
        FeatureScoresDisplay.from_estimator(detector, X, image_shape=(2, 3))


def test_display_image_heat_map():
    rng = np.random.RandomState(0)
    images = np.clip(rng.normal(0.5, 0.1, size=(120, 1)) + 0.05 * rng.normal(size=(120, 16)), 0, 1)
    det = AutoencoderOutlierDetector(
        n_components=2, architecture="conv", input_shape=(4, 4), conv_channels=(4,), **FAST
    ).fit(images)
    x = images[:2].copy()
    x[1, 6] = 1.0 - x[1, 6]  # pixel (1, 2)
    display = FeatureScoresDisplay.from_estimator(det, x, row=1, k=1)
    assert len(display.axes_) == 3 and display.ax_ is display.axes_[2]
    assert display.bars_ is None and len(display.images_) == 2
    heat = display.image_.get_array()
    assert heat.shape == (4, 4)
    np.testing.assert_allclose(heat.ravel(), det.feature_scores(x[1:])[0], rtol=1e-6)
    np.testing.assert_allclose(display.images_[0].get_array(), x[1].reshape(4, 4))
    assert display.shown_.tolist() == [int(np.argmax(heat))]
    # a dense detector draws images when given image_shape; (1, -1) signals are bars
    dense = AutoencoderOutlierDetector(n_components=2, **FAST).fit(images)
    display = FeatureScoresDisplay.from_estimator(dense, images, image_shape=(2, -1))
    assert display.image_.get_array().shape == (2, 8)
    signal = AutoencoderOutlierDetector(
        n_components=2, architecture="conv", input_shape=(1, -1), conv_channels=(4,), **FAST
    )
    signal.set_params(max_epochs=1).fit(images)
    assert FeatureScoresDisplay.from_estimator(signal, images).bars_ is not None


# ---------------------------------------------------------------- estimator API
def test_clone_and_pickle_keep_the_new_parameter(calibrated, X):
    params = clone(calibrated).get_params()
    assert params["calibration"] == 0.3
    again = pickle.loads(pickle.dumps(calibrated))
    np.testing.assert_array_equal(again.calibration_scores_, calibrated.calibration_scores_)
    np.testing.assert_allclose(again.score_pvalues(X[:20]), calibrated.score_pvalues(X[:20]))
    np.testing.assert_allclose(again.feature_scores(X[:5]), calibrated.feature_scores(X[:5]))
    assert not hasattr(calibrated, "_calibration_rows")


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.1, "auto", True])
def test_calibration_parameter_is_validated(X, value):
    with pytest.raises((InvalidParameterError, ValueError)):
        AutoencoderOutlierDetector(calibration=value, **FAST).fit(X)


# ---------------------------------------------------------------- calibration
def test_default_keeps_tukey_threshold_and_no_calibration(detector, X):
    assert detector.calibration_scores_ is None
    errors = -detector.score_samples(X)
    q1, q3 = np.percentile(errors, [25, 75])
    assert detector.offset_ == pytest.approx(-(q3 + 1.5 * (q3 - q1)), rel=1e-5)


def test_calibration_scores_and_pvalues(calibrated, X):
    n_cal = math.ceil(0.3 * len(X))
    cal = calibrated.calibration_scores_
    assert cal.shape == (n_cal,) and cal.dtype == np.float64
    assert np.all(np.diff(cal) >= 0)
    # the calibration scores are the scores of n_cal distinct rows of X
    scores = calibrated.score_samples(X)
    matches = np.isclose(scores[:, None], cal[None, :], rtol=0, atol=1e-12)
    assert matches.any(axis=0).all() and matches.any(axis=1).sum() == n_cal
    p = calibrated.score_pvalues(X)
    assert p.shape == (len(X),) and p.dtype == np.float64
    assert (p > 0).all() and (p <= 1).all()
    assert p.min() >= 1 / (n_cal + 1)
    # held-out rows: exactly (1 + #cal scores <= own) / (n_cal + 1); ranks are 1..n_cal
    held = matches.any(axis=1)
    np.testing.assert_allclose(
        np.sort(p[held]), (1 + np.arange(1, n_cal + 1)) / (n_cal + 1), rtol=1e-12
    )
    # a gross outlier gets the smallest p-value, and predict agrees with the p-values
    x = X[:1] + 10 * X.std(axis=0)
    assert calibrated.score_pvalues(x)[0] == pytest.approx(1 / (n_cal + 1))
    flagged = calibrated.predict(np.vstack([X, x])) == -1
    np.testing.assert_array_equal(flagged, calibrated.score_pvalues(np.vstack([X, x])) <= 0.05)
    assert flagged[-1]
    assert (calibrated.decision_function(X) < 0).sum() == (p <= 0.05).sum()


def test_held_out_rows_are_not_trained_on(calibrated, X):
    n_cal = math.ceil(0.3 * len(X))
    n_fit = len(X) - n_cal
    n_valid = math.ceil(0.1 * n_fit)  # early stopping's validation rows
    for epoch in calibrated.net_.history:
        batches = epoch["batches"]
        assert sum(b.get("train_batch_size", 0) for b in batches) == n_fit - n_valid
        assert sum(b.get("valid_batch_size", 0) for b in batches) == n_valid
    # and which rows are held out depends only on random_state
    again = AutoencoderOutlierDetector(n_components=2, calibration=0.3, **FAST).fit(X)
    np.testing.assert_array_equal(again.calibration_scores_, calibrated.calibration_scores_)


def test_empirical_false_alarm_rate_is_controlled():
    # n_cal = 1000 held-out rows, 2000 fresh normal test rows, level a = 0.1.
    # For one calibration set the false-alarm rate is ~ Beta with mean in
    # [a - 1/(n_cal+1), a] and sd sqrt(a(1-a)/(n_cal+2)) = 0.0095; the test
    # fraction adds binomial noise sd sqrt(a(1-a)/2000) = 0.0067. Total sd 0.0116:
    # the tolerance 0.04 is 3.4 sd (two-sided false-failure chance < 0.1%).
    a = 0.1
    X_fit = _normal_rows(1500, seed=1)
    det = AutoencoderOutlierDetector(
        n_components=2, calibration=1000 / 1500, contamination=a, **FAST
    ).fit(X_fit)
    assert len(det.calibration_scores_) == 1000
    X_test = _normal_rows(2000, seed=2)
    p = det.score_pvalues(X_test)
    rate = float(np.mean(p <= a))
    assert abs(rate - a) <= 0.04, rate
    assert float(np.mean(det.predict(X_test) == -1)) == rate
    # the p-values of normal rows are close to uniform at other levels too
    for level in (0.05, 0.25, 0.5):
        assert abs(float(np.mean(p <= level)) - level) <= 0.06


def test_score_pvalues_needs_calibration(detector, X):
    with pytest.raises(NotFittedError, match="calibration=None"):
        detector.score_pvalues(X)
    with pytest.raises(NotFittedError):
        AutoencoderOutlierDetector(calibration=0.2).score_pvalues(X)


def test_too_few_calibration_rows_fail_before_training(X):
    det = AutoencoderOutlierDetector(calibration=0.05, **FAST)  # 10 rows < 19 for 0.05
    with pytest.raises(ValueError, match="at least 19 rows"):
        det.fit(X)
    assert not hasattr(det, "net_")
    # a larger contamination needs fewer rows
    det.set_params(contamination=0.1).fit(X)
    assert len(det.calibration_scores_) == 10
    with pytest.raises(ValueError, match="fewer than 2 to train on"):
        AutoencoderOutlierDetector(calibration=0.9, contamination=0.5, **FAST).fit(X[:10])


def test_calibration_rows_are_validated_before_training(X):
    bad = X.copy()
    bad[:, 0] = np.nan
    det = AutoencoderOutlierDetector(calibration=0.3, **FAST)
    with pytest.raises(ValueError, match="NaN"):
        det.fit(bad)
    assert not hasattr(det, "net_")


def test_calibration_keeps_float32(X):
    det = AutoencoderOutlierDetector(n_components=2, calibration=0.3, **FAST)
    det.fit(X.astype(np.float32))
    assert det.calibration_scores_.dtype == np.float64
    p = det.score_pvalues(X.astype(np.float32))
    assert ((p > 0) & (p <= 1)).all()


def test_failure_inside_fit_leaves_the_estimator_unchanged(X, monkeypatch):
    def broken(self, X):  # the post-training pass over the training rows
        raise RuntimeError("scoring failed")

    det = AutoencoderOutlierDetector(n_components=2, calibration=0.3, **FAST)
    with monkeypatch.context() as m:
        m.setattr(AutoencoderOutlierDetector, "_fit_score_statistics", broken)
        with pytest.raises(RuntimeError, match="scoring failed"):
            det.fit(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(det)
    assert not any(k.endswith("_") and not k.startswith("__") for k in vars(det))
    assert not hasattr(det, "_calibration_rows")

    # a fitted detector keeps its threshold and calibration after a failed refit
    det.fit(X)
    before = (det.offset_, det.calibration_scores_.copy(), det.net_)
    with monkeypatch.context() as m:
        m.setattr(AutoencoderOutlierDetector, "_fit_score_statistics", broken)
        with pytest.raises(RuntimeError):
            det.set_params(calibration=0.4).fit(X)
    assert det.offset_ == before[0] and det.net_ is before[2]
    np.testing.assert_array_equal(det.calibration_scores_, before[1])
    assert not hasattr(det, "_calibration_rows")


def test_the_corrupted_feature_ranks_first_for_95_percent_of_rows():
    """One known feature of each row is corrupted: it is the top feature of >= 95 % of rows.

    With the default score, whose residuals are relative to each feature's usual
    residual (the raw squared residuals of ``outlier_score="reconstruction"`` rank it
    first for about 89 % here: a corruption leaks into the reconstruction of the
    other features).
    """
    rng = np.random.RandomState(1)
    basis = rng.normal(size=(3, 10))
    X = rng.normal(size=(600, 3)) @ basis + 0.05 * rng.normal(size=(600, 10))
    test = rng.normal(size=(200, 3)) @ basis + 0.05 * rng.normal(size=(200, 10))
    corrupted = rng.randint(0, 10, size=200)
    shift = 4.0 * X.std(axis=0)[corrupted] * rng.choice([-1.0, 1.0], size=200)
    test[np.arange(200), corrupted] += shift
    det = AutoencoderOutlierDetector(n_components=3, max_epochs=20, random_state=0).fit(X)
    top = det.top_features(test, k=1)
    hits = np.mean(top["feature"].to_numpy() == np.array([f"x{j}" for j in corrupted]))
    assert hits >= 0.95, hits


@pytest.mark.parametrize(
    "call",
    [
        lambda det, X: det.feature_scores(X),
        lambda det, X: det.top_features(X, k=2),
        lambda det, X: det.score_pvalues(X),
        lambda det, X: det.score_samples(X),
    ],
    ids=["feature_scores", "top_features", "score_pvalues", "score_samples"],
)
def test_new_entry_points_reject_bad_input_and_keep_the_data(calibrated, X, call):
    with pytest.raises(NotFittedError):
        call(AutoencoderOutlierDetector(calibration=0.3), X)
    with pytest.raises(ValueError, match="features"):
        call(calibrated, X[:, :3])
    bad = X[:5].copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        call(calibrated, bad)
    with pytest.raises(ValueError, match="2D array"):
        call(calibrated, X[0])
    before = X.copy()
    call(calibrated, X)
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_constant_training_data_gives_finite_scores(dtype):
    # Every feature reconstructed exactly: the residual variances' floor must not
    # underflow (it did in float32: 0/0 gave NaN scores and a NaN threshold).
    X = np.ones((30, 3), dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        detector = AutoencoderOutlierDetector(max_epochs=2, random_state=0).fit(X)
        scores = detector.score_samples(np.vstack([X, X + 1]))
        contributions = detector.feature_scores(X + 1)
    assert np.isfinite(detector.offset_)
    assert np.isfinite(scores).all() and np.isfinite(contributions).all()
    assert (scores[30:] < scores[:30].min()).all()  # the shifted rows are the outliers


def test_max_epochs_default_overrides_the_common_one_in_place():
    """The detector trains at most 60 epochs by default; the transformers keep 200."""
    import inspect

    from skae import AutoencoderTransformer

    assert AutoencoderOutlierDetector().max_epochs == 60
    assert AutoencoderTransformer().max_epochs == 200
    for cls in (AutoencoderOutlierDetector, AutoencoderTransformer):
        names = list(inspect.signature(cls).parameters)
        assert names.count("max_epochs") == 1
        # same place among the common parameters
        assert names.index("batch_size") + 1 == names.index("max_epochs")
        assert names.index("max_epochs") + 1 == names.index("early_stopping")
    doc = AutoencoderOutlierDetector.__doc__
    assert doc.count("max_epochs : ") == 1
    assert "max_epochs : int, default=60" in doc
    assert list(AutoencoderOutlierDetector._parameter_constraints).count("max_epochs") == 1


def test_scoring_streams_in_bounded_memory(tmp_path):
    """score_samples holds one chunk of rows at a time, not the full reconstruction."""
    import tracemalloc

    rng = np.random.default_rng(0)
    det = AutoencoderOutlierDetector(hidden_layer_sizes=(8,), max_epochs=2, random_state=0).fit(
        rng.standard_normal((200, 40)).astype(np.float32)
    )
    n = 60_000  # 9.6 MB of float32 rows: a full reconstruction would be as large again
    path = tmp_path / "rows.dat"
    mm = np.memmap(path, dtype=np.float32, mode="w+", shape=(n, 40))
    mm[:] = rng.standard_normal((n, 40), dtype=np.float32)
    mm.flush()
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(n, 40))
    tracemalloc.start()
    try:
        scores = det.score_samples(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert scores.shape == (n,) and scores.dtype == np.float64
    assert np.all(np.isfinite(scores))
    # the scores (0.5 MB) plus a few 4096-row chunks, far below one n x 40 array
    assert peak < 0.5 * X.nbytes, peak
    # the same scores as the in-memory path
    np.testing.assert_allclose(scores[:500], det.score_samples(np.asarray(X[:500])), rtol=1e-6)


def test_set_params_after_fit_changes_the_score_only_at_the_next_fit(X):
    """The score, its statistics and the threshold belong together: ``outlier_score_``."""
    det = AutoencoderOutlierDetector(n_components=2, **FAST).fit(X)
    assert det.outlier_score_ == "combined"
    before = det.score_samples(X[:20])
    labels = det.predict(X)
    det.set_params(outlier_score="reconstruction")
    np.testing.assert_array_equal(det.score_samples(X[:20]), before)
    np.testing.assert_array_equal(det.predict(X), labels)
    det.fit(X)
    assert det.outlier_score_ == "reconstruction"
    # the reconstruction score: minus the mean of the squared residuals of each row
    expected = -det.feature_scores(X[:20]).mean(axis=1)
    np.testing.assert_allclose(det.score_samples(X[:20]), expected, rtol=1e-5, atol=1e-7)


def test_fitting_on_a_memmap_adds_no_full_size_temporaries(tmp_path):
    """The detector's post-fit statistics and threshold stream: its fit allocates about
    what the transformer's fit on the same rows does, not another copy of the data."""
    import tracemalloc

    from skae import AutoencoderTransformer

    rng = np.random.default_rng(0)
    n = 200_000  # 32 MB of float32 rows; the old statistics held ~5 times that
    path = tmp_path / "rows.dat"
    mm = np.memmap(path, dtype=np.float32, mode="w+", shape=(n, 40))
    mm[:] = rng.standard_normal((n, 40), dtype=np.float32)
    mm.flush()
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(n, 40))
    params = dict(hidden_layer_sizes=(8,), max_epochs=1, init="pca", random_state=0)
    peaks = {}
    for cls in (AutoencoderTransformer, AutoencoderOutlierDetector):
        cls(**params).fit(X[:100])  # one-off imports and caches, not measured
        tracemalloc.start()
        try:
            cls(**params).fit(X)
            peaks[cls.__name__] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    extra = peaks["AutoencoderOutlierDetector"] - peaks["AutoencoderTransformer"]
    assert extra < 0.25 * X.nbytes, peaks
