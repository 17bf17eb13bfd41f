"""Bridges between the statistical rng convention and torch."""

from __future__ import annotations

import torch

from ._random import RNGLike, as_generator

__all__ = ["torch_generator"]


def torch_generator(rng: RNGLike) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded from ``rng`` (never the global torch state)."""
    gen = as_generator(rng)
    return torch.Generator().manual_seed(int(gen.integers(0, 2**63 - 1)))
