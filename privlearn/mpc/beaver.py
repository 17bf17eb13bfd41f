"""Beaver multiplication: multiplying two secret-shared values (Beaver 1991).

Additive shares add for free, but a product x·y of two shared secrets needs help. A
trusted dealer hands out, in advance, shares of a random triple (a, b, c = a·b). The
parties open d = x − a and e = y − b, which are uniformly random and so reveal nothing
about x and y, and each party i computes locally

    z_i = c_i + d·b_i + e·a_i  (+ d·e for party 0),

since Σ z_i = ab + (x − a)b + (y − b)a + (x − a)(y − b) = xy. (D. Beaver 1991,
"Efficient multiparty protocols using circuit randomization", CRYPTO.) Everything is in
the ring Z_2^64 (uint64 arithmetic wraps). For fixed-point inputs with f fractional bits
the product has 2f: decode it with ``decode_fixed(z, frac_bits=2 * f)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_int
from .additive import _as_ring, additive_reconstruct, additive_share
from .randomness import random_uint64

__all__ = ["BeaverTriple", "beaver_multiply", "beaver_open", "beaver_triple"]


@dataclass(frozen=True)
class BeaverTriple:
    """Shares of a, b and c = a·b (mod 2^64), each of shape (num_parties, *shape)."""

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray

    @property
    def num_parties(self) -> int:
        return self.a.shape[0]


def beaver_triple(shape=(), *, num_parties: int) -> BeaverTriple:
    """A trusted dealer's random triple, already shared among ``num_parties``."""
    n = check_int("num_parties", num_parties, low=2)
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (check_int("shape", shape),)
    a, b = random_uint64(shape), random_uint64(shape)
    with np.errstate(over="ignore"):
        c = a * b
    return BeaverTriple(additive_share(a, num_parties=n), additive_share(b, num_parties=n),
                        additive_share(c, num_parties=n))


def _check(x_shares, y_shares, triple: BeaverTriple):
    x, y = _as_ring("x_shares", x_shares), _as_ring("y_shares", y_shares)
    if not isinstance(triple, BeaverTriple):
        raise TypeError(f"triple must be a BeaverTriple, got {type(triple).__name__}")
    if x.shape != y.shape or x.shape != triple.a.shape:
        raise ValueError(f"x_shares, y_shares and the triple must have the same shape, got "
                         f"{x.shape}, {y.shape} and {triple.a.shape}")
    return x, y


def beaver_open(x_shares, y_shares, triple: BeaverTriple) -> tuple[np.ndarray, np.ndarray]:
    """The values the parties open: d = x − a and e = y − b (uniform, so safe to reveal)."""
    x, y = _check(x_shares, y_shares, triple)
    with np.errstate(over="ignore"):
        return additive_reconstruct(x - triple.a), additive_reconstruct(y - triple.b)


def beaver_multiply(x_shares, y_shares, triple: BeaverTriple) -> np.ndarray:
    """Shares of x·y from shares of x and y and one unused triple (never reuse a triple:
    two openings with the same a reveal x − x')."""
    x, y = _check(x_shares, y_shares, triple)
    d, e = beaver_open(x, y, triple)
    with np.errstate(over="ignore"):  # ring arithmetic: wrapping mod 2^64 is the point
        z = triple.c + d * triple.b + e * triple.a
        z[0] += d * e
    return z
