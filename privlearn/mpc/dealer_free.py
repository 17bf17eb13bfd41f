"""Beaver triples without a dealer: two parties make them with Paillier encryption.

:func:`~privlearn.mpc.beaver_triple` plays a trusted dealer that knows every a, b and c.
Here Alice and Bob make a triple themselves (the two-party multiplication of Gilboa 1999,
"Two party RSA key generation", CRYPTO, done with additively homomorphic encryption as in
the offline phases of SPDZ-style protocols). Each draws its own shares (a_A, b_A) and
(a_B, b_B) of a and b in Z_2^64; then

    c = a·b = a_A·b_A + a_B·b_B + (a_A·b_B + b_A·a_B),

where each party computes its own term, and the cross term is made without revealing it:

1. Alice sends E(a_A) and E(b_A) under her own Paillier key;
2. Bob returns E(a_A·b_B + b_A·a_B + r) = E(a_A)^{b_B} · E(b_A)^{a_B} · E(r), with r a
   random mask σ bits longer than the cross term (< 2^129), so that the sum never wraps
   modulo n and r hides it statistically (to within 2^-σ);
3. Alice decrypts v and keeps c_A = a_A·b_A + v, Bob keeps c_B = a_B·b_B − r (mod 2^64).

Then c_A + c_B = a·b mod 2^64. Alice sees only v, which the mask makes close to uniform;
Bob sees only ciphertexts under Alice's key. So nobody ever knows a, b or c: the dealer of
notebook 03d is gone. This uses :mod:`privlearn.he` (DESIGN.md allows it for protocols that
need HE and MPC).

Semi-honest only. A party that deviates can do worse than spoil the triple. Bob can return
anything, and c ≠ a·b goes unnoticed. Alice can encrypt a value far beyond 2^64 in place of
a_A, for instance a_A = 2^200: then v = 2^200·b_B + (b_A·a_B + r), and v >> 200 is Bob's share
b_B. SPDZ-style protocols stop both: zero-knowledge proofs that each ciphertext holds a
plaintext of bounded size, MACs on the shares, and a second triple "sacrificed" to check
each one (Damgård, Pastro, Smart & Zakarias 2012).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import he
from .._validation import check_int
from .beaver import BeaverTriple
from .randomness import random_bytes, random_uint64

__all__ = ["TripleCost", "paillier_triple"]

_CROSS_BITS = 2 * 64 + 1   # a_A·b_B + b_A·a_B < 2^129


@dataclass(frozen=True)
class TripleCost:
    """What making triples cost: messages each way and each party's seconds."""

    triples: int
    ciphertexts_to_bob: int
    ciphertexts_to_alice: int
    bytes_to_bob: int
    bytes_to_alice: int
    seconds_alice: float
    seconds_bob: float


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, (tuple, list)):
        return tuple(check_int(f"shape[{i}]", d, low=0) for i, d in enumerate(shape))
    return (check_int("shape", shape, low=0),)


def paillier_triple(shape: int | tuple[int, ...] = (), *,
                    keypair: tuple[he.PublicKey, he.PrivateKey] | None = None,
                    statistical_security: int = 40) -> tuple[BeaverTriple, TripleCost]:
    """Two parties make Beaver triples over Z_2^64 with Paillier, without a dealer.

    Parameters
    ----------
    shape : int or tuple of int
        How many triples, as an array shape (one per element).
    keypair : (he.PublicKey, he.PrivateKey), optional
        Alice's Paillier key pair (by default a fresh 2048-bit one). Its plaintexts must
        hold the masked cross term, below 2^129 + 2^(129 + σ), as a positive number: about
        131 + ``statistical_security`` bits.
    statistical_security : int
        σ in [20, 128]: the mask r is σ bits longer than the cross term, which it hides to
        within statistical distance 2^-σ.

    Returns
    -------
    (BeaverTriple, TripleCost)
        Shares for two parties (row 0 Alice's, row 1 Bob's), ready for
        :func:`~privlearn.mpc.beaver_multiply`; and the messages and seconds it took.

    Examples
    --------
    >>> from privlearn import he
    >>> from privlearn.mpc import additive_reconstruct
    >>> keys = he.generate_keypair(insecure_n_bits=512)
    >>> triple, cost = paillier_triple(3, keypair=keys)
    >>> a, b, c = (additive_reconstruct(s) for s in (triple.a, triple.b, triple.c))
    >>> bool(np.array_equal(a * b, c)), cost.ciphertexts_to_bob, cost.ciphertexts_to_alice
    (True, 6, 3)
    """
    dims = _shape(shape)
    sigma = check_int("statistical_security", statistical_security, low=20, high=128)
    if keypair is None:
        keypair = he.generate_keypair()
    if not (isinstance(keypair, tuple) and len(keypair) == 2
            and isinstance(keypair[0], he.PublicKey) and isinstance(keypair[1], he.PrivateKey)):
        got = (f"({', '.join(type(k).__name__ for k in keypair)})"
               if isinstance(keypair, tuple) else type(keypair).__name__)
        raise TypeError(f"keypair must be a (he.PublicKey, he.PrivateKey) pair, got {got}")
    pk, sk = keypair
    if sk.public_key.n != pk.n:
        raise ValueError("keypair's public and private keys do not belong together")
    largest = 2**_CROSS_BITS + 2 ** (_CROSS_BITS + sigma)   # cross term + mask, exclusive
    if pk.max_plaintext < largest:
        raise ValueError(f"keypair's modulus must hold the masked cross term below "
                         f"2^{_CROSS_BITS} + 2^{_CROSS_BITS + sigma} as a positive plaintext "
                         f"(at least {_CROSS_BITS + sigma + 2} bits at statistical_security="
                         f"{sigma}), got {pk.bits} bits")
    count = int(np.prod(dims, dtype=np.int64))
    mask_bytes = (_CROSS_BITS + sigma + 7) // 8
    with np.errstate(over="ignore"):
        # Alice: her shares, and E(a_A), E(b_A) for Bob
        t0 = time.perf_counter()
        a_alice, b_alice = random_uint64(dims), random_uint64(dims)
        to_bob = [(he.encrypt(pk, int(x)), he.encrypt(pk, int(y)))
                  for x, y in zip(a_alice.ravel(), b_alice.ravel(), strict=True)]
        t1 = time.perf_counter()
        # Bob: his shares, and E(a_A·b_B + b_A·a_B + r) for Alice
        a_bob, b_bob = random_uint64(dims), random_uint64(dims)
        masks = [int.from_bytes(random_bytes(mask_bytes), "big") % 2 ** (_CROSS_BITS + sigma)
                 for _ in range(count)]
        to_alice = [he.add(pk, he.add(pk, he.mul_plain(pk, ea, int(bb)),
                                      he.mul_plain(pk, eb, int(ab))), he.encrypt(pk, r))
                    for (ea, eb), bb, ab, r in zip(to_bob, b_bob.ravel(), a_bob.ravel(), masks,
                                                   strict=True)]
        c_bob = a_bob * b_bob - np.array([r % 2**64 for r in masks],
                                         dtype=np.uint64).reshape(dims)
        t2 = time.perf_counter()
        # Alice: v = cross + r, never wrapped modulo n
        v = np.array([he.decrypt(sk, c) % 2**64 for c in to_alice], dtype=np.uint64)
        c_alice = a_alice * b_alice + v.reshape(dims)
        t3 = time.perf_counter()
    size = (2 * pk.bits + 7) // 8
    cost = TripleCost(count, 2 * count, count, 2 * count * size, count * size,
                      (t1 - t0) + (t3 - t2), t2 - t1)
    return BeaverTriple(np.stack([a_alice, a_bob]), np.stack([b_alice, b_bob]),
                        np.stack([c_alice, c_bob])), cost
