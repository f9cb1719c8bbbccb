# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Shared by the tests of ``skae.nn``: a fixed torch seed and a layer-layout helper."""

import pytest
import torch
from torch import nn


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def linear_shapes(module):
    """``(in_features, out_features)`` of every ``nn.Linear`` in ``module``, in order."""
    return [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, nn.Linear)]
