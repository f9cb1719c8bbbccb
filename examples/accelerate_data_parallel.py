# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""
Data-parallel training on several GPUs with accelerate
======================================================

One model, trained on several GPUs at once through Hugging Face ``accelerate``
(skorch's ``AccelerateMixin``): pass an ``accelerate.Accelerator`` as the
estimator's ``accelerator`` and start the script with ``accelerate launch``.
Not run when the documentation is built; run it yourself.

Launch on 4 GPUs of one machine::

    accelerate launch --multi_gpu --num_processes 4 examples/accelerate_data_parallel.py

Started with plain ``python examples/accelerate_data_parallel.py`` it runs in a
single process, on the GPU if there is one, else on the CPU, and trains exactly
like the same estimator without an accelerator.

Every process runs the whole script with the same data. In each epoch every
process trains on its own shard of the shuffled training rows and the
gradients are averaged over the processes at each step, so ``batch_size`` is
per process: 4 processes of 64 rows make steps of 256 rows (raise
``learning_rate`` accordingly if you like). Validation for early stopping runs
in every process on the same rows and the epoch scores are averaged, so all
processes stop at the same epoch. After ``fit`` every process holds the same
trained model; only the main process prints.

``Accelerator(mixed_precision="bf16")`` trains under bfloat16 autocast (leave
the estimator's ``precision`` at ``"32"``: with an accelerator, mixed precision
is the accelerator's job).
"""

from accelerate import Accelerator
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer

accelerator = Accelerator()

X, _ = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)

ae = AutoencoderTransformer(
    n_components=8,
    hidden_layer_sizes=(256, 128),
    batch_size=64,
    max_epochs=20,
    random_state=0,  # the same seed in every process; None uses process 0's seed everywhere
    accelerator=accelerator,
)
ae.fit(X_train)

if accelerator.is_main_process:
    print(
        f"{accelerator.num_processes} process(es), device {accelerator.device}: "
        f"{ae.n_iter_} epochs, final training loss {ae.loss_curve_[-1]:.4f}"
    )
    print(f"test score (negative mean squared reconstruction error): {ae.score(X_test):.5f}")
    # To keep the model: pickle/joblib.dump it, or ae.set_params(accelerator=None).save(path).

accelerator.end_training()
