"""The sparse vector technique: which queries pass a threshold, paying only for those.

A stream of queries, most of them expected below a threshold T: the sparse vector
technique answers "above" or "below" for each, and its ε covers the first c "above"
answers however many "below" answers come before them. This is Lyu, Su & Li's
Algorithm 1 (2017), with AboveThreshold (Dwork & Roth 2014, Algorithm 1) as its c = 1
case:

1. ε₁ = ε/2, ε₂ = ε/2; draw one threshold noise ρ ~ Lap(Δ/ε₁);
2. for each query answer a_i, draw ν_i ~ Lap(2cΔ/ε₂) (Lap(cΔ/ε₂) for monotonic
   queries) and answer "above" if a_i + ν_i ≥ T + ρ, else "below";
3. stop after the c-th "above".

Every part is needed: published variants that release the noisy answers, add no noise
(or too little) to the queries, or never stop are not ε-DP for the ε they claim (Lyu,
Su & Li 2017, Section 4 and Table 1).
"""

from __future__ import annotations

import math

import numpy as np

from .._random import RNGLike, as_generator
from .._validation import as_real_array, check_bool, check_int, check_real

__all__ = ["insecure_sparse_vector_without_query_noise", "sparse_vector",
           "sparse_vector_scales"]


def sparse_vector_scales(*, sensitivity: float, epsilon: float, c: int = 1,
                         monotonic: bool = False) -> tuple[float, float]:
    """Laplace scales (threshold, each query) of :func:`sparse_vector`: Δ/ε₁ and 2cΔ/ε₂
    (cΔ/ε₂ for monotonic queries), with ε₁ = ε₂ = ε/2.

    References
    ----------
    Lyu, Su & Li (2017), "Understanding the Sparse Vector Technique for Differential
    Privacy", PVLDB 10(6), Section 3, Algorithm 1; Dwork & Roth (2014), Algorithm 1.

    Examples
    --------
    >>> sparse_vector_scales(sensitivity=1, epsilon=1.0)  # AboveThreshold: Lap(2/ε), Lap(4/ε)
    (2.0, 4.0)
    """
    c = check_int("c", c, low=1)
    monotonic = check_bool("monotonic", monotonic)
    sensitivity = check_real("sensitivity", sensitivity, low=0.0)
    epsilon = check_real("epsilon", epsilon, low=0.0)
    rho = 2.0 * sensitivity / epsilon  # Δ/ε₁ with ε₁ = ε/2
    try:
        nu = (1.0 if monotonic else 2.0) * c * rho
    except OverflowError:  # a c beyond float64's range
        nu = math.inf
    if not math.isfinite(nu):
        raise ValueError(f"the query noise's scale {'' if monotonic else '2·'}c·Δ/(ε/2) "
                         f"overflows float64, got sensitivity={sensitivity!r}, "
                         f"epsilon={epsilon!r}, c={c!r}")
    return rho, nu


def _answers(answers) -> np.ndarray:
    a = as_real_array("answers", answers)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"answers must be one-dimensional and non-empty, got shape {a.shape}")
    return a


def _until_c_th_above(above: np.ndarray, c: int) -> list[bool]:
    """The answers up to and including the c-th "above" (all of them if fewer)."""
    hits = np.flatnonzero(above)
    end = above.size if hits.size < c else int(hits[c - 1]) + 1
    return above[:end].tolist()


def sparse_vector(answers, *, threshold: float, sensitivity: float, epsilon: float, c: int = 1,
                  monotonic: bool = False, rng: RNGLike = None) -> list[bool]:
    """Above (True) or below (False) for each query answer, until the c-th above.

    Parameters
    ----------
    answers : array_like, 1-D
        The queries' exact answers on the private data, in the order they are asked.
    threshold : float
        T, public.
    sensitivity : float
        Δ > 0: the most one person changes any single answer.
    epsilon : float
        ε > 0 for everything returned.
    c : int
        How many "above" answers before the algorithm stops.
    monotonic : bool
        True when all answers move in the same direction between neighbouring datasets
        (counts); only then is the narrower query noise private.
    rng : numpy.random.Generator, int or None
        Source of the noise.

    Returns
    -------
    list of bool
        One entry per query answered: all of them if fewer than c are above, else up to
        and including the c-th above. The noisy values are not released.
    """
    a, threshold = _answers(answers), check_real("threshold", threshold)
    rho_scale, nu_scale = sparse_vector_scales(sensitivity=sensitivity, epsilon=epsilon, c=c,
                                               monotonic=monotonic)
    gen = as_generator(rng)
    rho = gen.laplace(0.0, rho_scale)
    above = a + gen.laplace(0.0, nu_scale, size=a.size) >= threshold + rho
    return _until_c_th_above(above, c)


def insecure_sparse_vector_without_query_noise(answers, *, threshold: float,
                                               sensitivity: float, epsilon: float,
                                               c: int = 1, rng: RNGLike = None) -> list[bool]:
    """NOT PRIVATE, for the course to break: :func:`sparse_vector` with the threshold
    noise only, as in a published variant (Stoddard, Chen & Machanavajjhala 2014, which
    also never stops; the cutoff after c "above" answers is added here). Lyu, Su & Li
    2017 (their Algorithm 5) show it is not ε'-DP for any ε'.

    Without noise on the queries, the output "below, then above" on answers (0, 1) with
    threshold 0.5 needs 0 < T + ρ ≤ 1, which has positive probability; on the neighbour
    (1, 0) it needs 1 < T + ρ ≤ 0, which is impossible: an infinite ratio.
    :func:`privlearn.attacks.epsilon_lower_bound` finds it from samples.
    """
    a, threshold = _answers(answers), check_real("threshold", threshold)
    rho_scale, _ = sparse_vector_scales(sensitivity=sensitivity, epsilon=epsilon, c=c)
    rho = as_generator(rng).laplace(0.0, rho_scale)
    above = a >= threshold + rho
    return _until_c_th_above(above, c)
