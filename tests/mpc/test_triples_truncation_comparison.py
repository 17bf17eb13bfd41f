"""Dealer-free triples (c = a·b, usable by Beaver multiplication), SecureML truncation
(error one unit in the last place, failures at the exact rate |z| / 2^64 and within the
paper's bound), and secure comparison (the sign bit of every input, edges included)."""

import math

import numpy as np
import pytest

from privlearn import he, mpc

KEYS = he.generate_keypair(insecure_n_bits=512)   # INSECURE size: the arithmetic is the same


def _open(shares):
    return mpc.additive_reconstruct(shares)


# --- dealer-free triples ----------------------------------------------------------------

def test_paillier_triples_satisfy_c_equals_ab():
    triple, cost = mpc.paillier_triple((4, 5), keypair=KEYS)
    a, b, c = _open(triple.a), _open(triple.b), _open(triple.c)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(a * b, c)
    assert triple.a.shape == (2, 4, 5) and triple.state == "fresh"
    assert (cost.triples, cost.ciphertexts_to_bob, cost.ciphertexts_to_alice) == (20, 40, 20)
    assert cost.bytes_to_bob == 40 * 128 and cost.bytes_to_alice == 20 * 128   # n^2: 1024 bits


def test_paillier_triples_multiply_like_the_dealers():
    x = np.array([3.5, -2.25, 1e3, -7.0])
    y = np.array([-2.0, 4.0, 0.001, -0.5])
    sx, sy = (mpc.additive_share(mpc.encode_fixed(v), num_parties=2) for v in (x, y))
    triple, _ = mpc.paillier_triple(4, keypair=KEYS)
    z = mpc.decode_fixed(_open(mpc.beaver_multiply(sx, sy, triple)), frac_bits=32)
    exact = mpc.decode_fixed(mpc.encode_fixed(x)) * mpc.decode_fixed(mpc.encode_fixed(y))
    np.testing.assert_allclose(z, exact, rtol=0, atol=2.0**-32)


def test_paillier_triples_are_reproducible_only_in_the_insecure_demo_mode():
    with mpc.insecure_deterministic_randomness(7):
        first, _ = mpc.paillier_triple(3, keypair=KEYS)
    with mpc.insecure_deterministic_randomness(7):
        second, _ = mpc.paillier_triple(3, keypair=KEYS)
    third, _ = mpc.paillier_triple(3, keypair=KEYS)
    np.testing.assert_array_equal(first.c, second.c)   # Paillier's own coins do not matter
    assert not np.array_equal(first.a, third.a)


def test_alice_sees_the_cross_term_only_under_a_mask(monkeypatch):
    """What Alice decrypts is v = a_A·b_B + b_A·a_B + r with r uniform below 2^(129+40):
    recorded at her decryption, v minus the cross term (computed here from both parties'
    shares) is below 2^169, and r has the bit lengths of a uniform draw (its top bit set
    half the time, 6 sd over 1,000 triples), so v hides the cross term (< 2^129) to
    within 2^-40. Without the mask, v would equal the cross term."""
    seen = []
    decrypt = he.decrypt

    def recording(key, c):
        seen.append(decrypt(key, c))
        return seen[-1]

    monkeypatch.setattr(he, "decrypt", recording)
    with mpc.insecure_deterministic_randomness(51):     # seeded: the 6 sd bound never flakes
        triple, _ = mpc.paillier_triple(1000, keypair=KEYS)
    a_alice, b_alice = triple.a[0].tolist(), triple.b[0].tolist()
    a_bob, b_bob = triple.a[1].tolist(), triple.b[1].tolist()
    masks = [v - (aa * bb + ba * ab) for v, aa, ba, ab, bb
             in zip(seen, a_alice, b_alice, a_bob, b_bob, strict=True)]
    assert all(0 <= r < 2**169 for r in masks)
    top = sum(r >> 168 for r in masks)
    assert abs(top - 500) < 6 * math.sqrt(1000 / 4)
    assert max(aa * bb + ba * ab for aa, ba, ab, bb
               in zip(a_alice, b_alice, a_bob, b_bob, strict=True)) < 2**129


def test_a_cheating_alice_reads_bobs_share(monkeypatch):
    """Why the protocol is semi-honest only (as its docstring says): an Alice who encrypts
    2^200 in place of a_A decrypts v = 2^200·b_B + (b_A·a_B + r) and reads b_B = v >> 200."""
    encrypt, decrypt, seen = he.encrypt, he.decrypt, []

    def cheating_encrypt(pk, m):
        seen.append("call")
        return encrypt(pk, 2**200 if len(seen) == 1 else m)   # her first ciphertext: E(a_A)

    def recording_decrypt(key, c):
        seen.append(decrypt(key, c))
        return seen[-1]

    monkeypatch.setattr(he, "encrypt", cheating_encrypt)
    monkeypatch.setattr(he, "decrypt", recording_decrypt)
    triple, _ = mpc.paillier_triple(1, keypair=KEYS)
    assert seen[-1] >> 200 == int(triple.b[1][0])


def test_a_key_too_small_for_the_mask_is_refused():
    small = he.generate_keypair(insecure_n_bits=160)
    with pytest.raises(ValueError, match=r"at least 171 bits .* got 160 bits"):
        mpc.paillier_triple(1, keypair=small)


# --- truncation ------------------------------------------------------------------------

@pytest.mark.parametrize("bound_bits", [40, 56, 60])
def test_truncation_error_and_failure_rate(bound_bits):
    """Outside failures the result is ⌊z/2^16⌋ or one more. Failures happen with
    probability |z|/2^64 for each z (so their count is a sum of Bernoullis, checked to 5 sd)
    and never above the paper's 2^(ℓ_x+1−64)."""
    rng = np.random.default_rng(bound_bits)
    n = 200_000
    z = rng.integers(-(2**bound_bits), 2**bound_bits, n, dtype=np.int64)
    with mpc.insecure_deterministic_randomness(bound_bits):
        shares = mpc.additive_share(z, num_parties=2)
    out = _open(mpc.truncate_shares(shares, max_abs=2.0 ** (bound_bits - 32), frac_bits=16,
                                    max_failure=1.0)).view(np.int64)
    diff = out - (z >> 16)
    failed = (diff != 0) & (diff != 1)
    p = np.abs(z).astype(np.float64) / 2.0**64
    expected, sd = p.sum(), math.sqrt((p * (1 - p)).sum())
    assert abs(failed.sum() - expected) <= 5 * sd + 1
    assert failed.mean() <= mpc.truncation_failure_bound(2.0 ** (bound_bits - 32),
                                                        frac_bits=16)
    assert np.all(np.abs(diff[failed]) > 2**40)          # a failure is garbage, not an error
    assert {0, 1} == set(np.unique(diff[~failed]).tolist())


def test_truncation_keeps_a_chain_of_products_in_range():
    """x^12 for x = 1.1 by Beaver products at f = 16: without truncation the fractional
    bits double each time and the ring overflows by the fifth product; with it the result
    is within a few units in the last place per product."""
    x = 1.1
    with mpc.insecure_deterministic_randomness(12):   # seeded: failure 11·2^-27 otherwise
        sx = mpc.additive_share(mpc.encode_fixed(x), num_parties=2)
        acc = sx
        for _ in range(11):
            z = mpc.beaver_multiply(acc, sx, mpc.beaver_triple(num_parties=2))
            acc = mpc.truncate_shares(z, max_abs=8.0)
    got = mpc.decode_fixed(_open(acc))
    assert abs(got - mpc.decode_fixed(mpc.encode_fixed(x)) ** 12) < 12 * 4 * 2.0**-16


def test_truncation_refuses_a_likely_failure_and_more_parties():
    z = mpc.additive_share(np.zeros(3, dtype=np.int64), num_parties=2)
    with pytest.raises(ValueError, match=r"fails with probability up to 0\.125"):
        mpc.truncate_shares(z, max_abs=2.0**27, frac_bits=16)   # 2^27·2^32 = 2^59 < 2^60: 2^-3
    with pytest.raises(ValueError, match="two-party protocol"):
        mpc.truncate_shares(mpc.additive_share(np.zeros(3, dtype=np.int64), num_parties=3),
                            max_abs=1.0)


def test_the_failure_bound_is_the_papers_at_every_edge():
    """ℓ_x is the least ℓ with |z| < 2^ℓ, exactly: |z| up to 2^52 − 1 is 52 bits (a float
    log2 would round 2^52 − 1 up), 2^52 itself 53. (Bounds are floats: above 2^53, 2^bits − 1
    is not one.)"""
    for bits in (1, 20, 40, 52):
        below = (2**bits - 1) / 2**32
        assert mpc.truncation_failure_bound(below) == 2.0 ** (bits + 1 - 64)
        assert mpc.truncation_failure_bound(2.0**bits / 2**32) == 2.0 ** (bits + 2 - 64)
    assert mpc.truncation_failure_bound(0.0) == 2.0**-63
    assert mpc.truncation_failure_bound(1e300, frac_bits=31) == 1.0   # beyond the ring


def test_truncation_of_a_zero_share_uses_the_papers_formula():
    """Party 1's share 0: 2^64 − ⌊2^64 / 2^f⌋, not 0 (uint64 arithmetic would give 0)."""
    z = np.array([[np.uint64(2**64 - 2**20)], [np.uint64(0)]], dtype=np.uint64)   # z = −2^20
    out = _open(mpc.truncate_shares(z, max_abs=1.0, frac_bits=16)).view(np.int64)
    assert out.tolist() == [-16]


# --- comparison ------------------------------------------------------------------------

def test_sign_bit_is_right_everywhere_and_costs_what_it_says():
    rng = np.random.default_rng(5)
    edges = np.array([0, -1, 1, 2**62, -(2**62), 2**63 - 1, -(2**63)], dtype=np.int64)
    x = np.concatenate([edges, rng.integers(-(2**63), 2**63 - 1, 20_000, dtype=np.int64,
                                            endpoint=True)])
    bits, cost = mpc.sign_bit(mpc.additive_share(x, num_parties=2))
    assert bits.dtype == np.uint8 and bits.shape == (2, x.size)
    np.testing.assert_array_equal((bits[0] ^ bits[1]).astype(bool), x < 0)
    # ripple carry over 64 bits: 63 ANDs a_i ∧ b_i in one round, then 62 carries, one a round
    assert (cost.and_gates, cost.rounds, cost.bits_sent_per_party) == (125, 63, 250)


def test_sign_bit_shares_alone_are_uniform():
    """Each party's bit share is independent of the sign: over 20,000 negative inputs,
    party 0's share is 1 about half the time (6 sd)."""
    x = -np.arange(1, 20_001, dtype=np.int64)
    with mpc.insecure_deterministic_randomness(20):   # seeded: 6 sd never flakes
        bits, _ = mpc.sign_bit(mpc.additive_share(x, num_parties=2))
    assert abs(int(bits[0].sum()) - 10_000) < 6 * math.sqrt(20_000 / 4)


def test_sign_bit_refuses_three_parties():
    with pytest.raises(ValueError, match="two parties' shares"):
        mpc.sign_bit(mpc.additive_share(np.zeros(2, dtype=np.int64), num_parties=3))
