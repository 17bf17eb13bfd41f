"""Lattice-based encryption from scratch, on toy parameters: RLWE as in BFV.

Schemes used for machine learning today (BFV, BGV, CKKS: Microsoft SEAL, OpenFHE, TenSEAL)
hide a message in *noise*. Work in the ring R_q = Z_q[x]/(x^n + 1) of polynomials of degree
below n with coefficients mod q (x^n wraps around to −1). With a small secret s and small
noise polynomials e (coefficients of a few units), the pair (a, a·s + e) for a uniform a
looks uniform: that is the Ring Learning With Errors assumption (Lyubashevsky, Peikert &
Regev 2010), and it is what makes the scheme secure, at real sizes (n >= 1024 and q chosen
to match; the toy sizes here are *not* secure).

Encryption, as in BFV (Brakerski 2012; Fan & Vercauteren 2012, "Somewhat practical fully
homomorphic encryption"), with plaintext modulus t and Δ = q // t: the public key is
(b, a) = (−(a·s + e), a); a message m (n coefficients mod t) becomes

    c0 = b·u + e1 + Δ·m,    c1 = a·u + e2        (u small, e1, e2 small),

and c0 + c1·s = Δ·m + v with v = e1 + e2·s − e·u small: the *noise*. Decryption rounds
(t/q)·(c0 + c1·s) to the nearest integer, which is m exactly while every coefficient of v is
below Δ/2 in size, and wrong in a coefficient whose noise is above it (here q is a multiple
of t, so that bound is exact; at exactly Δ/2 the rounding depends on the sign). Adding ciphertexts
adds messages and noises; multiplying by a plaintext multiplies the noise; multiplying two
ciphertexts (the tensor product scaled by t/q) gives three parts, decrypted with
(1, s, s²), and a noise that grows with t·n: each operation spends some of the Δ/2 budget,
and when it is gone decryption returns garbage. Real libraries then *relinearise* back to two
parts and *bootstrap* or rescale to reset the noise; neither is done here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._random import RNGLike, as_generator
from .._validation import check_int

__all__ = ["RLWECiphertext", "RLWEKeys", "RLWEParams", "add", "decrypt", "encrypt",
           "generate_keys", "mul_plain", "multiply", "noise"]

#: coins per coefficient of the centred binomial noise (values in [−2, 2], variance 1)
_ETA = 2


@dataclass(frozen=True)
class RLWEParams:
    """Ring degree n (a power of two), ciphertext modulus q, plaintext modulus t.

    q must be a multiple of t, so that decryption is correct exactly while the noise is
    below Δ/2 = q/(2t) in every coefficient.
    """

    n: int
    q: int
    t: int

    def __post_init__(self) -> None:
        n = check_int("n", self.n, low=2, high=2**16)
        if n & (n - 1):
            raise ValueError(f"n must be a power of two (x^n + 1 is then irreducible over "
                             f"the rationals), got {n}")
        t = check_int("t", self.t, low=2)
        q = check_int("q", self.q, low=2 * t, high=2**62)
        if q % t:
            raise ValueError(f"q must be a multiple of t, got q={q} and t={t}")

    @property
    def delta(self) -> int:
        """Δ = q / t, the scale a message is multiplied by."""
        return self.q // self.t


@dataclass(frozen=True)
class RLWEKeys:
    """A secret key s and the public key (b, a) = (−(a·s + e), a)."""

    params: RLWEParams
    secret: np.ndarray
    public: tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class RLWECiphertext:
    """Two polynomial parts (c0, c1) mod q, or three after :func:`multiply`."""

    params: RLWEParams
    parts: tuple[np.ndarray, ...]


def _poly(values, q: int) -> np.ndarray:
    """Coefficients as exact Python ints mod q (numpy object array)."""
    return np.array([int(v) % q for v in values], dtype=object)


def _mul(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """a·b in Z[x]/(x^n + 1), exact: a convolution, then x^n folded back as −1."""
    full = np.convolve(np.asarray(a, dtype=object), np.asarray(b, dtype=object))
    out = full[:n].copy()
    out[: full.size - n] -= full[n:]
    return out


def _centred(a: np.ndarray, q: int) -> np.ndarray:
    """Representatives in (−q/2, q/2]."""
    return np.array([(int(v) % q) - q if int(v) % q > q // 2 else int(v) % q for v in a],
                    dtype=object)


def _small(gen: np.random.Generator, n: int) -> np.ndarray:
    """Centred binomial noise: the sum of η coin differences per coefficient."""
    coins = gen.integers(0, 2, size=(2, _ETA, n))
    return np.array((coins[0].sum(axis=0) - coins[1].sum(axis=0)).tolist(), dtype=object)


def _check_params(params) -> RLWEParams:
    if not isinstance(params, RLWEParams):
        raise TypeError(f"params must be RLWEParams, got {type(params).__name__}")
    return params


def _message(params: RLWEParams, message) -> np.ndarray:
    arr = np.asarray(message)
    if arr.shape != (params.n,) or (arr.dtype.kind not in "iu" and not (
            arr.dtype == object and all(isinstance(v, int) for v in arr))):
        raise ValueError(f"message must be {params.n} integers (one per coefficient), got "
                         f"shape {arr.shape} and dtype {arr.dtype}")
    return _poly(arr.tolist(), params.t)


def generate_keys(params: RLWEParams, *, rng: RNGLike) -> RLWEKeys:
    """A ternary secret s, and (b, a) = (−(a·s + e), a) with a uniform and e small."""
    p = _check_params(params)
    gen = as_generator(rng)
    secret = np.array(gen.integers(-1, 2, size=p.n).tolist(), dtype=object)
    a = _poly(gen.integers(0, p.q, size=p.n).tolist(), p.q)  # uniform in R_q
    b = _poly(-(_mul(a, secret, p.n) + _small(gen, p.n)), p.q)
    return RLWEKeys(p, secret, (b, a))


def encrypt(keys: RLWEKeys, message, *, rng: RNGLike) -> RLWECiphertext:
    """(b·u + e1 + Δ·m, a·u + e2): needs only the public key."""
    p = keys.params
    m = _message(p, message)
    gen = as_generator(rng)
    u = np.array(gen.integers(-1, 2, size=p.n).tolist(), dtype=object)
    b, a = keys.public
    c0 = _poly(_mul(b, u, p.n) + _small(gen, p.n) + p.delta * m, p.q)
    c1 = _poly(_mul(a, u, p.n) + _small(gen, p.n), p.q)
    return RLWECiphertext(p, (c0, c1))


def _phase(keys: RLWEKeys, ct: RLWECiphertext) -> np.ndarray:
    """c0 + c1·s + c2·s² + ... mod q: Δ·m plus the noise."""
    p = keys.params
    total = np.zeros(p.n, dtype=object)
    power = np.array([1] + [0] * (p.n - 1), dtype=object)
    for part in ct.parts:
        total = total + _mul(part, power, p.n)
        power = _mul(power, keys.secret, p.n)
    return _poly(total, p.q)


def decrypt(keys: RLWEKeys, ct: RLWECiphertext) -> np.ndarray:
    """round((t/q)·phase) mod t, coefficient by coefficient (int64 array)."""
    _check_pair(keys, ct)
    p = keys.params
    phase = _phase(keys, ct)
    return np.array([((p.t * int(v) + p.q // 2) // p.q) % p.t for v in phase], dtype=np.int64)


def noise(keys: RLWEKeys, ct: RLWECiphertext, message) -> int:
    """The largest |coefficient| of phase − Δ·m (centred mod q): decryption returns
    ``message`` exactly while this is below Δ/2."""
    _check_pair(keys, ct)
    p = keys.params
    v = _centred(_phase(keys, ct) - p.delta * _message(p, message), p.q)
    return max(abs(int(x)) for x in v)


def _check_pair(keys, ct) -> None:
    if not isinstance(keys, RLWEKeys):
        raise TypeError(f"keys must be RLWEKeys, got {type(keys).__name__}")
    if not isinstance(ct, RLWECiphertext):
        raise TypeError(f"ct must be an RLWECiphertext, got {type(ct).__name__}")
    if ct.params != keys.params:
        raise ValueError(f"the ciphertext's parameters {ct.params} are not the key's "
                         f"{keys.params}")


def _same_params(x: RLWECiphertext, y: RLWECiphertext) -> RLWEParams:
    for name, c in (("x", x), ("y", y)):
        if not isinstance(c, RLWECiphertext):
            raise TypeError(f"{name} must be an RLWECiphertext, got {type(c).__name__}")
    if x.params != y.params:
        raise ValueError(f"ciphertexts under different parameters: {x.params} and {y.params}")
    return x.params


def add(x: RLWECiphertext, y: RLWECiphertext) -> RLWECiphertext:
    """Encrypts the sum of the messages (mod t); the noises add."""
    p = _same_params(x, y)
    width = max(len(x.parts), len(y.parts))
    zero = np.zeros(p.n, dtype=object)
    parts = tuple(_poly((x.parts[i] if i < len(x.parts) else zero)
                        + (y.parts[i] if i < len(y.parts) else zero), p.q)
                  for i in range(width))
    return RLWECiphertext(p, parts)


def mul_plain(x: RLWECiphertext, plain) -> RLWECiphertext:
    """Encrypts message·plain in R_t; the noise is multiplied by plain (its size, times up
    to n for a polynomial)."""
    if not isinstance(x, RLWECiphertext):
        raise TypeError(f"x must be an RLWECiphertext, got {type(x).__name__}")
    p = x.params
    k = _centred(_message(p, plain), p.t)  # small representatives keep the noise small
    return RLWECiphertext(p, tuple(_poly(_mul(part, k, p.n), p.q) for part in x.parts))


def multiply(x: RLWECiphertext, y: RLWECiphertext) -> RLWECiphertext:
    """Encrypts the product of the messages in R_t: the tensor product of the two
    ciphertexts, scaled by t/q and rounded (Fan & Vercauteren 2012, Section 4). Three parts,
    decrypted with (1, s, s²); no relinearisation."""
    p = _same_params(x, y)
    if len(x.parts) != 2 or len(y.parts) != 2:
        raise ValueError("multiply takes two fresh-form ciphertexts of two parts each (this "
                         "toy does not relinearise a product back to two)")
    (a0, a1), (b0, b1) = ([_centred(c, p.q) for c in ct.parts] for ct in (x, y))
    tensor = (_mul(a0, b0, p.n), _mul(a0, b1, p.n) + _mul(a1, b0, p.n), _mul(a1, b1, p.n))

    def scaled(poly):  # round(t·v / q) for each (signed) integer coefficient
        return _poly([(2 * p.t * int(v) + p.q) // (2 * p.q) for v in poly], p.q)

    return RLWECiphertext(p, tuple(scaled(c) for c in tensor))
