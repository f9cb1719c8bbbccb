# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Bad input gives clear errors; the caller's arrays are never modified."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from _helpers import TINY
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from torch import nn

from skae import AutoencoderTransformer


def make_ae(**params):
    return AutoencoderTransformer(**{**TINY, **params})


@pytest.fixture(scope="module")
def X():
    return np.random.RandomState(0).rand(30, 6)


@pytest.fixture(scope="module")
def fitted(X):
    return make_ae(n_components=2).fit(X)


# ----------------------------------------------------------------------------- bad X at fit
def _with(X, value):
    X = X.copy()
    X[3, 2] = value
    return X


@pytest.mark.parametrize(
    "make_X, error, match",
    [
        (lambda X: _with(X, np.nan), ValueError, "NaN"),
        (lambda X: _with(X, np.inf), ValueError, "infinity"),
        (lambda X: _with(X, -np.inf), ValueError, "infinity"),
        (lambda X: X[:, 0], ValueError, "Expected 2D array, got 1D array"),
        (lambda X: X[:, :, None], ValueError, "dim 3"),
        (lambda X: X[:0], ValueError, "0 sample"),
        (lambda X: X[:, :0], ValueError, "0 feature"),
        (lambda X: X[:1], ValueError, "1 sample.*minimum of 2"),
        (lambda X: np.array([["a", "b"], ["c", "d"], ["e", "f"]]), ValueError, "string"),
        (lambda X: np.array([["a", 1.0], ["b", 2.0]], dtype=object), ValueError, "string"),
        (lambda X: X + 1j, ValueError, "Complex data not supported"),
        (lambda X: sp.csr_matrix(X), TypeError, "Sparse data"),
        (lambda X: sp.csc_array(X), TypeError, "Sparse data"),
    ],
    ids=[
        "nan",
        "inf",
        "-inf",
        "1d",
        "3d",
        "no-rows",
        "no-features",
        "one-sample",
        "str",
        "object-str",
        "complex",
        "csr",
        "csc",
    ],
)
def test_bad_X_at_fit(X, make_X, error, match):
    with pytest.raises(error, match=match):
        make_ae().fit(make_X(X))


def test_dataframe_with_string_column():
    df = pd.DataFrame({"a": ["x", "y", "z"], "b": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="could not convert string to float"):
        make_ae().fit(df)


def test_numeric_object_and_bool_arrays_are_accepted(X):
    Z = make_ae().fit(X.astype(object)).transform(X.astype(object))
    assert Z.shape == (30, 2) and np.issubdtype(Z.dtype, np.floating)
    assert make_ae().fit(X > 0.5).transform(X > 0.5).shape == (30, 2)


def test_list_input(X):
    ae = make_ae().fit(X.tolist())
    assert ae.n_features_in_ == 6
    assert ae.transform(X.tolist()).shape == (30, 2)


# ----------------------------------------------------------------------------- small samples
def test_two_samples_with_early_stopping_split_one_and_one(X):
    ae = make_ae().fit(X[:2])
    batches = ae.net_.history[-1]["batches"]
    assert sum(b.get("train_batch_size", 0) for b in batches) == 1
    assert sum(b.get("valid_batch_size", 0) for b in batches) == 1
    assert np.isfinite(ae.transform(X[:2])).all()


def test_validation_split_leaving_no_training_rows(X):
    with pytest.raises(ValueError, match="leaves no training or validation samples"):
        make_ae(validation_fraction=0.9).fit(X[:2])


def test_two_samples_without_early_stopping(X):
    ae = make_ae(early_stopping=False).fit(X[:2])
    assert ae.validation_scores_ is None
    assert ae.transform(X[:2]).shape == (2, 2)


@pytest.mark.parametrize(
    "n_samples, params",
    [
        (2, dict()),  # early stopping: 1 training row, 1 validation row
        (3, dict(validation_fraction=0.5)),  # 1 training row, 2 validation rows
        (20, dict(batch_size=1, early_stopping=False)),  # every batch is a single row
    ],
    ids=["2-samples", "1-train-row", "batch-size-1"],
)
def test_batch_norm_needs_two_rows_per_batch(X, n_samples, params):
    # BatchNorm1d cannot train on a batch of one row; a scikit-learn user should
    # get a ValueError that names the parameters, not torch's internal message.
    ae = make_ae(batch_norm=True, **params)
    with pytest.raises(ValueError, match="batch_norm"):
        ae.fit(X[:n_samples])


def test_batch_norm_with_two_training_rows_works(X):
    ae = make_ae(batch_norm=True, early_stopping=False).fit(X[:2])
    assert np.isfinite(ae.transform(X[:2])).all()


# ----------------------------------------------------------------------------- after fit
@pytest.mark.parametrize("method", ["transform", "score_samples", "score"])
@pytest.mark.parametrize("n_features", [5, 7])
def test_wrong_n_features(fitted, X, method, n_features):
    bad = np.random.RandomState(0).rand(4, n_features)
    with pytest.raises(ValueError, match=f"X has {n_features} features, but .* expecting 6"):
        getattr(fitted, method)(bad)


@pytest.mark.parametrize("width", [1, 3, 6])
def test_inverse_transform_wrong_width(fitted, width):
    with pytest.raises(ValueError, match=f"Z has {width} features.*n_components=2"):
        fitted.inverse_transform(np.zeros((4, width)))


@pytest.mark.parametrize(
    "Z, match",
    [
        (np.full((2, 2), np.nan), "NaN"),
        (np.full((2, 2), np.inf), "infinity"),
        (np.zeros(2), "Expected 2D array"),
        (np.zeros((0, 2)), "0 sample"),
        (np.array([["a", "b"]]), "string"),
    ],
    ids=["nan", "inf", "1d", "empty", "str"],
)
def test_inverse_transform_bad_codes(fitted, Z, match):
    with pytest.raises(ValueError, match=match):
        fitted.inverse_transform(Z)


@pytest.mark.parametrize("method", ["transform", "score_samples", "score"])
def test_bad_X_after_fit(fitted, X, method):
    fn = getattr(fitted, method)
    with pytest.raises(ValueError, match="NaN"):
        fn(_with(X, np.nan))
    with pytest.raises(ValueError, match="infinity"):
        fn(_with(X, np.inf))
    with pytest.raises(ValueError, match="Expected 2D array"):
        fn(X[0])
    with pytest.raises(ValueError, match="0 sample"):
        fn(X[:0])
    with pytest.raises(TypeError, match="Sparse data"):
        fn(sp.csr_matrix(X))
    with pytest.raises(ValueError, match="Complex data not supported"):
        fn(X + 1j)


def test_single_row_after_fit(fitted, X):
    assert fitted.transform(X[:1]).shape == (1, 2)
    assert fitted.score_samples(X[:1]).shape == (1,)


@pytest.mark.parametrize(
    "method, arg",
    [
        ("transform", np.zeros((3, 6))),
        ("inverse_transform", np.zeros((3, 2))),
        ("score", np.zeros((3, 6))),
        ("score_samples", np.zeros((3, 6))),
        ("get_feature_names_out", None),
    ],
)
def test_not_fitted(method, arg):
    fn = getattr(make_ae(), method)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        fn() if arg is None else fn(arg)


# ----------------------------------------------------------------------------- hyperparameters
@pytest.mark.parametrize(
    "params, match",
    [
        (dict(n_components=0), "n_components"),
        (dict(n_components=2.5), "n_components"),
        (dict(dropout=1.5), "dropout"),
        (dict(dropout=-0.1), "dropout"),
        (dict(activation="foo"), "activation"),
        (dict(activation="sigmoid"), "activation"),
        (dict(output_activation="relu"), "output_activation"),
        (dict(optimizer="foo"), "optimizer"),
        (dict(loss="foo"), "loss"),
        (dict(noise="foo"), "noise"),
        (dict(noise_level=-1), "noise_level"),
        (dict(latent_l1=-1), "latent_l1"),
        (dict(learning_rate=0), "learning_rate"),
        (dict(weight_decay=-1), "weight_decay"),
        (dict(batch_size=0), "batch_size"),
        (dict(max_epochs=0), "max_epochs"),
        (dict(validation_fraction=1.0), "validation_fraction"),
        (dict(validation_fraction=0.0), "validation_fraction"),
        (dict(n_iter_no_change=0), "n_iter_no_change"),
        (dict(tol=-1), "tol"),
        (dict(precision="64"), "precision"),
        (dict(architecture="rnn"), "architecture"),
        (dict(hidden_layer_sizes="abc"), "hidden_layer_sizes"),
        (dict(encoder="foo"), "encoder"),
        (dict(callbacks="foo"), "callbacks"),
        (dict(early_stopping="yes"), "early_stopping"),
    ],
    ids=lambda v: str(v) if not isinstance(v, str) else None,
)
def test_invalid_hyperparameters(X, params, match):
    with pytest.raises(InvalidParameterError, match=f"'{match}' parameter"):
        make_ae(**params).fit(X)


@pytest.mark.parametrize("sizes", [(0,), (16, 0), (-1,), (1.5,)])
def test_hidden_layer_sizes_must_be_positive_ints(X, sizes):
    with pytest.raises(ValueError, match="hidden_layer_sizes must be a sequence of positive"):
        make_ae(hidden_layer_sizes=sizes).fit(X)


def test_activation_class_must_be_module(X):
    with pytest.raises(TypeError, match=r"activation must be a name or a torch\.nn\.Module class"):
        make_ae(activation=int).fit(X)


def test_encoder_class_must_be_module(X):
    with pytest.raises(TypeError, match=r"encoder must be a torch\.nn\.Module"):
        make_ae(encoder=int).fit(X)


def test_optimizer_class_must_be_optimizer(X):
    with pytest.raises(TypeError, match="optimizer"):
        make_ae(optimizer=int).fit(X)


def test_callbacks_entries_must_be_callbacks(X):
    with pytest.raises(TypeError, match="callbacks"):
        make_ae(callbacks=[1]).fit(X)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(encoder=nn.Linear(6, 5)), "encoder"),  # outputs 5, n_components=2
        (dict(encoder=nn.Linear(4, 2)), "encoder"),  # expects 4 inputs, X has 6
        (dict(decoder=nn.Linear(2, 5)), "decoder"),  # outputs 5, X has 6
    ],
    ids=["encoder-out", "encoder-in", "decoder-out"],
)
def test_custom_parts_with_wrong_widths(X, params, match):
    # A shape mismatch in a user module should be reported in the estimator's
    # terms (which part, which width), not as a torch matmul error.
    with pytest.raises(ValueError, match=match):
        make_ae(n_components=2, **params).fit(X)


def test_invalid_device_string(X):
    with pytest.raises(ValueError, match="Invalid device 'foo'"):
        make_ae(device="foo").fit(X)


@pytest.mark.parametrize("sizes", [True, (True, 4), (np.bool_(True),)])
def test_hidden_layer_sizes_refuses_booleans(X, sizes):
    with pytest.raises(ValueError, match="hidden_layer_sizes must be a sequence of positive"):
        make_ae(hidden_layer_sizes=sizes).fit(X)


@pytest.mark.parametrize("noise", ["masking", "salt_and_pepper"])
def test_noise_level_is_a_fraction_for_masking_noise(X, noise):
    with pytest.raises(ValueError, match=r"noise_level .* must be in \[0, 1\], got 1.5"):
        make_ae(noise=noise, noise_level=1.5).fit(X)
    make_ae(noise="gaussian", noise_level=1.5).fit(X)  # a standard deviation: any size


@pytest.mark.parametrize("device", ["meta", "xla", "mps", "cuda:7"])
def test_devices_that_cannot_train_are_refused_up_front(X, device):
    if device == "mps" and torch.backends.mps.is_available():
        pytest.skip("this machine has MPS")
    if device.startswith("cuda") and torch.cuda.device_count() > 7:
        pytest.skip("this machine has 8 GPUs")
    ae = make_ae(device=device)
    with pytest.raises(ValueError, match="device"):
        ae.fit(X)
    assert not hasattr(ae, "n_features_in_")  # refused before any work


def test_optimizer_without_weight_decay(X):
    # LBFGS takes no weight_decay: it works without one, and a weight decay is refused.
    ae = make_ae(optimizer=torch.optim.LBFGS, learning_rate=0.1).fit(X)
    assert np.isfinite(ae.transform(X)).all()
    with pytest.raises(ValueError, match=r"LBFGS has no weight decay, but weight_decay=0\.01"):
        make_ae(optimizer=torch.optim.LBFGS, weight_decay=0.01).fit(X)


def test_even_kernel_size_is_refused_before_training(X):
    ae = make_ae(architecture="conv", input_shape=(2, 3), kernel_size=2)
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        ae.fit(X)


@pytest.mark.parametrize("magnitude", [1e300, -1e39])
def test_values_beyond_float32_are_refused_up_front(X, magnitude):
    X = X.copy()
    X[0, 0] = magnitude
    with pytest.raises(ValueError, match="beyond float32's range"):
        make_ae().fit(X)


def test_large_but_representable_values_are_standardised(X):
    ae = make_ae().fit(X * 1e30)
    Z = ae.transform(X * 1e30)
    assert np.isfinite(Z).all()
    assert np.isfinite(ae.score(X * 1e30))


# ----------------------------------------------------------------------------- no mutation
def _check_untouched(ae, X, Z_dtype):
    saved = X.copy()
    ae.fit(X)
    np.testing.assert_array_equal(X, saved)
    Z = ae.transform(X)
    np.testing.assert_array_equal(X, saved)
    Z = np.ascontiguousarray(Z, dtype=Z_dtype)
    if not X.flags.writeable:
        Z.setflags(write=False)
    Z_saved = Z.copy()
    ae.inverse_transform(Z)
    np.testing.assert_array_equal(Z, Z_saved)
    ae.score_samples(X)
    ae.score(X)
    np.testing.assert_array_equal(X, saved)
    return ae


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize("noise", [None, "masking", "gaussian", "salt_and_pepper"])
@pytest.mark.parametrize("scale", [1.0, 100.0])  # 100: standardised internally
def test_inputs_never_modified(dtype, read_only, noise, scale):
    X = (np.random.RandomState(0).rand(24, 5) * scale).astype(dtype)
    if read_only:
        X.setflags(write=False)
    ae = make_ae(noise=noise, noise_level=0.5, max_epochs=1, batch_size=8)
    _check_untouched(ae, X, dtype)


def test_fortran_and_strided_inputs_never_modified():
    base = np.random.RandomState(0).rand(24, 10).astype(np.float32)
    for X in (np.asfortranarray(base[:, :5]), base[:, ::2]):
        ae = make_ae(noise="masking", noise_level=0.5, max_epochs=1, batch_size=8)
        _check_untouched(ae, X, np.float32)


def test_dataframe_input_never_modified():
    df = pd.DataFrame(np.random.RandomState(0).rand(24, 4), columns=list("abcd"))
    saved = df.copy()
    ae = make_ae(noise="masking", noise_level=0.5).fit(df)
    ae.transform(df)
    ae.score_samples(df)
    pd.testing.assert_frame_equal(df, saved)


def test_read_only_memmap(tmp_path):
    X = np.random.RandomState(0).rand(24, 5).astype(np.float32)
    path = tmp_path / "X.dat"
    mm = np.memmap(path, dtype=np.float32, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    ro = np.memmap(path, dtype=np.float32, mode="r", shape=X.shape)
    a = make_ae(noise="masking").fit(ro)
    b = make_ae(noise="masking").fit(X)
    np.testing.assert_array_equal(a.transform(ro), b.transform(X))
    np.testing.assert_array_equal(np.asarray(ro), X)


def test_torch_global_state_untouched_by_inference(fitted, X):
    state = torch.get_rng_state()
    fitted.transform(X)
    fitted.inverse_transform(np.zeros((2, 2)))
    fitted.score_samples(X)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.is_grad_enabled()
