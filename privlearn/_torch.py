"""Bridges between the statistical rng convention and torch."""

from __future__ import annotations

import contextlib
import zlib
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
    """Within the block, torch's global CPU generator is seeded from ``generator``'s current
    state (read, not advanced); afterwards it is restored exactly as it was.

    Modules that draw from the global generator with no way to pass one (``nn.Dropout``,
    custom layers calling ``torch.rand``) then depend on the caller's seed only, and a
    model without them trains bit for bit as it would without the fork. About 5 µs: a
    checksum of the generator's state (CRC-32 and Adler-32 side by side) is the seed, which
    differs whenever the state does, as seeding needs; nothing secret is derived from it.
    """
    state = generator.get_state().numpy().tobytes()
    seed = (zlib.crc32(state) << 32) | zlib.adler32(state)
    saved = torch.get_rng_state()
    torch.default_generator.manual_seed(seed)  # the CPU generator only: fast
    try:
        yield
    finally:
        torch.set_rng_state(saved)
