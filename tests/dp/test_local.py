"""Unary encoding (RAPPOR's basic form and OUE): privacy ratio, unbiasedness, bad input."""

import math

import numpy as np
import pytest

from privlearn.dp import estimate_frequencies, unary_encoding, unary_probabilities


@pytest.mark.parametrize("optimized", [True, False])
@pytest.mark.parametrize("eps", [0.1, 1.0, 3.0])
def test_privacy_ratio_is_exactly_e_to_the_epsilon(optimized, eps):
    p, q = unary_probabilities(epsilon=eps, optimized=optimized)
    assert p * (1 - q) / ((1 - p) * q) == pytest.approx(math.exp(eps), rel=1e-12)


def test_oue_values():
    assert unary_probabilities(epsilon=math.log(3)) == (0.5, pytest.approx(0.25))


@pytest.mark.parametrize("optimized", [True, False])
def test_frequency_estimates_are_unbiased(optimized):
    rng = np.random.default_rng(0)
    f = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    n, eps = 100_000, 1.0
    values = rng.choice(5, size=n, p=f)
    truth = np.bincount(values, minlength=5) / n
    est = estimate_frequencies(unary_encoding(values, num_categories=5, epsilon=eps,
                                              optimized=optimized, rng=1),
                               epsilon=eps, optimized=optimized)
    p, q = unary_probabilities(epsilon=eps, optimized=optimized)
    lam = truth * p + (1 - truth) * q
    sd = np.sqrt(lam * (1 - lam) / n) / (p - q)      # given the true counts
    assert np.all(np.abs(est - truth) < 6 * sd)


def test_oue_has_lower_variance_than_symmetric():
    eps, f, n = 1.0, 0.0, 1
    var = {}
    for opt in (True, False):
        p, q = unary_probabilities(epsilon=eps, optimized=opt)
        lam = f * p + (1 - f) * q
        var[opt] = lam * (1 - lam) / n / (p - q) ** 2
    assert var[True] < var[False]


@pytest.mark.parametrize("call, exc, words", [
    (lambda: unary_encoding([0, 5], num_categories=5, epsilon=1.0), ValueError, "0..4"),
    (lambda: unary_encoding([0, -1], num_categories=5, epsilon=1.0), ValueError, "0..4"),
    (lambda: unary_encoding([], num_categories=5, epsilon=1.0), ValueError, "non-empty"),
    (lambda: unary_encoding([0.5], num_categories=5, epsilon=1.0), TypeError, "integer"),
    (lambda: unary_encoding([0], num_categories=1, epsilon=1.0), ValueError, "num_categories"),
    (lambda: unary_encoding([0], num_categories=3, epsilon=0.0), ValueError, "epsilon"),
    (lambda: estimate_frequencies(np.zeros((3, 2)), epsilon=1.0), TypeError, "boolean"),
])
def test_bad_input(call, exc, words):
    with pytest.raises(exc, match=words):
        call()
