# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The autoencoder as a scikit-learn transformer."""

from __future__ import annotations

from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from ._base import BaseAutoencoder

__all__ = ["AutoencoderTransformer"]

_COMMON_PARAMS_DOC = """
    n_components : int, default=2
        Size of the code (the bottleneck).

    architecture : {"mlp", "conv"}, default="mlp"
        Built-in network. ``"conv"`` views each row as an image of
        ``input_shape`` and uses convolutional blocks (``conv_channels``,
        ``kernel_size``, ``downsample``) followed by a dense layer to the code;
        the decoder mirrors it back to exactly ``input_shape``.

    hidden_layer_sizes : tuple of int, default=(512, 256)
        Widths of the encoder's hidden layers (``"mlp"``); the decoder mirrors
        them. ``()`` gives a linear encoder and decoder.

    activation : {"relu", "leaky_relu", "gelu", "tanh", "elu", "selu"} or \
torch.nn.Module class, default="relu"
        Activation of the hidden layers.

    output_activation : {"auto", "sigmoid", "tanh", "identity"}, default="auto"
        Activation of the decoder's output. ``"auto"`` picks ``"sigmoid"`` when
        the training data lie in [0, 1], ``"tanh"`` when they lie in [-1, 1],
        and ``"identity"`` otherwise (the data are then standardised
        internally, like :class:`~sklearn.decomposition.PCA` centres them;
        outputs are always in the input's units).

    dropout : float, default=0.0
        Dropout probability after each hidden activation.

    batch_norm : bool, default=False
        Batch normalisation in each hidden block.

    input_shape : tuple of int, default=None
        ``(height, width)`` or ``(channels, height, width)`` of each row for
        ``architecture="conv"``; its product must equal ``n_features_in_``.

    conv_channels : tuple of int, default=(32, 64)
        Channels of the convolutional blocks (``"conv"``).

    kernel_size : int, default=3
        Kernel size of the convolutions (``"conv"``).

    downsample : {"maxpool", "stride"}, default="maxpool"
        How each convolutional block halves the image (``"conv"``).

    noise : {None, "gaussian", "masking", "salt_and_pepper"}, default=None
        Corruption of the input during training only (denoising autoencoder);
        the target is always the clean input and ``transform`` never adds noise.

    noise_level : float, default=0.1
        Standard deviation (``"gaussian"``, in the units the network sees: the
        input's for data in [0, 1] or [-1, 1], standard deviations otherwise)
        or fraction of corrupted inputs (``"masking"``, ``"salt_and_pepper"``).

    latent_l1 : float, default=0.0
        Weight of an L1 penalty on the codes (sparse autoencoder).

    loss : {"auto", "mse", "bce"}, default="auto"
        Training loss. ``"auto"`` is binary cross-entropy (computed on logits)
        with a sigmoid output and mean squared error otherwise. The loss is
        computed in the (possibly standardised) space the network sees.

    optimizer : str or torch.optim.Optimizer class, default="adam"
        ``"adam"``, ``"adamw"``, ``"nadam"``, ``"radam"``, ``"sgd"``,
        ``"rmsprop"``, ``"adagrad"``, or an optimizer class.

    learning_rate : float, default=1e-3
        Learning rate of the optimizer.

    weight_decay : float, default=0.0
        Weight decay (L2 penalty) passed to the optimizer.

    batch_size : int, default=64
        Rows per mini-batch.

    max_epochs : int, default=200
        Maximum number of passes over the training data.

    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training data and stop when the
        validation loss has not improved by ``tol`` (relative) for
        ``n_iter_no_change`` epochs; the best epoch's weights are restored.
        The split is internal, so cross-validation folds are untouched.

    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.

    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.

    tol : float, default=1e-4
        Minimum relative improvement of the validation loss.

    precision : {"32", "bf16", "16-mixed"}, default="32"
        Training precision. ``"bf16"`` and ``"16-mixed"`` run the forward pass
        under :func:`torch.autocast`; weights stay float32.

    compile : bool, default=False
        Compile the network with :func:`torch.compile`.

    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA when available, then MPS, else the CPU. The device
        used is stored in ``device_``; ``set_params(device=...)`` after fitting
        moves the network.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, the validation split, shuffling, dropout
        and noise. An int makes CPU fits repeatable bit for bit. The global
        torch and numpy random states are left untouched.

    verbose : int, default=0
        ``0`` is silent; ``>= 1`` prints skorch's per-epoch table and a
        progress bar over each epoch's batches.

    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks (e.g. ``skorch.callbacks.Checkpoint``).

    warm_start : bool, default=False
        When True, ``fit`` continues training the existing network instead of
        building a new one.

    encoder, decoder : torch.nn.Module instance or class, default=None
        Replace the built-in encoder/decoder. A class is called as
        ``cls(n_features_in_, n_components)`` (encoder; ``2 * n_components``
        outputs for the VAE) and ``cls(n_components, n_features_in_)``
        (decoder); an instance is deep-copied, never modified. The decoder
        returns logits; ``output_activation`` is applied on top.
"""

_COMMON_ATTRIBUTES_DOC = """
    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    net_ : skorch.NeuralNet
        The trained skorch net: ``net_.history``, ``net_.module_``,
        ``net_.save_params`` and all callbacks are there.

    encoder_, decoder_ : torch.nn.Module
        The trained encoder and decoder (views into ``net_.module_``).

    loss_curve_ : list of float
        Training loss at each epoch.

    validation_scores_ : list of float or None
        Validation loss at each epoch (lower is better; named after
        :class:`~sklearn.neural_network.MLPRegressor`'s attribute); ``None``
        when ``early_stopping=False``.

    n_iter_ : int
        Number of epochs run.

    output_activation_ : str
        Output activation used.

    loss_ : str
        Loss used (``"mse"`` or ``"bce"``).

    mean_, scale_ : ndarray of shape (n_features_in_,) or None
        Standardisation applied before the network (``None`` when the data
        are used as they are, i.e. in [-1, 1]).

    device_ : str
        Device the network lives on.
"""


class AutoencoderTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseAutoencoder):
    __doc__ = (
        """Autoencoder for dimensionality reduction, trained through skorch.

    The encoder maps each row to ``n_components`` codes (``transform``) and the
    decoder maps codes back to rows (``inverse_transform``), like
    :class:`~sklearn.decomposition.PCA` but non-linear. ``score`` is the
    negative mean squared reconstruction error, so :class:`GridSearchCV`
    can choose ``n_components`` with no scorer.

    Parameters
    ----------"""
        + _COMMON_PARAMS_DOC
        + """
    Attributes
    ----------"""
        + _COMMON_ATTRIBUTES_DOC
        + """
    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    VariationalAutoencoderTransformer : Variational autoencoder.
    AutoencoderOutlierDetector : Outlier detection by reconstruction error.

    Notes
    -----
    Training runs in float32. ``transform``, ``inverse_transform`` and
    ``score_samples`` compute in the input's dtype (float32 or float64) and
    return it, in chunks of 4096 rows under :func:`torch.inference_mode`, so
    memory stays bounded for large inputs. Sparse input is refused with a
    ``TypeError``: densify it first (autoencoders have no sparse fast path).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16.0
    >>> ae = AutoencoderTransformer(n_components=8, max_epochs=5, random_state=0)
    >>> Z = ae.fit_transform(X)
    >>> Z.shape
    (1797, 8)
    >>> ae.inverse_transform(Z).shape
    (1797, 64)
    >>> ae.score(X) < 0
    True
    """
    )

    _parameter_constraints: dict = {**BaseAutoencoder._parameter_constraints}

    def __init__(
        self,
        n_components=2,
        *,
        architecture="mlp",
        hidden_layer_sizes=(512, 256),
        activation="relu",
        output_activation="auto",
        dropout=0.0,
        batch_norm=False,
        input_shape=None,
        conv_channels=(32, 64),
        kernel_size=3,
        downsample="maxpool",
        noise=None,
        noise_level=0.1,
        latent_l1=0.0,
        loss="auto",
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        batch_size=64,
        max_epochs=200,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        precision="32",
        compile=False,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        warm_start=False,
        encoder=None,
        decoder=None,
    ):
        self.n_components = n_components
        self.architecture = architecture
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.input_shape = input_shape
        self.conv_channels = conv_channels
        self.kernel_size = kernel_size
        self.downsample = downsample
        self.noise = noise
        self.noise_level = noise_level
        self.latent_l1 = latent_l1
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.precision = precision
        self.compile = compile
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.encoder = encoder
        self.decoder = decoder

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. Not modified.
        y : Ignored
            Not used, present so the transformer fits in a supervised
            :class:`~sklearn.pipeline.Pipeline`.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._fit(X)

    def transform(self, X):
        """Encode X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            Codes, in X's floating dtype (float32 or float64).
        """
        check_is_fitted(self)
        return self._encode(self._validate_X(X, reset=False))

    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features_in_)
            Reconstructions in the units of the training data.
        """
        return self._decode(self._check_codes(X))

    def score_samples(self, X):
        """Negative mean squared reconstruction error of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-mean((X - inverse_transform(transform(X)))**2, axis=1)``;
            higher means better reconstructed (more normal).
        """
        check_is_fitted(self)
        return -self._squared_error(self._validate_X(X, reset=False))

    def score(self, X, y=None):
        """Negative mean squared reconstruction error, in the input's units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data.
        y : Ignored
            Not used.

        Returns
        -------
        score : float
            Higher is better, so :class:`~sklearn.model_selection.GridSearchCV`
            picks the best ``n_components`` without a scorer.
        """
        return float(self.score_samples(X).mean())

    @property
    def encoder_(self):
        """The trained encoder module."""
        check_is_fitted(self)
        return self.net_.module_.encoder

    @property
    def decoder_(self):
        """The trained decoder module."""
        check_is_fitted(self)
        return self.net_.module_.decoder

    @property
    def _n_features_out(self):
        return self.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
