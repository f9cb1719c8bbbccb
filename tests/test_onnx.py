# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Tests of the ONNX export (``skae._onnx``)."""

import copy

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from _helpers import TINY
from sklearn.exceptions import NotFittedError

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae._onnx import PARTS, to_onnx

TOL = dict(atol=1e-5, rtol=1e-5)


def _data(kind, n=40, seed=0):
    rng = np.random.RandomState(seed)
    if kind == "unit":  # in [0, 1]: sigmoid output, no standardisation
        return rng.rand(n, 6)
    return rng.randn(n, 6) * 5.0 + 3.0  # standardised internally, identity output


@pytest.fixture(scope="module")
def fitted():
    return {
        "unit": AutoencoderTransformer(n_components=3, **TINY).fit(_data("unit")),
        "wide": AutoencoderTransformer(n_components=3, **TINY).fit(_data("wide")),
        "vae": VariationalAutoencoderTransformer(n_components=2, **TINY).fit(_data("wide")),
        "bn": AutoencoderTransformer(
            n_components=3, batch_norm=True, dropout=0.3, noise="gaussian", **TINY
        ).fit(_data("unit")),
    }


def _session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _expected(est, part, X):
    if part == "encoder":
        return est.transform(X)
    if part == "decoder":
        return est.inverse_transform(X)
    return est.inverse_transform(est.transform(X))


@pytest.mark.parametrize("kind", ["unit", "wide", "vae", "bn"])
@pytest.mark.parametrize("part", sorted(PARTS))
def test_matches_estimator(fitted, tmp_path, kind, part):
    est = fitted[kind]
    path = to_onnx(est, tmp_path / f"{part}.onnx", part=part)
    assert path.exists()
    session = _session(path)
    input_name, output_name = PARTS[part]
    assert [i.name for i in session.get_inputs()] == [input_name]
    assert [o.name for o in session.get_outputs()] == [output_name]
    assert session.get_inputs()[0].type == "tensor(float)"
    data_kind = "unit" if kind in ("unit", "bn") else "wide"
    for n in (1, 7):
        X = _data(data_kind, n=n, seed=n).astype(np.float32)
        if part == "decoder":
            X = est.transform(X) + np.float32(0.1)
        (out,) = session.run(None, {input_name: X})
        expected = _expected(est, part, X)
        assert out.shape == expected.shape and out.dtype == np.float32
        np.testing.assert_allclose(out, expected, **TOL)


def test_standardisation_is_in_the_graph(fitted, tmp_path):
    est = fitted["wide"]
    assert est.mean_ is not None
    (out,) = _session(to_onnx(est, tmp_path / "ae.onnx", part="autoencoder")).run(
        None, {"X": _data("wide", n=7).astype(np.float32)}
    )
    X = _data("wide", n=7).astype(np.float32)
    np.testing.assert_allclose(out, est.inverse_transform(est.transform(X)), **TOL)
    # The network alone (the module's parts without its scaler), fed raw rows,
    # gives something else entirely: the graph really holds the standardisation
    # and its inverse.
    module = est.net_.module_
    with torch.no_grad():
        raw = module.output_activation(module.decoder(module.encoder(torch.from_numpy(X))))
        raw = raw.numpy()
    assert np.abs(out - raw).max() > 1.0


def test_conv_architecture(tmp_path):
    X = np.random.RandomState(0).rand(20, 16)
    est = AutoencoderTransformer(
        architecture="conv",
        input_shape=(4, 4),
        conv_channels=(2,),
        n_components=2,
        max_epochs=1,
        early_stopping=False,
        random_state=0,
    ).fit(X)
    session = _session(to_onnx(est, tmp_path / "ae.onnx", part="autoencoder"))
    for n in (1, 7):
        Xf = X[:n].astype(np.float32)
        (out,) = session.run(None, {"X": Xf})
        np.testing.assert_allclose(out, est.inverse_transform(est.transform(Xf)), **TOL)


def test_outlier_detector_scores(tmp_path):
    X = _data("wide")
    Xf = X[:7].astype(np.float32)
    det = AutoencoderOutlierDetector(outlier_score="reconstruction", **TINY).fit(X)
    session = _session(to_onnx(det, tmp_path / "ae.onnx", part="autoencoder"))
    (rec,) = session.run(None, {"X": Xf})
    scores = -((rec - Xf) ** 2).mean(axis=1)
    np.testing.assert_allclose(scores, det.score_samples(Xf), rtol=1e-4, atol=1e-4)
    # the default score: the graph's reconstruction gives its per-feature part
    det = AutoencoderOutlierDetector(**TINY).fit(X)
    session = _session(to_onnx(det, tmp_path / "ae.onnx", part="autoencoder"))
    (rec,) = session.run(None, {"X": Xf})
    terms = (rec - Xf) ** 2 / (det.residual_var_ * det.n_features_in_)
    np.testing.assert_allclose(terms, det.feature_scores(Xf), rtol=1e-3, atol=1e-5)


def test_graph_properties(fitted, tmp_path):
    est = fitted["wide"]
    path = to_onnx(est, tmp_path / "enc.onnx", opset=17)
    model = onnx.load(path)
    onnx.checker.check_model(model)
    assert {o.domain: o.version for o in model.opset_import}[""] == 17
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["skae_class"] == "AutoencoderTransformer"
    assert meta["skae_part"] == "encoder"
    assert meta["n_features_in"] == "6" and meta["n_components"] == "3"
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 6
    dims = model.graph.output[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 3
    assert model.producer_name == "skae"


def test_estimator_is_left_untouched(fitted, tmp_path):
    est = copy.deepcopy(fitted["bn"])
    module = est.net_.module_
    module.train()
    state = {k: v.clone() for k, v in module.state_dict().items()}
    to_onnx(est, tmp_path / "m.onnx", part="autoencoder")
    assert module.training
    for key, value in module.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_errors(fitted, tmp_path):
    with pytest.raises(NotFittedError):
        to_onnx(AutoencoderTransformer(), tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="part must be one of"):
        to_onnx(fitted["unit"], tmp_path / "m.onnx", part="middle")
    with pytest.raises(TypeError, match="opset"):
        to_onnx(fitted["unit"], tmp_path / "m.onnx", opset="17")
    with pytest.raises(TypeError, match="skae estimator"):
        to_onnx(object(), tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_failed_export_leaves_old_file(fitted, tmp_path, monkeypatch):
    path = to_onnx(fitted["unit"], tmp_path / "m.onnx")
    old = path.read_bytes()

    def boom(model, *args, **kwargs):
        raise onnx.checker.ValidationError("broken")

    monkeypatch.setattr(onnx.checker, "check_model", boom)
    with pytest.raises(onnx.checker.ValidationError):
        to_onnx(fitted["wide"], path, part="decoder")
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def _highest_opset():
    """The newest opset torch's TorchScript exporter and onnx both support here."""
    from torch.onnx import _constants

    exporter = getattr(_constants, "ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET", _constants.ONNX_MAX_OPSET)
    return min(exporter, onnx.defs.onnx_opset_version())


@pytest.mark.parametrize("opset", [-1, 0, 1, 6, 12, "highest+1", "highest+1000"])
def test_unusable_opset_is_refused_before_export(fitted, tmp_path, monkeypatch, opset):
    if isinstance(opset, str):
        opset = _highest_opset() + int(opset.split("+")[1])
    exported = []
    monkeypatch.setattr(torch.onnx, "export", lambda *a, **k: exported.append(a))
    path = tmp_path / "m.onnx"
    with pytest.raises(ValueError, match=rf"opset must be .*from 13 to \d+.*got {opset}\b"):
        to_onnx(fitted["unit"], path, opset=opset)
    assert exported == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("edge", ["lowest", "highest"])
def test_opset_range_edges_run(tmp_path, edge):
    """The lowest and highest accepted opsets give graphs onnxruntime runs (conv included)."""
    X = np.random.RandomState(0).rand(8, 16)
    est = AutoencoderTransformer(
        architecture="conv",
        input_shape=(4, 4),
        conv_channels=(2,),
        n_components=2,
        activation="gelu",
        max_epochs=1,
        early_stopping=False,
        random_state=0,
    ).fit(X)
    opset = 13 if edge == "lowest" else _highest_opset()
    path = to_onnx(est, tmp_path / "ae.onnx", part="autoencoder", opset=opset)
    assert {o.domain: o.version for o in onnx.load(path).opset_import}[""] == opset
    Xf = X[:3].astype(np.float32)
    (out,) = _session(path).run(None, {"X": Xf})
    np.testing.assert_allclose(out, est.inverse_transform(est.transform(Xf)), **TOL)
