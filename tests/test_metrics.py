# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA, KernelPCA
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.preprocessing import StandardScaler

from skae.exceptions import FitInterruptedWarning
from skae.metrics import (
    COMPARE_COLUMNS,
    compare,
    latent_knn_score,
    latent_trustworthiness,
    linear_probe_score,
    make_reconstruction_scorer,
    neg_reconstruction_error,
    reconstruction_error,
)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def pca(digits):
    return PCA(n_components=8, random_state=0).fit(digits[0])


def _manual(pca, X):
    return X - pca.inverse_transform(pca.transform(X))


def test_reconstruction_error_metrics(pca, digits):
    X, _ = digits
    diff = _manual(pca, X)
    mse = np.mean(diff**2, axis=1)
    np.testing.assert_allclose(reconstruction_error(pca, X), mse.mean())
    np.testing.assert_allclose(reconstruction_error(pca, X, per_sample=True), mse)
    np.testing.assert_allclose(
        reconstruction_error(pca, X, metric="mae", per_sample=True), np.abs(diff).mean(axis=1)
    )
    np.testing.assert_allclose(reconstruction_error(pca, X, metric="rmse"), np.sqrt(mse.mean()))
    np.testing.assert_allclose(
        reconstruction_error(pca, X, metric="rmse", per_sample=True), np.sqrt(mse)
    )
    assert isinstance(reconstruction_error(pca, X), float)
    full = PCA().fit(X)
    assert reconstruction_error(full, X) < 1e-20


def test_reconstruction_error_bce(digits):
    X = digits[0] / 16.0
    pca = PCA(n_components=8).fit(X)
    p = np.clip(pca.inverse_transform(pca.transform(X)), 1e-7, 1 - 1e-7)
    expected = -np.mean(X * np.log(p) + (1 - X) * np.log(1 - p), axis=1)
    np.testing.assert_allclose(
        reconstruction_error(pca, X, metric="bce", per_sample=True), expected
    )
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reconstruction_error(pca, X * 16, metric="bce")


def test_reconstruction_error_dataframe_no_warning(digits):
    X = pd.DataFrame(digits[0][:, :16], columns=[f"f{i}" for i in range(16)])
    pca = PCA(n_components=4).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert reconstruction_error(pca, X) > 0


def test_reconstruction_error_errors(pca, digits):
    X, _ = digits
    with pytest.raises(ValueError, match="metric"):
        reconstruction_error(pca, X, metric="huber")
    with pytest.raises(NotFittedError):
        reconstruction_error(PCA(), X)
    with pytest.raises(ValueError, match="2D"):
        reconstruction_error(pca, X[0])
    kmeans = KMeans(n_clusters=2, n_init=1, random_state=0).fit(X[:50])
    with pytest.raises(TypeError, match="inverse_transform"):
        reconstruction_error(kmeans, X)
    with pytest.raises(ValueError, match="metric"):
        make_reconstruction_scorer("huber")


def test_scorers(pca, digits):
    X, _ = digits
    assert neg_reconstruction_error(pca, X) == -reconstruction_error(pca, X)
    assert neg_reconstruction_error(pca, X, None) < 0
    scorer = make_reconstruction_scorer("mae")
    assert repr(scorer) == "make_reconstruction_scorer(metric='mae')"
    np.testing.assert_allclose(scorer(pca, X), -reconstruction_error(pca, X, metric="mae"))
    # Weights average the per-sample errors.
    w = np.zeros(len(X))
    w[:10] = 1
    np.testing.assert_allclose(
        make_reconstruction_scorer("rmse")(pca, X, sample_weight=w),
        -reconstruction_error(pca, X[:10], metric="rmse"),
    )
    scores = cross_val_score(PCA(n_components=4), X, scoring=scorer, cv=2)
    assert scores.shape == (2,) and (scores < 0).all()


def test_grid_search(digits):
    X, _ = digits
    search = GridSearchCV(
        PCA(), {"n_components": [2, 16]}, scoring=neg_reconstruction_error, cv=2
    ).fit(X)
    assert search.best_params_ == {"n_components": 16}


def test_latent_scores(pca, digits):
    X, y = digits
    knn = latent_knn_score(pca, X[:200], y[:200], X[200:], y[200:], n_neighbors=3)
    probe = linear_probe_score(pca, X[:200], y[:200], X[200:], y[200:])
    assert 0.7 < knn <= 1 and 0.6 < probe <= 1
    trust = latent_trustworthiness(pca, X[:100])
    assert 0.8 < trust <= 1
    full = PCA().fit(X)
    assert latent_trustworthiness(full, X[:100]) == pytest.approx(1.0, abs=1e-3)  # ties
    with pytest.raises(NotFittedError):
        latent_knn_score(PCA(), X, y, X, y)


class TinyReducer(TransformerMixin, BaseEstimator):
    """Keeps the first ``n_components`` standardised features, any n_components allowed."""

    def __init__(self, n_components=2):
        self.n_components = n_components

    def fit(self, X, y=None):
        self.scaler_ = StandardScaler().fit(X)
        self.mean_ = np.asarray(X).mean(axis=0)
        return self

    def transform(self, X):
        Z = self.scaler_.transform(X)
        k = min(self.n_components, Z.shape[1])
        return Z[:, :k]

    def inverse_transform(self, Z):
        full = np.zeros((Z.shape[0], self.mean_.shape[0]))
        full[:, : Z.shape[1]] = Z
        out = self.scaler_.inverse_transform(full)
        out[:, Z.shape[1] :] = self.mean_[Z.shape[1] :]
        return out


def test_compare_with_labels(digits):
    X, y = digits
    tiny = TinyReducer()
    df, fitted = compare(
        [("tiny", tiny)],
        X[:200],
        X[200:],
        y[:200],
        y[200:],
        n_components=(2, 4),
        return_estimators=True,
    )
    assert list(df.columns) == list(COMPARE_COLUMNS)
    assert df[["method", "n_components"]].values.tolist() == [
        ["pca", 2],
        ["pca", 4],
        ["tiny", 2],
        ["tiny", 4],
    ]
    np.testing.assert_allclose(df.loc[df.method == "pca", "mse_vs_pca"], 1.0)
    assert (df.loc[df.method == "tiny", "mse_vs_pca"] > 1).all()
    assert df[["knn_accuracy", "linear_probe_accuracy"]].notna().all().all()
    assert (df[["fit_seconds", "transform_seconds"]] >= 0).all().all()
    assert set(fitted) == {("pca", 2), ("pca", 4), ("tiny", 2), ("tiny", 4)}
    assert fitted[("tiny", 4)].n_components == 4
    assert tiny.n_components == 2 and not hasattr(tiny, "scaler_")  # cloned, not modified
    row = df[(df.method == "pca") & (df.n_components == 4)].iloc[0]
    assert row.test_mse == pytest.approx(reconstruction_error(fitted[("pca", 4)], X[200:]))


def test_compare_without_test_set_and_user_pca(digits):
    X, _ = digits
    user_pca = PCA(svd_solver="full")
    df = compare({"tiny": TinyReducer(), "pca": user_pca}, X, n_components=3, verbose=True)
    assert df.method.tolist() == ["pca", "tiny"]
    assert df.test_mse.isna().all()
    assert df.knn_accuracy.isna().all()
    ratio = df.train_mse.iloc[1] / df.train_mse.iloc[0]
    assert df.mse_vs_pca.iloc[1] == pytest.approx(ratio)


def test_compare_skips_too_large_pca(digits):
    X = digits[0][:40, :6]
    with pytest.warns(UserWarning, match="Skipping 'pca'"):
        df = compare({"tiny": TinyReducer()}, X, n_components=(2, 8))
    assert df[["method", "n_components"]].values.tolist() == [["pca", 2], ["tiny", 2], ["tiny", 8]]
    assert np.isnan(df.mse_vs_pca.iloc[-1])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"estimators": {"kmeans": KMeans()}}, ValueError, "n_components"),
        ({"estimators": [("a", PCA()), ("a", PCA())]}, ValueError, "unique"),
        ({"estimators": PCA()}, TypeError, "dict"),
        ({"n_components": [0, 2]}, ValueError, "positive"),
        ({"y_train": np.zeros(20)}, ValueError, "together"),
        ({"y_train": np.zeros(20), "y_test": np.zeros(20)}, ValueError, "X_test"),
        ({"X_test": np.zeros((5, 3))}, ValueError, "features"),
    ],
)
def test_compare_errors(digits, kwargs, error, match):
    params = {"estimators": {}, "X_train": digits[0][:20], "n_components": 2, **kwargs}
    with pytest.raises(error, match=match):
        compare(**params)


def test_compare_kernel_pca_and_all_skipped(digits):
    X = digits[0][:30, :4]
    kpca = KernelPCA(fit_inverse_transform=True)
    with pytest.warns(UserWarning):
        df = compare({"kpca": kpca}, X, n_components=(8,))
    assert df.method.tolist() == ["kpca"]
    with pytest.warns(UserWarning):
        empty = compare({}, X, n_components=(8,))
    assert empty.empty and list(empty.columns) == list(COMPARE_COLUMNS)


def _interrupted_fit(self, X, y=None):
    """What an estimator's fit does on Ctrl-C: keep the last epoch, warn, return."""
    warnings.warn("Training interrupted after epoch 1.", FitInterruptedWarning, stacklevel=2)
    return self


def _keyboard_interrupt(self, *args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    "cls, method, replacement",
    [
        (TinyReducer, "fit", _interrupted_fit),
        (TinyReducer, "fit", _keyboard_interrupt),
        (TinyReducer, "transform", _keyboard_interrupt),
        (PCA, "fit", _keyboard_interrupt),
    ],
    ids=["fit-warns", "fit-raises", "transform-raises", "pca-fit-raises"],
)
@pytest.mark.parametrize("warning_filter", ["default", "ignore", "always"])
def test_compare_reraises_interruptions(
    digits, monkeypatch, cls, method, replacement, warning_filter
):
    X, y = digits
    monkeypatch.setattr(cls, method, replacement)
    with warnings.catch_warnings():
        # An interrupted fit stops compare() whatever the caller does with warnings.
        warnings.simplefilter(warning_filter)
        with pytest.raises(KeyboardInterrupt):
            compare({"tiny": TinyReducer()}, X[:200], X[200:], y[:200], y[200:], n_components=2)


def test_compare_keeps_other_fit_warnings(digits, monkeypatch):
    X = digits[0]
    fit = TinyReducer.fit

    def noisy_fit(self, X, y=None):
        warnings.warn("not converged", UserWarning, stacklevel=2)
        return fit(self, X, y)

    monkeypatch.setattr(TinyReducer, "fit", noisy_fit)
    with pytest.warns(UserWarning, match="not converged"):
        df = compare({"tiny": TinyReducer()}, X, n_components=2)
    assert df.method.tolist() == ["pca", "tiny"]


@pytest.fixture(scope="module")
def autoencoder_cls():
    from skae import AutoencoderTransformer

    return AutoencoderTransformer


def test_real_autoencoder(autoencoder_cls, digits):
    X, y = digits[0][:80] / 16.0, digits[1][:80]
    ae = autoencoder_cls(n_components=2, hidden_layer_sizes=(16,), max_epochs=2, random_state=0)
    ae.fit(X)
    assert reconstruction_error(ae, X) == pytest.approx(-ae.score(X), rel=1e-4)
    np.testing.assert_allclose(
        -reconstruction_error(ae, X, per_sample=True), ae.score_samples(X), rtol=1e-4
    )
    df = compare({"ae": ae}, X[:60], X[60:], y[:60], y[60:], n_components=(2, 4), n_neighbors=3)
    assert df.method.tolist() == ["pca", "pca", "ae", "ae"]
    assert df.notna().all().all()


def test_real_autoencoder_interrupted_fit(autoencoder_cls, digits, monkeypatch):
    X = digits[0][:80] / 16.0
    monkeypatch.setattr(autoencoder_cls, "fit", _interrupted_fit)
    with pytest.raises(KeyboardInterrupt):
        compare({"ae": autoencoder_cls(max_epochs=2)}, X, n_components=2)


# --------------------------------------------------------------------------------------
# The trustworthiness column of compare()
# --------------------------------------------------------------------------------------


def test_compare_trustworthiness_column(digits):
    X, y = digits
    df, fitted = compare(
        {}, X[:200], X[200:], y[:200], y[200:], n_components=(2, 8), return_estimators=True
    )
    assert "trustworthiness" in df.columns
    assert df.trustworthiness.between(0, 1).all()
    # 8 components keep the neighbourhoods better than 2
    assert df.trustworthiness.iloc[1] > df.trustworthiness.iloc[0] > 0.5
    # the codes of the test rows, with the k-NN probe's n_neighbors
    expected = latent_trustworthiness(fitted[("pca", 8)], X[200:], n_neighbors=5)
    assert df.trustworthiness.iloc[1] == pytest.approx(expected)
    df3 = compare({}, X[:200], X[200:], y[:200], y[200:], n_components=8, n_neighbors=3)
    expected = latent_trustworthiness(fitted[("pca", 8)], X[200:], n_neighbors=3)
    assert df3.trustworthiness.item() == pytest.approx(expected)


def test_compare_trustworthiness_without_test_set_or_labels(digits):
    X, _ = digits
    df, fitted = compare({"tiny": TinyReducer()}, X[:120], n_components=4, return_estimators=True)
    assert df.knn_accuracy.isna().all()
    assert df.trustworthiness.notna().all()  # needs no labels
    # without X_test, on the training rows
    expected = latent_trustworthiness(fitted[("tiny", 4)], X[:120])
    assert df.trustworthiness.iloc[1] == pytest.approx(expected)


@pytest.mark.parametrize("n_rows, n_neighbors", [(10, 5), (6, 3), (2, 1)])
def test_compare_trustworthiness_nan_with_too_few_rows(digits, n_rows, n_neighbors):
    X, y = digits
    # n_neighbors must be less than n_rows / 2: at n_rows = 2 * n_neighbors it is NaN ...
    X_test, y_test = X[200 : 200 + n_rows], y[200 : 200 + n_rows]
    df = compare({}, X[:200], X_test, y[:200], y_test, n_components=2, n_neighbors=n_neighbors)
    assert np.isnan(df.trustworthiness).all()
    # the rest of the row is still computed
    assert df[["test_mse", "knn_accuracy", "linear_probe_accuracy"]].notna().all().all()
    df = compare({}, X[:n_rows], n_components=2, n_neighbors=n_neighbors)
    assert np.isnan(df.trustworthiness).all()
    # ... and at 2 * n_neighbors + 1 it is computed
    df = compare({}, X[:200], X[200 : 201 + n_rows], n_components=2, n_neighbors=n_neighbors)
    assert df.trustworthiness.between(0, 1).all()


def test_compare_trustworthiness_on_a_fixed_subset(digits, monkeypatch):
    from skae import _compare

    X, _ = digits
    monkeypatch.setattr(_compare, "TRUSTWORTHINESS_MAX_SAMPLES", 50)
    rows = _compare.trustworthiness_rows(100)
    assert len(rows) == 50 and len(set(rows)) == 50
    assert (np.diff(rows) > 0).all() and rows.max() < 100
    np.testing.assert_array_equal(rows, _compare.trustworthiness_rows(100))  # seeded
    np.testing.assert_array_equal(_compare.trustworthiness_rows(40), np.arange(40))

    X_test = X[200:]
    df, fitted = compare({}, X[:200], X_test, n_components=4, return_estimators=True)
    expected = latent_trustworthiness(fitted[("pca", 4)], X_test[rows])
    assert df.trustworthiness.item() == pytest.approx(expected)
    assert df.trustworthiness.item() != pytest.approx(
        latent_trustworthiness(fitted[("pca", 4)], X_test)
    )


@pytest.mark.parametrize("n_neighbors", [0, -1, 2.5, True])
def test_compare_invalid_n_neighbors(digits, n_neighbors):
    X = digits[0]
    with pytest.raises(ValueError, match="n_neighbors"):
        compare({}, X[:50], n_components=2, n_neighbors=n_neighbors)
