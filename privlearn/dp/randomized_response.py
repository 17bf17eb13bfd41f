"""Randomized response (Warner 1965), the oldest local-DP mechanism.

Each person reports their true bit with probability p = e^ε/(1+e^ε) and the flipped
bit otherwise. The likelihood ratio of any report under the two possible truths is
p/(1−p) = e^ε, so each report is ε-DP on its own (local DP; Dwork & Roth 2014,
Section 3.2; Kasiviswanathan et al. 2011).
"""

from __future__ import annotations

import math

import numpy as np

from .._random import RNGLike, as_generator
from .._validation import check_real

__all__ = ["estimate_proportion", "randomized_response", "truth_probability"]


def truth_probability(*, epsilon: float) -> float:
    """p = e^ε / (1 + e^ε): the chance a respondent tells the truth."""
    epsilon = check_real("epsilon", epsilon, low=0.0)
    return 1.0 / (1.0 + math.exp(-epsilon))


def _as_bits(name: str, bits) -> np.ndarray:
    if isinstance(bits, (str, bytes)):
        raise TypeError(f"{name} must be an array of 0/1 or booleans, got str {bits!r}")
    arr = np.asarray(bits)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got an array of shape {arr.shape}")
    if arr.dtype == object or arr.dtype.kind not in "biu":
        raise TypeError(f"{name} must be an array of 0/1 or booleans, got dtype {arr.dtype}")
    if arr.dtype.kind != "b" and not np.all((arr == 0) | (arr == 1)):
        bad = arr[(arr != 0) & (arr != 1)].ravel()[0].item()
        raise ValueError(f"{name} must hold only 0 and 1, got {bad!r} among them")
    return arr.astype(bool)


def randomized_response(bits, *, epsilon: float, rng: RNGLike = None) -> np.ndarray:
    """Report each bit truthfully with probability e^ε/(1+e^ε), flipped otherwise.

    Parameters
    ----------
    bits : array_like of bool or {0, 1}
        The respondents' true answers (one per person).
    epsilon : float
        ε > 0 of each report.
    rng : numpy.random.Generator, int or None
        Source of the coin flips.

    Returns
    -------
    numpy.ndarray of bool
        The noisy reports, same shape as ``bits``.
    """
    truth = _as_bits("bits", bits)
    p = truth_probability(epsilon=epsilon)
    gen = as_generator(rng)
    keep = gen.random(truth.shape) < p
    return np.where(keep, truth, ~truth)


def estimate_proportion(responses, *, epsilon: float) -> float:
    """Unbiased estimate of the true share of 1s from randomized responses.

    With truth probability p, a report is 1 with probability λ = pπ + (1−p)(1−π), so
    π̂ = (λ̂ − (1−p)) / (2p − 1) has E[π̂] = π. Its variance is
    λ(1−λ) / (m (2p−1)²) for m reports.

    The estimate is *not* clipped to [0, 1]: clipping would bias it. Clip for display
    if you must, after averaging.
    """
    reports = _as_bits("responses", responses)
    p = truth_probability(epsilon=epsilon)
    lam = float(np.mean(reports))
    gap = math.tanh(float(epsilon) / 2.0)  # 2p − 1, without the cancellation of 2p − 1
    if gap == 0.0:
        raise ValueError(f"epsilon must be large enough that 2p − 1 > 0 in float64, got "
                         f"epsilon={epsilon!r}: the responses carry no signal")
    return (lam - (1.0 - p)) / gap
