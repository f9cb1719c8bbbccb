# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The tagged JSON codec of ``config.json`` in skae model files.

:func:`_to_json` writes plain JSON, plus three tagged forms that keep
Python/NumPy types exact: ``{"__tuple__": [...]}``, ``{"__ndarray__": nested
list, "dtype": ..., "shape": [...]}`` and ``{"__scalar__": value, "dtype":
...}``, with dtypes from the fixed list ``_DTYPES`` (``object`` only for 1-D
arrays of strings). :func:`_from_json` reads exactly that back and refuses
anything else (unknown tags, other dtypes, ragged or mis-shaped arrays, deep
nesting) with a :class:`~skae.exceptions.ModelFileError`. The
:func:`json.loads` hooks ``_reject_duplicates``, ``_reject_constant`` and
``_finite_float`` refuse repeated keys, ``NaN``/``Infinity`` and numbers that
overflow to infinity.

>>> import numpy as np
>>> value = {"shape": (2, 3), "x": np.arange(3, dtype=np.int8), "s": np.float32(0.5)}
>>> back = _from_json(_to_json(value, "value"), "value")
>>> back["shape"], back["x"].dtype, type(back["s"]).__name__
((2, 3), dtype('int8'), 'float32')
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from .exceptions import ModelFileError

_MAX_DEPTH = 32

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
