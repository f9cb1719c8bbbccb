# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Interrupted fits, resuming, checkpoints, and property-based input fuzzing."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from skorch.callbacks import Callback, Checkpoint

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
)

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
    ).fit(X)
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


def test_checkpoint_restores_best_epoch(tmp_path, X):
    cp = Checkpoint(dirname=str(tmp_path), monitor="valid_loss_best", load_best=True)
    est = AutoencoderTransformer(**PARAMS, max_epochs=6, n_iter_no_change=100, callbacks=[cp])
    est.fit(X)
    assert (tmp_path / "params.pt").exists()
    history = est.net_.history
    best = int(np.argmin(history[:, "valid_loss"]))
    assert history[best, "valid_loss_best"]


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
