"""The PLD accountant against Google's dp_accounting (the ``crosscheck`` extra).

Both build each step's PLD by connect-the-dots on the same grid (spacing 1e-4,
pessimistic) and compose by FFT, so they should agree far inside the 1e-3 the issue asks:
what differs is where each cuts the tails, and rounding. .ci/run installs the extra and
sets PRIVLEARN_REQUIRE_CROSSCHECK=1, so that a broken install fails here instead of
skipping.
"""

import os

import pytest

if os.environ.get("PRIVLEARN_REQUIRE_CROSSCHECK") != "1":
    pytest.importorskip("dp_accounting", reason="the crosscheck extra is not installed")

from dp_accounting import dp_event
from dp_accounting.pld import pld_privacy_accountant

from privlearn.dp import PLDAccountant

H = 1e-4

# (q, σ, steps, δ): sampling rates from full batch to 1/1000, noise from below 1 (large ε)
# to 2, one step to 10^4 steps, δ from 1e-3 to 1e-9
GRID = [
    (1.0, 0.7, 1, 1e-5),
    (1.0, 2.0, 50, 1e-9),
    (0.3, 1.0, 20, 1e-3),
    (0.1, 0.8, 100, 1e-5),
    (0.1, 2.0, 1000, 1e-7),
    (0.01, 0.6, 1000, 1e-5),
    (0.01, 1.0, 10_000, 1e-9),
    (256 / 60000, 1.12, 14_063, 1e-5),   # TF Privacy's MNIST tutorial
    (240 / 60000, 1.3, 3_750, 1e-5),     # Opacus's MNIST example
    (0.001, 1.5, 10_000, 1e-6),
]


def reference(history, delta=None, epsilon=None):
    acc = pld_privacy_accountant.PLDAccountant(value_discretization_interval=H)
    for sigma, q, steps in history:
        acc.compose(dp_event.PoissonSampledDpEvent(q, dp_event.GaussianDpEvent(sigma)), steps)
    return acc.get_epsilon(delta) if epsilon is None else acc.get_delta(epsilon)


def ours(history, delta=None, epsilon=None):
    acc = PLDAccountant(value_discretization_interval=H)
    for sigma, q, steps in history:
        acc.step(noise_multiplier=sigma, sample_rate=q, steps=steps)
    return acc.get_epsilon(delta) if epsilon is None else acc.get_delta(epsilon)


@pytest.mark.parametrize("q, sigma, steps, delta", GRID)
def test_epsilon_agrees_with_dp_accounting(q, sigma, steps, delta):
    history = [(sigma, q, steps)]
    got, want = ours(history, delta=delta), reference(history, delta=delta)
    assert got == pytest.approx(want, rel=1e-3)
    # Both are upper bounds built on one grid: ours may sit below theirs only by what
    # their different tail cuts and rounding allow, far less than one grid step.
    assert got >= want - H
    if delta >= 1e-7:  # measured: 3e-8 at most on this grid
        assert got == pytest.approx(want, rel=1e-6)
    # At δ = 1e-9 after 10^4 steps both sit on FFT round-off: ours is 1.1e-4 above the
    # value a long-double FFT gives, dp_accounting's 1.3e-4 below it (2.7e-5 relative).


@pytest.mark.parametrize("q, sigma, steps, delta", GRID[::3])
def test_delta_agrees_with_dp_accounting(q, sigma, steps, delta):
    history = [(sigma, q, steps)]
    epsilon = reference(history, delta=delta)
    assert ours(history, epsilon=epsilon) == pytest.approx(
        reference(history, epsilon=epsilon), rel=1e-4)


def test_mixed_settings_agree_with_dp_accounting():
    history = [(1.0, 0.02, 300), (2.0, 0.1, 100), (0.9, 0.005, 2000)]
    assert ours(history, delta=1e-6) == pytest.approx(reference(history, delta=1e-6),
                                                      rel=1e-6)
