# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The ``fitted`` section of a skae model file: what it must hold, and format 1 read as 2.

:func:`_fitted_attributes` lists the fitted attributes :func:`skae.load`
requires (every estimator's, plus those some classes add; the network itself
is stored as weights). :func:`_restore_fitted` decodes and validates each of
them (types, ranges, shapes, finite numbers) before setting it on the
estimator. :func:`_from_format_1` turns the fitted and ``build`` sections of a
format-1 file (skae 0.1) into a format-2 fitted section and its scaling
constants. Anything unexpected is a :class:`~skae.exceptions.ModelFileError`.
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np

from ._json_codec import _from_json, _to_json
from .exceptions import ModelFileError

#: The fitted scalars of the estimators added after format 1, with the value
#: format-1 files imply.
_V1_DEFAULTS = {"init_": "random"}

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
_FITTED_EXTRA = {
    "AutoencoderOutlierDetector": frozenset(
        {
            "offset_",
            "calibration_scores_",
            "outlier_score_",
            "residual_var_",
            "latent_mean_",
            "latent_precision_",
        }
    )
}
#: The detector's statistics of ``outlier_score="combined"``, which skae 0.1 files lack.
_SCORE_STATISTICS = ("residual_var_", "latent_mean_", "latent_precision_")
_OUTPUT_ACTIVATIONS = frozenset({"sigmoid", "tanh", "identity", "clip"})
_LOSSES = frozenset({"mse", "bce"})


def _fitted_names(cls):
    """Names of the fitted attributes of a ``cls`` estimator, except the network."""
    return _FITTED | _FITTED_EXTRA.get(cls.__name__, frozenset())


def _fitted_attributes(estimator):
    """The fitted attributes :func:`skae._persistence.save` writes, by name.

    ``feature_names_in_`` is ``None`` where scikit-learn did not define it (X
    had no string column names).
    """
    return {k: getattr(estimator, k, None) for k in sorted(_fitted_names(type(estimator)))}


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
    if "offset_" in raw:
        # skae 0.1's detector: no calibration, and its score was the reconstruction error
        raw.setdefault("calibration_scores_", None)
        for key in _SCORE_STATISTICS:
            raw.setdefault(key, None)
        if "outlier_score" not in config["params"]:
            estimator.outlier_score = "reconstruction"
        raw.setdefault("outlier_score_", estimator.outlier_score)
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
    if "outlier_score_" in names:
        need(
            "outlier_score_",
            lambda v: v in ("combined", "reconstruction"),
            "'combined' or 'reconstruction'",
        )
    if "residual_var_" in names:
        k = int(fitted["n_components_"])
        shapes = {"residual_var_": (n,), "latent_mean_": (k,), "latent_precision_": (k, k)}
        # None only where the score does not read them (skae 0.1 files)
        optional = fitted["outlier_score_"] == "reconstruction"
        for key, shape in shapes.items():
            need(
                key,
                lambda v, shape=shape, key=key: (
                    (v is None and optional)
                    or (
                        isinstance(v, np.ndarray)
                        and v.dtype == np.float64
                        and v.shape == shape
                        and bool(np.all(np.isfinite(v)))
                        and (key != "residual_var_" or bool(np.all(v > 0)))
                    )
                ),
                f"a finite float64 array of shape {shape}",
            )

    for key, value in fitted.items():
        if key == "feature_names_in_" and value is None:
            continue  # scikit-learn defines it only when X had string column names
        setattr(estimator, key, value)


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
