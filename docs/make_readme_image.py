# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Draw the README picture: 2-D latent spaces of the digits, autoencoder next to PCA.

Run from anywhere (about 10-20 s on 2 CPU cores)::

    .venv/bin/python docs/make_readme_image.py

It writes ``docs/images/digits_latent_ae_vs_pca.png``: scikit-learn's digits scaled to
[0, 1], an ``AutoencoderTransformer(n_components=2, random_state=0)`` with its default
settings and ``PCA(n_components=2)``, both fitted on a stratified 75 % training split and
drawn on the other 25 %, with the test accuracy of a logistic regression on the codes.

The picture always comes from a full training run: the autoencoder trains with its
defaults (up to 200 epochs, early stopping), and the script ignores the gallery's
``SKAE_EXAMPLES_FAST`` (it does not use ``examples/_common.py``). Run it again, and
commit the new PNG, whenever the defaults change; it prints the accuracies it drew.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer
from skae.plotting import LatentSpaceDisplay

OUTPUT = Path(__file__).resolve().parent / "images" / "digits_latent_ae_vs_pca.png"


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, stratify=y, random_state=0)
    models = {
        "autoencoder": AutoencoderTransformer(n_components=2, random_state=0),
        "PCA": PCA(n_components=2, random_state=0),
    }
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
    for ax, (name, model) in zip(axes, models.items(), strict=True):
        model.fit(X_train)
        clf = LogisticRegression(max_iter=1000).fit(model.transform(X_train), y_train)
        accuracy = clf.score(model.transform(X_test), y_test)
        title = f"{name}: 2-D codes, logistic regression accuracy {accuracy:.2f}"
        display = LatentSpaceDisplay.from_estimator(
            model, X_test, y_test, name=title, ax=ax, legend=ax is axes[-1]
        )
        print(f"{name}: logistic regression on the 2-D codes, test accuracy {accuracy:.3f}")
    # One legend for both, outside the last plot.
    display.legend_.set_loc("center left")
    display.legend_.set_bbox_to_anchor((1.02, 0.5))
    fig.suptitle("scikit-learn's digits in two numbers (test set)")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUTPUT, dpi=100)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
