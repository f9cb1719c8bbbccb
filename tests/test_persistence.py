# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Tests of pickle-free persistence (``skae._persistence``) and of pickle/joblib."""

import ast
import copy
import io
import json
import os
import pickle
import re
import struct
import tracemalloc
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from sklearn.exceptions import NotFittedError

import skae
from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VariationalAutoencoderTransformer,
)
from skae._persistence import (
    FORMAT_VERSION,
    ModelFileError,
    ModelVersionWarning,
    load,
    save,
)

# Weights that do not fit the network: caught by the size check (a big
# difference) or by the per-tensor check (differences within the header slack).
SHAPES = r"needs \d+ bytes|has shape|missing"
SMALL = dict(hidden_layer_sizes=(16,), max_epochs=2, batch_size=16, random_state=0)


def _unit_data():
    return np.random.RandomState(0).rand(40, 6)


def _wide_data():
    return np.random.RandomState(1).randn(40, 6) * 5.0 + 3.0


@pytest.fixture(scope="module")
def fitted():
    """One fitted estimator of each kind (fitting is the slow part: share them)."""
    Xu, Xw = _unit_data(), _wide_data()
    return {
        # the classic network (sigmoid output, binary cross-entropy)
        "unit": AutoencoderTransformer(n_components=3, init="random", **SMALL).fit(Xu),
        "wide": AutoencoderTransformer(n_components=3, **SMALL).fit(Xw),
        # PCA-anchored networks: PCA, clipping range and scaling live in the module
        "anchored-unit": AutoencoderTransformer(n_components=3, init="pca", **SMALL).fit(Xu),
        "anchored-wide": AutoencoderTransformer(n_components=3, init="pca", **SMALL).fit(Xw),
        "vae": VariationalAutoencoderTransformer(n_components=2, beta=0.5, **SMALL).fit(Xw),
        "outlier": AutoencoderOutlierDetector(contamination=0.1, **SMALL).fit(Xu),
    }


@pytest.fixture
def saved(fitted, tmp_path):
    return save(fitted["unit"], tmp_path / "model.zip")


def _assert_same(a, b, X):
    """``b`` predicts exactly (bit for bit) like ``a``."""
    for dtype in (np.float32, np.float64):
        Xd = X.astype(dtype)
        if hasattr(a, "transform"):
            Z = a.transform(Xd)
            np.testing.assert_array_equal(Z, b.transform(Xd))
            np.testing.assert_array_equal(a.inverse_transform(Z), b.inverse_transform(Z))
        np.testing.assert_array_equal(a.score_samples(Xd), b.score_samples(Xd))


def _fitted_attrs(est):
    return {k: v for k, v in vars(est).items() if k.endswith("_") and k != "net_"}


# ---------------------------------------------------------------------------- round trips
@pytest.mark.parametrize(
    "kind", ["unit", "wide", "anchored-unit", "anchored-wide", "vae", "outlier"]
)
def test_round_trip_is_exact(fitted, tmp_path, kind):
    est = fitted[kind]
    X = _unit_data() if kind in ("unit", "anchored-unit", "outlier") else _wide_data()
    path = save(est, tmp_path / "m.zip")
    assert path == tmp_path / "m.zip"
    loaded = load(path)
    assert type(loaded) is type(est)
    assert loaded.get_params() == est.get_params()
    assert loaded.device_ == "cpu"
    assert not loaded.net_.module_.training
    before, after = _fitted_attrs(est), _fitted_attrs(loaded)
    assert sorted(before) == sorted(after)
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            assert after[key].dtype == value.dtype
            np.testing.assert_array_equal(after[key], value)
        else:
            assert after[key] == value and type(after[key]) is type(value), key
    _assert_same(est, loaded, X)
    if kind == "outlier":
        np.testing.assert_array_equal(est.decision_function(X), loaded.decision_function(X))
        np.testing.assert_array_equal(est.predict(X), loaded.predict(X))
    if kind == "wide":
        assert loaded.mean_ is not None and loaded.mean_.dtype == np.float64


def test_round_trip_leaves_global_rng_alone(saved):
    state = torch.get_rng_state()
    load(saved)
    assert torch.equal(state, torch.get_rng_state())


def test_round_trip_variants(tmp_path):
    """Batch norm, dropout, conv, salt-and-pepper noise, feature names, numpy scalars."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.rand(24, 16), columns=[f"f{i}" for i in range(16)])
    cases = [
        AutoencoderTransformer(
            batch_norm=True,
            dropout=0.2,
            noise="salt_and_pepper",
            noise_level=0.2,
            n_components=np.int64(2),
            **SMALL,
        ),
        AutoencoderTransformer(
            architecture="conv",
            input_shape=(1, 4, 4),
            conv_channels=(2,),
            hidden_layer_sizes=(),
            max_epochs=1,
            random_state=0,
            early_stopping=False,
        ),
    ]
    for i, est in enumerate(cases):
        est.fit(X)
        loaded = load(save(est, tmp_path / f"m{i}.zip"))
        np.testing.assert_array_equal(loaded.feature_names_in_, est.feature_names_in_)
        assert loaded.get_params() == est.get_params()
        _assert_same(est, loaded, X)
        np.testing.assert_array_equal(est.transform(X), loaded.transform(X))
    loaded_noise = load(save(cases[0], tmp_path / "n.zip")).net_.module_.noise
    noise = cases[0].net_.module_.noise
    assert (loaded_noise.low, loaded_noise.high) == (noise.low, noise.high)
    # Buffers (batch-norm statistics, num_batches_tracked) are restored too.
    loaded = load(tmp_path / "m0.zip")
    expected = cases[0].net_.module_.state_dict()
    got = loaded.net_.module_.state_dict()
    assert list(got) == list(expected)
    for key, value in expected.items():
        assert torch.equal(got[key], value), key


def test_loaded_estimator_can_keep_training(saved):
    loaded = load(saved)
    loaded.set_params(warm_start=True, max_epochs=1)
    loaded.fit(_unit_data())
    assert loaded.transform(_unit_data()).shape == (40, 3)


def test_file_layout(saved):
    with zipfile.ZipFile(saved) as zf:
        assert sorted(zf.namelist()) == ["config.json", "model.safetensors"]
        config = json.loads(zf.read("config.json"))
        tensors = st_load(zf.read("model.safetensors"))
    assert config["format"] == "skae"
    assert config["format_version"] == FORMAT_VERSION == 2
    assert config["class"] == "AutoencoderTransformer"
    assert config["params"]["hidden_layer_sizes"] == {"__tuple__": [16]}
    assert config["params"]["n_components"] == 3
    assert config["fitted"]["n_features_in_"] == 6
    assert config["fitted"]["feature_names_in_"] is None
    assert "mean_" not in config["fitted"] and "build" not in config
    assert config["fitted"]["hidden_layer_sizes_"] == {"__tuple__": [16]}
    # the scaling is part of the network (the identity here: [0, 1] data)
    assert torch.equal(tensors["scaler.shift"], torch.zeros(6))
    assert torch.equal(tensors["scaler.scale"], torch.ones(6))
    assert config["fitted"]["output_activation_"] == "sigmoid"
    assert set(config["versions"]) >= {"skae", "torch", "sklearn", "skorch", "numpy"}
    assert all(t.dtype == torch.float32 for t in tensors.values())


def test_save_is_reproducible(fitted, tmp_path):
    a = save(fitted["unit"], tmp_path / "a.zip").read_bytes()
    assert a == save(fitted["unit"], tmp_path / "b.zip").read_bytes()


def test_save_accepts_str_path_and_any_suffix(fitted, tmp_path):
    path = save(fitted["unit"], str(tmp_path / "model.skae"))
    assert isinstance(path, Path)
    assert load(str(path)).n_features_in_ == 6


# ---------------------------------------------------------------------------- atomic write
def test_failed_save_leaves_nothing_behind(fitted, tmp_path, monkeypatch):
    path = tmp_path / "m.zip"

    def boom(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", boom)
    with pytest.raises(OSError, match="disk full"):
        save(fitted["unit"], path)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_old_file(fitted, tmp_path, monkeypatch):
    path = save(fitted["unit"], tmp_path / "m.zip")
    old = path.read_bytes()
    calls = []
    original = zipfile.ZipFile.writestr

    def second_fails(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # crash after config.json, before the weights
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", second_fails)
    with pytest.raises(KeyboardInterrupt):
        save(fitted["wide"], path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["m.zip"]


def test_saved_file_has_regular_permissions(saved):
    umask = os.umask(0)
    os.umask(umask)
    assert saved.stat().st_mode & 0o777 == 0o666 & ~umask


# ---------------------------------------------------------------------------- refusing to save
@pytest.mark.parametrize(
    "param, value",
    [
        ("encoder", torch.nn.Linear(6, 3)),
        ("decoder", torch.nn.Linear),
        ("activation", torch.nn.SiLU),
        ("optimizer", torch.optim.SGD),
        ("callbacks", [object()]),
        ("random_state", np.random.RandomState(0)),
    ],
)
def test_save_refuses_python_objects(fitted, tmp_path, param, value):
    est = copy.deepcopy(fitted["unit"]).set_params(**{param: value})
    with pytest.raises(TypeError, match=rf"parameter {param}=.*pickle or joblib"):
        save(est, tmp_path / "m.zip")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_unfitted_and_foreign(tmp_path, fitted):
    with pytest.raises(NotFittedError):
        save(AutoencoderTransformer(), tmp_path / "m.zip")

    class Sub(AutoencoderTransformer):
        pass

    sub = copy.deepcopy(fitted["unit"])
    sub.__class__ = Sub
    with pytest.raises(TypeError, match="Only skae's own estimator classes"):
        save(sub, tmp_path / "m.zip")
    with pytest.raises(TypeError, match="skae estimator"):
        save(object(), tmp_path / "m.zip")


# ---------------------------------------------------------------------------- hostile files
def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _write_zip(path, members, deflate_weights=False):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            stored = name == "model.safetensors" and not deflate_weights
            zf.writestr(name, data, compress_type=zipfile.ZIP_STORED if stored else None)
    return path


def _tamper(saved, tmp_path, edit=None, weights=None, deflate_weights=False, text=None):
    """Copy of ``saved`` with ``edit(config)``, then ``text(json_text)``, and/or other weights."""
    members = _members(saved)
    config = json.loads(members["config.json"])
    if edit is not None:
        edit(config)
    config_text = json.dumps(config)
    if text is not None:
        config_text = text(config_text)
    members["config.json"] = config_text.encode()
    if weights is not None:
        members["model.safetensors"] = weights
    return _write_zip(tmp_path / "tampered.zip", members, deflate_weights)


class _Payload:
    """Unpickling this would create a file: proof that nothing is unpickled."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


def test_truncated_random_and_empty_files(saved, tmp_path):
    data = saved.read_bytes()
    for i, blob in enumerate(
        [
            data[: len(data) // 2],
            data[:-10],
            data[:100],
            np.random.RandomState(0).bytes(5000),
            b"",
            b"PK\x05\x06" + b"\x00" * 18,  # an empty zip
        ]
    ):
        bad = tmp_path / f"bad{i}.zip"
        bad.write_bytes(blob)
        with pytest.raises(ModelFileError):
            load(bad)


@pytest.mark.parametrize("member", ["config.json", "model.safetensors"])
def test_corrupt_member_data(saved, tmp_path, member):
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as zf:
        info = zf.getinfo(member)
    # local header: 30 bytes + file name + extra field, then the member's data
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle : middle + 4] = bytes(255 - v for v in data[middle : middle + 4])
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"corrupt|CRC|not a valid"):
        load(bad)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.zip")
    with pytest.raises(OSError):
        load(tmp_path)


@pytest.mark.parametrize(
    "change",
    ["drop_weights", "drop_config", "pickle_instead", "extra_pickle", "duplicate"],
)
def test_wrong_members(saved, tmp_path, change):
    members = _members(saved)
    marker = tmp_path / "pwned"
    evil = pickle.dumps(_Payload(marker))
    if change == "drop_weights":
        del members["model.safetensors"]
    elif change == "drop_config":
        del members["config.json"]
    elif change == "pickle_instead":
        del members["model.safetensors"]
        members["model.pkl"] = evil
    elif change == "extra_pickle":
        members["estimator.pkl"] = evil
    path = _write_zip(tmp_path / "bad.zip", members)
    if change == "duplicate":
        with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "a") as zf:
            zf.writestr("config.json", members["config.json"])
    with pytest.raises(ModelFileError, match="expected exactly the members"):
        load(path)
    assert not marker.exists()


def test_pickle_as_weights_is_not_unpickled(saved, tmp_path):
    marker = tmp_path / "pwned"
    path = _tamper(saved, tmp_path, weights=pickle.dumps(_Payload(marker)))
    with pytest.raises(ModelFileError, match="safetensors"):
        load(path)
    buf = io.BytesIO()
    torch.save({"w": _Payload(marker)}, buf)
    path = _tamper(saved, tmp_path, weights=buf.getvalue())
    with pytest.raises(ModelFileError, match="safetensors"):
        load(path)
    assert not marker.exists()


def _set(*keys_value):
    *keys, value = keys_value

    def edit(config):
        node = config
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value

    return edit


def _delete(*keys):
    def edit(config):
        node = config
        for k in keys[:-1]:
            node = node[k]
        del node[keys[-1]]

    return edit


@pytest.mark.parametrize(
    "edit, match",
    [
        (_set("format", "pickle"), "format != 'skae'"),
        (_set("format_version", 3), "newer than the version 2"),
        (_set("format_version", "1"), "invalid format_version"),
        (_set("class", "os.system"), "Unknown estimator class 'os.system'"),
        (_set("class", "BaseAutoencoder"), "Unknown estimator class"),
        (_set("class", ["AutoencoderTransformer"]), "Unknown estimator class"),
        (_set("params", "eval", "'1'"), r"unknown parameter\(s\) \['eval'\]"),
        (_set("params", "n_components", "two"), "invalid parameter"),
        (_set("params", "n_components", 2.5), "invalid parameter"),
        (_set("params", "activation", "os.system"), "invalid parameter"),
        (_set("params", "encoder", {"module": "os", "name": "system"}), "invalid parameter"),
        (_set("params", "encoder", {"__reduce__": ["os.system", ["ls"]]}), "unknown tagged"),
        # the network is built from the fitted attributes (as after fit)
        (_set("fitted", "hidden_layer_sizes_", {"__tuple__": ["a"]}), "hidden_layer_sizes_"),
        (_set("fitted", "hidden_layer_sizes_", {"__tuple__": [0]}), "hidden_layer_sizes_"),
        (_set("fitted", "hidden_layer_sizes_", {"__tuple__": [32]}), "needs .* bytes"),
        (_set("fitted", "input_shape_", {"__tuple__": [1, 2]}), "input_shape_"),
        (_set("fitted", "noise_range_", {"__tuple__": [0.0]}), "noise_range_"),
        (_set("fitted", "batch_size_", 0), "batch_size_"),
        # the network's code size is the fitted n_components_ (the parameter may
        # have been changed after fit, as on any fitted estimator)
        (_set("fitted", "n_components_", 4), SHAPES),
        (_set("fitted", "n_components_", 0), "n_components_"),
        (_set("params", "batch_norm", True), SHAPES),
        (_set("fitted", "hidden_layer_sizes_", {"__tuple__": [8, 8]}), "missing"),
        (_set("fitted", "n_features_in_", 10**12), "needs .* bytes"),
        (_set("params", "tol", {"__scalar__": "x", "dtype": "float64"}), "malformed scalar"),
        (_set("params", "tol", {"__scalar__": 1, "dtype": "object"}), "malformed scalar"),
        (_set("params", "tol", {"__scalar__": 1, "dtype": "V8"}), "unsupported dtype"),
        (_set("params", "tol", {"__tuple__": 1}), "malformed tuple"),
        (_set("fitted", "transform", 1), "'transform' is not a fitted attribute"),
        (_set("fitted", "__class__", "os"), "is not a fitted attribute"),
        (_set("fitted", "encoder_", 1), "is not a fitted attribute"),
        (_set("fitted", "net_", 1), "is not a fitted attribute"),
        (_set("fitted", "n_features_in_", "6"), "n_features_in_"),
        (_set("fitted", "n_features_in_", 7), SHAPES),
        (_delete("fitted", "loss_"), "'loss_'"),
        (_set("fitted", "loss_", ["mse"]), "'loss_'"),
        (_set("fitted", "output_activation_", "exec"), "output_activation_"),
        (_set("fitted", "mean_", None), "'mean_' is not a fitted attribute"),
        (
            _set(
                "fitted",
                "feature_names_in_",
                {"__ndarray__": ["a"], "dtype": "object", "shape": [6]},
            ),
            "declared",
        ),
        (
            _set(
                "fitted",
                "feature_names_in_",
                {"__ndarray__": [1, 2, 3, 4, 5, 6], "dtype": "object", "shape": [6]},
            ),
            "strings",
        ),
        (_set("fitted", "loss_curve_", ["a"]), "loss_curve_"),
        (_set("build", {}), "exactly the keys"),  # format 1 only
        (_set("versions", "skae", "1.0.0"), "different major version"),
        (_delete("versions", "skae"), "skae version"),
        (_set("versions", {}), "skae version"),
        (_set("versions", "torch", 2), "version strings"),
        (_delete("params"), "exactly the keys"),
        (_set("extra", 1), "exactly the keys"),
    ],
)
def test_tampered_config(saved, tmp_path, edit, match):
    with pytest.raises(ModelFileError, match=match):
        load(_tamper(saved, tmp_path, edit))


@pytest.mark.parametrize(
    "text, match",
    [
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"format": "skae", "format": "skae"}', "repeats a key"),
        (b'{"format": NaN}', "non-standard JSON constant"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON|nested"),
        (b'{"format": ' + b"1" * 5000 + b"}", "not valid JSON.*digits"),
    ],
)
def test_malformed_json(saved, tmp_path, text, match):
    members = _members(saved)
    members["config.json"] = text
    with pytest.raises(ModelFileError, match=match):
        load(_write_zip(tmp_path / "bad.zip", members))


def test_tampered_weights(saved, tmp_path):
    tensors = st_load(_members(saved)["model.safetensors"])
    key = "encoder.layers.0.weight"
    cases = {  # same number of bytes, so they pass the size check
        "has shape": {**tensors, key: tensors[key].T.contiguous()},
        "dtype torch.int32": {**tensors, key: tensors[key].int()},
        "missing": {
            **{k: v for k, v in tensors.items() if k != key},
            "extra": torch.zeros_like(tensors[key]),
        },
        "has shape .16, 5.": {**tensors, key: tensors[key][:, :-1].contiguous()},
    }
    for match, state in cases.items():
        path = _tamper(saved, tmp_path, weights=st_save(state))
        with pytest.raises(ModelFileError, match=match):
            load(path)
    for blob in (b"", b"\x00" * 8, np.random.RandomState(0).bytes(3000)):
        with pytest.raises(ModelFileError, match=r"safetensors|needs .* bytes"):
            load(_tamper(saved, tmp_path, weights=blob))


def test_weights_must_be_stored_and_sized(saved, tmp_path):
    weights = _members(saved)["model.safetensors"]
    path = _tamper(saved, tmp_path, weights=weights, deflate_weights=True)
    with pytest.raises(ModelFileError, match="stored uncompressed"):
        load(path)
    path = _tamper(saved, tmp_path, weights=weights + b"\x00" * 2**20)
    with pytest.raises(ModelFileError, match=r"needs \d+ bytes"):
        load(path)
    # The unmodified bytes still load (the helper itself is not the problem).
    assert load(_tamper(saved, tmp_path, weights=weights)).n_features_in_ == 6


# ---------------------------------------------------------------------------- fitted attributes
@pytest.mark.parametrize(
    "kind, edit, match",
    [
        ("unit", _set("fitted", "evil_", 1), "'evil_' is not a fitted attribute"),
        ("unit", _set("fitted", "offset_", 0.5), "'offset_' is not a fitted attribute"),
        ("outlier", _set("fitted", "contamination_", 0.1), "'contamination_' is not a fitted"),
        (
            "outlier",
            _delete("fitted", "offset_"),
            r"missing the fitted attribute\(s\) \['offset_'\]",
        ),
        ("unit", _delete("fitted", "loss_curve_"), r"missing .*\['loss_curve_'\]"),
        ("vae", _delete("fitted", "feature_names_in_"), r"missing .*\['feature_names_in_'\]"),
        ("outlier", _set("fitted", "offset_", "-1"), "'offset_' must be a finite float"),
        ("outlier", _set("fitted", "offset_", None), "'offset_' must be a finite float"),
        ("outlier", _set("fitted", "outlier_score_", "max"), "'outlier_score_' must be"),
        (
            "outlier",
            _delete("fitted", "outlier_score_"),
            r"missing the fitted attribute\(s\) \['outlier_score_'\]",
        ),
    ],
)
def test_fitted_attributes_are_exactly_those_of_the_class(fitted, tmp_path, kind, edit, match):
    path = save(fitted[kind], tmp_path / "m.zip")
    with pytest.raises(ModelFileError, match=match):
        load(_tamper(path, tmp_path, edit))


@pytest.mark.parametrize("key", ["offset_", "loss_curve_", "tol"])
def test_out_of_range_json_numbers_are_refused(fitted, tmp_path, key):
    """``1e999`` is valid JSON that Python reads as infinity: no loaded value may be."""
    marker = 0.123456789
    path = save(fitted["outlier"], tmp_path / "m.zip")
    section = "params" if key == "tol" else "fitted"
    value = [marker] if key == "loss_curve_" else marker
    path = _tamper(
        path, tmp_path, _set(section, key, value), text=lambda t: t.replace(repr(marker), "-1e999")
    )
    with pytest.raises(ModelFileError, match=r"-1e999.*not a finite number"):
        load(path)


def _with_weight(saved, tmp_path, value):
    tensors = st_load(_members(saved)["model.safetensors"])
    key = "encoder.layers.0.weight"
    weight = tensors[key].clone()
    weight[1, 2] = value
    return _tamper(saved, tmp_path, weights=st_save({**tensors, key: weight}))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_weights_are_refused(saved, tmp_path, value):
    with pytest.raises(ModelFileError, match=r"'encoder\.layers\.0\.weight'.*NaN or infinite"):
        load(_with_weight(saved, tmp_path, value))
    assert load(_with_weight(saved, tmp_path, 1e30)).n_features_in_ == 6  # finite is fine


def test_save_refuses_non_finite_weights(fitted, tmp_path):
    est = copy.deepcopy(fitted["unit"])
    with torch.no_grad():
        est.net_.module_.decoder.layers[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"'decoder\.layers\.0\.weight'.*NaN or infinite"):
        save(est, tmp_path / "m.zip")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- zip bombs
def _declare_size(path, member, size, compressed=False):
    """Make the zip directory of ``path`` declare ``size`` bytes for ``member``.

    The uncompressed size (and, if ``compressed``, the compressed size too) is
    rewritten in the central directory, which :mod:`zipfile` trusts, and in the
    member's local header.
    """
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        local = zf.getinfo(member).header_offset
    (central,) = struct.unpack_from("<I", data, data.rfind(b"PK\x05\x06") + 16)
    while data[central + 46 : central + 46 + len(member)] != member.encode():
        central += 46 + sum(struct.unpack_from("<3H", data, central + 28))
    for header, field in ((local, 18), (central, 20)):
        struct.pack_into("<I", data, header + field + 4, size)
        if compressed:
            struct.pack_into("<I", data, header + field, size)
    path.write_bytes(bytes(data))
    return path


def _peak_memory(fn):
    """Peak of the memory Python traces while ``fn()`` runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_config_bomb_is_refused_before_inflating_it(saved, tmp_path):
    """A config.json that inflates far beyond its declared size is never inflated whole."""
    members = _members(saved)
    members["config.json"] += b" " * (64 * 2**20)  # still valid JSON, deflates to ~64 KiB
    path = _declare_size(_write_zip(tmp_path / "bomb.zip", members), "config.json", 100)
    assert path.stat().st_size < 2**20

    def attempt():
        with pytest.raises(ModelFileError, match=r"CRC|corrupt|not a valid|inflates"):
            load(path)

    assert _peak_memory(attempt) < 8 * 2**20


def test_config_larger_than_the_limit_is_refused(saved, tmp_path, monkeypatch):
    monkeypatch.setattr(skae._persistence, "_MAX_CONFIG_BYTES", 1000)
    with pytest.raises(ModelFileError, match=r"config\.json declares .* more than the 1000"):
        load(saved)


def test_read_capped_stops_at_the_limit():
    from skae._persistence import _read_capped

    assert _read_capped(io.BytesIO(b"x" * 10), 10, "m") == b"x" * 10
    stream = io.BytesIO(b"x" * (5 * 2**20))
    with pytest.raises(ModelFileError, match="m holds more than 10 bytes"):
        _read_capped(stream, 10, "m")
    assert stream.tell() <= 2**20 + 10  # stopped at the first chunk past the limit


def test_weights_declared_beyond_the_file_are_refused(saved, tmp_path):
    """Stored weights whose declared size exceeds the file allocate nothing for them."""
    big = _tamper(saved, tmp_path, _set("fitted", "hidden_layer_sizes_", {"__tuple__": [2**24]}))
    with pytest.raises(ModelFileError, match=r"needs (\d+) bytes") as excinfo:
        load(big)
    needed = int(re.search(r"needs (\d+) bytes", str(excinfo.value)).group(1))
    assert needed > 2**30
    path = _declare_size(big, "model.safetensors", needed + 100, compressed=True)

    def attempt():
        with pytest.raises(ModelFileError, match="past the end of the file"):
            load(path)

    assert _peak_memory(attempt) < 64 * 2**20


def test_other_library_versions_only_warn(saved, tmp_path):
    path = _tamper(
        saved,
        tmp_path,
        lambda c: c["versions"].update(torch="1.0.0", sklearn="0.1", skae="0.0.1"),
    )
    with pytest.warns(ModelVersionWarning, match=r"torch 1\.0\.0 \(now .*sklearn 0\.1"):
        loaded = load(path)
    np.testing.assert_array_equal(
        loaded.transform(_unit_data()), load(saved).transform(_unit_data())
    )


def test_missing_params_take_defaults(saved, tmp_path):
    loaded = load(_tamper(saved, tmp_path, _delete("params", "verbose")))
    assert loaded.verbose == 0


def test_device_argument(saved, tmp_path):
    assert load(saved, device="cpu").device_ == "cpu"
    # A model saved on CUDA loads on the CPU where there is no GPU.
    path = _tamper(saved, tmp_path, _set("fitted", "device_", "cuda"))
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert load(path).device_ == expected


# ---------------------------------------------------------------------------- pickle and joblib
@pytest.mark.parametrize("kind", ["wide", "anchored-wide", "vae"])
def test_joblib_and_pickle_round_trip(fitted, tmp_path, kind):
    est = fitted[kind]
    joblib.dump(est, tmp_path / "m.joblib")
    for loaded in (joblib.load(tmp_path / "m.joblib"), pickle.loads(pickle.dumps(est))):
        _assert_same(est, loaded, _wide_data())
        assert loaded.get_params() == est.get_params()


def test_unpickling_uses_weights_only(fitted, monkeypatch):
    """skorch restores the network's tensors with ``torch.load(weights_only=True)``."""
    net = fitted["unit"].net_
    kwargs = net.torch_load_kwargs
    assert kwargs is None or kwargs.get("weights_only") is True
    calls = []
    original = torch.load

    def spy(*args, **kw):
        calls.append(kw)
        return original(*args, **kw)

    blob = pickle.dumps(fitted["unit"])
    monkeypatch.setattr(torch, "load", spy)
    loaded = pickle.loads(blob)
    # skorch's own unpickler passes map_location; torch's default pickling of
    # tensors found elsewhere in the pickle stream does not (see next test).
    skorch_calls = [kw for kw in calls if "map_location" in kw]
    assert skorch_calls and all(kw["weights_only"] is True for kw in skorch_calls)
    _assert_same(fitted["unit"], loaded, _unit_data())


def test_pickle_holds_the_network_once(fitted):
    # module/criterion are the same objects as module_/criterion_; pickling them
    # once keeps CUDA-trained pickles loadable on CPU-only machines (skorch maps
    # the trailing-underscore attributes to the available device).
    est = fitted["unit"]
    blob = pickle.dumps(est)
    loaded = pickle.loads(blob)
    assert loaded.net_.module is loaded.net_.module_
    assert loaded.net_.criterion is loaded.net_.criterion_
    n_bytes = sum(p.numel() * p.element_size() for p in est.net_.module_.parameters())
    # weights once + Adam's two moments, not the network twice on top
    assert len(blob) < 3.5 * n_bytes + 200_000


def test_package_never_calls_torch_load_unsafely():
    """Every ``torch.load(...)`` in skae passes ``weights_only=True``."""
    root = Path(skae.__file__).parent
    offenders = []
    for file in root.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "load"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "torch"
            ):
                safe = any(
                    kw.arg == "weights_only"
                    and isinstance(kw.value, ast.Constant)
                    and kw.value.value is True
                    for kw in node.keywords
                )
                if not safe:
                    offenders.append(f"{file}:{node.lineno}")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names]
                module = getattr(node, "module", None) or ""
                if file.name == "_persistence.py":
                    assert "pickle" not in names and module not in ("pickle", "joblib")
    assert offenders == []


def test_public_methods_save_load_and_to_onnx(tmp_path):
    import onnxruntime as ort

    X = np.random.RandomState(0).rand(30, 5).astype(np.float32)
    est = skae.AutoencoderTransformer(
        n_components=2, hidden_layer_sizes=(8,), max_epochs=2, random_state=0
    ).fit(X)
    path = est.save(tmp_path / "model.zip")
    loaded = skae.load(path)
    np.testing.assert_array_equal(loaded.transform(X), est.transform(X))
    onnx_path = est.to_onnx(tmp_path / "enc.onnx", part="encoder")
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (Z,) = session.run(None, {session.get_inputs()[0].name: X})
    np.testing.assert_allclose(Z, est.transform(X), rtol=1e-5, atol=1e-5)
    with pytest.raises(skae.ModelFileError):
        skae.load(onnx_path)


def _as_format_1(path, tmp_path):
    """The file skae 0.1 wrote for the same model as ``path`` (format 1).

    It kept the standardisation as ``mean_``/``scale_`` in ``fitted`` (not in
    the weights), what ``fit`` derived to build the network in a ``build``
    section, named the validation losses ``validation_scores_``, and had
    neither ``init_`` nor ``n_components_``.
    """
    members = _members(path)
    config = json.loads(members["config.json"])
    tensors = st_load(members["model.safetensors"])
    fitted = config["fitted"]
    shift, scale = tensors.pop("scaler.shift"), tensors.pop("scaler.scale")
    identity = bool((shift == 0).all() and (scale == 1).all())

    def array(t):
        return {"__ndarray__": t.double().tolist(), "dtype": "float64", "shape": [t.numel()]}

    fitted["mean_"] = None if identity else array(shift)
    fitted["scale_"] = None if identity else array(scale)
    noise_range = fitted.pop("noise_range_")["__tuple__"]
    config["build"] = {"noise_range": noise_range, "batch_size": fitted.pop("batch_size_")}
    for key in ("hidden_layer_sizes_", "input_shape_", "init_", "n_components_"):
        fitted.pop(key)
    fitted["validation_scores_"] = fitted.pop("validation_loss_curve_")
    config["format_version"] = 1
    members["config.json"] = json.dumps(config).encode()
    members["model.safetensors"] = st_save(tensors)
    return _write_zip(tmp_path / "format1.zip", members)


@pytest.mark.parametrize("kind", ["unit", "vae"])  # random starts; the VAE standardises
def test_files_of_skae_0_1_load(fitted, tmp_path, kind):
    est = fitted[kind]
    old = _as_format_1(save(est, tmp_path / "m.zip"), tmp_path)
    loaded = load(old)
    assert (loaded.init_, loaded.n_components_) == ("random", est.n_components)
    assert loaded.validation_loss_curve_ == est.validation_loss_curve_
    if kind == "vae":  # mean_/scale_ became the network's scaling buffers
        np.testing.assert_allclose(loaded.mean_, est.mean_, rtol=1e-7)
    _assert_same(est, loaded, _unit_data() if kind == "unit" else _wide_data())


@pytest.mark.parametrize(
    "edit, match",
    [
        (_set("build", "noise_range", "x"), "build"),
        (_set("build", "code", "x"), "build"),
        (_delete("build"), "exactly the keys"),
        (
            _set("fitted", "mean_", {"__ndarray__": [0.0], "dtype": "float64", "shape": [1]}),
            "mean_",
        ),
        (_set("fitted", "scale_", None), "mean_ and scale_"),
    ],
)
def test_tampered_format_1_files(fitted, tmp_path, edit, match):
    old = _as_format_1(save(fitted["vae"], tmp_path / "m.zip"), tmp_path)
    with pytest.raises(ModelFileError, match=match):
        load(_tamper(old, tmp_path, edit))


def test_anchored_networks_are_not_format_1(fitted, tmp_path):
    # skae 0.1 had no PCA start: an anchored network's weights do not fit its network
    old = _as_format_1(save(fitted["anchored-unit"], tmp_path / "a.zip"), tmp_path)
    with pytest.raises(ModelFileError, match=SHAPES):
        load(old)


def test_detector_files_of_skae_0_1_score_by_reconstruction(fitted, tmp_path):
    """skae 0.1's detector had neither outlier_score nor the combined score's statistics."""
    det = AutoencoderOutlierDetector(
        outlier_score="reconstruction", contamination=0.1, init="random", **SMALL
    )
    det.fit(_unit_data())
    path = save(det, tmp_path / "m.zip")

    def as_0_1(config):
        del config["params"]["outlier_score"]
        for key in ("outlier_score_", "residual_var_", "latent_mean_", "latent_precision_"):
            del config["fitted"][key]
        del config["fitted"]["calibration_scores_"]
        del config["params"]["calibration"]

    members = _members(path)
    config = json.loads(members["config.json"])
    as_0_1(config)
    members["config.json"] = json.dumps(config).encode()
    old = _as_format_1(_write_zip(tmp_path / "edited.zip", members), tmp_path)
    loaded = load(old)
    assert (loaded.outlier_score, loaded.outlier_score_) == ("reconstruction", "reconstruction")
    X = _unit_data()
    np.testing.assert_allclose(loaded.score_samples(X), det.score_samples(X), rtol=1e-6)
