"""An empirical check of a DP claim: a lower bound on ε from a mechanism's outputs.

Run a mechanism many times on two neighbouring datasets D and D' and count each output.
ε-DP says P[M(D) = o] ≤ e^ε · P[M(D') = o] for every output o, both ways. From the
counts, Clopper-Pearson intervals bound each probability; with all intervals holding at
once (Bonferroni over every output and both directions), the true ε is at least

    max over o of  log( lower bound of P[M(D) = o] / upper bound of P[M(D') = o] ),

and the same with D and D' swapped. If that exceeds the claimed ε, the claim is false,
with the stated confidence: a false alarm has probability at most 1 − confidence. The
union bound counts every output the mechanism can produce: say how many with
``outputs_possible`` (the sparse vector technique over n queries with c = 1 has n + 1);
by default the number observed, which is right only when every possible output occurs
in the samples. For mechanisms with many outputs, choose the events on a separate run,
as StatDP does. The check is for pure ε: a bound above ε does not refute an (ε, δ)
claim. The idea is StatDP's (Ding, Wang, Wang,
Zhang & Kifer 2018, "Detecting Violations of Differential Privacy") in its simplest
form: single outputs as events, for mechanisms whose outputs are discrete.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from scipy import stats

from .._validation import check_int, check_real

__all__ = ["EpsilonLowerBound", "epsilon_lower_bound"]


@dataclass(frozen=True)
class EpsilonLowerBound:
    """The result of :func:`epsilon_lower_bound`.

    Attributes
    ----------
    epsilon : float
        A lower bound on the mechanism's ε at the stated confidence (0 when the counts
        show nothing; ``inf`` cannot occur: an upper bound is never 0).
    output : object
        The output whose probability ratio gives the bound.
    direction : str
        ``"D/D'"`` or ``"D'/D"``: which probability is the numerator.
    confidence : float
        Probability that every interval used holds, hence that ε is at least the bound.
    """

    epsilon: float
    output: Hashable
    direction: str
    confidence: float


def _counts(name: str, outputs) -> Counter:
    if isinstance(outputs, (str, bytes)) or not isinstance(outputs, Sequence):
        raise TypeError(f"{name} must be a list of the mechanism's outputs, got "
                        f"{type(outputs).__name__}")
    if not outputs:
        raise ValueError(f"{name} must hold at least one output, got none")
    try:
        return Counter(outputs)
    except TypeError as err:
        raise TypeError(f"{name} must hold hashable outputs (tuples, not lists): {err}") from None


def epsilon_lower_bound(outputs, outputs_neighbour, *, confidence: float = 0.95,
                        outputs_possible: int | None = None) -> EpsilonLowerBound:
    """A lower bound on ε from outputs of a mechanism on D and on a neighbour D'.

    Parameters
    ----------
    outputs, outputs_neighbour : list
        Independent outputs of M(D) and of M(D'), each hashable (a list of booleans is
        not: pass tuples).
    confidence : float
        In (0, 1): the probability that the bound is below the true ε.
    outputs_possible : int, optional
        How many different outputs the mechanism can produce (the Bonferroni count);
        by default the number observed in the two samples together.

    Returns
    -------
    EpsilonLowerBound

    References
    ----------
    Ding, Wang, Wang, Zhang & Kifer (2018), CCS; Clopper & Pearson (1934).
    """
    confidence = check_real("confidence", confidence, low=0.0, high=1.0)
    ours, theirs = _counts("outputs", outputs), _counts("outputs_neighbour", outputs_neighbour)
    n, m = sum(ours.values()), sum(theirs.values())
    events = set(ours) | set(theirs)
    count = len(events)
    if outputs_possible is not None:
        count = check_int("outputs_possible", outputs_possible, low=1)
        if len(events) > count:
            raise ValueError(f"outputs_possible={count}, but the samples hold {len(events)} "
                             "different outputs")
    # four one-sided intervals per output (a lower and an upper bound on each side):
    # Bonferroni makes them hold together with probability >= confidence
    alpha = (1.0 - confidence) / (4 * count)
    best = EpsilonLowerBound(0.0, None, "D/D'", confidence)
    for o in events:
        for direction, (k1, n1), (k2, n2) in (("D/D'", (ours[o], n), (theirs[o], m)),
                                              ("D'/D", (theirs[o], m), (ours[o], n))):
            if k1 == 0:
                continue
            low = stats.beta.ppf(alpha, k1, n1 - k1 + 1)
            high = 1.0 if k2 == n2 else stats.beta.ppf(1 - alpha, k2 + 1, n2 - k2)
            bound = math.log(low / high)
            if bound > best.epsilon:
                best = EpsilonLowerBound(bound, o, direction, confidence)
    return best
