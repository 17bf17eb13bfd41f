"""Checkers for ``ex03c_homomorphic_encryption``.

q1 encrypt by hand; q2 write the homomorphic addition; q3 encode a negative float;
q4 find the slot size that keeps a packing layout from overflowing; q5 write Paillier
decryption; q6 write RLWE (BFV-style) decryption.
"""

from __future__ import annotations

import math

import numpy as np

from ..he import Ciphertext, PrivateKey, decrypt, encrypt, rlwe
from ..he.paillier import raw_encrypt
from ._checks import expect_integer, fresh_rng
from ._core import Incorrect, Question, call_student, say
from ._core import language as language  # ex.language("zh"): feedback in Chinese
from ._variants import Params

EXERCISE = "ex03c"

# ---------------------------------------------------------------- q1 encrypt by hand

_PRIMES = (11, 13, 17, 19, 23, 29)


def _draw_q1(rng) -> dict:
    while True:  # a valid key: gcd(pq, (p − 1)(q − 1)) = 1 ({11, 23} is not: 23 − 1 = 2 · 11)
        p, q = sorted(rng.sample(_PRIMES, 2))
        if math.gcd(p * q, (p - 1) * (q - 1)) == 1:
            break
    r = rng.choice([r for r in range(2, 20) if r % p and r % q])
    return {"p": p, "q": q, "m": rng.randrange(2, 20), "r": r}


def _right_q1(v) -> int:
    n = v["p"] * v["q"]
    return pow(n + 1, v["m"], n * n) * pow(v["r"], n, n * n) % (n * n)


def _check_q1(answer, v) -> str:
    c = expect_integer(answer, "c")
    n, m, r = v["p"] * v["q"], v["m"], v["r"]
    right = _right_q1(v)
    if c == right:
        return say(f"these checks passed: c = g^m · r^n mod n² = {right}",
                   f"以下检查已通过：c = g^m · r^n mod n² = {right}")
    if c == pow(n + 1, m, n * n) * pow(r, n, n) % (n * n):
        raise Incorrect(say("r^n must be reduced mod n², not mod n",
                            "r^n 必须对 n² 取模，而不是对 n 取模"))
    if c == (pow(n + 1, m, n * n) * pow(r, n, n * n)):
        raise Incorrect(say("reduce the product mod n² as well", "乘积也要对 n² 取模"))
    raise Incorrect(say(f"c = {c} is not g^m · r^n mod n² for n = {n}, g = n + 1",
                        f"当 n = {n}、g = n + 1 时，c = {c} 不等于 g^m · r^n mod n²"))


q1 = Question(
    EXERCISE, "q1", title="encrypt by hand",
    answer="c", checker=_check_q1,
    params=Params({"p": 11, "q": 13, "m": 7, "r": 5}, _draw_q1, answer=_right_q1),
    hint="n = p·q, g = n + 1. c = g^m · r^n mod n²; Python's pow(base, exp, mod) does "
         "modular powers.",
    hint_zh="n = p·q，g = n + 1。c = g^m · r^n mod n²；Python 的 pow(base, exp, mod) "
            "可以计算模幂。",
    solution="""
        n = 11 * 13
        c = pow(n + 1, 7, n * n) * pow(5, n, n * n) % (n * n)
    """,
)

# ---------------------------------------------------------------- q2 homomorphic addition


def _check_q2(fn) -> str:
    x, y = (int(v) for v in fresh_rng().integers(-250_000, 250_000, 2))  # |x + y| < n/2
    for p, q, a, b in ((17, 19, 42, 99), (1009, 1013, -500, 123456), (23, 29, 0, -7),
                       (1009, 1013, x, y)):
        key = PrivateKey(p, q)
        pk = key.public_key
        ca, cb = encrypt(pk, a), encrypt(pk, b)
        got = expect_integer(call_student(fn, pk.n, ca.value, cb.value),
                             say("your ciphertext", "你的密文"))
        if got == ca.value + cb.value:
            raise Incorrect(say("adding ciphertexts does not add plaintexts: ⊕ is "
                                "multiplication mod n²",
                                "把密文相加并不会让明文相加：⊕ 是模 n² 的乘法"))
        if not 0 < got < pk.nsquare:
            raise Incorrect(say("the result must be reduced mod n²", "结果必须对 n² 取模"))
        if decrypt(key, Ciphertext(got, pk)) != a + b:
            raise Incorrect(say(f"for n = {pk.n}, a = {a}, b = {b} your ciphertext does not "
                                "decrypt to a + b",
                                f"当 n = {pk.n}、a = {a}、b = {b} 时，你的密文解密后不是 a + b"))
    return say("these checks passed: E(a) ⊕ E(b) = E(a)·E(b) mod n² decrypts to a + b, "
               "negatives too, on fixed and random plaintexts",
               "以下检查已通过：E(a) ⊕ E(b) = E(a)·E(b) mod n² 解密为 a + b，负数也是如此，"
               "固定明文和随机明文均已检查")


q2 = Question(
    EXERCISE, "q2", title="the homomorphic addition",
    answer="he_add", function=True, checker=_check_q2,
    hint="The article's ⊕ in Paillier is multiplication of the two ciphertexts, modulo n².",
    hint_zh="文中的 ⊕ 在 Paillier 中就是两个密文相乘，再对 n² 取模。",
    solution="""
        def he_add(n, c1, c2):
            return c1 * c2 % (n * n)
    """,
)

# ---------------------------------------------------------------- q3 encode a negative float

def _draw_q3(rng) -> dict:
    precision = rng.choice((0.5, 0.25, 0.125, 0.0625))    # powers of 2: x / precision exact
    return {"x": -rng.randrange(1, 200) * precision,
            "precision": precision,
            "n": rng.choice((999_983, 65_537, 104_729, 7_919, 1_299_709))}


def _right_q3(v) -> int:
    return round(v["x"] / v["precision"]) % v["n"]


def _check_q3(answer, v) -> str:
    m = expect_integer(answer, "m")
    x, precision, n = v["x"], v["precision"], v["n"]
    k = round(x / precision)
    if m == _right_q3(v):
        return say(f"these checks passed: m = round(x / precision) mod n = {k} mod n "
                   f"= {k % n}",
                   f"以下检查已通过：m = round(x / precision) mod n = {k} mod n = {k % n}")
    if m == k:
        raise Incorrect(say(f"{k} is the signed integer; Paillier plaintexts live in Z_n, "
                            "so represent it modulo n",
                            f"{k} 是有符号整数；Paillier 的明文位于 Z_n 中，"
                            "所以要用模 n 的形式表示它"))
    if m == -x / precision or m == n + x:
        raise Incorrect(say("first divide by the precision, then reduce mod n",
                            "先除以精度 precision，再对 n 取模"))
    raise Incorrect(say(f"m = {m} is not round(x / precision) mod n",
                        f"m = {m} 不等于 round(x / precision) mod n"))


q3 = Question(
    EXERCISE, "q3", title="encode a negative float",
    answer="m", checker=_check_q3,
    params=Params({"x": -1.5, "precision": 0.25, "n": 1_000_003}, _draw_q3, answer=_right_q3),
    hint="round(x / precision) gives a signed integer; negative numbers are stored as n "
         "minus their absolute value.",
    hint_zh="round(x / precision) 得到一个有符号整数；负数存储为 n 减去其绝对值。",
    solution="""
        m = round(-1.5 / 0.25) % 1_000_003
    """,
)

# ---------------------------------------------------------------- q4 packing that overflows

def _draw_q4(rng) -> dict:
    max_abs = rng.randrange(20, 5001)
    return {"max_abs": max_abs, "summands": rng.randrange(2, 33),
            "current_bits": (2 * max_abs).bit_length()}   # the layout that fits one vector


def _right_q4(v) -> int:
    return (2 * v["max_abs"] * v["summands"]).bit_length()   # smallest b with 2MS < 2^b


def _check_q4(answer, v) -> str:
    b = expect_integer(answer, "slot_bits")
    max_abs, summands = v["max_abs"], v["summands"]
    need = 2 * max_abs * summands
    right = _right_q4(v)
    if b == right:
        return say(f"these checks passed: 2·M·S = {need} < 2^{right} = {2 ** right}",
                   f"以下检查已通过：2·M·S = {need} < 2^{right} = {2 ** right}")
    if b == (max_abs * summands).bit_length():
        raise Incorrect(say("values are shifted by M to be non-negative, so a slot holds up "
                            "to 2·M per summand, not M",
                            "数值平移了 M 以变为非负，所以每个加数在一个槽中最多占 2·M，"
                            "而不是 M"))
    if b == (2 * max_abs).bit_length():
        raise Incorrect(say(f"this fits one vector; the slots must also hold the sum of "
                            f"{summands}",
                            f"这只够放下一个向量；槽还必须能容纳 {summands} 个向量之和"))
    # neither "too few" nor "too many": that would turn the question into a bisection
    raise Incorrect(say(f"{b} bits is not the smallest slot that holds any sum of {summands} "
                        "shifted values",
                        f"{b} 位不是能容纳任意 {summands} 个平移后数值之和的最小槽宽"))


q4 = Question(
    EXERCISE, "q4", title="a packing layout that overflows",
    answer="slot_bits", checker=_check_q4,
    params=Params({"max_abs": 100, "summands": 3, "current_bits": 8}, _draw_q4,
                  answer=_right_q4),
    hint="Each slot holds v + M with |v| <= M, so one vector puts up to 2M in a slot; a sum "
         "of S vectors up to 2·M·S. The slot needs 2·M·S < 2^b.",
    hint_zh="每个槽存放 v + M，其中 |v| <= M，所以一个向量在一个槽中最多放入 2M；"
            "S 个向量之和最多为 2·M·S。槽需要满足 2·M·S < 2^b。",
    solution="""
        slot_bits = (2 * 100 * 3).bit_length()    # 600 < 2^10 = 1024, but 600 >= 2^9
    """,
)

# ---------------------------------------------------------------- q5 decryption

_Q5_PRIMES = (1009, 1013, 1019, 1021, 1031, 1033, 2003, 2011, 2017, 3001, 3011, 4001, 4003,
              4007, 65521, 65537)


def _q5_cases() -> list[tuple[int, int, int, int]]:
    """(p, q, m, r): the hand example of q1, a key whose λ and φ differ, a key too large
    for float arithmetic, and a fresh key and plaintext drawn for this check."""
    rng = fresh_rng()
    while True:  # a valid key: gcd(pq, (p − 1)(q − 1)) = 1 (4007 − 1 = 2 · 2003, say)
        p, q = (int(x) for x in rng.choice(_Q5_PRIMES, 2, replace=False))
        if math.gcd(p * q, (p - 1) * (q - 1)) == 1:
            break
    n = p * q
    r = int(rng.integers(2, n))
    while math.gcd(r, n) != 1:
        r += 1
    # 65521 · 65537: n² ≈ 1.8e19 is beyond float64's 2^53, so L computed with / fails
    return [(11, 13, 7, 5), (17, 19, 300, 7), (65521, 65537, 3_000_000_017, 12345),
            (p, q, int(rng.integers(0, n)), r)]


def _check_q5(fn) -> str:
    for p, q, m, r in _q5_cases():
        pk = PrivateKey(p, q).public_key
        c = raw_encrypt(pk, m if m <= (pk.n - 1) // 2 else m - pk.n, r).value
        got = expect_integer(call_student(fn, p, q, c), say("your plaintext", "你的明文"))
        if got == m:
            continue
        n, lam = p * q, math.lcm(p - 1, q - 1)
        if got == (pow(c, lam, n * n) - 1) // n % n:
            raise Incorrect(say("this is L(c^λ mod n²) = m·λ mod n: multiply by "
                                "μ = λ^(−1) mod n to take λ off",
                                "这是 L(c^λ mod n²) = m·λ mod n：再乘以 μ = λ^(−1) mod n "
                                "来消去 λ"))
        if not 0 <= got < n:
            raise Incorrect(say(f"return the plaintext as an integer in [0, n), got {got}",
                                f"请以 [0, n) 中的整数返回明文，得到的是 {got}"))
        raise Incorrect(say(f"for p = {p}, q = {q} and c = {c}, {got} is not the plaintext",
                            f"当 p = {p}、q = {q}、c = {c} 时，{got} 不是明文"))
    return say("these checks passed: the plaintext of the hand example, of a key where λ ≠ φ, "
               "of a key too large for floats, and of a fresh key and message",
               "以下检查已通过：手算示例的明文、λ ≠ φ 的密钥下的明文、"
               "对浮点数而言过大的密钥下的明文，以及新生成的密钥和消息的明文")


q5 = Question(
    EXERCISE, "q5", title="Paillier decryption",
    answer="paillier_decrypt", function=True, checker=_check_q5,
    hint="n = p·q and λ = lcm(p − 1, q − 1); with g = n + 1, μ = λ^(−1) mod n. Then "
         "L(c^λ mod n²)·μ mod n, where L(u) = (u − 1) / n is exact integer division.",
    hint_zh="n = p·q，λ = lcm(p − 1, q − 1)；取 g = n + 1 时，μ = λ^(−1) mod n。"
            "然后计算 L(c^λ mod n²)·μ mod n，其中 L(u) = (u − 1) / n 是精确的整数除法。",
    solution="""
        def paillier_decrypt(p, q, c):
            n = p * q
            lam = math.lcm(p - 1, q - 1)
            mu = pow(lam, -1, n)
            return (pow(c, lam, n * n) - 1) // n * mu % n
    """,
)

# ---------------------------------------------------------------- q6 RLWE decryption


def _ring(a, b, n: int, *, wrap: int = -1) -> list[int]:
    """a·b with x^n = wrap (−1: the ring of RLWE; +1: the cyclic misconception)."""
    out = [0] * n
    for i in range(n):
        for j in range(n):
            k = i + j
            out[k % n] += (wrap if k >= n else 1) * int(a[i]) * int(b[j])
    return out


def _decrypt_with(c0, c1, s, q, t, *, wrap=-1, rounding=True, minus=False,
                  elementwise=False) -> list[int]:
    n = len(c0)
    cs = [int(x) * int(y) for x, y in zip(c1, s, strict=True)] if elementwise else \
        _ring(c1, s, n, wrap=wrap)
    phase = [(int(c0[i]) + (-1 if minus else 1) * cs[i]) % q for i in range(n)]
    if rounding:
        return [((t * v + q // 2) // q) % t for v in phase]
    return [(t * v // q) % t for v in phase]


#: (n, q, t): Δ = q/t a power of two in the first ring and not in the second
_Q6_RINGS = ((8, 2**20, 16), (16, 3 * 2**18, 16))


def _q6_cases() -> list[tuple]:
    """(c0, c1, s, q, t, message): fresh encryptions, and ciphertexts whose noise is close
    to (below) Δ/2 after repeated doubling, with Δ·m' added to c0 so that their messages
    are random again (adding Δ·m' changes the message, not the noise)."""
    rng = fresh_rng()
    cases = []
    for n, q, t in _Q6_RINGS:
        params = rlwe.RLWEParams(n=n, q=q, t=t)
        keys = rlwe.generate_keys(params, rng=rng)
        m = rng.integers(0, t, n)
        ct = rlwe.encrypt(keys, m, rng=rng)
        cases.append((ct.parts, keys, m))
        doubled, dm = ct, m.copy()            # double until the noise is near the budget
        for _ in range(64):
            if 2 * rlwe.noise(keys, doubled, dm) >= params.delta // 2:
                break
            doubled, dm = rlwe.add(doubled, doubled), (2 * dm) % t
        shift = rng.integers(0, t, n)
        c0 = [(int(v) + params.delta * int(k)) % q for v, k in zip(doubled.parts[0], shift,
                                                                    strict=True)]
        cases.append(((c0, doubled.parts[1]), keys, (dm + shift) % t))
    return [([int(v) for v in parts[0]], [int(v) for v in parts[1]],
             [int(v) for v in keys.secret], keys.params.q, keys.params.t, [int(v) for v in m])
            for parts, keys, m in cases]


def _check_q6(fn) -> str:
    for c0, c1, s, q, t, m in _q6_cases():
        got = call_student(fn, list(c0), list(c1), list(s), q, t)
        if isinstance(got, np.ndarray):
            if got.ndim != 1:
                raise Incorrect(say(f"return a flat list of {len(m)} integers, got an array "
                                    f"of shape {got.shape}",
                                    f"请返回由 {len(m)} 个整数组成的一维列表，"
                                    f"得到的是形状为 {got.shape} 的数组"))
            got = got.tolist()
        if not isinstance(got, (list, tuple)):
            raise Incorrect(say("return the message as a list of integers",
                                "请以整数列表的形式返回消息"))
        got = [expect_integer(v, say("each coefficient of the message", "消息的每个系数"))
               for v in got]
        if got == m:
            continue
        if len(got) != len(m):
            raise Incorrect(say(f"return one coefficient per coefficient of c0 ({len(m)}), "
                                f"got {len(got)}",
                                f"c0 的每个系数对应返回一个系数（共 {len(m)} 个），"
                                f"得到的是 {len(got)} 个"))
        if got == _decrypt_with(c0, c1, s, q, t, wrap=+1):
            raise Incorrect(say("x^n wraps around to −1 in this ring: a product's coefficient "
                                "of x^(i+j) with i + j >= n lands at i + j − n with a minus "
                                "sign",
                                "在这个环中 x^n 回绕为 −1：乘积中 x^(i+j) 的系数在 i + j >= n "
                                "时带负号落到 i + j − n 处"))
        if got == _decrypt_with(c0, c1, s, q, t, elementwise=True):
            raise Incorrect(say("c1·s is a product of polynomials (every coefficient of c1 "
                                "times every coefficient of s), not of coefficients one by one",
                                "c1·s 是多项式的乘积（c1 的每个系数乘以 s 的每个系数），"
                                "而不是系数逐个相乘"))
        if got == _decrypt_with(c0, c1, s, q, t, minus=True):
            raise Incorrect(say("the phase is c0 + c1·s (encryption made c0 = b·u + ... with "
                                "b = −(a·s + e))",
                                "相位是 c0 + c1·s（加密时 c0 = b·u + ...，其中 "
                                "b = −(a·s + e)）"))
        if got == _decrypt_with(c0, c1, s, q, t, rounding=False):
            raise Incorrect(say("round (t/q)·phase to the nearest integer: the noise can be "
                                "negative, and flooring turns it into an error of one",
                                "要把 (t/q)·phase 舍入到最近的整数：噪声可能为负，"
                                "向下取整会把它变成差 1 的错误"))
        if any(not 0 <= v < t for v in got):
            raise Incorrect(say(f"reduce the message mod t = {t}",
                                f"将消息对 t = {t} 取模"))
        raise Incorrect(say(f"for n = {len(m)}, q = {q} and t = {t} this is not the message",
                            f"当 n = {len(m)}、q = {q}、t = {t} 时，这不是原消息"))
    return say("these checks passed: fresh ciphertexts, and ciphertexts whose noise is close "
               "to Δ/2, in two rings (Δ a power of two, and not)",
               "以下检查已通过：在两个环中（Δ 是 2 的幂，以及 Δ 不是 2 的幂），"
               "新加密的密文，以及噪声接近 Δ/2 的密文")


q6 = Question(
    EXERCISE, "q6", title="RLWE decryption",
    answer="rlwe_decrypt", function=True, checker=_check_q6,
    hint="Multiply c1 by s as polynomials with x^n = −1 (the coefficient of x^(i+j) goes to "
         "i + j − n with a minus sign when i + j >= n), add c0, reduce mod q: that is Δ·m + "
         "noise. Then each coefficient v gives round(t·v / q) mod t; in integers, "
         "(t·v + q // 2) // q.",
    hint_zh="把 c1 与 s 作为多项式相乘，其中 x^n = −1（当 i + j >= n 时，x^(i+j) 的系数带负号"
            "落到 i + j − n 处），加上 c0，再对 q 取模：得到的就是 Δ·m + 噪声。然后每个系数 v "
            "给出 round(t·v / q) mod t；用整数运算就是 (t·v + q // 2) // q。",
    solution="""
        def rlwe_decrypt(c0, c1, s, q, t):
            n = len(c0)
            phase = list(c0)
            for i in range(n):
                for j in range(n):
                    k = i + j
                    sign = -1 if k >= n else 1
                    phase[k % n] += sign * c1[i] * s[j]
            return [((t * (v % q) + q // 2) // q) % t for v in phase]
    """,
)

QUESTIONS = (q1, q2, q3, q4, q5, q6)


