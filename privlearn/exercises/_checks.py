"""Reusable judgements for checkers: numbers with tolerance, samples against a law."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from scipy import stats

from .._validation import check_real
from ._core import Incorrect

__all__ = ["expect_close", "expect_number", "expect_sample_from"]


def expect_number(answer: Any, what: str) -> float:
    """The answer as a finite float, or Incorrect saying what it was instead.

    A one-element numpy array or torch tensor of a real dtype counts as a number; a bool,
    a string (or an array of strings or objects) and a complex number do not."""
    if hasattr(answer, "detach") and hasattr(answer, "numel"):  # a torch tensor
        answer = answer.detach().cpu().numpy()
    if isinstance(answer, np.ndarray):
        if answer.size != 1 or answer.dtype.kind not in "iuf":
            raise Incorrect(f"{what} should be a single number, got an array of shape "
                            f"{answer.shape} and dtype {answer.dtype}")
        answer = answer.item()
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, numbers.Real):
        raise Incorrect(f"{what} should be a single number, got {type(answer).__name__}")
    try:
        value = float(answer)
    except OverflowError:
        raise Incorrect(f"{what} should be finite, got an integer too large for a "
                        "float") from None
    if not math.isfinite(value):
        raise Incorrect(f"{what} should be finite, got {value!r}")
    return value


def expect_close(value: float, expected: float, what: str, *, rel: float = 1e-6) -> None:
    """Incorrect unless ``value`` is within relative tolerance ``rel`` of ``expected``
    (absolute tolerance ``rel``·1e-3 near 0)."""
    rel = check_real("rel", rel, low=0.0)
    value, expected = float(value), float(expected)
    if not math.isclose(value, expected, rel_tol=rel, abs_tol=rel * 1e-3):
        off = (f"off by {abs(value / expected - 1):.1%}" if expected != 0
               else f"off by {abs(value):.3g}")
        raise Incorrect(f"{what} is {value:.6g}, which is not the expected value ({off})")


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
        raise Incorrect(f"{what}: the draws should be numbers, got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.size == 0:
        raise Incorrect(f"{what}: expected a non-empty 1-D array of draws, got shape "
                        f"{arr.shape}")
    if not np.isfinite(arr).all():
        raise Incorrect(f"{what}: the draws should all be finite, got "
                        f"{int((~np.isfinite(arr)).sum())} NaN or infinite values")
    p = stats.kstest(arr, law.cdf).pvalue
    if not p >= p_min:
        raise Incorrect(f"{what}: the draws do not follow the expected distribution "
                        f"(Kolmogorov-Smirnov p = {p:.1e})")
