# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Save and load fitted estimators without pickle: JSON + safetensors in one zip file.

File format (``format_version`` 2)
----------------------------------
A zip archive (any file name; ``.zip`` is conventional) holding exactly two
members:

``config.json``
    UTF-8 JSON object::

        {"format": "skae", "format_version": 2,
         "class": "AutoencoderTransformer",
         "params": {...},    # get_params(deep=False)
         "fitted": {...},    # n_features_in_, hidden_layer_sizes_, loss_curve_, offset_, ...
         "versions": {"skae": ..., "torch": ..., "sklearn": ..., "skorch": ...,
                      "numpy": ..., "safetensors": ...}}

    Values are plain JSON, except three tagged forms that keep Python/NumPy
    types exact: ``{"__tuple__": [...]}``, ``{"__ndarray__": nested list,
    "dtype": ..., "shape": [...]}`` and ``{"__scalar__": value, "dtype": ...}``
    (dtypes from a fixed list of numeric dtypes, plus ``object`` for arrays of
    strings such as ``feature_names_in_``). Floats are written with
    :func:`repr`, so they round-trip bit for bit. A ``torch.device`` given
    as ``device`` parameter is stored as its string. The fitted scalars are
    all the estimator needs to build its network again (its
    ``_build_module`` reads only fitted attributes); every data-derived
    array (the input standardisation, the PCA path) is part of the network.

``model.safetensors``
    The network's ``state_dict`` (``net_.module_``, its scaling buffers
    included), written by :func:`safetensors.torch.save`.

Files of ``format_version`` 1 (skae 0.1) are read too: their ``mean_`` /
``scale_`` become the network's scaling buffers and their ``build`` section
the fitted ``noise_range_`` and ``batch_size_``.

Security
--------
:func:`load` never unpickles and never runs code from the file: it reads the
two members with :mod:`json` and :func:`safetensors.torch.load` only, accepts
only skae's own estimator classes (a fixed allow-list), only parameter names
the class knows, validates every parameter with the estimator's own
constraints, requires exactly the fitted attributes of the class and
validates each, accepts only finite numbers, rebuilds the network from the
parameters and requires every tensor to match it exactly (names, shapes,
dtypes) and to hold only finite values. Sizes declared in the zip directory
are not trusted: ``config.json`` is refused as soon as more bytes than its
limit have been inflated, and the stored weights must lie within the file.
Anything else raises :class:`ModelFileError` (a :class:`ValueError`).

Models that hold Python objects in their parameters (a custom
``torch.nn.Module`` encoder/decoder, an activation or optimizer class, skorch
callbacks, a ``RandomState`` instance) cannot be saved this way;
:mod:`pickle`/:mod:`joblib` still work for them (load pickles only from
trusted sources: unpickling runs code).

Version policy
--------------
Files record the versions of skae and its main dependencies. A
``format_version`` newer than this skae reads, or a file written by a
different *major* version of skae, is refused (:class:`ModelFileError`). Any
other version difference (skae minor/patch, torch, scikit-learn, skorch,
NumPy) only emits a :class:`ModelVersionWarning` (a :class:`UserWarning`):
the weights and parameters are loaded as saved, but results may differ
slightly if the libraries changed their numerics.

What is not saved: the optimizer's state and skorch's ``net_.history`` (the
curves are kept as ``loss_curve_`` and ``validation_loss_curve_``). A loaded
estimator transforms exactly like the saved one; ``warm_start``/
``partial_fit`` training continues from the saved weights with a fresh
optimizer.

Code layout: the tagged JSON codec of ``config.json`` is
:mod:`skae._json_codec`, the safe reading of the zip :mod:`skae._archive`, and
the fitted section (its validation, format 1 read as 2)
:mod:`skae._fitted_section`; this module checks versions, classes and
parameters, and ties them together in :func:`save` and :func:`load`.
"""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._archive import _CONFIG, _WEIGHTS, _Archive, _zipinfo
from ._archive import _read_capped as _read_capped  # re-exported: the tests use it
from ._base import BaseAutoencoder
from ._device import resolve_device
from ._files import atomic_write
from ._fitted_section import _fitted_attributes, _from_format_1, _restore_fitted
from ._json_codec import (
    _finite_float,
    _from_json,
    _reject_constant,
    _reject_duplicates,
    _to_json,
)
from ._version import __version__
from .exceptions import ModelFileError, ModelVersionWarning

__all__ = ["FORMAT_VERSION", "ModelFileError", "ModelVersionWarning", "load", "save"]

#: Version of the file format written by :func:`save` (and the newest :func:`load` reads).
FORMAT_VERSION = 2

_MAX_CONFIG_BYTES = 128 * 2**20

#: The only classes :func:`load` will build: name -> module that defines it.
_CLASSES = {
    "AutoencoderTransformer": "skae._transformer",
    "VariationalAutoencoderTransformer": "skae._vae",
    "AutoencoderOutlierDetector": "skae._outlier",
}

# Why a parameter may hold a Python object, for the error message.
_OBJECT_PARAMS = {
    "encoder": "a custom torch.nn.Module encoder",
    "decoder": "a custom torch.nn.Module decoder",
    "activation": "an activation class",
    "optimizer": "an optimizer class",
    "callbacks": "skorch callbacks",
    "accelerator": "an accelerate.Accelerator",
    "random_state": "a RandomState instance",
}


# ---------------------------------------------------------------------------- helpers
def _classes_allowed():
    return sorted(_CLASSES)


def _resolve_class(name):
    """Look ``name`` up in the fixed allow-list only; never import anything.

    The classes register themselves with :class:`BaseAutoencoder` when their
    module is imported (``import skae`` imports them all); a class of that
    name defined elsewhere (a user's subclass) is refused.
    """
    if not isinstance(name, str) or name not in _CLASSES:
        raise ModelFileError(
            f"Unknown estimator class {name!r:.80}; skae loads only {_classes_allowed()}."
        )
    cls = BaseAutoencoder._registry.get(name)
    if cls is None or cls.__module__ != _CLASSES[name]:
        raise ModelFileError(f"Estimator class {name!r} is not available in this version of skae.")
    return cls


def _versions():
    import safetensors
    import sklearn
    import skorch

    return {
        "skae": __version__,
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "skorch": skorch.__version__,
        "numpy": np.__version__,
        "safetensors": safetensors.__version__,
    }


def _major(version):
    return str(version).split(".", 1)[0]


def _unwrap(module):
    """The plain module behind ``torch.compile`` (its state_dict keys have no prefix)."""
    return getattr(module, "_orig_mod", module)


def _non_finite(tensors):
    """Names of the floating-point tensors of ``tensors`` that hold NaN or infinity."""
    return sorted(
        k for k, t in tensors.items() if t.is_floating_point() and not bool(torch.isfinite(t).all())
    )


# ---------------------------------------------------------------------------- save
def save(estimator, path):
    """Save a fitted skae estimator to a single zip file, without pickle.

    The file holds ``config.json`` (class, parameters, fitted attributes,
    library versions) and ``model.safetensors`` (the network's weights); see
    the module documentation of ``skae._persistence`` for the format. It is
    written atomically: to a temporary file in the same directory, renamed
    over ``path`` only once complete.

    Parameters
    ----------
    estimator : AutoencoderTransformer, VariationalAutoencoderTransformer or \
AutoencoderOutlierDetector
        A fitted estimator of one of skae's own classes (not a subclass).
    path : str or os.PathLike
        Destination file; ``.zip`` is the conventional suffix. Overwritten if
        it exists.

    Returns
    -------
    path : pathlib.Path
        The path written.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    TypeError
        If a parameter holds a Python object (custom module, activation or
        optimizer class, callbacks, ``RandomState`` instance) or the class is
        not one of skae's; :mod:`pickle`/:mod:`joblib` still work for those.
    ValueError
        If a parameter, fitted attribute or weight is NaN or infinite (a file
        :func:`load` would refuse); nothing is written then.

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from skae import AutoencoderTransformer, load
    >>> X = np.random.RandomState(0).rand(50, 8)
    >>> ae = AutoencoderTransformer(hidden_layer_sizes=(16,), max_epochs=2,
    ...                             random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = ae.save(os.path.join(tmp, "ae.zip"))
    ...     ae2 = load(path)
    >>> bool(np.array_equal(ae.transform(X), ae2.transform(X)))
    True
    """
    from safetensors.torch import save as st_save

    if not isinstance(estimator, BaseAutoencoder):
        raise TypeError(f"save expects a skae estimator, got {type(estimator).__name__}.")
    check_is_fitted(estimator)
    name = type(estimator).__name__
    if name not in _CLASSES or _resolve_class(name) is not type(estimator):
        raise TypeError(
            f"Only skae's own estimator classes {_classes_allowed()} can be saved with "
            f"save(); {type(estimator).__qualname__} is not one of them. Use pickle or "
            "joblib.dump for subclasses."
        )

    params = {}
    for key, value in estimator.get_params(deep=False).items():
        if key == "device" and isinstance(value, torch.device):
            value = str(value)
        try:
            params[key] = _to_json(value, f"parameter {key!r}")
        except TypeError:
            what = _OBJECT_PARAMS.get(key, f"a {type(value).__name__} object")
            raise TypeError(
                f"Cannot save {name} with save(): parameter {key}={value!r:.80} is {what}, "
                "which has no safe file representation. Use a built-in option (a string or "
                "an int) for it, or save the model with pickle or joblib.dump, which still "
                "work for such models (load pickles only from trusted sources)."
            ) from None

    fitted = {}
    for key, value in _fitted_attributes(estimator).items():
        try:
            fitted[key] = _to_json(value, f"fitted attribute {key!r}")
        except TypeError as exc:
            raise TypeError(
                f"Cannot save {name} with save(): {exc} Use pickle or joblib.dump instead."
            ) from None

    module = _unwrap(estimator.net_.module_)
    state = {
        k: v.detach().to("cpu", copy=True).contiguous() for k, v in module.state_dict().items()
    }
    bad = _non_finite(state)
    if bad:
        raise ValueError(
            f"Cannot save {name}: the network's weights {bad[:5]!r:.200} hold NaN or "
            "infinite values (did training diverge?); load() would refuse the file."
        )
    weights = st_save(state, metadata={"format": "skae"})
    config = {
        "format": "skae",
        "format_version": FORMAT_VERSION,
        "class": name,
        "params": params,
        "fitted": fitted,
        "versions": _versions(),
    }
    try:
        text = json.dumps(config, indent=1, allow_nan=False)
    except ValueError:
        raise ValueError(
            f"Cannot save {name}: a parameter or fitted attribute is NaN or infinite."
        ) from None

    def write(f):
        with zipfile.ZipFile(f, "w") as zf:
            zf.writestr(_zipinfo(_CONFIG, compress=True), text.encode("utf-8"))
            zf.writestr(_zipinfo(_WEIGHTS, compress=False), weights)

    atomic_write(path, write)
    return Path(path)


# ---------------------------------------------------------------------------- load
def _parse_config(raw, path):
    try:
        config = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
        )
    except ModelFileError:
        raise
    except (ValueError, RecursionError) as exc:  # incl. too many digits in an int
        raise ModelFileError(f"{path}: {_CONFIG} is not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"{path}: {_CONFIG} must hold a JSON object.")
    if config.get("format") != "skae":
        raise ModelFileError(f"{path} is not a skae model file (format != 'skae').")
    version = config.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path}: invalid format_version {version!r:.40}.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses file format version {version}, newer than the version "
            f"{FORMAT_VERSION} this skae reads. Upgrade skae to load it."
        )
    expected = {"format", "format_version", "class", "params", "fitted", "versions"}
    if version == 1:
        expected.add("build")
    if set(config) != expected:
        raise ModelFileError(
            f"{path}: {_CONFIG} must have exactly the keys {sorted(expected)}, "
            f"got {sorted(config)!r:.200}."
        )
    for key in expected - {"format", "format_version", "class"}:
        if not isinstance(config[key], dict):
            raise ModelFileError(f"{path}: {key!r} must be a JSON object.")
    return config


def _check_versions(saved, path):
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in saved.items()):
        raise ModelFileError(f"{path}: 'versions' must map names to version strings.")
    current = _versions()
    if "skae" not in saved:
        raise ModelFileError(f"{path}: the skae version that wrote the file is missing.")
    if _major(saved["skae"]) != _major(current["skae"]):
        raise ModelFileError(
            f"{path} was written by skae {saved['skae']}; this is skae {current['skae']}, "
            "a different major version whose files are not compatible. Load it with "
            f"skae {_major(saved['skae'])}.x."
        )
    differ = [
        f"{lib} {saved[lib]} (now {current[lib]})"
        for lib in ("skae", "torch", "sklearn", "skorch", "numpy")
        if lib in saved and saved[lib] != current[lib]
    ]
    if differ:
        warnings.warn(
            f"{path} was saved with other library versions: {', '.join(differ)}. The model "
            "is loaded as saved, but results may differ slightly if the libraries changed.",
            ModelVersionWarning,
            stacklevel=3,
        )


def _build_estimator(cls, raw_params, path):
    from sklearn.utils._param_validation import InvalidParameterError

    known = set(cls._get_param_names())
    unknown = sorted(set(raw_params) - known)
    if unknown:
        raise ModelFileError(
            f"{path}: unknown parameter(s) {unknown!r:.200} for {cls.__name__}; "
            f"expected a subset of {sorted(known)}."
        )
    params = {k: _from_json(v, f"parameter {k!r}") for k, v in raw_params.items()}
    estimator = cls(**params)
    try:
        estimator._validate_params()
    except (InvalidParameterError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: invalid parameter in the file: {exc}") from None
    return estimator


def _target_device(saved, requested):
    if requested is not None:
        return resolve_device(requested).type
    if saved == "cuda" and torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if saved == "mps" and mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def _load_tensors(raw, path):
    from safetensors.torch import load as st_load

    try:
        return st_load(raw)
    except Exception as exc:  # SafetensorError and friends: never trust the bytes
        raise ModelFileError(f"{path}: {_WEIGHTS} is not a valid safetensors file: {exc}") from None


def _check_tensors(tensors, expected, path):
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise ModelFileError(
            f"{path}: the weights do not match the network the parameters describe "
            f"(missing {missing[:5]!r:.200}, unexpected {extra[:5]!r:.200})."
        )
    for key, ref in expected.items():
        t = tensors[key]
        if t.shape != ref.shape or t.dtype != ref.dtype:
            raise ModelFileError(
                f"{path}: tensor {key!r} has shape {tuple(t.shape)} and dtype {t.dtype}; "
                f"the network needs {tuple(ref.shape)} and {ref.dtype}."
            )


def load(path, *, device=None):
    """Load an estimator saved by :func:`save`, without unpickling or running code.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.
    device : str or torch.device, default=None
        Where to put the network. ``None`` keeps the saved ``device_`` when
        that device is available here and falls back to the CPU otherwise
        (a model trained on CUDA loads on a CPU-only machine).

    Returns
    -------
    estimator : AutoencoderTransformer, VariationalAutoencoderTransformer or \
AutoencoderOutlierDetector
        The fitted estimator, in eval mode; ``transform``,
        ``inverse_transform`` and ``score_samples`` give the same results as
        the saved estimator on the same device.

    Raises
    ------
    ModelFileError
        (a :class:`ValueError`) if the file is not a valid skae model file:
        not a zip, truncated, members missing or extra, unknown class or
        parameter, invalid values, weights that do not fit the network, a
        newer format version or another major version of skae.
    FileNotFoundError
        If ``path`` does not exist.

    Warns
    -----
    ModelVersionWarning
        If skae, torch, scikit-learn, skorch or NumPy versions differ from
        those that wrote the file.

    See Also
    --------
    save : Write the file.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from skae import AutoencoderTransformer, load
    >>> X = np.random.RandomState(0).rand(50, 8)
    >>> ae = AutoencoderTransformer(hidden_layer_sizes=(16,), max_epochs=2,
    ...                             random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ae2 = load(ae.save(os.path.join(tmp, "ae.zip")))
    >>> ae2
    AutoencoderTransformer(hidden_layer_sizes=(16,), max_epochs=2, random_state=0)
    >>> bool(np.array_equal(ae.inverse_transform(ae.transform(X)),
    ...                     ae2.inverse_transform(ae2.transform(X))))
    True
    """
    path = os.fspath(path)
    with _Archive(path) as archive:
        config = _parse_config(archive.read(_CONFIG, _MAX_CONFIG_BYTES), path)
        _check_versions(config["versions"], path)
        cls = _resolve_class(config["class"])
        estimator = _build_estimator(cls, config["params"], path)
        fitted, scaling = config["fitted"], None
        if config["format_version"] == 1:
            fitted, scaling = _from_format_1(estimator, config, path)
        _restore_fitted(estimator, fitted, path)
        # Describe the network on the "meta" device first (no memory, no RNG): the
        # weights are checked against it before anything real is allocated.
        with torch.random.fork_rng(devices=[]), torch.device("meta"):
            try:
                probe = estimator._build_module()
            except (TypeError, ValueError, RuntimeError) as exc:
                raise ModelFileError(f"{path}: cannot build the network: {exc}") from None
        expected = _unwrap(probe).state_dict()
        if scaling is not None or config["format_version"] == 1:
            # format 1 kept the scaling outside the network
            expected = {k: v for k, v in expected.items() if not k.startswith("scaler.")}
        tensors = _load_tensors(archive.read_weights(expected), path)
    _check_tensors(tensors, expected, path)
    bad = _non_finite(tensors)
    if bad:
        raise ModelFileError(f"{path}: the weights {bad[:5]!r:.200} hold NaN or infinite values.")
    if config["format_version"] == 1:
        n = estimator.n_features_in_
        shift, scale = scaling if scaling is not None else (np.zeros(n), np.ones(n))
        tensors["scaler.shift"] = torch.as_tensor(shift, dtype=torch.float32)
        tensors["scaler.scale"] = torch.as_tensor(scale, dtype=torch.float32)

    estimator.device_ = _target_device(estimator.device_, device)
    devices = [torch.device(estimator.device_)] if estimator.device_ == "cuda" else []
    # Building initialises random weights (overwritten below): keep the global RNG as is.
    with torch.random.fork_rng(devices=devices, device_type=estimator.device_):
        try:
            estimator.net_ = estimator._build_net(estimator._build_module())
            estimator.net_.initialize()
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ModelFileError(f"{path}: cannot build the network: {exc}") from None
    module = _unwrap(estimator.net_.module_)
    _check_tensors(tensors, module.state_dict(), path)
    with torch.no_grad():
        module.load_state_dict(tensors, strict=True)
    estimator.net_.module_.eval()
    return estimator
