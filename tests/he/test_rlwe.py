"""The RLWE toy (BFV-style): round trips, homomorphic operations against the same
arithmetic on plaintexts, and the noise bound exactly where the module says it is."""

import numpy as np
import pytest

from privlearn.he import rlwe

P = rlwe.RLWEParams(n=8, q=2**30, t=8)


def _ring_product(a, b, n, t):
    """a·b in Z_t[x]/(x^n + 1), by the schoolbook rule x^n = −1."""
    out = [0] * n
    for i in range(n):
        for j in range(n):
            k, sign = (i + j, 1) if i + j < n else (i + j - n, -1)
            out[k] += sign * int(a[i]) * int(b[j])
    return np.array([v % t for v in out])


@pytest.mark.parametrize("seed", range(5))
def test_round_trip_and_operations(seed):
    rng = np.random.default_rng(seed)
    keys = rlwe.generate_keys(P, rng=rng)
    m1, m2 = rng.integers(0, P.t, P.n), rng.integers(0, P.t, P.n)
    c1, c2 = rlwe.encrypt(keys, m1, rng=rng), rlwe.encrypt(keys, m2, rng=rng)
    np.testing.assert_array_equal(rlwe.decrypt(keys, c1), m1)
    np.testing.assert_array_equal(rlwe.decrypt(keys, rlwe.add(c1, c2)), (m1 + m2) % P.t)
    k = rng.integers(0, P.t, P.n)
    np.testing.assert_array_equal(rlwe.decrypt(keys, rlwe.mul_plain(c1, k)),
                                  _ring_product(m1, k, P.n, P.t))
    np.testing.assert_array_equal(rlwe.decrypt(keys, rlwe.multiply(c1, c2)),
                                  _ring_product(m1, m2, P.n, P.t))
    # a product's three parts add to another product's
    both = rlwe.add(rlwe.multiply(c1, c2), rlwe.multiply(c2, c2))
    np.testing.assert_array_equal(rlwe.decrypt(keys, both),
                                  (_ring_product(m1, m2, P.n, P.t)
                                   + _ring_product(m2, m2, P.n, P.t)) % P.t)


def test_fresh_noise_is_small_and_grows_with_each_operation():
    rng = np.random.default_rng(9)
    keys = rlwe.generate_keys(P, rng=rng)
    m = rng.integers(0, P.t, P.n)
    c = rlwe.encrypt(keys, m, rng=rng)
    fresh = rlwe.noise(keys, c, m)
    # v = e1 + e2·s − e·u: each coefficient at most 2 + 2n + 2n with binomial noise in [−2, 2]
    assert 0 < fresh <= 2 + 4 * P.n
    assert rlwe.noise(keys, rlwe.add(c, c), (2 * m) % P.t) == 2 * fresh
    three = np.zeros(P.n, dtype=np.int64)
    three[0] = 3
    assert rlwe.noise(keys, rlwe.mul_plain(c, three), (3 * m) % P.t) == 3 * fresh
    product = rlwe.multiply(c, c)
    assert rlwe.noise(keys, product, _ring_product(m, m, P.n, P.t)) > 10 * fresh


@pytest.mark.parametrize("margin, correct", [(-1, True), (1, False)])
def test_decryption_is_exact_below_half_delta_and_wrong_above(margin, correct):
    """Set one coefficient's noise to Δ/2 − 1 or Δ/2 + 1 by adding to c0: below the bound
    every coefficient decrypts; above it that coefficient comes out one step off."""
    rng = np.random.default_rng(3)
    keys = rlwe.generate_keys(P, rng=rng)
    m = rng.integers(0, P.t, P.n)
    c = rlwe.encrypt(keys, m, rng=rng)
    phase_noise = int(rlwe._centred(rlwe._phase(keys, c) - P.delta * rlwe._poly(m, P.t),
                                    P.q)[0])
    shift = np.zeros(P.n, dtype=object)
    shift[0] = P.delta // 2 + margin - phase_noise       # coefficient 0's noise becomes Δ/2 ± 1
    forged = rlwe.RLWECiphertext(P, (rlwe._poly(c.parts[0] + shift, P.q), c.parts[1]))
    assert rlwe.noise(keys, forged, m) == P.delta // 2 + margin
    got = rlwe.decrypt(keys, forged)
    if correct:
        np.testing.assert_array_equal(got, m)
    else:
        assert got[0] == (m[0] + 1) % P.t
        np.testing.assert_array_equal(got[1:], m[1:])


def test_many_additions_exhaust_the_budget():
    """With q = 2^12·t the budget Δ/2 is 2,048: summing copies of one ciphertext multiplies
    its noise, and decryption is right below the budget and wrong above it."""
    small = rlwe.RLWEParams(n=8, q=2**12 * 8, t=8)
    rng = np.random.default_rng(4)
    keys = rlwe.generate_keys(small, rng=rng)
    m = np.ones(small.n, dtype=np.int64)
    c = rlwe.encrypt(keys, m, rng=rng)
    total, count = c, 1
    while True:
        total, count = rlwe.add(total, c), count + 1
        level = rlwe.noise(keys, total, (count * m) % small.t)
        ok = np.array_equal(rlwe.decrypt(keys, total), (count * m) % small.t)
        if level != small.delta // 2:  # exactly at Δ/2 the rounding depends on the sign
            assert ok == (level < small.delta // 2), (count, level)
        if not ok:
            break
    assert level == count * rlwe.noise(keys, c, m)
