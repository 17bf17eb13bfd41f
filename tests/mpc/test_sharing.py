"""Fixed point, additive and Shamir sharing, Beaver multiplication."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from privlearn.mpc import (
    DEFAULT_PRIME,
    Share,
    add_shares,
    additive_reconstruct,
    additive_share,
    beaver_multiply,
    beaver_open,
    beaver_triple,
    decode_fixed,
    encode_fixed,
    insecure_deterministic_randomness,
    mul_public,
    secure_mean,
    shamir_reconstruct,
    shamir_share,
)
from privlearn.mpc import shamir as shamir_module

# --- fixed point ---------------------------------------------------------------------


@settings(max_examples=100)
@given(x=hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e9, 1e9)))
def test_fixed_point_round_trip(x):
    np.testing.assert_allclose(decode_fixed(encode_fixed(x)), x, atol=2.0**-17)


def test_fixed_point_ring_arithmetic_and_products():
    a, b = encode_fixed([1.5, -2.0]), encode_fixed([-0.25, 3.0])
    np.testing.assert_array_equal(decode_fixed(a + b), [1.25, 1.0])
    np.testing.assert_array_equal(decode_fixed(a * b, frac_bits=32), [-0.375, -6.0])
    assert encode_fixed(-1.0, frac_bits=0).tolist() == 2**64 - 1   # two's complement


@pytest.mark.parametrize("x, exc, words", [
    ([2.0**47], ValueError, "x must satisfy"),
    ([-(2.0**48)], ValueError, "x must satisfy"),
    ([float("nan")], ValueError, "finite"),
    (["1"], TypeError, "x"),
])
def test_fixed_point_overflow_and_bad_values_are_refused(x, exc, words):
    with pytest.raises(exc, match=words):
        encode_fixed(x, frac_bits=16)


def test_decode_rejects_floats():
    with pytest.raises(TypeError, match="uint64"):
        decode_fixed(np.array([1.0]))


# --- additive sharing ----------------------------------------------------------------

@settings(max_examples=50)
@given(secret=hnp.arrays(np.uint64, st.integers(1, 30)), n=st.integers(2, 8))
def test_additive_round_trip(secret, n):
    shares = additive_share(secret, num_parties=n)
    assert shares.shape == (n, *secret.shape) and shares.dtype == np.uint64
    np.testing.assert_array_equal(additive_reconstruct(shares), secret)


def test_additive_shares_are_uniform():
    """n − 1 shares are uniform whatever the secret: chi-square on the top byte."""
    for secret in (0, 2**63 + 12345):
        shares = additive_share(np.full(40_000, secret, dtype=np.uint64), num_parties=3)
        for row in shares:  # each share alone is uniform
            counts = np.bincount((row >> np.uint64(56)).astype(np.int64), minlength=256)
            assert stats.chisquare(counts).pvalue > 1e-6


def test_linear_operations_on_shares():
    x, y = encode_fixed([2.5, -1.0]), encode_fixed([0.5, 4.0])
    sx, sy = additive_share(x, num_parties=4), additive_share(y, num_parties=4)
    np.testing.assert_array_equal(decode_fixed(additive_reconstruct(add_shares(sx, sy))),
                                  [3.0, 3.0])
    np.testing.assert_array_equal(decode_fixed(additive_reconstruct(mul_public(sx, -3))),
                                  [-7.5, 3.0])
    assert secure_mean([52_000.0, 61_000.0, 47_500.0]) == pytest.approx(53_500.0, abs=1e-4)


@pytest.mark.parametrize("call, exc, words", [
    (lambda: additive_share(np.array([1.5]), num_parties=3), TypeError, "encode_fixed"),
    (lambda: additive_share(np.array([1], dtype=np.uint64), num_parties=1), ValueError,
     "num_parties"),
    (lambda: mul_public(np.zeros((2, 1), dtype=np.uint64), 1.5), TypeError, "k"),
    (lambda: add_shares(np.zeros((2, 1), np.uint64), np.zeros((2, 2), np.uint64)),
     ValueError, "same shape"),
    (lambda: secure_mean([1.0]), ValueError, "at least 2"),
])
def test_additive_rejects(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


# --- Shamir ---------------------------------------------------------------------------

def test_shamir_known_answer(monkeypatch):
    """GF(1613), f(x) = 1234 + 166x + 94x² (the textbook example)."""
    coefficients = iter([[166], [94]])
    monkeypatch.setattr(shamir_module, "_random_field_elements",
                        lambda count, prime: next(coefficients))
    shares = shamir_share(1234, num_shares=6, threshold=3, prime=1613)
    assert [tuple(s) for s in shares] == [(1, 1494), (2, 329), (3, 965), (4, 176), (5, 1188),
                                          (6, 775)]
    assert shamir_reconstruct(shares[3:], prime=1613) == 1234


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(1, 9))
def test_shamir_round_trip_from_any_t_subset(data, n):
    t = data.draw(st.integers(1, n))
    secret = data.draw(hnp.arrays(np.int64, st.integers(1, 10),
                                  elements=st.integers(0, DEFAULT_PRIME - 1)))
    shares = shamir_share(secret, num_shares=n, threshold=t)
    subset = data.draw(st.lists(st.sampled_from(shares), min_size=t, max_size=n, unique_by=
                                lambda s: s.x))
    np.testing.assert_array_equal(shamir_reconstruct(subset), secret)


def test_shamir_with_a_big_prime_for_keys():
    prime = 2**521 - 1
    secret = 2**400 + 12345
    shares = shamir_share(secret, num_shares=5, threshold=3, prime=prime)
    assert shamir_reconstruct([shares[0], shares[3], shares[4]], prime=prime) == secret


def test_t_minus_one_shares_look_the_same_for_any_secret():
    """Two shares of a (3, 5) sharing: same joint distribution for secrets 0 and p − 1."""
    def sample(secret):
        shares = shamir_share(np.full(20_000, secret, dtype=np.int64), num_shares=5,
                              threshold=3)
        return shares[0].y, shares[3].y
    (a1, a2), (b1, b2) = sample(0), sample(DEFAULT_PRIME - 1)
    for a, b in ((a1, b1), (a2, b2), ((a1 + 7 * a2) % DEFAULT_PRIME,
                                      (b1 + 7 * b2) % DEFAULT_PRIME)):
        assert stats.ks_2samp(a, b).pvalue > 1e-6
        assert stats.kstest(a / DEFAULT_PRIME, "uniform").pvalue > 1e-6


def test_fewer_shares_than_the_threshold():
    with insecure_deterministic_randomness(11):   # fixed coefficients: not flaky
        shares = shamir_share(42, num_shares=5, threshold=3)
    with pytest.raises(ValueError, match="threshold=3"):
        shamir_reconstruct(shares[:2])
    # plain tuples carry no threshold: the line through 2 points misses the secret
    assert shamir_reconstruct([tuple(s) for s in shares[:2]]) != 42


@pytest.mark.parametrize("call, exc, words", [
    (lambda: shamir_share(1, num_shares=3, threshold=4), ValueError,
     r"threshold must not exceed num_shares \(got threshold=4, num_shares=3\)"),
    (lambda: shamir_share(1, num_shares=3, threshold=0), ValueError, "threshold must be >= 1"),
    (lambda: shamir_share(DEFAULT_PRIME, num_shares=3, threshold=2), ValueError, r"\[0, prime\)"),
    (lambda: shamir_share(-1, num_shares=3, threshold=2), ValueError, r"\[0, prime\)"),
    (lambda: shamir_share(1.5, num_shares=3, threshold=2), TypeError, "integers"),
    (lambda: shamir_share(1, num_shares=3, threshold=2, prime=2), ValueError, "prime"),
    (lambda: shamir_reconstruct([(1, 5), (1, 7)]), ValueError, "distinct"),
    (lambda: shamir_reconstruct([(0, 5), (1, 7)]), ValueError, "x = 0"),
    (lambda: shamir_reconstruct([]), ValueError, "non-empty"),
    (lambda: shamir_reconstruct([(1, [1, 2]), (2, [3])]), ValueError, "same shape"),
    (lambda: shamir_reconstruct([Share(1, 5, 1613, 2), Share(2, 7, 1613, 2)]), ValueError,
     "different fields"),
    (lambda: shamir_reconstruct([(1.0, 5), (2, 7)]), TypeError, "x-coordinate"),
])
def test_shamir_rejects(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


# --- Beaver -----------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(x=hnp.arrays(np.float64, 5, elements=st.floats(-1000, 1000)),
       y=hnp.arrays(np.float64, 5, elements=st.floats(-1000, 1000)), n=st.integers(2, 5))
def test_beaver_multiplies(x, y, n):
    f = 12
    sx = additive_share(encode_fixed(x, frac_bits=f), num_parties=n)
    sy = additive_share(encode_fixed(y, frac_bits=f), num_parties=n)
    z = beaver_multiply(sx, sy, beaver_triple((5,), num_parties=n))
    np.testing.assert_allclose(decode_fixed(additive_reconstruct(z), frac_bits=2 * f),
                               np.round(x * 2**f) * np.round(y * 2**f) / 2**(2 * f), rtol=0,
                               atol=1e-9)


def test_opened_values_are_uniform_whatever_the_inputs():
    x = np.zeros(20_000, dtype=np.uint64)
    d, _ = beaver_open(additive_share(x, num_parties=2), additive_share(x, num_parties=2),
                       beaver_triple((20_000,), num_parties=2))
    counts = np.bincount((d >> np.uint64(56)).astype(np.int64), minlength=256)
    assert stats.chisquare(counts).pvalue > 1e-6


def test_beaver_rejects_mismatches():
    s = additive_share(np.zeros(3, dtype=np.uint64), num_parties=2)
    with pytest.raises(ValueError, match="same shape"):
        beaver_multiply(s, s, beaver_triple((4,), num_parties=2))
    with pytest.raises(TypeError, match="BeaverTriple"):
        beaver_multiply(s, s, (s, s, s))


def test_insecure_mode_is_reproducible_and_scoped():
    with insecure_deterministic_randomness(7):
        a = additive_share(np.arange(4, dtype=np.uint64), num_parties=3)
    with insecure_deterministic_randomness(7):
        b = additive_share(np.arange(4, dtype=np.uint64), num_parties=3)
    c = additive_share(np.arange(4, dtype=np.uint64), num_parties=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
