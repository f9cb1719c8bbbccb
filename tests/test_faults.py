# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Interrupted fits, resuming, checkpoints, and property-based input fuzzing."""

import contextlib
from unittest import mock

import numpy as np
import pytest
import torch
from _helpers import FAMILY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback, Checkpoint

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae._data import ArrayDataset
from skae.exceptions import FitInterruptedWarning
from skae.nn import AnchoredEncoder

PARAMS = dict(n_components=2, hidden_layer_sizes=(8,), random_state=0)


@pytest.fixture
def X():
    return np.random.RandomState(0).rand(120, 6)


class _InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_keyboard_interrupt_leaves_usable_estimator(X):
    est = AutoencoderTransformer(
        **PARAMS, max_epochs=50, early_stopping=False, callbacks=[_InterruptAt(3)]
    )
    with pytest.warns(FitInterruptedWarning):
        est.fit(X)
    assert est.n_iter_ == 3
    assert len(est.loss_curve_) == 3
    assert np.isfinite(est.transform(X)).all()


def test_warm_start_resumes_training(X):
    est = AutoencoderTransformer(**PARAMS, max_epochs=4, early_stopping=False, warm_start=True)
    est.fit(X)
    first = list(est.loss_curve_)
    est.fit(X)
    assert est.n_iter_ == 8
    assert est.loss_curve_[:4] == first


class _SavedParams(Callback):
    """After the checkpoint (listed before it) restored its best weights: the file's tensors.

    ``init="auto"`` trains two starts with the same callbacks, so the file on disk
    after fit is the last start's; this records, for every net trained, the
    checkpoint it restored.
    """

    def __init__(self, path):
        self.path = path

    def initialize(self):
        self.saved_ = getattr(self, "saved_", [])
        return self

    def on_train_end(self, net, **kwargs):
        self.saved_.append((net, torch.load(self.path, weights_only=True)))


def test_checkpoint_restores_best_epoch(tmp_path, X):
    cp = Checkpoint(dirname=str(tmp_path), monitor="valid_loss_best", load_best=True)
    saved = _SavedParams(tmp_path / "params.pt")
    est = AutoencoderTransformer(
        **PARAMS, max_epochs=6, n_iter_no_change=100, callbacks=[cp, saved]
    )
    est.fit(X)
    assert (tmp_path / "params.pt").exists()
    history = est.net_.history
    best = int(np.argmin(history[:, "valid_loss"]))
    assert history[best, "valid_loss_best"]
    # the kept network holds exactly the weights (and buffers) its checkpoint saved
    restored = est.net_.module_.state_dict()
    [checkpoint] = [tensors for net, tensors in saved.saved_ if net is est.net_]
    assert restored.keys() == checkpoint.keys()
    for key, value in checkpoint.items():
        assert torch.equal(restored[key], value), key


ESTIMATORS = [
    AutoencoderTransformer(**PARAMS, max_epochs=2),
    VariationalAutoencoderTransformer(**PARAMS, max_epochs=2),
    AutoencoderOutlierDetector(**PARAMS, max_epochs=2),
]

_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.floats(-1e6, 1e6),
)


@st.composite
def arrays(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64]))
    shape = draw(
        st.one_of(
            hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=12),
            hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
        )
    )
    if dtype is np.int64:
        return draw(hnp.arrays(dtype, shape, elements=st.integers(-100, 100)))
    return draw(hnp.arrays(dtype, shape, elements=_floats))


def _call_is_clean(fn, X):
    """The call works or raises a clear ValueError/TypeError; X is never modified."""
    before = X.copy()
    try:
        fn(X)
    except (ValueError, TypeError) as exc:
        assert str(exc), "errors must say what is wrong"
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(X=arrays())
def test_fit_on_arbitrary_arrays(est, X):
    _call_is_clean(lambda A: est.__class__(**est.get_params()).fit(A), X)


@pytest.fixture(scope="module")
def fitted():
    X = np.random.RandomState(1).rand(40, 4)
    return [e.__class__(**e.get_params()).fit(X) for e in ESTIMATORS]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(X=arrays())
def test_methods_on_arbitrary_arrays(fitted, X):
    for est in fitted:
        methods = ["score_samples"]
        methods += ["transform", "inverse_transform", "score"] if hasattr(est, "transform") else []
        methods += ["predict", "decision_function"] if hasattr(est, "predict") else []
        for name in methods:
            _call_is_clean(getattr(est, name), X)


# ----------------------------------------------------------------------------- state contract
# A fit either completes, or leaves the estimator exactly as it was: unfitted stays
# unfitted, a fitted model keeps its weights, history and threshold. Faults are
# injected at several points of the fit of each estimator.

SMALL = dict(n_components=2, hidden_layer_sizes=(8,), max_epochs=4, batch_size=32, random_state=0)


class Boom(Exception):
    """The injected fault."""


class _RaiseAt(Callback):
    """Raise ``exc`` in callback method ``where`` at epoch ``epoch`` (after ``after`` calls)."""

    def __init__(self, where, exc=Boom, epoch=2, after=0):
        self.where, self.exc, self.epoch, self.after = where, exc, epoch, after

    def initialize(self):
        self.calls_ = 0
        self.start_ = 0
        return self

    def _maybe_raise(self, net):
        if self.where == "on_train_begin" or len(net.history) - self.start_ == self.epoch:
            self.calls_ += 1
            if self.calls_ > self.after:
                raise self.exc

    def on_train_begin(self, net, **kwargs):
        self.start_ = len(net.history)  # epochs are counted from this call's start
        if self.where == "on_train_begin":
            self._maybe_raise(net)

    def on_batch_end(self, net, training=False, **kwargs):
        if self.where == "on_batch_end" and training:
            self._maybe_raise(net)

    def on_epoch_end(self, net, **kwargs):
        if self.where == "on_epoch_end":
            self._maybe_raise(net)


class _FailingAdam(torch.optim.Adam):
    """Adam whose 5th step raises (a fault inside the optimizer step)."""

    def step(self, closure=None):
        self._n = getattr(self, "_n", 0) + 1
        if self._n == 5:
            raise Boom
        return super().step(closure)


def _snapshot(est, X):
    """What a user can observe of an estimator."""
    state = {k: v for k, v in vars(est).items() if not k.startswith("net")}
    if not hasattr(est, "net_"):
        return state, None
    out = est.transform(X) if hasattr(est, "transform") else est.score_samples(X)
    extra = est.decision_function(X) if hasattr(est, "decision_function") else None
    return state, (out, extra, len(est.net_.history))


def _assert_same(before, after):
    (s0, o0), (s1, o1) = before, after
    assert set(s0) == set(s1)
    for key in s0:
        np.testing.assert_equal(s1[key], s0[key], err_msg=key)
    if o0 is None:
        assert o1 is None
        return
    np.testing.assert_array_equal(o1[0], o0[0])
    if o0[1] is not None:
        np.testing.assert_array_equal(o1[1], o0[1])
    assert o1[2] == o0[2]


def _fault(kind):
    """(estimator parameters, context) injecting fault ``kind`` into a fit."""
    if kind == "optimizer_step":
        return dict(optimizer=_FailingAdam), contextlib.nullcontext()
    if kind == "data_loading":
        calls = {"n": 0}
        batch = ArrayDataset.batch

        def failing(self, rows):
            calls["n"] += 1
            if calls["n"] == 6:
                raise Boom
            return batch(self, rows)

        return {}, mock.patch.object(ArrayDataset, "batch", failing)
    if kind == "divergence":
        return dict(callbacks=[_NaNWeights()]), contextlib.nullcontext()
    where = kind.replace("callback_", "")
    return dict(callbacks=[_RaiseAt(where)]), contextlib.nullcontext()


class _NaNWeights(Callback):
    """Poison the weights at every epoch (every retried learning rate diverges)."""

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            with torch.no_grad():
                next(net.module_.parameters()).fill_(float("nan"))


FAULTS = [
    "callback_on_train_begin",
    "callback_on_batch_end",
    "callback_on_epoch_end",
    "optimizer_step",
    "data_loading",
    "divergence",
]
ERRORS = {"divergence": FloatingPointError}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
@pytest.mark.parametrize("start", ["unfitted", "fitted", "warm_start"])
def test_failed_fit_leaves_estimator_as_it_was(cls, fault, start, X):
    est = cls(**SMALL)
    if start != "unfitted":
        est.set_params(warm_start=start == "warm_start").fit(X)
    before = _snapshot(est, X)
    params, context = _fault(fault)
    est.set_params(**params)
    with context, pytest.raises(ERRORS.get(fault, Boom)):
        est.fit(X)
    est.set_params(**{k: cls().get_params()[k] for k in params})
    after = _snapshot(est, X)
    _assert_same(before, after)
    if start == "unfitted":
        with pytest.raises(NotFittedError):
            est.score_samples(X)


@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
def test_failure_after_training_leaves_estimator_as_it_was(cls, X):
    # A fault once the network is trained (the detector's threshold, scoring).
    est = cls(**SMALL).fit(X)
    before = _snapshot(est, X)
    with (
        mock.patch.object(cls, "_after_training", side_effect=Boom),
        pytest.raises(Boom),
    ):
        est.fit(X[:50])
    _assert_same(before, _snapshot(est, X))


@pytest.mark.parametrize("cls", [c for c in FAMILY if hasattr(c, "partial_fit")])
def test_partial_fit_failure_keeps_previous_state(cls, X):
    est = cls(**SMALL).partial_fit(X)
    before = _snapshot(est, X)
    with pytest.raises(Boom):
        est.set_params(callbacks=[_RaiseAt("on_batch_end", epoch=1)]).partial_fit(X)
    est.set_params(callbacks=None)
    _assert_same(before, _snapshot(est, X))


@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
def test_interrupt_in_first_epoch_propagates_and_changes_nothing(cls, X):
    est = cls(**SMALL, callbacks=[_RaiseAt("on_batch_end", KeyboardInterrupt, epoch=1)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(X)
    with pytest.raises(NotFittedError):
        est.score_samples(X)
    assert not hasattr(est, "n_iter_")


@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
def test_interrupt_mid_epoch_keeps_last_completed_epoch(cls, X):
    # Ctrl-C in the middle of epoch 3: the model is that of a clean 2-epoch fit.
    params = dict(SMALL, max_epochs=10, early_stopping=False)
    cut = _RaiseAt("on_batch_end", KeyboardInterrupt, epoch=3, after=1)
    with pytest.warns(FitInterruptedWarning, match="last completed epoch"):
        est = cls(**params, callbacks=[cut]).fit(X)
    clean = cls(**dict(params, max_epochs=2)).fit(X)
    assert est.n_iter_ == len(est.loss_curve_) == 2
    assert est.loss_curve_ == clean.loss_curve_
    _assert_same(({}, _snapshot(clean, X)[1]), ({}, _snapshot(est, X)[1]))


@pytest.mark.parametrize("cls", FAMILY, ids=lambda c: c.__name__)
def test_diverged_fit_raises_after_retrying_and_keeps_old_model(cls, X):
    est = cls(**SMALL).fit(X)
    before = _snapshot(est, X)
    with pytest.raises(FloatingPointError, match=r"Tried learning_rate 0.001, 0.0001, 1e-05"):
        est.set_params(callbacks=[_NaNWeights()]).fit(X)
    est.set_params(callbacks=None)
    _assert_same(before, _snapshot(est, X))
    assert np.isfinite(_snapshot(est, X)[1][0]).all()  # never NaN codes or scores


class _NaNWeightsAtLearningRate(_NaNWeights):
    """Diverge only at the first learning rate tried."""

    def on_batch_end(self, net, training=False, **kwargs):
        if net.lr == 1e-3:
            super().on_batch_end(net, training=training, **kwargs)


def test_divergence_is_retried_with_a_smaller_learning_rate(X):
    est = AutoencoderTransformer(**SMALL, callbacks=[_NaNWeightsAtLearningRate()])
    with pytest.warns(UserWarning, match="Retried with learning_rate=0.0001, which trained"):
        est.fit(X)
    assert est.net_.lr == pytest.approx(1e-4)
    assert np.isfinite(est.transform(X)).all()


def test_fit_with_unavailable_device_leaves_no_half_fitted_state(X):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    est = AutoencoderTransformer(**SMALL, device="cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        est.fit(X)
    with pytest.raises(NotFittedError):
        est.transform(X)
    assert not hasattr(est, "device_")


def test_set_params_to_unavailable_device_keeps_the_old_one(X):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    est = AutoencoderTransformer(**SMALL).fit(X)
    Z = est.transform(X)
    with pytest.raises(ValueError, match="CUDA is not available"):
        est.set_params(device="cuda")
    assert est.get_params()["device"] == "auto"
    np.testing.assert_array_equal(est.transform(X), Z)
    clone(est).fit(X)  # the parameters still describe a valid estimator


@pytest.mark.parametrize("flush", [True, False])
def test_fit_keeps_the_callers_flush_denormal_setting(X, flush):
    if not torch.set_flush_denormal(flush):
        pytest.skip("flush-denormal is not supported on this CPU")
    try:
        AutoencoderTransformer(**SMALL).fit(X)
        tiny = torch.tensor([1e-40], dtype=torch.float32) * 1.0
        assert (tiny.item() == 0.0) is flush
    finally:
        torch.set_flush_denormal(False)


def test_fit_keeps_the_callers_torch_state(X):
    threads = torch.get_num_threads()
    rng = torch.get_rng_state()
    dtype = torch.get_default_dtype()
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002 - the legacy global RNG
    for cls in FAMILY:
        cls(**SMALL).fit(X)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.get_rng_state(), rng)
    assert torch.get_default_dtype() == dtype
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)  # noqa: NPY002


@pytest.mark.parametrize(
    "param, value",
    [("n_components", 3), ("hidden_layer_sizes", (16,)), ("activation", "tanh")],
)
def test_warm_start_refuses_a_changed_network(X, param, value):
    est = AutoencoderTransformer(**SMALL, warm_start=True).fit(X)
    before = _snapshot(est, X)
    with pytest.raises(ValueError, match=f"{param} changed since it was built"):
        est.set_params(**{param: value}).fit(X)
    with pytest.raises(ValueError, match=f"{param} changed"):
        est.partial_fit(X)
    changed = {param, "warm_start"}
    params = {k: v for k, v in before[0].items() if k not in changed}
    after = _snapshot(est, X)
    _assert_same(
        (params, before[1]), ({k: v for k, v in after[0].items() if k not in changed}, after[1])
    )
    est.set_params(warm_start=False).fit(X)  # a fresh fit takes the new network
    assert est.transform(X).shape[1] == est.n_components


def test_warm_start_applies_changed_optimizer_settings(X):
    est = AutoencoderTransformer(**SMALL, warm_start=True).fit(X)
    est.set_params(learning_rate=0.05, weight_decay=0.01).fit(X)
    group = est.net_.optimizer_.param_groups[0]
    assert (group["lr"], group["weight_decay"]) == (0.05, 0.01)
    est.set_params(optimizer="sgd").fit(X)
    assert isinstance(est.net_.optimizer_, torch.optim.SGD)
    assert est.net_.optimizer_.param_groups[0]["lr"] == 0.05
    assert est.n_iter_ == 3 * SMALL["max_epochs"]


class _InterruptFirstStart(Callback):
    """Ctrl-C in the second epoch of the first start ``init="auto"`` trains."""

    def initialize(self):
        self.fired_ = getattr(self, "fired_", False)
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        if training and len(net.history) == 2 and not self.fired_:
            self.fired_ = True
            raise KeyboardInterrupt


@pytest.mark.parametrize("cls", [AutoencoderTransformer, AutoencoderOutlierDetector])
def test_interrupt_stops_before_the_next_start(cls, X):
    # Ctrl-C means stop: init="auto" does not go on to train its second start.
    est = cls(**dict(SMALL, max_epochs=10), callbacks=[_InterruptFirstStart()])
    with pytest.warns(FitInterruptedWarning):
        est.fit(X)
    assert est.init_ == "pca"
    assert est.n_iter_ == len(est.loss_curve_) == 1
    assert np.isfinite(est.score_samples(X)).all()


class _InterruptSecondStart(Callback):
    """Ctrl-C in the first batch of the second start (the random one)."""

    def on_batch_end(self, net, training=False, **kwargs):
        if training and net.lr and not isinstance(net.module_.encoder, AnchoredEncoder):
            raise KeyboardInterrupt


def test_interrupt_in_the_second_start_keeps_the_first(X):
    est = AutoencoderTransformer(**SMALL, callbacks=[_InterruptSecondStart()])
    with pytest.warns(FitInterruptedWarning):
        est.fit(X)
    assert est.init_ == "pca"
    assert isinstance(est.encoder_, AnchoredEncoder)
