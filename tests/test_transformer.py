# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Behaviour of every parameter, method and fitted attribute of AutoencoderTransformer."""

import io
import itertools
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_wine
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNet
from skorch.callbacks import Callback
from torch import nn

from skae import AutoencoderTransformer
from skae.nn import (
    AnchoredDecoder,
    AnchoredEncoder,
    Clip,
    GaussianNoise,
    MaskingNoise,
    MLPDecoder,
    MLPEncoder,
    SaltAndPepperNoise,
)

FAST = dict(hidden_layer_sizes=(16,), max_epochs=3, batch_size=16)


def make_ae(**params):
    return AutoencoderTransformer(**{**FAST, "random_state": 0, **params})


@pytest.fixture(scope="module")
def fitted(X_unit):
    return make_ae(n_components=3).fit(X_unit)


def _linears(module):
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


def _types(module):
    return {type(m) for m in module.modules()}


# ----------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("n_components", [1, 4])
def test_n_components_sets_code_width(X_unit, n_components):
    ae = make_ae(n_components=n_components).fit(X_unit)
    assert ae.transform(X_unit).shape == (X_unit.shape[0], n_components)
    assert _linears(ae.encoder_)[-1].out_features == n_components
    assert _linears(ae.decoder_)[0].in_features == n_components


@pytest.mark.parametrize("hidden", [(), (16,), (12, 8)])
def test_hidden_layer_sizes_shape_the_network(X_unit, hidden):
    ae = make_ae(n_components=2, hidden_layer_sizes=hidden).fit(X_unit)
    enc = [(m.in_features, m.out_features) for m in _linears(ae.encoder_)]
    dec = [(m.in_features, m.out_features) for m in _linears(ae.decoder_)]
    widths = [X_unit.shape[1], *hidden, 2]
    assert enc == list(itertools.pairwise(widths))
    back = widths[::-1]
    assert dec == list(itertools.pairwise(back))


def test_empty_hidden_layer_sizes_is_linear(X_unit):
    ae = make_ae(n_components=2, hidden_layer_sizes=()).fit(X_unit)
    # A linear encoder: transform is affine in X.
    a, b = X_unit[:5], X_unit[5:10]
    lhs = ae.transform(0.5 * a + 0.5 * b)
    rhs = 0.5 * ae.transform(a) + 0.5 * ae.transform(b)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-5, atol=1e-6)
    assert nn.ReLU not in _types(ae.encoder_)
    assert len(_linears(ae.encoder_)) == 1


@pytest.mark.parametrize(
    "activation, cls",
    [
        ("relu", nn.ReLU),
        ("leaky_relu", nn.LeakyReLU),
        ("gelu", nn.GELU),
        ("tanh", nn.Tanh),
        ("elu", nn.ELU),
        ("selu", nn.SELU),
        (nn.Softplus, nn.Softplus),
    ],
)
def test_activation_appears_in_module(X_unit, activation, cls):
    ae = make_ae(activation=activation, max_epochs=1).fit(X_unit)
    assert cls in _types(ae.encoder_)
    assert cls in _types(ae.decoder_)
    others = {nn.ReLU, nn.GELU, nn.Tanh, nn.ELU, nn.SELU, nn.LeakyReLU, nn.Softplus} - {cls}
    assert not others & _types(ae.encoder_)


def test_output_activation_auto_unit_data(X_unit):
    ae = make_ae(init="random").fit(X_unit)
    assert ae.output_activation_ == "sigmoid"
    assert ae.loss_ == "bce"
    assert isinstance(ae.net_.module_.output_activation, nn.Sigmoid)
    assert ae.mean_ is None and ae.scale_ is None
    rec = ae.inverse_transform(ae.transform(X_unit))
    assert rec.min() >= 0 and rec.max() <= 1


def test_output_activation_auto_symmetric_data(X_sym):
    ae = make_ae(init="random").fit(X_sym)
    assert ae.output_activation_ == "tanh"
    assert ae.loss_ == "mse"
    assert isinstance(ae.net_.module_.output_activation, nn.Tanh)
    assert ae.mean_ is None and ae.scale_ is None
    rec = ae.inverse_transform(ae.transform(X_sym))
    assert rec.min() >= -1 and rec.max() <= 1


def test_output_activation_auto_wide_data_standardises(X_wide):
    ae = make_ae(init="random").fit(X_wide)
    assert ae.output_activation_ == "identity"
    assert ae.loss_ == "mse"
    assert isinstance(ae.net_.module_.output_activation, nn.Identity)
    np.testing.assert_allclose(ae.mean_, X_wide.mean(axis=0))
    np.testing.assert_allclose(ae.scale_, X_wide.std(axis=0))
    assert ae.mean_.shape == ae.scale_.shape == (X_wide.shape[1],)


@pytest.mark.parametrize(
    "data, low, high", [("X_unit", 0.0, 1.0), ("X_sym", -1.0, 1.0)], ids=["unit", "symmetric"]
)
def test_pca_init_clips_bounded_data(data, low, high, request):
    X = request.getfixturevalue(data)
    ae = make_ae(init="pca").fit(X)
    assert (ae.init_, ae.output_activation_, ae.loss_) == ("pca", "clip", "mse")
    assert isinstance(ae.net_.module_.output_activation, Clip)
    assert ae.mean_ is None and ae.scale_ is None
    rec = ae.inverse_transform(ae.transform(X) * 100)  # far outside the codes seen
    assert rec.min() >= low and rec.max() <= high


def test_pca_init_standardises_wide_data(X_wide):
    ae = make_ae(init="pca").fit(X_wide)
    assert (ae.init_, ae.output_activation_, ae.loss_) == ("pca", "identity", "mse")
    np.testing.assert_allclose(ae.mean_, X_wide.mean(axis=0))
    assert isinstance(ae.encoder_, AnchoredEncoder) and isinstance(ae.decoder_, AnchoredDecoder)


class _FrozenWeights(Callback):
    """Zero every gradient: Adam then leaves the weights exactly where they started."""

    def on_grad_computed(self, net, named_parameters, **kwargs):
        for _, p in named_parameters:
            if p.grad is not None:
                p.grad.zero_()


@pytest.mark.parametrize("data", ["X_unit", "X_wide"])
@pytest.mark.parametrize("n_components", [1, 3, 6])
def test_untrained_pca_init_reconstructs_exactly_as_pca(data, n_components, request):
    X = request.getfixturevalue(data)
    ae = make_ae(
        init="pca", n_components=n_components, early_stopping=False, callbacks=[_FrozenWeights()]
    ).fit(X)
    # PCA of the data as the network sees them: standardised when outside [-1, 1]
    pca = make_pipeline(StandardScaler() if data == "X_wide" else "passthrough", PCA(n_components))
    expected = pca.fit(X).inverse_transform(pca.transform(X))
    if data == "X_unit":
        expected = np.clip(expected, 0, 1)  # the output stays in the data's range
    np.testing.assert_allclose(ae.inverse_transform(ae.transform(X)), expected, atol=2e-5)


def test_random_init_is_the_classic_autoencoder(X_unit):
    ae = make_ae(init="random").fit(X_unit)
    assert ae.init_ == "random"
    assert isinstance(ae.encoder_, MLPEncoder) and isinstance(ae.decoder_, MLPDecoder)
    assert (ae.output_activation_, ae.loss_) == ("sigmoid", "bce")
    # the same network as the classic build: same seed, same weights after training
    plain = make_ae(init="random").fit(X_unit)
    np.testing.assert_array_equal(plain.transform(X_unit), ae.transform(X_unit))


@pytest.mark.parametrize("data", ["X_unit", "X_wide"])
def test_auto_init_keeps_the_better_start_on_validation(data, request):
    X = request.getfixturevalue(data)
    auto = make_ae(max_epochs=5).fit(X)
    assert auto.init_ in ("pca", "random")
    same = make_ae(max_epochs=5, init=auto.init_).fit(X)
    other = make_ae(max_epochs=5, init={"pca": "random", "random": "pca"}[auto.init_]).fit(X)
    np.testing.assert_array_equal(auto.transform(X), same.transform(X))
    # the random start is kept only if it reconstructs the validation rows better
    valid = _validation_rows(auto, X)
    err = {
        e.init_: ((e.inverse_transform(e.transform(valid)) - valid) ** 2).mean()
        for e in (same, other)
    }
    if auto.init_ == "random":
        assert err["random"] < err["pca"]


class _CountTrainings(Callback):
    """Counts the networks a fit trains (one ``on_train_begin`` per start)."""

    def __init__(self, counts):
        self.counts = counts

    def on_train_begin(self, net, **kwargs):
        self.counts.append(1)


@pytest.mark.parametrize(("data", "n_starts"), [("X_wide", 1), ("X_unit", 2)])
def test_auto_init_trains_the_random_start_only_on_bounded_data(data, n_starts, request):
    # Outside [-1, 1] the random start is the anchored network without its PCA
    # path: not trained. In [0, 1] it has a sigmoid output: trained too.
    X = request.getfixturevalue(data)
    counts = []
    auto = make_ae(max_epochs=2, callbacks=[_CountTrainings(counts)]).fit(X)
    assert len(counts) == n_starts
    if n_starts == 1:
        assert auto.init_ == "pca"
        pca = make_ae(max_epochs=2, init="pca").fit(X)
        np.testing.assert_array_equal(auto.transform(X), pca.transform(X))


def _validation_rows(est, X):
    """The rows fit held out for validation (drawn as fit draws them, from random_state)."""
    seed = np.random.RandomState(est.random_state).randint(np.iinfo(np.int32).max)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        perm = torch.randperm(X.shape[0]).numpy()
    return X[perm[: int(np.ceil(est.validation_fraction * X.shape[0]))]]


@pytest.mark.parametrize(
    "params",
    [dict(init="pca", output_activation="sigmoid"), dict(init="pca", loss="bce")],
    ids=["sigmoid", "bce"],
)
def test_pca_init_refuses_a_nonlinear_output(X_unit, params):
    with pytest.raises(ValueError, match="need init='random'"):
        make_ae(**params).fit(X_unit)


@pytest.mark.parametrize(
    "params", [dict(architecture="conv", input_shape=(2, 3)), dict(output_activation="sigmoid")]
)
def test_auto_init_is_random_where_pca_does_not_apply(X_unit, params):
    assert make_ae(**params).fit(X_unit).init_ == "random"


def test_constant_feature_gets_unit_scale(X_wide):
    X = X_wide.copy()
    X[:, 0] = 7.0
    ae = make_ae().fit(X)
    assert ae.scale_[0] == 1.0
    assert np.isfinite(ae.transform(X)).all()


def test_explicit_output_activation(X_unit):
    ae = make_ae(output_activation="identity").fit(X_unit)
    assert ae.output_activation_ == "identity"
    assert ae.loss_ == "mse"
    assert ae.mean_ is None  # data in [-1, 1] are used as they are
    ae = make_ae(output_activation="tanh").fit(X_unit)
    assert isinstance(ae.net_.module_.output_activation, nn.Tanh)


def test_explicit_sigmoid_outside_unit_interval_raises(X_sym):
    with pytest.raises(ValueError, match=r"output_activation='sigmoid'.*Scale X to"):
        make_ae(output_activation="sigmoid").fit(X_sym)


def test_explicit_tanh_outside_symmetric_interval_raises(X_wide):
    with pytest.raises(ValueError, match="output_activation='tanh'"):
        make_ae(output_activation="tanh").fit(X_wide)


@pytest.mark.parametrize("data", ["X_sym", "X_wide"])
def test_bce_outside_unit_interval_raises(request, data):
    with pytest.raises(ValueError, match="loss='bce' needs X in \\[0, 1\\]"):
        make_ae(loss="bce").fit(request.getfixturevalue(data))


def test_loss_mse_on_unit_data(X_unit):
    ae = make_ae(loss="mse", init="random").fit(X_unit)
    assert ae.loss_ == "mse"
    assert ae.output_activation_ == "sigmoid"
    assert ae.net_.criterion_.loss == "mse"
    assert make_ae(loss="bce").fit(X_unit).net_.criterion_.loss == "bce"


def test_dropout_and_batch_norm_layers(X_unit):
    plain = make_ae().fit(X_unit)
    assert nn.Dropout not in _types(plain.net_.module_)
    assert nn.BatchNorm1d not in _types(plain.net_.module_)
    ae = make_ae(dropout=0.3, batch_norm=True).fit(X_unit)
    drops = [m for m in ae.net_.module_.modules() if isinstance(m, nn.Dropout)]
    norms = [m for m in ae.net_.module_.modules() if isinstance(m, nn.BatchNorm1d)]
    assert len(drops) == 2 and all(d.p == 0.3 for d in drops)  # one per hidden layer
    assert [n.num_features for n in norms] == [16, 16]
    assert not ae.net_.module_.training  # eval mode after fit: dropout is off
    np.testing.assert_array_equal(ae.transform(X_unit), ae.transform(X_unit))


@pytest.mark.parametrize(
    "name, cls",
    [
        ("adam", torch.optim.Adam),
        ("adamw", torch.optim.AdamW),
        ("nadam", torch.optim.NAdam),
        ("radam", torch.optim.RAdam),
        ("sgd", torch.optim.SGD),
        ("rmsprop", torch.optim.RMSprop),
        ("adagrad", torch.optim.Adagrad),
        (torch.optim.Adamax, torch.optim.Adamax),
    ],
)
def test_optimizer(X_unit, name, cls):
    ae = make_ae(optimizer=name, max_epochs=1).fit(X_unit)
    assert type(ae.net_.optimizer_) is cls


def test_learning_rate_and_weight_decay_reach_optimizer(X_unit):
    ae = make_ae(learning_rate=0.0123, weight_decay=0.0456, max_epochs=1).fit(X_unit)
    groups = ae.net_.optimizer_.param_groups
    assert all(g["lr"] == pytest.approx(0.0123) for g in groups)
    assert all(g["weight_decay"] == pytest.approx(0.0456) for g in groups)


def test_learning_rate_changes_training(X_unit):
    slow = make_ae(learning_rate=1e-6).fit(X_unit)
    fast = make_ae(learning_rate=1e-2).fit(X_unit)
    slow_drop = slow.loss_curve_[0] - slow.loss_curve_[-1]
    fast_drop = fast.loss_curve_[0] - fast.loss_curve_[-1]
    assert abs(slow_drop) < 1e-3
    assert fast_drop > 10 * abs(slow_drop)


@pytest.mark.parametrize(
    "n_samples, batch_size, n_batches",
    [(40, 10, 4), (40, 7, 6), (36, 5, 7), (40, 64, 1)],  # (36, 5): a last batch of 1 is merged
)
def test_batch_size_sets_batches_per_epoch(n_samples, batch_size, n_batches):
    X = np.random.RandomState(0).rand(n_samples, 4)
    ae = make_ae(batch_size=batch_size, early_stopping=False, max_epochs=2).fit(X)
    for epoch in ae.net_.history:
        sizes = [b["train_batch_size"] for b in epoch["batches"]]
        assert len(sizes) == n_batches
        assert sum(sizes) == n_samples
        assert max(sizes) <= batch_size + 1


def test_max_epochs(X_unit):
    ae = make_ae(max_epochs=4, early_stopping=False).fit(X_unit)
    assert ae.n_iter_ == 4 == len(ae.loss_curve_) == len(ae.net_.history)
    ae = make_ae(max_epochs=4, early_stopping=True).fit(X_unit)
    assert 1 <= ae.n_iter_ <= 4
    assert len(ae.loss_curve_) == ae.n_iter_


def test_early_stopping_off_has_no_validation(X_unit):
    ae = make_ae(early_stopping=False).fit(X_unit)
    assert ae.validation_scores_ is None
    assert "valid_loss" not in ae.net_.history[-1]
    # all rows are used for training
    assert sum(b["train_batch_size"] for b in ae.net_.history[-1]["batches"]) == len(X_unit)


def test_early_stopping_on_records_validation(X_unit):
    ae = make_ae(early_stopping=True, validation_fraction=0.25).fit(X_unit)
    assert isinstance(ae.validation_scores_, list)
    assert len(ae.validation_scores_) == ae.n_iter_
    assert all(isinstance(v, float) and np.isfinite(v) for v in ae.validation_scores_)
    batches = ae.net_.history[-1]["batches"]
    n_train = sum(b.get("train_batch_size", 0) for b in batches)
    n_valid = sum(b.get("valid_batch_size", 0) for b in batches)
    assert (n_train, n_valid) == (30, 10)


def test_early_stopping_patience_and_tol_stop_after_two_epochs(X_unit):
    # tol is relative: with tol=10 no epoch can improve on the first one.
    ae = make_ae(max_epochs=10, n_iter_no_change=1, tol=10.0).fit(X_unit)
    assert ae.n_iter_ == 2
    assert len(ae.validation_scores_) == 2


def test_early_stopping_patience_counts(X_unit):
    ae = make_ae(max_epochs=10, n_iter_no_change=3, tol=10.0).fit(X_unit)
    assert ae.n_iter_ == 4


def test_early_stopping_restores_best_weights(X_unit):
    # Epoch 1 is the best by construction (nothing beats it with tol=10), so the
    # weights after fit are those of epoch 1: re-fitting with max_epochs=1 and
    # no early stopping gives the same network.
    stopped = make_ae(max_epochs=10, n_iter_no_change=2, tol=10.0).fit(X_unit)
    assert stopped.n_iter_ == 3
    state = stopped.net_.module_.state_dict()
    one = make_ae(max_epochs=1).fit(X_unit).net_.module_.state_dict()
    for key in one:
        torch.testing.assert_close(state[key], one[key])


@pytest.mark.parametrize(
    "noise, cls",
    [
        ("gaussian", GaussianNoise),
        ("masking", MaskingNoise),
        ("salt_and_pepper", SaltAndPepperNoise),
    ],
)
def test_noise_only_during_training(X_unit, noise, cls):
    ae = make_ae(noise=noise, noise_level=0.3).fit(X_unit)
    assert isinstance(ae.net_.module_.noise, cls)
    Z1, Z2 = ae.transform(X_unit), ae.transform(X_unit)
    np.testing.assert_array_equal(Z1, Z2)
    # transform is the encoder on the clean input
    with torch.no_grad():
        clean = ae.encoder_(torch.as_tensor(X_unit, dtype=torch.float64).float()).numpy()
    np.testing.assert_allclose(ae.transform(X_unit.astype(np.float32)), clean, rtol=1e-5)
    # the network does corrupt in training mode
    module = ae.net_.module_
    module.train()
    try:
        x = torch.as_tensor(X_unit, dtype=torch.float32)
        assert not torch.equal(module.noise(x), x)
    finally:
        module.eval()


def test_salt_and_pepper_uses_data_range(X_unit):
    ae = make_ae(noise="salt_and_pepper", noise_level=0.2).fit(X_unit)
    layer = ae.net_.module_.noise
    assert (layer.low, layer.high) == (X_unit.min(), X_unit.max())


def test_salt_and_pepper_range_is_in_network_units(X_wide):
    # With standardisation the network sees (X - mean_) / scale_, so salt and
    # pepper must use that space's extremes, not the raw data's.
    ae = make_ae(noise="salt_and_pepper", noise_level=0.2).fit(X_wide)
    layer = ae.net_.module_.noise
    seen = (X_wide - ae.mean_) / ae.scale_
    assert layer.low == pytest.approx(seen.min(), rel=1e-5)
    assert layer.high == pytest.approx(seen.max(), rel=1e-5)


def test_no_noise_layer_by_default(X_unit):
    ae = make_ae().fit(X_unit)
    assert isinstance(ae.net_.module_.noise, nn.Identity)


def test_latent_l1_logged(X_unit):
    ae = make_ae(latent_l1=0.1).fit(X_unit)
    history = ae.net_.history
    assert "train_latent_l1" in history[-1]
    assert "valid_latent_l1" in history[-1]
    assert all(np.isfinite(v) and v >= 0 for v in history[:, "train_latent_l1"])
    assert ae.net_.criterion_.latent_l1 == 0.1
    plain = make_ae().fit(X_unit)
    assert "train_latent_l1" not in plain.net_.history[-1]


def test_latent_l1_shrinks_codes(X_unit):
    plain = make_ae(learning_rate=1e-2, max_epochs=10, early_stopping=False).fit(X_unit)
    sparse = make_ae(learning_rate=1e-2, max_epochs=10, early_stopping=False, latent_l1=5.0).fit(
        X_unit
    )
    assert np.abs(sparse.transform(X_unit)).mean() < np.abs(plain.transform(X_unit)).mean()


@pytest.mark.parametrize("device", ["cpu", "auto", torch.device("cpu")])
def test_device_cpu(X_unit, device):
    if device == "auto" and torch.cuda.is_available():
        pytest.skip("auto picks CUDA here")
    ae = make_ae(device=device, max_epochs=1).fit(X_unit)
    assert ae.device_ == "cpu"
    assert next(ae.net_.module_.parameters()).device.type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available")
def test_device_cuda_without_cuda_raises(X_unit):
    ae = make_ae(device="cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        ae.fit(X_unit)


def test_random_state_int_is_bit_identical(X_unit):
    a = make_ae(random_state=3, dropout=0.2, noise="gaussian").fit(X_unit)
    b = make_ae(random_state=3, dropout=0.2, noise="gaussian").fit(X_unit)
    np.testing.assert_array_equal(a.transform(X_unit), b.transform(X_unit))
    assert a.loss_curve_ == b.loss_curve_
    assert a.validation_scores_ == b.validation_scores_


def test_random_state_different_seeds_differ(X_unit):
    # (random starts: a PCA-anchored fit may legitimately keep PCA's solution for any seed)
    a = make_ae(random_state=3, init="random").fit(X_unit)
    b = make_ae(random_state=4, init="random").fit(X_unit)
    assert not np.allclose(a.transform(X_unit), b.transform(X_unit))


def test_random_state_instance_accepted(X_unit):
    a = make_ae(random_state=np.random.RandomState(5)).fit(X_unit)
    b = make_ae(random_state=np.random.RandomState(5)).fit(X_unit)
    np.testing.assert_array_equal(a.transform(X_unit), b.transform(X_unit))


def test_fit_with_int_seed_leaves_global_rng_untouched(X_unit):
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()  # noqa: NPY002
    make_ae(random_state=0, dropout=0.2, noise="masking").fit(X_unit)
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == np_state[0]
    np.testing.assert_array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]


def test_verbose_prints_epoch_table(X_unit, capsys):
    make_ae(verbose=1, max_epochs=2, init="pca").fit(X_unit)
    out = capsys.readouterr().out
    assert "epoch" in out
    assert "train_loss" in out
    assert "valid_loss" in out
    # one row per epoch, starting with the epoch number
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [r[0] for r in rows] == ["1", "2"]


def test_verbose_says_which_start_is_trained_and_kept(X_unit, capsys):
    ae = make_ae(verbose=1, max_epochs=2).fit(X_unit)
    out = capsys.readouterr().out
    assert "Training the PCA-anchored start (init='pca')" in out
    assert "Training the random start (init='random')" in out
    assert f"Kept init={ae.init_!r}" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [r[0] for r in rows] == ["1", "2", "1", "2"]


def test_verbose_zero_prints_nothing(X_unit, capsys):
    make_ae(verbose=0, max_epochs=3, n_iter_no_change=1, tol=10.0).fit(X_unit)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


class EpochCounter(Callback):
    def __init__(self):
        self.n_epochs = 0

    def on_epoch_end(self, net, **kwargs):
        self.n_epochs += 1


def test_callbacks_instance_and_named_tuple(X_unit):
    a, b = EpochCounter(), EpochCounter()
    ae = make_ae(max_epochs=3, early_stopping=False, callbacks=[a, ("counter", b)]).fit(X_unit)
    assert a.n_epochs == 3
    assert b.n_epochs == 3
    names = [name for name, _ in ae.net_.callbacks_]
    assert "counter" in names


def test_warm_start_continues_training(X_unit):
    ae = make_ae(max_epochs=2, early_stopping=False, warm_start=True).fit(X_unit)
    first_curve = list(ae.loss_curve_)
    first_module = ae.net_.module_
    step = next(iter(ae.net_.optimizer_.state.values()))["step"].item()
    ae.fit(X_unit)
    # the same network trains on (a new skorch net around it takes the current settings)
    assert ae.net_.module_ is first_module
    assert next(iter(ae.net_.optimizer_.state.values()))["step"].item() > step
    assert ae.n_iter_ == 4
    assert ae.loss_curve_[:2] == first_curve
    assert len(ae.net_.history) == 4


def test_without_warm_start_fit_restarts(X_unit):
    ae = make_ae(max_epochs=2, early_stopping=False).fit(X_unit)
    Z = ae.transform(X_unit)
    ae.fit(X_unit)
    assert ae.n_iter_ == 2
    np.testing.assert_array_equal(ae.transform(X_unit), Z)  # same seed, fresh start


class TinyEncoder(nn.Module):
    calls = []

    def __init__(self, n_in, n_out):
        super().__init__()
        type(self).calls.append((n_in, n_out))
        self.lin = nn.Linear(n_in, n_out)

    def forward(self, x):
        return self.lin(x)


def test_encoder_decoder_classes(X_unit):
    TinyEncoder.calls.clear()
    ae = make_ae(n_components=3, encoder=TinyEncoder, decoder=TinyEncoder).fit(X_unit)
    assert TinyEncoder.calls == [(6, 3), (3, 6)]
    assert isinstance(ae.encoder_, TinyEncoder)
    assert isinstance(ae.decoder_, TinyEncoder)
    assert ae.transform(X_unit).shape == (40, 3)


def test_encoder_decoder_instances_not_modified(X_unit):
    torch.manual_seed(0)
    enc, dec = nn.Linear(6, 2), nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 6))
    before = {k: v.clone() for k, v in {**enc.state_dict(), **dec.state_dict()}.items()}
    # (no early stopping: it could restore the initial weights if no epoch beat them)
    ae = make_ae(
        n_components=2, encoder=enc, decoder=dec, learning_rate=0.1, early_stopping=False
    ).fit(X_unit)
    after = {**enc.state_dict(), **dec.state_dict()}
    for key in before:
        torch.testing.assert_close(after[key], before[key], rtol=0, atol=0)
    assert ae.encoder_ is not enc and ae.decoder_ is not dec
    # ...while the trained copies did move
    assert not torch.equal(ae.encoder_.weight, enc.weight)
    assert enc.training  # the caller's module mode is untouched too


def test_precision_bf16_on_cpu(X_unit):
    ae = make_ae(precision="bf16").fit(X_unit)
    assert np.isfinite(ae.loss_curve_).all()
    Z = ae.transform(X_unit)
    assert Z.dtype == np.float64 and np.isfinite(Z).all()
    assert next(ae.net_.module_.parameters()).dtype == torch.float32


# ----------------------------------------------------------------------------- methods
def test_fit_returns_self_and_ignores_y(X_unit):
    ae = make_ae()
    assert ae.fit(X_unit) is ae
    Z = ae.transform(X_unit)
    y = np.arange(len(X_unit))
    ae2 = make_ae().fit(X_unit, y)
    np.testing.assert_array_equal(ae2.transform(X_unit), Z)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transform_preserves_float_dtype(fitted, X_unit, dtype):
    X = X_unit.astype(dtype)
    Z = fitted.transform(X)
    assert Z.dtype == dtype
    assert Z.shape == (len(X), 3)
    R = fitted.inverse_transform(Z)
    assert R.dtype == dtype
    assert fitted.score_samples(X).dtype == dtype


def test_float32_and_float64_transforms_agree(fitted, X_unit):
    Z32 = fitted.transform(X_unit.astype(np.float32))
    Z64 = fitted.transform(X_unit)
    np.testing.assert_allclose(Z32, Z64, rtol=1e-4, atol=1e-5)


def test_integer_input():
    X = np.random.RandomState(0).randint(0, 10, size=(30, 5))
    ae = make_ae().fit(X)
    Z = ae.transform(X)
    assert Z.shape == (30, 2)
    assert np.issubdtype(Z.dtype, np.floating) and np.isfinite(Z).all()
    np.testing.assert_allclose(Z, ae.transform(X.astype(np.float64)), rtol=1e-4, atol=1e-5)


def test_inverse_transform_shape(fitted, X_unit):
    Z = np.zeros((7, 3))
    assert fitted.inverse_transform(Z).shape == (7, X_unit.shape[1])


def test_inverse_transform_returns_input_units():
    X = load_diabetes().data * 100
    ae = make_ae(n_components=5, learning_rate=1e-2, max_epochs=15, batch_size=32).fit(X)
    assert ae.mean_ is not None
    R = ae.inverse_transform(ae.transform(X))
    assert R.shape == X.shape and np.isfinite(R).all()
    # reconstructions live in the data's units, not in standard deviations
    ratio = R.std(axis=0) / X.std(axis=0)
    assert np.all((ratio > 0.3) & (ratio < 3))
    np.testing.assert_allclose(R.mean(axis=0), X.mean(axis=0), atol=0.3 * X.std(axis=0).max())
    mse = ((R - X) ** 2).mean()
    mse_of_mean = ((X - X.mean(axis=0)) ** 2).mean()
    assert mse < 0.7 * mse_of_mean
    assert ae.score(X) == pytest.approx(-mse, rel=1e-5)


def test_fit_transform_equals_fit_then_transform(X_unit):
    Z1 = make_ae(random_state=7).fit_transform(X_unit)
    Z2 = make_ae(random_state=7).fit(X_unit).transform(X_unit)
    np.testing.assert_array_equal(Z1, Z2)


@pytest.mark.parametrize("data", ["X_unit", "X_wide"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_score_is_negative_mse(request, data, dtype):
    X = request.getfixturevalue(data).astype(dtype)
    ae = make_ae().fit(X)
    R = ae.inverse_transform(ae.transform(X))
    per_sample = -((X.astype(np.float64) - R) ** 2).mean(axis=1)
    samples = ae.score_samples(X)
    assert samples.shape == (len(X),)
    np.testing.assert_allclose(samples, per_sample, rtol=1e-5, atol=1e-7)
    score = ae.score(X)
    assert isinstance(score, float)
    assert score == pytest.approx(samples.mean(), rel=1e-5)
    assert score == pytest.approx(per_sample.mean(), rel=1e-5)
    assert score < 0


def test_score_ignores_y(fitted, X_unit):
    assert fitted.score(X_unit, np.ones(len(X_unit))) == fitted.score(X_unit)


def test_get_feature_names_out(fitted):
    names = fitted.get_feature_names_out()
    assert list(names) == [
        "autoencodertransformer0",
        "autoencodertransformer1",
        "autoencodertransformer2",
    ]
    assert names.dtype == object


def test_set_output_pandas(X_unit):
    ae = make_ae(n_components=2).set_output(transform="pandas")
    out = ae.fit(X_unit).transform(X_unit)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["autoencodertransformer0", "autoencodertransformer1"]
    np.testing.assert_array_equal(
        out.to_numpy(), ae.set_output(transform="default").transform(X_unit)
    )


def test_dataframe_feature_names(X_unit):
    cols = [f"f{i}" for i in range(X_unit.shape[1])]
    df = pd.DataFrame(X_unit, columns=cols)
    ae = make_ae().fit(df)
    np.testing.assert_array_equal(ae.feature_names_in_, cols)
    Z = ae.transform(df)
    renamed = df.rename(columns={"f0": "other"})
    with pytest.raises(ValueError, match="feature names should match"):
        ae.transform(renamed)
    with pytest.raises(ValueError, match="feature names should match"):
        ae.score_samples(df[cols[::-1]])  # same names, other order
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        Z_array = ae.transform(X_unit)
    np.testing.assert_array_equal(Z, Z_array)
    assert not hasattr(make_ae().fit(X_unit), "feature_names_in_")


# ----------------------------------------------------------------------------- attributes
def test_fitted_attributes(X_unit):
    ae = make_ae(n_components=3)
    for name in ["n_features_in_", "net_", "loss_curve_", "n_iter_", "device_", "loss_"]:
        assert not hasattr(ae, name)
    with pytest.raises(NotFittedError):
        ae.encoder_  # noqa: B018
    ae.fit(X_unit)
    assert ae.n_features_in_ == 6
    assert isinstance(ae.net_, NeuralNet)
    assert isinstance(ae.encoder_, nn.Module) and isinstance(ae.decoder_, nn.Module)
    assert ae.encoder_ is ae.net_.module_.encoder
    assert ae.decoder_ is ae.net_.module_.decoder
    assert isinstance(ae.n_iter_, int) and 1 <= ae.n_iter_ <= 3
    assert isinstance(ae.loss_curve_, list) and len(ae.loss_curve_) == ae.n_iter_
    assert all(isinstance(v, float) for v in ae.loss_curve_)
    assert isinstance(ae.validation_scores_, list) and len(ae.validation_scores_) == ae.n_iter_
    assert ae.device_ in {"cpu", "cuda", "mps"}
    assert isinstance(ae.output_activation_, str) and isinstance(ae.loss_, str)
    assert ae.loss_curve_ == [float(v) for v in ae.net_.history[:, "train_loss"]]


def test_encoder_decoder_compose_to_inverse_transform(fitted, X_unit):
    X = X_unit.astype(np.float32)
    with torch.no_grad():
        Z = fitted.encoder_(torch.from_numpy(X))
        R = fitted.net_.module_.output_activation(fitted.decoder_(Z)).numpy()
    np.testing.assert_allclose(fitted.transform(X), Z.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fitted.inverse_transform(Z.numpy()), R, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- integration
def test_pipeline_with_classifier(digits):
    X, y = digits
    pipe = Pipeline(
        [
            ("ae", make_ae(n_components=2, max_epochs=3, batch_size=32)),
            ("clf", LogisticRegression(max_iter=200)),
        ]
    )
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (len(X),)
    acc = pipe.score(X, y)
    assert 0.0 <= acc <= 1.0
    assert acc > 0.15  # better than chance (0.1) even after 3 epochs


def test_grid_search_without_scorer_picks_more_components(digits):
    X, _ = digits
    ae = AutoencoderTransformer(
        hidden_layer_sizes=(32,),
        max_epochs=10,
        learning_rate=1e-2,
        early_stopping=False,
        batch_size=32,
        random_state=0,
    )
    gs = GridSearchCV(ae, {"n_components": [1, 8]}, cv=2).fit(X)
    assert gs.best_params_ == {"n_components": 8}
    scores = gs.cv_results_["mean_test_score"]
    assert np.all(scores < 0)
    assert scores[1] > scores[0]


def test_clone_is_unfitted_with_equal_params(fitted):
    c = clone(fitted)
    assert not hasattr(c, "net_") and not hasattr(c, "n_features_in_")
    assert c.get_params() == fitted.get_params()
    with pytest.raises(NotFittedError):
        c.transform(np.zeros((2, 6)))


def test_clone_deep_copies_module_params(X_unit):
    enc = nn.Linear(6, 2)
    c = clone(make_ae(encoder=enc))
    assert isinstance(c.encoder, nn.Linear) and c.encoder is not enc


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_pickle_round_trip(fitted, X_unit, how):
    if how == "pickle":
        restored = pickle.loads(pickle.dumps(fitted))
    else:
        buf = io.BytesIO()
        joblib.dump(fitted, buf)
        buf.seek(0)
        restored = joblib.load(buf)
    np.testing.assert_array_equal(restored.transform(X_unit), fitted.transform(X_unit))
    Z = fitted.transform(X_unit)
    np.testing.assert_array_equal(restored.inverse_transform(Z), fitted.inverse_transform(Z))
    assert restored.score(X_unit) == fitted.score(X_unit)
    assert restored.loss_curve_ == fitted.loss_curve_


def test_pickle_standardised_estimator(X_wide):
    ae = make_ae().fit(X_wide)
    restored = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(restored.mean_, ae.mean_)
    np.testing.assert_array_equal(restored.transform(X_wide), ae.transform(X_wide))


def test_set_params_device_after_fit(X_unit):
    ae = make_ae().fit(X_unit)
    Z = ae.transform(X_unit)
    assert ae.set_params(device="cpu") is ae
    assert ae.device_ == "cpu"
    np.testing.assert_array_equal(ae.transform(X_unit), Z)
    ae.set_params(warm_start=True, max_epochs=1).fit(X_unit)  # training still works
    assert ae.n_iter_ == len(ae.loss_curve_) > 1


# ----------------------------------------------------------------------------- unscaled data
@pytest.mark.parametrize("loader", [load_diabetes, load_wine])
def test_unscaled_data_trains_finitely(loader):
    X = loader().data
    if loader is load_diabetes:
        X = X * 100
    ae = make_ae(n_components=3, max_epochs=5).fit(X)
    assert ae.output_activation_ == "identity" and ae.mean_ is not None
    assert np.isfinite(ae.loss_curve_).all() and np.isfinite(ae.validation_scores_).all()
    assert ae.loss_curve_[0] < 10  # loss in standardised units, not the raw scale
    Z = ae.transform(X)
    assert np.isfinite(Z).all()
    assert np.isfinite(ae.inverse_transform(Z)).all()
    assert np.isfinite(ae.score(X))


def test_divergence_raises_clear_error():
    X = np.random.RandomState(0).normal(scale=1000.0, size=(40, 6))
    ae = make_ae(
        optimizer="sgd",
        learning_rate=1e6,
        output_activation="identity",
        early_stopping=False,
        max_epochs=10,
    )
    with pytest.raises(FloatingPointError, match="learning_rate"):
        ae.fit(X)


@pytest.mark.parametrize("precision", ["bf16", "16-mixed"])
def test_mixed_precision_trains_and_pickles(precision):
    X = np.random.RandomState(0).rand(60, 6).astype(np.float32)
    est = AutoencoderTransformer(
        n_components=2, hidden_layer_sizes=(8,), max_epochs=3, precision=precision, random_state=0
    ).fit(X)
    assert np.isfinite(est.loss_curve_).all()
    assert est.transform(X).dtype == np.float32
    assert (est.net_.grad_scaler_ is not None) == (precision == "16-mixed")
    clone_ = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(clone_.transform(X), est.transform(X))
    clone_.set_params(warm_start=True).fit(X)  # the scaler is rebuilt after unpickling
    assert clone_.n_iter_ > est.n_iter_


def test_compile_trains_like_eager():
    # torch.compile on CPU needs a C++ compiler (present on CI); about 30 s.
    X = np.random.RandomState(0).rand(60, 6).astype(np.float32)
    params = dict(n_components=2, hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
    eager = AutoencoderTransformer(**params).fit(X)
    compiled = AutoencoderTransformer(**params, compile=True).fit(X)
    assert type(compiled.net_.module_).__name__ == "OptimizedModule"
    np.testing.assert_allclose(compiled.transform(X), eager.transform(X), rtol=1e-4, atol=1e-5)


def test_cpu_torch_tensors_are_accepted_without_copy():
    X = torch.rand(50, 6, requires_grad=True)
    params = dict(n_components=2, hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
    from_tensor = AutoencoderTransformer(**params).fit(X)
    from_numpy = AutoencoderTransformer(**params).fit(X.detach().numpy())
    Z = from_tensor.transform(X)
    assert isinstance(Z, np.ndarray) and Z.dtype == np.float32
    np.testing.assert_array_equal(Z, from_numpy.transform(X.detach().numpy()))
    assert from_tensor.inverse_transform(torch.from_numpy(Z)).shape == (50, 6)
    assert from_tensor.transform(X.to(torch.bfloat16)).dtype == np.float32


def test_tensor_on_another_device_is_a_clear_error():
    est = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(8,), max_epochs=1)
    with pytest.raises(TypeError, match=r"torch tensor on meta.*X\.cpu\(\)"):
        est.fit(torch.empty(10, 3, device="meta"))
