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

The randomness is drawn as uniform integers from a ``numpy.random.Generator`` (whose
``integers`` method is exact), so runs are reproducible for teaching; for deployment
feed it a generator seeded from the operating system (``rng=None``).
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from .._random import RNGLike, as_generator

__all__ = ["discrete_gaussian", "discrete_laplace"]

_BIG = 1 << 62


class _Uniform:
    """Uniform integers below a bound, drawn exactly from a numpy Generator."""

    def __init__(self, gen: np.random.Generator) -> None:
        self.gen = gen

    def below(self, d: int) -> int:
        if d <= _BIG:
            return int(self.gen.integers(d))
        bits = d.bit_length()  # rejection sampling for arbitrarily large bounds
        while True:
            words = self.gen.integers(0, 1 << 32, size=(bits + 31) // 32, dtype=np.uint64)
            x = 0
            for w in words.tolist():
                x = (x << 32) | w
            x >>= 32 * len(words) - bits
            if x < d:
                return x

    def bernoulli(self, p: Fraction) -> bool:
        """True with probability p = n/d exactly."""
        return self.below(p.denominator) < p.numerator

    def bernoulli_exp(self, gamma: Fraction) -> bool:
        """True with probability exp(−γ), γ >= 0 rational (CKS 2020, Algorithm 1)."""
        while gamma > 1:  # exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋))
            if not self._bernoulli_exp_unit(Fraction(1)):
                return False
            gamma -= 1
        return self._bernoulli_exp_unit(gamma)

    def _bernoulli_exp_unit(self, gamma: Fraction) -> bool:
        # For γ in [0, 1]: draw A_k ~ Bernoulli(γ/k) for k = 1, 2, ... until one is 0;
        # the index K of that first 0 is odd with probability exp(−γ).
        k = 1
        while self.bernoulli(gamma / k):
            k += 1
        return k % 2 == 1

    def discrete_laplace(self, scale: Fraction) -> int:
        """One draw from Lap_Z(t/s), scale = t/s (CKS 2020, Algorithm 2)."""
        s, t = scale.denominator, scale.numerator
        while True:
            u = self.below(t)
            if not self.bernoulli_exp(Fraction(u, t)):
                continue
            v = 0
            while self.bernoulli_exp(Fraction(1)):
                v += 1
            y = (u + t * v) // s
            negative = self.below(2) == 1
            if negative and y == 0:
                continue
            return -y if negative else y

    def discrete_gaussian(self, sigma2: Fraction) -> int:
        """One draw from N_Z(0, σ²) (CKS 2020, Algorithm 3)."""
        t = math.isqrt(sigma2.numerator // sigma2.denominator) + 1  # ⌊σ⌋ + 1
        while True:
            y = self.discrete_laplace(Fraction(t))
            gamma = (abs(y) - sigma2 / t) ** 2 / (2 * sigma2)
            if self.bernoulli_exp(gamma):
                return y


def _as_fraction(name: str, value) -> Fraction:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Rational, float,
                                                                      np.floating)):
        raise TypeError(f"{name} must be a real number (int, float or Fraction), "
                        f"got {type(value).__name__} {value!r}")
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    frac = Fraction(value)  # exact: a float is a dyadic rational
    if frac <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return frac


def _draw(one, size, gen) -> int | np.ndarray:
    if size is None:
        return one()
    shape = (size,) if not isinstance(size, (tuple, list)) else tuple(size)
    if isinstance(size, bool) or any(isinstance(n, bool) or not isinstance(n, numbers.Integral)
                                     or n < 0 for n in shape):
        raise ValueError(f"size must be None, a non-negative int or a tuple of them, "
                         f"got {size!r}")
    count = math.prod(shape)
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
    int or numpy.ndarray of int64

    References
    ----------
    C. Canonne, G. Kamath, T. Steinke (2020), "The Discrete Gaussian for Differential
    Privacy", NeurIPS, Algorithm 2.
    """
    t = _as_fraction("scale", scale)
    src = _Uniform(as_generator(rng))
    return _draw(lambda: src.discrete_laplace(t), size, src.gen)


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
    return _draw(lambda: src.discrete_gaussian(sigma2), size, src.gen)
