"""Randomized response and the exponential mechanism."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from privlearn.dp import (
    estimate_proportion,
    exponential_mechanism,
    exponential_probabilities,
    randomized_response,
    truth_probability,
)


def test_truth_probability_exact():
    assert truth_probability(epsilon=math.log(3)) == pytest.approx(0.75, rel=1e-15)


def test_estimate_is_exact_inverse_on_expected_reports():
    # if exactly a share λ = pπ + (1−p)(1−π) of reports are 1, the estimate is π
    p = truth_probability(epsilon=math.log(3))          # 0.75
    reports = np.array([1] * 6 + [0] * 10)              # λ = 0.375 → π = 0.25
    assert estimate_proportion(reports, epsilon=math.log(3)) == pytest.approx(0.25, abs=1e-15)
    assert (0.375 - (1 - p)) / (2 * p - 1) == pytest.approx(0.25)


def test_randomized_response_flip_rate_and_unbiasedness():
    n, eps, pi = 400_000, 1.0, 0.3
    rng = np.random.default_rng(21)
    truth = rng.random(n) < pi
    reports = randomized_response(truth, epsilon=eps, rng=rng)
    p = truth_probability(epsilon=eps)
    kept = np.mean(reports == truth)
    assert abs(kept - p) < 6 * math.sqrt(p * (1 - p) / n)
    lam = p * truth.mean() + (1 - p) * (1 - truth.mean())
    sd = math.sqrt(lam * (1 - lam) / n) / (2 * p - 1)
    assert abs(estimate_proportion(reports, epsilon=eps) - truth.mean()) < 6 * sd


def test_randomized_response_keeps_shape_and_accepts_ints():
    out = randomized_response(np.zeros((3, 4), dtype=int), epsilon=1.0, rng=0)
    assert out.shape == (3, 4) and out.dtype == bool


@pytest.mark.parametrize("bits, exc", [([], ValueError), ([0, 2], ValueError),
                                       ([0.5, 1.0], TypeError), ("0101", TypeError)])
def test_randomized_response_rejects(bits, exc):
    with pytest.raises(exc, match="bits"):
        randomized_response(bits, epsilon=1.0)
    with pytest.raises(exc, match="responses"):
        estimate_proportion(bits, epsilon=1.0)


def test_exponential_probabilities_exact():
    probs = exponential_probabilities([0.0, 1.0, 3.0], sensitivity=1, epsilon=2.0)
    w = np.exp([0.0, 1.0, 3.0])  # ε/(2Δ) = 1
    np.testing.assert_allclose(probs, w / w.sum(), rtol=1e-14)


def test_exponential_probabilities_are_stable_for_huge_scores():
    probs = exponential_probabilities([1e6, 1e6 + 2], sensitivity=1, epsilon=1.0)
    np.testing.assert_allclose(probs, [1 / (1 + math.e), math.e / (1 + math.e)], rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(scores=hnp.arrays(np.float64, st.integers(2, 8), elements=st.floats(-50, 50)),
       shift=hnp.arrays(np.float64, 8, elements=st.floats(-1, 1)),
       eps=st.floats(0.01, 5))
def test_exponential_mechanism_is_epsilon_dp(scores, shift, eps):
    """Neighbouring data move every score by at most Δ = 1: each probability moves by at
    most a factor e^ε (Dwork & Roth 2014, Theorem 3.10)."""
    neighbour = scores + shift[: scores.size]
    p = exponential_probabilities(scores, sensitivity=1, epsilon=eps)
    q = exponential_probabilities(neighbour, sensitivity=1, epsilon=eps)
    assert np.all(np.abs(np.log(p) - np.log(q)) <= eps * (1 + 1e-9))


def test_exponential_mechanism_draws_follow_the_probabilities():
    scores = [5.0, 4.0, 1.0, 0.0]
    probs = exponential_probabilities(scores, sensitivity=1, epsilon=1.0)
    rng = np.random.default_rng(5)
    draws = [exponential_mechanism(scores, sensitivity=1, epsilon=1.0, rng=rng)
             for _ in range(20_000)]
    counts = np.bincount(draws, minlength=4)
    assert stats.chisquare(counts, probs * counts.sum()).pvalue > 1e-6


@pytest.mark.parametrize("scores, exc", [([], ValueError), ([[1.0, 2.0]], ValueError),
                                         ([1.0, float("nan")], ValueError), ("ab", TypeError)])
def test_exponential_rejects_bad_scores(scores, exc):
    with pytest.raises(exc, match="scores"):
        exponential_probabilities(scores, sensitivity=1, epsilon=1)
