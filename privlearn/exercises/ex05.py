"""Checkers for ``ex05_applications``.

q1 OUE's probabilities; q2 estimate frequencies from unary reports; q3 the Taylor residual
of vertical logistic regression; q4 which party learns what in hetero-LR; q5 the last
step of Diffie–Hellman private set intersection.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ..dp import estimate_frequencies, unary_encoding
from ._checks import close_to, expect_integer, expect_number, expect_pair, fresh_rng
from ._core import Incorrect, Question, call_student
from ._plain import Opaque
from ._variants import Params

EXERCISE = "ex05"


def _draw_q1(rng) -> dict:
    return {"e_epsilon": rng.randrange(2, 201)}


def _right_q1(v) -> tuple[float, float]:
    return 0.5, 1 / (v["e_epsilon"] + 1)


def _check_q1(answer, v) -> str:
    p, q = (expect_number(x, name) for x, name in
            zip(expect_pair(answer, "(p, q)"), ("p", "q"), strict=True))
    k = v["e_epsilon"]   # ε = ln k, so e^ε = k
    if close_to(p, 0.5) and close_to(q, 1 / (k + 1)):
        return (f"these checks passed: p = 1/2, q = 1/({k} + 1), and p(1−q)/((1−p)q) = {k} "
                "= e^ε")
    if close_to(p, k / (k + 1)) and close_to(q, 1 / (k + 1)):
        raise Incorrect("that is randomized response's p and 1 − p; OUE treats the true "
                        "bit and the other bits differently")
    wrong = "p" if not close_to(p, 0.5) else "q"
    raise Incorrect(f"{wrong} is not OUE's probability at ε = ln {k} (to 4 significant "
                    "digits)")


q1 = Question(
    EXERCISE, "q1", title="OUE's probabilities",
    answer="oue_pq", checker=_check_q1,
    params=Params({"e_epsilon": 3}, _draw_q1, answer=_right_q1),
    hint="Optimised unary encoding reports the true category's bit as 1 with probability 1/2 "
         "and every other bit as 1 with probability 1/(e^ε + 1).",
    solution="""
        oue_pq = (0.5, 1 / (np.exp(np.log(3)) + 1))
    """,
)


def _check_q2(fn) -> str:
    # seed 4 gives negative estimates (which a clipped answer changes); then fresh reports
    for rng, eps in ((np.random.default_rng(4), 0.5), (np.random.default_rng(4), 2.0),
                     (fresh_rng(), 1.0)):
        values = rng.integers(0, 3, size=3000)  # categories 3..5 empty: estimates near 0
        reports = unary_encoding(values, num_categories=6, epsilon=eps, rng=rng)
        got = np.asarray(call_student(fn, reports.copy(), eps), dtype=float)
        right = estimate_frequencies(reports, epsilon=eps)
        if got.shape != right.shape:
            raise Incorrect(f"return one estimate per category ({right.size}), got shape "
                            f"{got.shape}")
        if np.allclose(got, reports.mean(axis=0)):
            raise Incorrect("these are the raw shares of 1-bits; remove q and divide by p − q")
        if np.allclose(got, np.clip(right, 0, 1)) and not np.allclose(right, np.clip(right, 0, 1)):
            raise Incorrect("do not clip the estimates to [0, 1]: clipping biases them")
        if not np.allclose(got, right, atol=1e-12):
            raise Incorrect("the unbiased estimate is (share of 1-bits − q) / (p − q)")
    return ("these checks passed: (mean − q)/(p − q) per category, unclipped, on fixed and "
            "fresh reports")


q2 = Question(
    EXERCISE, "q2", title="estimate frequencies from unary reports",
    answer="frequencies", function=True, checker=_check_q2,
    hint="A category's bit is 1 with probability f·p + (1 − f)·q; solve for f and plug in "
         "the observed share.",
    solution="""
        def frequencies(reports, epsilon):
            p, q = 0.5, 1 / (np.exp(epsilon) + 1)
            return (reports.mean(axis=0) - q) / (p - q)
    """,
)


def _draw_q3(rng) -> dict:
    return {"u": rng.randrange(-300, 301) / 100, "y": rng.choice((-1, 1))}


def _right_q3(v) -> float:
    return v["u"] / 4 - v["y"] / 2


def _check_q3(answer, v) -> str:
    d = expect_number(answer, "d")
    u, y = v["u"], v["y"]
    right = _right_q3(v)
    if close_to(d, right):
        return f"these checks passed: d = u/4 − y/2 = {right:.4g}"
    if y == -1 and close_to(d, u / 4):
        raise Incorrect("the labels are in {−1, 1}: y = −1 here, not 0")
    if close_to(d, u / 4 + y / 2):
        raise Incorrect("check the sign of the y term")
    raise Incorrect(f"d = {d:.6g} is not the residual for u = {u:g} and y = {y} (to 4 "
                    "significant digits)")


q3 = Question(
    EXERCISE, "q3", title="the Taylor residual",
    answer="d", checker=_check_q3,
    params=Params({"u": 1.2, "y": -1}, _draw_q3, answer=_right_q3),
    hint="With the Taylor approximation log 2 − y·u/2 + u²/8, the gradient of the loss in u is "
         "u/4 − y/2.",
    solution="""
        d = 1.2 / 4 - (-1) / 2
    """,
)

_Q4 = {"bank": "its own gradient", "partner": "its own gradient", "arbiter": "masked gradients"}


def _check_q4(answer) -> str:
    if not isinstance(answer, dict):
        raise Incorrect("answer with a dict: party -> what it receives in the clear")
    got = {k: str(v).strip().lower() for k, v in answer.items()}
    if set(got) != set(_Q4):
        raise Incorrect(f"give one entry for each of {sorted(_Q4)}")
    for party, right in _Q4.items():
        if got[party] != right:
            raise Incorrect(f"{party}: not {got[party]!r}. Go through the protocol step by step: "
                            "who encrypts, who holds the key, who adds and removes masks, and "
                            "what comes back to each party after the arbiter decrypts")
    return ("these checks passed: the arbiter sees only masked gradients, and each party gets "
            "its own gradient back in the clear. That gradient is made of the residuals "
            "u/4 - y/2, so it carries the labels to the partner and the partner's scores to "
            "the bank (notebook 05 reads both)")


q4 = Question(
    EXERCISE, "q4", title="what each party receives in hetero-LR",
    answer="received", checker=_check_q4,
    hint="The partner receives [[4d]] encrypted, but that is not the end: each party masks its "
         "encrypted gradient, the arbiter decrypts the masked values and sends them back, and "
         "the party removes its own mask.",
    solution="""
        received = {"bank": "its own gradient", "partner": "its own gradient",
                  "arbiter": "masked gradients"}
    """,
)

# ---------------------------------------------------------------- q5 a PSI step

#: a safe prime (p = 2p' + 1 with p' prime): the squares mod p form a group of prime order p'
PSI_PRIME = 2305843009213691579


def _to_group(item: int) -> int:
    """H(x): SHA-256 of the id, squared mod p (a square lies in the prime-order subgroup)."""
    h = int.from_bytes(hashlib.sha256(f"ex05-{item}".encode()).digest(), "big") % PSI_PRIME
    return pow(h, 2, PSI_PRIME)


def _q5_case(rng, shared: int) -> dict:
    """Two id sets of 30 and 32 with ``shared`` ids in common, both keys, and both parties'
    messages."""
    universe = rng.permutation(10_000)[:62].tolist()
    mine, theirs = universe[:30], universe[30 - shared:62 - shared]
    rng.shuffle(mine)
    a, b = (int(v) for v in rng.integers(2, PSI_PRIME // 2 - 1, 2))
    order = rng.permutation(len(theirs))
    their_blinded = [pow(_to_group(theirs[i]), b, PSI_PRIME) for i in order]
    returned = [pow(pow(_to_group(x), a, PSI_PRIME), b, PSI_PRIME) for x in mine]
    return {"mine": mine, "theirs": theirs, "a": a, "b": b, "their_blinded": their_blinded,
            "returned": returned}


def _check_q5(fn) -> str:
    rng = fresh_rng()
    for shared in (12, int(rng.integers(1, 30)), 0, 30):   # some, fresh, none, all of mine
        case = _q5_case(rng, shared)
        mine, a, theirs = case["mine"], case["a"], case["their_blinded"]
        got = call_student(fn, list(mine), list(case["returned"]), list(theirs), a, PSI_PRIME)
        if isinstance(got, Opaque):
            raise Incorrect(f"return a list of ids (for instance list(...)); a {got.type_name} "
                            "cannot be sent to the checker")
        if isinstance(got, np.ndarray):
            got = got.tolist() if got.ndim == 1 else got
        if not isinstance(got, (list, tuple)):
            raise Incorrect("return the shared ids themselves, as a list")
        got = [expect_integer(v, "each id") for v in got]
        right = [x for x in mine if x in set(case["theirs"])]
        if sorted(got) == sorted(right):
            continue
        if len(set(got)) != len(got):
            raise Incorrect("list each shared id once")
        if set(got) - set(mine):
            raise Incorrect("return your own ids (from my_ids), not indices or blinded values")
        positional = [x for x, r, v in zip(mine, case["returned"], theirs, strict=False)
                      if r == pow(v, a, PSI_PRIME)]
        if got == positional and right:
            raise Incorrect("their_blinded is in the other party's own order, not in yours: "
                            "compare each returned value with all of them (a set)")
        if not got and right:
            raise Incorrect("nothing matched: raise each of the other party's blinded values "
                            "to your key a (mod p) before comparing; returned holds your ids "
                            "blinded by both keys, their_blinded theirs by their key only")
        raise Incorrect(f"{len(got)} ids returned, and they are not exactly the ids you share "
                        f"with the other party")
    return ("these checks passed: exactly the shared ids, on four fresh pairs of sets (some "
            "ids in common, none, and all of yours)")


q5 = Question(
    EXERCISE, "q5", title="the last step of private set intersection",
    answer="psi_intersection", function=True, checker=_check_q5,
    hint="(H(y)^b)^a = (H(y)^a)^b: raise every value of their_blinded to a, mod p, and put "
         "the results in a set. returned[i] is your id my_ids[i] blinded by both keys: keep "
         "the ids whose returned value is in that set.",
    solution="""
        def psi_intersection(my_ids, returned, their_blinded, a, p):
            theirs = {pow(v, a, p) for v in their_blinded}
            return [x for x, r in zip(my_ids, returned) if r in theirs]
    """,
)

QUESTIONS = (q1, q2, q3, q4, q5)
