"""Fixed-point encoding of reals into the ring Z_2^64 (numpy uint64).

x is stored as round(x · 2^f) in two's complement: negative numbers wrap to the top of
the ring, and ring arithmetic (uint64 addition and multiplication wrap modulo 2^64) then
adds and multiplies the encodings. Encoding refuses any x whose integer falls outside
the signed range instead of wrapping it silently. A product of two encodings carries 2f
fractional bits: decode it with ``frac_bits=2 * f``.

The public bound: a value that will be added to others (a share of a sum, an input to
secure aggregation) is encoded with ``max_summands=S``, which refuses any |x·2^f| >= 2^63/S.
Then a sum of up to S encodings stays inside the signed range (|Σ| < 2^63) and decodes
exactly; the bound depends on S and f only, both public, never on the data. The check is
made in float64, so a value within one rounding of the limit may be refused although it
would just fit: conservative, never the other way.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_real_array, check_int

__all__ = ["decode_fixed", "encode_fixed"]

_LIMIT = 2.0**63


def encode_fixed(x, *, frac_bits: int = 16, max_summands: int = 1) -> np.ndarray:
    """Encode reals as uint64 ring elements: round(x · 2^frac_bits) mod 2^64.

    Parameters
    ----------
    x : float or array_like of float
        Finite reals.
    frac_bits : int
        f in [0, 62]: fractional bits of the encoding.
    max_summands : int
        S >= 1: the most encodings that will be added together. Each must satisfy
        |round(x · 2^f)| < 2^63 / S, so that their sum cannot wrap.

    Raises
    ------
    ValueError
        If some |x · 2^f| does not satisfy the bound, or x is NaN/inf.

    Examples
    --------
    >>> encode_fixed(2.0**46, max_summands=3)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ValueError: x must satisfy |x| < 2^47 / 3 = ...
    """
    return fixed_point_encode("x", x, frac_bits=frac_bits, max_summands=max_summands)


def fixed_point_encode(name: str, x, *, frac_bits: int, max_summands: int) -> np.ndarray:
    """:func:`encode_fixed` with the caller's parameter ``name`` in its messages."""
    f = check_int("frac_bits", frac_bits, low=0, high=62)
    s = check_int("max_summands", max_summands, low=1)
    arr = as_real_array(name, x)
    scaled = np.round(arr * 2.0**f)
    bad = np.abs(scaled) * s >= _LIMIT
    if np.any(bad):
        room = f" / {s}" if s > 1 else ""
        why = f" so that a sum of {s} such values fits Z_2^64" if s > 1 else ""
        raise ValueError(f"{name} must satisfy |x| < 2^{63 - f}{room} = {2.0 ** (63 - f) / s:g} at "
                         f"frac_bits={f}{why}, got {float(arr[bad].ravel()[0])!r}; lower frac_bits "
                         "or scale the data")
    return scaled.astype(np.int64).view(np.uint64)


def decode_fixed(v, *, frac_bits: int = 16) -> np.ndarray | float:
    """Decode uint64 ring elements (two's complement) back to floats: v / 2^frac_bits."""
    f = check_int("frac_bits", frac_bits, low=0, high=126)
    arr = np.asarray(v)
    if arr.dtype not in (np.uint64, np.int64):
        raise TypeError(f"v must be a uint64 (or int64) array of ring elements, got dtype "
                        f"{arr.dtype}")
    out = arr.view(np.int64).astype(np.float64) / 2.0**f
    return float(out) if out.ndim == 0 else out
