"""The Gaussian mechanism: classic and analytic calibration.

Releasing f(D) + N(0, σ²I) for a query with L2 sensitivity Δ is (ε, δ)-DP when σ is
large enough. Two calibrations:

* classic (Dwork & Roth 2014, Theorem A.1): σ = Δ·√(2 ln(1.25/δ)) / ε, proved only for
  ε < 1, and loose even there;
* analytic (Balle & Wang 2018, "Improving the Gaussian mechanism for differential
  privacy", ICML, Theorem 8 and Algorithm 1): the smallest σ, exact for every ε > 0.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

from .._random import RNGLike, as_generator
from .._validation import as_real_array, check_probability, check_real

__all__ = [
    "analytic_gaussian_sigma",
    "gaussian_delta",
    "gaussian_mechanism",
    "gaussian_sigma",
]


def gaussian_sigma(*, sensitivity: float, epsilon: float, delta: float) -> float:
    """Classic calibration σ = Δ·√(2 ln(1.25/δ)) / ε (Dwork & Roth 2014, Thm A.1).

    Parameters
    ----------
    sensitivity : float
        L2 sensitivity Δ > 0.
    epsilon : float
        ε in (0, 1). The theorem's proof needs ε < 1; for ε >= 1 this function
        refuses rather than return a σ that is not proved private.
    delta : float
        δ in (0, 1).

    Returns
    -------
    float
        σ. It is always larger than :func:`analytic_gaussian_sigma` for the same
        (Δ, ε, δ), i.e. it adds more noise than needed.

    Examples
    --------
    >>> round(gaussian_sigma(sensitivity=1, epsilon=0.5, delta=1e-5), 6)
    9.689611
    """
    sensitivity = check_real("sensitivity", sensitivity, low=0.0)
    epsilon = check_real("epsilon", epsilon, low=0.0)
    delta = check_probability("delta", delta)
    if epsilon >= 1.0:
        raise ValueError(
            "epsilon must be < 1 for the classic Gaussian calibration (Dwork & Roth "
            f"Thm A.1 is proved only there), got {epsilon!r}; use analytic_gaussian_sigma"
        )
    # ln(1.25/δ) as ln 1.25 − ln δ: finite even for the smallest subnormal δ
    return _finite_sigma(sensitivity * math.sqrt(2.0 * (math.log(1.25) - math.log(delta)))
                         / epsilon, sensitivity=sensitivity, epsilon=epsilon, delta=delta)


def _finite_sigma(sigma: float, **params: float) -> float:
    if not math.isfinite(sigma):
        given = ", ".join(f"{k}={v!r}" for k, v in params.items())
        raise ValueError(f"sigma overflows float64 for {given}: lower sensitivity or raise "
                         "epsilon")
    return sigma


def _log_phi(x: float) -> float:
    return float(special.log_ndtr(x))


def gaussian_delta(*, sigma: float, sensitivity: float, epsilon: float) -> float:
    """Exact δ(ε) of the Gaussian mechanism with noise σ (Balle & Wang 2018, Thm 8).

    δ = Φ(Δ/(2σ) − εσ/Δ) − e^ε Φ(−Δ/(2σ) − εσ/Δ), the smallest δ for which adding
    N(0, σ²) to a query of L2 sensitivity Δ is (ε, δ)-DP.
    """
    sigma = check_real("sigma", sigma, low=0.0)
    sensitivity = check_real("sensitivity", sensitivity, low=0.0)
    epsilon = check_real("epsilon", epsilon, low=0.0, low_open=False)
    return float(_hockey_stick(np.array([epsilon]), sigma=sigma, sensitivity=sensitivity)[0])


def _hockey_stick(epsilon: np.ndarray, *, sigma: float, sensitivity: float = 1.0
                  ) -> np.ndarray:
    """:func:`gaussian_delta` at each ε of an array, for any real ε (−∞ gives 1).

    Without the argument checks: the PLD of the subsampled Gaussian (:mod:`.pld`) needs
    δ(ε) on a grid that includes negative ε.
    """
    a = sensitivity / (2.0 * sigma)
    with np.errstate(invalid="ignore"):  # ε = −∞: handled below
        b = epsilon * sigma / sensitivity
        first = special.log_ndtr(a - b)
        second = np.where(np.isneginf(epsilon), -np.inf, epsilon + special.log_ndtr(-a - b))
        # δ = e^first − e^second, written as e^first·(1 − e^(second − first)) so no
        # precision is lost when the two terms are close; δ >= 0, so second <= first.
        # When Φ(a − b) underflows, δ is below the smallest double: 0.
        gap = np.minimum(second - first, 0.0)
    return np.where(np.isneginf(first), 0.0, 0.0 - np.exp(first) * np.expm1(gap))


def _b_plus(v: float, eps: float) -> float:
    # B⁺_ε(v) = Φ(√(εv)) − e^ε Φ(−√(ε(v+2)))        (Balle & Wang 2018, Thm 9)
    return math.exp(_log_phi(math.sqrt(eps * v))) - math.exp(
        eps + _log_phi(-math.sqrt(eps * (v + 2.0))))


def _b_minus(u: float, eps: float) -> float:
    # B⁻_ε(u) = Φ(−√(εu)) − e^ε Φ(−√(ε(u+2))), as Φ(−√(εu))·(1 − ratio) for precision
    first = _log_phi(-math.sqrt(eps * u))
    if first == -math.inf:
        return 0.0
    second = eps + _log_phi(-math.sqrt(eps * (u + 2.0)))
    return math.exp(first) * -math.expm1(min(second - first, 0.0))  # B⁻ >= 0


def _solve_increasing(fun, target: float) -> float:
    """Root of fun(x) = target for fun increasing on [0, ∞) with fun(0) <= target."""
    hi = 1.0
    while fun(hi) < target:
        hi *= 2.0
        if not math.isfinite(hi):
            raise ValueError("the analytic Gaussian calibration has no finite root for these "
                             "epsilon and delta: raise epsilon or delta")
    return optimize.brentq(lambda x: fun(x) - target, 0.0, hi, xtol=1e-300, rtol=1e-15,
                           maxiter=500)


def analytic_gaussian_sigma(*, sensitivity: float, epsilon: float, delta: float) -> float:
    """Smallest σ for which N(0, σ²) noise is (ε, δ)-DP (Balle & Wang 2018, Algorithm 1).

    Parameters
    ----------
    sensitivity : float
        L2 sensitivity Δ > 0.
    epsilon : float
        ε > 0 (any size: unlike the classic bound this one holds for ε >= 1).
    delta : float
        δ in (0, 1).

    Returns
    -------
    float
        σ = α·Δ/√(2ε), where α comes from solving B⁺_ε(v) = δ (if δ >= δ₀) or
        B⁻_ε(u) = δ (if δ < δ₀), δ₀ = Φ(0) − e^ε Φ(−√(2ε)). Accurate to about 1e-8
        relative or better for δ down to 1e-10 (tested against a 50-digit mpmath
        solution of Theorem 8).

    References
    ----------
    B. Balle and Y.-X. Wang (2018), "Improving the Gaussian Mechanism for Differential
    Privacy: Analytical Calibration and Optimal Denoising", ICML, Theorem 8, Theorem 9
    and Algorithm 1.
    """
    sensitivity = check_real("sensitivity", sensitivity, low=0.0)
    eps = check_real("epsilon", epsilon, low=0.0)
    delta = check_probability("delta", delta)
    # δ₀ = Φ(0) − e^ε Φ(−√(2ε)); the second term is <= 1/2, so its log is clamped there
    delta0 = 0.5 - math.exp(min(eps + _log_phi(-math.sqrt(2.0 * eps)), math.log(0.5)))
    if delta >= delta0:
        # B⁺ increases from δ₀ to 1: v* = sup{v >= 0 : B⁺(v) <= δ}
        v = _solve_increasing(lambda x: _b_plus(x, eps), delta)
        alpha = 1.0 / (math.sqrt(1.0 + v / 2.0) + math.sqrt(v / 2.0))  # √(1+v/2) − √(v/2)
    else:
        # B⁻ decreases from δ₀ to 0: u* = inf{u >= 0 : B⁻(u) <= δ}
        u = _solve_increasing(lambda x: -_b_minus(x, eps), -delta)
        alpha = math.sqrt(1.0 + u / 2.0) + math.sqrt(u / 2.0)
    return _finite_sigma(alpha * sensitivity / math.sqrt(2.0 * eps), sensitivity=sensitivity,
                         epsilon=eps, delta=delta)


def gaussian_mechanism(
    value, *, sensitivity: float, epsilon: float, delta: float, rng: RNGLike = None
) -> float | np.ndarray:
    """Release ``value + N(0, σ²)`` per entry, σ from :func:`analytic_gaussian_sigma`.

    Parameters
    ----------
    value : float or array_like
        The exact answer f(D); for an array, ``sensitivity`` is the L2 sensitivity of
        the whole vector.
    sensitivity, epsilon, delta : float
        Δ > 0 (L2), ε > 0, δ in (0, 1).
    rng : numpy.random.Generator, int or None
        Source of the noise.

    Notes
    -----
    Floating-point noise, for teaching: see the note in :func:`laplace_mechanism`
    (Mironov 2012) and :func:`privlearn.dp.discrete_gaussian` for the exact sampler.
    """
    x = as_real_array("value", value)
    sigma = analytic_gaussian_sigma(sensitivity=sensitivity, epsilon=epsilon, delta=delta)
    gen = as_generator(rng)
    out = x + gen.normal(0.0, sigma, size=x.shape)
    return float(out) if out.ndim == 0 else out
