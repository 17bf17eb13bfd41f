"""Checkers for ``ex03d_secure_multiparty_computation``.

q1 share and reconstruct additively; q2 Lagrange interpolation at 0; q3 one party's
Beaver step; q4 what a dropped client leaves in naive pairwise masking; q5 SecureML's
local truncation of one party's share.
"""

from __future__ import annotations

import numpy as np

from ._checks import expect_integer, expect_uniform_bits, fresh_rng
from ._core import Incorrect, Question, call_student
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
                raise Incorrect(f"return a list of {n} shares, got {type(shares).__name__}")
            shares = [expect_integer(s, "a share") for s in shares]
            if len(shares) != n:
                raise Incorrect(f"for n = {n} return {n} shares, got {len(shares)}")
            if any(not 0 <= s < RING for s in shares):
                raise Incorrect("every share must be an element of Z_2^64: 0 <= share < 2^64")
            if sum(shares) % RING != secret:
                raise Incorrect(f"the shares of {secret} must add up to it modulo 2^64")
    many = fn.repeat((0, 3), _Q1_CALLS)
    pool = [expect_integer(s, "a share") for shares in many for s in list(shares)]
    if len(set(pool)) < len(pool) - 1:
        raise Incorrect("shares repeat across calls: they must be fresh random numbers (use "
                        "the secrets module), or they reveal the secret")
    expect_uniform_bits(pool, 64, "the shares of 0 into 3, over 400 calls")
    return ("these checks passed: n shares in Z_2^64 that add up to the secret, fresh on "
            "every call, and uniform over the ring bit by bit (1,200 shares)")


q1 = Question(
    EXERCISE, "q1", title="additive sharing",
    answer="share", function=True, checker=_check_q1,
    hint="Draw n − 1 shares with secrets.randbelow(2**64); the last is the secret minus their "
         "sum, modulo 2**64.",
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
            raise Incorrect(f"for shares {shares} over GF({prime}) your function returned "
                            f"{got!r}, which is not f(0): check the weights λ_i and reduce "
                            "mod p")
    return ("these checks passed: f(0) from any three points of the example, from two of a "
            "line, and from a random polynomial over GF(2^31 − 1)")


q2 = Question(
    EXERCISE, "q2", title="Lagrange interpolation at 0",
    answer="interpolate_at_zero", function=True, checker=_check_q2,
    hint="λ_i = Π_{j≠i} x_j / (x_j − x_i) mod p; divide by multiplying with pow(den, -1, p). "
         "The secret is Σ y_i λ_i mod p.",
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
        return f"these checks passed: z0 = c0 + d·b0 + e·a0 + d·e = {right}"
    if z0 == (right - d * e) % RING:
        raise Incorrect("party 0 also adds d·e (exactly one party does)")
    if z0 == (c0 + d * a0 + e * b0 + d * e) % RING:
        raise Incorrect("d multiplies party 0's share of b, and e its share of a")
    raise Incorrect("z0 is not c0 + d·b0 + e·a0 + d·e (mod 2^64)")


q3 = Question(
    EXERCISE, "q3", title="one Beaver step",
    answer="z0", checker=_check_q3,
    params=Params({"d": 11, "e": 5, "a0": 3, "b0": 8, "c0": 40}, _draw_q3, answer=_right_q3),
    hint="z_i = c_i + d·b_i + e·a_i for every party, and party 0 alone adds d·e.",
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
        return (f"these checks passed: m02 + m12 = {right} remains, so the server's sum is "
                "wrong unless it can recompute client 2's masks: that is what the "
                "Shamir-shared keys are for")
    if left == 0:
        raise Incorrect("the masks shared with client 2 no longer cancel: client 2 never sent "
                        "its −m02 − m12")
    if left == (m01 + m02 + m12) % RING:
        raise Incorrect("m01 is added by client 0 and subtracted by client 1: it cancels")
    if left == (-(m02 + m12)) % RING:
        raise Incorrect("check the signs: the client with the smaller index adds the mask")
    raise Incorrect(f"{left} is not what remains of the masks in y0 + y1 − x0 − x1")


q4 = Question(
    EXERCISE, "q4", title="why a dropout breaks naive masking",
    answer="leftover", checker=_check_q4,
    params=Params({"m01": 1000, "m02": 250, "m12": 7}, _draw_q4, answer=_right_q4),
    hint="Write y0 = x0 + m01 + m02 and y1 = x1 − m01 + m12, then add them.",
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
                    raise Incorrect(f"party {party}'s result for the share {share} at f = {f} "
                                    f"must be an integer in [0, 2^64)")
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
            raise Incorrect("each result must be an integer share in [0, 2^64)")
        t0, t1 = outs[:_Q5_SHARINGS], outs[_Q5_SHARINGS:]
        errors = [_signed(a + b) - (zi >> f) for a, b, zi in zip(t0, t1, z, strict=True)]
        bad = sum(e not in (-1, 0, 1) for e in errors)
        if bad:
            if t1 == [_both_floor(b, f) for b in z1]:
                raise Incorrect("party 1 floors its share as party 0 does: the two shares of "
                                "a small z add up past 2^64 almost always, and then the sum "
                                "of the shifted shares is off by 2^(64−f); party 1 must shift "
                                "its share's distance to 2^64 instead")
            raise Incorrect(f"at f = {f}, {bad} of {_Q5_SHARINGS} sharings of small values "
                            f"recombine to something other than z / 2^f give or take 1")
    return ("these checks passed: over 6,000 fresh sharings of |z| < 2^30 at f = 8, 16 and 20, "
            "the two parties' results add up to z / 2^f give or take 1, each call given one "
            "party's share; results stay in [0, 2^64) at the ring's edges")


q5 = Question(
    EXERCISE, "q5", title="local truncation (SecureML)",
    answer="truncate_share", function=True, checker=_check_q5,
    hint="Party 0 shifts its share right by f bits. Party 1 shifts the distance from its "
         "share to 2^64, (2^64 − share) >> f, and keeps 2^64 minus that. Both are Python "
         "ints in [0, 2^64).",
    solution="""
        def truncate_share(party, share, f):
            if party == 0:
                return share >> f
            return (2**64 - ((2**64 - share) >> f)) % 2**64
    """,
)

QUESTIONS = (q1, q2, q3, q4, q5)

