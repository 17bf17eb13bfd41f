"""Where MPC's secret randomness comes from: the operating system, unless a demo asks.

Shares, masks, DH secrets and Shamir coefficients must be unpredictable, so they come
from ``os.urandom`` and take no seed argument. A notebook that must print the same
numbers every run can switch the whole module to a deterministic, **insecure** stream
with :func:`insecure_deterministic_randomness` (a context manager with that name on
purpose); tests use the same switch.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator

import numpy as np

from .._validation import check_int

__all__ = ["insecure_deterministic_randomness", "random_bytes", "random_uint64"]


class _SeededStream:
    """SHAKE-256 in counter mode: deterministic bytes from a seed. Not for real secrets."""

    def __init__(self, seed: int) -> None:
        self._key = hashlib.sha256(f"privlearn-insecure-{seed}".encode()).digest()
        self._counter = 0

    def __call__(self, n: int) -> bytes:
        self._counter += 1
        return hashlib.shake_256(self._key + self._counter.to_bytes(8, "big")).digest(n)


_source = os.urandom


def random_bytes(n: int) -> bytes:
    """n secret random bytes (``os.urandom`` unless an insecure demo stream is active)."""
    return _source(n)


def random_uint64(shape) -> np.ndarray:
    """Uniform elements of Z_2^64 as a uint64 array of the given shape."""
    count = int(np.prod(shape, dtype=np.int64))
    return np.frombuffer(random_bytes(8 * count), dtype=np.uint64).reshape(shape)  # read-only


@contextlib.contextmanager
def insecure_deterministic_randomness(seed: int) -> Iterator[None]:
    """Within the block, every "secret" random value is derived from ``seed``.

    INSECURE by design: anyone who knows the seed knows every share and mask. For
    reproducible classroom demos and tests only. ``seed`` is a non-negative integer
    (``None`` is refused: it would silently give one fixed stream).
    """
    global _source
    seed = check_int("seed", seed, low=0)
    previous = _source
    _source = _SeededStream(seed)
    try:
        yield
    finally:
        _source = previous
