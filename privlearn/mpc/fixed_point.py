"""Fixed-point encoding of reals into the ring Z_2^64 (numpy uint64).

x is stored as round(x · 2^f) in two's complement: negative numbers wrap to the top of
the ring, and ring arithmetic (uint64 addition and multiplication wrap modulo 2^64) then
adds and multiplies the encodings. Encoding refuses any x whose integer falls outside
the signed range [-2^63, 2^63) instead of wrapping it silently. A product of two
encodings carries 2f fractional bits: decode it with ``frac_bits=2 * f``.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_real_array, check_int

__all__ = ["decode_fixed", "encode_fixed"]

_LIMIT = 2.0**63


def encode_fixed(x, *, frac_bits: int = 16) -> np.ndarray:
    """Encode reals as uint64 ring elements: round(x · 2^frac_bits) mod 2^64.

    Raises
    ------
    ValueError
        If some |x · 2^frac_bits| does not fit the signed 64-bit range, or x is NaN/inf.
    """
    f = check_int("frac_bits", frac_bits, low=0, high=62)
    arr = as_real_array("x", x)
    scaled = np.round(arr * 2.0**f)
    bad = (scaled >= _LIMIT) | (scaled < -_LIMIT)
    if np.any(bad):
        raise ValueError(f"x must satisfy |x| < 2^{63 - f} = {2.0 ** (63 - f):g} at frac_bits={f}"
                         f", got {arr[bad].ravel()[0]!r}; lower frac_bits or scale the data")
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
