"""Bridges between the statistical rng convention and torch."""

from __future__ import annotations

import contextlib
import os
import zlib

import torch

from ._random import RNGLike, as_generator

THREADS_VARIABLE = "PRIVLEARN_TORCH_THREADS"


def _set_threads() -> None:
    """One intra-op torch thread per process, unless the environment chooses (DESIGN.md,
    "Speed under contention"): the course's models are tiny, extra threads gain nothing
    idle, and with one busy competitor on two cores they stall a notebook for minutes.
    ``PRIVLEARN_TORCH_THREADS=N`` (or torch's own ``OMP_NUM_THREADS``) overrides."""
    chosen = os.environ.get(THREADS_VARIABLE)
    if chosen is not None:
        try:
            threads = int(chosen)
        except ValueError:
            threads = 0
        if threads < 1:
            raise ValueError(f"{THREADS_VARIABLE} must be a whole number >= 1, got {chosen!r}")
        torch.set_num_threads(threads)
    elif os.environ.get("OMP_NUM_THREADS") is None:
        torch.set_num_threads(1)


_set_threads()

__all__ = ["check_generator", "seeded_global_state", "seeded_unless_already",
           "torch_generator"]


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


class seeded_global_state:
    """Within the block, torch's global CPU generator is seeded from ``generator``'s current
    state (read, not advanced); afterwards it is restored exactly as it was.

    Modules that draw from the global generator with no way to pass one (``nn.Dropout``,
    custom layers calling ``torch.rand``) then depend on the caller's seed only, and a
    model without them trains bit for bit as it would without the fork. A few µs: a
    checksum of the generator's state (CRC-32 and Adler-32 side by side) is the seed, which
    differs whenever the state does, as seeding needs; nothing secret is derived from it.
    """

    __slots__ = ("_generator", "_saved")
    depth = 0  # how many are open: a step inside a seeded loop need not fork again

    def __init__(self, generator: torch.Generator) -> None:
        self._generator = generator

    def __enter__(self) -> None:
        state = self._generator.get_state().numpy().tobytes()
        self._saved = torch.get_rng_state()
        torch.default_generator.manual_seed((zlib.crc32(state) << 32) | zlib.adler32(state))
        seeded_global_state.depth += 1

    def __exit__(self, *exc) -> None:
        seeded_global_state.depth -= 1
        torch.set_rng_state(self._saved)


def seeded_unless_already(generator: torch.Generator):
    """:class:`seeded_global_state` for ``generator``, or nothing when a seeded block is
    already open (a step inside ``run_fedavg`` or ``train_dp_sgd``): a step pays for the
    fork only when it is called on its own."""
    return contextlib.nullcontext() if seeded_global_state.depth else seeded_global_state(
        generator)
