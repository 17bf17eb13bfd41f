"""Additive secret sharing over Z_2^64, and computing on the shares.

A secret s is split into n shares that are uniform in Z_2^64 subject to
s = Σ_i s_i mod 2^64 (Cramer, Damgård & Nielsen 2015, *Secure Multiparty Computation
and Secret Sharing*, Section 3.3). Any n − 1 shares are uniformly distributed whatever s
is, so they reveal nothing; all n give s back. Linear operations need no interaction:
parties add their shares of x and y to get shares of x + y, and multiply by a public
constant locally. The three colleagues who want their average salary and nothing else
each share their salary, add the shares they hold, and open only the total.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np

from .._validation import check_int
from .fixed_point import decode_fixed, fixed_point_encode
from .randomness import random_uint64

__all__ = [
    "add_shares",
    "additive_reconstruct",
    "additive_share",
    "mul_public",
    "secure_mean",
]


def _as_ring(name: str, value) -> np.ndarray:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must hold ring elements (integers), got bool {value!r}")
    arr = np.asarray(value)
    if arr.dtype == np.uint64:
        return arr
    if arr.dtype == np.int64:
        return arr.view(np.uint64)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64).view(np.uint64)
    if arr.dtype.kind in "fO":  # Python ints beyond int64 land here, as object or float
        flat = np.asarray(value, dtype=object).ravel().tolist()
        if flat and all(isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))
                        for v in flat):
            bad = [v for v in flat if not -(2**63) <= v < 2**64]
            if bad:
                raise ValueError(f"{name} must hold ring elements in [-2^63, 2^64), got {bad[0]}")
            return np.array([int(v) % 2**64 for v in flat], dtype=np.uint64).reshape(arr.shape)
    raise TypeError(f"{name} must hold ring elements (integers; use encode_fixed for reals), "
                    f"got dtype {arr.dtype}")


def additive_share(secret, *, num_parties: int) -> np.ndarray:
    """Split ring elements into ``num_parties`` additive shares.

    Parameters
    ----------
    secret : int or array of int (uint64/int64)
        Ring elements; encode reals with :func:`encode_fixed` first.
    num_parties : int
        n >= 2.

    Returns
    -------
    numpy.ndarray of uint64, shape (num_parties, *secret.shape)
        Share i is row i. Rows 0..n-2 are fresh uniform randomness from the operating
        system; the last row makes the sum come out right.
    """
    s = _as_ring("secret", secret)
    n = check_int("num_parties", num_parties, low=2)
    shares = np.empty((n, *s.shape), dtype=np.uint64)
    shares[:-1] = random_uint64((n - 1, *s.shape))
    with np.errstate(over="ignore"):
        shares[-1] = s - shares[:-1].sum(axis=0, dtype=np.uint64)  # wraps mod 2^64
    return shares


def additive_reconstruct(shares) -> np.ndarray:
    """Σ_i shares[i] mod 2^64 (uint64, shape of one share)."""
    arr = _as_ring("shares", shares)
    if arr.ndim == 0 or arr.shape[0] < 1:
        raise ValueError(f"shares must have a leading party axis, got shape {arr.shape}")
    return arr.sum(axis=0, dtype=np.uint64)


def add_shares(a, b) -> np.ndarray:
    """Shares of x + y from shares of x and of y: each party adds its own two shares."""
    a, b = _as_ring("a", a), _as_ring("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    with np.errstate(over="ignore"):
        return a + b


def mul_public(shares, k: int) -> np.ndarray:
    """Shares of k·x for a public integer k: each party multiplies its share by k."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be an integer (a public ring element), got "
                        f"{type(k).__name__} {k!r}")
    with np.errstate(over="ignore"):
        return _as_ring("shares", shares) * np.uint64(int(k) % 2**64)


def secure_mean(values, *, frac_bits: int = 16) -> float | np.ndarray:
    """The mean of the parties' private values, revealing only the mean.

    Simulates the protocol: party i fixed-point encodes its value and sends one additive
    share to each party j; party j adds the shares it received (a share of the total);
    the parties open the total, and everyone divides by the public count.

    Parameters
    ----------
    values : sequence of float or of arrays
        One private input per party (at least 2), all of the same shape.
    frac_bits : int
        Fractional bits of the fixed-point encoding. With n parties every input must
        satisfy |x| < 2^(63 − frac_bits) / n, so that the total cannot wrap in Z_2^64
        (larger inputs are refused, never wrapped).

    Examples
    --------
    >>> secure_mean([52_000.0, 61_000.0, 47_500.0])
    53500.0
    """
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__len__"):
        raise TypeError(f"values must be a sequence with one input per party, got "
                        f"{type(values).__name__}")
    n = len(values)
    if n < 2:
        raise ValueError(f"values must hold one input per party, at least 2, got {n}")
    f = check_int("frac_bits", frac_bits, low=0, high=62)
    encoded = []
    for i, v in enumerate(values):
        e = fixed_point_encode(f"values[{i}]", v, frac_bits=f, max_summands=n)
        if e.shape != np.shape(encoded[0] if encoded else e):
            raise ValueError(f"values[{i}] has shape {e.shape}, values[0] has "
                             f"{encoded[0].shape}: every party's input must have the same "
                             "shape")
        encoded.append(e)
    dealt = np.stack([additive_share(e, num_parties=n) for e in encoded])  # [sender, holder]
    held = dealt.sum(axis=0, dtype=np.uint64)          # what each holder adds up locally
    total = decode_fixed(additive_reconstruct(held), frac_bits=f)
    return total / n
