"""Shamir's (t, n) threshold secret sharing over a prime field (Shamir 1979).

To share s, pick a random polynomial f of degree t − 1 with f(0) = s over GF(p), and
give party i the point (i, f(i)). Any t points determine f, hence s = f(0), by Lagrange
interpolation at 0:

    s = Σ_i y_i · λ_i,   λ_i = Π_{j ≠ i} x_j / (x_j − x_i)  (mod p);

any t − 1 points are consistent with every possible s, each equally likely, so they
reveal nothing (A. Shamir 1979, "How to share a secret", CACM 22(11)).

``y`` is vectorised: an array of secrets is shared with one independent polynomial per
entry. The default prime 2^31 − 1 keeps products below 2^62, so numpy's int64 arithmetic
is exact; a larger prime (e.g. 2^127 − 1 for 16-byte seeds) switches to Python integers.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._primes import is_prime_cached
from .._validation import check_int
from .randomness import random_bytes

__all__ = ["DEFAULT_PRIME", "Share", "shamir_reconstruct", "shamir_share"]

DEFAULT_PRIME = 2**31 - 1
_FAST = 2**31  # primes below this use int64 arithmetic


class Share(tuple):
    """One party's share: the pair ``(x, y)``, unpacks as a tuple, and remembers its field
    and threshold so that mismatched shares are caught."""

    def __new__(cls, x: int, y, prime: int, threshold: int):
        obj = super().__new__(cls, (x, y))
        obj.prime = prime
        obj.threshold = threshold
        return obj

    @property
    def x(self) -> int:
        return self[0]

    @property
    def y(self):
        return self[1]

    def __repr__(self) -> str:
        return f"Share(x={self[0]}, y={self[1]!r}, prime={self.prime})"


def _random_field_elements(count: int, prime: int):
    """``count`` uniform elements of GF(prime), by rejection sampling on random bits.

    Module-level on purpose: tests replace it to get known coefficients.
    """
    bits = prime.bit_length()
    if prime < _FAST:  # vectorised: 32-bit words cut to `bits` bits, values >= p redrawn
        out = np.empty(0, dtype=np.int64)
        while out.size < count:
            need = count - out.size
            words = np.frombuffer(random_bytes(4 * (2 * need + 8)), dtype=np.uint32)
            vals = (words >> np.uint32(32 - bits)).astype(np.int64)
            out = np.concatenate([out, vals[vals < prime][:need]])
        return out
    nbytes = (bits + 7) // 8
    out: list[int] = []
    while len(out) < count:
        need = count - len(out)
        raw = random_bytes(nbytes * 2 * need)  # acceptance >= 1/2
        for i in range(0, len(raw), nbytes):
            v = int.from_bytes(raw[i:i + nbytes], "big") >> (8 * nbytes - bits)
            if v < prime:
                out.append(v)
                if len(out) == count:
                    break
    return out


def _check_prime(prime) -> int:
    if isinstance(prime, bool) or not isinstance(prime, numbers.Integral):
        raise TypeError(f"prime must be an integer, got {type(prime).__name__} {prime!r}")
    prime = int(prime)
    if prime < 3 or not is_prime_cached(prime):
        raise ValueError(f"prime must be a prime >= 3 (the field GF(p) needs one: over a "
                         f"composite modulus interpolation breaks), got {prime}")
    return prime


def _as_field(name: str, value, prime: int) -> np.ndarray:
    arr = np.asarray(value, dtype=object if prime >= _FAST else None)
    if arr.dtype == object:  # numpy integers become Python ints: big-prime products are exact
        flat = [int(v) if isinstance(v, np.integer) else v for v in arr.ravel()]
        arr = np.empty(len(flat), dtype=object)
        arr[:] = flat
        arr = arr.reshape(np.shape(value))
    if arr.dtype != object and arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers (field elements), got dtype {arr.dtype}")
    if arr.dtype == object and not all(isinstance(v, numbers.Integral) and
                                       not isinstance(v, bool) for v in arr.ravel()):
        raise TypeError(f"{name} must hold integers (field elements)")
    if arr.size and (np.any(arr < 0) or np.any(arr >= prime)):
        raise ValueError(f"{name} must lie in [0, prime) = [0, {prime}); encode reals or "
                         "negatives first")
    return arr.astype(np.int64) if prime < _FAST else arr


def shamir_share(secret, *, num_shares: int, threshold: int,
                 prime: int = DEFAULT_PRIME) -> list[Share]:
    """Shares (x, y) for x = 1..num_shares; any ``threshold`` of them recover ``secret``.

    Parameters
    ----------
    secret : int or array of int
        Field elements in [0, prime).
    num_shares : int
        n >= 1, one share per party.
    threshold : int
        t with 1 <= t <= n.
    prime : int
        The field's prime (default 2^31 − 1).
    """
    prime = _check_prime(prime)
    n = check_int("num_shares", num_shares, low=1)
    t = check_int("threshold", threshold)
    if t < 1:
        raise ValueError(f"threshold must be >= 1, got threshold={t}")
    if t > n:
        raise ValueError(f"threshold must not exceed num_shares (got threshold={t}, "
                         f"num_shares={n})")
    if n >= prime:
        raise ValueError(f"num_shares must be below the prime (got {n} for prime {prime})")
    s = _as_field("secret", secret, prime)
    coeffs = [s] + [
        np.array(_random_field_elements(max(s.size, 1), prime),
                 dtype=np.int64 if prime < _FAST else object).reshape(s.shape)
        for _ in range(t - 1)
    ]
    shares = []
    for x in range(1, n + 1):
        y = np.zeros(s.shape, dtype=np.int64 if prime < _FAST else object)
        for c in reversed(coeffs):  # Horner: y = (...(c_{t-1} x + c_{t-2}) x + ...) + c_0
            y = (y * x + c) % prime
        y = np.asarray(y, dtype=np.int64 if prime < _FAST else object)
        shares.append(Share(x, y.item() if s.ndim == 0 else y, prime, t))
    return shares


def lagrange_at_zero(xs: list[int], prime: int) -> list[int]:
    """λ_i = Π_{j≠i} x_j / (x_j − x_i) mod p: the weights that interpolate f(0).

    ``xs`` must be distinct, non-zero integers mod p (x = 0 is where the secret sits),
    and ``prime`` a prime.

    Examples
    --------
    >>> lagrange_at_zero([1, 2, 3], 1613)   # 3, −3, 1 mod 1613
    [3, 1610, 1]
    """
    prime = _check_prime(prime)
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__len__") or len(xs) == 0:
        raise TypeError(f"xs must be a non-empty list of integers, got {xs!r}")
    seen: dict[int, int] = {}
    for i, x in enumerate(xs):
        if isinstance(x, bool) or not isinstance(x, numbers.Integral):
            raise TypeError(f"xs[{i}] must be an integer, got {type(x).__name__} {x!r}")
        r = int(x) % prime
        if r == 0:
            raise ValueError(f"xs[{i}] = {x} is 0 mod p: x = 0 is the secret itself and never a "
                             "share's x-coordinate")
        if r in seen:
            raise ValueError(f"xs must be distinct mod p, got xs[{seen[r]}] = {xs[seen[r]]} and "
                             f"xs[{i}] = {x}")
        seen[r] = i
    xs = list(seen)
    out = []
    for i, xi in enumerate(xs):
        num, den = 1, 1
        for j, xj in enumerate(xs):
            if j != i:
                num = num * xj % prime
                den = den * (xj - xi) % prime
        out.append(num * pow(den, -1, prime) % prime)
    return out


def shamir_reconstruct(shares, *, prime: int = DEFAULT_PRIME):
    """f(0) from shares (x, y) by Lagrange interpolation at 0.

    Give at least the threshold of them (shares made by :func:`shamir_share` know their
    threshold and are checked; with plain tuples, fewer than t shares silently give a
    wrong value, as the mathematics says they must).
    """
    prime = _check_prime(prime)
    if isinstance(shares, (str, bytes)) or not hasattr(shares, "__len__") or not shares:
        raise ValueError("shares must be a non-empty list of (x, y) pairs")
    xs, ys = [], []
    for i, sh in enumerate(shares):
        if not isinstance(sh, tuple) or len(sh) != 2:
            raise TypeError(f"shares[{i}] must be an (x, y) pair, got {type(sh).__name__}")
        if isinstance(sh, Share) and sh.prime != prime:
            raise ValueError(f"shares[{i}] is over GF({sh.prime}), not GF({prime}): shares "
                             "from different fields cannot be combined")
        x = sh[0]
        if isinstance(x, bool) or not isinstance(x, numbers.Integral):
            raise TypeError(f"shares[{i}] has a non-integer x-coordinate {x!r}")
        if x % prime == 0:
            raise ValueError(f"shares[{i}] has x = {x}, which is 0 mod p: x = 0 is the secret "
                             "itself and never a share")
        xs.append(int(x) % prime)
        ys.append(_as_field(f"shares[{i}] y", sh[1], prime))
    if len(set(xs)) != len(xs):
        dup = next(x for x in xs if xs.count(x) > 1)
        raise ValueError(f"x-coordinates must be distinct, got x = {dup} twice")
    shapes = {y.shape for y in ys}
    if len(shapes) != 1:
        raise ValueError(f"all shares must have the same shape, got {sorted(shapes)}")
    known = {sh.threshold for sh in shares if isinstance(sh, Share)}
    if len(known) > 1:
        raise ValueError(f"shares have different thresholds {sorted(known)}: they come from "
                         "different sharings and cannot be combined")
    if known and len(shares) < max(known):
        raise ValueError(f"need at least threshold={max(known)} shares, got {len(shares)}")
    weights = lagrange_at_zero(xs, prime)
    total = np.zeros(ys[0].shape, dtype=ys[0].dtype)
    for y, w in zip(ys, weights, strict=True):
        total = (total + y * w) % prime
    total = np.asarray(total, dtype=ys[0].dtype)
    return total.item() if total.ndim == 0 else total
