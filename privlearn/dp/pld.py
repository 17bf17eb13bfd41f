"""Privacy loss distributions: tight (ε, δ) for composed mechanisms.

For neighbouring datasets D, D' and a mechanism M, let P = M(D) and Q = M(D'). The
*privacy loss* of an output o is L(o) = ln(P(o)/Q(o)), and its distribution under
o ~ P is the privacy loss distribution (PLD). It holds everything (ε, δ)-DP asks about:
the smallest δ at a given ε is the hockey-stick divergence

    δ(ε) = E_{o~P}[(1 − e^(ε − L(o)))_+] = P(L = ∞) + Σ_{ℓ > ε} p(ℓ)·(1 − e^(ε − ℓ)),

and running mechanisms one after another adds their losses, so the PLD of T steps is
the T-fold convolution of one step's (Sommer, Meiser & Mohammadi 2019; Meiser &
Mohammadi 2018; Koskela, Jälkö & Honkela 2020). On a grid of spacing h the convolution
is a product of Fourier transforms.

**Discretisation: connect the dots** (Doroshenko, Ghazi, Kamath, Kumar & Manurangsi
2022, "Connect the dots: tighter discrete approximations of privacy loss
distributions", PETS, Algorithm 1). Mass is put on the losses ih for i = a..b and on
+∞ so that the discrete PLD's δ equals the true δ(ih) at every grid point; in between
it lies above (their Theorem 3.4). With W_i = (δ_(i−1) − δ_i)/(1 − e^(−h)), the mass at
grid point a < i < b is W_i − e^(−h)·W_(i+1), at b it is W_b, at +∞ it is δ_b, and the
lowest point takes what is left, 1 − δ_a − (δ_a − δ_(a+1))/(e^h − 1). Nothing is
rounded down, so in exact arithmetic every ε reported is an upper bound: *pessimistic*.
Composition cuts tails only where a bound puts their mass below ``tail`` (10⁻¹⁵ by
default), and never lowers δ for it: :meth:`~PrivacyLossDistribution.compose` counts the
high tail's mass as infinite loss and moves the low tail's up to the lowest point kept;
:meth:`~PrivacyLossDistribution.self_compose` counts the whole bound, ``tail``, as infinite
loss. The pessimism of the grid adds up over
steps: it is largest for many steps at small q (about +5% in ε for q = 1e-4, σ = 1,
10⁶ steps at h = 1e-4; a smaller h removes it). Floating point limits the rest: composing by
FFT leaves round-off of about T·10⁻¹⁶ of the bulk in each grid cell, which moves ε either
way by a little, and swamps δ below about 10⁻¹².

**The Poisson-subsampled Gaussian** (one DP-SGD step: each example is in the batch
with probability q, the batch's clipped gradient sum gets N(0, σ²) noise, sensitivity
1). Under add/remove neighbours the worst pair is one-dimensional (Zhu, Dong & Wang
2022, "Optimal accounting of differential privacy via characteristic function",
AISTATS, Section 5), with μ0 = N(0, σ²), μ1 = N(1, σ²), μq = (1 − q)μ0 + qμ1:

* remove (D' = D minus one person): P = μq, Q = μ0, and
  δ(ε) = q·δ_G(ln(1 + (e^ε − 1)/q)) for ε > ln(1 − q), else 1 − e^ε;
* add (D' = D plus one person): P = μ0, Q = μq, and
  δ(ε) = (1 − e^ε(1 − q))·δ_G(−ln(1 + (e^(−ε) − 1)/q)) for ε < −ln(1 − q), else 0;

where δ_G is the Gaussian's own curve, Φ(1/(2σ) − εσ) − e^ε Φ(−1/(2σ) − εσ) (Balle &
Wang 2018, Theorem 8); the first line is amplification by subsampling (Balle, Barthe &
Gaboardi 2018, Theorem 9). Both follow from δ(ε) = P(L > ε) − e^ε Q(L > ε) with L
monotone in the output. A guarantee for add/remove neighbours must hold both ways, so
ε is the larger of the two directions' (δ likewise).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft, signal, special

from .._validation import as_real_array, check_int, check_probability, check_real
from .gaussian import _hockey_stick

__all__ = ["PrivacyLossDistribution", "subsampled_gaussian_pld"]

#: Mass that may be cut from each composition's tails (and counted as infinite loss).
DEFAULT_TAIL = 1e-15
#: The grid of one subsampled Gaussian step covers outputs within this many σ of 0 and 1;
#: beyond, each Gaussian has mass Φ(−10) = 7.6e-24, which the top grid point's δ accounts.
_SPAN_SIGMAS = 10.0
#: Largest grid (points) built or composed: 2^25 doubles are 256 MiB.
_MAX_POINTS = 2**25
_DIRECTIONS = ("remove", "add")


class PrivacyLossDistribution:
    """A discrete privacy loss distribution: masses on the grid h·i, plus one at +∞.

    Parameters
    ----------
    probs : array_like of float
        Masses at the losses h·(lowest + i), i = 0, 1, ...; non-negative.
    lowest : int
        Grid index of ``probs[0]``.
    infinity_mass : float
        Mass at loss +∞ (outputs that only D can produce), in [0, 1].
    value_discretization_interval : float
        The grid spacing h > 0.

    Notes
    -----
    The total mass, ``probs.sum() + infinity_mass``, must be 1 up to rounding; it grows a
    little with each composition (``tail`` per truncation, counted in ``infinity_mass``,
    and the rounding noise clipped at 0). A total below 1 − 10⁻⁶ is refused: δ read from
    such a PLD would be optimistic.
    """

    def __init__(self, probs, *, lowest: int, infinity_mass: float,
                 value_discretization_interval: float) -> None:
        probs = as_real_array("probs", probs)
        if probs.ndim != 1 or np.any(probs < 0):
            raise ValueError(f"probs must be a 1-D array of masses >= 0, got shape "
                             f"{probs.shape} with minimum {float(probs.min())!r}")
        self.probs = probs.copy()  # the caller's array may change
        self.lowest = check_int("lowest", lowest)
        self.infinity_mass = check_probability("infinity_mass", infinity_mass, closed=True)
        total = float(probs.sum()) + self.infinity_mass
        if total < 1.0 - 1e-6:
            raise ValueError(f"probs and infinity_mass must add up to 1, got {total!r}: a PLD "
                             "missing mass would report too small a delta")
        self.value_discretization_interval = check_real(
            "value_discretization_interval", value_discretization_interval, low=0.0)

    @property
    def losses(self) -> np.ndarray:
        """The finite losses h·(lowest + i) that ``probs`` are the masses of."""
        return (self.lowest + np.arange(self.probs.size)) * self.value_discretization_interval

    def __repr__(self) -> str:
        return (f"PrivacyLossDistribution(points={self.probs.size}, losses in "
                f"[{self.losses[0]:.4g}, {self.losses[-1]:.4g}], "
                f"infinity_mass={self.infinity_mass:.3g})")

    # ------------------------------------------------------------------ (ε, δ)
    def _upper_sums(self) -> tuple[np.ndarray, np.ndarray]:
        """Σ_{j >= i} p_j and ln Σ_{j >= i} p_j·e^(−ℓ_j) for i = 0..n (the last: empty)."""
        with np.errstate(divide="ignore"):
            log_terms = np.log(self.probs) - self.losses
        mass = np.append(np.cumsum(self.probs[::-1])[::-1], 0.0)
        log_lower = np.append(np.logaddexp.accumulate(log_terms[::-1])[::-1], -np.inf)
        return mass, log_lower

    def delta(self, epsilon) -> float | np.ndarray:
        """δ(ε) = P(L = ∞) + Σ_{ℓ > ε} p(ℓ)(1 − e^(ε − ℓ)); a float or an array like ε."""
        eps = as_real_array("epsilon", epsilon)
        mass, log_lower = self._upper_sums()
        # the first grid index whose loss exceeds ε (a loss equal to ε adds 0 anyway)
        above = np.clip(np.floor(eps / self.value_discretization_interval) - self.lowest + 1,
                        0, self.probs.size).astype(np.int64)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self.infinity_mass + mass[above] - np.exp(eps + log_lower[above])
        out = np.clip(out, 0.0, 1.0)
        return float(out) if out.ndim == 0 else out

    def epsilon(self, delta: float) -> float:
        """The smallest ε >= 0 with δ(ε) <= ``delta`` (∞ if ``infinity_mass`` > δ)."""
        delta = check_probability("delta", delta)
        if self.infinity_mass > delta:
            return math.inf
        mass, log_lower = self._upper_sums()
        # δ at grid loss ℓ_k counts the masses above it, from index k + 1 of the sums
        with np.errstate(over="ignore", invalid="ignore"):
            at_grid = self.infinity_mass + mass[1:] - np.exp(self.losses + log_lower[1:])
        over = np.flatnonzero(at_grid > delta)
        # ε lies past the last grid loss where δ is still too big (or below the grid);
        # there δ(ε) = P(∞) + mass[i] − e^ε·Σ_{j >= i} p_j e^(−ℓ_j): solve for ε
        i = over[-1] + 1 if over.size else 0
        excess = self.infinity_mass + mass[i] - delta
        if excess <= 0.0:  # δ(ε) <= delta for every ε
            return 0.0
        return max(0.0, math.log(excess) - float(log_lower[i]))

    # ------------------------------------------------------------ composition
    def _check_composable(self, other: PrivacyLossDistribution) -> None:
        if not isinstance(other, PrivacyLossDistribution):
            raise TypeError(f"other must be a PrivacyLossDistribution, got "
                            f"{type(other).__name__}")
        if other.value_discretization_interval != self.value_discretization_interval:
            raise ValueError(
                "PLDs on different grids cannot be composed: value_discretization_interval "
                f"{self.value_discretization_interval!r} vs "
                f"{other.value_discretization_interval!r}")

    def compose(self, other: PrivacyLossDistribution, *, tail: float = DEFAULT_TAIL
                ) -> PrivacyLossDistribution:
        """The PLD of running this mechanism and then ``other`` (losses add)."""
        self._check_composable(other)
        tail = check_real("tail", tail, low=0.0, high=1.0)
        _check_points(self.probs.size + other.probs.size - 1, self.value_discretization_interval)
        probs = np.maximum(signal.fftconvolve(self.probs, other.probs), 0.0)
        infinity = 1.0 - (1.0 - self.infinity_mass) * (1.0 - other.infinity_mass)
        return _truncated(probs, self.lowest + other.lowest, infinity, tail,
                          self.value_discretization_interval)

    def self_compose(self, times: int, *, tail: float = DEFAULT_TAIL
                     ) -> PrivacyLossDistribution:
        """The PLD of ``times`` independent runs: one FFT, raised to the power ``times``.

        The output window is where a Chernoff bound leaves at most ``tail``/2 outside on
        either side (as Koskela et al. 2020 and dp_accounting bound it); what falls outside
        is at most ``tail`` and is counted as infinite loss. A cyclic convolution folds that
        outside mass back into the window, so δ rises by at most 2·``tail`` and never falls.
        When the window is the whole support nothing is cut and nothing is added.
        """
        times = check_int("times", times, low=1)
        tail = check_real("tail", tail, low=0.0, high=1.0)
        if times == 1:
            return self
        n, h = self.probs.size, self.value_discretization_interval
        span = (times * self.lowest, times * (self.lowest + n - 1))  # the whole support
        lo, hi = _chernoff_window(self.probs, self.losses, times, tail, h)
        lo, hi = max(lo, span[0]), min(hi, span[1])  # absolute grid indices of the window
        if lo > hi:  # the finite mass is almost all gone (p∞ near 1): keep everything
            lo, hi = span
        cut = tail if (lo, hi) != span else 0.0
        length = hi - lo + 1
        _check_points(max(length, n), h)
        size = fft.next_fast_len(max(length, n), real=True)
        powered = fft.irfft(fft.rfft(self.probs, size) ** times, size)
        start = lo - times * self.lowest  # where the window starts in the linear result
        probs = np.maximum(np.roll(powered, -start)[:length], 0.0)
        # 1 − (1 − p∞)^T, without cancellation for small p∞
        infinity = -math.expm1(times * math.log1p(-self.infinity_mass)) \
            if self.infinity_mass < 1.0 else 1.0
        return PrivacyLossDistribution(probs, lowest=lo,
                                       infinity_mass=min(1.0, infinity + cut),
                                       value_discretization_interval=h)


def _check_points(points: int, interval: float) -> None:
    if points > _MAX_POINTS:
        raise ValueError(
            f"the privacy loss distribution needs {points:,} grid points at "
            f"value_discretization_interval={interval!r} (limit {_MAX_POINTS:,}): raise the "
            "interval, or use the RDP accountant for this many steps")


def _truncated(probs: np.ndarray, lowest: int, infinity_mass: float, tail: float,
               interval: float) -> PrivacyLossDistribution:
    """Cut up to tail/2 of mass from each end: the low end's mass moves up to the first
    grid point kept, the high end's to +∞ (both can only raise δ)."""
    from_low = np.cumsum(probs)
    from_high = np.cumsum(probs[::-1])
    left = int(np.searchsorted(from_low, tail / 2.0, side="right"))   # points cut low
    right = int(np.searchsorted(from_high, tail / 2.0, side="right"))  # points cut high
    left, right = min(left, probs.size - 1), min(right, probs.size - 1 - left)
    kept = probs[left:probs.size - right].copy()
    kept[0] += from_low[left - 1] if left else 0.0
    infinity = infinity_mass + (from_high[right - 1] if right else 0.0)
    return PrivacyLossDistribution(kept, lowest=lowest + left,
                                   infinity_mass=min(1.0, infinity),
                                   value_discretization_interval=interval)


def _chernoff_window(probs: np.ndarray, losses: np.ndarray, times: int, tail: float,
                     h: float) -> tuple[int, int]:
    """Grid indices [lo, hi] outside which the T-fold sum has mass <= tail/2 per side.

    P(S >= s) <= M(t)^T e^(−ts) for t > 0, P(S <= s) <= M(t)^T e^(−ts) for t < 0, with
    M(t) = Σ p_i e^(t ℓ_i); the bound is taken at the best t of a geometric grid.
    """
    scale = max(float(np.max(np.abs(losses))), h)
    ts = np.geomspace(1e-3, 1e3, 25) / scale
    ts = np.concatenate([-ts[::-1], ts])
    log_m = np.array([special.logsumexp(t * losses, b=probs) for t in ts])
    bounds = (times * log_m + math.log(2.0 / tail)) / ts  # in loss units
    positive = ts > 0
    hi, lo = np.min(bounds[positive]), np.max(bounds[~positive])
    span_lo, span_hi = times * losses[0], times * losses[-1]
    lo = min(max(lo, span_lo), span_hi) if np.isfinite(lo) else span_lo
    hi = max(min(hi, span_hi), span_lo) if np.isfinite(hi) else span_hi
    return math.floor(lo / h), math.ceil(hi / h)


def _connect_the_dots(steps: np.ndarray, first_complement: float, last_delta: float,
                      lowest: int, interval: float) -> PrivacyLossDistribution:
    """The pessimistic PLD whose δ at the grid losses h·(lowest + i) is the curve given
    (Doroshenko et al. 2022, Algorithm 1; formulas in the module docstring).

    The curve comes as its steps δ_i − δ_(i−1), 1 − δ at the first point and δ at the
    last. The masses are second differences over h, so the steps must be accurate to the
    last digit: a step of 1e-9 taken as the difference of two numbers near 1 keeps 7
    digits, and the masses built from it would be rounding noise.
    """
    steps = np.minimum(steps, 0.0)  # δ(ε) never increases
    w = steps / math.expm1(-interval)  # W_i = (δ_(i−1) − δ_i)/(1 − e^(−h)), i = a+1..b
    probs = np.empty(steps.size + 1)
    probs[1:] = w - math.exp(-interval) * np.append(w[1:], 0.0)
    probs[0] = first_complement + (steps[0] / math.expm1(interval) if steps.size else 0.0)
    return PrivacyLossDistribution(np.maximum(probs, 0.0), lowest=lowest,
                                   infinity_mass=float(np.clip(last_delta, 0.0, 1.0)),
                                   value_discretization_interval=interval)


def _subsampled_gaussian_loss(x: np.ndarray, sigma: float, q: float, direction: str
                              ) -> np.ndarray:
    """Privacy loss at output x: ±ln((1 − q) + q·e^((2x − 1)/(2σ²)))."""
    log_ratio = (2.0 * x - 1.0) / (2.0 * sigma * sigma)  # ln μ1(x)/μ0(x)
    loss = log_ratio if q == 1.0 else np.logaddexp(math.log1p(-q), math.log(q) + log_ratio)
    return loss if direction == "remove" else -loss


def _gaussian_complement(eps: np.ndarray, sigma: float) -> np.ndarray:
    """1 − δ_G(ε) = Φ(εσ − 1/(2σ)) + e^ε Φ(−εσ − 1/(2σ)): two positive terms."""
    a = 0.5 / sigma
    with np.errstate(invalid="ignore"):
        first = special.log_ndtr(eps * sigma - a)
        second = np.where(np.isneginf(eps), -np.inf, eps + special.log_ndtr(-eps * sigma - a))
    return np.minimum(np.exp(np.logaddexp(first, second)), 1.0)


def _unsampled(eps: np.ndarray, q: float) -> np.ndarray:
    """ln(1 + (e^ε − 1)/q): the loss without subsampling that has loss ε with it.

    As written it loses digits when (e^ε − 1)/q is near −1 (ε far below 0 at q ~ 1) and
    overflows for large ε; there the equal form ε + ln(1 − (1 − q)e^(−ε)) − ln q is exact.
    """
    with np.errstate(over="ignore"):
        ratio = np.expm1(np.minimum(eps, 1.0)) / q
    other = (ratio < -0.5) | (eps > 1.0)
    out = np.log1p(np.where(other, 0.0, ratio))
    if np.any(other):
        e = eps[other]
        keep = 0.0 if q == 1.0 else -(1.0 - q) * np.exp(-e)
        out[other] = e + np.log1p(keep) - math.log(q)
    return out


def _subsampled_gaussian_curve(eps: np.ndarray, sigma: float, q: float, direction: str
                               ) -> tuple[np.ndarray, float, np.ndarray]:
    """δ(ε) of one Poisson-subsampled Gaussian step (module docstring) on an even grid,
    with 1 − δ at its first point and the steps δ_i − δ_(i−1), all without cancellation.

    Where δ is small its own steps are accurate. Where it is not, δ = f − r with f simple
    (remove: q; add: 1 − e^ε(1 − q), whose steps are exact) and r accurate and small
    where the masses are: the masses then come from r's steps, not from differences of
    numbers near 1.
    """
    log_keep = math.log1p(-q) if q < 1.0 else -math.inf  # ln(1 − q)
    delta = np.zeros_like(eps)
    with np.errstate(divide="ignore", over="ignore"):  # e^ε past the grid's top: unused
        if direction == "remove":
            inside = eps > log_keep
            f_steps = np.zeros(eps.size - 1)
            rest = np.expm1(eps) + q                       # q − δ where δ = 1 − e^ε
            delta[~inside] = -np.expm1(eps[~inside])
            shifted = _unsampled(eps[inside], q)
            delta[inside] = q * _hockey_stick(shifted, sigma=sigma)
            rest[inside] = q * _gaussian_complement(shifted, sigma)
            first_complement = (1.0 - q) + rest[0]
        else:
            inside = eps < -log_keep
            f = -np.expm1(eps + log_keep)                  # 1 − e^ε(1 − q)
            h = eps[1] - eps[0] if eps.size > 1 else 0.0
            f_steps = -np.exp(eps[:-1] + log_keep) * math.expm1(h)
            rest = f.copy()                                # δ = 0 past −ln(1 − q)
            shifted = -_unsampled(-eps[inside], q)
            delta[inside] = f[inside] * _hockey_stick(shifted, sigma=sigma)
            rest[inside] = f[inside] * _gaussian_complement(shifted, sigma)
            first_complement = math.exp(eps[0] + log_keep) + rest[0]
    steps = np.where(delta[:-1] <= np.abs(rest[:-1]), np.diff(delta), f_steps - np.diff(rest))
    return delta, float(first_complement), steps


def subsampled_gaussian_pld(*, noise_multiplier: float, sample_rate: float,
                            direction: str = "remove",
                            value_discretization_interval: float = 1e-4
                            ) -> PrivacyLossDistribution:
    """PLD of one Poisson-subsampled Gaussian step (sensitivity 1), connect-the-dots.

    Parameters
    ----------
    noise_multiplier : float
        σ > 0, the noise standard deviation over the sensitivity (clipping norm).
    sample_rate : float
        q in (0, 1], each example's probability of being in the batch.
    direction : {"remove", "add"}
        Which neighbour the loss is measured against (module docstring). For
        add/remove DP take the worse of the two after composing.
    value_discretization_interval : float
        Grid spacing h > 0 of the losses; dp_accounting's default 1e-4.

    Returns
    -------
    PrivacyLossDistribution
        Pessimistic: its δ(ε) is the true one at every grid loss and above it between.

    References
    ----------
    Doroshenko et al. (2022), Algorithm 1; Zhu, Dong & Wang (2022), Section 5; Balle &
    Wang (2018), Theorem 8.

    Examples
    --------
    >>> pld = subsampled_gaussian_pld(noise_multiplier=1.0, sample_rate=1.0)
    >>> round(pld.delta(1.0), 6)    # the Gaussian mechanism's exact δ at ε = 1
    0.126937
    """
    sigma = check_real("noise_multiplier", noise_multiplier, low=0.0)
    q = check_probability("sample_rate", sample_rate, closed=True)
    if q == 0.0:
        raise ValueError("sample_rate must be > 0 for a privacy loss distribution, got 0.0 "
                         "(a step that samples no one releases nothing)")
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be 'remove' or 'add', got {direction!r}")
    h = check_real("value_discretization_interval", value_discretization_interval, low=0.0)
    ends = np.array([-_SPAN_SIGMAS * sigma, 1.0 + _SPAN_SIGMAS * sigma])
    with np.errstate(over="ignore"):
        loss_ends = _subsampled_gaussian_loss(ends, sigma, q, direction)
    if not np.all(np.isfinite(loss_ends)):
        raise ValueError(f"noise_multiplier={noise_multiplier!r} is too small for a "
                         "privacy loss distribution: its losses overflow float64")
    a, b = math.floor(loss_ends.min() / h), math.ceil(loss_ends.max() / h)
    _check_points(b - a + 1, h)
    grid = np.arange(a, b + 1) * h
    delta, first_complement, steps = _subsampled_gaussian_curve(grid, sigma, q, direction)
    return _connect_the_dots(steps, first_complement, delta[-1], a, h)
