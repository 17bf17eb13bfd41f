"""Checkers for ``ex07_trends_and_challenges``.

q1 write the loss-threshold attack's advantage; q2 the DP bound on any attack; q3 read ε
off a privacy/utility curve for a target accuracy; q4 reconstruction error.
"""

from __future__ import annotations

import math

import numpy as np

from ..attacks import dp_advantage_bound
from ._checks import close_to, expect_number, fresh_rng
from ._core import Incorrect, Question, call_student, say
from ._core import language as language  # ex.language("zh"): feedback in Chinese
from ._variants import Params

EXERCISE = "ex07"


def _best_advantage(lm, ln) -> float:
    taus = np.unique(np.concatenate([lm, ln, [np.inf]]))
    tpr = np.array([(lm <= t).mean() for t in taus])
    fpr = np.array([(ln <= t).mean() for t in taus])
    return float(max(0.0, (tpr - fpr).max()))


_Q1_CASES = (
    (np.array([0.1, 0.2, 0.3]), np.array([0.25, 0.9, 1.5, 2.0])),
    (np.array([1.0, 1.0, 2.0]), np.array([1.0, 3.0])),
    (np.array([5.0, 6.0]), np.array([0.1, 0.2])),
    (np.array([0.1, 5.0]), np.array([1.0, 2.0, 3.0])),  # the best threshold is not max(lm)
    (np.array([1.00001, 1.00002]), np.array([1.0, 1.00003, 50.0])),  # nor on a coarse grid
)


def _check_q1(fn) -> str:
    rng = fresh_rng()
    random = (np.round(rng.exponential(0.5, 30), 2), np.round(rng.exponential(1.0, 40), 2))
    for lm, ln in (*_Q1_CASES, random):
        got = expect_number(call_student(fn, lm.copy(), ln.copy()),
                            say("advantage", "优势"))
        right = _best_advantage(lm, ln)
        if math.isclose(got, right, abs_tol=1e-12):
            continue
        wrong_way = _best_advantage(-lm, -ln)
        if math.isclose(got, wrong_way, abs_tol=1e-12):
            raise Incorrect(say("members have the *lower* losses: predict 'member' when the "
                                "loss is at most the threshold",
                                "成员的损失*更低*：当损失不超过阈值时预测为“成员”"))
        raise Incorrect(say(f"for member losses {lm.tolist()} and non-member losses "
                            f"{ln.tolist()} {got:.3f} is not the best TPR − FPR over all "
                            "thresholds",
                            f"对于成员损失 {lm.tolist()} 和非成员损失 {ln.tolist()}，"
                            f"{got:.3f} 不是所有阈值中最佳的 TPR − FPR"))
    return say("these checks passed: the best TPR − FPR over thresholds, on five fixed cases "
               "and a random one (with ties)",
               "以下检查已通过：所有阈值中最佳的 TPR − FPR，在五个固定用例和一个随机用例"
               "（含并列值）上")


q1 = Question(
    EXERCISE, "q1", title="the loss-threshold attack",
    answer="advantage", function=True, checker=_check_q1,
    hint="Try every loss value as the threshold τ; TPR = share of members with loss <= τ, "
         "FPR = share of non-members with loss <= τ; return the largest TPR − FPR (or 0).",
    hint_zh="把每个损失值都试作阈值 τ；TPR = 损失 <= τ 的成员所占的比例，"
            "FPR = 损失 <= τ 的非成员所占的比例；返回最大的 TPR − FPR（或 0）。",
    solution="""
        def advantage(member_losses, non_member_losses):
            best = 0.0
            for tau in np.concatenate([member_losses, non_member_losses]):
                tpr = np.mean(member_losses <= tau)
                fpr = np.mean(non_member_losses <= tau)
                best = max(best, tpr - fpr)
            return best
    """,
)


def _draw_q2(rng) -> dict:
    # δ's part of the bound, 2δ/(e^ε + 1), must show at the 7 digits asked for: at least
    # 2e-5/21 ≈ 1e-6 of a bound below 1 for ε <= 3 and δ >= 1e-5
    return {"epsilon": rng.randrange(2, 61) / 20,             # 0.1 to 3
            "delta": rng.choice((1e-4, 1e-5))}


def _right_q2(v) -> float:
    return dp_advantage_bound(v["epsilon"], v["delta"])


def _check_q2(answer, v) -> str:
    value = expect_number(answer, "bound")
    eps = v["epsilon"]
    right = _right_q2(v)
    if close_to(value, right, digits=7):  # δ's term is ~1e-5 of the bound: 7 digits see it
        return say(f"these checks passed: (e^ε − 1 + 2δ)/(e^ε + 1) ≈ {right:.7g}",
                   f"以下检查已通过：(e^ε − 1 + 2δ)/(e^ε + 1) ≈ {right:.7g}")
    if close_to(value, math.exp(eps) - 1):
        raise Incorrect(say("e^ε − 1 is Yeom et al.'s looser bound; the tight bound is "
                            "smaller (Kairouz et al.'s privacy region)",
                            "e^ε − 1 是 Yeom 等人给出的较松的上界；紧的上界更小"
                            "（Kairouz 等人的隐私区域）"))
    raise Incorrect(say(f"bound = {value:.8g} is not right (to 7 significant digits)",
                        f"bound = {value:.8g} 不正确（按 7 位有效数字）"))


q2 = Question(
    EXERCISE, "q2", title="the most an attack can gain",
    answer="bound", checker=_check_q2,
    params=Params({"epsilon": 1.0, "delta": 1e-5}, _draw_q2, answer=_right_q2),
    hint="For an (ε, δ)-DP model, TPR − FPR <= (e^ε − 1 + 2δ)/(e^ε + 1).",
    hint_zh="对于满足 (ε, δ)-DP 的模型，TPR − FPR <= (e^ε − 1 + 2δ)/(e^ε + 1)。",
    solution="""
        bound = (np.exp(1.0) - 1 + 2e-5) / (np.exp(1.0) + 1)
    """,
)

#: the privacy/utility curve of question 3 (also printed in the exercise notebook)
CURVE_EPS = (0.5, 1.0, 2.0, 4.0, 8.0)
CURVE_ACC = (0.62, 0.74, 0.83, 0.88, 0.91)


def _check_q3(answer) -> str:
    eps = expect_number(answer, "epsilon")
    if eps == 4.0:
        return say("these checks passed: ε = 4 is the smallest on the curve with accuracy "
                   ">= 0.85",
                   "以下检查已通过：ε = 4 是曲线上准确率 >= 0.85 的最小 ε")
    if eps == 2.0:
        raise Incorrect(say("at ε = 2 the accuracy is 0.83, below the 0.85 target",
                            "ε = 2 时准确率为 0.83，低于目标 0.85"))
    if eps == 8.0:
        raise Incorrect(say("ε = 8 works but spends more privacy than needed",
                            "ε = 8 可以满足要求，但花费的隐私预算超出了所需"))
    raise Incorrect(say("pick the smallest ε on the curve whose accuracy is at least 0.85",
                        "请选出曲线上准确率至少为 0.85 的最小 ε"))


q3 = Question(
    EXERCISE, "q3", title="read ε off a privacy/utility curve",
    answer="epsilon", checker=_check_q3,
    hint="Walk the curve from the smallest ε up and stop at the first accuracy >= 0.85.",
    hint_zh="沿曲线从最小的 ε 开始往上看，停在第一个准确率 >= 0.85 的点。",
    solution="""
        epsilon = min(e for e, a in zip(CURVE_EPS, CURVE_ACC) if a >= 0.85)
    """,
)


def _check_q4(fn) -> str:
    rng = fresh_rng()
    for _ in range(3):
        a, b = rng.random(64), rng.random(64)
        got = expect_number(call_student(fn, a.copy(), b.copy()),
                            say("error", "误差"))
        right = float(np.mean((a - b) ** 2))
        if math.isclose(got, math.sqrt(right), rel_tol=1e-6):
            raise Incorrect(say("that is the root of the mean squared error; do not take the "
                                "root",
                                "这是均方误差的平方根；不要开平方根"))
        if math.isclose(got, float(np.sum((a - b) ** 2)), rel_tol=1e-6):
            raise Incorrect(say("average over the pixels instead of summing",
                                "应对各像素取平均，而不是求和"))
        if not math.isclose(got, right, rel_tol=1e-6):  # float32 arithmetic counts
            raise Incorrect(say("the reconstruction error is the mean of the squared "
                                "differences",
                                "重建误差是差值平方的均值"))
    return say("these checks passed: mean squared error over the pixels",
               "以下检查已通过：各像素上的均方误差")


q4 = Question(
    EXERCISE, "q4", title="reconstruction error",
    answer="mse", function=True, checker=_check_q4,
    hint="np.mean((x_hat - x) ** 2)",
    hint_zh="用 np.mean((x_hat - x) ** 2) 计算。",
    solution="""
        def mse(x_hat, x):
            return float(np.mean((x_hat - x) ** 2))
    """,
)

QUESTIONS = (q1, q2, q3, q4)
