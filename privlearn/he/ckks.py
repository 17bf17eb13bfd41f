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
* key switching (rotations): SEAL decomposes differently from the paper's Lemma 3, and one
  rotation's error was measured at up to 6 times L·8σN/√3 + B_rs (L primes, the special
  prime P >= each); :func:`encrypted_dot` allows 16 times that per rotation, and counts each
  slot of the product as having gone through 2d rotations (TenSEAL's sum of d slots does
  more rotations than ⌈log2 d⌉): a bound set by measurement with a margin, not a lemma;
* float64: TenSEAL encodes and decodes through a length-N FFT in double precision, which
  adds up to about |value|·N·2^-52 (a loose bound; 2^40 came back off by 5e-4);
* TenSEAL's rescaling divides by a prime p close to, not equal to, Δ, and then treats the
  scale as Δ again: every value is multiplied by Δ/p (a relative error of about 1e-7 for the
  default chain). SEAL picks the primes as the largest ones below 2^bits that are 1 mod 2N;
  :func:`chain_primes` recomputes them, so this bias is known exactly and bounded here.

The bounds are loose by one or two orders of magnitude in practice; the tests check the
errors against them over many encryptions and keys, small and large values.

A dot product leaves partial sums of x_j·w_j in the other slots of its ciphertext, from which
the key holder would read every weight; :func:`encrypted_dot` multiplies them by zero (one
more level) before returning.

Security: the parameters follow the standard's table (Albrecht et al. 2018, "Homomorphic
Encryption Standard", 128-bit classical security with a ternary secret), as SEAL enforces.
A TenSEAL context that holds the secret key can decrypt everything encrypted under it: give
the aggregating server a public copy (:meth:`CKKSContext.public`), as the notebook does. CKKS
decryptions carry the noise: shown unrounded to a party that holds the ciphertexts, they let
it solve for the secret key (Li & Micciancio 2021); round or add noise before sharing them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_real_array, check_bool, check_int, check_real

__all__ = ["CKKSContext", "CKKSParams", "EncryptedReals", "available", "chain_primes",
           "ciphertext_bytes", "decrypt_slots", "decrypt_vector", "encrypt_vector", "encrypted_dot",
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
        """The largest |value| allowed after ``level`` multiplications: half of the
        ciphertext's modulus over 2Δ, a margin of a factor of 2 below where a value wraps
        around and decrypts to garbage."""
        level = check_int("level", level, low=0, high=self.depth)
        bits = sum(self.coeff_mod_bit_sizes[:len(self.coeff_mod_bit_sizes) - 1 - level])
        return 2.0 ** (bits - 1 - self.scale_bits - 1)  # primes sit just below 2^bits

    def fresh_error(self, max_abs: float = 0.0) -> float:
        """Bound on each slot's error after encrypting values of size up to ``max_abs``
        and decrypting: Lemma 1 plus rounding the encoding, over Δ, plus float64's
        encoding and decoding (max_abs·N·2^-52)."""
        max_abs = check_real("max_abs", max_abs, low=0.0, low_open=False)
        n = self.poly_modulus_degree
        b_clean = 8 * math.sqrt(2) * SIGMA * n + 6 * SIGMA * math.sqrt(n) + 16 * SIGMA * n
        return (b_clean + n / 2) / 2.0**self.scale_bits + _float64(self, max_abs)

    def rescale_error(self) -> float:
        """Bound on the error one rescaling adds (Lemma 2, h <= N), over Δ."""
        n = self.poly_modulus_degree
        return math.sqrt(n / 3) * (3 + 8 * math.sqrt(n)) / 2.0**self.scale_bits

    def rotation_error(self, level: int = 0) -> float:
        """The error allowed for one rotation (key switch) at ``level``, over Δ: 16 times
        L·8σN/√3 + B_rs, where 6 times was measured (see the module docstring)."""
        level = check_int("level", level, low=0, high=self.depth)
        primes = len(self.coeff_mod_bit_sizes) - 1 - level
        b_ks = 8 * SIGMA * self.poly_modulus_degree / math.sqrt(3)
        return _KEY_SWITCH_MARGIN * (primes * b_ks / 2.0**self.scale_bits
                                     + self.rescale_error())


#: how far above the Lemma-3-style term one rotation's error may go (6 was measured)
_KEY_SWITCH_MARGIN = 16


def _float64(params: CKKSParams, max_abs: float) -> float:
    """float64 encoding and decoding of values up to max_abs: an FFT of length N."""
    return max_abs * params.poly_modulus_degree * 2.0**-52


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
    key_id: bytes = b""

    @property
    def is_private(self) -> bool:
        """True if this context holds the secret key (and so can decrypt)."""
        return bool(self.tenseal.has_secret_key())

    def public(self) -> CKKSContext:
        """A copy without the secret key (public, relinearisation and Galois keys kept)."""
        copy = self.tenseal.copy()
        copy.make_context_public()
        return CKKSContext(copy, self.params, self.key_id)

    def nbytes(self) -> int:
        """Bytes of the serialised context with its keys (the secret key too if held)."""
        return len(self.tenseal.serialize(save_public_key=True,
                                          save_secret_key=self.is_private,
                                          save_galois_keys=True, save_relin_keys=True))


def make_context(params: CKKSParams | None = None, *, rotations: bool = False) -> CKKSContext:
    """A CKKS context that holds the secret key.

    Parameters
    ----------
    params : CKKSParams, optional
        By default N = 8192, the chain (60, 40, 40, 60) and Δ = 2^40.
    rotations : bool
        Also make the Galois keys that :func:`encrypted_dot` needs (about a second and tens
        of megabytes more).

    Returns
    -------
    CKKSContext
        With a key id (a hash of the public key) that every vector encrypted under it keeps.
    """
    params = CKKSParams() if params is None else _check_params(params)
    rotations = check_bool("rotations", rotations)
    try:
        chain_primes(params)
    except ValueError as err:
        raise ValueError(f"coeff_mod_bit_sizes {params.coeff_mod_bit_sizes}: {err} for "
                         f"N = {params.poly_modulus_degree}") from None
    ts = _tenseal()
    context = ts.context(ts.SCHEME_TYPE.CKKS, poly_modulus_degree=params.poly_modulus_degree,
                         coeff_mod_bit_sizes=list(params.coeff_mod_bit_sizes))
    context.global_scale = 2.0**params.scale_bits
    if rotations:
        context.generate_galois_keys()
    public_key = context.serialize(save_public_key=True, save_secret_key=False,
                                   save_galois_keys=False, save_relin_keys=False)
    return CKKSContext(context, params, hashlib.sha256(public_key).digest()[:16])


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
    key_id: bytes = b""


def encrypt_vector(context: CKKSContext, values: ArrayLike, *,
                   max_abs: float | None = None) -> EncryptedReals:
    """Encrypt a 1-D real vector; longer than N/2 values, it takes several ciphertexts.

    Parameters
    ----------
    context : CKKSContext
        Public or private: encryption needs the public key only.
    values : array_like of float
        Finite reals, 1-D.
    max_abs : float, optional
        The public bound on |value| that later operations build on (by default the room
        left after the chain's last multiplication, :meth:`CKKSParams.room` at the deepest
        level); a value beyond it is refused.

    Returns
    -------
    EncryptedReals
        With its bound, its error bound (:meth:`CKKSParams.fresh_error`) and the key id.
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
    return EncryptedReals(chunks, int(x.size), params, bound, params.fresh_error(bound),
                          key_id=context.key_id)


def _check_encrypted(name: str, value) -> EncryptedReals:
    if not isinstance(value, EncryptedReals):
        raise TypeError(f"{name} must be an EncryptedReals, got {type(value).__name__}")
    return value


def encrypted_sum(vectors: Sequence[EncryptedReals]) -> EncryptedReals:
    """The slot-wise sum of encrypted vectors of one length, parameters, level and key.

    The result's bound is the sum of the bounds (refused if it could pass
    :meth:`CKKSParams.room`), its error bound the sum of the errors plus float64's.
    """
    if isinstance(vectors, EncryptedReals):
        items = [vectors]
    elif isinstance(vectors, (str, bytes)) or not hasattr(vectors, "__iter__"):
        raise TypeError(f"vectors must be a sequence of EncryptedReals, got "
                        f"{type(vectors).__name__}")
    else:
        items = list(vectors)
    if not items:
        raise ValueError("vectors must not be empty")
    first = _check_encrypted("vectors[0]", items[0])
    for i, v in enumerate(items[1:], 1):
        v = _check_encrypted(f"vectors[{i}]", v)
        if v.key_id != first.key_id:
            raise ValueError(f"vectors[{i}] was encrypted under another key than vectors[0]")
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
                          math.fsum(v.error for v in items) + _float64(first.params, bound),
                          first.level, sum(v.count for v in items), first.key_id)


def encrypted_dot(x: EncryptedReals, weights: ArrayLike, *,
                  intercept: float = 0.0) -> EncryptedReals:
    """E(x)·w + b for plaintext weights, in slot 0 of a ciphertext whose other slots are
    zeroed: two multiplications (the product with w, then with (1, 0, 0, ...)), two
    rescalings, and the rotations of TenSEAL's sum (the context needs Galois keys:
    ``make_context(rotations=True)``).

    Without the second multiplication the other slots would hold the partial sums
    Σ_{i>=j} x_i·w_i + b, and the key holder, who knows x, would read every w_j and b from
    one result. The error bound adds the input errors weighted by |w_j|, the rounding of w's
    encoding, a rescaling in each slot summed, the rotations (see the module docstring),
    the second multiplication, float64, and the rescaling bias (:func:`chain_primes`).
    """
    x = _check_encrypted("x", x)
    params = x.params
    if len(x.ciphertexts) != 1:
        raise ValueError(f"x must fit one ciphertext ({params.slots} values), got {x.length}")
    if not x.ciphertexts[0].context().has_galois_keys():
        raise ValueError("x was encrypted under a context without Galois keys, which the "
                         "rotations of a dot product need: make_context(rotations=True)")
    if x.level + 2 > params.depth:
        raise ValueError(f"x has {params.depth - x.level} of its chain's {params.depth} "
                         f"multiplications left; a dot product takes 2")
    w = as_real_array("weights", weights)
    if w.shape != (x.length,):
        raise ValueError(f"weights must have shape ({x.length},), got {w.shape}")
    if not np.any(w):
        raise ValueError("weights must not all be zero (the score would be the intercept, "
                         "known to whoever sets it)")
    b = check_real("intercept", intercept)
    level = x.level + 2
    w1 = float(np.abs(w).sum())
    bound = w1 * x.max_abs + abs(b)
    if bound > params.room(level):
        raise ValueError(f"the score could reach {bound:g}, beyond the {params.room(level):g} a "
                         f"ciphertext holds after {level} multiplication(s): refused")
    primes = chain_primes(params)
    top = len(params.coeff_mod_bit_sizes) - 2 - x.level     # the first prime dropped
    delta = 2.0**params.scale_bits
    bias = abs((delta / primes[top]) * (delta / primes[top - 1]) - 1)
    encode = params.poly_modulus_degree / 2 / delta          # rounding an encoding
    d = x.length
    score = (w1 * x.error                                    # each slot's error times |w_j|
             + d * x.max_abs * encode                        # x times the rounding of w
             + d * params.rescale_error()                    # the slots summed, rescaled
             + 2 * d * params.rotation_error(x.level + 1)    # key switching, counted per slot
             + encode)                                       # the intercept's encoding
    error = (score * (1 + encode)                            # times (1, 0, ...): its rounding,
             + bound * encode + params.rescale_error()       # and one more rescaling
             + bias * bound + _float64(params, bound))
    out = (x.ciphertexts[0].dot(w.tolist()) + b) * [1.0]     # (1.0) pads the other slots with 0
    return EncryptedReals((out,), 1, params, bound, error, level, x.count, x.key_id)


def _check_key_holder(context, encrypted: EncryptedReals, name: str) -> CKKSContext:
    context = _check_context(context)
    if not context.is_private:
        raise ValueError("context holds no secret key: only the key holder decrypts")
    if encrypted.params != context.params:
        raise ValueError(f"{name} was made under {encrypted.params}, context has "
                         f"{context.params}")
    if encrypted.key_id != context.key_id:
        raise ValueError(f"{name} was made under another key than this context's: its "
                         f"decryption would be garbage")
    return context


def decrypt_vector(context: CKKSContext, encrypted: EncryptedReals) -> np.ndarray:
    """Decrypt with the context that holds the secret key it was encrypted under.

    Returns
    -------
    numpy.ndarray of float64
        ``encrypted.length`` values, each within ``encrypted.error`` of the exact result.
    """
    _check_context(context)
    encrypted = _check_encrypted("encrypted", encrypted)
    context = _check_key_holder(context, encrypted, "encrypted")
    key = context.tenseal.secret_key()
    values = []
    for chunk in encrypted.ciphertexts:
        values.extend(chunk.decrypt(key))
    return np.asarray(values[:encrypted.length], dtype=np.float64)


def decrypt_slots(context: CKKSContext, ciphertext: Any) -> np.ndarray:
    """All N/2 slots of one ciphertext, as the key holder can read them: TenSEAL's own
    ``decrypt`` shows only the first ``size``, not what the other slots carry.

    ``ciphertext`` is an :class:`EncryptedReals` of one ciphertext (checked against the
    context's parameters and key), or a TenSEAL ``CKKSVector`` (not checked: TenSEAL keeps
    no key id).
    """
    context = _check_context(context)
    if not context.is_private:
        raise ValueError("context holds no secret key: only the key holder decrypts")
    if isinstance(ciphertext, EncryptedReals):
        _check_key_holder(context, ciphertext, "ciphertext")
        if len(ciphertext.ciphertexts) != 1:
            raise ValueError(f"ciphertext must be one ciphertext, got "
                             f"{len(ciphertext.ciphertexts)}")
        ciphertext = ciphertext.ciphertexts[0]
    if not hasattr(ciphertext, "ciphertext") or not hasattr(ciphertext, "dot"):
        raise TypeError(f"ciphertext must be an EncryptedReals or a TenSEAL CKKSVector, got "
                        f"{type(ciphertext).__name__}")
    from tenseal import sealapi

    seal_context = context.tenseal.seal_context().data
    raw = ciphertext.ciphertext()
    plain = sealapi.Plaintext()
    sealapi.Decryptor(seal_context, context.tenseal.secret_key().data).decrypt(
        raw[0] if isinstance(raw, list) else raw, plain)
    return np.asarray(sealapi.CKKSEncoder(seal_context).decode_double(plain))


def ciphertext_bytes(encrypted: EncryptedReals) -> int:
    """Bytes of the serialised ciphertexts (SEAL compresses them, so this varies by a few
    hundred bytes from one encryption to the next)."""
    return sum(len(c.serialize()) for c in _check_encrypted("encrypted", encrypted).ciphertexts)
