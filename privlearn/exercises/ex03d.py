"""Checkers for ``ex03d_secure_multiparty_computation``.

q1 share and reconstruct additively; q2 Lagrange interpolation at 0; q3 one party's
Beaver step; q4 what a dropped client leaves in naive pairwise masking; q5 SecureML's
local truncation of one party's share.
"""

from __future__ import annotations

import numpy as np

from ._checks import expect_integer, expect_uniform_bits, fresh_rng
from ._core import Incorrect, Question, call_student, say
from ._core import language as language  # ex.language("zh"): feedback in Chinese
from ._variants import Params

EXERCISE = "ex03d"
RING = 2**64

# ---------------------------------------------------------------- q1 share and reconstruct


_Q1_CALLS = 400  # sharings of 0 into 3: 1,200 shares for the uniformity test


def _check_q1(fn) -> str:
    """Power: :func:`privlearn.exercises._checks.expect_uniform_bits` on 1,200 shares."""
    for secret in (0, 42, RING - 1, 123456789012345):
        for n in (2, 3, 5):
            shares = call_student(fn, secret, n)
            if isinstance(shares, np.ndarray) and shares.ndim == 1:
                shares = list(shares)
            if not isinstance(shares, (list, tuple)):
                raise Incorrect(say(
                    f"return a list of {n} shares, got {type(shares).__name__}",
                    f"应返回由 {n} 个份额组成的列表，得到的是 {type(shares).__name__}"))
            shares = [expect_integer(s, say("a share", "份额")) for s in shares]
            if len(shares) != n:
                raise Incorrect(say(f"for n = {n} return {n} shares, got {len(shares)}",
                                    f"n = {n} 时应返回 {n} 个份额，得到的是 {len(shares)} 个"))
            if any(not 0 <= s < RING for s in shares):
                raise Incorrect(say(
                    "every share must be an element of Z_2^64: 0 <= share < 2^64",
                    "每个份额都必须是 Z_2^64 中的元素：0 <= share < 2^64"))
            if sum(shares) % RING != secret:
                raise Incorrect(say(f"the shares of {secret} must add up to it modulo 2^64",
                                    f"{secret} 的各份额之和模 2^64 必须等于 {secret}"))
    many = fn.repeat((0, 3), _Q1_CALLS)
    pool = [expect_integer(s, say("a share", "份额")) for shares in many for s in list(shares)]
    if len(set(pool)) < len(pool) - 1:
        raise Incorrect(say("shares repeat across calls: they must be fresh random numbers (use "
                            "the secrets module), or they reveal the secret",
                            "不同调用之间出现了重复的份额：份额必须是每次新抽取的随机数（使用 "
                            "secrets 模块），否则会泄露秘密"))
    expect_uniform_bits(pool, 64, say("the shares of 0 into 3, over 400 calls",
                                      "400 次调用中把 0 拆分为 3 个份额所得的份额"))
    return say("these checks passed: n shares in Z_2^64 that add up to the secret, fresh on "
               "every call, and uniform over the ring bit by bit (1,200 shares)",
               "以下检查已通过：Z_2^64 中的 n 个份额之和等于秘密，每次调用都重新生成，"
               "并且每一位在环上都均匀分布（1,200 个份额）")


q1 = Question(
    EXERCISE, "q1", title="additive sharing",
    answer="share", function=True, checker=_check_q1,
    hint="Draw n − 1 shares with secrets.randbelow(2**64); the last is the secret minus their "
         "sum, modulo 2**64.",
    hint_zh="用 secrets.randbelow(2**64) 抽取 n − 1 个份额；最后一个份额是秘密减去它们之和，"
            "模 2**64。",
    solution="""
        def share(secret, n):
            shares = [secrets.randbelow(2**64) for _ in range(n - 1)]
            return shares + [(secret - sum(shares)) % 2**64]
    """,
)

# ---------------------------------------------------------------- q2 Lagrange at 0

_Q2_CASES = (
    ([(1, 1494), (2, 329), (3, 965)], 1613, 1234),
    ([(2, 329), (4, 176), (5, 1188)], 1613, 1234),
    ([(6, 775), (1, 1494), (4, 176)], 1613, 1234),
    ([(1, 9), (3, 25)], 97, 1),          # f(x) = 1 + 8x
)


def _random_shamir_case(prime: int = 2**31 - 1) -> tuple[list, int, int]:
    """Shares of a random secret under a random polynomial of degree 2..4, at random
    distinct points, in random order."""
    rng = fresh_rng()
    coefficients = [int(c) for c in rng.integers(0, prime, int(rng.integers(3, 6)))]
    xs = [int(x) for x in rng.choice(np.arange(1, 1000), len(coefficients), replace=False)]
    shares = [(x, sum(c * pow(x, k, prime) for k, c in enumerate(coefficients)) % prime)
              for x in xs]
    return shares, prime, coefficients[0]


def _check_q2(fn) -> str:
    for shares, prime, secret in (*_Q2_CASES, _random_shamir_case()):
        got = call_student(fn, list(shares), prime)
        if got != secret:
            raise Incorrect(say(f"for shares {shares} over GF({prime}) your function returned "
                                f"{got!r}, which is not f(0): check the weights λ_i and reduce "
                                "mod p",
                                f"对于 GF({prime}) 上的份额 {shares}，你的函数返回了 {got!r}，"
                                "这不是 f(0)：请检查权重 λ_i，并对 p 取模"))
    return say("these checks passed: f(0) from any three points of the example, from two of a "
               "line, and from a random polynomial over GF(2^31 − 1)",
               "以下检查已通过：能由示例中的任意三个点、由一条直线上的两个点，以及由 "
               "GF(2^31 − 1) 上的一个随机多项式求出 f(0)")


q2 = Question(
    EXERCISE, "q2", title="Lagrange interpolation at 0",
    answer="interpolate_at_zero", function=True, checker=_check_q2,
    hint="λ_i = Π_{j≠i} x_j / (x_j − x_i) mod p; divide by multiplying with pow(den, -1, p). "
         "The secret is Σ y_i λ_i mod p.",
    hint_zh="λ_i = Π_{j≠i} x_j / (x_j − x_i) mod p；做除法时改为乘以 pow(den, -1, p)。"
            "秘密是 Σ y_i λ_i mod p。",
    solution="""
        def interpolate_at_zero(shares, prime):
            total = 0
            for i, (xi, yi) in enumerate(shares):
                num = den = 1
                for j, (xj, _) in enumerate(shares):
                    if j != i:
                        num = num * xj % prime
                        den = den * (xj - xi) % prime
                total += yi * num * pow(den, -1, prime)
            return total % prime
    """,
)

# ---------------------------------------------------------------- q3 a Beaver step

def _draw_q3(rng) -> dict:
    d, e = rng.sample(range(2, 100), 2)      # d ≠ e and a0 ≠ b0: else swapping the roles
    a0, b0 = rng.sample(range(1, 100), 2)    # of a and b gives the right answer too
    return {"d": d, "e": e, "a0": a0, "b0": b0, "c0": rng.randrange(1, 1000)}


def _right_q3(v) -> int:
    return (v["c0"] + v["d"] * v["b0"] + v["e"] * v["a0"] + v["d"] * v["e"]) % RING


def _check_q3(answer, v) -> str:
    z0 = expect_integer(answer, "z0") % RING  # any integer in the right class mod 2^64
    d, e, a0, b0, c0 = v["d"], v["e"], v["a0"], v["b0"], v["c0"]
    right = _right_q3(v)
    if z0 == right:
        return say(f"these checks passed: z0 = c0 + d·b0 + e·a0 + d·e = {right}",
                   f"以下检查已通过：z0 = c0 + d·b0 + e·a0 + d·e = {right}")
    if z0 == (right - d * e) % RING:
        raise Incorrect(say("party 0 also adds d·e (exactly one party does)",
                            "参与方 0 还要加上 d·e（恰好只有一个参与方这样做）"))
    if z0 == (c0 + d * a0 + e * b0 + d * e) % RING:
        raise Incorrect(say("d multiplies party 0's share of b, and e its share of a",
                            "d 乘以参与方 0 持有的 b 的份额，e 乘以它持有的 a 的份额"))
    raise Incorrect(say("z0 is not c0 + d·b0 + e·a0 + d·e (mod 2^64)",
                        "z0 不等于 c0 + d·b0 + e·a0 + d·e (mod 2^64)"))


q3 = Question(
    EXERCISE, "q3", title="one Beaver step",
    answer="z0", checker=_check_q3,
    params=Params({"d": 11, "e": 5, "a0": 3, "b0": 8, "c0": 40}, _draw_q3, answer=_right_q3),
    hint="z_i = c_i + d·b_i + e·a_i for every party, and party 0 alone adds d·e.",
    hint_zh="每个参与方都计算 z_i = c_i + d·b_i + e·a_i，只有参与方 0 额外加上 d·e。",
    solution="""
        z0 = 40 + 11 * 8 + 5 * 3 + 11 * 5
    """,
)

# ---------------------------------------------------------------- q4 dropped client

def _draw_q4(rng) -> dict:
    m01, m02, m12 = rng.sample(range(1, 1001), 3)
    return {"m01": m01, "m02": m02, "m12": m12}


def _right_q4(v) -> int:
    return (v["m02"] + v["m12"]) % RING


def _check_q4(answer, v) -> str:
    left = expect_integer(answer, "leftover") % RING  # any integer in the class mod 2^64
    m01, m02, m12 = v["m01"], v["m02"], v["m12"]
    right = _right_q4(v)
    if left == right:
        return say(f"these checks passed: m02 + m12 = {right} remains, so the server's sum is "
                   "wrong unless it can recompute client 2's masks: that is what the "
                   "Shamir-shared keys are for",
                   f"以下检查已通过：剩下 m02 + m12 = {right}，因此除非服务器能重新计算客户端 2 "
                   "的掩码，否则它得到的和是错的：这正是用 Shamir 秘密共享各密钥的用途")
    if left == 0:
        raise Incorrect(say("the masks shared with client 2 no longer cancel: client 2 never "
                            "sent its −m02 − m12",
                            "与客户端 2 共享的掩码不再相互抵消：客户端 2 从未发送它的 "
                            "−m02 − m12"))
    if left == (m01 + m02 + m12) % RING:
        raise Incorrect(say("m01 is added by client 0 and subtracted by client 1: it cancels",
                            "m01 由客户端 0 加上、由客户端 1 减去：它会相互抵消"))
    if left == (-(m02 + m12)) % RING:
        raise Incorrect(say("check the signs: the client with the smaller index adds the mask",
                            "检查符号：编号较小的客户端加上掩码"))
    raise Incorrect(say(f"{left} is not what remains of the masks in y0 + y1 − x0 − x1",
                        f"{left} 不是 y0 + y1 − x0 − x1 中掩码剩下的部分"))


q4 = Question(
    EXERCISE, "q4", title="why a dropout breaks naive masking",
    answer="leftover", checker=_check_q4,
    params=Params({"m01": 1000, "m02": 250, "m12": 7}, _draw_q4, answer=_right_q4),
    hint="Write y0 = x0 + m01 + m02 and y1 = x1 − m01 + m12, then add them.",
    hint_zh="写出 y0 = x0 + m01 + m02 和 y1 = x1 − m01 + m12，再把两者相加。",
    solution="""
        leftover = 250 + 7          # y0 + y1 − x0 − x1 = m02 + m12
    """,
)

# ---------------------------------------------------------------- q5 local truncation

_Q5_SHARINGS = 2000   # |z| < 2^30: a right answer fails one sharing with probability 2^-34


def _signed(v: int) -> int:
    v %= RING
    return v - RING if v >= RING // 2 else v


#: shares at the edges of the ring, where a result could leave [0, 2^64)
_Q5_EDGES = (0, 1, 2**63, RING - 1)


def _both_floor(share: int, f: int) -> int:
    """What party 1 returns if it floors its share as party 0 does."""
    return share >> f


def _check_q5(fn) -> str:
    """Recombines the two parties' outputs over 2,000 fresh sharings per f, the parties'
    calls shuffled together; each call gets one party's share only. A right answer gives
    ⌊z/2^f⌋ give or take 1 (failing with probability |z|/2^64 < 2^-34 per sharing)."""
    rng = fresh_rng()
    for f in (8, 16, 20):
        for party in (0, 1):
            for share in (*_Q5_EDGES, RING - 2**f + 1):
                out = call_student(fn, party, share, f)
                if isinstance(out, bool) or not isinstance(out, int) or not 0 <= out < RING:
                    raise Incorrect(say(
                        f"party {party}'s result for the share {share} at f = {f} "
                        f"must be an integer in [0, 2^64)",
                        f"f = {f} 时，参与方 {party} 对份额 {share} 的结果必须是 "
                        f"[0, 2^64) 中的整数"))
        z = [int(v) for v in rng.integers(-(2**30), 2**30, _Q5_SHARINGS)]
        z0 = [int(v) for v in rng.integers(0, RING - 1, _Q5_SHARINGS, dtype=np.uint64,
                                           endpoint=True)]
        z1 = [(zi - a) % RING for zi, a in zip(z, z0, strict=True)]
        calls = [(0, a, f) for a in z0] + [(1, b, f) for b in z1]
        order = rng.permutation(len(calls))
        outs = [None] * len(calls)
        for k, value in zip(order, fn.map([calls[k] for k in order]), strict=True):
            outs[k] = value
        if any(isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < RING
               for v in outs):
            raise Incorrect(say("each result must be an integer share in [0, 2^64)",
                                "每个结果都必须是 [0, 2^64) 中的整数份额"))
        t0, t1 = outs[:_Q5_SHARINGS], outs[_Q5_SHARINGS:]
        errors = [_signed(a + b) - (zi >> f) for a, b, zi in zip(t0, t1, z, strict=True)]
        bad = sum(e not in (-1, 0, 1) for e in errors)
        if bad:
            if t1 == [_both_floor(b, f) for b in z1]:
                raise Incorrect(say("party 1 floors its share as party 0 does: the two shares "
                                    "of a small z add up past 2^64 almost always, and then the "
                                    "sum of the shifted shares is off by 2^(64−f); party 1 "
                                    "must shift its share's distance to 2^64 instead",
                                    "参与方 1 像参与方 0 一样对自己的份额向下取整：一个较小的 z "
                                    "的两个份额之和几乎总会超过 2^64，这时移位后的两个份额之和"
                                    "会相差 2^(64−f)；参与方 1 应当改为对其份额到 2^64 的距离"
                                    "做移位"))
            raise Incorrect(say(f"at f = {f}, {bad} of {_Q5_SHARINGS} sharings of small values "
                                f"recombine to something other than z / 2^f give or take 1",
                                f"f = {f} 时，在对较小数值的 {_Q5_SHARINGS} 次共享中，有 {bad} "
                                f"次重构出的结果不是 z / 2^f（允许相差 1）"))
    return say("these checks passed: over 6,000 fresh sharings of |z| < 2^30 at f = 8, 16 and "
               "20, the two parties' results add up to z / 2^f give or take 1, each call given "
               "one party's share; results stay in [0, 2^64) at the ring's edges",
               "以下检查已通过：在 f = 8、16 和 20 下对 |z| < 2^30 做了 6,000 次全新的共享，"
               "两个参与方的结果之和等于 z / 2^f（允许相差 1），每次调用只给出一个参与方的份额；"
               "在环的边界处，结果仍在 [0, 2^64) 中")


q5 = Question(
    EXERCISE, "q5", title="local truncation (SecureML)",
    answer="truncate_share", function=True, checker=_check_q5,
    hint="Party 0 shifts its share right by f bits. Party 1 shifts the distance from its "
         "share to 2^64, (2^64 − share) >> f, and keeps 2^64 minus that. Both are Python "
         "ints in [0, 2^64).",
    hint_zh="参与方 0 把其份额右移 f 位。参与方 1 对其份额到 2^64 的距离做移位，即 "
            "(2^64 − share) >> f，并保留 2^64 减去该值的结果。两者都是 [0, 2^64) 中的 "
            "Python 整数（int）。",
    solution="""
        def truncate_share(party, share, f):
            if party == 0:
                return share >> f
            return (2**64 - ((2**64 - share) >> f)) % 2**64
    """,
)

QUESTIONS = (q1, q2, q3, q4, q5)

