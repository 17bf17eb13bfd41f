"""Encrypted vectors, packing and encrypted scoring on phe keys."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from privlearn.he import (
    EncryptedVector,
    PackedVector,
    ciphertext_bytes,
    ciphertexts_to_bytes,
    decrypt_vector,
    encrypt_vector,
    encrypted_dot,
    encrypted_sum,
    encrypted_weighted_average,
    generate_phe_keypair,
    load_phe_private_key,
    pack_encrypt,
    packed_from_bytes,
    packing_layout,
    save_phe_private_key,
    unpack_decrypt,
)

P = 2.0**-20  # precision used below; errors are at most P/2 per value and summand


def test_round_trip_and_shape(small_phe_keys):
    pk, sk = small_phe_keys
    x = np.array([[0.5, -1.25], [3.0, -1e-3]])
    out = decrypt_vector(sk, encrypt_vector(pk, x, precision=P))
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out, x, atol=P / 2)
    assert isinstance(decrypt_vector(sk, encrypt_vector(pk, 2.5, precision=P)), float)


@settings(max_examples=15, deadline=None)
@given(data=hnp.arrays(np.float64, (3, 6), elements=st.floats(-100, 100)),
       weights=st.lists(st.integers(0, 50), min_size=3, max_size=3).filter(lambda w: sum(w)))
def test_sums_and_weighted_averages_match_numpy(small_phe_keys, data, weights):
    pk, sk = small_phe_keys
    enc = [encrypt_vector(pk, row, precision=P) for row in data]
    np.testing.assert_allclose(decrypt_vector(sk, encrypted_sum(enc)), data.sum(0),
                               atol=3 * P)
    np.testing.assert_allclose(decrypt_vector(sk, encrypted_weighted_average(enc, weights)),
                               np.average(data, axis=0, weights=weights), atol=P)


def test_float_weights(small_phe_keys):
    pk, sk = small_phe_keys
    rows = np.array([[1.0, -2.0], [3.0, 4.0]])
    enc = [encrypt_vector(pk, r, precision=P) for r in rows]
    got = decrypt_vector(sk, encrypted_weighted_average(enc, [0.3, 0.7]))
    np.testing.assert_allclose(got, 0.3 * rows[0] + 0.7 * rows[1], atol=1e-5)


@settings(max_examples=10, deadline=None)
@given(data=hnp.arrays(np.float64, (4, 300), elements=st.floats(-8, 8)))
def test_packed_sums_decrypt_like_unpacked_ones(phe_keys, data):
    pk, sk = phe_keys
    packed = [pack_encrypt(pk, row, precision=P, max_summands=4, max_abs=8) for row in data]
    assert len(packed[0]) < 300 / 10                 # at least 10 values per ciphertext
    got = unpack_decrypt(sk, encrypted_sum(packed))
    np.testing.assert_allclose(got, data.sum(0), atol=4 * P)
    weighted = unpack_decrypt(sk, encrypted_weighted_average(packed[:2], [1, 1]))
    np.testing.assert_allclose(weighted, data[:2].mean(0), atol=P)


def test_packing_layout_numbers(phe_keys):
    pk, _ = phe_keys
    m, bits, slots = packing_layout(pk, precision=2**-10, max_summands=5, max_abs=4)
    assert m == 4 * 1024 and bits == (2 * m * 5).bit_length() and 2 * m * 5 < 2**bits
    assert slots == (pk.n.bit_length() - 1) // bits


def test_packed_sum_beyond_max_summands_is_refused(small_phe_keys):
    pk, _ = small_phe_keys
    packed = [pack_encrypt(pk, [1.0, -1.0], precision=P, max_summands=2, max_abs=1)
              for _ in range(3)]
    encrypted_sum(packed[:2])
    with pytest.raises(OverflowError, match="max_summands=2"):
        encrypted_sum(packed)
    with pytest.raises(OverflowError, match="max_summands"):
        encrypted_weighted_average(packed[:2], [2, 1])
    with pytest.raises(TypeError, match="integer weights"):
        encrypted_weighted_average(packed[:2], [0.5, 0.5])


def test_unpacked_overflow_is_refused_before_it_happens(small_phe_keys):
    pk, sk = small_phe_keys
    big = pk.max_int * P * 0.9                        # each fits, their sum does not
    enc = [encrypt_vector(pk, [big], precision=P, max_abs=big) for _ in range(2)]
    with pytest.raises(OverflowError, match="could wrap"):
        encrypted_sum(enc)
    # a vector that lies about its bound is still caught at decryption (phe's band)
    liars = [replace(e, max_abs_int=1) for e in enc]
    with pytest.raises(OverflowError, match="overflow band"):
        decrypt_vector(sk, encrypted_sum(liars))


def test_encrypted_dot_scores_like_plaintext(small_phe_keys):
    pk, sk = small_phe_keys
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(5, 4)), rng.normal(size=4)
    enc = encrypt_vector(pk, x, precision=P)
    got = decrypt_vector(sk, encrypted_dot(enc, w, intercept=-0.75))
    np.testing.assert_allclose(got, x @ w - 0.75, atol=1e-4)
    one = decrypt_vector(sk, encrypted_dot(encrypt_vector(pk, x[0], precision=P), w))
    assert one == pytest.approx(x[0] @ w, abs=1e-4)


@pytest.mark.parametrize("call, exc, words", [
    (lambda pk: encrypt_vector(pk, [1.0, float("nan")]), ValueError, "finite"),
    (lambda pk: encrypt_vector(pk, [float("inf")]), ValueError, "finite"),
    (lambda pk: encrypt_vector(pk, []), ValueError, "empty"),
    (lambda pk: encrypt_vector(pk, ["a"]), TypeError, "values"),
    (lambda pk: encrypt_vector(pk, [1e40], precision=1e-40), ValueError, "must satisfy"),
    (lambda pk: encrypt_vector(pk, [1.0], precision=0.0), ValueError, "precision"),
    (lambda pk: encrypt_vector("key", [1.0]), TypeError, "public_key"),
    (lambda pk: pack_encrypt(pk, [2.0], precision=P, max_summands=2, max_abs=1.0),
     ValueError, "max_abs"),
    (lambda pk: pack_encrypt(pk, [0.5], precision=1e-80, max_summands=2, max_abs=1.0),
     ValueError, "does not fit"),
    (lambda pk: pack_encrypt(pk, [0.5], precision=P, max_summands=0, max_abs=1.0),
     ValueError, "max_summands"),
    (lambda pk: encrypted_sum([]), ValueError, "non-empty"),
    (lambda pk: encrypted_weighted_average([encrypt_vector(pk, [1.0])], [-1]), ValueError,
     "weights"),
    (lambda pk: encrypted_weighted_average([encrypt_vector(pk, [1.0])], [0]), ValueError,
     "positive sum"),
    (lambda pk: encrypted_dot(encrypt_vector(pk, [1.0, 2.0]), [1.0]), ValueError, "weights"),
])
def test_bad_input(small_phe_keys, call, exc, words):
    pk, _ = small_phe_keys
    with pytest.raises(exc, match=words):
        call(pk)


def test_mismatches_are_refused(small_phe_keys):
    pk, sk = small_phe_keys
    other_pk, other_sk = generate_phe_keypair(insecure_n_bits=256)
    a = encrypt_vector(pk, [1.0, 2.0])
    with pytest.raises(ValueError, match="another key"):
        encrypted_sum([a, encrypt_vector(other_pk, [1.0, 2.0])])
    with pytest.raises(ValueError, match="another key"):
        decrypt_vector(other_sk, a)
    with pytest.raises(ValueError, match="shape"):
        encrypted_sum([a, encrypt_vector(pk, [1.0])])
    with pytest.raises(ValueError, match="scale"):
        encrypted_sum([a, encrypt_vector(pk, [1.0, 2.0], precision=0.5)])
    packed = pack_encrypt(pk, [1.0, 2.0], precision=P, max_summands=2, max_abs=2)
    with pytest.raises(TypeError, match="do not mix"):
        encrypted_sum([a, packed])
    with pytest.raises(TypeError, match="EncryptedVector"):
        decrypt_vector(sk, packed)
    assert isinstance(a, EncryptedVector) and isinstance(packed, PackedVector)


def test_a_packed_vector_travels_as_bytes_and_is_rebuilt_from_the_agreed_layout(phe_keys):
    """What a Flower client sends and the server rebuilds: the same ciphertexts, whose
    weighted sum, sent on and rebuilt again, decrypts to the weighted average."""
    pk, sk = phe_keys
    layout = {"precision": 2.0**-24, "max_abs": 8.0, "max_summands": 100}
    rng = np.random.default_rng(3)
    xs = [rng.uniform(-8, 8, size=120) for _ in range(3)]
    sent = [pack_encrypt(pk, x, **layout) for x in xs]
    blobs = [ciphertexts_to_bytes(v) for v in sent]
    assert {len(b) for bs in blobs for b in bs} == {ciphertext_bytes(pk)} == {512}
    rebuilt = [packed_from_bytes(pk, b, shape=(120,), **layout) for b in blobs]
    assert rebuilt == sent
    total = encrypted_weighted_average(rebuilt, [10, 20, 30])
    again = packed_from_bytes(pk, ciphertexts_to_bytes(total), shape=(120,), summands=60,
                              divisor=60, **layout)
    assert again == total
    exact = sum(w * np.round(x * 2**24)
                for w, x in zip([10, 20, 30], xs, strict=True)) / 2**24 / 60
    np.testing.assert_array_equal(unpack_decrypt(sk, again), exact)


def test_ciphertexts_to_bytes_of_an_unpacked_vector(small_phe_keys):
    pk, _ = small_phe_keys
    v = encrypt_vector(pk, [0.5, -2.0], precision=P)
    assert [int.from_bytes(b, "big") for b in ciphertexts_to_bytes(v)] == list(v.ciphertexts)
    with pytest.raises(TypeError, match="vector must be an EncryptedVector or PackedVector"):
        ciphertexts_to_bytes(list(v.ciphertexts))


def test_a_key_file_round_trips_and_only_its_owner_can_read_it(phe_keys, tmp_path):
    pk, sk = phe_keys
    path = save_phe_private_key(tmp_path / "key.json", sk)
    assert path.stat().st_mode & 0o777 == 0o600
    public, private = load_phe_private_key(path)
    assert public == pk and (private.p, private.q) == (sk.p, sk.q)
    with pytest.raises(FileExistsError):  # never overwritten
        save_phe_private_key(path, sk)


def test_a_key_file_must_hold_two_distinct_primes(phe_keys, tmp_path):
    import json

    _, sk = phe_keys
    for i, (p, q) in enumerate([(sk.p, sk.p), (sk.p + 2, sk.q), (sk.p, 15)]):
        path = tmp_path / f"k{i}.json"
        path.write_text(json.dumps({"kind": "privlearn phe private key", "p": format(p, "x"),
                                    "q": format(q, "x")}))
        with pytest.raises(ValueError, match="must hold two distinct primes"):
            load_phe_private_key(path)
