"""The empirical DP check: it catches the sparse vector variant without query noise and
report noisy max with the monotonic calibration on scores that move apart, and stays
below ε for the correct mechanisms on the same inputs."""

import math

import numpy as np
import pytest

from privlearn.attacks import epsilon_lower_bound
from privlearn.dp import (
    insecure_sparse_vector_without_query_noise,
    noisy_max_scale,
    report_noisy_max,
    sparse_vector,
)

EPS = 1.0
D, D_PRIME, T = [0.0, 1.0], [1.0, 0.0], 0.5  # neighbours: each answer moves by 1


def _runs(mechanism, answers, n, seed):
    gen = np.random.default_rng(seed)
    return [tuple(mechanism(answers, threshold=T, sensitivity=1, epsilon=EPS, rng=gen))
            for _ in range(n)]


def test_the_variant_without_query_noise_is_caught():
    """'below, then above' has probability 1 - e^(-1/4) = 0.22 on D and 0 on D': from
    20,000 runs each, ε is at least 5 with confidence 0.95, where the claim is 1."""
    found = epsilon_lower_bound(_runs(insecure_sparse_vector_without_query_noise, D, 20_000, 1),
                                _runs(insecure_sparse_vector_without_query_noise, D_PRIME,
                                      20_000, 2), outputs_possible=3)
    assert found.epsilon > 5 and found.output == (False, True) and found.direction == "D/D'"
    ours = _runs(insecure_sparse_vector_without_query_noise, D, 20_000, 3)
    assert ours.count((False, True)) / 20_000 == pytest.approx(1 - math.exp(-0.25), abs=0.01)


def test_the_correct_sparse_vector_is_not_accused():
    found = epsilon_lower_bound(_runs(sparse_vector, D, 20_000, 4),
                                _runs(sparse_vector, D_PRIME, 20_000, 5), confidence=0.999,
                                outputs_possible=3)
    assert 0 <= found.epsilon <= EPS


def _noisy_max_runs(scores, scale, n, seed):
    """report_noisy_max with the noise of ``scale`` (sensitivity chosen to give it)."""
    gen = np.random.default_rng(seed)
    sensitivity = scale * EPS / 2  # noisy_max_scale: 2Δ/ε for monotonic=False
    assert noisy_max_scale(sensitivity=sensitivity, epsilon=EPS) == scale
    return [report_noisy_max(scores, sensitivity=sensitivity, epsilon=EPS, rng=gen)
            for _ in range(n)]


def test_noisy_max_with_the_monotonic_calibration_on_scores_that_move_apart_is_caught():
    """Lap(Δ/ε) on (0, 0) and its neighbour (1, -1): index 1 has probability 1/2 and
    e^-2, a true ratio of e^(2 - ln 2) = e^1.31; 60,000 runs each show ε > 1 with
    confidence 0.95. With Lap(2Δ/ε) (true ratio e^0.59) nothing is found above 1."""
    narrow = epsilon_lower_bound(_noisy_max_runs([0, 0], 1 / EPS, 60_000, 6),
                                 _noisy_max_runs([1, -1], 1 / EPS, 60_000, 7),
                                 outputs_possible=2)
    assert EPS < narrow.epsilon < 2 - math.log(2) and narrow.output == 1
    wide = epsilon_lower_bound(_noisy_max_runs([0, 0], 2 / EPS, 60_000, 8),
                               _noisy_max_runs([1, -1], 2 / EPS, 60_000, 9), confidence=0.999,
                               outputs_possible=2)
    assert wide.epsilon <= EPS


def test_identical_samples_bound_nothing():
    found = epsilon_lower_bound([1, 2, 2, 3] * 50, [1, 2, 2, 3] * 50)
    assert found.epsilon == 0.0 and found.output is None
