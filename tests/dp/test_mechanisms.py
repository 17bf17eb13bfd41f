"""Laplace and Gaussian mechanisms: exact calibration, statistical behaviour, bad input."""

import math

import mpmath
import numpy as np
import pytest
from scipy import stats

from privlearn.dp import (
    analytic_gaussian_sigma,
    gaussian_delta,
    gaussian_mechanism,
    gaussian_sigma,
    laplace_mechanism,
    laplace_scale,
)

# --- calibration, exact ----------------------------------------------------------------


def test_laplace_scale_exact():
    assert laplace_scale(sensitivity=1, epsilon=0.5) == 2.0
    assert laplace_scale(sensitivity=3, epsilon=1.5) == 2.0
    assert laplace_scale(sensitivity=0.1, epsilon=10) == pytest.approx(0.01, rel=1e-15)


def test_classic_gaussian_sigma_exact():
    # Dwork & Roth Thm A.1 written out: σ = Δ sqrt(2 ln(1.25/δ)) / ε
    assert gaussian_sigma(sensitivity=1, epsilon=0.5, delta=1e-5) == pytest.approx(
        math.sqrt(2 * math.log(125_000)) / 0.5, rel=1e-15)
    assert gaussian_sigma(sensitivity=2, epsilon=0.5, delta=1e-5) == pytest.approx(
        2 * gaussian_sigma(sensitivity=1, epsilon=0.5, delta=1e-5), rel=1e-15)


def test_classic_gaussian_refuses_epsilon_at_least_one():
    with pytest.raises(ValueError, match=r"epsilon must be < 1.*analytic_gaussian_sigma"):
        gaussian_sigma(sensitivity=1, epsilon=1.0, delta=1e-5)


def _analytic_sigma_mp(eps, delta):
    """Solve Balle & Wang's Theorem 8 for σ (Δ = 1) at 50 digits: a second route."""
    mpmath.mp.dps = 50
    eps, delta = mpmath.mpf(eps), mpmath.mpf(delta)

    def excess(sigma):
        a, b = 1 / (2 * sigma), eps * sigma
        return mpmath.ncdf(a - b) - mpmath.exp(eps) * mpmath.ncdf(-a - b) - delta

    lo, hi = mpmath.mpf("1e-6"), mpmath.mpf(1)
    while excess(hi) > 0:
        hi *= 2
    for _ in range(200):  # bisection: δ(σ) decreases in σ
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
    return float((lo + hi) / 2)


@pytest.mark.parametrize("eps", [0.01, 0.1, 0.5, 1.0, 3.0, 10.0, 40.0])
@pytest.mark.parametrize("delta", [0.3, 1e-3, 1e-5, 1e-8, 1e-10])
def test_analytic_sigma_matches_high_precision_solution(eps, delta):
    got = analytic_gaussian_sigma(sensitivity=1, epsilon=eps, delta=delta)
    assert got == pytest.approx(_analytic_sigma_mp(eps, delta), rel=1e-8)


def test_analytic_sigma_published_value_and_scaling():
    # Balle & Wang (2018): ε = 1, δ = 1e-5 needs σ ≈ 3.73 (the classic formula cannot be
    # used at ε = 1 at all).
    assert analytic_gaussian_sigma(sensitivity=1, epsilon=1, delta=1e-5) == pytest.approx(
        3.7306, abs=1e-4)
    assert analytic_gaussian_sigma(sensitivity=4, epsilon=1, delta=1e-5) == pytest.approx(
        4 * analytic_gaussian_sigma(sensitivity=1, epsilon=1, delta=1e-5), rel=1e-12)


@pytest.mark.parametrize("eps", [0.05, 0.3, 0.9])
@pytest.mark.parametrize("delta", [1e-3, 1e-6, 1e-9])
def test_analytic_is_below_classic_and_hits_delta_exactly(eps, delta):
    analytic = analytic_gaussian_sigma(sensitivity=1, epsilon=eps, delta=delta)
    assert analytic < gaussian_sigma(sensitivity=1, epsilon=eps, delta=delta)
    assert gaussian_delta(sigma=analytic, sensitivity=1, epsilon=eps) == pytest.approx(
        delta, rel=1e-9)
    # the classic σ is private too: its exact δ is below the target
    classic = gaussian_sigma(sensitivity=1, epsilon=eps, delta=delta)
    assert gaussian_delta(sigma=classic, sensitivity=1, epsilon=eps) < delta


# --- sampling, statistical -------------------------------------------------------------

def test_laplace_mechanism_is_laplace_around_the_value():
    n, b = 200_000, 2.0
    out = laplace_mechanism(np.full(n, 7.0), sensitivity=1, epsilon=0.5, rng=11)
    # mean: sd of the sample mean is √2·b/√n; 6 sd bounds a false alarm below 1e-8
    assert abs(out.mean() - 7.0) < 6 * math.sqrt(2) * b / math.sqrt(n)
    assert stats.kstest(out, stats.laplace(loc=7.0, scale=b).cdf).pvalue > 1e-6


def test_gaussian_mechanism_uses_the_analytic_sigma():
    n = 200_000
    sigma = analytic_gaussian_sigma(sensitivity=1, epsilon=1.0, delta=1e-5)
    out = gaussian_mechanism(np.zeros(n), sensitivity=1, epsilon=1.0, delta=1e-5, rng=12)
    # sd of the sample variance of a normal is σ²·√(2/(n−1)); 6 of them
    assert abs(out.var() - sigma**2) < 6 * sigma**2 * math.sqrt(2 / (n - 1))
    assert stats.kstest(out, stats.norm(scale=sigma).cdf).pvalue > 1e-6


def test_shapes_scalars_and_seeds():
    assert isinstance(laplace_mechanism(3, sensitivity=1, epsilon=1, rng=0), float)
    assert laplace_mechanism(np.zeros((2, 3)), sensitivity=1, epsilon=1, rng=0).shape == (2, 3)
    assert gaussian_mechanism([1.0, 2.0], sensitivity=1, epsilon=1, delta=1e-5,
                              rng=0).shape == (2,)
    a = laplace_mechanism(np.zeros(5), sensitivity=1, epsilon=1, rng=np.random.default_rng(3))
    b = laplace_mechanism(np.zeros(5), sensitivity=1, epsilon=1, rng=3)
    np.testing.assert_array_equal(a, b)


def test_mechanism_does_not_modify_its_input():
    x = np.arange(5.0)
    laplace_mechanism(x, sensitivity=1, epsilon=1, rng=0)
    np.testing.assert_array_equal(x, np.arange(5.0))


# --- bad input: one case per class -----------------------------------------------------

BAD_EPSILON = [(-1.0, ValueError), (0.0, ValueError), (float("nan"), ValueError),
               (float("inf"), ValueError), (True, TypeError), ("1", TypeError),
               (None, TypeError)]


@pytest.mark.parametrize("epsilon, exc", BAD_EPSILON)
def test_bad_epsilon(epsilon, exc):
    for call in (lambda: laplace_scale(sensitivity=1, epsilon=epsilon),
                 lambda: laplace_mechanism(1.0, sensitivity=1, epsilon=epsilon),
                 lambda: analytic_gaussian_sigma(sensitivity=1, epsilon=epsilon, delta=1e-5),
                 lambda: gaussian_mechanism(1.0, sensitivity=1, epsilon=epsilon, delta=1e-5),
                 lambda: gaussian_sigma(sensitivity=1, epsilon=epsilon, delta=1e-5)):
        with pytest.raises(exc, match="epsilon"):
            call()


def test_error_message_names_rule_and_value():
    with pytest.raises(ValueError) as info:
        laplace_scale(sensitivity=1, epsilon=-1.0)
    assert str(info.value) == "epsilon must be finite and > 0, got -1.0"


@pytest.mark.parametrize("sensitivity, exc", [(0, ValueError), (-2, ValueError),
                                              (float("nan"), ValueError), (False, TypeError),
                                              ("2", TypeError)])
def test_bad_sensitivity(sensitivity, exc):
    with pytest.raises(exc, match="sensitivity"):
        laplace_scale(sensitivity=sensitivity, epsilon=1)
    with pytest.raises(exc, match="sensitivity"):
        analytic_gaussian_sigma(sensitivity=sensitivity, epsilon=1, delta=1e-5)


@pytest.mark.parametrize("delta, exc", [(0.0, ValueError), (1.0, ValueError), (-1e-5, ValueError),
                                        (2.0, ValueError), (float("nan"), ValueError),
                                        ("1e-5", TypeError)])
def test_bad_delta(delta, exc):
    with pytest.raises(exc, match="delta"):
        analytic_gaussian_sigma(sensitivity=1, epsilon=1, delta=delta)
    with pytest.raises(exc, match="delta"):
        gaussian_sigma(sensitivity=1, epsilon=0.5, delta=delta)


@pytest.mark.parametrize("value, exc", [([], ValueError), ([1.0, float("nan")], ValueError),
                                        (float("inf"), ValueError), ("3", TypeError),
                                        ([True, False], TypeError), ([1, "a"], TypeError)])
def test_bad_value(value, exc):
    with pytest.raises(exc, match="value"):
        laplace_mechanism(value, sensitivity=1, epsilon=1)
    with pytest.raises(exc, match="value"):
        gaussian_mechanism(value, sensitivity=1, epsilon=1, delta=1e-5)


@pytest.mark.parametrize("rng, exc", [("seed", TypeError), (1.5, TypeError), (-1, ValueError)])
def test_bad_rng(rng, exc):
    with pytest.raises(exc, match="rng"):
        laplace_mechanism(1.0, sensitivity=1, epsilon=1, rng=rng)
