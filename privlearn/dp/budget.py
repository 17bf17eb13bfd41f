"""A privacy budget ledger under basic composition.

Each release spends (ε_i, δ_i); by basic composition (Dwork & Roth 2014, Theorem 3.16)
the total is (Σε_i, Σδ_i). The ledger refuses any spend that would take the total past
the budget, and a refused spend changes nothing.

Amounts are kept as exact fractions of the decimal numbers you write (0.1 is 1/10, not
the nearest double), so ten spends of 0.1 fill a budget of 1.0 exactly, neither
falling short nor overflowing by a rounding error.
"""

from __future__ import annotations

import numbers
from fractions import Fraction

import numpy as np

from .._validation import check_real

__all__ = ["BudgetExceededError", "PrivacyBudget"]


class BudgetExceededError(ValueError):
    """A spend would exceed the privacy budget; the budget is unchanged."""


def _exact(x) -> Fraction:
    """The shortest decimal that reads back as x in x's own precision (0.1 is 1/10,
    np.float32(0.1) too)."""
    if isinstance(x, numbers.Integral):
        return Fraction(int(x))
    if isinstance(x, np.floating):
        return Fraction(str(x))
    return Fraction(repr(float(x)))


class PrivacyBudget:
    """Total (ε, δ) that may be spent, and what has been spent so far.

    Parameters
    ----------
    epsilon : float
        Total ε > 0.
    delta : float
        Total δ in [0, 1); 0 for pure ε-DP.

    Examples
    --------
    >>> budget = PrivacyBudget(1.0)
    >>> for _ in range(10):
    ...     budget.spend(0.1)
    >>> budget.remaining
    (0.0, 0.0)
    """

    def __init__(self, epsilon: float, delta: float = 0.0) -> None:
        check_real("epsilon", epsilon, low=0.0)
        check_real("delta", delta, low=0.0, high=1.0, low_open=False)
        self._total = (_exact(epsilon), _exact(delta))
        self._spent = (Fraction(0), Fraction(0))
        self.ledger: list[tuple[float, float]] = []

    @property
    def total(self) -> tuple[float, float]:
        """The whole budget ``(epsilon, delta)``."""
        return float(self._total[0]), float(self._total[1])

    @property
    def spent(self) -> tuple[float, float]:
        """What has been spent, ``(epsilon, delta)``."""
        return float(self._spent[0]), float(self._spent[1])

    @property
    def remaining(self) -> tuple[float, float]:
        """What may still be spent, ``(epsilon, delta)``."""
        return (float(self._total[0] - self._spent[0]),
                float(self._total[1] - self._spent[1]))

    def spend(self, epsilon: float, delta: float = 0.0) -> None:
        """Record a release costing (ε, δ); refuse it if the budget would be exceeded.

        Raises
        ------
        BudgetExceededError
            If the spend does not fit. Nothing is recorded in that case.
        """
        check_real("epsilon", epsilon, low=0.0, low_open=False)
        check_real("delta", delta, low=0.0, high=1.0, low_open=False)
        eps, dlt = _exact(epsilon), _exact(delta)
        new_eps, new_delta = self._spent[0] + eps, self._spent[1] + dlt
        if new_eps > self._total[0] or new_delta > self._total[1]:
            rem_eps, rem_delta = self.remaining
            raise BudgetExceededError(
                f"spending (epsilon={float(eps)!r}, delta={float(dlt)!r}) would exceed the "
                f"budget: remaining is (epsilon={rem_eps!r}, delta={rem_delta!r}); "
                "lower epsilon or start a new PrivacyBudget"
            )
        self._spent = (new_eps, new_delta)
        self.ledger.append((float(eps), float(dlt)))

    def __repr__(self) -> str:
        e, d = self.total
        se, sd = self.spent
        return f"PrivacyBudget(epsilon={e!r}, delta={d!r}, spent=({se!r}, {sd!r}))"
