"""Bridges between the statistical rng convention and torch."""

from __future__ import annotations

import torch

from ._random import RNGLike, as_generator

__all__ = ["check_generator", "torch_generator"]


def torch_generator(rng: RNGLike) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded from ``rng`` (never the global torch state)."""
    gen = as_generator(rng)
    return torch.Generator().manual_seed(int(gen.integers(0, 2**63 - 1)))


def check_generator(name: str, generator) -> torch.Generator:
    """``generator`` if it is a ``torch.Generator``: randomness is never drawn from torch's
    global generator, so ``None`` is refused rather than silently meaning "global"."""
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator (e.g. "
                        f"torch.Generator().manual_seed(0)), got {type(generator).__name__}; "
                        "torch's global generator is never used")
    return generator
