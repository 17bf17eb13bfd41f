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
from ._core import Incorrect, Question, call_student, say
from ._core import language as language  # ex.language("zh"): feedback in Chinese
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
        return say(f"these checks passed: p = 1/2, q = 1/({k} + 1), and p(1−q)/((1−p)q) = {k} "
                   "= e^ε",
                   f"以下检查已通过：p = 1/2，q = 1/({k} + 1)，且 p(1−q)/((1−p)q) = {k} = e^ε")
    if close_to(p, k / (k + 1)) and close_to(q, 1 / (k + 1)):
        raise Incorrect(say("that is randomized response's p and 1 − p; OUE treats the true "
                            "bit and the other bits differently",
                            "这是随机响应的 p 和 1 − p；OUE 对真实类别的比特和其他比特"
                            "的处理方式不同"))
    wrong = "p" if not close_to(p, 0.5) else "q"
    raise Incorrect(say(f"{wrong} is not OUE's probability at ε = ln {k} (to 4 significant "
                        "digits)", f"{wrong} 不是 ε = ln {k} 时 OUE 的概率（按 4 位有效数字）"))


q1 = Question(
    EXERCISE, "q1", title="OUE's probabilities",
    answer="oue_pq", checker=_check_q1,
    params=Params({"e_epsilon": 3}, _draw_q1, answer=_right_q1),
    hint="Optimised unary encoding reports the true category's bit as 1 with probability 1/2 "
         "and every other bit as 1 with probability 1/(e^ε + 1).",
    hint_zh="优化一元编码（OUE）以概率 1/2 把真实类别的比特报告为 1，以概率 1/(e^ε + 1) "
            "把其他每个比特报告为 1。",
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
            raise Incorrect(say(f"return one estimate per category ({right.size}), got shape "
                                f"{got.shape}",
                                f"每个类别返回一个估计值（共 {right.size} 个），得到的形状是 "
                                f"{got.shape}"))
        if np.allclose(got, reports.mean(axis=0)):
            raise Incorrect(say("these are the raw shares of 1-bits; remove q and divide by "
                                "p − q", "这是比特为 1 的原始比例；要减去 q，再除以 p − q"))
        if np.allclose(got, np.clip(right, 0, 1)) and not np.allclose(right, np.clip(right, 0, 1)):
            raise Incorrect(say("do not clip the estimates to [0, 1]: clipping biases them",
                                "不要把估计值截断到 [0, 1]：截断会使估计有偏"))
        if not np.allclose(got, right, atol=1e-12):
            raise Incorrect(say("the unbiased estimate is (share of 1-bits − q) / (p − q)",
                                "无偏估计是 (比特为 1 的比例 − q) / (p − q)"))
    return say("these checks passed: (mean − q)/(p − q) per category, unclipped, on fixed and "
               "fresh reports",
               "以下检查已通过：每个类别的 (mean − q)/(p − q)，未截断，在固定的和新生成的报告上"
               "都正确")


q2 = Question(
    EXERCISE, "q2", title="estimate frequencies from unary reports",
    answer="frequencies", function=True, checker=_check_q2,
    hint="A category's bit is 1 with probability f·p + (1 − f)·q; solve for f and plug in "
         "the observed share.",
    hint_zh="某个类别的比特为 1 的概率是 f·p + (1 − f)·q；解出 f，再代入观测到的比例。",
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
        return say(f"these checks passed: d = u/4 − y/2 = {right:.4g}",
                   f"以下检查已通过：d = u/4 − y/2 = {right:.4g}")
    if y == -1 and close_to(d, u / 4):
        raise Incorrect(say("the labels are in {−1, 1}: y = −1 here, not 0",
                            "标签取值于 {−1, 1}：这里 y = −1，而不是 0"))
    if close_to(d, u / 4 + y / 2):
        raise Incorrect(say("check the sign of the y term", "检查 y 项的符号"))
    raise Incorrect(say(f"d = {d:.6g} is not the residual for u = {u:g} and y = {y} (to 4 "
                        "significant digits)",
                        f"d = {d:.6g} 不是 u = {u:g}、y = {y} 时的残差（按 4 位有效数字）"))


q3 = Question(
    EXERCISE, "q3", title="the Taylor residual",
    answer="d", checker=_check_q3,
    params=Params({"u": 1.2, "y": -1}, _draw_q3, answer=_right_q3),
    hint="With the Taylor approximation log 2 − y·u/2 + u²/8, the gradient of the loss in u is "
         "u/4 − y/2.",
    hint_zh="用泰勒近似 log 2 − y·u/2 + u²/8 时，损失对 u 的梯度是 u/4 − y/2。",
    solution="""
        d = 1.2 / 4 - (-1) / 2
    """,
)

_Q4 = {"bank": "its own gradient", "partner": "its own gradient", "arbiter": "masked gradients"}


def _check_q4(answer) -> str:
    if not isinstance(answer, dict):
        raise Incorrect(say("answer with a dict: party -> what it receives in the clear",
                            "请用字典作答：参与方 -> 它以明文收到的内容"))
    got = {k: str(v).strip().lower() for k, v in answer.items()}
    if set(got) != set(_Q4):
        raise Incorrect(say(f"give one entry for each of {sorted(_Q4)}",
                            f"为 {sorted(_Q4)} 中的每一方各给出一项"))
    for party, right in _Q4.items():
        if got[party] != right:
            raise Incorrect(say(f"{party}: not {got[party]!r}. Go through the protocol step by "
                                "step: who encrypts, who holds the key, who adds and removes "
                                "masks, and what comes back to each party after the arbiter "
                                "decrypts",
                                f"{party}：不是 {got[party]!r}。请逐步梳理协议：谁加密，谁持有"
                                "密钥，谁加上和去掉掩码，以及仲裁方解密之后各参与方拿回的是什么"))
    return say("these checks passed: the arbiter sees only masked gradients, and each party gets "
               "its own gradient back in the clear. That gradient is made of the residuals "
               "u/4 - y/2, so it carries the labels to the partner and the partner's scores to "
               "the bank (notebook 05 reads both)",
               "以下检查已通过：仲裁方只看到加了掩码的梯度，各参与方以明文拿回自己的梯度。"
               "这个梯度由残差 u/4 - y/2 构成，因此它把标签带给了合作方，把合作方的得分带给了"
               "银行（notebook 05 会把两者都读出来）")


q4 = Question(
    EXERCISE, "q4", title="what each party receives in hetero-LR",
    answer="received", checker=_check_q4,
    hint="The partner receives [[4d]] encrypted, but that is not the end: each party masks its "
         "encrypted gradient, the arbiter decrypts the masked values and sends them back, and "
         "the party removes its own mask.",
    hint_zh="合作方收到的是加密的 [[4d]]，但这还没有结束：每个参与方给自己的加密梯度加上掩码，"
            "仲裁方解密这些加了掩码的值并发回，参与方再去掉自己的掩码。",
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
            raise Incorrect(say(f"return a list of ids (for instance list(...)); a "
                                f"{got.type_name} cannot be sent to the checker",
                                f"请返回 id 的列表（例如 list(...)）；{got.type_name} "
                                "无法发送给检查程序"))
        if isinstance(got, np.ndarray):
            got = got.tolist() if got.ndim == 1 else got
        if not isinstance(got, (list, tuple)):
            raise Incorrect(say("return the shared ids themselves, as a list",
                                "以列表形式返回共有的 id 本身"))
        got = [expect_integer(v, say("each id", "每个 id")) for v in got]
        right = [x for x in mine if x in set(case["theirs"])]
        if sorted(got) == sorted(right):
            continue
        if len(set(got)) != len(got):
            raise Incorrect(say("list each shared id once", "每个共有的 id 只列一次"))
        if set(got) - set(mine):
            raise Incorrect(say("return your own ids (from my_ids), not indices or blinded "
                                "values", "返回你自己的 id（来自 my_ids），而不是下标或盲化后的值"))
        positional = [x for x, r, v in zip(mine, case["returned"], theirs, strict=False)
                      if r == pow(v, a, PSI_PRIME)]
        if got == positional and right:
            raise Incorrect(say("their_blinded is in the other party's own order, not in "
                                "yours: compare each returned value with all of them (a set)",
                                "their_blinded 是按对方自己的顺序排列的，不是按你的顺序：把每个 "
                                "returned 值与它们全部比较（用一个集合）"))
        if not got and right:
            raise Incorrect(say("nothing matched: raise each of the other party's blinded "
                                "values to your key a (mod p) before comparing; returned holds "
                                "your ids blinded by both keys, their_blinded theirs by their "
                                "key only",
                                "没有任何匹配：比较之前，先把对方的每个盲化值取你的密钥 a 次幂"
                                "（mod p）；returned 中是用双方密钥盲化的你的 id，their_blinded "
                                "中是只用对方密钥盲化的对方的 id"))
        raise Incorrect(say(f"{len(got)} ids returned, and they are not exactly the ids you "
                            f"share with the other party",
                            f"返回了 {len(got)} 个 id，但它们并不恰好是你与对方共有的 id"))
    return say("these checks passed: exactly the shared ids, on four fresh pairs of sets (some "
               "ids in common, none, and all of yours)",
               "以下检查已通过：恰好是共有的 id，在四对新生成的集合上（有部分共同的 id、没有共同的 "
               "id、你的 id 全部共有）")


q5 = Question(
    EXERCISE, "q5", title="the last step of private set intersection",
    answer="psi_intersection", function=True, checker=_check_q5,
    hint="(H(y)^b)^a = (H(y)^a)^b: raise every value of their_blinded to a, mod p, and put "
         "the results in a set. returned[i] is your id my_ids[i] blinded by both keys: keep "
         "the ids whose returned value is in that set.",
    hint_zh="(H(y)^b)^a = (H(y)^a)^b：把 their_blinded 中的每个值取 a 次幂（mod p），并把结果"
            "放进一个集合。returned[i] 是用双方密钥盲化的你的 id my_ids[i]：保留 returned 值"
            "在该集合中的那些 id。",
    solution="""
        def psi_intersection(my_ids, returned, their_blinded, a, p):
            theirs = {pow(v, a, p) for v in their_blinded}
            return [x for x, r in zip(my_ids, returned) if r in theirs]
    """,
)

QUESTIONS = (q1, q2, q3, q4, q5)
