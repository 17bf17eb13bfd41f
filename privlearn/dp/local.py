"""Local DP for many-valued answers: unary encoding (RAPPOR's basic form, and OUE).

Randomized response (:mod:`.randomized_response`) handles one bit. For a value v among k
categories (the hour a washing machine usually runs), unary encoding sends a k-bit vector:
bit v is reported as 1 with probability p, every other bit as 1 with probability q, all
independently. Two inputs differ in two bits, so the report is ε-DP exactly when
p(1 − q) / ((1 − p)q) <= e^ε (Wang, Blocki, Li & Jha 2017, "Locally differentially private
protocols for frequency estimation", USENIX Security, Section 4.3):

* symmetric (RAPPOR's one-time response, Erlingsson, Pihur & Korolova 2014):
  p = e^{ε/2}/(e^{ε/2} + 1), q = 1 − p;
* optimised (OUE, Wang et al. 2017): p = 1/2, q = 1/(e^ε + 1), which minimises the
  estimator's variance.

The aggregator estimates each category's count without bias as
ĉ_v = (Σ_i report_i[v] − n·q) / (p − q).
"""

from __future__ import annotations

import math

import numpy as np

from .._random import RNGLike, as_generator
from .._validation import check_bool, check_int, check_real

__all__ = ["estimate_frequencies", "unary_encoding", "unary_probabilities"]


def unary_probabilities(*, epsilon: float, optimized: bool = True) -> tuple[float, float]:
    """(p, q): the chance a report's bit is 1 when it is / is not the true category."""
    eps = check_real("epsilon", epsilon, low=0.0)
    if check_bool("optimized", optimized):
        # 1/(e^ε + 1); past ε = 700 e^ε overflows, and 1/(e^ε + 1) = e^-ε to double precision
        return 0.5, (1.0 / (math.exp(eps) + 1.0) if eps < 700 else math.exp(-eps))
    p = 1.0 / (1.0 + math.exp(-eps / 2.0))
    return p, 1.0 - p


def unary_encoding(values, *, num_categories: int, epsilon: float, optimized: bool = True,
                   rng: RNGLike = None) -> np.ndarray:
    """Each person's category as a randomised k-bit report (rows of a bool array).

    Parameters
    ----------
    values : array_like of int, 1-D
        True categories in 0..num_categories-1, one per person.
    num_categories : int
        k >= 2.
    epsilon : float
        ε > 0 of each report.
    optimized : bool
        OUE (default) or symmetric unary encoding.
    rng : numpy.random.Generator, int or None
    """
    k = check_int("num_categories", num_categories, low=2)
    if values is None or isinstance(values, (str, bytes)):
        raise TypeError(f"values must be a 1-D array of integer categories, got "
                        f"{type(values).__name__} {values!r}")
    v = np.asarray(values)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"values must be a non-empty 1-D array, got shape {v.shape}")
    if v.dtype.kind not in "iu":
        raise TypeError(f"values must be integer categories, got dtype {v.dtype}")
    if v.min() < 0 or v.max() >= k:
        raise ValueError(f"values must lie in 0..{k - 1}, got {int(v.min())}..{int(v.max())}")
    p, q = unary_probabilities(epsilon=epsilon, optimized=optimized)
    gen = as_generator(rng)
    onehot = np.zeros((v.size, k), dtype=bool)
    onehot[np.arange(v.size), v] = True
    u = gen.random((v.size, k))
    return np.where(onehot, u < p, u < q)


def estimate_frequencies(reports, *, epsilon: float, optimized: bool = True) -> np.ndarray:
    """Unbiased estimate of each category's share from unary-encoded reports.

    Not clipped to [0, 1] and not renormalised: both would bias it.
    """
    r = np.asarray(reports)
    if r.dtype != bool:
        raise TypeError(f"reports must be a boolean array (people x categories), as "
                        f"unary_encoding returns, got dtype {r.dtype}")
    if r.ndim != 2 or r.shape[0] == 0:
        raise ValueError(f"reports must be a non-empty 2-D boolean array (people x "
                         f"categories), got shape {r.shape}")
    p, q = unary_probabilities(epsilon=epsilon, optimized=optimized)
    if not p - q > 0:
        raise ValueError(f"epsilon must be large enough that p − q > 0 in float64, got "
                         f"epsilon={epsilon!r} (p = q = {p!r}): the reports carry no signal")
    return (r.mean(axis=0) - q) / (p - q)
