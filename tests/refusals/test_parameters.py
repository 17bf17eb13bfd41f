"""Class 5: parameters are what they claim (a prime is prime, a secure key is long enough,
an insecure option says so, a flag is a bool)."""

import numpy as np
import pytest
from phe import paillier as phe

from privlearn import data, dp, fl, he, mpc
from privlearn.he.paillier import is_probable_prime
from privlearn.mpc.secure_aggregation import prg

from ._cases import Case, check, ids

COVERS = {"he.generate_phe_keypair", "he.check_public_key", "he.encrypted_dot"}

CASES = [
    Case("mpc.shamir_share", "a composite modulus 16",
         lambda c: mpc.shamir_share(3, num_shares=3, threshold=2, prime=16),
         ValueError, r"prime must be a prime", r"got 16"),
    Case("mpc.shamir_share", "the composite modulus 2^31",
         lambda c: mpc.shamir_share(3, num_shares=3, threshold=2, prime=2**31),
         ValueError, r"prime must be a prime", r"got 2147483648"),
    Case("mpc.shamir_reconstruct", "shares of different thresholds",
         lambda c: mpc.shamir_reconstruct([mpc.Share(1, 5, 1613, 2), mpc.Share(2, 7, 1613, 3),
                                           mpc.Share(3, 9, 1613, 3)], prime=1613),
         ValueError, r"shares have different thresholds", r"\[2, 3\]"),
    Case("mpc.Share", "a share from another field",
         lambda c: mpc.shamir_reconstruct([mpc.Share(1, 5, 1613, 2), mpc.Share(2, 7, 1613, 2)]),
         ValueError, r"shares\[0\] is over GF\(1613\)", r"not GF\(2147483647\)"),
    Case("mpc.lagrange_at_zero", "x = 0 (the secret itself)",
         lambda c: mpc.lagrange_at_zero([0, 1], 7), ValueError, r"xs\[0\] = 0 is 0 mod p",
         r"= 0"),
    Case("mpc.lagrange_at_zero", "x equal mod p",
         lambda c: mpc.lagrange_at_zero([1, 8], 7), ValueError, r"xs must be distinct mod p",
         r"xs\[1\] = 8"),
    Case("mpc.insecure_deterministic_randomness", "seed=None (gave one fixed stream)",
         lambda c: mpc.insecure_deterministic_randomness(None).__enter__(), TypeError,
         r"seed must be an integer", r"None"),
    Case("mpc.prg", "a 5-byte seed",
         lambda c: prg(b"12345", 4), ValueError, r"seed must be 16 bytes", r"got 5 bytes"),
    Case("mpc.prg", "a negative length (returned [])",
         lambda c: prg(bytes(16), -5), ValueError, r"length must be an integer >= 0",
         r"got -5"),
    Case("he.encrypt_vector", "a phe key under 2048 bits without the insecure opt-in",
         lambda c: he.encrypt_vector(phe.generate_paillier_keypair(n_length=256)[0], [1.0]),
         ValueError, r"public_key has a 256-bit modulus", r"insecure_n_bits=256"),
    Case("he.generate_phe_keypair", "n_bits under 2048",
         lambda c: he.generate_phe_keypair(1024), ValueError, r"n_bits must be even and >= 2048",
         r"got 1024"),
    Case("he.generate_keypair", "n_bits and insecure_n_bits together (gave the short key)",
         lambda c: he.generate_keypair(4096, insecure_n_bits=64), ValueError,
         r"give n_bits or insecure_n_bits, not both", r"n_bits=4096, insecure_n_bits=64"),
    Case("he.PublicKey", "a prime modulus",
         lambda c: he.PublicKey(17), ValueError, r"n must be an odd product of two distinct",
         r"got 17"),
    Case("he.PublicKey", "a square modulus",
         lambda c: he.PublicKey(25), ValueError, r"not a square", r"got 25"),
    Case("he.PrivateKey", "a composite p",
         lambda c: he.PrivateKey(15, 7), ValueError, r"p must be prime", r"got 15"),
    Case("he.packing_layout", "max_summands = 0",
         lambda c: he.packing_layout(c.pk, precision=2.0**-10, max_summands=0, max_abs=1.0),
         ValueError, r"max_summands must be an integer >= 1", r"got 0"),
    Case("fl.PaillierAggregator", "a private key from another pair",
         lambda c: fl.PaillierAggregator(c.pk, c.other_sk),
         ValueError, r"private_key must be the private half of public_key",
         r"PaillierPrivateKey"),
    Case("fl.PaillierAggregator", "packed='no' (meant True)",
         lambda c: fl.PaillierAggregator(c.pk, c.sk, packed="no"),
         TypeError, r"packed must be True or False", r"'no'"),
    Case("fl.PaillierAggregator", "max_summands without packing (was ignored)",
         lambda c: fl.PaillierAggregator(c.pk, c.sk, max_summands=3),
         ValueError, r"max_summands sizes packed slots", r"max_summands=3"),
    Case("dp.unary_probabilities", "optimized='no' (meant True)",
         lambda c: dp.unary_probabilities(epsilon=1.0, optimized="no"), TypeError,
         r"optimized must be True or False", r"'no'"),
    Case("data.load_digits", "scale='no' (meant True)",
         lambda c: data.load_digits(rng=0, scale="no"), TypeError,
         r"scale must be True or False", r"'no'"),
    Case("data.load_breast_cancer", "standardize=1",
         lambda c: data.load_breast_cancer(rng=0, standardize=1), TypeError,
         r"standardize must be True or False", r"int 1"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_refused(case, ctx):
    check(case, ctx)


def test_insecure_phe_keys_work_when_asked_for_by_name(ctx):
    assert he.check_public_key(ctx.pk) is ctx.pk          # made with insecure_n_bits=256
    assert he.decrypt_vector(ctx.sk, he.encrypt_vector(ctx.pk, 1.5)) == 1.5


def test_encrypted_dot_never_returns_a_readable_ciphertext(ctx):
    """Weights that all round to 0 used to leave g^b with r = 1: 1 + b·n mod n², which
    anyone reads as b = (c − 1)/n. Every result is now re-randomised."""
    enc = he.encrypt_vector(ctx.pk, [1.0, 2.0], precision=2.0**-20)
    out = he.encrypted_dot(enc, [1e-9, -1e-9], intercept=3.0, weight_precision=2.0**-20)
    m = round(3.0 / 2.0**-40)
    assert out.ciphertexts[0] != (1 + m * ctx.pk.n) % ctx.pk.nsquare
    assert (out.ciphertexts[0] - 1) % ctx.pk.n != 0
    assert he.decrypt_vector(ctx.sk, out) == 3.0
    again = he.encrypted_dot(enc, [1e-9, -1e-9], intercept=3.0, weight_precision=2.0**-20)
    assert again.ciphertexts != out.ciphertexts


def test_shamir_accepts_primes_of_both_paths():
    assert is_probable_prime(2**127 - 1) and not is_probable_prime(2**127 + 1)
    for p in (1613, 2**31 - 1, 2**127 - 1):
        shares = mpc.shamir_share(np.int64(5), num_shares=3, threshold=2, prime=p)
        assert mpc.shamir_reconstruct(shares[1:], prime=p) == 5
