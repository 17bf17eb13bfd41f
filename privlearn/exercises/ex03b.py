"""Checkers for ``ex03b_differential_privacy``.

q1 implement the Laplace mechanism; q2 calibrate σ for a clipped sum; q3 compose a
budget (basic and advanced); q4 debias randomized response; q5 choose ε for a target
error; q6 write a differentially private mean (clip, find the sensitivity, add noise).
"""

from __future__ import annotations

import math

import numpy as np

from ..dp import advanced_composition, analytic_gaussian_sigma, basic_composition
from ._checks import (
    close_to,
    expect_close,
    expect_laplace,
    expect_number,
    expect_pair,
    fresh_rng,
    seeded_draws,
)
from ._core import Incorrect, Question, call_student
from ._variants import Params

EXERCISE = "ex03b"

# ---------------------------------------------------------------- q1 Laplace mechanism

_Q1_CASES = ((3.0, 2.0, 0.5), (-1.0, 1.0, 2.0))  # (value, sensitivity, epsilon)


def _check_q1(fn) -> str:
    """Power: see :func:`privlearn.exercises._checks.expect_laplace` (8,000 draws per
    setting, two settings at 5e-7 each: a right answer fails once in a million)."""
    for value, sens, eps in _Q1_CASES:
        draws = seeded_draws(fn, (value, sens, eps), "your result", seed=2024)
        if math.isclose(float(np.mean(np.abs(draws - value))), eps / sens, rel_tol=0.2):
            raise Incorrect("the noise scale looks like epsilon/sensitivity; the Laplace scale "
                            "is sensitivity/epsilon")
        expect_laplace(draws, value, sens / eps,
                       f"value={value:g}, sensitivity={sens:g}, epsilon={eps:g}", alpha=5e-7)
    return ("these checks passed: it uses the rng it is given, and 8,000 draws for each of "
            "two settings follow Lap(sensitivity/epsilon) around the true value (scale, "
            "centre, tails and shape)")


q1 = Question(
    EXERCISE, "q1", title="the Laplace mechanism",
    answer="laplace_mech", function=True, checker=_check_q1,
    hint="Laplace noise with scale b = sensitivity / epsilon; numpy's Generator has a "
         "`laplace(loc, scale)` method. Use the `rng` you are given.",
    solution="""
        def laplace_mech(value, sensitivity, epsilon, rng):
            return value + rng.laplace(0.0, sensitivity / epsilon)
    """,
)

# ---------------------------------------------------------------- q2 calibrate sigma


def _draw_q2(rng) -> dict:
    return {"upper": rng.randrange(4, 41) / 2,               # 2 to 20 in steps of 0.5
            "epsilon": rng.randrange(2, 31) / 10,            # 0.2 to 3
            "delta": rng.choice((1e-5, 1e-6, 1e-7, 1e-8))}


def _right_q2(v) -> float:
    return analytic_gaussian_sigma(sensitivity=v["upper"], epsilon=v["epsilon"],
                                   delta=v["delta"])


def _check_q2(answer, v) -> str:
    sigma = expect_number(answer, "sigma")
    upper, eps, delta = v["upper"], v["epsilon"], v["delta"]
    right = _right_q2(v)
    unit = 10.0 ** (math.floor(math.log10(right)) - 3)  # the 4th significant digit
    if right * (1 - 1e-12) <= sigma <= right + unit:  # rounded up, never down
        return (f"these checks passed: the sensitivity is {upper:g} and sigma is the "
                "analytic (smallest) one")
    if close_to(sigma, right / upper):
        raise Incorrect(f"this is the sigma for sensitivity 1: one person can change a sum "
                        f"of values clipped to [0, {upper:g}] by up to {upper:g}")
    classic = upper * math.sqrt(2 * math.log(1.25 / delta)) / eps
    if close_to(sigma, classic):
        raise Incorrect("this is the classic formula, which is only proved for epsilon < 1 "
                        "and is not the smallest sigma: use the analytic calibration")
    if right - unit <= sigma < right * (1 - 1e-12):  # right but rounded down: not DP
        raise Incorrect(f"sigma = {sigma:.6g} is too small to be ({eps:g}, {delta:g})-DP "
                        "here: round sigma up, never down")
    # no "too small" or "too large" further out: that would make a bisection of it
    raise Incorrect(f"sigma = {sigma:.6g} is not right (to 4 significant digits, rounded "
                    "up)")


q2 = Question(
    EXERCISE, "q2", title="calibrate the Gaussian mechanism",
    answer="sigma", checker=_check_q2,
    params=Params({"upper": 5.0, "epsilon": 1.0, "delta": 1e-6}, _draw_q2, answer=_right_q2),
    hint="First the sensitivity: how much can adding or removing one person change a sum "
         "of values in [0, upper]? Then `analytic_gaussian_sigma`.",
    solution="""
        sigma = analytic_gaussian_sigma(sensitivity=5.0, epsilon=1.0, delta=1e-6)
    """,
)

# ---------------------------------------------------------------- q3 composition


def _draw_q3(rng) -> dict:
    return {"k": rng.randrange(5, 301),
            "epsilon": rng.randrange(1, 51) / 100,           # 0.01 to 0.5
            "delta": rng.choice((1e-8, 1e-7, 1e-6)),
            "delta_slack": rng.choice((1e-4, 1e-5, 1e-6, 1e-7))}


def _right_q3(v) -> tuple[float, float]:
    return (basic_composition([v["epsilon"]] * v["k"])[0],
            advanced_composition(epsilon=v["epsilon"], delta=v["delta"], k=v["k"],
                                 delta_slack=v["delta_slack"])[0])


def _check_q3(answer, v) -> str:
    first, second = expect_pair(answer, "(basic_epsilon, advanced_epsilon)")
    basic = expect_number(first, "basic_epsilon")
    advanced = expect_number(second, "advanced_epsilon")
    k, eps = v["k"], v["epsilon"]
    right_basic, right_adv = _right_q3(v)
    expect_close(basic, right_basic, "basic_epsilon")
    if close_to(advanced, math.sqrt(2 * k * math.log(1 / v["delta_slack"])) * eps):
        raise Incorrect("advanced_epsilon is missing the second term, k·ε·(e^ε − 1)")
    expect_close(advanced, right_adv, "advanced_epsilon")
    which = ("advanced composition is worse here: it only pays off for many queries"
             if right_adv > right_basic else "advanced composition is better here: k is "
             "large enough for its sqrt(k) growth to win")
    return (f"these checks passed: basic gives {right_basic:.4g}, advanced gives "
            f"{right_adv:.4g} ({which})")


q3 = Question(
    EXERCISE, "q3", title="compose a budget",
    answer="answer", checker=_check_q3,
    params=Params({"k": 20, "epsilon": 0.1, "delta": 1e-7, "delta_slack": 1e-6}, _draw_q3,
                  answer=_right_q3),
    hint="Basic: add the epsilons. Advanced (Dwork-Rothblum-Vadhan): "
         "sqrt(2k ln(1/δ')) ε + k ε (e^ε − 1).",
    solution="""
        basic_eps, _ = basic_composition([0.1] * 20)
        adv_eps, _ = advanced_composition(epsilon=0.1, delta=1e-7, k=20, delta_slack=1e-6)
        answer = (basic_eps, adv_eps)
    """,
)

# ---------------------------------------------------------------- q4 debias RR

_Q4_CASES = (
    (np.array([1, 0, 1, 1, 0, 1, 1, 1]), 1.0),
    (np.array([0, 0, 0, 1]), 0.5),
    (np.array([1] * 30 + [0] * 70), 3.0),
)


def _check_q4(fn) -> str:
    rng = fresh_rng()
    random = (rng.integers(0, 2, int(rng.integers(20, 200))), float(rng.uniform(0.2, 4.0)))
    for reports, eps in (*_Q4_CASES, random):
        got = expect_number(call_student(fn, reports.copy(), eps), "your estimate")
        p = math.exp(eps) / (1 + math.exp(eps))
        right = (reports.mean() - (1 - p)) / (2 * p - 1)
        if math.isclose(got, right, rel_tol=1e-6, abs_tol=1e-9):  # float32 counts
            continue   # (at a share of exactly 1/2 the raw share is right too)
        if math.isclose(got, reports.mean(), rel_tol=1e-6):
            raise Incorrect("this is the raw share of 1s; it is biased towards 1/2")
        if math.isclose(got, min(max(right, 0.0), 1.0), rel_tol=1e-6) and not 0 <= right <= 1:
            raise Incorrect("do not clip the estimate to [0, 1]: clipping makes it biased")
        raise Incorrect(f"for {len(reports)} reports with {int(reports.sum())} ones at "
                        f"epsilon={eps:g}, {got:.6g} is not the unbiased estimate")
    return ("these checks passed: the estimate is unbiased on three fixed cases and a random "
            "one")


q4 = Question(
    EXERCISE, "q4", title="debias randomized response",
    answer="debias", function=True, checker=_check_q4,
    hint="A report is 1 with probability λ = pπ + (1 − p)(1 − π), p = e^ε / (1 + e^ε). "
         "Solve for π and plug in the observed mean.",
    solution="""
        def debias(reports, epsilon):
            p = np.exp(epsilon) / (1 + np.exp(epsilon))
            return (np.mean(reports) - (1 - p)) / (2 * p - 1)
    """,
)

# ---------------------------------------------------------------- q5 epsilon for an error


def _draw_q5(rng) -> dict:
    return {"error": rng.randrange(2, 101),
            "confidence": rng.choice((0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999))}


def _right_q5(v) -> float:
    return math.log(1 / (1 - v["confidence"])) / v["error"]  # P(|Lap(b)| <= t) = 1 − e^(−t/b)


def _check_q5(answer, v) -> str:
    eps = expect_number(answer, "epsilon")
    t, conf = v["error"], v["confidence"]
    right = _right_q5(v)
    if close_to(eps, right):
        return (f"these checks passed: epsilon = ln(1/{1 - conf:.2g})/{t:g} ≈ {right:.4g} "
                "is the smallest that works")
    if close_to(eps, math.sqrt(2) / t):
        raise Incorrect(f"this makes the standard deviation {t:g}; the question asks for the "
                        f"error to stay below {t:g} with probability {conf:g}")
    # no "too small" or "too large": that would make a bisection of it
    raise Incorrect(f"epsilon = {eps:.6g} is not right (to 4 significant digits)")


q5 = Question(
    EXERCISE, "q5", title="choose epsilon for a target error",
    answer="epsilon", checker=_check_q5,
    params=Params({"error": 10, "confidence": 0.95}, _draw_q5, answer=_right_q5),
    hint="For Laplace noise of scale b, P(|noise| <= t) = 1 − exp(−t/b). Set it to the "
         "confidence, solve for b, then epsilon = sensitivity / b.",
    solution="""
        epsilon = np.log(1 / 0.05) / 10      # sensitivity 1: b = 10 / ln(20)
    """,
)

# ---------------------------------------------------------------- q6 a DP mean

# Two settings. Ten ages for a survey of adults, two of them typos (7100, and 4 for a
# 40-year-old): clipped to [18, 90] their mean is 44.5, the raw mean 744.1, the mean
# without the typos 42.125, and the noise scale (90 − 18) / (10 · 1) = 7.2; ten values,
# so that a sensitivity over n − 1 (11% more noise) is caught like any 10% error in the
# scale. Twelve incomes in thousands, one a typo (950): clipped to [0, 200] at ε = 0.5,
# the scale is 200 / (12 · 0.5) = 33.3, and the clipped data span 33 to 200, not the
# whole range (a sensitivity taken from the data is wrong here), and ε is not 1.
_Q6_CASES = (
    (np.array([34, 51, 29, 62, 45, 38, 7100, 23, 55, 4], dtype=float), 18.0, 90.0, 1.0),
    (np.array([42, 55, 38, 71, 120, 64, 950, 33, 88, 47, 59, 76], dtype=float), 0.0, 200.0,
     0.5),
)


def _check_q6(fn) -> str:
    """Power: :func:`privlearn.exercises._checks.expect_laplace` at 8,000 draws per
    setting, two settings at ``alpha`` = 5e-7 each (a right answer fails once in a
    million): a scale 10% too small is missed with probability 1.9e-05, 10% too large
    5.4e-04, a centre 0.1 scale units off 6.1e-04, in each setting
    (:func:`~privlearn.exercises._checks.laplace_test_power`)."""
    for i, (values, lower, upper, eps) in enumerate(_Q6_CASES):
        n = len(values)
        centre = float(np.clip(values, lower, upper).mean())
        scale = (upper - lower) / (n * eps)
        draws = seeded_draws(fn, (values.copy(), lower, upper, eps), "your release",
                             seed=2025 + i)
        middle = float(np.median(draws))  # within 0.05 scale units of the centre if right
        inside = values[(values >= lower) & (values <= upper)]
        if abs(middle - float(inside.mean())) < 0.1 * scale:
            raise Incorrect("your releases are not centred on the mean of the clipped "
                            "values, but near the mean of the values inside [lower, upper]: "
                            "were the others dropped? Clip them to the range instead "
                            "(dropping a person changes n, and the sensitivity no longer "
                            "holds)")
        if abs(middle - centre) > 0.5 * scale:
            raise Incorrect("your releases are not centred on the mean of the clipped "
                            "values: clip every value to [lower, upper] before averaging "
                            "(some values here are typos far outside the range)")
        spread = float(np.mean(np.abs(draws - middle)))
        if math.isclose(spread, scale * n, rel_tol=0.2):
            raise Incorrect("the noise is n times too large: one person can move the *mean* "
                            "of n clipped values by at most (upper − lower) / n")
        expect_laplace(draws, centre, scale, f"{n} values clipped to [{lower:g}, {upper:g}], "
                       f"epsilon={eps:g}", alpha=5e-7)
    return ("these checks passed: it uses the rng it is given, and 8,000 releases in each of "
            "two settings follow Lap((upper − lower)/(n·ε)) around the mean of the clipped "
            "values")


q6 = Question(
    EXERCISE, "q6", title="a differentially private mean",
    answer="dp_mean", function=True, checker=_check_q6,
    hint="np.clip(values, lower, upper) first. Replacing one person's answer changes the "
         "mean of n clipped values by at most (upper − lower) / n, whatever the data: that "
         "is the sensitivity.",
    solution="""
        def dp_mean(values, lower, upper, epsilon, rng):
            clipped = np.clip(values, lower, upper)
            sensitivity = (upper - lower) / len(values)
            return clipped.mean() + rng.laplace(0.0, sensitivity / epsilon)
    """,
)

QUESTIONS = (q1, q2, q3, q4, q5, q6)
