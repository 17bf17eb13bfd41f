"""Checkers for ``ex01_background``.

q1 count the people unique on a set of quasi-identifiers; q2 write the linkage join;
q3 a differencing attack by hand; q4 how noisy a difference of two Laplace answers is;
q5 measure k-anonymity and l-diversity; q6 the background-knowledge attack on a
3-anonymous, 2-diverse release.
"""

from __future__ import annotations

import math
import unicodedata

import numpy as np

from ..attacks import anonymity_report, linkage_attack
from ._checks import close_to, expect_integer, expect_number, expect_pair, fresh_rng
from ._core import Incorrect, Question, call_student, say
from ._core import language as language  # ex.language("zh"): feedback in Chinese
from ._variants import Params

EXERCISE = "ex01"

#: the small table of question 1 (also printed in the exercise notebook)
TABLE = {
    "zip": [10001, 10001, 10001, 10002, 10002, 10003, 10003, 10003],
    "birth_year": [1980, 1980, 1975, 1980, 1990, 1975, 1975, 2001],
    "sex": ["F", "F", "M", "F", "M", "F", "M", "F"],
}


def _check_q1(answer) -> str:
    count = expect_integer(answer, "count")
    keys = list(zip(TABLE["zip"], TABLE["birth_year"], TABLE["sex"], strict=True))
    right = sum(keys.count(k) == 1 for k in keys)
    if count == len(set(keys)):
        raise Incorrect(say("that counts distinct combinations; count the *people* whose "
                            "combination occurs only once",
                            "这统计的是不同组合的个数；要数的是其组合只出现一次的*人*"))
    if count != right:
        raise Incorrect(say(f"{count:g} is not the number of rows whose (zip, birth_year, sex) "
                            "appears exactly once",
                            f"{count:g} 不是 (zip, birth_year, sex) 恰好只出现一次的行数"))
    return say(f"these checks passed: {right} of 8 people are unique on (zip, birth year, sex)",
               f"以下检查已通过：8 个人中有 {right} 人在（邮编、出生年份、性别）上是唯一的")


q1 = Question(
    EXERCISE, "q1", title="count the unique people",
    answer="count", checker=_check_q1,
    hint="Form the (zip, birth_year, sex) tuple of every row and count the rows whose tuple "
         "appears once (collections.Counter helps).",
    hint_zh="为每一行构造 (zip, birth_year, sex) 元组，然后统计其元组只出现一次的行数"
            "（collections.Counter 会有帮助）。",
    solution="""
        from collections import Counter
        keys = list(zip(TABLE["zip"], TABLE["birth_year"], TABLE["sex"]))
        counts = Counter(keys)
        count = sum(counts[k] == 1 for k in keys)
    """,
)

_Q2_RELEASED = {"zip": [1, 1, 2, 3, 4], "sex": ["F", "M", "F", "F", "M"]}
_Q2_AUX = {"zip": [1, 1, 2, 2, 4, 5], "sex": ["F", "M", "F", "F", "M", "M"],
           "name": ["Ann", "Bob", "Cy", "Di", "Ed", "Flo"]}


# two released rows that both match the one auxiliary row with their key: both are
# re-identified (a join that also wants the match to be one-to-one misses them)
_Q2_SHARED = ({"zip": [7, 7, 8], "sex": ["F", "F", "M"]},
              {"zip": [7, 8, 8], "sex": ["F", "M", "M"], "name": ["Gil", "Hal", "Ivy"]},
              ["zip", "sex"])


def _q2_random_case(seed: int) -> tuple[dict, dict, list[str]]:
    """A second town: 12 released rows, 15 auxiliary ones, three quasi-identifiers, so
    that an answer written for the example's tables does not carry over."""
    rng = np.random.default_rng(seed)
    released = {"zip": rng.integers(1, 5, 12).tolist(), "sex": rng.choice(["F", "M"], 12)
                .tolist(), "age": rng.integers(30, 33, 12).tolist()}
    auxiliary = {"zip": rng.integers(1, 5, 15).tolist(), "sex": rng.choice(["F", "M"], 15)
                 .tolist(), "age": rng.integers(30, 33, 15).tolist(),
                 "name": [f"person {i}" for i in range(15)]}
    return released, auxiliary, ["zip", "age", "sex"]


def _check_q2(fn) -> str:
    cases = [(_Q2_RELEASED, _Q2_AUX, ["zip", "sex"]), _Q2_SHARED,
             *(_q2_random_case(int(s)) for s in fresh_rng().integers(2**32, size=2))]
    for i, (released, auxiliary, qi) in enumerate(cases):
        got = call_student(fn, {k: list(v) for k, v in released.items()},
                           {k: list(v) for k, v in auxiliary.items()}, list(qi))
        right = linkage_attack(released, auxiliary, quasi_identifiers=qi).matches
        if not isinstance(got, dict) or not all(
                isinstance(k, int) and isinstance(v, int) for k, v in got.items()):
            raise Incorrect(say("return a dict: released row index -> the index of the one "
                                "auxiliary row it matches",
                                "请返回一个字典：发布行的索引 -> 它所匹配的那一行辅助表记录的索引"))
        if i == 0 and 2 in got:
            raise Incorrect(say("row 2 matches two auxiliary rows (Cy and Di): an ambiguous "
                                "match identifies nobody, leave it out",
                                "第 2 行匹配两行辅助表记录（Cy 和 Di）：有歧义的匹配"
                                "识别不出任何人，应当把它排除"))
        if got != right:
            wrong = sorted(set(got) ^ set(right) | {k for k in got if got[k] != right.get(k)})
            where = "the example's tables" if i == 0 else f"another town ({len(qi)} columns)"
            where_zh = "示例的表格" if i == 0 else f"另一个城镇（{len(qi)} 列）"
            if i == 1 and got == {}:
                raise Incorrect(say("released rows 0 and 1 each match exactly one auxiliary row "
                                    "(the same one): both are re-identified",
                                    "发布行 0 和 1 各自恰好匹配一行辅助表记录（同一行）："
                                    "两者都被重新识别了"))
            raise Incorrect(say(f"on {where}, your matches are wrong for released rows {wrong}",
                                f"在{where_zh}上，你对发布行 {wrong} 的匹配是错的"))
    return say("these checks passed: rows matching exactly one auxiliary row, and only those, on "
               "the example, on two rows matching the same person, and on two random towns",
               "以下检查已通过：在示例上、在两行匹配同一个人的情形上以及在两个随机城镇上，"
               "返回了恰好匹配一行辅助表记录的发布行，且只返回了这些行")


q2 = Question(
    EXERCISE, "q2", title="the linkage join",
    answer="link", function=True, checker=_check_q2,
    hint="Index the auxiliary table by its quasi-identifier tuple (a dict of lists of row "
         "numbers), then keep the released rows whose tuple has exactly one entry.",
    hint_zh="按准标识符元组为辅助表建立索引（一个值为行号列表的字典），然后保留那些元组恰好"
            "只对应一个条目的发布行。",
    solution="""
        def link(released, auxiliary, quasi_identifiers):
            index = {}
            for j, key in enumerate(zip(*(auxiliary[c] for c in quasi_identifiers))):
                index.setdefault(key, []).append(j)
            matches = {}
            for i, key in enumerate(zip(*(released[c] for c in quasi_identifiers))):
                if len(index.get(key, [])) == 1:
                    matches[i] = index[key][0]
            return matches
    """,
)


def _draw_q3(rng) -> dict:
    salary = rng.randrange(2_500, 9_000) * 10
    total = rng.randrange(30_000, 60_000) * 10
    return {"total": total, "excluding": total - salary}


def _right_q3(v) -> int:
    return v["total"] - v["excluding"]


def _check_q3(answer, v) -> str:
    value = expect_integer(answer, "salary")
    total, excluding = v["total"], v["excluding"]
    if value == _right_q3(v):
        return say(f"these checks passed: {total:,} − {excluding:,} = {total - excluding:,}",
                   f"以下检查已通过：{total:,} − {excluding:,} = {total - excluding:,}")
    if value == total + excluding:
        raise Incorrect(say("subtract the answers, do not add them",
                            "应当把两个回答相减，而不是相加"))
    raise Incorrect(say("the person is in the first sum and not in the second",
                        "这个人在第一个总和中，而不在第二个总和中"))


q3 = Question(
    EXERCISE, "q3", title="a differencing attack",
    answer="salary", checker=_check_q3,
    params=Params({"total": 412_800, "excluding": 371_300}, _draw_q3, answer=_right_q3),
    hint="Both sums contain everyone else; only one contains the target.",
    hint_zh="两个总和都包含其他所有人；只有一个包含目标人物。",
    solution="""
        salary = 412_800 - 371_300
    """,
)


def _draw_q4(rng) -> dict:
    return {"sensitivity": rng.randrange(10, 201) * 1000,
            "epsilon": rng.randrange(1, 41) / 20}         # 0.05 to 2 in steps of 0.05


def _right_q4(v) -> float:
    return 2 * v["sensitivity"] / v["epsilon"]     # Var = 2·(2b²) = 4b², b = Δ/ε


def _check_q4(answer, v) -> str:
    sd = expect_number(answer, "sd")
    b = v["sensitivity"] / v["epsilon"]
    right = _right_q4(v)
    if close_to(sd, right):
        return say(f"these checks passed: sqrt(2 · 2b²) = 2b = {right:,.0f}",
                   f"以下检查已通过：sqrt(2 · 2b²) = 2b = {right:,.0f}")
    if close_to(sd, math.sqrt(2) * b):
        raise Incorrect(say("that is the standard deviation of *one* Laplace noise; the "
                            "difference adds two independent ones",
                            "这是*一个*拉普拉斯噪声的标准差；差值叠加了两个相互独立的噪声"))
    if close_to(sd, 2 * math.sqrt(2) * b):
        raise Incorrect(say("standard deviations do not add; variances do",
                            "标准差不能相加，方差才能相加"))
    raise Incorrect(say(f"sd = {sd:.6g} is not right (to 4 significant digits)",
                        f"sd = {sd:.6g} 不对（按 4 位有效数字）"))


q4 = Question(
    EXERCISE, "q4", title="noise on a difference",
    answer="sd", checker=_check_q4,
    params=Params({"sensitivity": 60_000, "epsilon": 0.5}, _draw_q4, answer=_right_q4),
    hint="Laplace(b) has variance 2b²; the variance of a difference of independent noises "
         "is the sum of their variances.",
    hint_zh="Laplace(b) 的方差为 2b²；相互独立的噪声之差的方差等于它们的方差之和。",
    solution="""
        b = 60_000 / 0.5
        sd = (2 * 2 * b**2) ** 0.5
    """,
)

# ---------------------------------------------------------------- q5 k and l

#: the example of question 5 (printed in the exercise notebook): two classes of three, one
#: of them homogeneous; k = 3, l = 1
KL_TABLE = {"zip": ["130**"] * 3 + ["148**"] * 3, "age": ["<30"] * 3 + [">=40"] * 3,
             "condition": ["heart", "heart", "heart", "flu", "cancer", "cancer"]}


def _classes(*groups: tuple[str, list[str]]) -> tuple[dict, list[str], str]:
    """A table from (zip, diagnoses of the class) pairs: one class per zip code."""
    table: dict[str, list] = {"zip": [], "diagnosis": []}
    for zip_code, values in groups:
        table["zip"] += [zip_code] * len(values)
        table["diagnosis"] += values
    return table, ["zip"], "diagnosis"


#: fixed tables on which each wrong definition a random table could miss fails every time:
#: the smallest class is not the least diverse (k and l from one class); every class is
#: diverse but one holds a value once (l as the least count of a value); a singleton class
#: (l with singletons skipped); and l = 3 (l always 1, or l of the whole table)
_Q5_FIXED = (
    _classes(("1**", ["flu", "cancer"]), ("2**", ["asthma"] * 4), ("3**", ["flu", "flu", "none"])),
    _classes(("1**", ["flu", "cancer"]), ("2**", ["flu", "flu", "asthma"]),
             ("3**", ["none", "none", "cancer", "cancer"])),
    _classes(("1**", ["flu"]), ("2**", ["flu", "cancer", "asthma"]), ("3**", ["none", "flu"])),
    _classes(("1**", ["flu", "cancer", "none"]), ("2**", ["flu", "none", "asthma", "asthma"]),
             ("3**", ["none", "flu", "cancer", "diabetes", "asthma"])),
)
_Q5_VALUES = ("none", "flu", "asthma", "cancer", "diabetes")


def _q5_random_case(seed: int) -> tuple[dict, list[str], str]:
    """A random table, so that an answer written for the fixed ones does not carry over:
    3 to 6 classes of 2 to 6 rows on (zip, decade, sex), each with its own number of
    distinct diagnoses, the smallest class never the least diverse (so that k and l come
    from different classes, and neither is 1 by way of a singleton)."""
    rng = np.random.default_rng(seed)
    while True:
        m = int(rng.integers(3, 7))
        sizes = rng.integers(2, 7, m)
        kinds = [int(rng.integers(1, min(int(n), len(_Q5_VALUES)) + 1)) for n in sizes]
        if np.argmin(sizes) != np.argmin(kinds) and sizes.min() < sizes[np.argmin(kinds)]:
            break
    table: dict[str, list] = {"zip": [], "decade": [], "sex": [], "diagnosis": []}
    keys = rng.permutation([(z, d, s) for z in ("100**", "101**") for d in (1960, 1970, 1980)
                            for s in ("F", "M")])[:m]
    for (z, d, s), n, kind in zip(keys.tolist(), sizes.tolist(), kinds, strict=True):
        values = rng.choice(_Q5_VALUES, kind, replace=False).tolist()
        values += rng.choice(values, n - kind).tolist()       # every chosen value appears
        table["zip"] += [z] * n
        table["decade"] += [int(d)] * n
        table["sex"] += [s] * n
        table["diagnosis"] += rng.permutation(values).tolist()
    order = rng.permutation(len(table["zip"]))               # rows interleaved, not grouped
    return {c: [v[i] for i in order] for c, v in table.items()}, ["zip", "decade", "sex"], \
        "diagnosis"


def _check_q5(fn) -> str:
    cases = [(KL_TABLE, ["zip", "age"], "condition"), *_Q5_FIXED,
             *(_q5_random_case(int(seed)) for seed in fresh_rng().integers(2**32, size=3))]
    for i, (table, qi, sensitive) in enumerate(cases):
        got = call_student(fn, {c: list(v) for c, v in table.items()}, list(qi), sensitive)
        first, second = expect_pair(got, "(k, l)")
        k, ell = expect_integer(first, "k"), expect_integer(second, "l")
        report = anonymity_report(table, quasi_identifiers=qi, sensitive=sensitive)
        if (k, ell) == (report.k_anonymity, report.l_diversity):
            continue
        where = ("the example" if i == 0 else f"fixed table {i} of {len(_Q5_FIXED)}"
                 if i <= len(_Q5_FIXED) else f"a random table of {len(table[sensitive])} rows")
        where_zh = ("示例" if i == 0 else f"固定表格 {i}（共 {len(_Q5_FIXED)} 个）"
                    if i <= len(_Q5_FIXED) else f"一个 {len(table[sensitive])} 行的随机表格")
        keys = list(zip(*(table[c] for c in qi), strict=True))
        if k != report.k_anonymity:
            if k == len(set(keys)):
                raise Incorrect(say(f"on {where}, k = {k} counts the classes; k is the size of "
                                    "the smallest one",
                                    f"在{where_zh}上，k = {k} 数的是等价类的个数；"
                                    "k 是最小等价类的大小"))
            if k == max(keys.count(key) for key in keys):
                raise Incorrect(say(f"on {where}, k = {k} is the largest class; k is the "
                                    "smallest",
                                    f"在{where_zh}上，k = {k} 是最大等价类的大小；"
                                    "k 是最小等价类的大小"))
            raise Incorrect(say(f"on {where}, k = {k} is not the size of the smallest group of "
                                "rows that agree on every quasi-identifier",
                                f"在{where_zh}上，k = {k} 不是在每个准标识符上取值都相同的行"
                                "所构成的最小组的大小"))
        if ell == len(set(table[sensitive])):
            raise Incorrect(say(f"on {where}, l = {ell} counts the distinct values of the whole "
                                "table; l counts them in each class, and takes the fewest",
                                f"在{where_zh}上，l = {ell} 数的是整张表中不同取值的个数；"
                                "l 应在每个等价类中分别计数，并取其中最少的"))
        raise Incorrect(say(f"on {where}, l = {ell} is not the fewest distinct sensitive values "
                            "in any class",
                            f"在{where_zh}上，l = {ell} 不是各等价类中敏感属性"
                            "不同取值个数的最小值"))
    return say("these checks passed: k and l on the example, four more fixed tables and three "
               "random ones",
               "以下检查已通过：在示例、另外四个固定表格和三个随机表格上的 k 和 l")


q5 = Question(
    EXERCISE, "q5", title="measure k-anonymity and l-diversity",
    answer="k_and_l", function=True, checker=_check_q5,
    hint="Group the rows by their quasi-identifier tuple (a dict from tuple to the list of "
         "the group's sensitive values). k is the smallest group's size, l the fewest "
         "distinct values in a group.",
    hint_zh="按准标识符元组对行分组（一个从元组映射到该组敏感值列表的字典）。"
            "k 是最小组的大小，l 是各组中不同取值个数的最小值。",
    solution="""
        def k_and_l(table, quasi_identifiers, sensitive):
            groups = {}
            for key, value in zip(zip(*(table[c] for c in quasi_identifiers)), table[sensitive]):
                groups.setdefault(key, []).append(value)
            return (min(len(v) for v in groups.values()),
                    min(len(set(v)) for v in groups.values()))
    """,
)

# ---------------------------------------------------------------- q6 background knowledge

#: the release of question 6 (printed in the exercise notebook): 3-anonymous and
#: 2-diverse on (zip, age, sex)
RELEASE = {
    "zip": ["130**", "130**", "130**", "130**", "148**", "148**", "148**",
            "130**", "130**", "130**"],
    "age": ["30-39"] * 4 + ["40-49"] * 3 + ["20-29"] * 3,
    "sex": ["F"] * 4 + ["M"] * 3 + ["F"] * 3,
    "diagnosis": ["none", "cancer", "none", "cancer", "flu", "asthma", "none",
                  "diabetes", "diabetes", "none"],
}


def _check_q6(answer) -> str:
    if not isinstance(answer, str):
        raise Incorrect(say(f"answer with the diagnosis as a string, such as 'flu' (got "
                            f"{type(answer).__name__})",
                            f"请以字符串形式给出诊断，例如 'flu'（得到的是 "
                            f"{type(answer).__name__}）"))
    # full-width letters from an input method, case, spaces, quotes and a final full stop
    # do not matter
    given = unicodedata.normalize("NFKC", answer).strip().strip("'\"。.").strip().casefold()
    if given == "cancer":
        return say("these checks passed: Dana's class (130**, 30-39, F) holds only 'none' and "
                   "'cancer', and she is ill; 2-diversity did not stop one fact the table does "
                   "not hold",
                   "以下检查已通过：Dana 所在的等价类 (130**, 30-39, F) 只包含 'none' 和 "
                   "'cancer'，而她当时生病了；2-多样性挡不住一条表中没有的事实")
    if given == "none":
        raise Incorrect(say("you know Dana is ill: 'none' is the one value you can rule out",
                            "你知道 Dana 生病了：'none' 是你唯一能排除的取值"))
    if given in {d.casefold() for d in RELEASE["diagnosis"]}:
        raise Incorrect(say("that diagnosis is not in Dana's class: find the rows with her zip "
                            "code, age band and sex",
                            "这个诊断不在 Dana 所在的等价类中：找出与她的邮编、年龄段和性别"
                            "相符的行"))
    raise Incorrect(say(f"{answer!r} is not a diagnosis in the release",
                        f"{answer!r} 不是这份发布数据中的诊断"))


q6 = Question(
    EXERCISE, "q6", title="the background-knowledge attack",
    answer="diagnosis", checker=_check_q6,
    hint="Find the rows that match Dana's zip code, age band and sex; list their diagnoses; "
         "remove the one you know is not hers.",
    hint_zh="找出与 Dana 的邮编、年龄段和性别相符的行；列出这些行的诊断；"
            "去掉你知道不属于她的那一个。",
    solution="""
        diagnosis = "cancer"
    """,
)

QUESTIONS = (q1, q2, q3, q4, q5, q6)
