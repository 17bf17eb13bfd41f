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

A triple is single-use: opening the same a against two inputs x and x' reveals
d − d' = x − x'. A :class:`BeaverTriple` is therefore a small state machine, *fresh* →
*opened* (for one pair of inputs) → *consumed*: :func:`beaver_open` may be repeated for the
same inputs (it reveals nothing new), any other use of an opened or consumed triple is
refused.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from .additive import _as_ring, additive_reconstruct, additive_share
from .randomness import random_uint64

__all__ = ["BeaverTriple", "beaver_multiply", "beaver_open", "beaver_triple"]


class BeaverTriple:
    """Shares of a, b and c = a·b (mod 2^64), each of shape (num_parties, *shape).

    Single-use (see the module doc): :attr:`state` is ``"fresh"``, ``"opened"`` or
    ``"consumed"``.
    """

    __slots__ = ("_opened", "a", "b", "c", "state")

    def __init__(self, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
        self.a, self.b, self.c = a, b, c
        self.state = "fresh"
        self._opened: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def num_parties(self) -> int:
        return self.a.shape[0]

    def __repr__(self) -> str:
        return f"BeaverTriple(shape={self.a.shape[1:]}, num_parties={self.num_parties}, " \
               f"state={self.state!r})"


def beaver_triple(shape=(), *, num_parties: int) -> BeaverTriple:
    """A trusted dealer's random triple, already shared among ``num_parties``."""
    n = check_int("num_parties", num_parties, low=2)
    if isinstance(shape, (tuple, list)):
        shape = tuple(check_int(f"shape[{i}]", d, low=0) for i, d in enumerate(shape))
    else:
        shape = (check_int("shape", shape, low=0),)
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


def _open(x: np.ndarray, y: np.ndarray, triple: BeaverTriple) -> tuple[np.ndarray, np.ndarray]:
    if triple.state == "consumed":
        raise ValueError("triple was already used for a multiplication: a Beaver triple is "
                         "single-use (a second use reveals x − x'); take a fresh beaver_triple")
    with np.errstate(over="ignore"):
        d, e = additive_reconstruct(x - triple.a), additive_reconstruct(y - triple.b)
    if triple._opened is not None:
        d0, e0 = triple._opened
        if not (np.array_equal(d, d0) and np.array_equal(e, e0)):
            raise ValueError("triple was already opened for other inputs: opening it again "
                             "would reveal x − x' and y − y'; take a fresh beaver_triple")
    triple._opened, triple.state = (d, e), "opened"
    return d, e


def beaver_open(x_shares, y_shares, triple: BeaverTriple) -> tuple[np.ndarray, np.ndarray]:
    """The values the parties open: d = x − a and e = y − b (uniform, so safe to reveal).

    Marks the triple opened for these inputs; opening it for other inputs is refused.
    """
    x, y = _check(x_shares, y_shares, triple)
    return _open(x, y, triple)


def beaver_multiply(x_shares, y_shares, triple: BeaverTriple) -> np.ndarray:
    """Shares of x·y from shares of x and y and one unused triple (or one opened for these
    same inputs by :func:`beaver_open`); the triple is consumed.

    Examples
    --------
    >>> from privlearn.mpc import additive_share, encode_fixed, decode_fixed
    >>> sx = additive_share(encode_fixed(3.0), num_parties=2)
    >>> sy = additive_share(encode_fixed(-2.5), num_parties=2)
    >>> triple = beaver_triple(num_parties=2)
    >>> decode_fixed(additive_reconstruct(beaver_multiply(sx, sy, triple)), frac_bits=32)
    -7.5
    >>> beaver_multiply(sx, sy, triple)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ValueError: triple was already used for a multiplication ...
    """
    x, y = _check(x_shares, y_shares, triple)
    d, e = _open(x, y, triple)
    triple.state = "consumed"
    with np.errstate(over="ignore"):  # ring arithmetic: wrapping mod 2^64 is the point
        z = triple.c + d * triple.b + e * triple.a
        z[0] += d * e
    return z
