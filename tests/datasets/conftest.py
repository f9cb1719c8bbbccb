# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Fixtures for the ``skae.datasets`` tests: tiny generated IDX files, no network."""

import os

import numpy as np
import pytest

from skae.datasets import _mnist, write_idx

# Sizes of the tiny stand-in subsets (the real ones hold 60,000 and 10,000 examples).
N_TRAIN = 6
N_TEST = 4


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Make any attempt to reach the network fail the test."""

    def forbidden(url, *args, **kwargs):
        raise AssertionError(f"a test tried to reach the network: {url}")

    monkeypatch.setattr(_mnist, "_urlopen", forbidden)


@pytest.fixture(autouse=True)
def _isolated_home(monkeypatch, tmp_path):
    """Keep ``SKAE_DATA`` and ``~`` away from the real ones."""
    monkeypatch.delenv("SKAE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def random_subset(n, seed=0):
    """Random uint8 images of shape (n, 28, 28) and labels of shape (n,)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255  # make the full range present
    labels = (np.arange(n) % 10).astype(np.uint8)
    return images, labels


@pytest.fixture
def make_subset(monkeypatch):
    """Shrink the expected sizes and return a function writing a tiny subset.

    ``make_subset(folder, subset, compress=True, seed=0, images=None, labels=None)``
    writes the images and labels files of ``subset`` ("train" or "test") to
    ``folder`` (created if needed) and returns ``(images, labels)``.
    """
    monkeypatch.setattr(_mnist, "_N_SAMPLES", {"train": N_TRAIN, "test": N_TEST})

    def make(folder, subset="train", *, compress=True, seed=0, images=None, labels=None):
        n = N_TRAIN if subset == "train" else N_TEST
        default_images, default_labels = random_subset(n, seed)
        images = default_images if images is None else images
        labels = default_labels if labels is None else labels
        os.makedirs(folder, exist_ok=True)
        images_name, labels_name = _mnist._FILES[subset]
        suffix = ".gz" if compress else ""
        write_idx(os.path.join(folder, images_name + suffix), images)
        write_idx(os.path.join(folder, labels_name + suffix), labels)
        return images, labels

    return make
