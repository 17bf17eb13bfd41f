"""Differencing: two innocent aggregate queries that differ by one person.

"What is the total salary of the department?" and "... of the department except the
newest hire?" are each harmless aggregates; their difference is the newest hire's
salary (Dwork & Roth 2014, Section 1.1, on why aggregation alone does not protect). With
each answer released through the Laplace mechanism the difference is that salary plus
the difference of two Laplace noises, of standard deviation 2·Δ/ε.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._random import RNGLike, as_generator
from .._validation import as_real_array, check_int, check_real
from ..dp import laplace_mechanism

__all__ = ["DifferencingResult", "differencing_attack"]


@dataclass(frozen=True)
class DifferencingResult:
    true_value: float
    inferred_value: float
    answers: tuple[float, float]     # the two released sums

    @property
    def error(self) -> float:
        return abs(self.inferred_value - self.true_value)


def differencing_attack(values, *, target: int, bound: float, epsilon: float | None = None,
                        rng: RNGLike = None) -> DifferencingResult:
    """Infer ``values[target]`` from sum(all) − sum(all but target).

    Parameters
    ----------
    values : array_like, 1-D
        Everyone's private value (clipped to [0, bound] by the query).
    target : int
        Index of the person the attacker singles out.
    bound : float
        The query's clipping bound; the sensitivity of each sum.
    epsilon : float, optional
        If given, each sum is released with Laplace noise of scale bound/ε (two releases:
        2ε in all by basic composition). If None, the sums are exact.
    rng : numpy.random.Generator, int or None
        Source of the noise.
    """
    x = as_real_array("values", values)
    if x.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {x.shape}")
    target = check_int("target", target, low=0, high=x.size - 1)
    bound = check_real("bound", bound, low=0.0)
    gen = as_generator(rng)  # checked even when the sums are exact
    clipped = np.clip(x, 0.0, bound)
    with np.errstate(over="ignore"):
        total = float(clipped.sum())
    if not np.isfinite(total):
        raise ValueError(f"the sum of values clipped to bound={bound!r} overflows float64: "
                         "lower bound or rescale values")
    rest = float(clipped.sum() - clipped[target])
    if epsilon is not None:
        total = laplace_mechanism(total, sensitivity=bound, epsilon=epsilon, rng=gen)
        rest = laplace_mechanism(rest, sensitivity=bound, epsilon=epsilon, rng=gen)
    return DifferencingResult(float(clipped[target]), total - rest, (total, rest))
