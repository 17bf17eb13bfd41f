"""Rényi DP of the Poisson-subsampled Gaussian mechanism, and conversion to (ε, δ).

One step of DP-SGD samples each example with probability q (Poisson sampling) and
adds N(0, σ²) noise to the sum of gradients clipped to norm 1. Its Rényi divergence of
order α (Mironov 2017, "Rényi differential privacy", CSF) is ε(α) = log(A_α)/(α − 1)
with (Mironov, Talwar & Zhang 2019, "Rényi differential privacy of the sampled
Gaussian mechanism", Section 3.3)

    A_α = E_{z ~ μ0} [ (μ(z) / μ0(z))^α ],   μ0 = N(0, σ²),  μ = (1 − q)·μ0 + q·N(1, σ²).

For integer α, expanding the binomial gives the finite sum

    A_α = Σ_{k=0}^{α} C(α, k) (1 − q)^{α−k} q^k exp((k² − k) / (2σ²)).

For fractional α, split the integral at z0 = σ² ln(1/q − 1) + 1/2, where
(1 − q)μ0 = qμ1, and expand (1 + x)^α as a binomial series on each side (it converges
because |x| < 1 there). Each term integrates in closed form:

    A_α = Σ_{k>=0} C(α, k) [ (1 − q)^{α−k} q^k e^{(k² − k)/(2σ²)} Φ((z0 − k)/σ)
                           + q^{α−k} (1 − q)^k e^{(j² − j)/(2σ²)} Φ((j − z0)/σ) ],  j = α − k.

RDP composes by addition over steps, so T steps give T·ε(α).

Conversions to (ε, δ)-DP, minimised over the orders:

* classic (Mironov 2017, Proposition 3): ε = ε(α) + log(1/δ)/(α − 1);
* improved (Balle, Barthe, Gaboardi, Hsu & Sato 2020, "Hypothesis testing
  interpretations and Rényi differential privacy", AISTATS, Theorem 21):
  ε = ε(α) + log((α − 1)/α) − (log δ + log α)/(α − 1).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
from scipy import special

from .._validation import as_real_array, check_int, check_probability, check_real

__all__ = [
    "DEFAULT_ORDERS",
    "compute_rdp",
    "noise_multiplier_for",
    "rdp_to_dp",
]

#: Orders α used when none are given: TF-Privacy's and Opacus's grid (1.1, 1.2, ..., 10.9
#: and 12, ..., 63), so results compare with theirs, extended by 80, 96, ..., 1024 (163
#: orders). A few releases of a Gaussian with large σ are best converted at a large order
#: (α* ≈ σ·√(2 ln(1/δ)) for one release): a grid that stops at 63 then reports an ε worse
#: than basic composition. :func:`rdp_to_dp` warns when the best order is the grid's edge.
DEFAULT_ORDERS: tuple[float, ...] = tuple(
    [1 + x / 10.0 for x in range(1, 100)] + [float(a) for a in range(12, 64)]
    + [80.0, 96.0, 128.0, 160.0, 192.0, 256.0, 320.0, 384.0, 512.0, 640.0, 768.0, 1024.0]
)

_CHUNK = 256           # binomial-series terms per vectorised pass
_MAX_TERMS = 1_000_000  # far beyond what practical (q, σ, α) need (q = 0.5, α = 1.1: ~4e4)
_REL_TOL = 1e-15        # stop once a pass's terms are this small relative to the sum


def _log_a_integer(q: float, sigma: float, alphas: np.ndarray) -> np.ndarray:
    """log A_α for integer orders, by the finite binomial sum (all orders at once)."""
    amax = int(alphas.max())
    k = np.arange(amax + 1, dtype=np.float64)[None, :]
    a = alphas[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        log_terms = (special.gammaln(a + 1) - special.gammaln(k + 1) - special.gammaln(a - k + 1)
                     + (a - k) * math.log1p(-q) + k * math.log(q)
                     + (k * k - k) / (2.0 * sigma**2))
    log_terms = np.where(k <= a, log_terms, -np.inf)
    return special.logsumexp(log_terms, axis=1)


def _series_terms(q: float, sigma: float, a: np.ndarray, k: np.ndarray):
    """log|term| of both series and the sign of C(α, k), for orders a (column) and k (row)."""
    z0 = sigma**2 * math.log(1.0 / q - 1.0) + 0.5
    s2 = 2.0 * sigma**2
    j = a - k
    log_binom = special.gammaln(a + 1) - special.gammaln(k + 1) - special.gammaln(j + 1)
    sign = special.gammasgn(j + 1)  # sign of C(α, k), as Γ(α + 1) and k! are > 0
    t0 = (log_binom + j * math.log1p(-q) + k * math.log(q) + (k * k - k) / s2
          + special.log_ndtr((z0 - k) / sigma))
    t1 = (log_binom + j * math.log(q) + k * math.log1p(-q) + (j * j - j) / s2
          + special.log_ndtr((j - z0) / sigma))
    return t0, t1, sign


def _log_a_fractional(q: float, sigma: float, alphas: np.ndarray) -> np.ndarray:
    """log A_α for fractional orders, by the two binomial series (see module doc).

    All orders are summed together, one pass of terms at a time; an order stops when
    a pass adds terms below ``_REL_TOL`` of its sum. Beyond k > α the terms alternate
    in sign and shrink, so the error is below the first term left out.
    """
    width = max(_CHUNK, int(alphas.max()) + 64)  # the first pass holds the largest terms
    k = np.arange(width, dtype=np.float64)[None, :]
    t0, t1, sign = _series_terms(q, sigma, alphas[:, None], k)
    scale = np.maximum(t0.max(axis=1), t1.max(axis=1))  # sum = total · e^scale
    total = (sign * (np.exp(t0 - scale[:, None]) + np.exp(t1 - scale[:, None]))).sum(axis=1)
    active = np.ones(alphas.shape, dtype=bool)
    last = np.maximum(t0[:, -1], t1[:, -1]) - scale
    active &= last >= math.log(_REL_TOL) + np.log(np.abs(total))
    start = width
    while np.any(active):
        if start >= _MAX_TERMS:  # pragma: no cover - not reached for q in (0, 1), σ > 0
            raise RuntimeError(f"the RDP series did not converge in {_MAX_TERMS} terms for "
                               f"orders {alphas[active].tolist()}")
        idx = np.flatnonzero(active)
        k = np.arange(start, start + _CHUNK, dtype=np.float64)[None, :]
        t0, t1, sign = _series_terms(q, sigma, alphas[idx, None], k)
        sc = scale[idx, None]
        total[idx] += (sign * (np.exp(t0 - sc) + np.exp(t1 - sc))).sum(axis=1)
        biggest = np.maximum(t0.max(axis=1), t1.max(axis=1)) - scale[idx]
        active[idx] = biggest >= math.log(_REL_TOL) + np.log(np.abs(total[idx]))
        start += _CHUNK
    return scale + np.log(total)


#: Largest order accepted: the cost of an order grows with α, and orders past a few
#: hundred only matter for δ far below anything used in practice.
MAX_ORDER = 10_000


def _check_orders(orders) -> np.ndarray:
    if orders is None or isinstance(orders, (Mapping, str, bytes)):
        raise TypeError(f"orders must be an array of real numbers > 1, got "
                        f"{type(orders).__name__} {orders!r}")
    arr = as_real_array("orders", orders)
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise ValueError(f"orders must be one-dimensional, got shape {arr.shape}")
    if np.any(arr <= 1):
        raise ValueError(f"orders must all be > 1, got {float(arr[arr <= 1][0])!r} among them")
    if np.any(arr > MAX_ORDER):
        raise ValueError(f"orders must all be <= {MAX_ORDER}, got "
                         f"{float(arr[arr > MAX_ORDER][0])!r} among them")
    return arr.copy()


def compute_rdp(
    *, sample_rate: float, noise_multiplier: float, steps: int, orders=DEFAULT_ORDERS
) -> np.ndarray:
    """RDP ε(α) of ``steps`` Poisson-subsampled Gaussian steps, one value per order.

    Parameters
    ----------
    sample_rate : float
        q in [0, 1], the probability each example is in a batch (batch size / n).
    noise_multiplier : float
        σ >= 0: the noise standard deviation divided by the L2 sensitivity (the
        clipping norm). σ = 0 means no privacy: ε(α) = ∞ for q > 0.
    steps : int
        Number of steps T >= 0; RDP adds up, so the result is T·ε(α).
    orders : array_like of float
        Orders α > 1 (integer and fractional alike); default :data:`DEFAULT_ORDERS`.

    Returns
    -------
    numpy.ndarray
        T·ε(α) for each order, in the order given.

    References
    ----------
    Mironov, Talwar & Zhang (2019), Section 3.3; Mironov (2017), Proposition 1
    (composition).
    """
    q = check_probability("sample_rate", sample_rate, closed=True)
    sigma = check_real("noise_multiplier", noise_multiplier, low=0.0, low_open=False)
    steps = check_int("steps", steps, low=0, high=2**53)
    alphas = _check_orders(orders)
    if q == 0.0 or steps == 0:
        return np.zeros_like(alphas)
    if 2.0 * sigma * sigma < 1e-300:  # σ = 0, or so small that 1/(2σ²) overflows
        return np.full_like(alphas, np.inf)
    full = steps * alphas / (2.0 * sigma * sigma)  # the plain Gaussian mechanism: α/(2σ²)
    if q == 1.0 or sigma > 1e100:  # past σ = 1e100 the bound α/(2σ²) is below 1e-196
        return full
    log_a = np.empty_like(alphas)
    is_int = alphas == np.round(alphas)
    if np.any(is_int):
        log_a[is_int] = _log_a_integer(q, sigma, alphas[is_int])
    if not np.all(is_int):
        log_a[~is_int] = _log_a_fractional(q, sigma, alphas[~is_int])
    # Subsampling never costs more than the full Gaussian, and RDP is >= 0: both clamps only
    # remove rounding error (a tiny negative value at q ~ 1e-8, noise at σ ~ 1e10).
    return np.clip(steps * log_a / (alphas - 1.0), 0.0, full)


def rdp_to_dp(*, orders, rdp, delta: float, method: str = "improved") -> tuple[float, float]:
    """Convert RDP curves to (ε, δ)-DP; returns ``(epsilon, best_order)``.

    Parameters
    ----------
    orders : array_like of float
        The orders α > 1 at which ``rdp`` was computed.
    rdp : array_like of float
        RDP ε(α) at each order (``inf`` allowed: that order is simply not used).
    delta : float
        Target δ in (0, 1).
    method : {"improved", "classic"}
        ``"classic"``: ε = ε(α) + log(1/δ)/(α − 1) (Mironov 2017, Prop. 3);
        ``"improved"``: ε = ε(α) + log((α−1)/α) − (log δ + log α)/(α − 1) (Balle et
        al. 2020, Thm 21), never larger than the classic one at the same order.

    Returns
    -------
    (float, float)
        The smallest ε over the orders (clipped at 0, since an ε-DP bound below 0
        says nothing more than ε = 0) and the order that achieved it. An RDP of 0 at
        every order (no step taken) gives exactly ε = 0 and the first order.

    Examples
    --------
    >>> rdp = compute_rdp(sample_rate=256/60000, noise_multiplier=1.1, steps=14063)
    >>> eps, order = rdp_to_dp(orders=DEFAULT_ORDERS, rdp=rdp, delta=1e-5, method="classic")
    >>> round(eps, 2)
    3.01
    """
    alphas = _check_orders(orders)
    raw = None if rdp is None or isinstance(rdp, (str, bytes, Mapping)) else np.asarray(rdp)
    if raw is None or raw.dtype.kind not in "iuf":
        raise TypeError(f"rdp must be an array of real numbers, got "
                        f"{type(rdp).__name__} {rdp!r}")
    values = np.atleast_1d(raw.astype(np.float64))
    if values.shape != alphas.shape:
        raise ValueError(f"rdp must have one value per order: got shape {values.shape} "
                         f"for {alphas.shape[0]} orders")
    if np.any(np.isnan(values)) or np.any(values < 0):
        raise ValueError("rdp must hold values >= 0 (inf allowed), got "
                         f"{values[np.isnan(values) | (values < 0)][0]!r} among them")
    delta = check_probability("delta", delta)
    if method not in ("classic", "improved"):
        raise ValueError(f"method must be 'improved' or 'classic', got {method!r}")
    if np.all(values == 0):  # nothing was released: ε = 0 exactly, whatever the formula's slack
        return 0.0, float(alphas[0])
    if method == "classic":
        eps = values + math.log(1.0 / delta) / (alphas - 1.0)
    else:
        eps = (values + np.log1p(-1.0 / alphas)
               - (math.log(delta) + np.log(alphas)) / (alphas - 1.0))
    best = int(np.argmin(eps))
    if len(alphas) > 1 and alphas[best] == alphas.max() and np.isfinite(eps[best]):
        warnings.warn(f"the best order is the largest one given ({float(alphas[best]):g}): a "
                      "larger order may give a smaller epsilon; add larger orders",
                      RuntimeWarning, stacklevel=2)
    return max(float(eps[best]), 0.0), float(alphas[best])


def noise_multiplier_for(
    target_epsilon: float,
    *,
    sample_rate: float,
    steps: int,
    delta: float,
    orders=DEFAULT_ORDERS,
    method: str = "improved",
    tol: float = 1e-4,
) -> float:
    """Smallest noise multiplier σ whose ε after ``steps`` steps is <= ``target_epsilon``.

    Bisection on σ (ε decreases as σ grows). The answer is conservative: the returned
    σ always meets the target, and σ − tol does not (up to the bisection tolerance).

    Parameters
    ----------
    target_epsilon : float
        ε > 0 to reach.
    sample_rate, steps, delta, orders, method
        As in :func:`compute_rdp` and :func:`rdp_to_dp`.
    tol : float
        Absolute tolerance on σ, > 0.
    """
    target = check_real("target_epsilon", target_epsilon, low=0.0)
    tol = check_real("tol", tol, low=0.0)
    check_int("steps", steps, low=1)

    def eps_of(sigma: float) -> float:
        rdp = compute_rdp(sample_rate=sample_rate, noise_multiplier=sigma, steps=steps,
                          orders=orders)
        return rdp_to_dp(orders=orders, rdp=rdp, delta=delta, method=method)[0]

    lo, hi = 0.0, 1.0
    while eps_of(hi) > target:
        lo, hi = hi, 2.0 * hi
        if hi > 1e6:
            raise ValueError(f"target_epsilon={target!r} cannot be reached with a noise "
                             f"multiplier below 1e6 at delta={delta!r}; raise the target")
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if eps_of(mid) > target:
            lo = mid
        else:
            hi = mid
    return hi
