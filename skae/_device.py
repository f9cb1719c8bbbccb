# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""Where skae trains: device resolution and placement (torch only, no scikit-learn)."""

from __future__ import annotations

import torch

__all__ = ["fits_on", "move_net", "resolve_device"]


def resolve_device(device) -> torch.device:
    """``"auto"`` is CUDA when available, then MPS, else CPU; anything else is checked.

    Only devices skae can train on are accepted: ``"cpu"``, ``"cuda"`` (or
    ``"cuda:N"``) when PyTorch sees a GPU, ``"mps"`` when available. Anything
    else is refused with a ``ValueError`` naming ``device`` before any work.
    """
    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"Invalid device {device!r}: {exc}") from None
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(
            f"device={device!r} is not supported: skae trains on 'cpu', 'cuda' or 'mps' "
            "(or 'auto', which picks the best available)."
        )
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was requested but CUDA is not available.")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only {torch.cuda.device_count()} "
                "CUDA device(s) are visible."
            )
    if dev.type == "mps" and not _mps_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available.")
    return dev


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def fits_on(device: str, nbytes: int) -> bool:
    """Whether a float32 copy of the training data fits comfortably on ``device``.

    The CPU always takes the one-tensor fast path (the float32 tensor shares the
    caller's memory when X is already float32). On CUDA the data are moved to the
    GPU once if they use at most half the free memory; otherwise batches stream
    from pinned host memory.
    """
    if device != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info()
    return nbytes <= free // 2


def move_net(net, device: torch.device) -> None:
    """Move a skorch net's module, criterion and optimizer state to ``device``."""
    net.module_.to(device)
    net.criterion_.to(device)
    for state in net.optimizer_.state.values():
        for key, value in state.items():
            if isinstance(value, torch.Tensor):
                state[key] = value.to(device)
    net.device = device.type
