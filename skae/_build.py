# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Building the network and its skorch net from the fitted attributes; the subclass hooks.

A mixin of :class:`~skae._base.BaseAutoencoder`: the checks of parameters
that ``_parameter_constraints`` cannot express, the output activation, loss
and standardisation chosen from the training data, the module (from fitted
attributes only, so that loading a saved model builds the same one) and the
skorch net around it. The hooks a subclass overrides are here too.
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np
import torch
from skorch.callbacks import Callback, PassthroughScoring, ProgressBar

from ._data import BatchIterator
from ._net import (
    _AutoencoderNet,
    _DivergenceCheck,
    _EarlyStopping,
    _RegularizedValidation,
    optimizer_class,
    silent,
)
from .nn import AutoencoderLoss, build_autoencoder

__all__ = ["BuildMixin"]


class BuildMixin:
    """Builds an estimator's module and skorch net; holds the subclass hooks."""

    # ------------------------------------------------------------------ checks
    def _check_structure(self):
        """Validate parameters that ``_parameter_constraints`` cannot express."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral):
            sizes = (sizes,)
        sizes = tuple(sizes)
        if not all(_positive_int(s) for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be a sequence of positive integers, got {sizes!r}."
            )
        channels = tuple(self.conv_channels)
        if self.architecture == "conv":
            if self.kernel_size % 2 == 0:
                raise ValueError(
                    f"kernel_size must be odd for architecture='conv' (padding kernel_size // 2 "
                    f"keeps the sizes mirrored), got {self.kernel_size}."
                )
            if not channels or not all(_positive_int(c) for c in channels):
                raise ValueError(
                    f"conv_channels must be a non-empty sequence of positive integers, "
                    f"got {channels!r}."
                )
            if self.input_shape is None:
                raise ValueError(
                    "architecture='conv' needs input_shape, e.g. (28, 28) or (3, 32, 32)."
                )
            shape = tuple(self.input_shape)
            if len(shape) == 2:
                shape = (1, *shape)
            ok = len(shape) == 3 and all(
                isinstance(s, Integral) and (s > 0 or s == -1) for s in shape
            )
            if not ok or shape.count(-1) > 1:
                raise ValueError(
                    "input_shape must be (height, width) or (channels, height, width) with "
                    f"positive integers (one may be -1), got {self.input_shape!r}."
                )
            if -1 in shape:
                known = -math.prod(shape)
                if self.n_features_in_ % known:
                    raise ValueError(
                        f"input_shape={tuple(self.input_shape)} cannot hold rows of "
                        f"{self.n_features_in_} features."
                    )
                shape = tuple(self.n_features_in_ // known if s == -1 else s for s in shape)
            if math.prod(shape) != self.n_features_in_:
                raise ValueError(
                    f"input_shape={tuple(self.input_shape)} holds {math.prod(shape)} values per "
                    f"row but X has {self.n_features_in_} features."
                )
            return sizes, shape
        return sizes, None

    def _resolve_output(self, X):
        """Pick output activation, loss and standardisation from the training data."""
        lo, hi = float(np.min(X)), float(np.max(X))
        in_unit = lo >= 0.0 and hi <= 1.0
        in_sym = lo >= -1.0 and hi <= 1.0
        out = self.output_activation
        if self.init_ == "pca":
            if out in ("sigmoid", "tanh") or self.loss == "bce":
                raise ValueError(
                    f"output_activation={out!r} and loss={self.loss!r} need init='random': "
                    "a PCA-anchored network (init='pca') reconstructs linearly and trains "
                    "on the squared error; with output_activation='auto' its output is "
                    "clipped to [0, 1] or [-1, 1] for data in that range."
                )
            if out == "auto":
                out = "clip" if in_sym else "identity"
            return out, "mse", out == "identity" and not in_sym, (lo, hi)
        if out == "auto":
            out = "sigmoid" if in_unit else ("tanh" if in_sym else "identity")
        elif out == "sigmoid" and not in_unit:
            raise ValueError(
                f"output_activation='sigmoid' outputs values in (0, 1) but X ranges over "
                f"[{lo:g}, {hi:g}]. Scale X to [0, 1] or use output_activation='identity'."
            )
        elif out == "tanh" and not in_sym:
            raise ValueError(
                f"output_activation='tanh' outputs values in (-1, 1) but X ranges over "
                f"[{lo:g}, {hi:g}]. Scale X to [-1, 1] or use output_activation='identity'."
            )
        loss = self.loss
        if loss == "auto":
            loss = "bce" if out == "sigmoid" else "mse"
        elif loss == "bce" and (not in_unit or out != "sigmoid"):
            raise ValueError(
                "loss='bce' needs X in [0, 1] and output_activation 'sigmoid' or 'auto'; "
                f"X ranges over [{lo:g}, {hi:g}] and output_activation={out!r}."
            )
        standardize = out == "identity" and not in_sym
        return out, loss, standardize, (lo, hi)

    # ------------------------------------------------------------------ building
    def _init_candidates(self, X):
        """The starts ``fit`` tries, best first: ``init``, or those ``"auto"`` picks.

        ``"auto"`` tries the PCA-anchored start where the anchored module
        applies (dense, non-variational, built-in parts, a linear output and
        the squared error). The random start follows only where it is another
        model, not the same network without the PCA path: on data in [0, 1] or
        [-1, 1] (with ``output_activation="auto"``) it gets a sigmoid/tanh
        output (and binary cross-entropy), which wins on images (MNIST, 32-D
        codes). On other data it is the anchored network without its PCA
        path: on the 34 standardised table/size pairs of
        ``benchmarks/tables.py`` it lowered the test error of 4 (pendigits
        k=2 and 4, musk k=2, vowels k=2; by 5-12 %, geometric mean over the
        ODDS tables 0.471 -> 0.466) at twice the fit time, so it is not
        trained there.
        """
        if self.init != "auto":
            return [self.init]
        if not self._anchorable():
            return ["random"]
        lo, hi = float(np.min(X)), float(np.max(X))
        bounded = self.output_activation == "auto" and lo >= -1.0 and hi <= 1.0
        return ["pca", "random"] if bounded else ["pca"]

    # ------------------------------------------------------------------ subclass hooks
    def _anchorable(self):
        """Whether the PCA-anchored module applies: dense built-in parts, linear output, MSE."""
        dense = self.architecture == "mlp" and self.encoder is None and self.decoder is None
        linear = self.output_activation in ("auto", "identity") and self.loss in ("auto", "mse")
        return dense and linear

    def _latent_regularizer(self, data, valid):
        """An extra training loss on the codes, or ``None`` (a subclass hook).

        Called once per fit with the training and validation rows
        (:class:`~skae._data.ArrayDataset`, ``valid`` may be ``None``), inside
        the fit's seeded random state; returns a callable ``(module) -> (name,
        weight, value)`` the net adds to every training step's loss, with a
        ``validation_loss(module)`` method whose value (times ``weight``) is
        added to each epoch's ``valid_loss`` (see ``_AutoencoderNet``), e.g.
        the UMAP graph term of :class:`~skae.AutoencoderTransformer`.
        """
        return None

    def _learning_rate_decay(self):
        """``(factor, times)`` of a learning-rate decay on stalls, or ``None`` (a hook).

        With early stopping, the first ``times`` times ``valid_loss`` has not
        improved for ``n_iter_no_change`` epochs, the learning rate is
        multiplied by ``factor`` instead of stopping (scikit-learn's
        ``learning_rate="adaptive"``). ``None``: a constant learning rate.
        """
        return None

    def _anchored_min_batch(self):
        """Smallest ``batch_size="auto"`` of the PCA-anchored start (a subclass hook).

        64: on the 34 standardised table fits of ``benchmarks/tables.py`` the
        same geometric-mean error as 32 in 0.6x the time
        (``tables-anchored-batch-64-2026-12-02.md``); the random start keeps 32
        (64 lowered digits' 2-D accuracy from 0.76 to 0.72).
        """
        return 64

    def _module_options(self):
        """Extra keyword arguments of :func:`~skae.nn.build_autoencoder` (a subclass hook)."""
        return {}

    def _code_width(self):
        """Width of the encoder's output (a subclass hook: the VAE's is twice the code)."""
        return self.n_components_

    def _log_terms(self):
        """Loss terms logged per epoch besides the total (a subclass hook)."""
        return ["reconstruction", "latent_l1"] if self.latent_l1 > 0 else []

    def _criterion_options(self):
        """Extra keyword arguments of :class:`~skae.nn.AutoencoderLoss` (a subclass hook)."""
        return {}

    def _batch_size(self, n_train):
        if self.batch_size != "auto":
            return self.batch_size
        # About n_train / 200 rows per batch, a power of two from 32 to 512: small
        # tables get enough optimizer steps per epoch, large data fast epochs. The
        # PCA-anchored start begins at a good solution and needs fewer steps
        # (_anchored_min_batch, a subclass hook).
        smallest = self._anchored_min_batch() if getattr(self, "init_", None) == "pca" else 32
        return int(np.clip(2 ** np.round(np.log2(max(n_train, 1) / 200)), smallest, 512))

    def _build_module(self, scaling=None):
        """A new, untrained autoencoder module from the fitted attributes.

        Reads ``n_features_in_``, ``n_components_``, ``hidden_layer_sizes_``,
        ``input_shape_``, ``output_activation_``, ``init_`` and
        ``noise_range_`` (never a hyperparameter that names fitted state), so
        that loading a saved model builds the same module. ``scaling`` is the
        ``(mean, std)`` of the input standardisation the module holds, or
        ``None``. Records the parameters that define it (``_structure_``):
        continuing training (warm start, ``partial_fit``) needs them unchanged.
        """
        self._structure_ = self._structure()
        noise_range = self.noise_range_
        module = build_autoencoder(
            self.n_features_in_,
            self.n_components_,
            architecture=self.architecture,
            hidden_layer_sizes=self.hidden_layer_sizes_,
            activation=self.activation,
            output_activation=self.output_activation_,
            batch_norm=self.batch_norm,
            dropout=self.dropout,
            input_shape=self.input_shape_,
            conv_channels=tuple(self.conv_channels),
            kernel_size=self.kernel_size,
            downsample=self.downsample,
            noise=self.noise,
            noise_level=self.noise_level,
            noise_range=noise_range,
            encoder=self.encoder,
            decoder=self.decoder,
            init=self.init_,
            # the range of a clipped output: [0, 1] or [-1, 1], as the data's
            output_range=(0.0, 1.0) if noise_range[0] >= 0 else (-1.0, 1.0),
            # every module the estimators build holds a scaler (the identity when
            # they do not standardise), so that its structure never depends on data
            standardize=scaling
            or (torch.zeros(self.n_features_in_), torch.ones(self.n_features_in_)),
            **self._module_options(),
        )
        if self.encoder is not None or self.decoder is not None:
            self._check_parts(module)
        return module

    def _build_net(self, module, *, learning_rate=None):
        """The skorch net that trains ``module`` with the current training settings."""
        lr = self.learning_rate if learning_rate is None else learning_rate
        criterion = AutoencoderLoss(
            self.loss_,
            output_activation=module.output_activation,
            latent_l1=self.latent_l1,
            **self._criterion_options(),
        )
        callbacks = [("divergence", _DivergenceCheck(lr))]
        log_terms = list(dict.fromkeys(self._log_terms()))
        prefixes = ["train"] + (["valid"] if self.early_stopping else [])
        for term in log_terms:
            for prefix in prefixes:
                name = f"{prefix}_{term}"
                callbacks.append((name, PassthroughScoring(name, on_train=prefix == "train")))
        acc = self.accelerator
        if acc is not None and acc.num_processes > 1:
            from ._accelerate import _SyncScores

            # After the scorings, before the divergence check: every process must
            # take the same decisions from the same scores.
            keys = [f"{p}_{t}" for p in ("train", "valid") for t in ("loss", *log_terms)]
            callbacks = [*callbacks[1:], ("sync_scores", _SyncScores(acc, keys)), callbacks[0]]
        # With several processes only the main one prints.
        main_process = acc is None or acc.is_main_process
        if self.early_stopping:
            callbacks.append(("regularized_validation", _RegularizedValidation()))
            callbacks.append(
                (
                    "early_stopping",
                    _EarlyStopping(
                        patience=self.n_iter_no_change,
                        tol=self.tol,
                        sink=print if self.verbose and main_process else None,
                        decay=self._learning_rate_decay(),
                    ),
                )
            )
        if self.verbose and main_process:
            callbacks.append(("progress_bar", ProgressBar()))
        for i, cb in enumerate(self.callbacks or []):
            name, obj = cb if isinstance(cb, tuple) and len(cb) == 2 else (f"user_{i}", cb)
            is_cb = isinstance(obj, Callback) or (
                isinstance(obj, type) and issubclass(obj, Callback)
            )
            if not (isinstance(name, str) and is_cb):
                raise TypeError(
                    "callbacks must be a list of skorch Callback instances or "
                    f"(name, callback) tuples; entry {i} is {cb!r}."
                )
            callbacks.append((name, obj))

        optimizer, options = optimizer_class(self.optimizer, self.weight_decay, self.device_)
        optimizer_kwargs = {f"optimizer__{k}": v for k, v in options.items()}
        net_cls, net_kwargs = _AutoencoderNet, {"device": self.device_}
        if acc is not None:
            from ._accelerate import net_options

            net_cls, net_kwargs = net_options(acc)
        # AccelerateMixin always configures the print_log callback: silence it
        # instead of removing it.
        quiet = {"callbacks__print_log": None}
        if acc is not None:
            quiet = {"callbacks__print_log__sink": silent}
        return net_cls(
            module=module,
            criterion=criterion,
            optimizer=optimizer,
            **optimizer_kwargs,
            lr=lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size_,
            iterator_train=BatchIterator,
            iterator_valid=BatchIterator,
            iterator_train__shuffle=True,
            train_split=None,
            callbacks=callbacks,
            # Outputs are post-processed by the estimator itself; never let skorch
            # apply a sigmoid/softmax behind our back.
            predict_nonlinearity=None,
            verbose=int(self.verbose),
            compile=self.compile,
            log_terms=tuple(log_terms),
            precision=self.precision,
            **net_kwargs,
            **({} if self.verbose else quiet),
        )

    def _check_parts(self, module):
        """Dry-run custom encoder/decoder on two zero rows and check their widths."""
        n_code = self._code_width()
        checks = [
            ("encoder", module.encoder, self.n_features_in_, n_code),
            ("decoder", module.decoder, self.n_components_, self.n_features_in_),
        ]
        was_training = module.training
        module.eval()
        try:
            for name, part, n_in, n_out in checks:
                with torch.no_grad():
                    try:
                        out = part(torch.zeros(2, n_in))
                    except RuntimeError as exc:
                        raise ValueError(
                            f"The {name} failed on a batch of shape (2, {n_in}): {exc}"
                        ) from exc
                if tuple(out.shape) != (2, n_out):
                    raise ValueError(
                        f"The {name} must map (batch, {n_in}) to (batch, {n_out}) "
                        f"(n_features_in_={self.n_features_in_}, "
                        f"n_components={self.n_components_}); it returned shape "
                        f"{tuple(out.shape)} for input (2, {n_in})."
                    )
        finally:
            module.train(was_training)


def _positive_int(value) -> bool:
    """A positive integer, and not a boolean (``True`` is an ``Integral`` in Python)."""
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_)) and value > 0
