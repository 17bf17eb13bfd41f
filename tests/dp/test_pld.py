"""Privacy loss distributions and the PLD accountant, against exact curves and RDP.

The cross-check against Google's dp_accounting is tests/dp/test_pld_dp_accounting.py.
"""

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from privlearn.dp import (
    PLDAccountant,
    PrivacyLossDistribution,
    RDPAccountant,
    gaussian_delta,
    subsampled_gaussian_pld,
)

H = 1e-4  # the default grid spacing


def exact_gaussian_epsilon(sigma: float, delta: float) -> float:
    """ε of one Gaussian release with noise σ (sensitivity 1), from Balle & Wang's exact δ."""
    return optimize.brentq(lambda e: gaussian_delta(sigma=sigma, sensitivity=1, epsilon=e)
                           - delta, 0.0, 200.0, xtol=1e-13, rtol=1e-13)


def integrated_delta(epsilon: float, sigma: float, q: float, direction: str) -> float:
    """δ(ε) = ∫ (P(x) − e^ε Q(x))_+ dx by quadrature, split where the integrand's kink is."""
    mixture = lambda x: (1 - q) * stats.norm.pdf(x, 0, sigma) + q * stats.norm.pdf(x, 1, sigma)  # noqa: E731
    plain = lambda x: stats.norm.pdf(x, 0, sigma)  # noqa: E731
    p, r = (mixture, plain) if direction == "remove" else (plain, mixture)

    def integrand(x):
        return max(p(x) - math.exp(epsilon) * r(x), 0.0)

    kink = optimize.brentq(lambda x: p(x) - math.exp(epsilon) * r(x), -60, 60) \
        if (p(-60) - math.exp(epsilon) * r(-60)) * (p(60) - math.exp(epsilon) * r(60)) < 0 \
        else 0.5
    lo, hi = -12 * sigma - 1, 12 * sigma + 2
    parts = [integrate.quad(integrand, a, b, epsabs=1e-15, epsrel=1e-11, limit=200)[0]
             for a, b in ((lo, kink), (kink, hi))]
    return sum(parts)


# --- one step ---------------------------------------------------------------------------

@pytest.mark.parametrize("sigma", [0.5, 1.0, 3.0])
def test_one_gaussian_step_hits_the_exact_curve_at_grid_points(sigma):
    """Connect the dots: δ equals the true δ at grid losses and lies above it between."""
    pld = subsampled_gaussian_pld(noise_multiplier=sigma, sample_rate=1.0)
    on_grid = np.round(np.array([0.0, 0.3, 1.0, 2.5]) / sigma / H) * H
    exact = [gaussian_delta(sigma=sigma, sensitivity=1, epsilon=e) for e in on_grid]
    np.testing.assert_allclose(pld.delta(on_grid), exact, rtol=1e-9)
    between = on_grid + H / 2
    exact = np.array([gaussian_delta(sigma=sigma, sensitivity=1, epsilon=e) for e in between])
    got = pld.delta(between)
    assert np.all(got >= exact * (1 - 1e-12))
    assert np.all(got <= exact * (1 + 1e-3))  # half a step of 1e-4 moves δ very little


@pytest.mark.parametrize("direction", ["remove", "add"])
@pytest.mark.parametrize("sigma, q", [(1.0, 0.01), (0.8, 0.3), (2.0, 0.9)])
def test_subsampled_step_matches_numerical_integration(sigma, q, direction):
    """The closed forms q·δ_G(·) and (1 − e^ε(1 − q))·δ_G(·) against the integral itself."""
    pld = subsampled_gaussian_pld(noise_multiplier=sigma, sample_rate=q, direction=direction)
    for epsilon in (0.0, 0.05, 0.2, 1.0):
        if direction == "add" and epsilon >= -math.log1p(-q):
            assert pld.delta(epsilon) == pytest.approx(0.0, abs=1e-12)
            continue
        grid_eps = round(epsilon / H) * H  # where the PLD's δ is the true one
        want = integrated_delta(grid_eps, sigma, q, direction)
        assert want > 1e-12  # not a comparison of zeros
        assert pld.delta(grid_eps) == pytest.approx(want, rel=1e-7)


@pytest.mark.parametrize("sigma", [0.4, 1.0, 3.0])
@pytest.mark.parametrize("q", [1.0, 0.5, 0.01, 1e-5])
@pytest.mark.parametrize("direction", ["remove", "add"])
def test_one_step_is_a_distribution(sigma, q, direction):
    """Masses are >= 0 and add up to 1 up to rounding: the masses are second differences
    of the δ curve over h, so its rounding shows; measured between −2.3e-12 and +2.3e-9
    on this grid (negative noise is clipped to 0, which adds mass)."""
    pld = subsampled_gaussian_pld(noise_multiplier=sigma, sample_rate=q, direction=direction)
    assert np.all(pld.probs >= 0)
    total = pld.probs.sum() + pld.infinity_mass
    assert 1 - 1e-11 <= total <= 1 + 1e-8


def test_remove_and_add_coincide_without_subsampling():
    remove = subsampled_gaussian_pld(noise_multiplier=1.3, sample_rate=1.0, direction="remove")
    add = subsampled_gaussian_pld(noise_multiplier=1.3, sample_rate=1.0, direction="add")
    eps = np.linspace(0, 4, 9)
    np.testing.assert_allclose(remove.delta(eps), add.delta(eps), rtol=1e-9)


# --- composition ------------------------------------------------------------------------

@pytest.mark.parametrize("sigma, steps", [(1.0, 1), (0.8, 10), (2.0, 100), (5.0, 1000)])
@pytest.mark.parametrize("delta", [1e-5, 1e-8])
def test_composed_gaussian_is_pessimistic_and_tight(sigma, steps, delta):
    """T Gaussian releases with noise σ are one release with noise σ/√T: exact ε known.

    The PLD's ε is never below it (pessimistic) and above it by less than 1e-3 relative.
    """
    pld = subsampled_gaussian_pld(noise_multiplier=sigma, sample_rate=1.0).self_compose(steps)
    exact = exact_gaussian_epsilon(sigma / math.sqrt(steps), delta)
    got = pld.epsilon(delta)
    assert exact * (1 - 1e-9) <= got <= exact * (1 + 1e-3)


@pytest.mark.parametrize("direction", ["remove", "add"])
def test_truncated_self_composition_against_the_full_convolution(direction):
    """At T = 40 with tail 1e-6 the Chernoff window cuts: against the composition computed
    with nothing cut, δ may only rise, by at most twice the tail (the tail counted as
    infinite loss, and the cut mass the cyclic FFT folds back into the window)."""
    one = subsampled_gaussian_pld(noise_multiplier=0.8, sample_rate=0.2, direction=direction,
                                  value_discretization_interval=0.01)
    full = one.probs
    for _ in range(39):
        full = np.convolve(full, one.probs)
    exact = PrivacyLossDistribution(full, lowest=40 * one.lowest,
                                    infinity_mass=1 - (1 - one.infinity_mass) ** 40,
                                    value_discretization_interval=0.01)
    cut = one.self_compose(40, tail=1e-6)
    assert cut.probs.size < full.size  # the window did cut
    eps = np.linspace(-1, 6, 71)
    gap = cut.delta(eps) - exact.delta(eps)
    assert np.all(gap >= -1e-12) and np.all(gap <= 2e-6)


def test_single_point_and_almost_infinite_distributions_compose():
    one_point = PrivacyLossDistribution([1.0], lowest=-5, infinity_mass=0.0,
                                        value_discretization_interval=0.1)
    np.testing.assert_allclose(one_point.self_compose(3).losses, [-1.5])
    nearly_gone = PrivacyLossDistribution([0.005, 0.005], lowest=0, infinity_mass=0.99,
                                          value_discretization_interval=0.1)
    composed = nearly_gone.self_compose(10)
    assert composed.infinity_mass == pytest.approx(1 - 0.01**10)
    assert composed.epsilon(0.5) == math.inf


@pytest.mark.parametrize("sigma, interval", [(1.0, 0.7), (0.04, 1e-2), (2.0, 3e-4)])
def test_other_grids_and_small_noise(sigma, interval):
    """Grids that do not divide the loss range evenly, and σ = 0.04, whose losses reach
    e^600 before a care-free formula overflows: δ still exact at the grid losses."""
    pld = subsampled_gaussian_pld(noise_multiplier=sigma, sample_rate=1.0,
                                  value_discretization_interval=interval)
    grid = pld.losses[(pld.losses >= 0) & (pld.losses <= 5 / sigma**2)][::97]
    exact = [gaussian_delta(sigma=sigma, sensitivity=1, epsilon=e) for e in grid]
    np.testing.assert_allclose(pld.delta(grid), exact, rtol=1e-7, atol=1e-300)


def test_self_compose_equals_repeated_compose():
    one = subsampled_gaussian_pld(noise_multiplier=1.0, sample_rate=0.05)
    repeated = one.compose(one).compose(one).compose(one)
    eps = np.linspace(0, 2, 11)
    np.testing.assert_allclose(one.self_compose(4).delta(eps), repeated.delta(eps),
                               rtol=1e-9, atol=1e-14)


def test_delta_and_epsilon_are_inverse():
    pld = subsampled_gaussian_pld(noise_multiplier=1.1, sample_rate=0.01).self_compose(2000)
    for delta in (1e-3, 1e-5, 1e-9):
        eps = pld.epsilon(delta)
        assert pld.delta(eps) == pytest.approx(delta, rel=1e-9)
        assert pld.delta(eps + 1e-3) < delta < pld.delta(eps - 1e-3)


def test_epsilon_is_zero_when_delta_covers_everything():
    pld = subsampled_gaussian_pld(noise_multiplier=50.0, sample_rate=0.01)
    assert pld.delta(0.0) < 1e-4
    assert pld.epsilon(1e-4) == 0.0


def test_infinite_loss_mass_beyond_delta_gives_infinite_epsilon():
    pld = PrivacyLossDistribution([0.5, 0.3], lowest=0, infinity_mass=0.2,
                                  value_discretization_interval=0.1)
    assert pld.epsilon(0.1) == math.inf
    # δ(ε) of a two-point PLD by hand: 0.2 + 0.3·(1 − e^(ε − 0.1)) for 0 <= ε < 0.1
    assert pld.delta(0.05) == pytest.approx(0.2 + 0.3 * (1 - math.exp(0.05 - 0.1)))
    assert pld.epsilon(0.2) == pytest.approx(0.1, abs=1e-12)
    assert pld.epsilon(0.22) == pytest.approx(0.1 + math.log(1 - 0.02 / 0.3), rel=1e-12)
    assert pld.epsilon(0.25) == 0.0  # δ(0) = 0.2 + 0.3(1 − e^−0.1) = 0.2285 already


# --- the accountant ---------------------------------------------------------------------

def test_accountant_below_rdp_on_a_grid():
    """The PLD is (near) exact, RDP an upper bound: PLD's ε is never the larger."""
    for q, sigma, steps in [(0.01, 1.0, 1000), (256 / 60000, 1.1, 14063), (0.1, 2.0, 300),
                            (1.0, 4.0, 10)]:
        pld, rdp = PLDAccountant(), RDPAccountant()
        for acc in (pld, rdp):
            acc.step(noise_multiplier=sigma, sample_rate=q, steps=steps)
        assert pld.get_epsilon(1e-5) < rdp.get_epsilon(1e-5)


def test_accountant_composes_mixed_settings_like_the_distributions():
    acc = PLDAccountant()
    acc.step(noise_multiplier=1.0, sample_rate=0.02, steps=300)
    acc.step(noise_multiplier=2.0, sample_rate=0.1, steps=50)
    acc.step(noise_multiplier=2.0, sample_rate=0.1, steps=50)  # merged with the one before
    assert acc.history == [(1.0, 0.02, 300), (2.0, 0.1, 100)] and len(acc) == 400
    by_hand = []
    for direction in ("remove", "add"):
        a = subsampled_gaussian_pld(noise_multiplier=1.0, sample_rate=0.02,
                                    direction=direction).self_compose(300)
        b = subsampled_gaussian_pld(noise_multiplier=2.0, sample_rate=0.1,
                                    direction=direction).self_compose(100)
        by_hand.append(a.compose(b).epsilon(1e-6))
    assert acc.get_epsilon(1e-6) == pytest.approx(max(by_hand), rel=1e-12)
    assert acc.get_delta(acc.get_epsilon(1e-6)) == pytest.approx(1e-6, rel=1e-9)


def test_accountant_keeps_the_add_direction():
    """Remove dominates DP-SGD's settings, so the add direction must be checked by itself:
    the accountant's second PLD is the add one, composed like the first."""
    acc = PLDAccountant()
    acc.step(noise_multiplier=0.9, sample_rate=0.1, steps=60)
    remove, add = acc.get_pld()
    want = subsampled_gaussian_pld(noise_multiplier=0.9, sample_rate=0.1,
                                   direction="add").self_compose(60)
    eps = np.linspace(-2, 3, 26)
    np.testing.assert_allclose(add.delta(eps), want.delta(eps), rtol=1e-12, atol=1e-15)
    assert not np.allclose(add.delta(eps), remove.delta(eps))
    assert acc.get_delta(0.5) == max(remove.delta(0.5), add.delta(0.5))


def test_accountant_grid_is_fixed():
    acc = PLDAccountant(value_discretization_interval=1e-3)
    with pytest.raises(AttributeError):
        acc.value_discretization_interval = 1e-2  # the cached PLDs are built on the old one
    assert acc.value_discretization_interval == 1e-3


def test_accountant_more_steps_cost_more():
    eps = []
    for steps in (10, 100, 1000):
        acc = PLDAccountant()
        acc.step(noise_multiplier=1.0, sample_rate=0.01, steps=steps)
        eps.append(acc.get_epsilon(1e-5))
    assert eps[0] < eps[1] < eps[2]


def test_accountant_edge_steps():
    acc = PLDAccountant()
    assert acc.get_epsilon(1e-5) == 0.0 and acc.get_delta(1.0) == 0.0 and acc.get_pld() is None
    acc.step(noise_multiplier=1.0, sample_rate=0.0, steps=5)  # samples no one: no cost
    assert acc.get_epsilon(1e-5) == 0.0
    acc.step(noise_multiplier=0.0, sample_rate=0.01)          # no noise: no privacy
    assert acc.get_epsilon(1e-5) == math.inf and acc.get_delta(10.0) == 1.0
    assert repr(acc) == "PLDAccountant(steps=6, settings=2)"


def test_accountant_recomputes_after_a_new_step():
    acc = PLDAccountant()
    acc.step(noise_multiplier=1.0, sample_rate=0.01, steps=100)
    first = acc.get_epsilon(1e-5)
    acc.step(noise_multiplier=1.0, sample_rate=0.01, steps=100)
    fresh = PLDAccountant()
    fresh.step(noise_multiplier=1.0, sample_rate=0.01, steps=200)
    assert acc.get_epsilon(1e-5) == fresh.get_epsilon(1e-5) > first


def test_published_setting_opacus_mnist():
    """Opacus's MNIST example: σ = 1.3, batch 240 of 60,000, 15 epochs. Its README reports
    ε = 1.16 at δ = 1e-5 (RDP, classic conversion), which our RDP accountant reproduces;
    the PLD reads the same schedule as ε = 0.834 (dp_accounting agrees; see the
    cross-check)."""
    rdp, pld = RDPAccountant(), PLDAccountant()
    for acc in (rdp, pld):
        acc.step(noise_multiplier=1.3, sample_rate=240 / 60000, steps=15 * 250)
    assert round(rdp.get_epsilon(1e-5, method="classic"), 2) == 1.16
    assert pld.get_epsilon(1e-5) == pytest.approx(0.833589, abs=1e-6)
