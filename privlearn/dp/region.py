"""The privacy region: what (ε, δ)-DP allows any test of "is this person in?".

Applying the definition to a test's acceptance region and to its complement, in both
directions, gives TPR <= e^ε·FPR + δ and 1 − FPR <= e^ε·(1 − TPR) + δ for every test, and a
mechanism whose tests all satisfy both is (ε, δ)-DP (Kairouz, Oh & Viswanath 2015, "The
composition theorem for differential privacy", ICML, Theorem 2.1; Wasserman & Zhou 2010).

Here rather than in :mod:`privlearn.attacks` (which re-exports it) so that code about DP
alone, an exercise checker say, need not import the attacks' torch.
"""

from __future__ import annotations

import math

from .._validation import check_probability, check_real

__all__ = ["dp_tpr_bound"]


def dp_tpr_bound(fpr: float, epsilon: float, delta: float = 0.0) -> float:
    """The most TPR any membership test reaches at false-positive rate ``fpr`` against an
    (ε, δ)-DP model: min(1, e^ε·FPR + δ, 1 − e^(−ε)·(1 − δ − FPR)).

    Both terms are the edges of the privacy region (Kairouz, Oh & Viswanath 2015,
    Theorem 2.1); at the low FPRs that matter for identifying individuals the first one
    binds, so a DP model at ε = 1 lets no attack flag more than 2.7 % of members at 1 % FPR.
    """
    f = check_probability("fpr", fpr, closed=True)
    eps = check_real("epsilon", epsilon, low=0.0, low_open=False)
    d = check_probability("delta", delta, closed=True)
    if eps > 700:  # e^ε overflows: the first term is δ at FPR 0 and above 1 otherwise
        return d if f == 0 else 1.0
    return float(min(1.0, math.exp(eps) * f + d, 1.0 - math.exp(-eps) * (1.0 - d - f)))
