"""Composition theorems for (ε, δ)-DP.

* Basic composition (Dwork & Roth 2014, Theorem 3.16): running mechanisms that are
  (ε_i, δ_i)-DP on the same data is (Σε_i, Σδ_i)-DP.
* Advanced composition (Dwork, Rothblum & Vadhan 2010, "Boosting and differential
  privacy", FOCS; Dwork & Roth 2014, Theorem 3.20): k adaptive (ε, δ)-DP mechanisms are
  (ε', kδ + δ')-DP for every δ' > 0, with ε' = √(2k ln(1/δ'))·ε + k·ε(e^ε − 1).
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import as_real_array, check_int, check_probability, check_real

__all__ = ["advanced_composition", "basic_composition"]


def basic_composition(epsilons, deltas=None) -> tuple[float, float]:
    """(Σ ε_i, Σ δ_i) for a sequence of releases (Dwork & Roth 2014, Thm 3.16).

    Parameters
    ----------
    epsilons : array_like, 1-D
        ε_i >= 0 of each release (a release with ε_i = 0 costs nothing).
    deltas : array_like, 1-D, optional
        δ_i in [0, 1) of each release, same length; zeros when omitted.

    Returns
    -------
    (float, float)
        The composed (ε, δ). δ is capped by nothing: a sum >= 1 is reported as it is,
        and means no guarantee at all.

    Examples
    --------
    >>> basic_composition([0.5, 0.25, 0.25])
    (1.0, 0.0)
    """
    eps = as_real_array("epsilons", epsilons)
    if eps.ndim != 1:
        raise ValueError(f"epsilons must be one-dimensional, got shape {eps.shape}")
    if np.any(eps < 0):
        raise ValueError(f"epsilons must all be >= 0, got {eps[eps < 0][0]!r} among them")
    if deltas is None:
        dels = np.zeros_like(eps)
    else:
        dels = as_real_array("deltas", deltas)
        if dels.shape != eps.shape:
            raise ValueError(f"deltas must have the same length as epsilons, got "
                             f"{dels.shape[0] if dels.ndim == 1 else dels.shape} "
                             f"and {eps.shape[0]}")
        if np.any((dels < 0) | (dels >= 1)):
            bad = dels[(dels < 0) | (dels >= 1)][0]
            raise ValueError(f"deltas must all be in [0, 1), got {bad!r} among them")
    try:
        return math.fsum(eps.tolist()), math.fsum(dels.tolist())
    except OverflowError:
        raise ValueError("the sum of epsilons overflows float64: each is finite, their total "
                         f"is not (largest {float(eps.max())!r})") from None


def advanced_composition(
    *, epsilon: float, delta: float, k: int, delta_slack: float
) -> tuple[float, float]:
    """(ε', kδ + δ') for k adaptive uses of an (ε, δ)-DP mechanism (DRV 2010).

    Parameters
    ----------
    epsilon : float
        ε > 0 of each use.
    delta : float
        δ in [0, 1) of each use.
    k : int
        Number of uses, >= 1.
    delta_slack : float
        δ' in (0, 1), the extra failure probability the theorem spends.

    Returns
    -------
    (float, float)
        ε' = √(2k ln(1/δ'))·ε + k·ε(e^ε − 1) and kδ + δ'. For small k or large ε this
        can exceed the basic kε; take the minimum of the two if you only need a bound.

    References
    ----------
    Dwork, Rothblum & Vadhan (2010); Dwork & Roth (2014), Theorem 3.20.
    """
    epsilon = check_real("epsilon", epsilon, low=0.0)
    delta = check_real("delta", delta, low=0.0, high=1.0, low_open=False)
    k = check_int("k", k, low=1)
    delta_slack = check_probability("delta_slack", delta_slack)
    try:  # ln(1/δ') as −ln δ': finite for the smallest subnormal δ'
        eps_total = (math.sqrt(2.0 * k * -math.log(delta_slack)) * epsilon
                     + k * epsilon * math.expm1(epsilon))
    except OverflowError:
        eps_total = math.inf
    if not math.isfinite(eps_total):
        raise ValueError(f"the composed epsilon overflows float64 for epsilon={epsilon!r}, "
                         f"k={k}: use basic_composition, or fewer or cheaper releases")
    return eps_total, k * delta + delta_slack
