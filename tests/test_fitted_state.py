# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""After ``fit``, code reads fitted state; the module owns data-derived state; one table."""

import inspect
import warnings

import numpy as np
import pytest
import torch

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae._docs import COMMON_PARAMS_DOC
from skae._params import COMMON

ESTIMATORS = [AutoencoderTransformer, VariationalAutoencoderTransformer, AutoencoderOutlierDetector]
TINY = dict(hidden_layer_sizes=(8,), max_epochs=3, random_state=0)


def _wide(n=60, d=5, seed=0):
    """Columns far outside [-1, 1]: the estimators standardise them."""
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, d)) * np.arange(1, d + 1) * 10 + 100


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("change", [{"n_components": 4}, {"batch_size": 3}])
def test_set_params_after_fit_changes_nothing_until_the_next_fit(cls, change, tmp_path):
    X = _wide()
    est = cls(n_components=2, **TINY).fit(X)
    Z = est.transform(X) if hasattr(est, "transform") else None
    rec = est.inverse_transform(Z) if Z is not None else None
    scores = est.score_samples(X)
    drawn = est.sample(3, random_state=0) if hasattr(est, "sample") else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.set_params(**change)
    name, value = next(iter(change.items()))
    assert est.get_params()[name] == value
    np.testing.assert_array_equal(est.score_samples(X), scores)
    if Z is not None:
        np.testing.assert_array_equal(est.transform(X), Z)
        np.testing.assert_array_equal(est.inverse_transform(Z), rec)
    if drawn is not None:
        np.testing.assert_array_equal(est.sample(3, random_state=0), drawn)
    pytest.importorskip("onnx")
    path = est.to_onnx(tmp_path / "m.onnx", part="decoder")
    import onnx

    model = onnx.load(path)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[1].dim_value == 2  # the fitted code size, not the new parameter
    # the next fit uses the new value
    est.fit(X)
    if "n_components" in change:
        assert est.n_components_ == 4
    else:
        assert est.batch_size_ == 3


def test_fitted_attributes_record_what_was_built():
    X = _wide(n=300)
    est = AutoencoderTransformer(n_components=2, hidden_layer_sizes=[6, 4], max_epochs=2).fit(X)
    assert est.hidden_layer_sizes_ == (6, 4)
    assert est.input_shape_ is None
    assert est.init_ == "pca"
    assert est.batch_size_ == 64  # "auto": 270 training rows, the anchored start's smallest
    lo, hi = est.noise_range_
    assert lo < 0 < hi  # standardised rows


def test_auto_batch_size_follows_the_start_kept():
    X = np.random.RandomState(0).uniform(size=(300, 5))  # in [0, 1]: both starts
    for init, expected in [("random", 32), ("pca", 64)]:
        est = AutoencoderTransformer(n_components=2, init=init, **TINY).fit(X)
        assert est.batch_size_ == expected
        assert est.net_.batch_size == expected  # what trained it
    auto = AutoencoderTransformer(n_components=2, **TINY).fit(X)
    assert auto.batch_size_ == {"random": 32, "pca": 64}[auto.init_] == auto.net_.batch_size
    # the detector's anchored start keeps 32 (measured: 64 lowered its ROC-AUC)
    det = AutoencoderOutlierDetector(**TINY).fit(X)
    assert det.init_ == "pca" and det.batch_size_ == 32
    # and so does a UMAP-regularised transformer (its steps pair batches with graph edges)
    umap = AutoencoderTransformer(n_components=2, latent_regularizer="umap", **TINY).fit(X)
    assert umap.init_ == "pca" and umap.batch_size_ == 32


def test_the_module_owns_the_scaling():
    X = _wide()
    est = AutoencoderTransformer(n_components=2, **TINY).fit(X)
    scaler = est.net_.module_.scaler
    np.testing.assert_allclose(scaler.shift.numpy(), X.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(scaler.scale.numpy(), X.std(axis=0), rtol=1e-6)
    # mean_/scale_ are read from the module (float64 copies of its buffers)
    assert est.mean_.dtype == np.float64
    np.testing.assert_array_equal(est.mean_, scaler.shift.double().numpy())
    assert "scaler.shift" in est.net_.module_.state_dict()
    # the module alone computes what the estimator does, in the data's units
    with torch.no_grad():
        Z = est.net_.module_.encode(torch.as_tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(Z, est.transform(X.astype(np.float32)), rtol=1e-5, atol=1e-5)


def test_no_scaling_for_data_in_unit_range():
    X = np.random.RandomState(0).rand(60, 5)
    est = AutoencoderTransformer(n_components=2, **TINY).fit(X)
    assert est.mean_ is None and est.scale_ is None
    assert not hasattr(AutoencoderTransformer(), "mean_")


def test_to_device():
    X = _wide()
    est = AutoencoderTransformer(n_components=2, **TINY).fit(X)
    Z = est.transform(X)
    assert est.to_device("cpu") is est and est.device_ == "cpu"
    np.testing.assert_array_equal(est.transform(X), Z)
    assert est.get_params()["device"] == "auto"  # the parameter is the next fit's
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            est.to_device("cuda")
        assert est.device_ == "cpu"
    with pytest.raises(ValueError, match="is not fitted"):
        AutoencoderTransformer().to_device("cpu")


def test_validation_scores_is_a_deprecated_alias():
    X = _wide()
    est = AutoencoderTransformer(n_components=2, **TINY).fit(X)
    assert len(est.validation_loss_curve_) == est.n_iter_
    with pytest.warns(FutureWarning, match="validation_loss_curve_"):
        assert est.validation_scores_ == est.validation_loss_curve_


# ---------------------------------------------------------------------------- one table
def _entries(doc):
    return [
        line.split(" : ")[0].strip()
        for line in doc.splitlines()
        if line.startswith("    ") and not line.startswith("     ") and " : " in line
    ]


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_signature_constraints_and_docs_come_from_one_table(cls):
    signature = list(inspect.signature(cls.__init__).parameters)[1:]
    own = [name for name in signature if name not in COMMON]
    assert signature == ["n_components", *own, *list(COMMON)[1:]]
    assert list(cls._parameter_constraints) == signature
    est = cls()
    # a class's own entry for a common parameter overrides its default (the detector's
    # max_epochs); everything else comes from COMMON
    table = {**COMMON, **getattr(cls, "_own_parameters", {})}
    for name in COMMON:
        assert getattr(est, name) == table[name][0]
        assert cls._parameter_constraints[name] == table[name][1]
    # the Parameters section lists every parameter, in signature order
    params = cls.__doc__.split("Parameters\n    ----------")[1].split("Attributes\n")[0]
    documented = [n for entry in _entries(params) for n in entry.split(", ")]
    assert documented == signature


def test_every_common_parameter_is_documented_once():
    documented = [n for entry in _entries(COMMON_PARAMS_DOC) for n in entry.split(", ")]
    assert documented == list(COMMON)


def test_generated_init_only_stores():
    est = AutoencoderOutlierDetector(3, contamination=0.1, hidden_layer_sizes=[4])
    assert (est.n_components, est.contamination, est.hidden_layer_sizes) == (3, 0.1, [4])
    assert set(vars(est)) == set(inspect.signature(type(est).__init__).parameters) - {"self"}
    with pytest.raises(TypeError):
        AutoencoderTransformer(2, 3)  # everything after n_components is keyword-only
    with pytest.raises(TypeError):
        AutoencoderTransformer(beta=1.0)  # the VAE's parameter only
    assert AutoencoderTransformer.__init__.__qualname__ == "AutoencoderTransformer.__init__"
