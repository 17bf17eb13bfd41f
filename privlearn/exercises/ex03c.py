"""Checkers for ``ex03c_homomorphic_encryption``.

q1 encrypt by hand; q2 write the homomorphic addition; q3 encode a negative float;
q4 find the slot size that keeps a packing layout from overflowing.
"""

from __future__ import annotations

from ..he import Ciphertext, PrivateKey, decrypt, encrypt
from ._checks import expect_integer
from ._core import Incorrect, Question, call_student

EXERCISE = "ex03c"

# ---------------------------------------------------------------- q1 encrypt by hand

_Q1 = {"p": 11, "q": 13, "m": 7, "r": 5}


def _right_q1() -> int:
    n = _Q1["p"] * _Q1["q"]
    return pow(n + 1, _Q1["m"], n * n) * pow(_Q1["r"], n, n * n) % (n * n)


def _check_q1(answer) -> str:
    c = expect_integer(answer, "c")
    n = _Q1["p"] * _Q1["q"]
    right = _right_q1()
    if c == pow(n + 1, _Q1["m"], n * n) * pow(_Q1["r"], n, n) % (n * n):
        raise Incorrect("r^n must be reduced mod n², not mod n")
    if c == (pow(n + 1, _Q1["m"], n * n) * pow(_Q1["r"], n, n * n)):
        raise Incorrect("reduce the product mod n² as well")
    if c != right:
        raise Incorrect(f"c = {c} is not g^m · r^n mod n² for n = {n}, g = n + 1")
    return f"these checks passed: c = {right}"


q1 = Question(
    EXERCISE, "q1", title="encrypt by hand",
    answer="c", checker=_check_q1,
    hint="n = p·q, g = n + 1. c = g^m · r^n mod n²; Python's pow(base, exp, mod) does "
         "modular powers.",
    solution="""
        n = 11 * 13
        c = pow(n + 1, 7, n * n) * pow(5, n, n * n) % (n * n)
    """,
)

# ---------------------------------------------------------------- q2 homomorphic addition


def _check_q2(fn) -> str:
    for p, q, a, b in ((17, 19, 42, 99), (1009, 1013, -500, 123456), (23, 29, 0, -7)):
        key = PrivateKey(p, q)
        pk = key.public_key
        ca, cb = encrypt(pk, a), encrypt(pk, b)
        got = call_student(fn, pk.n, ca.value, cb.value)
        if not isinstance(got, int) or isinstance(got, bool):
            raise Incorrect(f"return the ciphertext as an int, got {type(got).__name__}")
        if got == ca.value + cb.value:
            raise Incorrect("adding ciphertexts does not add plaintexts: ⊕ is multiplication "
                            "mod n²")
        if not 0 < got < pk.nsquare:
            raise Incorrect("the result must be reduced mod n²")
        if decrypt(key, Ciphertext(got, pk)) != a + b:
            raise Incorrect(f"for n = {pk.n}, a = {a}, b = {b} your ciphertext does not "
                            "decrypt to a + b")
    return "these checks passed: E(a) ⊕ E(b) = E(a)·E(b) mod n² decrypts to a + b, negatives too"


q2 = Question(
    EXERCISE, "q2", title="the homomorphic addition",
    answer="he_add", function=True, checker=_check_q2,
    hint="The article's ⊕ in Paillier is multiplication of the two ciphertexts, modulo n².",
    solution="""
        def he_add(n, c1, c2):
            return c1 * c2 % (n * n)
    """,
)

# ---------------------------------------------------------------- q3 encode a negative float

_Q3 = {"x": -1.5, "precision": 0.25, "n": 1_000_003}


def _check_q3(answer) -> str:
    m = expect_integer(answer, "m")
    n, k = _Q3["n"], round(_Q3["x"] / _Q3["precision"])
    if m == k:
        raise Incorrect(f"{k} is the signed integer; Paillier plaintexts live in Z_n, "
                        "so represent it modulo n")
    if m == -_Q3["x"] / _Q3["precision"] or m == n + _Q3["x"]:
        raise Incorrect("first divide by the precision, then reduce mod n")
    if m != k % n:
        raise Incorrect(f"m = {m} is not round(x / precision) mod n")
    return f"these checks passed: m = round(-1.5 / 0.25) mod n = -6 mod n = {k % n}"


q3 = Question(
    EXERCISE, "q3", title="encode a negative float",
    answer="m", checker=_check_q3,
    hint="round(x / precision) gives a signed integer; negative numbers are stored as n "
         "minus their absolute value.",
    solution="""
        m = round(-1.5 / 0.25) % 1_000_003
    """,
)

# ---------------------------------------------------------------- q4 packing that overflows

_Q4 = {"max_abs_int": 100, "max_summands": 3, "slot_bits": 8}


def _check_q4(answer) -> str:
    b = expect_integer(answer, "slot_bits")
    need = 2 * _Q4["max_abs_int"] * _Q4["max_summands"]          # 600
    right = need.bit_length()                                      # smallest b: 600 < 2^b
    if b == (_Q4["max_abs_int"] * _Q4["max_summands"]).bit_length():
        raise Incorrect("values are shifted by M to be non-negative, so a slot holds up to "
                        "2·M per summand, not M")
    if b == (2 * _Q4["max_abs_int"]).bit_length():
        raise Incorrect("this fits one vector; the slots must also hold the sum of 3")
    if b < right:
        raise Incorrect(f"with {b} bits a slot holds at most {2 ** int(b) - 1}, less than "
                        "a sum of 3 shifted values can reach: it carries into the next slot")
    if b > right:
        raise Incorrect(f"{b:g} bits work but waste space: find the smallest")
    return f"these checks passed: 2·M·S = {need} < 2^{right} = {2 ** right}"


q4 = Question(
    EXERCISE, "q4", title="a packing layout that overflows",
    answer="slot_bits", checker=_check_q4,
    hint="Each slot holds v + M with |v| <= M, so one vector puts up to 2M in a slot; a sum "
         "of S vectors up to 2·M·S. The slot needs 2·M·S < 2^b.",
    solution="""
        slot_bits = (2 * 100 * 3).bit_length()    # 600 < 2^10 = 1024, but 600 >= 2^9
    """,
)

QUESTIONS = (q1, q2, q3, q4)


