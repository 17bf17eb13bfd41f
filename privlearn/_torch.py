"""Bridges between the statistical rng convention and torch."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

import torch

from ._random import RNGLike, as_generator

__all__ = ["check_generator", "seeded_global_state", "torch_generator"]


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


@contextlib.contextmanager
def seeded_global_state(generator: torch.Generator) -> Iterator[None]:
    """Within the block, torch's global generator is a fork seeded from ``generator``'s
    current state (read, not advanced); outside, it is left exactly as it was.

    Modules that draw from the global generator with no way to pass one (``nn.Dropout``,
    custom layers calling ``torch.rand``) then depend on the caller's seed only, and a
    model without them trains bit for bit as it would without the fork.
    """
    digest = hashlib.blake2b(generator.get_state().numpy().tobytes(), digest_size=8).digest()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int.from_bytes(digest, "big") >> 1)
        yield
