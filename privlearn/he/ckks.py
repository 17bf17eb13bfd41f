"""CKKS: approximate arithmetic on encrypted real vectors, through TenSEAL.

CKKS (Cheon, Kim, Kim & Song 2017, "Homomorphic encryption for arithmetic of approximate
numbers", ASIACRYPT) is RLWE encryption (:mod:`.rlwe`) with the message in the *low* bits:
a vector of N/2 reals is encoded as one polynomial of degree below N, scaled by Δ = 2^s and
rounded, and the noise of the ciphertext becomes a small error of the result instead of
something decryption must remove. So a sum of ciphertexts decrypts to the sum *plus an
error*; a product has scale Δ², and *rescaling* divides it by one prime of the modulus chain
to bring it back to about Δ, spending one level. Slots are added and multiplied in
parallel, and rotations move values between slots (used to sum them).

This module runs CKKS on Microsoft SEAL through TenSEAL (Benaissa et al. 2021), an optional
extra (``pip install -e ".[ckks]"``, Python 3.11 or newer), and adds what the course needs
around it: parameters checked against the homomorphic encryption standard's 128-bit table,
a public bound on every encrypted value (an operation whose result could wrap around the
modulus is refused before it runs, as in :mod:`.vectors`), and a bound on the error of
every result, built from the paper's per-operation bounds:

* fresh encryption: B_clean = 8√2·σN + 6σ√N + 16σ√(hN) (Lemma 1, with σ = 3.2 and a
  ternary secret, so h <= N), plus N/2 for rounding the encoding, over Δ;
* rescaling: B_rs = √(N/3)·(3 + 8√h) (Lemma 2), over Δ;
* key switching (rotations): SEAL switches keys modulo each prime q_i of the chain and
  divides by the special prime P >= q_i, which leaves at most L·8σN/√3 + B_rs for L primes
  (Lemma 3's B_ks = 8σN/√3 per prime);
* TenSEAL's rescaling divides by a prime p close to, not equal to, Δ, and then treats the
  scale as Δ again: every value is multiplied by Δ/p (a relative error of about 1e-7 for the
  default chain). SEAL picks the primes as the largest ones below 2^bits that are 1 mod 2N;
  :func:`chain_primes` recomputes them, so this bias is known exactly and bounded here.

The bounds are the paper's high-probability bounds (σ-tails), loose by one or two orders of
magnitude in practice; the tests check the errors against them over many encryptions.

Security: the parameters follow the standard's table (Albrecht et al. 2018, "Homomorphic
Encryption Standard", 128-bit classical security with a ternary secret), as SEAL enforces.
A TenSEAL context that holds the secret key can decrypt everything encrypted under it: give
the aggregating server a public copy (``context.make_context_public()``), as the notebook does.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass

import numpy as np

from .._validation import as_real_array, check_int, check_real

__all__ = ["CKKSContext", "CKKSParams", "EncryptedReals", "available", "chain_primes",
           "ciphertext_bytes", "decrypt_vector", "encrypt_vector", "encrypted_dot",
           "encrypted_sum", "make_context"]

#: the largest total modulus size, in bits, for 128-bit classical security with a ternary
#: secret, per ring degree N (Homomorphic Encryption Standard, Albrecht et al. 2018, Table 1;
#: SEAL's CoeffModulus::MaxBitCount)
MAX_COEFF_BITS = {1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438, 32768: 881}

#: SEAL's noise standard deviation (its default, from the standard)
SIGMA = 3.2


def available() -> bool:
    """True if TenSEAL is installed (the ``ckks`` extra)."""
    return importlib.util.find_spec("tenseal") is not None


def _tenseal():
    if not available():
        raise ModuleNotFoundError("privlearn.he.ckks needs TenSEAL: pip install -e \".[ckks]\" "
                                  "(Python 3.11 or newer)")
    import tenseal

    return tenseal


@dataclass(frozen=True)
class CKKSParams:
    """Ring degree N, the bit sizes of the modulus chain, and the scale Δ = 2^scale_bits.

    The chain is (first, middle..., special): values are held modulo the product of all but
    the special prime, which is used only for key switching. Each multiplication spends one
    middle prime, so ``depth`` = number of middle primes, each of exactly ``scale_bits``
    bits (TenSEAL keeps the scale at Δ after every rescaling); the first prime holds the
    integer part of the result, and the special prime must be at least as large as every
    other one. The total must fit the 128-bit table (:data:`MAX_COEFF_BITS`).
    """

    poly_modulus_degree: int = 8192
    coeff_mod_bit_sizes: tuple[int, ...] = (60, 40, 40, 60)
    scale_bits: int = 40

    def __post_init__(self) -> None:
        n = check_int("poly_modulus_degree", self.poly_modulus_degree, low=1024, high=32768)
        if n not in MAX_COEFF_BITS:
            raise ValueError(f"poly_modulus_degree must be a power of two from 1024 to 32768, "
                             f"got {n}")
        if isinstance(self.coeff_mod_bit_sizes, (str, bytes)) or not hasattr(
                self.coeff_mod_bit_sizes, "__len__"):
            raise TypeError(f"coeff_mod_bit_sizes must be a sequence of integers, got "
                            f"{type(self.coeff_mod_bit_sizes).__name__}")
        sizes = tuple(check_int(f"coeff_mod_bit_sizes[{i}]", b, low=2, high=60)
                      for i, b in enumerate(self.coeff_mod_bit_sizes))
        object.__setattr__(self, "coeff_mod_bit_sizes", sizes)
        scale = check_int("scale_bits", self.scale_bits, low=2, high=59)
        if len(sizes) < 3:
            raise ValueError(f"coeff_mod_bit_sizes must hold a first prime, at least one middle "
                             f"prime and a special prime, got {sizes}")
        if sum(sizes) > MAX_COEFF_BITS[n]:
            raise ValueError(f"coeff_mod_bit_sizes {sizes} total {sum(sizes)} bits, more than "
                             f"the {MAX_COEFF_BITS[n]} bits that N = {n} allows at 128-bit "
                             f"security: use fewer or smaller primes, or a larger N")
        if any(b != scale for b in sizes[1:-1]):
            raise ValueError(f"every middle prime of coeff_mod_bit_sizes {sizes} must have "
                             f"scale_bits = {scale} bits: each rescaling divides by one")
        if sizes[0] <= scale:
            raise ValueError(f"the first prime must have more than scale_bits = {scale} bits "
                             f"to hold a result's integer part, got {sizes[0]}")
        if sizes[-1] < max(sizes[:-1]):
            raise ValueError(f"the special (last) prime of {sizes} must be at least as large "
                             f"as every other one, or key switching adds more noise than "
                             f"this module bounds")

    @property
    def slots(self) -> int:
        """Reals per ciphertext: N/2."""
        return self.poly_modulus_degree // 2

    @property
    def depth(self) -> int:
        """Multiplications a fresh ciphertext can go through (one middle prime each)."""
        return len(self.coeff_mod_bit_sizes) - 2

    def room(self, level: int = 0) -> float:
        """The largest |value| a ciphertext holds after ``level`` multiplications: its
        modulus over 2Δ (a larger value wraps around and decrypts to garbage)."""
        level = check_int("level", level, low=0, high=self.depth)
        bits = sum(self.coeff_mod_bit_sizes[:len(self.coeff_mod_bit_sizes) - 1 - level])
        return 2.0 ** (bits - 1 - self.scale_bits - 1)  # primes sit just below 2^bits

    def fresh_error(self) -> float:
        """Bound on each slot's error after encryption (Lemma 1, plus encoding), over Δ."""
        n = self.poly_modulus_degree
        b_clean = 8 * math.sqrt(2) * SIGMA * n + 6 * SIGMA * math.sqrt(n) + 16 * SIGMA * n
        return (b_clean + n / 2) / 2.0**self.scale_bits

    def rescale_error(self) -> float:
        """Bound on the error one rescaling adds (Lemma 2, h <= N), over Δ."""
        n = self.poly_modulus_degree
        return math.sqrt(n / 3) * (3 + 8 * math.sqrt(n)) / 2.0**self.scale_bits

    def rotation_error(self, level: int = 0) -> float:
        """Bound on the error one rotation (key switch) adds at ``level``, over Δ."""
        primes = len(self.coeff_mod_bit_sizes) - 1 - level
        b_ks = 8 * SIGMA * self.poly_modulus_degree / math.sqrt(3)
        return primes * b_ks / 2.0**self.scale_bits + self.rescale_error()


def _primes_one_mod(factor: int, bits: int, count: int) -> list[int]:
    """The ``count`` largest primes below 2^bits that are 1 mod ``factor``, largest first."""
    import gmpy2

    found, value = [], 2**bits - factor + 1
    while len(found) < count:
        if value < 2 ** (bits - 1):
            raise ValueError(f"fewer than {count} primes of {bits} bits are 1 mod {factor}")
        if gmpy2.is_prime(value):
            found.append(value)
        value -= factor
    return found


def chain_primes(params: CKKSParams) -> list[int]:
    """The primes SEAL builds for ``params.coeff_mod_bit_sizes``, in chain order.

    For each bit size, the largest primes below 2^bits that are 1 mod 2N (so the NTT
    exists); positions take them smallest first (SEAL's ``CoeffModulus::Create``). Checked
    in the tests against TenSEAL's rescaling bias, which depends on them.
    """
    params = _check_params(params)
    sizes = params.coeff_mod_bit_sizes
    table = {b: _primes_one_mod(2 * params.poly_modulus_degree, b, sizes.count(b))
             for b in set(sizes)}
    return [table[b].pop() for b in sizes]


def _check_params(params) -> CKKSParams:
    if not isinstance(params, CKKSParams):
        raise TypeError(f"params must be a CKKSParams, got {type(params).__name__}")
    return params


@dataclass(frozen=True)
class CKKSContext:
    """A TenSEAL CKKS context (``.tenseal``) and the parameters it was made with.

    Made by :func:`make_context`, it holds the secret key; :meth:`public` is a copy
    without it, for a party that should compute but not decrypt.
    """

    tenseal: object
    params: CKKSParams

    @property
    def is_private(self) -> bool:
        """True if this context holds the secret key (and so can decrypt)."""
        return bool(self.tenseal.has_secret_key())

    def public(self) -> CKKSContext:
        """A copy without the secret key (public, relinearisation and Galois keys kept)."""
        copy = self.tenseal.copy()
        copy.make_context_public()
        return CKKSContext(copy, self.params)

    def nbytes(self) -> int:
        """Bytes of the serialised context with its keys (the secret key too if held)."""
        return len(self.tenseal.serialize(save_public_key=True,
                                          save_secret_key=self.is_private,
                                          save_galois_keys=True, save_relin_keys=True))


def make_context(params: CKKSParams | None = None, *, rotations: bool = False) -> CKKSContext:
    """A CKKS context for ``params`` (by default N = 8192, chain (60, 40, 40, 60), Δ = 2^40)
    that holds the secret key.

    ``rotations=True`` also makes the Galois keys that :func:`encrypted_dot` needs (about a
    second and tens of megabytes more).
    """
    params = CKKSParams() if params is None else _check_params(params)
    ts = _tenseal()
    context = ts.context(ts.SCHEME_TYPE.CKKS, poly_modulus_degree=params.poly_modulus_degree,
                         coeff_mod_bit_sizes=list(params.coeff_mod_bit_sizes))
    context.global_scale = 2.0**params.scale_bits
    if rotations:
        context.generate_galois_keys()
    return CKKSContext(context, params)


def _check_context(context) -> CKKSContext:
    if not isinstance(context, CKKSContext):
        raise TypeError(f"context must be a CKKSContext (from make_context), got "
                        f"{type(context).__name__}")
    return context


@dataclass(frozen=True)
class EncryptedReals:
    """A real vector encrypted with CKKS, in ciphertexts of N/2 slots each.

    ``max_abs`` is a public bound on every value, ``error`` a bound on each value's
    decryption error, ``level`` the multiplications spent; all three are computed from the
    operations, never from the data. ``count`` is the number of fresh vectors summed in.
    """

    ciphertexts: tuple
    length: int
    params: CKKSParams
    max_abs: float
    error: float
    level: int = 0
    count: int = 1


def encrypt_vector(context, values, *, max_abs: float | None = None) -> EncryptedReals:
    """Encrypt a 1-D real vector; longer than N/2 values, it takes several ciphertexts.

    ``max_abs`` is the public bound on |value| that later operations build on (by default
    the room left after the chain's last multiplication, :meth:`CKKSParams.room` at the
    deepest level); a value beyond it is refused.
    """
    context = _check_context(context)
    params = context.params
    ts = _tenseal()
    x = as_real_array("values", values)
    if x.ndim != 1:
        raise ValueError(f"values must be a 1-D vector, got shape {x.shape}")
    top = params.room(0)
    bound = params.room(params.depth) if max_abs is None else check_real(
        "max_abs", max_abs, low=0.0, high=top)
    if np.abs(x).max() > bound:
        raise ValueError(f"values must lie within max_abs = {bound:g}, got "
                         f"{float(x[np.argmax(np.abs(x))])!r}")
    chunks = tuple(ts.ckks_vector(context.tenseal, x[i:i + params.slots].tolist())
                   for i in range(0, x.size, params.slots))
    return EncryptedReals(chunks, int(x.size), params, bound, params.fresh_error())


def _check_encrypted(name: str, value) -> EncryptedReals:
    if not isinstance(value, EncryptedReals):
        raise TypeError(f"{name} must be an EncryptedReals, got {type(value).__name__}")
    return value


def encrypted_sum(vectors) -> EncryptedReals:
    """The slot-wise sum of encrypted vectors of one length, parameters and level."""
    items = list(vectors) if not isinstance(vectors, EncryptedReals) else [vectors]
    if not items:
        raise ValueError("vectors must not be empty")
    first = _check_encrypted("vectors[0]", items[0])
    for i, v in enumerate(items[1:], 1):
        v = _check_encrypted(f"vectors[{i}]", v)
        if (v.length, v.params, v.level) != (first.length, first.params, first.level):
            raise ValueError(f"vectors[{i}] has length {v.length}, level {v.level} and "
                             f"{v.params}; vectors[0] has length {first.length}, level "
                             f"{first.level} and {first.params}")
    bound = math.fsum(v.max_abs for v in items)
    room = first.params.room(first.level)
    if bound > room:
        raise ValueError(f"the sum could reach {bound:g}, beyond the {room:g} "
                         f"a ciphertext at level {first.level} holds: refused before it wraps")
    chunks = list(first.ciphertexts)
    for v in items[1:]:
        chunks = [a + b for a, b in zip(chunks, v.ciphertexts, strict=True)]
    return EncryptedReals(tuple(chunks), first.length, first.params, bound,
                          math.fsum(v.error for v in items), first.level,
                          sum(v.count for v in items))


def encrypted_dot(x: EncryptedReals, weights, *, intercept: float = 0.0) -> EncryptedReals:
    """E(x)·w + b for plaintext weights: one multiplication, one rescaling and
    ⌈log2 d⌉ rotations (the context needs Galois keys: ``make_context(rotations=True)``).

    The result's error bound adds the input errors weighted by |w_j|, the rounding of w's
    encoding, one rescaling in each of the 2^⌈log2 d⌉ slots that the rotations add up, the
    rotations' key switching, and the rescaling bias |Δ/p − 1|·Σ|w_j|·max_abs
    (:func:`chain_primes`).
    """
    x = _check_encrypted("x", x)
    params = x.params
    if len(x.ciphertexts) != 1:
        raise ValueError(f"x must fit one ciphertext ({params.slots} values), got {x.length}")
    if x.level >= params.depth:
        raise ValueError(f"x has spent all {params.depth} multiplications of its chain")
    w = as_real_array("weights", weights)
    if w.shape != (x.length,):
        raise ValueError(f"weights must have shape ({x.length},), got {w.shape}")
    b = check_real("intercept", intercept)
    level = x.level + 1
    w1 = float(np.abs(w).sum())
    bound = w1 * x.max_abs + abs(b)
    if bound > params.room(level):
        raise ValueError(f"the score could reach {bound:g}, beyond the {params.room(level):g} a "
                         f"ciphertext holds after {level} multiplication(s): refused")
    p = chain_primes(params)[len(params.coeff_mod_bit_sizes) - 2 - x.level]
    bias = abs(2.0**params.scale_bits / p - 1)
    rounds = max(1, math.ceil(math.log2(x.length)))
    encode = params.poly_modulus_degree / 2 / 2.0**params.scale_bits  # rounding an encoding
    error = (w1 * x.error                          # each slot's error times its weight
             + x.length * x.max_abs * encode       # x times the rounding of w's encoding
             + 2**rounds * params.rescale_error()  # the slots summed, each rescaled once
             + rounds * params.rotation_error(level)
             + bias * w1 * x.max_abs               # TenSEAL's scale taken as Δ, not Δ²/p
             + encode)                             # the intercept's encoding
    out = x.ciphertexts[0].dot(w.tolist()) + b
    return EncryptedReals((out,), 1, params, bound, error, level, x.count)


def decrypt_vector(context, encrypted: EncryptedReals) -> np.ndarray:
    """Decrypt with a context that holds the secret key; the values carry an error of at
    most ``encrypted.error`` each."""
    context = _check_context(context)
    encrypted = _check_encrypted("encrypted", encrypted)
    if not context.is_private:
        raise ValueError("context holds no secret key: only the key holder decrypts")
    if encrypted.params != context.params:
        raise ValueError(f"encrypted was made under {encrypted.params}, context has "
                         f"{context.params}")
    key = context.tenseal.secret_key()
    values = []
    for chunk in encrypted.ciphertexts:
        values.extend(chunk.decrypt(key))
    return np.asarray(values[:encrypted.length], dtype=np.float64)


def ciphertext_bytes(encrypted: EncryptedReals) -> int:
    """Bytes of the serialised ciphertexts (SEAL compresses them, so this varies by a few
    hundred bytes from one encryption to the next)."""
    return sum(len(c.serialize()) for c in _check_encrypted("encrypted", encrypted).ciphertexts)
