"""Reusable judgements for checkers: numbers with tolerance, samples against a law."""

from __future__ import annotations

import math
import numbers
import secrets
from typing import Any

import numpy as np
from scipy import stats

from .._validation import check_int, check_real
from ._core import Incorrect, say

__all__ = ["LAPLACE_DRAWS", "close_to", "expect_close", "expect_integer", "expect_laplace",
           "expect_number", "expect_pair", "expect_sample_from", "expect_uniform_bits",
           "fresh_rng", "laplace_test_power", "seeded_draws", "uniform_bits_test_power"]


def _zh(what: str) -> str:
    """The Chinese of a quantity's name where the caller gave one (``say(en, zh)``)."""
    return getattr(what, "zh", what)


def fresh_rng() -> np.random.Generator:
    """A generator seeded by the operating system, for a checker's inputs that differ on
    every check: an answer that is a table of the checker's fixed cases fails them.
    Only for checks that are exact on any input (a statistical check keeps its seeds,
    so that its false-reject rate is the computed one)."""
    return np.random.default_rng(secrets.randbits(128))


def seeded_draws(fn: Any, args: tuple, what: str, *, seed: int,
                 n: int | None = None) -> np.ndarray:
    """``n`` (default :data:`LAPLACE_DRAWS`) results of ``fn(*args, rng)`` from one
    generator seeded with ``seed``, as floats, after checking that each result is one
    number and that two calls with identically seeded generators agree (noise drawn from
    anything but the ``rng`` argument fails here)."""
    a, b = fn.map([(*args, np.random.default_rng(7)), (*args, np.random.default_rng(7))])
    for got in (a, b):
        if (got.numel() if hasattr(got, "numel") else np.size(got)) != 1:
            raise Incorrect(say(f"{what} should be a single number, got shape {np.shape(got)}",
                                f"{_zh(what)} 应当是单个数，得到的形状是 {np.shape(got)}"))
    if expect_number(a, what) != expect_number(b, what):
        raise Incorrect(say("two calls with identically seeded rng gave different results: "
                            "draw the noise from the rng argument, not from np.random",
                            "用相同种子的 rng 调用两次，结果却不同：噪声要从参数 rng 中抽取，"
                            "不要用 np.random"))
    rng = np.random.default_rng(seed)
    return np.array([expect_number(d, what)
                     for d in fn.repeat((*args, rng), n or LAPLACE_DRAWS)])


def expect_pair(answer: Any, what: str) -> tuple[Any, Any]:
    """The two items of a pair: a tuple or list of two, or a 1-D numpy array or torch
    tensor of two real numbers (items come back as Python scalars)."""
    if hasattr(answer, "detach") and hasattr(answer, "numel"):  # a torch tensor
        answer = answer.detach().cpu().numpy()
    if isinstance(answer, np.ndarray) and answer.shape == (2,) and answer.dtype.kind in "iuf":
        return answer[0].item(), answer[1].item()
    if isinstance(answer, (tuple, list)) and len(answer) == 2:
        return answer[0], answer[1]
    raise Incorrect(say(f"answer with a pair {what}", f"请用一对值作答：{_zh(what)}"))


def expect_number(answer: Any, what: str) -> float:
    """The answer as a finite float, or Incorrect saying what it was instead.

    A one-element numpy array or torch tensor of a real dtype counts as a number; a bool,
    a string (or an array of strings or objects) and a complex number do not."""
    if hasattr(answer, "detach") and hasattr(answer, "numel"):  # a torch tensor
        answer = answer.detach().cpu().numpy()
    if isinstance(answer, np.ndarray):
        if answer.size != 1 or answer.dtype.kind not in "iuf":
            raise Incorrect(say(f"{what} should be a single number, got an array of shape "
                                f"{answer.shape} and dtype {answer.dtype}",
                                f"{_zh(what)} 应当是单个数，得到的是形状为 {answer.shape}、"
                                f"类型为 {answer.dtype} 的数组"))
        answer = answer.item()
    if answer is None:
        raise Incorrect(say(f"{what} should be a single number, got None: does your function "
                            "`return` its result?",
                            f"{_zh(what)} 应当是单个数，得到的是 None：你的函数 `return` "
                            "结果了吗？"))
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, numbers.Real):
        kind = getattr(answer, "type_name", type(answer).__name__)  # Opaque: its real type
        raise Incorrect(say(f"{what} should be a single number, got {kind}",
                            f"{_zh(what)} 应当是单个数，得到的是 {kind}"))
    try:
        value = float(answer)
    except OverflowError:
        raise Incorrect(say(f"{what} should be finite, got an integer too large for a "
                            "float", f"{_zh(what)} 应当是有限数，得到的整数太大，超出了浮点数的范围"
                            )) from None
    if not math.isfinite(value):
        raise Incorrect(say(f"{what} should be finite, got {value!r}",
                            f"{_zh(what)} 应当是有限数，得到的是 {value!r}"))
    return value


def close_to(value: float, expected: float, *, digits: int = 4) -> bool:
    """Whether ``value`` agrees with ``expected`` to ``digits`` significant digits: within
    half a unit of the last of them, so the expected value rounded to that precision (as a
    notebook prints it) counts, and nothing further away does."""
    digits = check_int("digits", digits, low=1)
    value, expected = float(value), float(expected)
    if expected == 0:
        return abs(value) <= 0.5 * 10.0 ** -digits
    unit = 10.0 ** (math.floor(math.log10(abs(expected))) - digits + 1)
    return abs(value - expected) <= 0.5 * unit * (1 + 1e-9)


def expect_close(value: float, expected: float, what: str, *, digits: int = 4) -> None:
    """Incorrect unless ``value`` agrees with ``expected`` to ``digits`` significant digits
    (:func:`close_to`). The message does not say how far off, or in which direction: that
    would give the expected value away."""
    if not close_to(value, expected, digits=digits):
        raise Incorrect(say(f"{what} = {float(value):.6g} is not right (to {digits} significant "
                            "digits)", f"{_zh(what)} = {float(value):.6g} 不对（按 {digits} 位有效"
                            f"数字）"))


def expect_integer(answer: Any, what: str) -> int:
    """The answer as a Python int, or Incorrect saying what it was instead.

    Integers of any type count (numpy, gmpy2, one-element integer arrays and tensors), and
    so does a float holding a whole number below 2^53 (``198.0``); a bool does not."""
    value = answer
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuO":
        value = value.reshape(()).item()
    if hasattr(value, "detach") and hasattr(value, "numel") and value.numel() == 1 and \
            not value.is_floating_point():
        value = value.item()
    if isinstance(value, (bool, np.bool_)):
        raise Incorrect(say(f"{what} should be a whole number, got a bool",
                            f"{_zh(what)} 应当是整数，得到的是布尔值"))
    if isinstance(value, numbers.Integral):
        return int(value)
    number = expect_number(answer, what)
    if number != int(number) or abs(number) >= 2**53:
        raise Incorrect(say(f"{what} should be a whole number, got {number!r}",
                            f"{_zh(what)} 应当是整数，得到的是 {number!r}"))
    return int(number)


def expect_sample_from(sample: np.ndarray, law: stats.rv_continuous, what: str,
                       *, p_min: float = 1e-6) -> None:
    """Kolmogorov–Smirnov test of ``sample`` against a frozen scipy law.

    A correct sampler fails with probability ``p_min`` (one in a million by default);
    a sampler of a visibly different law fails almost surely at the sample sizes the
    checkers use (a few thousand draws). A sample that is empty, not one-dimensional, or
    holds NaN or infinity is Incorrect before any test (NaN made the p-value NaN, which
    passed).
    """
    p_min = check_real("p_min", p_min, low=0.0, high=1.0)
    if not hasattr(law, "cdf"):
        raise TypeError(f"law must be a frozen scipy distribution, got {type(law).__name__}")
    arr = np.asarray(sample) if sample is not None else np.asarray([])
    if arr.dtype.kind not in "iuf":
        raise Incorrect(say(f"{what}: the draws should be numbers, got dtype {arr.dtype}",
                            f"{_zh(what)}：抽样结果应当是数，得到的类型是 {arr.dtype}"))
    if arr.ndim != 1 or arr.size == 0:
        raise Incorrect(say(f"{what}: expected a non-empty 1-D array of draws, got shape "
                            f"{arr.shape}", f"{_zh(what)}：应当是非空的一维抽样数组，得到的形状是 "
                            f"{arr.shape}"))
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).sum())
        raise Incorrect(say(f"{what}: the draws should all be finite, got {bad} NaN or "
                            f"infinite values", f"{_zh(what)}：抽样结果都应当是有限数，其中有 "
                            f"{bad} 个 NaN 或无穷大"))
    p = stats.kstest(arr, law.cdf).pvalue
    if not p >= p_min:
        raise Incorrect(say(f"{what}: the draws do not follow the expected distribution "
                            f"(Kolmogorov-Smirnov p = {p:.1e})", f"{_zh(what)}：抽样结果不服从"
                            f"应有的分布（Kolmogorov-Smirnov 检验 p = {p:.1e}）"))


# ------------------------------------------------------------------ Laplace draws

LAPLACE_DRAWS = 8000
_LAPLACE_TESTS = 4  # scale, centre, tail, shape: the false-reject rate is split four ways


def _laplace_bounds(n: int, alpha: float) -> dict[str, tuple[float, float]]:
    a = alpha / _LAPLACE_TESTS
    return {
        # sum |x - loc| / b ~ Gamma(n, 1): |Lap(b)| is exponential with mean b
        "scale": (stats.gamma.ppf(a / 2, n), stats.gamma.isf(a / 2, n)),
        # draws above loc ~ Binomial(n, 1/2)
        "centre": (stats.binom.ppf(a / 2, n, 0.5), stats.binom.isf(a / 2, n, 0.5)),
        # draws beyond loc ± 5b ~ Binomial(n, e^-5), too few if the noise is cut off
        "tail": (stats.binom.ppf(a, n, math.exp(-5)), math.inf),
    }


def laplace_test_power(n: int = LAPLACE_DRAWS, alpha: float = 1e-6) -> dict[str, float]:
    """Probabilities that :func:`expect_laplace` misses a wrong sampler (exact, from the
    test statistics' laws), for the sampler errors students make.

    ``scale x0.9`` / ``x1.1``: noise of 0.9 or 1.1 times the right scale (the sum of
    absolute deviations is then Gamma(n, 0.9) or Gamma(n, 1.1)); ``shift 0.1b``: noise
    centred 0.1 scale units off (draws above the centre are then Binomial(n, 1 − e^−0.1/2));
    ``truncated at 5b``: noise cut off at five scale units (no draw beyond, always caught);
    ``exact 1%``: the true value returned 1% of the time (caught unless no such call
    occurs in n, 0.99^n).
    """
    b = _laplace_bounds(n, alpha)
    lo, hi = b["scale"]

    def scale_miss(s: float) -> float:
        return float(stats.gamma.cdf(hi, n, scale=s) - stats.gamma.cdf(lo, n, scale=s))

    clo, chi = b["centre"]
    p_above = 1 - 0.5 * math.exp(-0.1)
    return {
        "scale x0.9": scale_miss(0.9),
        "scale x1.1": scale_miss(1.1),
        "shift 0.1b": float(stats.binom.cdf(chi, n, p_above) - stats.binom.cdf(clo - 1, n,
                                                                                 p_above)),
        "truncated at 5b": 0.0 if b["tail"][0] >= 0 else 1.0,
        "exact 1%": 0.99 ** n,
    }


def expect_laplace(draws: Any, loc: float, scale: float, what: str, *,
                   alpha: float = 1e-6) -> None:
    """Incorrect unless ``draws`` look like independent Lap(loc, scale) draws.

    Five checks, the last four at a false-reject rate of ``alpha`` / 4 each, so that a
    correct sampler is rejected with probability at most ``alpha`` (one in a million):

    1. no draw equals ``loc`` exactly (a continuous law has no atom; a mechanism that
       sometimes returns the true value fails here);
    2. scale: Σ|x − loc| / scale is Gamma(n, 1) for the right scale, two-sided;
    3. centre: the number of draws above ``loc`` is Binomial(n, 1/2), two-sided;
    4. tail: at least the Binomial(n, e^−5) lower quantile of the draws lie beyond
       ``loc`` ± 5·scale (noise cut off there fails);
    5. shape: Kolmogorov–Smirnov against the Laplace law (Gaussian noise of the same
       spread fails).

    Power at n = 8,000 draws and ``alpha`` = 5e-7 (ex03b q1 tests two settings at that
    level, one in a million for the question), from :func:`laplace_test_power`:
    a scale 10% too small is missed with probability 1.9e-05, 10% too large 5.4e-04
    (so ±10% is detected with probability >= 0.999); a shift of 0.1 scale units 6.1e-04;
    truncation at 5 scale units or closer never; a true value returned 1% of the time
    1.2e-35. Messages say what is wrong, never the expected numbers.
    """
    arr = np.asarray(draws)
    if arr.dtype.kind not in "iuf" or arr.ndim != 1 or arr.size < 100:
        raise Incorrect(say(f"{what}: expected many numeric draws, got shape {arr.shape} and "
                            f"dtype {arr.dtype}", f"{_zh(what)}：应当是大量数值抽样，得到的形状是 "
                            f"{arr.shape}、类型是 {arr.dtype}"))
    arr = arr.astype(float)
    if not np.isfinite(arr).all():
        raise Incorrect(say(f"{what}: some draws are NaN or infinite",
                            f"{_zh(what)}：有些抽样结果是 NaN 或无穷大"))
    n = arr.size
    dev = arr - loc
    if np.all(dev == dev[0]):
        raise Incorrect(say(f"{what}: every call returned the same number: no noise was "
                            f"added", f"{_zh(what)}：每次调用都返回同一个数：没有加噪声"))
    if np.any(dev == 0):
        raise Incorrect(say(f"{what}: some calls returned the true value itself: every "
                            "release needs fresh noise, every time", f"{_zh(what)}：有些调用直接"
                            f"返回了真实值：每次发布都需要新的噪声"))
    b = _laplace_bounds(n, alpha)
    total = float(np.abs(dev).sum() / scale)
    if total < b["scale"][0]:
        raise Incorrect(say(f"{what}: the noise is too small for this sensitivity and "
                            "epsilon (check the scale b of the Laplace law)", f"{_zh(what)}：对"
                            f"这个敏感度和 epsilon 来说噪声太小（检查拉普拉斯分布的尺度 b）"))
    if total > b["scale"][1]:
        raise Incorrect(say(f"{what}: the noise is larger than it needs to be for this "
                            "sensitivity and epsilon (check the scale b of the Laplace law)",
                            f"{_zh(what)}：对这个敏感度和 epsilon 来说噪声比需要的大（检查拉普拉斯"
                            f"分布的尺度 b）"))
    above = int((dev > 0).sum())
    if not b["centre"][0] <= above <= b["centre"][1]:
        raise Incorrect(say(f"{what}: the noise is not centred on the true value",
                            f"{_zh(what)}：噪声不是以真实值为中心的"))
    if int((np.abs(dev) > 5 * scale).sum()) < b["tail"][0]:
        raise Incorrect(say(f"{what}: too few large draws: is the noise cut off or clipped? "
                            "Laplace noise has no bound", f"{_zh(what)}：大的抽样值太少：噪声是"
                            f"不是被截断或裁剪了？拉普拉斯噪声没有上界"))
    expect_sample_from(arr, stats.laplace(loc=loc, scale=scale), what,
                       p_min=alpha / _LAPLACE_TESTS)


# ------------------------------------------------------------------ uniform ring elements


def _bit_bounds(n: int, bits: int, alpha: float) -> tuple[float, float]:
    a = alpha / bits  # Bonferroni over the bit positions
    return stats.binom.ppf(a / 2, n, 0.5), stats.binom.isf(a / 2, n, 0.5)


def uniform_bits_test_power(n: int, bits: int = 64, alpha: float = 1e-6,
                            p_one: float = 0.35) -> float:
    """Probability that :func:`expect_uniform_bits` misses one bit position that is 1 with
    probability ``p_one`` instead of 1/2 (exact: its count of ones is Binomial(n, p_one))."""
    lo, hi = _bit_bounds(n, bits, alpha / 2)  # the bit tests get half of alpha
    return float(stats.binom.cdf(hi, n, p_one) - stats.binom.cdf(lo - 1, n, p_one))


def expect_uniform_bits(values: Any, bits: int, what: str, *, alpha: float = 1e-6) -> None:
    """Incorrect unless every bit of ``values`` (integers in [0, 2^bits)) is 1 about half
    the time, as it is for uniform draws from Z_2^bits.

    Each bit position's count of ones is tested against Binomial(n, 1/2), two-sided, at
    ``alpha`` / (2 ``bits``) (Bonferroni), and the values / 2^bits against U(0, 1) with a
    Kolmogorov–Smirnov test at ``alpha`` / 2, so uniform draws fail with probability at
    most ``alpha``. Small signed shares (±2^31 reduced mod 2^64) have fair bits but fail
    the second test. Shares drawn from a smaller range (``randbelow(2**32)``, ``2**63``), from a
    few values, or with a stuck bit fail. Power at n = 1,200 values, 64 bits and
    ``alpha`` = 1e-6: a single bit that is 1 with probability 0.35 (or 0.65) is missed with
    probability 1.0e-06 (:func:`uniform_bits_test_power`); a constant bit never.
    """
    ints = [int(v) for v in values]
    if any(not 0 <= v < 2**bits for v in ints):
        raise Incorrect(say(f"{what}: every value must lie in [0, 2^{bits})",
                            f"{_zh(what)}：每个值都必须在 [0, 2^{bits}) 中"))
    n = len(ints)
    lo, hi = _bit_bounds(n, bits, alpha / 2)
    for bit in range(bits):
        ones = sum((v >> bit) & 1 for v in ints)
        if not lo <= ones <= hi:
            raise Incorrect(say(f"{what}: bit {bit} is 1 in {ones} of {n} values, not about "
                                f"half: the values are not uniform over Z_2^{bits}",
                                f"{_zh(what)}：第 {bit} 位在 {n} 个值中有 {ones} 个为 1，不是一半"
                                f"左右：这些值在 Z_2^{bits} 上不均匀"))
    # small signed values reduced mod 2^bits have fair bits but sit next to 0 and 2^bits
    expect_sample_from(np.array([v / 2**bits for v in ints]), stats.uniform(), what,
                       p_min=alpha / 2)
