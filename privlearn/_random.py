"""The statistical tier of randomness: ``rng`` arguments.

DP noise, sampling and shuffling take ``rng: numpy.random.Generator | int | None``.
An int seeds a fresh generator; ``None`` draws fresh entropy from the operating
system. Nothing here touches numpy's global generator. Cryptographic randomness
(shares, masks, keys) never comes through this module: it comes from ``secrets``.
"""

from __future__ import annotations

import numbers

import numpy as np

RNGLike = np.random.Generator | int | None

__all__ = ["RNGLike", "as_generator"]


def as_generator(rng: RNGLike, *, name: str = "rng") -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``rng`` (a Generator, a seed or None)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral):
        raise TypeError(
            f"{name} must be a numpy.random.Generator, an int seed or None, "
            f"got {type(rng).__name__} {rng!r}"
        )
    if rng < 0:
        raise ValueError(f"{name} as a seed must be >= 0, got {rng}")
    return np.random.default_rng(int(rng))
