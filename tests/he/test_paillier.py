"""Paillier from scratch: known answers, interoperability with phe, properties, bad input."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phe import paillier as phe

from privlearn.he import paillier as P


def test_known_answer_p17_q19():
    """p = 17, q = 19, g = n + 1, m = 42, r = 23 gives c = 35763."""
    sk = P.PrivateKey(17, 19)
    pk = sk.public_key
    assert (pk.n, pk.g, pk.nsquare) == (323, 324, 104329)
    assert sk.lam == 144 and sk.lam * sk.mu % 323 == 1
    c = P.raw_encrypt(pk, 42, 23)
    assert c.value == 35763
    assert c.value == pow(324, 42, 104329) * pow(23, 323, 104329) % 104329  # g^m r^n
    assert P.decrypt(sk, c) == 42 and P.decrypt_textbook(sk, c) == 42


def test_interoperates_with_phe_both_ways():
    pk, sk = P.generate_keypair(insecure_n_bits=512)
    phe_pk = phe.PaillierPublicKey(pk.n)
    phe_sk = phe.PaillierPrivateKey(phe_pk, sk.p, sk.q)
    for m in (0, 1, 42, 123456789, pk.max_plaintext):
        ours = P.encrypt(pk, m)
        assert phe_sk.raw_decrypt(ours.value) == m
        theirs = phe_pk.raw_encrypt(m)
        assert P.decrypt(sk, P.Ciphertext(theirs, pk)) == m
    # the same r gives the same ciphertext in both implementations
    assert P.raw_encrypt(pk, 77, 12345).value == phe_pk.raw_encrypt(77, r_value=12345)


def test_negative_numbers_round_trip(own_keys):
    pk, sk = own_keys
    for m in (-1, -42, -pk.max_plaintext):
        assert P.decrypt(sk, P.encrypt(pk, m)) == m
    assert phe.PaillierPrivateKey(phe.PaillierPublicKey(pk.n), sk.p, sk.q).raw_decrypt(
        P.encrypt(pk, -1).value) == pk.n - 1


@settings(max_examples=40, deadline=None)
@given(a=st.integers(-10**40, 10**40), b=st.integers(-10**40, 10**40),
       k=st.integers(-10**6, 10**6))
def test_homomorphic_properties(own_keys, a, b, k):
    pk, sk = own_keys
    ca, cb = P.encrypt(pk, a), P.encrypt(pk, b)
    assert P.decrypt(sk, P.add(pk, ca, cb)) == a + b
    assert P.decrypt(sk, P.mul_plain(pk, ca, k)) == k * a
    assert P.decrypt(sk, P.add_plain(pk, ca, k)) == a + k
    assert P.decrypt_textbook(sk, ca) == a


def test_encryption_is_randomised(own_keys):
    pk, sk = own_keys
    cts = [P.encrypt(pk, 7) for _ in range(5)]
    assert len({c.value for c in cts}) == 5
    assert {P.decrypt(sk, c) for c in cts} == {7}


def test_randomness_hook_makes_encryption_reproducible(monkeypatch):
    sk = P.PrivateKey(17, 19)
    monkeypatch.setattr(P, "_random_below", lambda bound: 23)
    assert P.encrypt(sk.public_key, 42).value == 35763


def test_generated_keys_have_the_requested_size_and_primes():
    pk, sk = P.generate_keypair(insecure_n_bits=256)
    assert pk.bits == 256 and sk.p * sk.q == pk.n
    assert P.is_probable_prime(sk.p) and P.is_probable_prime(sk.q)


def test_default_key_is_2048_bits():
    pk, sk = P.generate_keypair()
    assert pk.bits == 2048 and P.decrypt(sk, P.encrypt(pk, -5)) == -5


def test_miller_rabin_on_known_numbers():
    assert all(P.is_probable_prime(p) for p in (2, 3, 5, 7919, 2**61 - 1, 2**127 - 1))
    carmichael = (561, 1105, 1729, 2465, 2821, 6601, 8911)
    assert not any(P.is_probable_prime(c) for c in carmichael)
    assert not P.is_probable_prime((2**61 - 1) * (2**31 - 1))


@pytest.mark.parametrize("call, exc, words", [
    (lambda: P.generate_keypair(1024), ValueError, "insecure_n_bits"),
    (lambda: P.generate_keypair(insecure_n_bits=32), ValueError, "insecure_n_bits"),
    (lambda: P.generate_keypair(2048.0), TypeError, "n_bits"),
    (lambda: P.PrivateKey(17, 17), ValueError, "distinct"),
    (lambda: P.PrivateKey(15, 19), ValueError, "p must be prime"),
    (lambda: P.PrivateKey(17, 19.0), TypeError, "q"),
    (lambda: P.PublicKey(16), ValueError, "odd"),
    (lambda: P.encrypt(P.PrivateKey(17, 19).public_key, 200), ValueError, "m must satisfy"),
    (lambda: P.encrypt(P.PrivateKey(17, 19).public_key, 1.5), TypeError, "m must be an integer"),
    (lambda: P.encrypt(P.PrivateKey(17, 19).public_key, True), TypeError, "m"),
    (lambda: P.encrypt(323, 1), TypeError, "public_key"),
    (lambda: P.raw_encrypt(P.PrivateKey(17, 19).public_key, 1, 17), ValueError, "r must be"),
])
def test_bad_input(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_ciphertext_from_another_key_is_refused():
    sk1, sk2 = P.PrivateKey(17, 19), P.PrivateKey(23, 29)
    c = P.encrypt(sk1.public_key, 3)
    with pytest.raises(ValueError, match="another key"):
        P.decrypt(sk2, c)
    with pytest.raises(ValueError, match="another key"):
        P.add(sk2.public_key, c, P.encrypt(sk2.public_key, 1))
    with pytest.raises(TypeError, match="Ciphertext"):
        P.decrypt(sk1, 35763)
    with pytest.raises(ValueError, match="outside"):
        P.decrypt(sk1, P.Ciphertext(10**9, sk1.public_key))


def test_private_key_repr_hides_the_primes():
    assert "17" not in repr(P.PrivateKey(17, 19)) and math.gcd(17, 19) == 1
