"""Exact samplers for the discrete Laplace and discrete Gaussian distributions.

Floating-point Laplace or Gaussian noise is not private as implemented: the doubles a
textbook sampler can return depend on the true value, and an attacker who sees the
low-order bits can tell neighbouring data sets apart (Mironov 2012, "On significance
of the least significant bits for differential privacy", CCS). Canonne, Kamath &
Steinke (2020, "The Discrete Gaussian for Differential Privacy", NeurIPS) sample the
integer-valued versions *exactly*, using only uniform integers and rational
arithmetic. This module follows their Algorithms 1–3:

* Bernoulli(exp(−γ)) for rational γ >= 0 (Algorithm 1, after von Neumann);
* the discrete Laplace, P[X = x] ∝ exp(−|x|/t) on the integers (Algorithm 2);
* the discrete Gaussian, P[X = x] ∝ exp(−x²/(2σ²)) (Algorithm 3).

The randomness is drawn as uniform 63-bit words from a ``numpy.random.Generator``, so
runs are reproducible for teaching; for deployment feed it a generator seeded from the
operating system (``rng=None``).
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from .._random import RNGLike, as_generator

__all__ = ["discrete_gaussian", "discrete_laplace"]

_WORD_BITS = 63
_BLOCK = 4096  # random words fetched from the generator at a time


class _Uniform:
    """Exact uniform integers below any bound, from 63-bit words of a numpy Generator.

    ``below(d)`` takes the top ``d.bit_length()`` bits of fresh words until the value
    is below d (rejection sampling: exactly uniform, at most two words expected per
    draw). Bernoulli trials of rational probabilities are kept as integer pairs
    (numerator, denominator), so no float is ever involved.
    """

    def __init__(self, gen: np.random.Generator) -> None:
        self.gen = gen
        self._words: list[int] = []

    def _word(self) -> int:
        if not self._words:
            self._words = self.gen.integers(0, 1 << _WORD_BITS, size=_BLOCK,
                                            dtype=np.int64).tolist()
        return self._words.pop()

    def below(self, d: int) -> int:
        bits = (d - 1).bit_length()
        if bits == 0:
            return 0
        while True:
            if bits <= _WORD_BITS:
                x = self._word() >> (_WORD_BITS - bits)
            else:  # concatenate words for very large bounds
                x, have = 0, 0
                while have < bits:
                    x, have = (x << _WORD_BITS) | self._word(), have + _WORD_BITS
                x >>= have - bits
            if x < d:
                return x

    def bernoulli(self, num: int, den: int) -> bool:
        """True with probability num/den exactly."""
        return self.below(den) < num

    def bernoulli_exp(self, num: int, den: int) -> bool:
        """True with probability exp(−num/den), num/den >= 0 (CKS 2020, Algorithm 1)."""
        while num > den:  # exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋))
            if not self._bernoulli_exp_unit(1, 1):
                return False
            num -= den
        return self._bernoulli_exp_unit(num, den)

    def _bernoulli_exp_unit(self, num: int, den: int) -> bool:
        # For γ in [0, 1]: draw A_k ~ Bernoulli(γ/k) for k = 1, 2, ... until one is 0;
        # the index K of that first 0 is odd with probability exp(−γ).
        k = 1
        while self.bernoulli(num, den * k):
            k += 1
        return k % 2 == 1

    def discrete_laplace(self, t: int, s: int) -> int:
        """One draw from Lap_Z(t/s): P[x] ∝ exp(−|x|·s/t) (CKS 2020, Algorithm 2)."""
        while True:
            u = self.below(t)
            if not self.bernoulli_exp(u, t):
                continue
            v = 0
            while self.bernoulli_exp(1, 1):
                v += 1
            y = (u + t * v) // s
            negative = self.below(2) == 1
            if negative and y == 0:
                continue
            return -y if negative else y

    def discrete_gaussian(self, sn: int, sd: int) -> int:
        """One draw from N_Z(0, σ²), σ² = sn/sd (CKS 2020, Algorithm 3)."""
        t = math.isqrt(sn // sd) + 1  # ⌊σ⌋ + 1
        while True:
            y = self.discrete_laplace(t, 1)
            # γ = (|y| − σ²/t)² / (2σ²) = (|y|·t·sd − sn)² / (2·sn·t²·sd)
            if self.bernoulli_exp((abs(y) * t * sd - sn) ** 2, 2 * sn * t * t * sd):
                return y


def _as_fraction(name: str, value) -> Fraction:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Rational, float,
                                                                      np.floating)):
        raise TypeError(f"{name} must be a real number (int, float or Fraction), "
                        f"got {type(value).__name__} {value!r}")
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    if isinstance(value, np.integer):
        value = int(value)
    elif isinstance(value, np.floating):
        value = float(value)  # exact for float16/32/64
    frac = Fraction(value)  # exact: a float is a dyadic rational
    if frac <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return frac


#: Beyond this scale a sample could pass int64 (P[|X| > 2^63] <= e^-128 below it).
_INT64_SCALE = 2**56


def _draw(one, size, scale: Fraction) -> int | np.ndarray:
    if size is None:
        return one()
    shape = (size,) if not isinstance(size, (tuple, list)) else tuple(size)
    if isinstance(size, bool) or any(isinstance(n, (bool, np.bool_)) or
                                     not isinstance(n, numbers.Integral) for n in shape):
        raise TypeError(f"size must be None, a non-negative int or a tuple of them, "
                        f"got {type(size).__name__} {size!r}")
    if any(n < 0 for n in shape):
        raise ValueError(f"size must be None, a non-negative int or a tuple of them, "
                         f"got {size!r}")
    shape = tuple(int(n) for n in shape)
    count = math.prod(shape)
    if scale > _INT64_SCALE:  # exact Python ints rather than a wrapped int64
        out = np.empty(count, dtype=object)
        out[:] = [one() for _ in range(count)]
        return out.reshape(shape)
    return np.fromiter((one() for _ in range(count)), dtype=np.int64, count=count
                       ).reshape(shape)


def discrete_laplace(*, scale, size=None, rng: RNGLike = None) -> int | np.ndarray:
    """Exact samples with P[X = x] ∝ exp(−|x| / scale) on the integers.

    Parameters
    ----------
    scale : int, float or fractions.Fraction
        t > 0. A float is used at its exact binary value. Adding this noise to an
        integer query of sensitivity Δ is (Δ/t)-DP (CKS 2020, Section 2).
    size : int, tuple of int or None
        Output shape; None returns one Python int.
    rng : numpy.random.Generator, int or None
        Source of uniform integers.

    Returns
    -------
    int or numpy.ndarray of int64 (of Python ints when the scale passes 2^56, so that
    no sample wraps)

    References
    ----------
    C. Canonne, G. Kamath, T. Steinke (2020), "The Discrete Gaussian for Differential
    Privacy", NeurIPS, Algorithm 2.
    """
    t = _as_fraction("scale", scale)
    src = _Uniform(as_generator(rng))
    return _draw(lambda: src.discrete_laplace(t.numerator, t.denominator), size, t)


def discrete_gaussian(*, sigma, size=None, rng: RNGLike = None) -> int | np.ndarray:
    """Exact samples with P[X = x] ∝ exp(−x² / (2σ²)) on the integers.

    Parameters
    ----------
    sigma : int, float or fractions.Fraction
        σ > 0; σ² is taken exactly as a rational. The variance of the discrete
        Gaussian is slightly below σ² (CKS 2020, Corollary 9).
    size : int, tuple of int or None
        Output shape; None returns one Python int.
    rng : numpy.random.Generator, int or None
        Source of uniform integers.

    References
    ----------
    Canonne, Kamath & Steinke (2020), Algorithm 3 (Theorem 1 for its privacy).
    """
    s = _as_fraction("sigma", sigma)
    src = _Uniform(as_generator(rng))
    sigma2 = s * s
    return _draw(lambda: src.discrete_gaussian(sigma2.numerator, sigma2.denominator), size,
                 s)
