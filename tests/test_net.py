# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""The skorch side of training (``skae._net``): the net, its callbacks and helpers."""

import torch

from skae._net import clearly_better as _clearly_better


def test_clearly_better_is_a_paired_test():
    reference = torch.linspace(1.0, 2.0, 50, dtype=torch.float64)
    noise = 0.05 * torch.sin(torch.arange(50, dtype=torch.float64))
    assert _clearly_better(reference - 0.1 + noise, reference)  # a consistent gain
    assert not _clearly_better(reference - 0.001 + noise, reference)  # within the noise
    assert not _clearly_better(reference + 0.1, reference)
