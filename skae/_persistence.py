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
"""

from __future__ import annotations

import json
import math
import os
import warnings
import zipfile
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._base import BaseAutoencoder
from ._device import resolve_device
from ._files import atomic_write
from ._version import __version__

__all__ = ["FORMAT_VERSION", "ModelFileError", "ModelVersionWarning", "load", "save"]

#: Version of the file format written by :func:`save` (and the newest :func:`load` reads).
FORMAT_VERSION = 2

_CONFIG = "config.json"
_WEIGHTS = "model.safetensors"
_MAX_CONFIG_BYTES = 128 * 2**20
_READ_CHUNK = 2**20  # bytes inflated at a time while reading config.json
_MAX_DEPTH = 32

#: The only classes :func:`load` will build: name -> module that defines it.
_CLASSES = {
    "AutoencoderTransformer": "skae._transformer",
    "VariationalAutoencoderTransformer": "skae._vae",
    "AutoencoderOutlierDetector": "skae._outlier",
}
#: Their fitted scalars added after format 1, with the value format-1 files imply.
_V1_DEFAULTS = {"init_": "random"}

_DTYPES = frozenset(
    {
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "object",
    }
)

# The fitted attributes save writes and load requires (the network, net_, is
# saved as weights): those of every estimator, plus those some classes add.
_FITTED = frozenset(
    {
        "n_features_in_",
        "n_components_",
        "init_",
        "feature_names_in_",
        "output_activation_",
        "loss_",
        "hidden_layer_sizes_",
        "input_shape_",
        "noise_range_",
        "batch_size_",
        "device_",
        "n_iter_",
        "loss_curve_",
        "validation_loss_curve_",
    }
)
_FITTED_EXTRA = {"AutoencoderOutlierDetector": frozenset({"offset_", "calibration_scores_"})}
_OUTPUT_ACTIVATIONS = frozenset({"sigmoid", "tanh", "identity", "clip"})
_LOSSES = frozenset({"mse", "bce"})
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


class ModelFileError(ValueError):
    """A file is not a valid skae model file (corrupt, tampered with, or unsupported)."""


class ModelVersionWarning(UserWarning):
    """A model file was written with other versions of skae or its dependencies."""


# ---------------------------------------------------------------------------- JSON codec
def _to_json(value, where):
    """Encode ``value`` as JSON data, keeping tuples, arrays and NumPy scalars exact."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):
        if value.dtype.name not in _DTYPES or value.dtype.name == "object":
            raise TypeError(f"{where} has unsupported dtype {value.dtype}.")
        return {"__scalar__": value.item(), "dtype": value.dtype.name}
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(v, where) for v in value]}
    if isinstance(value, list):
        return [_to_json(v, where) for v in value]
    if isinstance(value, np.ndarray):
        name = value.dtype.name
        if name not in _DTYPES:
            raise TypeError(f"{where} is an array of unsupported dtype {value.dtype}.")
        if name == "object" and not all(isinstance(v, str) for v in value.flat):
            raise TypeError(f"{where} is an object array holding more than strings.")
        return {"__ndarray__": value.tolist(), "dtype": name, "shape": list(value.shape)}
    if isinstance(value, dict) and all(
        isinstance(k, str) and not k.startswith("__") for k in value
    ):
        return {k: _to_json(v, where) for k, v in value.items()}
    raise TypeError(f"{where} holds {type(value).__name__} {value!r:.80}, not storable as JSON.")


def _check_dtype(name, where):
    if not isinstance(name, str) or name not in _DTYPES:
        raise ModelFileError(f"{where}: unsupported dtype {name!r}.")
    return np.dtype(name)


def _from_json(value, where, depth=0):
    """Decode what :func:`_to_json` wrote; anything unexpected is a :class:`ModelFileError`."""
    if depth > _MAX_DEPTH:
        raise ModelFileError(f"{where} is nested too deeply.")
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, list):
        return [_from_json(v, where, depth + 1) for v in value]
    if not isinstance(value, dict):  # pragma: no cover - json produces nothing else
        raise ModelFileError(f"{where} holds an unexpected {type(value).__name__}.")
    if "__tuple__" in value:
        if set(value) != {"__tuple__"} or not isinstance(value["__tuple__"], list):
            raise ModelFileError(f"{where}: malformed tuple.")
        return tuple(_from_json(v, where, depth + 1) for v in value["__tuple__"])
    if "__scalar__" in value:
        if set(value) != {"__scalar__", "dtype"}:
            raise ModelFileError(f"{where}: malformed scalar.")
        dtype = _check_dtype(value["dtype"], where)
        scalar = value["__scalar__"]
        if dtype.kind == "O" or not isinstance(scalar, (bool, int, float)):
            raise ModelFileError(f"{where}: malformed scalar.")
        try:
            return dtype.type(scalar)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ModelFileError(f"{where}: malformed scalar ({exc}).") from None
    if "__ndarray__" in value:
        if set(value) != {"__ndarray__", "dtype", "shape"}:
            raise ModelFileError(f"{where}: malformed array.")
        dtype = _check_dtype(value["dtype"], where)
        shape = value["shape"]
        if not (
            isinstance(shape, list)
            and len(shape) <= _MAX_DEPTH
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)
        ):
            raise ModelFileError(f"{where}: malformed array shape {shape!r:.80}.")
        data = value["__ndarray__"]
        try:
            if dtype.kind == "O":
                # Only 1-D arrays of strings (feature_names_in_).
                if len(shape) != 1 or not (
                    isinstance(data, list) and all(isinstance(v, str) for v in data)
                ):
                    raise ValueError("object arrays may only be 1-D arrays of strings")
                arr = np.empty(len(data), dtype=object)
                arr[:] = data
            else:
                if not _numbers_only(data, depth):
                    raise ValueError("not a nested list of numbers")
                arr = np.asarray(data, dtype=dtype)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ModelFileError(f"{where}: malformed array ({exc}).") from None
        if arr.shape != tuple(shape):
            raise ModelFileError(
                f"{where}: array of shape {arr.shape} but {tuple(shape)} declared."
            )
        return arr
    if any(k.startswith("__") for k in value):
        raise ModelFileError(f"{where}: unknown tagged value {sorted(value)!r:.80}.")
    return {k: _from_json(v, f"{where}[{k!r}]", depth + 1) for k, v in value.items()}


def _numbers_only(data, depth):
    if depth > _MAX_DEPTH:
        return False
    if isinstance(data, list):
        return all(_numbers_only(v, depth + 1) for v in data)
    return isinstance(data, (bool, int, float))


def _reject_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ModelFileError("config.json repeats a key.")
    return dict(pairs)


def _reject_constant(name):
    raise ModelFileError(f"config.json holds the non-standard JSON constant {name}.")


def _finite_float(text):
    """A JSON number as a float; ``1e999`` is valid JSON but reads as infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise ModelFileError(f"config.json holds {text:.40}, which is not a finite number.")
    return value


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


def _fitted_names(cls):
    """Names of the fitted attributes of a ``cls`` estimator, except the network."""
    return _FITTED | _FITTED_EXTRA.get(cls.__name__, frozenset())


def _fitted_attributes(estimator):
    """The fitted attributes :func:`save` writes, by name.

    ``feature_names_in_`` is ``None`` where scikit-learn did not define it (X
    had no string column names).
    """
    return {k: getattr(estimator, k, None) for k in sorted(_fitted_names(type(estimator)))}


def _non_finite(tensors):
    """Names of the floating-point tensors of ``tensors`` that hold NaN or infinity."""
    return sorted(
        k for k, t in tensors.items() if t.is_floating_point() and not bool(torch.isfinite(t).all())
    )


def _read_capped(f, limit, what):
    """Read ``f`` to its end in chunks, refusing it as soon as it holds more than ``limit`` bytes.

    Returns a ``bytearray``; ``what`` names the data in the error message.
    """
    data = bytearray()
    while chunk := f.read(_READ_CHUNK):
        data += chunk
        if len(data) > limit:
            raise ModelFileError(f"{what} holds more than {limit} bytes.")
    return data


def _zipinfo(name, compress):
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


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
    >>> from skae import AutoencoderTransformer
    >>> from skae._persistence import load, save
    >>> X = np.random.RandomState(0).rand(50, 8)
    >>> ae = AutoencoderTransformer(hidden_layer_sizes=(16,), max_epochs=2,
    ...                             random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save(ae, os.path.join(tmp, "ae.zip"))
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
class _Archive:
    """Read-only access to the two members of a model file.

    Every zip-level problem (not a zip, truncated, corrupt data, members
    missing or extra, oversized members) becomes a :class:`ModelFileError`.
    Members are only ever read into memory by exact name, never extracted.
    """

    def __init__(self, path):
        self.path = path
        self._file = open(path, "rb")  # closed in close()
        try:
            self._size = os.fstat(self._file.fileno()).st_size
            self._zip = self._guard(lambda: zipfile.ZipFile(self._file))
            names = [i.filename for i in self._zip.infolist()]
            if sorted(names) != sorted([_CONFIG, _WEIGHTS]):
                raise ModelFileError(
                    f"{path} is not a skae model file: expected exactly the members "
                    f"{[_CONFIG, _WEIGHTS]}, found {names[:10]!r:.200}."
                )
        except BaseException:
            self._file.close()
            raise

    def _guard(self, fn):
        try:
            return fn()
        except ModelFileError:
            raise
        except zipfile.BadZipFile as exc:
            raise ModelFileError(
                f"{self.path} is not a valid skae model file (not a complete zip archive): {exc}"
            ) from None
        except Exception as exc:  # EOFError, zlib.error, NotImplementedError, ...
            raise ModelFileError(
                f"{self.path} is corrupt or unsupported: {type(exc).__name__}: {exc}"
            ) from None

    def read(self, name, limit):
        """Member ``name``, refused as soon as more than ``limit`` bytes are inflated.

        The size the zip directory declares is checked first, but not trusted:
        the member is inflated in chunks, counted as they come.
        """
        size = self._zip.getinfo(name).file_size
        if size > limit:
            raise ModelFileError(
                f"{self.path}: member {name} declares {size} bytes, more than the "
                f"{limit} it can hold."
            )

        def read():
            with self._zip.open(name) as member:
                return _read_capped(member, limit, f"{self.path}: member {name}")

        return self._guard(read)

    def read_weights(self, expected):
        """The weights member, which must be stored uncompressed and fit ``expected``.

        Stored (not deflated) data occupy their full size on disk, so a small
        file cannot make :func:`load` allocate a large network or buffer.
        """
        info = self._zip.getinfo(_WEIGHTS)
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            raise ModelFileError(f"{self.path}: {_WEIGHTS} must be stored uncompressed.")
        if info.header_offset + info.compress_size > self._size:
            raise ModelFileError(
                f"{self.path}: {_WEIGHTS} declares {info.compress_size} bytes, past the end "
                f"of the file ({self._size} bytes): the file is truncated or tampered with."
            )
        if expected is None:  # pragma: no cover - _build_net passed a module class
            return self._guard(lambda: self._zip.read(_WEIGHTS))
        # A safetensors file: an 8-byte header length, a JSON header, the raw data.
        data = sum(t.numel() * t.element_size() for t in expected.values())
        if not data <= info.file_size <= data + 8 + 4096 + 512 * len(expected):
            raise ModelFileError(
                f"{self.path}: {_WEIGHTS} holds {info.file_size} bytes, but the network the "
                f"parameters describe needs {data} bytes of weights."
            )
        return self._guard(lambda: self._zip.read(_WEIGHTS))

    def close(self):
        self._zip.close()
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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


def _from_format_1(estimator, config, path):
    """A format-1 file's fitted section in format 2, and its scaling constants.

    skae 0.1 kept the standardisation as ``mean_``/``scale_`` attributes and
    what ``fit`` derived to build the network in a ``build`` section; it had
    no PCA start (``init_``) and no ``n_components_`` (``n_components`` was
    used). Returns ``(fitted, (mean, scale) or None)``.
    """
    raw = dict(config["fitted"])
    noise_range, batch_size = _build_section(config["build"], path)
    try:
        hidden, input_shape = estimator._check_structure()
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: the parameters describe no valid network: {exc}") from None
    raw.setdefault("n_components_", estimator.n_components)
    for key, value in _V1_DEFAULTS.items():
        raw.setdefault(key, value)
    raw["hidden_layer_sizes_"] = _to_json(tuple(hidden), "hidden_layer_sizes_")
    raw["input_shape_"] = _to_json(input_shape, "input_shape_")
    raw["noise_range_"] = _to_json(noise_range, "noise_range_")
    raw["batch_size_"] = batch_size if batch_size is not None else 128
    if "validation_scores_" in raw:
        raw["validation_loss_curve_"] = raw.pop("validation_scores_")
    mean = _from_json(raw.pop("mean_", None), "fitted attribute 'mean_'")
    scale = _from_json(raw.pop("scale_", None), "fitted attribute 'scale_'")
    n = raw.get("n_features_in_")

    def is_vector(v, positive=False):
        return (
            isinstance(v, np.ndarray)
            and v.dtype.kind == "f"
            and v.shape == (n,)
            and bool(np.all(np.isfinite(v)))
            and (not positive or bool(np.all(v > 0)))
        )

    if (mean is None) != (scale is None) or not (
        mean is None or (is_vector(mean) and is_vector(scale, positive=True))
    ):
        raise ModelFileError(
            f"{path}: mean_ and scale_ must both be None or both hold {n} finite floats "
            "(scale_ positive)."
        )
    return raw, None if mean is None else (mean, scale)


def _restore_fitted(estimator, raw, path):
    cls = type(estimator)
    names = _fitted_names(cls)
    for key in raw:
        if key not in names:
            raise ModelFileError(
                f"{path}: {key!r:.80} is not a fitted attribute of {cls.__name__}; "
                f"expected exactly {sorted(names)}."
            )
    missing = sorted(names - set(raw))
    if missing:
        raise ModelFileError(
            f"{path}: the file is missing the fitted attribute(s) {missing} of {cls.__name__}."
        )
    fitted = {key: _from_json(value, f"fitted attribute {key!r}") for key, value in raw.items()}

    def need(key, check, what):
        if key not in fitted or not check(fitted[key]):
            raise ModelFileError(
                f"{path}: fitted attribute {key!r} must be {what}, got {fitted.get(key)!r:.80}."
            )

    def is_int(v):
        return isinstance(v, Integral) and not isinstance(v, (bool, np.bool_))

    need("n_features_in_", lambda v: is_int(v) and v >= 1, "a positive int")
    need("n_components_", lambda v: is_int(v) and v >= 1, "a positive int")
    n = int(fitted["n_features_in_"])
    need(
        "output_activation_",
        lambda v: isinstance(v, str) and v in _OUTPUT_ACTIVATIONS,
        "a known output activation",
    )
    need("loss_", lambda v: isinstance(v, str) and v in _LOSSES, "'mse' or 'bce'")
    need("init_", lambda v: v in ("pca", "random"), "'pca' or 'random'")
    need("device_", lambda v: isinstance(v, str), "a device name")
    need("n_iter_", lambda v: is_int(v) and v >= 0, "a non-negative int")

    need(
        "hidden_layer_sizes_",
        lambda v: isinstance(v, tuple) and all(is_int(h) and h >= 1 for h in v),
        "a tuple of positive ints",
    )
    need(
        "input_shape_",
        lambda v: (
            v is None
            or (isinstance(v, tuple) and len(v) == 3 and all(is_int(h) and h >= 1 for h in v))
        ),
        "None or (channels, height, width)",
    )
    need(
        "noise_range_",
        lambda v: (
            isinstance(v, tuple)
            and len(v) == 2
            and all(isinstance(h, float) and math.isfinite(h) for h in v)
        ),
        "a (low, high) tuple of finite floats",
    )
    need("batch_size_", lambda v: is_int(v) and v >= 1, "a positive int")
    need(
        "feature_names_in_",
        lambda v: (
            v is None or (isinstance(v, np.ndarray) and v.dtype == object and v.shape == (n,))
        ),
        f"None or {n} strings",
    )
    for key in ("loss_curve_", "validation_loss_curve_"):
        if fitted.get(key) is not None and not (
            isinstance(fitted[key], list) and all(isinstance(v, float) for v in fitted[key])
        ):
            raise ModelFileError(f"{path}: {key} must be a list of floats.")
    if "offset_" in names:
        need("offset_", lambda v: isinstance(v, float) and math.isfinite(v), "a finite float")
    if "calibration_scores_" in names:
        need(
            "calibration_scores_",
            lambda v: (
                v is None
                or (
                    isinstance(v, np.ndarray)
                    and v.dtype == np.float64
                    and v.ndim == 1
                    and v.size >= 1
                    and bool(np.all(np.isfinite(v)))
                    and bool(np.all(np.diff(v) >= 0))
                )
            ),
            "None or a sorted 1-D array of finite float64 scores",
        )

    for key, value in fitted.items():
        if key == "feature_names_in_" and value is None:
            continue  # scikit-learn defines it only when X had string column names
        setattr(estimator, key, value)


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
    >>> from skae import AutoencoderTransformer
    >>> from skae._persistence import load, save
    >>> X = np.random.RandomState(0).rand(50, 8)
    >>> ae = AutoencoderTransformer(hidden_layer_sizes=(16,), max_epochs=2,
    ...                             random_state=0).fit(X)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     ae2 = load(save(ae, os.path.join(tmp, "ae.zip")))
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


def _build_section(build, path):
    """``(noise_range, batch_size)`` from the file's ``build`` section."""
    noise_range = build.get("noise_range")
    batch_size = build.get("batch_size")
    if not (
        set(build) <= {"noise_range", "batch_size"}
        and (
            noise_range is None
            or (
                isinstance(noise_range, list)
                and len(noise_range) == 2
                and all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                    for v in noise_range
                )
            )
        )
        and (
            batch_size is None
            or (isinstance(batch_size, int) and not isinstance(batch_size, bool) and batch_size > 0)
        )
    ):
        raise ModelFileError(f"{path}: malformed 'build' section.")
    noise_range = (0.0, 1.0) if noise_range is None else tuple(map(float, noise_range))
    return noise_range, batch_size
