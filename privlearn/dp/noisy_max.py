"""Report noisy max: which of many queries is largest, privately.

Add independent Laplace noise to every score and report only the index of the largest
noisy score (never the scores). For queries of sensitivity Δ that all move the same way
between neighbouring datasets (counts: adding a person raises some counts and lowers
none), Lap(Δ/ε) per score makes the index ε-DP (Dwork & Roth 2014, Claim 3.9, with
Δ = 1). For queries that may move in opposite directions, the proof needs noise twice
as wide, Lap(2Δ/ε): a neighbour can raise one score by Δ and lower another by Δ, a gap
of 2Δ, the same factor 2 as in the exponential mechanism's exp(ε·u / (2Δ)).

The cost does not grow with the number of queries: one ε for the index among any
number of scores, where releasing every noisy score would spend ε on each.
"""

from __future__ import annotations

import math

import numpy as np

from .._random import RNGLike, as_generator
from .._validation import as_real_array, check_bool
from .laplace import laplace_scale

__all__ = ["noisy_max_scale", "report_noisy_max"]


def noisy_max_scale(*, sensitivity: float, epsilon: float, monotonic: bool = False) -> float:
    """Laplace scale per score: Δ/ε for monotonic queries, 2Δ/ε otherwise.

    Parameters
    ----------
    sensitivity : float
        Δ > 0: the most one person changes any single score.
    epsilon : float
        ε > 0 for the reported index.
    monotonic : bool
        True when, between any two neighbouring datasets, all scores move in the same
        direction (counting queries); only then is the narrower noise private.

    References
    ----------
    Dwork & Roth (2014), Section 3.3, Claim 3.9 (monotonic counts).

    Examples
    --------
    >>> noisy_max_scale(sensitivity=1, epsilon=0.5, monotonic=True)
    2.0
    >>> noisy_max_scale(sensitivity=1, epsilon=0.5)
    4.0
    """
    monotonic = check_bool("monotonic", monotonic)
    scale = laplace_scale(sensitivity=sensitivity, epsilon=epsilon)
    if not monotonic:
        scale *= 2.0
    if not math.isfinite(scale):
        raise ValueError(f"2·sensitivity / epsilon overflows float64, got sensitivity="
                         f"{sensitivity!r}, epsilon={epsilon!r}")
    return scale


def report_noisy_max(scores, *, sensitivity: float, epsilon: float, monotonic: bool = False,
                     rng: RNGLike = None) -> int:
    """Index of the largest score after Laplace noise of :func:`noisy_max_scale`.

    Parameters
    ----------
    scores : array_like, 1-D
        Each query's exact answer on the private data (at least one, finite).
    sensitivity, epsilon, monotonic
        See :func:`noisy_max_scale`.
    rng : numpy.random.Generator, int or None
        Source of the noise.

    Returns
    -------
    int
        The index; the noisy scores themselves are not released.
    """
    s = as_real_array("scores", scores)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"scores must be one-dimensional and non-empty, got shape {s.shape}")
    scale = noisy_max_scale(sensitivity=sensitivity, epsilon=epsilon, monotonic=monotonic)
    gen = as_generator(rng)
    return int(np.argmax(s + gen.laplace(0.0, scale, size=s.size)))
