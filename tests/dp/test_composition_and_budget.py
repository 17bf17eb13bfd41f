"""Composition theorems and the budget ledger."""

import math

import pytest

from privlearn.dp import BudgetExceededError, PrivacyBudget, advanced_composition, basic_composition


def test_basic_composition_exact():
    assert basic_composition([0.5, 0.25, 0.25]) == (1.0, 0.0)
    assert basic_composition([0.1] * 10, [1e-6] * 10) == (1.0, pytest.approx(1e-5, rel=1e-15))


def test_advanced_composition_formula():
    # Dwork & Roth 2014, Theorem 3.20, evaluated by hand for ε = 0.1, k = 100, δ' = 1e-6
    eps, delta = advanced_composition(epsilon=0.1, delta=1e-8, k=100, delta_slack=1e-6)
    expected = math.sqrt(200 * math.log(1e6)) * 0.1 + 100 * 0.1 * (math.exp(0.1) - 1)
    assert eps == pytest.approx(expected, rel=1e-14)
    assert eps == pytest.approx(6.3082, abs=1e-4)
    assert delta == pytest.approx(100 * 1e-8 + 1e-6, rel=1e-14)


def test_advanced_beats_basic_only_for_many_releases():
    few = advanced_composition(epsilon=0.1, delta=0, k=10, delta_slack=1e-6)[0]
    many = advanced_composition(epsilon=0.1, delta=0, k=10_000, delta_slack=1e-6)[0]
    assert few > 10 * 0.1
    assert many < 10_000 * 0.1


@pytest.mark.parametrize("call, exc, words", [
    (lambda: basic_composition([]), ValueError, "epsilons"),
    (lambda: basic_composition([0.1, -0.1]), ValueError, "epsilons"),
    (lambda: basic_composition([[0.1]]), ValueError, "epsilons"),
    (lambda: basic_composition([0.1, 0.2], [1e-5]), ValueError, "deltas"),
    (lambda: basic_composition([0.1], [1.0]), ValueError, "deltas"),
    (lambda: basic_composition("0.1"), TypeError, "epsilons"),
    (lambda: advanced_composition(epsilon=0.1, delta=0, k=0, delta_slack=1e-6),
     ValueError, "k"),
    (lambda: advanced_composition(epsilon=0.1, delta=0, k=2.0, delta_slack=1e-6),
     TypeError, "k"),
    (lambda: advanced_composition(epsilon=0.1, delta=0, k=2, delta_slack=0.0),
     ValueError, "delta_slack"),
    (lambda: advanced_composition(epsilon=0.1, delta=1.0, k=2, delta_slack=1e-6),
     ValueError, "delta"),
    (lambda: advanced_composition(epsilon=-0.1, delta=0, k=2, delta_slack=1e-6),
     ValueError, "epsilon"),
])
def test_composition_rejects(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_budget_fills_exactly_with_decimal_amounts():
    budget = PrivacyBudget(1.0)
    for _ in range(10):
        budget.spend(0.1)
    assert budget.remaining == (0.0, 0.0)
    with pytest.raises(BudgetExceededError):
        budget.spend(1e-12)


def test_refused_spend_changes_nothing():
    budget = PrivacyBudget(1.0, delta=1e-5)
    budget.spend(0.6, 5e-6)
    before = (budget.spent, budget.remaining, list(budget.ledger))
    with pytest.raises(BudgetExceededError, match="lower epsilon or start a new PrivacyBudget"):
        budget.spend(0.5)
    with pytest.raises(BudgetExceededError, match="delta"):
        budget.spend(0.1, 6e-6)
    assert (budget.spent, budget.remaining, list(budget.ledger)) == before
    budget.spend(0.4, 5e-6)
    assert budget.remaining == (0.0, 0.0)


def test_budget_error_is_a_value_error_and_zero_spends_are_free():
    assert issubclass(BudgetExceededError, ValueError)
    budget = PrivacyBudget(0.5)
    budget.spend(0.0)
    assert budget.spent == (0.0, 0.0) and budget.total == (0.5, 0.0)


@pytest.mark.parametrize("call, exc, words", [
    (lambda: PrivacyBudget(0.0), ValueError, "epsilon"),
    (lambda: PrivacyBudget(float("inf")), ValueError, "epsilon"),
    (lambda: PrivacyBudget("1"), TypeError, "epsilon"),
    (lambda: PrivacyBudget(1.0, delta=1.0), ValueError, "delta"),
    (lambda: PrivacyBudget(1.0).spend(-0.1), ValueError, "epsilon"),
    (lambda: PrivacyBudget(1.0).spend(float("nan")), ValueError, "epsilon"),
    (lambda: PrivacyBudget(1.0).spend(0.1, delta=-1e-9), ValueError, "delta"),
])
def test_budget_rejects(call, exc, words):
    with pytest.raises(exc, match=words):
        call()
