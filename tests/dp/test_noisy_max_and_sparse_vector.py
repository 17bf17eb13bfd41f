"""Report noisy max and the sparse vector technique: their output distributions computed
exactly (one-dimensional integrals of Laplace densities), checked against ε-DP on every
neighbour of small inputs, the calibration each needs shown necessary by an input that
breaks the narrower one, and the samplers checked against the exact distributions."""

import itertools
import math
import warnings

import numpy as np
import pytest
from scipy import integrate, stats

from privlearn.dp import (
    noisy_max_scale,
    report_noisy_max,
    sparse_vector,
    sparse_vector_scales,
)

EPS = 1.0


def _lap_pdf(x, b):
    return np.exp(-np.abs(x) / b) / (2 * b)


def _lap_cdf(x, b):
    return np.where(x < 0, 0.5 * np.exp(np.minimum(x, 0) / b),
                    1 - 0.5 * np.exp(-np.maximum(x, 0) / b))


def _integral(f, kinks, scale):
    """∫ f over the real line, split at the kinks of the Laplace densities; a warning
    that quad could not reach its tolerance fails the test."""
    lo, hi = min(kinks) - 60 * scale, max(kinks) + 60 * scale
    points = sorted(set(kinks))
    with warnings.catch_warnings():
        warnings.simplefilter("error", integrate.IntegrationWarning)
        return integrate.quad(f, lo, hi, points=points, limit=400, epsabs=1e-13,
                              epsrel=1e-11)[0]


def noisy_max_probabilities(scores, scale):
    """P(the noisy argmax is i) = ∫ pdf(x - s_i) Π_{j≠i} cdf(x - s_j) dx."""
    s = np.asarray(scores, dtype=float)
    out = []
    for i in range(s.size):
        others = np.delete(s, i)
        out.append(_integral(lambda x, i=i, others=others: _lap_pdf(x - s[i], scale)
                             * np.prod(_lap_cdf(x - others, scale)), list(s), scale))
    return np.array(out)


def svt_pattern_probabilities(answers, threshold, rho_scale, nu_scale):
    """c = 1: P(below^(k-1) above) for k = 1..n, then P(below^n), over the threshold
    noise ρ: given ρ = r, query i is above with probability 1 - cdf(T + r - a_i)."""
    a = np.asarray(answers, dtype=float)
    kinks = [0.0, *list(a - threshold)]  # ρ = 0 and ρ = a_i - T

    def pattern(k):
        def f(r):
            below = _lap_cdf(threshold + r - a, nu_scale)
            value = _lap_pdf(r, rho_scale) * np.prod(below[:k])
            return value * (1 - below[k]) if k < a.size else value
        return _integral(f, kinks, max(rho_scale, nu_scale))

    return np.array([pattern(k) for k in range(a.size + 1)])


def _max_log_ratio(p, q):
    return max(abs(math.log(x / y)) for x, y in zip(p, q, strict=True))


# ---- report noisy max -------------------------------------------------------------------
BASES = [(0.0, 0.0, 0.0), (0.0, 1.0, 2.5), (3.0, -1.0, 0.5)]


@pytest.mark.parametrize("base", BASES)
def test_report_noisy_max_is_eps_dp_on_every_neighbour(base):
    """Any neighbour moves each score by at most Δ = 1: with 2Δ/ε every one of the 27
    neighbours keeps each index's probability within e^±ε; with Δ/ε every one of the
    monotonic neighbours (all scores up by 0 or 1) does."""
    wide = noisy_max_probabilities(base, noisy_max_scale(sensitivity=1, epsilon=EPS))
    narrow = noisy_max_probabilities(base, noisy_max_scale(sensitivity=1, epsilon=EPS,
                                                           monotonic=True))
    assert wide.sum() == pytest.approx(1, abs=1e-9) and narrow.sum() == pytest.approx(1,
                                                                                  abs=1e-9)
    for d in itertools.product((-1, 0, 1), repeat=3):
        other = noisy_max_probabilities(np.add(base, d), 2 / EPS)
        assert _max_log_ratio(wide, other) <= EPS + 1e-9, d
    for d in itertools.product((0, 1), repeat=3):
        other = noisy_max_probabilities(np.add(base, d), 1 / EPS)
        assert _max_log_ratio(narrow, other) <= EPS + 1e-9, d


def test_the_monotonic_calibration_is_not_private_for_scores_that_move_apart():
    """Scores (0, 0) and a neighbour (1, -1), one up and one down: with Lap(Δ/ε) the
    second index drops from 1/2 to P(X1 - X0 > 2) = e^-2, a ratio of e^(2 - ln 2) =
    e^1.31 > e^ε; Lap(2Δ/ε) keeps it within e^0.59."""
    equal = noisy_max_probabilities([0, 0], 1 / EPS)
    apart = noisy_max_probabilities([1, -1], 1 / EPS)
    assert apart[1] == pytest.approx(math.exp(-2), rel=1e-9)
    assert _max_log_ratio(equal, apart) == pytest.approx(2 - math.log(2), rel=1e-9)
    wide = noisy_max_probabilities([0, 0], 2 / EPS), noisy_max_probabilities([1, -1], 2 / EPS)
    assert _max_log_ratio(*wide) <= EPS


@pytest.mark.parametrize("monotonic", [False, True])
def test_report_noisy_max_draws_the_exact_distribution(monotonic):
    scores = [0.0, 1.0, 2.5]
    scale = noisy_max_scale(sensitivity=1, epsilon=EPS, monotonic=monotonic)
    expected = noisy_max_probabilities(scores, scale)
    gen = np.random.default_rng(11)
    counts = np.bincount([report_noisy_max(scores, sensitivity=1, epsilon=EPS,
                                           monotonic=monotonic, rng=gen)
                          for _ in range(20_000)], minlength=3)
    assert stats.chisquare(counts, 20_000 * expected).pvalue > 1e-6


# ---- sparse vector ----------------------------------------------------------------------
@pytest.mark.parametrize(("answers", "threshold"), [((0.0, 0.0, 0.0), 1.0),
                                                     ((2.0, -1.0, 0.5), 0.0),
                                                     ((0.0, 3.0, 1.0), 2.0)])
def test_sparse_vector_with_c_1_is_eps_dp_on_every_neighbour(answers, threshold):
    """Every output pattern (above at query k, or never) of AboveThreshold, on every
    neighbour (each answer moved by -1, 0 or +1; monotonic: 0 or +1 with the narrower
    query noise), has a probability within e^±ε of the original's."""
    rho, nu = sparse_vector_scales(sensitivity=1, epsilon=EPS)
    base = svt_pattern_probabilities(answers, threshold, rho, nu)
    assert base.sum() == pytest.approx(1, abs=1e-9)
    for d in itertools.product((-1, 0, 1), repeat=3):
        other = svt_pattern_probabilities(np.add(answers, d), threshold, rho, nu)
        assert _max_log_ratio(base, other) <= EPS + 1e-9, d
    rho, nu = sparse_vector_scales(sensitivity=1, epsilon=EPS, monotonic=True)
    base = svt_pattern_probabilities(answers, threshold, rho, nu)
    for d in [*itertools.product((0, 1), repeat=3), *itertools.product((0, -1), repeat=3)]:
        other = svt_pattern_probabilities(np.add(answers, d), threshold, rho, nu)
        assert _max_log_ratio(base, other) <= EPS + 1e-9, d


def test_the_monotonic_query_noise_is_not_private_for_answers_that_move_apart():
    """The check has the power to catch a miscalibration: with the monotonic query noise
    Lap(cΔ/ε₂) and neighbours that move answers both ways, some pattern's probability
    moves by more than e^ε (here by e^1.115)."""
    answers, threshold = (2.0, -1.0, 0.5), 0.0
    rho, nu = sparse_vector_scales(sensitivity=1, epsilon=EPS, monotonic=True)
    base = svt_pattern_probabilities(answers, threshold, rho, nu)
    worst = max(_max_log_ratio(base, svt_pattern_probabilities(np.add(answers, d), threshold,
                                                               rho, nu))
                for d in itertools.product((-1, 0, 1), repeat=3))
    assert worst > EPS + 0.1


@pytest.mark.parametrize("monotonic", [False, True])
def test_sparse_vector_draws_the_exact_distribution(monotonic):
    """c = 1, both calibrations: the frequencies of the four patterns match the exact
    probabilities (a sampler that ignored ``monotonic`` would fail one of the two)."""
    answers, threshold = [0.0, 3.0, 1.0], 2.0
    expected = svt_pattern_probabilities(answers, threshold, *sparse_vector_scales(
        sensitivity=1, epsilon=EPS, monotonic=monotonic))
    gen = np.random.default_rng(12)
    counts = np.zeros(4)
    for _ in range(20_000):
        out = sparse_vector(answers, threshold=threshold, sensitivity=1, epsilon=EPS,
                            monotonic=monotonic, rng=gen)
        counts[len(out) - 1 if out[-1] else 3] += 1
    assert stats.chisquare(counts, 20_000 * expected).pvalue > 1e-6


def test_sparse_vector_with_c_2_uses_the_wider_query_noise():
    """c = 2 on answers near the threshold: the two "above" answers come from noise of
    scale 2cΔ/ε₂ = 8; checked against a replay of the same draws by hand."""
    answers, threshold = [0.0, 1.0, -1.0, 2.0, 0.5, 0.0], 0.5
    for seed in range(200):
        gen = np.random.default_rng(seed)
        rho = gen.laplace(0.0, 2.0)
        nu = gen.laplace(0.0, 8.0, size=6)
        above = np.add(answers, nu) >= threshold + rho
        hits = np.flatnonzero(above)
        expected = above[:hits[1] + 1] if hits.size >= 2 else above
        assert sparse_vector(answers, threshold=threshold, sensitivity=1, epsilon=EPS, c=2,
                             rng=seed) == expected.tolist(), seed


def test_sparse_vector_stops_at_the_c_th_above():
    far_above, far_below = 1e6, -1e6  # noise of scale 2 to 16 cannot move these
    answers = [far_below, far_above, far_below, far_above, far_above, far_below]
    for c, expected in [(1, [False, True]), (2, [False, True, False, True]),
                        (3, [False, True, False, True, True]),
                        (4, [False, True, False, True, True, False])]:
        assert sparse_vector(answers, threshold=0.0, sensitivity=1, epsilon=EPS, c=c,
                             rng=0) == expected


def test_scales_follow_the_papers():
    # AboveThreshold (Dwork & Roth, Algorithm 1): T + Lap(2/ε), queries + Lap(4/ε)
    assert sparse_vector_scales(sensitivity=1, epsilon=0.5) == (4.0, 8.0)
    # Lyu, Su & Li, Algorithm 1: Lap(Δ/ε1), Lap(2cΔ/ε2); monotonic Lap(cΔ/ε2)
    assert sparse_vector_scales(sensitivity=2, epsilon=1.0, c=3) == (4.0, 24.0)
    assert sparse_vector_scales(sensitivity=2, epsilon=1.0, c=3, monotonic=True) == (4.0, 12.0)
    assert noisy_max_scale(sensitivity=3, epsilon=0.5) == 12.0
