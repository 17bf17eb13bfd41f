"""Exact discrete Laplace and Gaussian samplers (Canonne, Kamath & Steinke 2020)."""

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from privlearn.dp import discrete_gaussian, discrete_laplace
from privlearn.dp.discrete import _Uniform


def _chi_square_p(samples, pmf, support):
    observed = np.array([(samples == k).sum() for k in support] + [0])
    observed[-1] = len(samples) - observed[:-1].sum()     # everything outside the support
    expected = np.array([pmf(k) for k in support])
    expected = np.append(expected, 1 - expected.sum()) * len(samples)
    keep = expected >= 5                                   # pool the tails
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    return stats.chisquare(obs, exp).pvalue


@pytest.mark.parametrize("scale", [1, 2, Fraction(7, 3), 0.5])
def test_discrete_laplace_matches_its_pmf(scale):
    t = float(scale)
    c = (1 - math.exp(-1 / t)) / (1 + math.exp(-1 / t))
    x = discrete_laplace(scale=scale, size=30_000, rng=31)
    assert _chi_square_p(x, lambda k: c * math.exp(-abs(k) / t), range(-60, 61)) > 1e-6


@pytest.mark.parametrize("sigma", [0.7, 1, 3, Fraction(5, 2)])
def test_discrete_gaussian_matches_its_pmf(sigma):
    s2 = float(sigma) ** 2
    support = range(-60, 61)
    norm = sum(math.exp(-k * k / (2 * s2)) for k in range(-200, 201))
    x = discrete_gaussian(sigma=sigma, size=30_000, rng=32)
    assert _chi_square_p(x, lambda k: math.exp(-k * k / (2 * s2)) / norm, support) > 1e-6


def test_bernoulli_exp_is_exact_in_distribution():
    src = _Uniform(np.random.default_rng(33))
    for gamma in (Fraction(1, 3), Fraction(5, 2)):
        n = 40_000
        hits = sum(src.bernoulli_exp(gamma.numerator, gamma.denominator) for _ in range(n))
        p = math.exp(-float(gamma))
        assert abs(hits / n - p) < 6 * math.sqrt(p * (1 - p) / n)


def test_large_uniform_bounds_use_rejection_sampling():
    src = _Uniform(np.random.default_rng(34))
    d = 3 << 70
    draws = [src.below(d) for _ in range(2000)]
    assert all(0 <= x < d for x in draws)
    top = sum(x >= (d // 2) for x in draws)
    assert abs(top / 2000 - 0.5) < 6 * math.sqrt(0.25 / 2000)


def test_outputs_are_integers_reproducible_and_shaped():
    a = discrete_gaussian(sigma=2, size=(2, 3), rng=1)
    b = discrete_gaussian(sigma=2, size=(2, 3), rng=1)
    assert a.shape == (2, 3) and a.dtype == np.int64
    np.testing.assert_array_equal(a, b)
    assert isinstance(discrete_laplace(scale=1, rng=2), int)


@pytest.mark.parametrize("value, exc", [(0, ValueError), (-1.0, ValueError),
                                        (float("nan"), ValueError), (float("inf"), ValueError),
                                        ("2", TypeError), (True, TypeError)])
def test_bad_parameters(value, exc):
    with pytest.raises(exc, match="scale"):
        discrete_laplace(scale=value)
    with pytest.raises(exc, match="sigma"):
        discrete_gaussian(sigma=value)


@pytest.mark.parametrize("size, exc", [(-1, ValueError), (2.5, TypeError), ((2, -1), ValueError),
                                       (True, TypeError), ("3", TypeError)])
def test_bad_size(size, exc):
    with pytest.raises(exc, match="size"):
        discrete_laplace(scale=1, size=size)
