# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""``latent_regularizer="umap"``: the structure-preserving latent option (issue #17)."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier

from skae import AutoencoderTransformer, VariationalAutoencoderTransformer, load
from skae._graph import fuzzy_graph, nearest_neighbors
from skae.nn import UMAPLoss

QUICK = dict(hidden_layer_sizes=(64,), max_epochs=15, random_state=0)


def _knn(model, X, y):
    Z = model.transform(X)
    return KNeighborsClassifier(5).fit(Z[::2], y[::2]).score(Z[1::2], y[1::2])


def _graph_loss(model, X):
    """UMAP's cross-entropy of the whole graph of X under the model's codes (fixed pairs)."""
    heads, tails, weights = fuzzy_graph(*nearest_neighbors(X, 15))
    generator = torch.Generator().manual_seed(0)
    pairs = torch.randint(0, len(X), (2, 5000), generator=generator)
    Z = torch.as_tensor(model.transform(X), dtype=torch.float32)
    loss = UMAPLoss().weighted(Z[heads], Z[tails], torch.as_tensor(weights), *Z[pairs])
    return float(loss)


def test_umap_term_shapes_the_map(digits):
    X, y = digits
    plain = AutoencoderTransformer(**QUICK).fit(X)
    umap = AutoencoderTransformer(latent_regularizer="umap", **QUICK).fit(X)
    # measured: 0.28-0.29 against 0.41-0.43 over three seeds
    assert _graph_loss(umap, X) < 0.8 * _graph_loss(plain, X)
    assert _knn(umap, X, y) >= _knn(plain, X, y)
    history = umap.net_.history
    assert "train_umap" in history[-1] and "train_reconstruction" in history[-1]
    assert history[-1, "train_umap"] < history[0, "train_umap"]


def test_deterministic_and_leaves_global_state(digits):
    X, _ = digits
    torch_state = torch.random.get_rng_state()
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002 - the legacy global RNG
    threads = torch.get_num_threads()
    a = AutoencoderTransformer(latent_regularizer="umap", **QUICK).fit(X)
    b = AutoencoderTransformer(latent_regularizer="umap", **QUICK).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)  # noqa: NPY002
    assert torch.get_num_threads() == threads


def test_fitted_model_keeps_no_graph_or_training_rows(digits):
    X, _ = digits
    model = AutoencoderTransformer(latent_regularizer="umap", **QUICK).fit(X)
    assert model.net_.regularizer is None
    plain = AutoencoderTransformer(**QUICK).fit(X)
    # same network: the pickles differ by the parameters and history only
    assert len(pickle.dumps(model)) < len(pickle.dumps(plain)) + X.nbytes / 4
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.transform(X), model.transform(X))
    # decodes any point of the map
    Z = np.array([[0.0, 0.0], [1.0, -1.0]])
    assert model.inverse_transform(Z).shape == (2, 64)


def test_too_few_rows_for_the_graph_is_a_clear_error():
    X = np.random.RandomState(0).rand(12, 4)
    model = AutoencoderTransformer(latent_regularizer="umap", n_neighbors=15, max_epochs=1)
    with pytest.raises(ValueError, match=r"n_neighbors=15 .* only 10 rows"):
        model.fit(X)
    assert not hasattr(model, "net_")  # left unfitted


@pytest.mark.parametrize(
    "params, match",
    [
        ({"latent_regularizer": "tsne"}, "latent_regularizer"),
        ({"latent_regularizer_weight": -1.0}, "latent_regularizer_weight"),
        ({"n_neighbors": 1}, "n_neighbors"),
    ],
)
def test_invalid_parameters(params, match):
    X = np.random.RandomState(0).rand(30, 4)
    with pytest.raises(ValueError, match=match):
        AutoencoderTransformer(**params).fit(X)


def test_one_start_under_init_auto(digits):
    X, _ = digits
    model = AutoencoderTransformer(latent_regularizer="umap", **QUICK).fit(X[:, :16] * 4 - 2)
    # standardised, dense, linear output: the PCA-anchored start, and only it
    assert model.init_ == "pca"


def test_works_with_the_convolutional_and_variational_models(digits):
    X, _ = digits
    conv = AutoencoderTransformer(
        architecture="conv",
        input_shape=(8, 8),
        conv_channels=(4,),
        latent_regularizer="umap",
        max_epochs=3,
        random_state=0,
    ).fit(X)
    assert conv.transform(X).shape == (300, 2)
    assert "train_umap" in conv.net_.history[-1]
    vae = VariationalAutoencoderTransformer(latent_regularizer="umap", **QUICK).fit(X)
    assert "train_umap" in vae.net_.history[-1] and "train_kl" in vae.net_.history[-1]


def test_partial_fit_builds_the_graph_of_each_chunk(digits):
    X, _ = digits
    model = AutoencoderTransformer(latent_regularizer="umap", **QUICK)
    model.partial_fit(X[:150]).partial_fit(X[150:])
    assert model.n_iter_ == 2
    assert np.isfinite(model.transform(X)).all()


def test_early_stopping_judges_the_validation_rows_map(digits):
    X, _ = digits
    model = AutoencoderTransformer(
        latent_regularizer="umap", latent_regularizer_weight=2.0, **QUICK
    ).fit(X)
    for row in model.net_.history:
        # the term on validation rows (their codes among their training neighbours')
        assert row["valid_loss"] == pytest.approx(
            row["valid_reconstruction"] + 2.0 * row["valid_umap"], rel=1e-5
        )
    assert model.validation_loss_curve_ == [r["valid_loss"] for r in model.net_.history]
    without = AutoencoderTransformer(latent_regularizer="umap", early_stopping=False, **QUICK).fit(
        X
    )
    assert "valid_umap" not in without.net_.history[-1]


def test_save_and_load_keep_the_map(tmp_path, digits):
    X, _ = digits
    model = AutoencoderTransformer(latent_regularizer="umap", n_neighbors=5, **QUICK).fit(X)
    model.save(tmp_path / "map.skae")
    restored = load(tmp_path / "map.skae")
    assert (restored.latent_regularizer, restored.n_neighbors) == ("umap", 5)
    np.testing.assert_allclose(restored.transform(X), model.transform(X), rtol=1e-6)


def test_refuses_a_multi_process_accelerator(digits):
    class TwoProcesses:  # what the estimator reads of an accelerate.Accelerator
        num_processes = 2

        def prepare(self, *args):
            return args

        def backward(self, loss):
            loss.backward()

    X, _ = digits
    model = AutoencoderTransformer(latent_regularizer="umap", accelerator=TwoProcesses(), **QUICK)
    with pytest.raises(ValueError, match="latent_regularizer='umap' trains in one process"):
        model.fit(X)
    assert not hasattr(model, "net_")


def test_stalls_decay_the_learning_rate_twice_before_stopping(digits):
    X, _ = digits
    # a large rate and little patience: the objective stalls within 40 epochs
    params = {**QUICK, "max_epochs": 40, "learning_rate": 0.01, "n_iter_no_change": 2}
    model = AutoencoderTransformer(latent_regularizer="umap", **params).fit(X)
    # replay the rule on the logged objective: a stall of n_iter_no_change epochs
    # multiplies the rate by 0.2, twice; the third stops training
    lr, best, misses, decays, stopped = model.learning_rate, float("inf"), 0, 0, False
    for epoch, value in enumerate(model.net_.history[:, "valid_loss"], start=1):
        assert not stopped
        if value < best * (1 - 1e-4):
            best, misses = value, 0
            continue
        misses += 1
        if misses == 2 and decays < 2:
            lr, misses, decays = lr * 0.2, 0, decays + 1
        elif misses == 2:
            stopped = epoch
    assert stopped == model.n_iter_ < 40  # measured: stops at epoch 11
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(model.learning_rate * 0.04)
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(lr)
    # a plain fit, and one without validation, keep a constant rate
    for params in [{}, {"latent_regularizer": "umap", "early_stopping": False}]:
        other = AutoencoderTransformer(**params, **QUICK).fit(X)
        assert other.net_.optimizer_.param_groups[0]["lr"] == other.learning_rate


class _Probe:
    """A regulariser that records the rows and codes of each training step (adds nothing)."""

    name, weight = "probe", 0.0

    def __init__(self, data):
        self.data = data
        self.rows = []

    def __call__(self, module, rows, codes):
        with torch.no_grad():
            assert torch.allclose(codes, module.encode(self.data.batch(rows)), atol=1e-5)
        self.rows.append(rows.clone())
        return self.name, self.weight, codes.sum() * 0.0

    def validation_loss(self, module):
        return None


class _Probed(AutoencoderTransformer):
    def _latent_regularizer(self, data, valid):
        self.probe_ = _Probe(data)
        self.training_rows_ = data.indices.clone()
        return self.probe_


def test_each_step_gives_the_regularizer_its_batch_rows_and_their_codes(digits):
    X, _ = digits
    model = _Probed(**{**QUICK, "max_epochs": 2, "batch_size": 100, "init": "pca"}).fit(X)
    rows = model.probe_.rows
    per_epoch = len(rows) // 2
    assert len(rows) == 2 * per_epoch == 2 * len(model.net_.get_iterator(model.probe_.data, True))
    expected = model.training_rows_.sort().values
    for epoch in range(2):  # every training row once per epoch, in a new order
        served = torch.cat(rows[epoch * per_epoch : (epoch + 1) * per_epoch])
        assert torch.equal(served.sort().values, expected)
    assert not torch.equal(torch.cat(rows[:per_epoch]), torch.cat(rows[per_epoch:]))
    assert model.net_._batch_rows is None  # nothing left on the net after the fit
