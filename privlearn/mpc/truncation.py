"""Truncation of a shared fixed-point product, locally (SecureML's probabilistic truncation).

A product of two encodings with f fractional bits carries 2f (:mod:`.beaver`): left alone,
the next product carries 4f, and a few multiplications later the integers no longer fit the
ring. In the clear one would shift right by f bits. On shares, Mohassel & Zhang (2017,
"SecureML: A system for scalable privacy-preserving machine learning", IEEE S&P, Section 4.1,
Theorem 1) let each of the **two** parties shift its own share, with no communication:

    party 0:  ⌊z_0 / 2^f⌋,        party 1:  2^ℓ − ⌊(2^ℓ − z_1) / 2^f⌋        (ℓ = 64).

If |z| < 2^{ℓ_x} with ℓ_x + 1 < ℓ, then with probability at least 1 − 2^{ℓ_x + 1 − ℓ} over the
random sharing, the two results add to ⌊z / 2^f⌋ give or take 1 (Theorem 1): an error of at
most one unit in the last place, 2^-f. (Here it is always ⌊z / 2^f⌋ or one more: a floor
plus a ceiling. For a uniform share the failure probability is (|z| ± 1) / 2^ℓ, which the
tests check.) Otherwise (the shares wrap around 2^ℓ in the unlucky direction)
the result is off by about 2^{ℓ − f}: garbage, not a small error. The probability is small
when the values are small against the ring, and it is per element and per truncation, so
it adds up over a long computation. :func:`truncate_shares` therefore takes a public bound
on |z| and refuses when the paper's bound on the failure probability exceeds
``max_failure`` (2^-20 by default), instead of letting garbage through unannounced.

With three or more parties, local truncation fails with large probability; protocols then
use a shared random pair (r, ⌊r / 2^f⌋) made in an offline phase (e.g. ABY3, Mohassel &
Rindal 2018). Here only two parties are accepted.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_int, check_real
from .additive import _as_ring

__all__ = ["truncate_shares", "truncation_failure_bound"]

_RING_BITS = 64


def _bound_bits(max_abs: float, product_frac_bits: int) -> int:
    """ℓ_x: the least ℓ_x with max_abs · 2^product_frac_bits < 2^ℓ_x, in exact integer
    arithmetic (math.log2(2^52 − 1) rounds to 52.0)."""
    scaled = max_abs * 2.0**product_frac_bits
    return _RING_BITS if scaled >= 2.0**_RING_BITS else int(scaled).bit_length()


def truncation_failure_bound(max_abs: float, *, frac_bits: int = 16) -> float:
    """SecureML's bound 2^{ℓ_x + 1 − 64} on the probability that truncating one product
    of two encodings with ``frac_bits`` fractional bits fails, when |product| <= max_abs.

    Examples
    --------
    >>> truncation_failure_bound(100.0, frac_bits=16)   # 100 · 2^32 < 2^39: ℓ_x = 39
    5.960464477539063e-08
    """
    f = check_int("frac_bits", frac_bits, low=1, high=31)
    bound = check_real("max_abs", max_abs, low=0.0, low_open=False)
    bits = _bound_bits(bound, 2 * f)
    if bits + 1 >= _RING_BITS:
        return 1.0
    return 2.0 ** (bits + 1 - _RING_BITS)


def truncate_shares(shares: ArrayLike, *, max_abs: float, frac_bits: int = 16,
                    max_failure: float = 2.0**-20) -> np.ndarray:
    """Two parties' shares of z (2f fractional bits) to shares of about z / 2^f (f bits).

    Parameters
    ----------
    shares : uint64 array of shape (2, ...)
        Additive shares over Z_2^64 of a product of two encodings with ``frac_bits`` each,
        for instance the output of :func:`~privlearn.mpc.beaver_multiply`.
    max_abs : float
        A public bound on |x·y| as a real number (never read off the data), for the
        *encoded* factors: each is rounded to 2^-f, so leave a little room at a power of 2.
    frac_bits : int
        f in [1, 31]: the fractional bits of each factor, dropped here.
    max_failure : float
        The largest failure probability per element accepted (SecureML's bound,
        :func:`truncation_failure_bound`); above it the call is refused.

    Returns
    -------
    numpy.ndarray of uint64, same shape
        Shares of ⌊z / 2^f⌋ + e with e in {0, 1}, except with probability at most the
        bound per element (then the value is off by about 2^{64 − f}).

    Examples
    --------
    >>> from privlearn.mpc import (additive_reconstruct, additive_share, beaver_multiply,
    ...                            beaver_triple, decode_fixed, encode_fixed)
    >>> sx = additive_share(encode_fixed(1.5), num_parties=2)
    >>> sy = additive_share(encode_fixed(-2.25), num_parties=2)
    >>> z = beaver_multiply(sx, sy, beaver_triple(num_parties=2))
    >>> abs(decode_fixed(additive_reconstruct(truncate_shares(z, max_abs=4.0))) + 3.375) <= 2**-16
    True
    """
    z = _as_ring("shares", shares)
    if z.ndim == 0 or z.shape[0] != 2:
        raise ValueError(f"shares must hold two parties' shares (SecureML's local truncation "
                         f"is a two-party protocol; with more parties it fails with large "
                         f"probability), got shape {z.shape}")
    f = check_int("frac_bits", frac_bits, low=1, high=31)
    limit = check_real("max_failure", max_failure, low=0.0, high=1.0, high_open=False)
    bound = truncation_failure_bound(max_abs, frac_bits=f)
    if bound > limit:
        raise ValueError(f"truncating products up to max_abs = {max_abs:g} at frac_bits={f} "
                         f"fails with probability up to {bound:.3g} per element, above "
                         f"max_failure = {limit:.3g}: lower max_abs or frac_bits, or accept a "
                         f"larger max_failure explicitly")
    shift = np.uint64(f)
    out = np.empty_like(z)
    out[0] = z[0] >> shift
    with np.errstate(over="ignore"):
        negated = np.uint64(0) - z[1]                 # 2^64 − z_1, except for z_1 = 0
        floor = np.where(z[1] == 0, np.uint64(1) << np.uint64(_RING_BITS - f), negated >> shift)
        out[1] = np.uint64(0) - floor
    return out
