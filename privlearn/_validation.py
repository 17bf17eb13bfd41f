"""Validation at the library's boundary.

Every public function checks its arguments here so that the rules read the same
everywhere: a wrong *type* is a ``TypeError`` (``bool`` and ``str`` are not numbers),
a value out of range, NaN or infinite is a ``ValueError``. Each message names the
parameter, states the rule and shows the value received, e.g.
``epsilon must be finite and > 0, got -1.0``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "as_real_array",
    "check_bool",
    "check_int",
    "check_probability",
    "check_real",
    "check_weights",
]


def _is_real_scalar(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, numbers.Real)


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = True,
    high_open: bool = True,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as a float after checking it is a finite real in a range.

    ``low``/``high`` bound the range; ``low_open``/``high_open`` say whether the bound
    itself is excluded. Raises TypeError for non-numbers (bool and str included) and
    ValueError for NaN, infinity (unless ``allow_inf``) and out-of-range values.
    """
    if not _is_real_scalar(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    try:
        x = float(value)
    except OverflowError:  # an integer beyond float64
        raise ValueError(f"{name} must be finite{_range_text(low, high, low_open, high_open)}, "
                         f"got an integer of {int(value).bit_length()} bits") from None
    if math.isnan(x) or (math.isinf(x) and not allow_inf):
        raise ValueError(f"{name} must be finite{_range_text(low, high, low_open, high_open)}, "
                         f"got {x!r}")
    bad_low = low is not None and (x <= low if low_open else x < low)
    bad_high = high is not None and (x >= high if high_open else x > high)
    if bad_low or bad_high:
        raise ValueError(f"{name} must be finite{_range_text(low, high, low_open, high_open)}, "
                         f"got {x!r}")
    return x


def _range_text(low, high, low_open, high_open) -> str:
    if low is not None and high is not None:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        return f" and in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f" and {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" and {'<' if high_open else '<='} {high:g}"
    return ""


def check_probability(name: str, value: Any, *, closed: bool = False) -> float:
    """A probability in the open interval (0, 1), or [0, 1] with ``closed=True``."""
    return check_real(name, value, low=0.0, high=1.0, low_open=not closed, high_open=not closed)


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int after checking it is an integer in ``[low, high]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        rule = " and ".join(
            part for part in (f">= {low}" if low is not None else "",
                              f"<= {high}" if high is not None else "") if part
        )
        shown = v if v.bit_length() <= 128 else f"an integer of {v.bit_length()} bits"
        raise ValueError(f"{name} must be an integer {rule}, got {shown}")
    return v


def as_real_array(name: str, value: Any, *, allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as a float64 array of finite reals.

    Scalars become 0-d arrays. Booleans and strings are refused with TypeError;
    NaN, infinity and (unless ``allow_empty``) empty arrays with ValueError.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a real number or an array of them, got str {value!r}")
    try:
        arr = np.asarray(value)
    except ValueError as err:  # ragged nesting
        raise ValueError(f"{name} must be a rectangular array of real numbers, got a ragged "
                         f"sequence ({err})") from None
    if arr.dtype == object:
        raise TypeError(f"{name} must be a real number or an array of them, got {value!r}")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {arr.dtype}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got an array of shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].ravel()[0]
        raise ValueError(f"{name} must hold only finite values, got {float(bad)!r} among them")
    return arr


def check_weights(weights: Any, count: int, *, per: str = "item",
                  name: str = "weights") -> list[float]:
    """One finite weight >= 0 per ``per`` (item, state, vector), with a positive sum.

    Returns the weights as floats; one-element tensors and arrays count as numbers.
    ``name`` is the parameter named in messages.
    """
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__") or hasattr(
            weights, "keys"):
        raise TypeError(f"{name} must be a sequence of numbers, got {type(weights).__name__}")
    items = list(weights)
    if len(items) != count:
        raise ValueError(f"{name} must have one entry per {per}: got {len(items)} "
                         f"{name} for {count}")
    out = []
    for i, w in enumerate(items):
        if not isinstance(w, numbers.Real) and hasattr(w, "item"):
            try:
                w = w.item()  # a one-element tensor or array
            except (ValueError, RuntimeError):
                pass  # several elements: check_real reports the type
        out.append(check_real(f"{name}[{i}]", w, low=0.0, low_open=False))
    try:
        total = math.fsum(out)
    except OverflowError:
        raise ValueError(f"{name} must have a finite sum, got {out!r}") from None
    if total <= 0:
        raise ValueError(f"{name} must have a positive sum, got {out!r}")
    return out


def check_bool(name: str, value: Any) -> bool:
    """``value`` if it is True or False (numpy's bool too); anything else is a TypeError,
    so that ``optimized="no"`` does not silently mean True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)
