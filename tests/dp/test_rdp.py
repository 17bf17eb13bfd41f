"""RDP of the sampled Gaussian mechanism and its conversion to (ε, δ)."""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privlearn.dp import DEFAULT_ORDERS, RDPAccountant, compute_rdp, noise_multiplier_for, rdp_to_dp

# --- published values ---------------------------------------------------------------
# TensorFlow Privacy, rdp_accountant_test.py (classic conversion).


def test_tf_privacy_scalar():
    rdp = compute_rdp(sample_rate=0.1, noise_multiplier=2, steps=10, orders=[5])
    assert rdp[0] == pytest.approx(0.07737, abs=1e-5)


def test_tf_privacy_sequence():
    rdp = compute_rdp(sample_rate=0.01, noise_multiplier=2.5, steps=50,
                      orders=[1.5, 2.5, 5, 50, 100])
    np.testing.assert_allclose(rdp, [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307],
                               atol=1e-5)


def test_tf_privacy_privacy_spent():
    orders = list(range(2, 33))
    rdp = compute_rdp(sample_rate=0.01, noise_multiplier=4, steps=10_000, orders=orders)
    eps, order = rdp_to_dp(orders=orders, rdp=rdp, delta=1e-5, method="classic")
    assert eps == pytest.approx(1.258575, abs=1e-6)
    assert order == 20


def test_tf_privacy_composition_of_two_settings():
    orders = (1.25, 1.5, 1.75, 2., 2.5, 3., 4., 5., 6., 7., 8., 10., 12., 14., 16., 20., 24.,
              28., 32., 64., 256.)
    rdp = (compute_rdp(sample_rate=1e-4, noise_multiplier=0.4, steps=40_000, orders=orders)
           + compute_rdp(sample_rate=0.1, noise_multiplier=2, steps=100, orders=orders))
    eps, order = rdp_to_dp(orders=orders, rdp=rdp, delta=1e-5, method="classic")
    assert eps == pytest.approx(8.509656, abs=1e-6)
    assert order == 2.5


def test_mnist_tutorial_setting():
    """TF-Privacy's MNIST tutorial: q = 256/60000, σ = 1.1, 60 epochs, δ = 1e-5."""
    rdp = compute_rdp(sample_rate=256 / 60_000, noise_multiplier=1.1, steps=14_063)
    classic, _ = rdp_to_dp(orders=DEFAULT_ORDERS, rdp=rdp, delta=1e-5, method="classic")
    improved, _ = rdp_to_dp(orders=DEFAULT_ORDERS, rdp=rdp, delta=1e-5, method="improved")
    assert round(classic, 2) == 3.01
    assert round(improved, 2) == 2.60
    # regression values of this implementation, to catch any drift
    assert classic == pytest.approx(3.008381046833, rel=1e-9)
    assert improved == pytest.approx(2.596655528681, rel=1e-9)


# --- oracle: numerical integration at 30 digits ----------------------------------------

def _rdp_by_quadrature(q, sigma, alpha):
    """ε(α) = log E_{z~μ0}[(μ(z)/μ0(z))^α] / (α − 1), integrated with mpmath."""
    mpmath.mp.dps = 30
    q, sigma, alpha = mpmath.mpf(q), mpmath.mpf(sigma), mpmath.mpf(alpha)

    def integrand(z):
        mu0 = mpmath.npdf(z, 0, sigma)
        ratio = (1 - q) + q * mpmath.exp((2 * z - 1) / (2 * sigma**2))
        return mu0 * ratio**alpha

    peak = alpha  # the integrand's mass sits between 0 and about α
    a = mpmath.quad(integrand, [-mpmath.inf, -10 * sigma, 0, 0.5, peak, peak + 20 * sigma,
                                mpmath.inf])
    return float(mpmath.log(a) / (alpha - 1))


@pytest.mark.parametrize("q, sigma, alpha", [
    (0.01, 1.0, 1.5), (0.01, 1.0, 2.0), (0.01, 1.0, 7.3), (0.004, 1.1, 8.8),
    (0.1, 0.8, 1.1), (0.1, 0.8, 3.0), (0.3, 2.0, 2.5), (0.5, 2.0, 1.1),
    (0.9, 1.0, 4.5), (1e-4, 0.5, 10.9), (0.05, 5.0, 32.0), (0.2, 1.5, 12.5),
])
def test_matches_numerical_integration(q, sigma, alpha):
    got = compute_rdp(sample_rate=q, noise_multiplier=sigma, steps=1, orders=[alpha])[0]
    assert got == pytest.approx(_rdp_by_quadrature(q, sigma, alpha), rel=1e-9)


# --- structure -------------------------------------------------------------------------

def test_no_sampling_is_the_gaussian_mechanism():
    orders = [1.5, 2, 20]
    rdp = compute_rdp(sample_rate=1.0, noise_multiplier=10, steps=1, orders=orders)
    np.testing.assert_allclose(rdp, np.array(orders) / 200)


def test_no_data_costs_nothing():
    assert np.all(compute_rdp(sample_rate=0.0, noise_multiplier=1, steps=5) == 0)
    assert np.all(compute_rdp(sample_rate=0.3, noise_multiplier=1, steps=0) == 0)


def test_no_noise_is_no_privacy():
    rdp = compute_rdp(sample_rate=0.01, noise_multiplier=0.0, steps=1)
    assert np.all(np.isinf(rdp))
    assert rdp_to_dp(orders=DEFAULT_ORDERS, rdp=rdp, delta=1e-5)[0] == math.inf


def test_fractional_orders_join_integer_orders_smoothly():
    """Both series must agree where they meet: α = 2.9999 and 3.0001 bracket α = 3."""
    rdp = compute_rdp(sample_rate=0.02, noise_multiplier=1.2, steps=1,
                      orders=[2.9999, 3.0, 3.0001])
    assert rdp[0] < rdp[1] < rdp[2]
    assert rdp[2] - rdp[0] == pytest.approx(2 * (rdp[2] - rdp[1]), rel=1e-3)


@settings(max_examples=40, deadline=None)
@given(q=st.floats(1e-5, 0.99), sigma=st.floats(0.3, 20), steps=st.integers(1, 10**6))
def test_rdp_is_linear_in_steps_and_monotone_in_order(q, sigma, steps):
    one = compute_rdp(sample_rate=q, noise_multiplier=sigma, steps=1, orders=DEFAULT_ORDERS)
    many = compute_rdp(sample_rate=q, noise_multiplier=sigma, steps=steps,
                       orders=DEFAULT_ORDERS)
    np.testing.assert_allclose(many, steps * one, rtol=1e-12)
    assert np.all(np.diff(one) >= -1e-12 * one[1:])  # Rényi divergence grows with α


@settings(max_examples=30, deadline=None)
@given(q=st.floats(1e-4, 0.5), sigma=st.floats(0.5, 10))
def test_more_noise_or_less_sampling_never_costs_more(q, sigma):
    base = compute_rdp(sample_rate=q, noise_multiplier=sigma, steps=1)
    assert np.all(compute_rdp(sample_rate=q, noise_multiplier=1.1 * sigma, steps=1)
                  <= base * (1 + 1e-12))
    assert np.all(compute_rdp(sample_rate=q / 2, noise_multiplier=sigma, steps=1)
                  <= base * (1 + 1e-12))


def test_improved_conversion_is_never_worse_at_the_same_order():
    rdp = compute_rdp(sample_rate=0.01, noise_multiplier=1.0, steps=1000)
    for a, r in zip(DEFAULT_ORDERS, rdp, strict=True):
        classic = rdp_to_dp(orders=[a], rdp=[r], delta=1e-5, method="classic")[0]
        improved = rdp_to_dp(orders=[a], rdp=[r], delta=1e-5, method="improved")[0]
        assert improved <= classic + 1e-12


def test_noise_multiplier_for_inverts_the_accountant():
    kw = {"sample_rate": 0.01, "steps": 2000, "delta": 1e-5}
    sigma = noise_multiplier_for(2.0, **kw)
    eps_at = lambda s: rdp_to_dp(  # noqa: E731
        orders=DEFAULT_ORDERS, delta=1e-5,
        rdp=compute_rdp(sample_rate=0.01, noise_multiplier=s, steps=2000))[0]
    assert eps_at(sigma) <= 2.0
    assert eps_at(sigma - 2e-4) > 2.0


def test_accountant_composes_settings_and_merges_repeats():
    acc = RDPAccountant()
    assert acc.get_epsilon(1e-5) == 0.0
    for _ in range(3):
        acc.step(noise_multiplier=1.0, sample_rate=0.01)
    acc.step(noise_multiplier=2.0, sample_rate=0.1, steps=10)
    assert len(acc) == 13 and len(acc.history) == 2
    expected = (compute_rdp(sample_rate=0.01, noise_multiplier=1.0, steps=3)
                + compute_rdp(sample_rate=0.1, noise_multiplier=2.0, steps=10))
    np.testing.assert_allclose(acc.get_rdp(), expected, rtol=1e-12)
    assert acc.get_epsilon(1e-5) == rdp_to_dp(orders=DEFAULT_ORDERS, rdp=expected,
                                              delta=1e-5)[0]


def test_accountant_cache_follows_every_change_of_history():
    acc = RDPAccountant()
    acc.step(noise_multiplier=1.0, sample_rate=0.01, steps=5)
    first = acc.get_rdp()
    first[:] = 0                                   # a copy: the cache cannot be changed
    np.testing.assert_array_equal(acc.get_rdp(),
                                  compute_rdp(sample_rate=0.01, noise_multiplier=1.0, steps=5))
    acc.step(noise_multiplier=1.0, sample_rate=0.01, steps=5)     # merged: same length
    np.testing.assert_allclose(acc.get_rdp(),
                               compute_rdp(sample_rate=0.01, noise_multiplier=1.0, steps=10))
    acc.history.append((2.0, 0.1, 3))              # the public list, changed by hand
    np.testing.assert_allclose(acc.get_rdp(),
                               compute_rdp(sample_rate=0.01, noise_multiplier=1.0, steps=10)
                               + compute_rdp(sample_rate=0.1, noise_multiplier=2.0, steps=3))


# --- bad input -------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, exc, words", [
    ({"sample_rate": 1.5}, ValueError, "sample_rate"),
    ({"sample_rate": -0.1}, ValueError, "sample_rate"),
    ({"sample_rate": float("nan")}, ValueError, "sample_rate"),
    ({"sample_rate": "0.1"}, TypeError, "sample_rate"),
    ({"noise_multiplier": -1.0}, ValueError, "noise_multiplier"),
    ({"noise_multiplier": True}, TypeError, "noise_multiplier"),
    ({"noise_multiplier": float("inf")}, ValueError, "noise_multiplier"),
    ({"steps": -1}, ValueError, "steps"),
    ({"steps": 2.5}, TypeError, "steps"),
    ({"orders": [0.5, 2]}, ValueError, "orders"),
    ({"orders": [1.0]}, ValueError, "orders"),
    ({"orders": []}, ValueError, "orders"),
    ({"orders": [2, float("nan")]}, ValueError, "orders"),
])
def test_compute_rdp_rejects(kwargs, exc, words):
    args = {"sample_rate": 0.01, "noise_multiplier": 1.0, "steps": 10, **kwargs}
    with pytest.raises(exc, match=words):
        compute_rdp(**args)


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"delta": 0.0}, ValueError, "delta"),
    ({"delta": 1.0}, ValueError, "delta"),
    ({"delta": "1e-5"}, TypeError, "delta"),
    ({"method": "best"}, ValueError, "method"),
    ({"rdp": [1.0, 2.0]}, ValueError, "one value per order"),
    ({"rdp": [1.0, -1.0, 2.0]}, ValueError, "rdp"),
    ({"rdp": [1.0, float("nan"), 2.0]}, ValueError, "rdp"),
    ({"rdp": "abc"}, TypeError, "rdp"),
])
def test_rdp_to_dp_rejects(kwargs, exc, words):
    args = {"orders": [2, 3, 4], "rdp": [0.1, 0.2, 0.3], "delta": 1e-5, **kwargs}
    with pytest.raises(exc, match=words):
        rdp_to_dp(**args)


def test_noise_multiplier_for_rejects():
    with pytest.raises(ValueError, match="target_epsilon"):
        noise_multiplier_for(0.0, sample_rate=0.01, steps=10, delta=1e-5)
    with pytest.raises(ValueError, match="steps"):
        noise_multiplier_for(1.0, sample_rate=0.01, steps=0, delta=1e-5)


def test_accountant_rejects():
    acc = RDPAccountant()
    with pytest.raises(ValueError, match="sample_rate"):
        acc.step(noise_multiplier=1.0, sample_rate=2.0)
    with pytest.raises(ValueError, match="steps"):
        acc.step(noise_multiplier=1.0, sample_rate=0.1, steps=0)
    with pytest.raises(ValueError, match="orders"):
        RDPAccountant(orders=[1.0, 2.0])
    assert len(acc) == 0


def test_the_default_grid_reaches_large_orders_and_the_edge_warns():
    """One release of a Gaussian with sigma ~ 46 is best converted near alpha ~ 200: the
    TF-Privacy/Opacus grid (<= 63) reported more than basic composition's 0.1 there."""
    import warnings

    from privlearn.dp import DEFAULT_ORDERS, analytic_gaussian_sigma, compute_rdp, rdp_to_dp

    sigma = analytic_gaussian_sigma(sensitivity=1, epsilon=0.1, delta=1e-8)
    delta = 1e-8 + 1e-6
    old = [a for a in DEFAULT_ORDERS if a <= 63]
    with pytest.warns(RuntimeWarning, match="best order is the largest one given"):
        eps_old, order_old = rdp_to_dp(orders=old, delta=delta, rdp=compute_rdp(
            sample_rate=1.0, noise_multiplier=sigma, steps=1, orders=old))
    assert order_old == 63 and eps_old > 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eps, order = rdp_to_dp(orders=DEFAULT_ORDERS, delta=delta, rdp=compute_rdp(
            sample_rate=1.0, noise_multiplier=sigma, steps=1))
    assert 63 < order < max(DEFAULT_ORDERS) and eps < 0.1
