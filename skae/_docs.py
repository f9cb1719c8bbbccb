# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Parameter and attribute documentation shared by the estimators' docstrings."""

COMMON_PARAMS_DOC = """
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
        outputs are always in the input's units). With ``init="pca"``,
        ``"auto"`` is linear, clipped to [0, 1] or [-1, 1] for such data
        (``output_activation_="clip"``); ``"sigmoid"`` and ``"tanh"`` need
        ``init="random"``.

    dropout : float, default=0.0
        Dropout probability after each hidden activation.

    batch_norm : bool, default=False
        Batch normalisation in each hidden block.

    input_shape : tuple of int, default=None
        ``(height, width)`` or ``(channels, height, width)`` of each row for
        ``architecture="conv"``; its product must equal ``n_features_in_``.
        One entry may be ``-1`` and is inferred, as in :func:`numpy.reshape`
        (e.g. ``(1, -1)`` treats each row as a 1-D signal).

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
        ``init="pca"`` trains on the mean squared error.

    optimizer : str or torch.optim.Optimizer class, default="adam"
        ``"adam"``, ``"adamw"``, ``"nadam"``, ``"radam"``, ``"sgd"``,
        ``"rmsprop"``, ``"adagrad"``, or an optimizer class.

    learning_rate : float, default=1e-3
        Learning rate of the optimizer.

    weight_decay : float, default=0.0
        Weight decay (L2 penalty) passed to the optimizer.

    batch_size : int or "auto", default="auto"
        Rows per mini-batch. ``"auto"`` is the power of two nearest to
        ``n_train / 200``, clipped to [32, 512] for a randomly initialised
        network: 32 for tables of up to about 9,000 rows (enough optimizer
        steps per epoch: on digits in [0, 1] 32 gave better 2-D codes than
        16 or 64), 256 for MNIST's 54,000 training rows. The transformers'
        PCA-anchored start (``init_="pca"``, without a
        ``latent_regularizer``) begins at PCA's solution and takes at least
        64 rows per batch: on the 34 standardised benchmark
        table fits that reached the same geometric-mean error as 32 in 0.6
        times the time. The outlier detector keeps 32 (64 lowered its
        ROC-AUC on the benchmark tables).

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
        used is stored in ``device_``; :meth:`to_device` after fitting
        moves the network.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, the validation split, shuffling, dropout
        and noise. An int makes CPU fits repeatable bit for bit. The global
        torch and numpy random states are left untouched.

    verbose : int, default=0
        ``0`` is silent; ``>= 1`` prints skorch's per-epoch table and a
        progress bar over each epoch's batches.

    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks (e.g. ``skorch.callbacks.Checkpoint``). With
        ``init="auto"`` on data in [0, 1] or [-1, 1] the transformers train
        two starts, each with these callbacks: a ``Checkpoint``'s files then
        belong to the last start trained, which may not be the one kept
        (``init_``). Set ``init`` to ``"pca"`` or ``"random"`` to train one
        network.

    accelerator : accelerate.Accelerator, default=None
        Train through Hugging Face ``accelerate`` (skorch's
        :class:`skorch.hf.AccelerateMixin`; ``pip install skae[accelerate]``):
        data-parallel training on several GPUs when the script is started with
        ``accelerate launch``, mixed precision with
        ``Accelerator(mixed_precision="bf16")``. ``device`` is then ignored:
        the accelerator places the network and ``device_`` is
        ``accelerator.device.type``; ``precision`` must stay ``"32"``. In a
        single process training is the same computation as without an
        accelerator. With several processes every process must call ``fit``
        with the same data and ``random_state`` (``None`` uses process 0's
        seed everywhere): each process trains on its own shard of each
        epoch's shuffled rows, padded so that all shards have the same number
        of batches, and ``batch_size`` is per process; noise, dropout and VAE
        samples differ between processes. Early stopping validates on the
        whole validation set in every process, and the epoch scores are
        averaged over the processes, so all stop at the same epoch and keep
        the same weights. After training (``fit``, ``partial_fit``) the
        network is unwrapped, so ``transform``, ``score_samples`` and the
        other methods work as usual in every process. The accelerator is
        pickled with the estimator (loading needs ``accelerate``); :meth:`save`
        refuses it: ``set_params(accelerator=None)`` first. Continuing
        training (``warm_start``, ``partial_fit``) needs the accelerator the
        network was built with. See ``examples/accelerate_data_parallel.py``.

    warm_start : bool, default=False
        When True, ``fit`` continues training the existing network instead of
        building a new one.

    encoder, decoder : torch.nn.Module instance or class, default=None
        Replace the built-in encoder/decoder. A class is called as
        ``cls(n_features_in_, n_components)`` (encoder; ``2 * n_components``
        outputs for the VAE) and ``cls(n_components, n_features_in_)``
        (decoder); an instance is deep-copied, never modified. The decoder
        returns logits; ``output_activation`` is applied on top.

    init : {"auto", "pca", "random"}, default="auto"
        How the dense network starts. ``"pca"``: a linear PCA path plus
        nonlinear corrections (:class:`~skae.nn.AnchoredEncoder`,
        :class:`~skae.nn.AnchoredDecoder`). PCA is fitted on the training
        data inside ``fit`` and the corrections start at zero, so the
        untrained model reconstructs exactly as
        :class:`~sklearn.decomposition.PCA` does; early stopping keeps that
        state unless training lowers the validation loss, so the autoencoder
        does not end up worse than PCA. ``"random"``: the classic
        autoencoder, all layers randomly initialised (use it to reproduce a
        tutorial, with a sigmoid/tanh output or binary cross-entropy, or when
        the linear PCA path is unwanted). ``"auto"``: for dense,
        non-variational networks with built-in parts and a linear output, the
        anchored start; on data in [0, 1] or [-1, 1] (with
        ``output_activation="auto"``) the random start, which then has a
        sigmoid/tanh output, is trained too and kept only if it reconstructs
        the validation rows better beyond their noise (one standard error).
        On other data the random start is the same network without the PCA
        path; it is not trained (on the benchmark tables it lowered the test
        error of 4 of 34 fits by 5-12 %, at twice the fit time: set
        ``init="random"`` and compare if that matters). The outlier
        detector trains the anchored start alone;
        ``"random"`` otherwise. ``init_`` records the choice.

    n_jobs : int, default=None
        Intra-op threads torch uses during ``fit`` and inference (the caller's
        setting is restored afterwards). ``None`` decides per call from the
        work per batch and the CPUs this process may use (affinity, cgroup
        quota, ``OMP_NUM_THREADS``, which joblib sets for its workers): one
        thread for small networks and batches, where a thread pool only adds
        synchronisation (and is many times slower when another job holds a
        core), every available CPU for large ones. An int forces that many
        threads; ``-1`` means every available CPU.
"""

COMMON_ATTRIBUTES_DOC = """
    init_ : {"pca", "random"}
        How the network was initialised (see ``init``).

    n_components_ : int
        Size of the codes the fitted network produces (``n_components`` at
        fit time; code after fit reads this, so changing the parameter does
        not break a fitted model).

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

    validation_loss_curve_ : list of float or None
        Validation loss at each epoch (lower is better); ``None`` when
        ``early_stopping=False``. Named ``validation_scores_`` before skae 0.2
        (that name still works, with a ``FutureWarning``).

    hidden_layer_sizes_ : tuple of int
        Hidden layer widths of the network built (the resolved
        ``hidden_layer_sizes``).

    input_shape_ : tuple of int or None
        ``(channels, height, width)`` of the rows for ``architecture="conv"``
        (``-1`` resolved), else ``None``.

    batch_size_ : int
        Rows per training batch (the resolved ``batch_size``).

    noise_range_ : tuple of float
        ``(low, high)`` of the rows the network sees during training (the
        values salt-and-pepper noise uses).

    n_iter_ : int
        Number of epochs run.

    output_activation_ : str
        Output activation used.

    loss_ : str
        Loss used (``"mse"`` or ``"bce"``).

    mean_, scale_ : ndarray of shape (`n_features_in_`,) or None
        Standardisation the network applies to its input (read from the
        module's :class:`~skae.nn.Standardize` buffers; ``None`` when the data
        are used as they are, i.e. in [-1, 1]).

    device_ : str
        Device the network lives on.
"""
