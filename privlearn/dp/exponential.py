"""The exponential mechanism (McSherry & Talwar 2007).

To choose among outcomes r with a utility u(D, r) of sensitivity Δu, pick r with
probability proportional to exp(ε·u(D, r) / (2Δu)); that choice is ε-DP
(Dwork & Roth 2014, Definition 3.4 and Theorem 3.10).
"""

from __future__ import annotations

import numpy as np

from .._random import RNGLike, as_generator
from .._validation import as_real_array, check_real

__all__ = ["exponential_mechanism", "exponential_probabilities"]


def exponential_probabilities(scores, *, sensitivity: float, epsilon: float) -> np.ndarray:
    """Probability of each outcome: exp(ε·s_r / (2Δ)) / Σ_r' exp(ε·s_r' / (2Δ)).

    Parameters
    ----------
    scores : array_like, 1-D
        Utility of each outcome on the private data; higher is better.
    sensitivity : float
        Sensitivity Δu > 0 of the utility (the most one person changes any score).
    epsilon : float
        ε > 0.

    Returns
    -------
    numpy.ndarray
        Probabilities summing to 1, computed stably (the maximum score is
        subtracted before exponentiating, which does not change the ratios).
    """
    s = as_real_array("scores", scores)
    if s.ndim != 1:
        raise ValueError(f"scores must be one-dimensional, got shape {s.shape}")
    sensitivity = check_real("sensitivity", sensitivity, low=0.0)
    epsilon = check_real("epsilon", epsilon, low=0.0)
    logits = epsilon * (s - s.max()) / (2.0 * sensitivity)
    w = np.exp(logits)
    return w / w.sum()


def exponential_mechanism(
    scores, *, sensitivity: float, epsilon: float, rng: RNGLike = None
) -> int:
    """Index of the chosen outcome, drawn from :func:`exponential_probabilities`."""
    probs = exponential_probabilities(scores, sensitivity=sensitivity, epsilon=epsilon)
    gen = as_generator(rng)
    return int(gen.choice(probs.size, p=probs))
