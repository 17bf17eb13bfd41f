"""Checkers for ``ex03b_differential_privacy``.

q1 implement the Laplace mechanism; q2 calibrate σ for a clipped sum; q3 compose a
budget (basic and advanced); q4 debias randomized response; q5 choose ε for a target
error; q6 write a differentially private mean (clip, find the sensitivity, add noise);
q7 implement the exponential mechanism's probabilities; q8 read the privacy region (the
most TPR any membership test reaches at two FPRs).
"""

from __future__ import annotations

import math

import numpy as np

from ..dp import (
    advanced_composition,
    analytic_gaussian_sigma,
    basic_composition,
    exponential_probabilities,
)
from ..dp.region import dp_tpr_bound
from ._checks import (
    close_to,
    expect_close,
    expect_laplace,
    expect_number,
    expect_pair,
    fresh_rng,
    seeded_draws,
)
from ._core import Incorrect, Question, call_student, say
from ._core import language as language  # ex.language("zh"): feedback in Chinese
from ._variants import Params

EXERCISE = "ex03b"

# ---------------------------------------------------------------- q1 Laplace mechanism

_Q1_CASES = ((3.0, 2.0, 0.5), (-1.0, 1.0, 2.0))  # (value, sensitivity, epsilon)


def _check_q1(fn) -> str:
    """Power: see :func:`privlearn.exercises._checks.expect_laplace` (8,000 draws per
    setting, two settings at 5e-7 each: a right answer fails once in a million)."""
    for value, sens, eps in _Q1_CASES:
        draws = seeded_draws(fn, (value, sens, eps), say("your result", "你的结果"), seed=2024)
        if math.isclose(float(np.mean(np.abs(draws - value))), eps / sens, rel_tol=0.2):
            raise Incorrect(say("the noise scale looks like epsilon/sensitivity; the Laplace "
                                "scale is sensitivity/epsilon",
                                "噪声的尺度看起来是 epsilon/sensitivity；拉普拉斯噪声的尺度"
                                "应为 sensitivity/epsilon"))
        expect_laplace(draws, value, sens / eps,
                       f"value={value:g}, sensitivity={sens:g}, epsilon={eps:g}", alpha=5e-7)
    return say("these checks passed: it uses the rng it is given, and 8,000 draws for each "
               "of two settings follow Lap(sensitivity/epsilon) around the true value (scale, "
               "centre, tails and shape)",
               "以下检查已通过：它使用了传给它的 rng；在两组设置下，各 8,000 次抽样都服从以真实值"
               "为中心的 Lap(sensitivity/epsilon)（尺度、中心、尾部和形状）")


q1 = Question(
    EXERCISE, "q1", title="the Laplace mechanism",
    answer="laplace_mech", function=True, checker=_check_q1,
    hint="Laplace noise with scale b = sensitivity / epsilon; numpy's Generator has a "
         "`laplace(loc, scale)` method. Use the `rng` you are given.",
    hint_zh="尺度为 b = sensitivity / epsilon 的拉普拉斯噪声；numpy 的 Generator 有 "
            "`laplace(loc, scale)` 方法。请使用传给你的 `rng`。",
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
        return say(f"these checks passed: the sensitivity is {upper:g} and sigma is the "
                   "analytic (smallest) one",
                   f"以下检查已通过：敏感度为 {upper:g}，sigma 是解析校准得到的（最小的）那个")
    if close_to(sigma, right / upper):
        raise Incorrect(say(f"this is the sigma for sensitivity 1: one person can change a sum "
                            f"of values clipped to [0, {upper:g}] by up to {upper:g}",
                            f"这是敏感度为 1 时的 sigma：一个人最多可以让裁剪到 [0, {upper:g}] "
                            f"的值之和改变 {upper:g}"))
    classic = upper * math.sqrt(2 * math.log(1.25 / delta)) / eps
    if close_to(sigma, classic):
        raise Incorrect(say("this is the classic formula, which is only proved for epsilon < 1 "
                            "and is not the smallest sigma: use the analytic calibration",
                            "这是经典公式，它只在 epsilon < 1 时有证明，给出的也不是最小的 "
                            "sigma：请使用解析校准"))
    if right - unit <= sigma < right * (1 - 1e-12):  # right but rounded down: not DP
        raise Incorrect(say(f"sigma = {sigma:.6g} is too small to be ({eps:g}, {delta:g})-DP "
                            "here: round sigma up, never down",
                            f"sigma = {sigma:.6g} 太小，在这里不满足 ({eps:g}, {delta:g})-DP："
                            "sigma 要向上取整，不能向下取整"))
    # no "too small" or "too large" further out: that would make a bisection of it
    raise Incorrect(say(f"sigma = {sigma:.6g} is not right (to 4 significant digits, rounded "
                        "up)", f"sigma = {sigma:.6g} 不对（按 4 位有效数字，向上取整）"))


q2 = Question(
    EXERCISE, "q2", title="calibrate the Gaussian mechanism",
    answer="sigma", checker=_check_q2,
    params=Params({"upper": 5.0, "epsilon": 1.0, "delta": 1e-6}, _draw_q2, answer=_right_q2),
    hint="First the sensitivity: how much can adding or removing one person change a sum "
         "of values in [0, upper]? Then `analytic_gaussian_sigma`.",
    hint_zh="先求敏感度：增加或删除一个人，最多能让 [0, upper] 内的值之和改变多少？"
            "然后用 `analytic_gaussian_sigma`。",
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
        raise Incorrect(say("advanced_epsilon is missing the second term, k·ε·(e^ε − 1)",
                            "advanced_epsilon 缺少第二项 k·ε·(e^ε − 1)"))
    expect_close(advanced, right_adv, "advanced_epsilon")
    which = ("advanced composition is worse here: it only pays off for many queries"
             if right_adv > right_basic else "advanced composition is better here: k is "
             "large enough for its sqrt(k) growth to win")
    which_zh = ("在这里高级组合更差：只有查询很多时它才划算"
                if right_adv > right_basic else "在这里高级组合更好：k 足够大，"
                "它按 sqrt(k) 增长的优势胜出")
    return say(f"these checks passed: basic gives {right_basic:.4g}, advanced gives "
               f"{right_adv:.4g} ({which})",
               f"以下检查已通过：基本组合得到 {right_basic:.4g}，高级组合得到 "
               f"{right_adv:.4g}（{which_zh}）")


q3 = Question(
    EXERCISE, "q3", title="compose a budget",
    answer="answer", checker=_check_q3,
    params=Params({"k": 20, "epsilon": 0.1, "delta": 1e-7, "delta_slack": 1e-6}, _draw_q3,
                  answer=_right_q3),
    hint="Basic: add the epsilons. Advanced (Dwork-Rothblum-Vadhan): "
         "sqrt(2k ln(1/δ')) ε + k ε (e^ε − 1).",
    hint_zh="基本组合：把各个 epsilon 相加。高级组合（Dwork-Rothblum-Vadhan）："
            "sqrt(2k ln(1/δ')) ε + k ε (e^ε − 1)。",
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
        got = expect_number(call_student(fn, reports.copy(), eps),
                            say("your estimate", "你的估计值"))
        p = math.exp(eps) / (1 + math.exp(eps))
        right = (reports.mean() - (1 - p)) / (2 * p - 1)
        if math.isclose(got, right, rel_tol=1e-6, abs_tol=1e-9):  # float32 counts
            continue   # (at a share of exactly 1/2 the raw share is right too)
        if math.isclose(got, reports.mean(), rel_tol=1e-6):
            raise Incorrect(say("this is the raw share of 1s; it is biased towards 1/2",
                                "这是报告中 1 的原始比例；它是有偏的，偏向 1/2"))
        if math.isclose(got, min(max(right, 0.0), 1.0), rel_tol=1e-6) and not 0 <= right <= 1:
            raise Incorrect(say("do not clip the estimate to [0, 1]: clipping makes it biased",
                                "不要把估计值裁剪到 [0, 1]：裁剪会使它有偏"))
        raise Incorrect(say(f"for {len(reports)} reports with {int(reports.sum())} ones at "
                            f"epsilon={eps:g}, {got:.6g} is not the unbiased estimate",
                            f"对于 epsilon={eps:g} 下的 {len(reports)} 份报告（其中 "
                            f"{int(reports.sum())} 个为 1），{got:.6g} 不是无偏估计"))
    return say("these checks passed: the estimate is unbiased on three fixed cases and a "
               "random one", "以下检查已通过：在三个固定用例和一个随机用例上，估计都是无偏的")


q4 = Question(
    EXERCISE, "q4", title="debias randomized response",
    answer="debias", function=True, checker=_check_q4,
    hint="A report is 1 with probability λ = pπ + (1 − p)(1 − π), p = e^ε / (1 + e^ε). "
         "Solve for π and plug in the observed mean.",
    hint_zh="一份报告为 1 的概率是 λ = pπ + (1 − p)(1 − π)，其中 p = e^ε / (1 + e^ε)。"
            "解出 π，再代入观测到的均值。",
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
        return say(f"these checks passed: epsilon = ln(1/{1 - conf:.2g})/{t:g} ≈ {right:.4g} "
                   "is the smallest that works",
                   f"以下检查已通过：epsilon = ln(1/{1 - conf:.2g})/{t:g} ≈ {right:.4g} "
                   "是满足要求的最小值")
    if close_to(eps, math.sqrt(2) / t):
        raise Incorrect(say(f"this makes the standard deviation {t:g}; the question asks for "
                            f"the error to stay below {t:g} with probability {conf:g}",
                            f"这样得到的是标准差为 {t:g}；题目要求的是误差以 {conf:g} 的概率"
                            f"保持在 {t:g} 以下"))
    # no "too small" or "too large": that would make a bisection of it
    raise Incorrect(say(f"epsilon = {eps:.6g} is not right (to 4 significant digits)",
                        f"epsilon = {eps:.6g} 不对（按 4 位有效数字）"))


q5 = Question(
    EXERCISE, "q5", title="choose epsilon for a target error",
    answer="epsilon", checker=_check_q5,
    params=Params({"error": 10, "confidence": 0.95}, _draw_q5, answer=_right_q5),
    hint="For Laplace noise of scale b, P(|noise| <= t) = 1 − exp(−t/b). Set it to the "
         "confidence, solve for b, then epsilon = sensitivity / b.",
    hint_zh="对于尺度为 b 的拉普拉斯噪声，P(|noise| <= t) = 1 − exp(−t/b)。令它等于置信水平，"
            "解出 b，然后 epsilon = sensitivity / b。",
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
        draws = seeded_draws(fn, (values.copy(), lower, upper, eps),
                             say("your release", "你的发布结果"), seed=2025 + i)
        middle = float(np.median(draws))  # within 0.05 scale units of the centre if right
        inside = values[(values >= lower) & (values <= upper)]
        if abs(middle - float(inside.mean())) < 0.1 * scale:
            raise Incorrect(say("your releases are not centred on the mean of the clipped "
                                "values, but near the mean of the values inside [lower, upper]: "
                                "were the others dropped? Clip them to the range instead "
                                "(dropping a person changes n, and the sensitivity no longer "
                                "holds)",
                                "你的发布结果没有以裁剪后数值的均值为中心，而是靠近 "
                                "[lower, upper] 内那些值的均值：其余的值是不是被丢掉了？"
                                "应当把它们裁剪到该范围内（丢掉一个人会改变 n，"
                                "敏感度就不再成立）"))
        if abs(middle - centre) > 0.5 * scale:
            raise Incorrect(say("your releases are not centred on the mean of the clipped "
                                "values: clip every value to [lower, upper] before averaging "
                                "(some values here are typos far outside the range)",
                                "你的发布结果没有以裁剪后数值的均值为中心：求平均之前，要把每个值"
                                "都裁剪到 [lower, upper]（这里有些值是远远超出范围的录入错误）"))
        spread = float(np.mean(np.abs(draws - middle)))
        if math.isclose(spread, scale * n, rel_tol=0.2):
            raise Incorrect(say("the noise is n times too large: one person can move the "
                                "*mean* of n clipped values by at most (upper − lower) / n",
                                "噪声大了 n 倍：一个人最多只能让 n 个裁剪后数值的*均值*移动 "
                                "(upper − lower) / n"))
        expect_laplace(draws, centre, scale,
                       say(f"{n} values clipped to [{lower:g}, {upper:g}], epsilon={eps:g}",
                           f"{n} 个裁剪到 [{lower:g}, {upper:g}] 的值，epsilon={eps:g}"),
                       alpha=5e-7)
    return say("these checks passed: it uses the rng it is given, and 8,000 releases in each "
               "of two settings follow Lap((upper − lower)/(n·ε)) around the mean of the "
               "clipped values",
               "以下检查已通过：它使用了传给它的 rng；在两组设置下，各 8,000 次发布都服从以"
               "裁剪后数值的均值为中心的 Lap((upper − lower)/(n·ε))")


q6 = Question(
    EXERCISE, "q6", title="a differentially private mean",
    answer="dp_mean", function=True, checker=_check_q6,
    hint="np.clip(values, lower, upper) first. Replacing one person's answer changes the "
         "mean of n clipped values by at most (upper − lower) / n, whatever the data: that "
         "is the sensitivity.",
    hint_zh="先做 np.clip(values, lower, upper)。无论数据如何，替换一个人的回答最多让 n 个"
            "裁剪后数值的均值改变 (upper − lower) / n：这就是敏感度。",
    solution="""
        def dp_mean(values, lower, upper, epsilon, rng):
            clipped = np.clip(values, lower, upper)
            sensitivity = (upper - lower) / len(values)
            return clipped.mean() + rng.laplace(0.0, sensitivity / epsilon)
    """,
)

# ---------------------------------------------------------------- q7 exponential mechanism

#: (scores, sensitivity, epsilon): small scores; scores near 10,000, where exp overflows
#: unless the largest score is subtracted first; a sensitivity of 3 (not 2, where leaving
#: it out would look like a missing factor 2), with a tie; negative scores
_Q7_CASES = (
    ([3.0, 2.0, 0.0, 1.0], 1.0, 1.0),
    ([10_000.0, 9_999.0, 9_997.0], 1.0, 2.0),
    ([6.0, 0.0, 3.0, 9.0, 9.0], 3.0, 1.5),
    ([-1.0, -9.0, -4.0], 1.0, 0.5),
)


def _softmax(logits: np.ndarray) -> np.ndarray:
    w = np.exp(logits - logits.max())
    return w / w.sum()


def _check_q7(fn) -> str:
    """Exact: the probabilities on four fixed settings and two random ones (fresh each
    check), to 1e-6 relative, so no statistical test is needed and ε off by 1% fails."""
    rng = fresh_rng()
    random = [(np.round(rng.uniform(-50, 50, int(rng.integers(2, 9))), 1).tolist(),
               float(rng.choice([0.5, 1.0, 2.0, 5.0])), float(rng.uniform(0.1, 3.0)))
              for _ in range(2)]
    for scores, sens, eps in (*_Q7_CASES, *random):
        where = f"scores={scores}, sensitivity={sens:g}, epsilon={eps:.4g}"
        got = call_student(fn, list(scores), sens, eps)
        if isinstance(got, (int, np.integer)):
            raise Incorrect(say("return the probability of every option (an array), not one "
                                "choice: rng.choice(len(scores), p=...) makes the choice",
                                "请返回每个选项的概率（一个数组），而不是一次选择的结果："
                                "选择由 rng.choice(len(scores), p=...) 来做"))
        try:
            probs = np.asarray(got, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise Incorrect(say(f"for {where} your function returned {type(got).__name__}, "
                                "not an array of probabilities",
                                f"对于 {where}，你的函数返回了 {type(got).__name__}，"
                                "而不是概率数组")) from None
        if probs.size != len(scores):
            raise Incorrect(say(f"for {where} return one probability per option "
                                f"({len(scores)}), got {probs.size}",
                                f"对于 {where}，应当为每个选项返回一个概率（{len(scores)} 个），"
                                f"得到的是 {probs.size} 个"))
        if not np.all(np.isfinite(probs)):
            raise Incorrect(say(f"for {where} your probabilities are not finite: exp overflows "
                                "on large scores unless you subtract the largest score first "
                                "(it changes no ratio)",
                                f"对于 {where}，你的概率不是有限数：分数很大时 exp 会溢出，"
                                "除非先减去最大的分数（这不改变任何比值）"))
        right = exponential_probabilities(scores, sensitivity=sens, epsilon=eps)
        if np.allclose(probs, right, rtol=1e-6, atol=1e-12):
            continue
        values = np.asarray(scores)
        if not math.isclose(float(probs.sum()), 1.0, rel_tol=1e-6):
            raise Incorrect(say(f"for {where} your probabilities add up to "
                                f"{probs.sum():.6g}, not 1: divide the weights by their sum",
                                f"对于 {where}，你的概率之和为 {probs.sum():.6g}，不是 1："
                                "请把权重除以它们的和"))
        if np.allclose(probs, _softmax(eps * values / sens), rtol=1e-6, atol=1e-12):
            raise Incorrect(say(f"for {where} these are proportional to exp(ε·u/Δu): the "
                                "exponent is ε·u / (2Δu)",
                                f"对于 {where}，这些概率与 exp(ε·u/Δu) 成正比：指数应为 "
                                "ε·u / (2Δu)"))
        if np.allclose(probs, _softmax(-eps * values / (2 * sens)), rtol=1e-6, atol=1e-12):
            raise Incorrect(say(f"for {where} the lowest score gets the most weight: the "
                                "exponent is +ε·u / (2Δu)",
                                f"对于 {where}，最低的分数得到了最大的权重：指数应为 "
                                "+ε·u / (2Δu)"))
        raise Incorrect(say(f"for {where} your probabilities are not proportional to "
                            "exp(ε·u/(2Δu))",
                            f"对于 {where}，你的概率与 exp(ε·u/(2Δu)) 不成正比"))
    return say("these checks passed: the probabilities are exact on four fixed settings (one "
               "with scores near 10,000, one with negative scores) and on two random ones",
               "以下检查已通过：在四组固定设置（一组的分数接近 10,000，一组的分数为负）和两组"
               "随机设置上，概率都完全正确")


q7 = Question(
    EXERCISE, "q7", title="the exponential mechanism",
    answer="exp_probs", function=True, checker=_check_q7,
    hint="Weights exp(epsilon * score / (2 * sensitivity)), divided by their sum. Scores "
         "near 10,000 overflow exp: subtract the largest score first (it changes no ratio).",
    hint_zh="权重为 exp(epsilon * score / (2 * sensitivity))，再除以它们的和。接近 10,000 "
            "的分数会使 exp 溢出：先减去最大的分数（这不改变任何比值）。",
    solution="""
        def exp_probs(scores, sensitivity, epsilon):
            scores = np.asarray(scores, dtype=float)
            weights = np.exp(epsilon * (scores - scores.max()) / (2 * sensitivity))
            return weights / weights.sum()
    """,
)

# ---------------------------------------------------------------- q8 the privacy region


def _draw_q8(rng) -> dict:
    # one low FPR, where TPR <= e^ε·FPR + δ binds (for most ε), and one high, above
    # (1 − δ)/(1 + e^ε) <= 0.475 for every ε drawn, where the other edge binds; δ large
    # enough to matter at 4 significant digits
    return {"epsilon": rng.randrange(1, 31) / 10,                  # 0.1 to 3
            "delta": rng.choice((0.0, 1e-3, 1e-2)),
            "fpr_low": rng.choice((0.001, 0.005, 0.01, 0.02)),
            "fpr_high": rng.choice((0.5, 0.6, 0.7))}


def _right_q8(v) -> tuple[float, float]:
    return (dp_tpr_bound(v["fpr_low"], v["epsilon"], v["delta"]),
            dp_tpr_bound(v["fpr_high"], v["epsilon"], v["delta"]))


def _check_q8_part(tpr: float, fpr: float, eps: float, delta: float, what: str) -> str:
    right = dp_tpr_bound(fpr, eps, delta)
    first = math.exp(eps) * fpr + delta
    if close_to(tpr, right):
        return ("TPR <= e^ε·FPR + δ" if math.isclose(right, min(first, 1.0))
                else "1 − FPR <= e^ε(1 − TPR) + δ")
    if right < min(first, 1.0) and (close_to(tpr, min(first, 1.0))
                                    or close_to(tpr, min(first - delta, 1.0))):
        raise Incorrect(say(f"{what}: e^ε·FPR + δ is not the only limit here: the same "
                            "definition with D and D' swapped, applied to the test's "
                            "complement, gives 1 − FPR <= e^ε(1 − TPR) + δ; take the smaller",
                            f"{what}：在这里 e^ε·FPR + δ 不是唯一的限制：把同一定义中的 D 和 "
                            "D' 对调，再应用到该检验的补上，得到 1 − FPR <= e^ε(1 − TPR) + δ；"
                            "取两者中较小的"))
    if delta > 0 and math.isclose(right, first) and close_to(tpr, first - delta):
        raise Incorrect(say(f"{what}: δ is missing: it is added to e^ε·FPR (it allows any "
                            "event some extra probability)",
                            f"{what}：漏了 δ：它要加在 e^ε·FPR 上（它允许任何事件多出一些概率）"))
    if close_to(tpr, math.exp(-eps) * fpr + delta):
        raise Incorrect(say(f"{what}: the factor is e^ε, not e^−ε: an attack may do better "
                            "than FPR, by at most that factor",
                            f"{what}：因子是 e^ε，不是 e^−ε：攻击可以比 FPR 做得更好，"
                            "但至多好到这个因子的倍数"))
    # no "too small" or "too large": that would make a bisection of it
    raise Incorrect(say(f"{what} = {tpr:.6g} is not the largest TPR an (ε, δ)-DP mechanism "
                        "allows at its FPR (to 4 significant digits)",
                        f"{what} = {tpr:.6g} 不是 (ε, δ)-DP 机制在该 FPR 下所允许的最大 TPR"
                        "（按 4 位有效数字）"))


def _check_q8(answer, v) -> str:
    first, second = expect_pair(answer, "(tpr_low, tpr_high)")
    eps, delta = v["epsilon"], v["delta"]
    edges = [_check_q8_part(expect_number(tpr, what), v[fpr], eps, delta, what)
             for tpr, fpr, what in ((first, "fpr_low", "tpr_low"),
                                    (second, "fpr_high", "tpr_high"))]
    return say(f"these checks passed: at the low FPR the limit is {edges[0]}, at the high "
               f"one {edges[1]}",
               f"以下检查已通过：在较低的 FPR 下，起作用的限制是 {edges[0]}；在较高的 FPR 下"
               f"是 {edges[1]}")


q8 = Question(
    EXERCISE, "q8", title="read the privacy region",
    answer="tpr", checker=_check_q8,
    params=Params({"epsilon": 1.0, "delta": 1e-5, "fpr_low": 0.01, "fpr_high": 0.5},
                  _draw_q8, answer=_right_q8),
    hint="Every test satisfies TPR <= e^ε·FPR + δ and 1 − FPR <= e^ε(1 − TPR) + δ (and "
         "TPR <= 1). Solve each for TPR and take the smallest, at each FPR.",
    hint_zh="每个检验都满足 TPR <= e^ε·FPR + δ 和 1 − FPR <= e^ε(1 − TPR) + δ（以及 "
            "TPR <= 1）。在每个 FPR 下，从各式分别解出 TPR，取其中最小的。",
    solution="""
        def most_tpr(fpr, epsilon=1.0, delta=1e-5):
            return min(1.0, np.exp(epsilon) * fpr + delta,
                       1 - np.exp(-epsilon) * (1 - delta - fpr))
        tpr = (most_tpr(0.01), most_tpr(0.5))
    """,
)

QUESTIONS = (q1, q2, q3, q4, q5, q6, q7, q8)
