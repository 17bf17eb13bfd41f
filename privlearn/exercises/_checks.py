"""Reusable judgements for checkers: numbers with tolerance, samples against a law."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from scipy import stats

from ._core import Incorrect

__all__ = ["expect_close", "expect_number", "expect_sample_from"]


def expect_number(answer: Any, what: str) -> float:
    """The answer as a finite float, or Incorrect saying what it was instead."""
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (numbers.Real,)):
        if isinstance(answer, np.ndarray) and answer.size == 1:
            answer = answer.item()
        else:
            raise Incorrect(f"{what} should be a single number, got {type(answer).__name__}")
    value = float(answer)
    if not math.isfinite(value):
        raise Incorrect(f"{what} should be finite, got {value!r}")
    return value


def expect_close(value: float, expected: float, what: str, *, rel: float = 1e-6) -> None:
    """Incorrect unless ``value`` is within relative tolerance ``rel`` of ``expected``."""
    if not math.isclose(value, expected, rel_tol=rel, abs_tol=rel * 1e-3):
        raise Incorrect(f"{what} is {value:.6g}, which is not the expected value "
                        f"(off by {abs(value / expected - 1):.1%})")


def expect_sample_from(sample: np.ndarray, law: stats.rv_continuous, what: str,
                       *, p_min: float = 1e-6) -> None:
    """Kolmogorov–Smirnov test of ``sample`` against a frozen scipy law.

    A correct sampler fails with probability ``p_min`` (one in a million by default);
    a sampler of a visibly different law fails almost surely at the sample sizes the
    checkers use (a few thousand draws).
    """
    p = stats.kstest(sample, law.cdf).pvalue
    if p < p_min:
        raise Incorrect(f"{what}: the draws do not follow the expected distribution "
                        f"(Kolmogorov-Smirnov p = {p:.1e})")
