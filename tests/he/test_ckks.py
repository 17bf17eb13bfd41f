"""CKKS through TenSEAL (the ``ckks`` extra): results against plaintext within the bound
``privlearn.he.ckks`` states, the rescaling bias predicted from the primes SEAL picks, and
the refusals that keep a result from silently wrapping around.

SEAL draws its own randomness (it cannot be seeded from Python), so these tests see fresh
noise each run; the bounds are the CKKS paper's high-probability bounds (6σ-style tails),
far above what is observed (the errors below are 0.5% to 20% of their bounds), so a failure
means a wrong bound, not bad luck. .ci/run installs the extra and sets
PRIVLEARN_REQUIRE_CKKS=1, so that a broken install fails here instead of skipping.
"""

import math
import os

import gmpy2
import numpy as np
import pytest

from privlearn.he import ckks

if os.environ.get("PRIVLEARN_REQUIRE_CKKS") != "1":
    pytest.importorskip("tenseal", reason="the ckks extra is not installed")

P = ckks.CKKSParams()


@pytest.fixture(scope="module")
def context():
    return ckks.make_context(rotations=True)


def test_chain_primes_are_seal_style_ntt_primes():
    primes = ckks.chain_primes(P)
    assert [p.bit_length() for p in primes] == [60, 40, 40, 60]
    assert all(gmpy2.is_prime(p) and p % (2 * P.poly_modulus_degree) == 1 for p in primes)
    assert primes[1] < primes[2] and primes[0] < primes[3]   # positions take the smallest first
    # no prime of the same size was skipped between 2^bits and the ones taken
    for bits, taken in ((40, {primes[1], primes[2]}), (60, {primes[0], primes[3]})):
        between = [v for v in range(2**bits - 2 * P.poly_modulus_degree + 1, min(taken) - 1,
                                    -2 * P.poly_modulus_degree) if gmpy2.is_prime(v)]
        assert set(between) == taken


def test_rescaling_bias_is_delta_over_the_dropped_prime(context):
    """TenSEAL rescales by the last 40-bit prime and calls the scale Δ again: x comes back
    as x·Δ/p. At x = 1000 the bias of either candidate prime (1.3e-4 or 6.7e-4) is far
    above the tolerance (2e-6), so this checks which of SEAL's primes is dropped, and thereby
    that chain_primes found the primes SEAL built (its bindings do not expose them)."""
    primes = ckks.chain_primes(P)
    assert abs(1000 * (2.0**40 / primes[1] - 2.0**40 / primes[2])) > 100 * 2e-6
    x = np.full(8, 1000.0)
    once = context_decrypt(context, ckks.encrypt_vector(context, x).ciphertexts[0] * 1.0)
    twice = context_decrypt(context, ckks.encrypt_vector(context, x).ciphertexts[0] * 1.0 * 1.0)
    delta = 2.0**P.scale_bits
    for got, factor in ((once, delta / primes[2]), (twice, delta**2 / (primes[2] * primes[1]))):
        np.testing.assert_allclose(got, 1000 * factor, rtol=0, atol=3 * P.rescale_error()
                                   + 3 * P.fresh_error(1000.0))


def context_decrypt(context, tenseal_vector):
    return np.asarray(tenseal_vector.decrypt(context.tenseal.secret_key()))


@pytest.mark.parametrize("clients", [1, 10])
def test_sum_is_within_the_stated_error(context, clients):
    rng = np.random.default_rng(clients)
    xs = [rng.uniform(-8, 8, P.slots + 100) for _ in range(clients)]   # two ciphertexts each
    total = ckks.encrypted_sum([ckks.encrypt_vector(context, x, max_abs=8.0) for x in xs])
    assert len(total.ciphertexts) == 2 and total.count == clients and total.max_abs == 8 * clients
    err = np.abs(ckks.decrypt_vector(context, total) - np.sum(xs, axis=0)).max()
    assert total.error == pytest.approx(clients * P.fresh_error(8.0)
                                        + 8.0 * clients * P.poly_modulus_degree * 2.0**-52)
    assert 0 < err <= total.error


def test_dot_is_within_the_stated_error(context):
    rng = np.random.default_rng(3)
    ratios = []
    for _ in range(12):
        d = int(rng.integers(2, 40))
        x, w, b = rng.uniform(-4, 4, d), rng.normal(0, 2, d), float(rng.normal())
        score = ckks.encrypted_dot(ckks.encrypt_vector(context, x, max_abs=4.0), w, intercept=b)
        assert score.level == 2 and score.max_abs == pytest.approx(4 * np.abs(w).sum() + abs(b))
        got = ckks.decrypt_vector(context, score)
        assert got.shape == (1,)
        ratios.append(abs(got[0] - (x @ w + b)) / score.error)
    assert max(ratios) <= 1.0
    assert max(ratios) > 1e-3   # the bound is loose, not meaningless


def test_a_public_context_computes_but_cannot_decrypt(context):
    public = context.public()
    assert context.is_private and not public.is_private
    enc = ckks.encrypt_vector(public, [1.5, -2.0])
    total = ckks.encrypted_sum([enc, enc])
    np.testing.assert_allclose(ckks.decrypt_vector(context, total), [3.0, -4.0],
                               atol=total.error)
    with pytest.raises(ValueError, match="no secret key"):
        ckks.decrypt_vector(public, total)


def test_bytes_and_room():
    assert P.slots == 4096 and P.depth == 2
    # values after both multiplications live modulo the 60-bit first prime alone
    assert P.room(2) == 2.0**(60 - 2 - 40)
    assert P.room(0) == 2.0**(140 - 2 - 40)
    assert ckks.CKKSParams(16384, (60, 40, 40, 40, 60), 40).depth == 3


def test_ciphertext_bytes_match_the_ring(context):
    enc = ckks.encrypt_vector(context, np.ones(10))
    raw = 2 * P.poly_modulus_degree * 3 * 8   # two polynomials, three primes, 8-byte words
    assert 0.7 * raw < ckks.ciphertext_bytes(enc) <= raw + 1000   # SEAL compresses


def test_depth_runs_out_and_is_refused(context):
    x = ckks.encrypt_vector(context, np.ones(4), max_abs=1.0)
    once = ckks.encrypted_dot(x, np.ones(4))          # two multiplications: the whole chain
    with pytest.raises(ValueError, match="0 of its chain's 2 multiplications left"):
        ckks.encrypted_dot(once, [1.0])


def test_a_score_carries_nothing_but_the_score(context):
    """TenSEAL's dot leaves partial sums of x_j·w_j (+ b) in slots 1..d: the hospital, who
    knows x, would read every weight from one score. encrypted_dot zeroes those slots."""
    x, w = np.array([0.5, -1.25, 2.0, 0.75, -0.3]), np.array([0.9, -0.4, 1.7, 0.2, -2.2])
    enc = ckks.encrypt_vector(context.public(), x, max_abs=4.0)
    raw = enc.ciphertexts[0].dot(w.tolist()) + 0.1
    leaked = ckks.decrypt_slots(context, raw)[:6]
    np.testing.assert_allclose(leaked[:-1] - leaked[1:], x * w, atol=1e-5)   # the weights
    score = ckks.encrypted_dot(enc, w, intercept=0.1)
    slots = ckks.decrypt_slots(context, score)
    assert abs(slots[0] - (x @ w + 0.1)) <= score.error
    # a slot times the encoding of 0 (rounding below N/2Δ), rescaled once, and float64
    encode = P.poly_modulus_degree / 2 / 2.0**P.scale_bits
    assert np.abs(slots[1:]).max() < score.max_abs * encode + P.rescale_error() + P.fresh_error()


def test_small_and_large_values_stay_within_their_bounds():
    """The cases a reviewer found outside the first bounds: tiny inputs (where key
    switching dominates) for several keys and lengths, and values up to 2^40 (where
    float64's encoding dominates)."""
    rng = np.random.default_rng(11)
    worst = 0.0
    for _ in range(3):
        context = ckks.make_context(rotations=True)
        for d in (7, 127, 1000):
            x, w = rng.uniform(-1e-3, 1e-3, d), rng.choice([-1e-3, 1e-3], d)
            score = ckks.encrypted_dot(ckks.encrypt_vector(context, x, max_abs=1e-3), w)
            worst = max(worst, abs(ckks.decrypt_vector(context, score)[0] - x @ w)
                        / score.error)
        big = rng.uniform(-(2.0**40), 2.0**40, 100)
        enc = ckks.encrypt_vector(context, big, max_abs=2.0**40)
        worst = max(worst, np.abs(ckks.decrypt_vector(context, enc) - big).max() / enc.error)
    assert worst <= 1.0


def test_a_vector_decrypts_only_under_its_own_key(context):
    other = ckks.make_context()
    enc = ckks.encrypt_vector(other, [1.0, 2.0])
    with pytest.raises(ValueError, match="another key"):
        ckks.decrypt_vector(context, enc)
    with pytest.raises(ValueError, match="another key"):
        ckks.decrypt_slots(context, enc)
    with pytest.raises(ValueError, match="without Galois keys"):
        ckks.encrypted_dot(enc, [1.0, 1.0])
    with pytest.raises(ValueError, match="another key"):
        ckks.encrypted_sum([enc, ckks.encrypt_vector(context, [1.0, 2.0])])


def test_overflow_is_refused_before_it_happens(context):
    big = ckks.encrypt_vector(context, [1.0], max_abs=P.room(0) * 0.6)
    with pytest.raises(ValueError, match="beyond the"):
        ckks.encrypted_sum([big, big])
    x = ckks.encrypt_vector(context, np.ones(4), max_abs=2.0**17)
    with pytest.raises(ValueError, match=r"could reach .* beyond"):
        ckks.encrypted_dot(x, [1.0] * 4)          # 2^19 > room(2) = 2^18
    with pytest.raises(ValueError, match="max_abs"):
        ckks.encrypt_vector(context, [3.0], max_abs=2.0)


def test_security_table_is_enforced():
    """The largest chain of 40-bit middle primes that fits each ring degree is accepted,
    one more prime is refused."""
    for n, bits in ckks.MAX_COEFF_BITS.items():
        if bits < 120 + 40:
            continue
        middles = (bits - 120) // 40
        ckks.CKKSParams(n, (60,) + (40,) * middles + (60,), 40)
        with pytest.raises(ValueError, match=f"more than the {bits} bits"):
            ckks.CKKSParams(n, (60,) + (40,) * (middles + 1) + (60,), 40)
    ckks.CKKSParams(1024, (9, 8, 10), 8)          # 27 bits, the most N = 1024 allows
    with pytest.raises(ValueError, match="more than the 27 bits"):
        ckks.CKKSParams(1024, (9, 8, 11), 8)


def test_fresh_error_is_lemma_1_plus_encoding():
    n = 8192
    b_clean = 8 * math.sqrt(2) * 3.2 * n + 6 * 3.2 * math.sqrt(n) + 16 * 3.2 * math.sqrt(n * n)
    assert math.isclose(P.fresh_error(), (b_clean + n / 2) / 2**40)
