"""Encrypted vectors for machine learning, on top of python-paillier (``phe``).

The server in federated learning can add what clients send without reading it:
clients encrypt their model updates under a key the server does not hold, the server
combines ciphertexts (⊕ = multiplication mod n², ⊗ = exponentiation), and a key holder
decrypts only the aggregate. This module keeps the three concerns apart:

* **encoding** reals as integers, in fixed point with an exact rational scale. Every
  encrypted vector carries a *public bound* M on the integers it holds (|m| <= M): the
  ``max_abs`` stated at encryption, divided by the precision, or by default ⌊√(n/3)⌋
  (half the key's bits). Each operation computes the bound of its result (Σ M_i for a
  sum, Σ k_i·M_i with integer weights k_i) and refuses, before touching a ciphertext,
  any result whose bound passes n/3: a result that could wrap mod n is never computed.
  Decryption keeps phe's second line of defence (the scheme of phe's ``EncodedNumber``):
  a plaintext in the band between n/3 and 2n/3 is reported as an overflow;
* **encryption** with phe's raw Paillier (``raw_encrypt`` / ``raw_decrypt``);
* **arithmetic** on ciphertexts: :func:`encrypted_sum`,
  :func:`encrypted_weighted_average`, :func:`encrypted_dot`.

**Packing** (:func:`pack_encrypt`) puts many fixed-point values into one plaintext, as
BatchCrypt (Zhang et al. 2020, USENIX ATC) and FATE do: each value v, |v| <= M, is
shifted to v + M >= 0 and given a slot of b bits, with b large enough that the sum of up
to ``max_summands`` vectors never carries from one slot into the next
(2·M·max_summands < 2^b). One ciphertext then carries ⌊(log2 n − 1)/b⌋ values, which
divides the number of encryptions, and of bytes sent, by that factor.

**Keys.** phe keys shorter than 2048 bits (NIST SP 800-57's 112-bit level) are refused
unless they were made by :func:`generate_phe_keypair` with ``insecure_n_bits``, the name
a classroom demo uses to say that its key is for show.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np
from phe import paillier as phe
from phe import util as phe_util

from .._validation import as_real_array, check_int, check_real, check_weights
from .paillier import MIN_SECURE_BITS, _key_bits, _powmod

__all__ = [
    "EncryptedVector",
    "PackedVector",
    "check_public_key",
    "ciphertext_bytes",
    "ciphertexts_to_bytes",
    "decrypt_vector",
    "encrypt_vector",
    "encrypted_dot",
    "encrypted_sum",
    "encrypted_weighted_average",
    "generate_phe_keypair",
    "load_phe_private_key",
    "pack_encrypt",
    "packed_from_bytes",
    "packing_layout",
    "save_phe_private_key",
    "unpack_decrypt",
]


#: Moduli of phe keys made by ``generate_phe_keypair(insecure_n_bits=...)``: the only
#: keys under 2048 bits this module accepts.
_INSECURE_DEMO_MODULI: set[int] = set()



def generate_phe_keypair(n_bits: int | None = None, *, insecure_n_bits: int | None = None
                         ) -> tuple[phe.PaillierPublicKey, phe.PaillierPrivateKey]:
    """A phe key pair for this module: ``n_bits`` >= 2048 (the default), or a short key
    for a classroom demo asked for by name with ``insecure_n_bits`` (>= 64, even).

    Keys from ``phe.generate_paillier_keypair`` work too when they have 2048 bits or more.
    """
    bits = _key_bits(n_bits, insecure_n_bits)
    public, private = phe.generate_paillier_keypair(n_length=bits)
    if insecure_n_bits is not None:
        _INSECURE_DEMO_MODULI.add(public.n)
    return public, private


_KEY_FILE_KIND = "privlearn phe private key"


def _check_path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    return Path(path)


def save_phe_private_key(path: str | Path, private_key) -> Path:
    """Write a private key (its primes p and q, as JSON) to a new file readable by its
    owner only (mode 0600), for a key authority that provisions the key holders.

    Keys under 2048 bits (classroom demo keys) are refused: they stay in memory.
    """
    sk = _check_private(private_key)
    path = _check_path(path)
    bits = sk.public_key.n.bit_length()
    if bits < MIN_SECURE_BITS:
        raise ValueError(f"private_key has a {bits}-bit modulus: only keys of at least "
                         f"{MIN_SECURE_BITS} bits are written to files")
    doc = {"kind": _KEY_FILE_KIND, "p": format(sk.p, "x"), "q": format(sk.q, "x")}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
    return path


def load_phe_private_key(path: str | Path
                         ) -> tuple[phe.PaillierPublicKey, phe.PaillierPrivateKey]:
    """The key pair in a file written by :func:`save_phe_private_key`; ValueError naming
    the file if it holds anything else."""
    path = _check_path(path)
    # no message quotes the file's content: it may travel (a Flower error reply)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not a privlearn phe private key file: not JSON "
                         f"(line {err.lineno})") from None
    if not isinstance(doc, dict) or doc.get("kind") != _KEY_FILE_KIND:
        raise ValueError(f"{path} is not a privlearn phe private key file: its kind is not "
                         f"{_KEY_FILE_KIND!r}")
    primes = []
    for name in ("p", "q"):
        try:
            primes.append(int(doc[name], 16))
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{path} is not a privlearn phe private key file: {name} is "
                             "missing or not a hexadecimal integer") from None
    p, q = primes
    if p == q or not (phe_util.is_prime(p) and phe_util.is_prime(q)):
        raise ValueError(f"{path} must hold two distinct primes p and q: "
                         f"{'p equals q' if p == q else 'one of them is not prime'}")
    bits = (p * q).bit_length()
    if bits < MIN_SECURE_BITS:
        raise ValueError(f"{path} holds a {bits}-bit key, below the {MIN_SECURE_BITS} bits "
                         "of a secure one")
    public = check_public_key(phe.PaillierPublicKey(p * q))
    return public, phe.PaillierPrivateKey(public, p, q)


def check_public_key(public_key) -> phe.PaillierPublicKey:
    """``public_key`` if it is a phe public key of at least 2048 bits, or a short one made
    by ``generate_phe_keypair(insecure_n_bits=...)``; TypeError or ValueError otherwise."""
    if not isinstance(public_key, phe.PaillierPublicKey):
        raise TypeError(f"public_key must be a phe PaillierPublicKey, got "
                        f"{type(public_key).__name__}")
    bits = public_key.n.bit_length()
    if bits < MIN_SECURE_BITS and public_key.n not in _INSECURE_DEMO_MODULI:
        raise ValueError(f"public_key has a {bits}-bit modulus, below the {MIN_SECURE_BITS} "
                         "bits of a secure key; for a classroom demo make it with "
                         f"generate_phe_keypair(insecure_n_bits={bits})")
    return public_key


def _check_private(private_key) -> phe.PaillierPrivateKey:
    if not isinstance(private_key, phe.PaillierPrivateKey):
        raise TypeError(f"private_key must be a phe PaillierPrivateKey, got "
                        f"{type(private_key).__name__}")
    return private_key


def _precision(precision, name: str = "precision") -> Fraction:
    return Fraction(check_real(name, precision, low=0.0))  # exact: a dyadic rational


def ciphertext_bytes(public_key) -> int:
    """Bytes of one ciphertext on the wire: an element of Z_(n²), sent in a fixed width of
    2·⌈bits(n)/8⌉ bytes (512 for a 2048-bit key), whatever its value."""
    if not isinstance(public_key, phe.PaillierPublicKey):
        raise TypeError(f"public_key must be a phe PaillierPublicKey, got "
                        f"{type(public_key).__name__}")
    return 2 * ((public_key.n.bit_length() + 7) // 8)


@dataclass(frozen=True)
class EncryptedVector:
    """Ciphertexts of fixed-point values: each decrypts to m, read as m·scale/divisor.

    ``max_abs_int`` is the public bound M with |m| <= M for every ciphertext; it never
    exceeds the key's safe range n/3 (``public_key.max_int``).
    """

    public_key: phe.PaillierPublicKey
    ciphertexts: tuple[int, ...]
    shape: tuple[int, ...]
    scale: Fraction
    max_abs_int: int
    divisor: Fraction = Fraction(1)

    def __len__(self) -> int:
        return len(self.ciphertexts)

    @property
    def nbytes(self) -> int:
        return len(self.ciphertexts) * ciphertext_bytes(self.public_key)


def _room(pk: phe.PaillierPublicKey, bound: int, what: str) -> int:
    """Refuse a result whose public bound passes the key's safe range n/3."""
    if bound > pk.max_int:
        raise OverflowError(
            f"{what} could reach |m| = {bound} (the sum of its inputs' public bounds), beyond "
            f"the key's safe range n/3 = {pk.max_int}: it could wrap mod n. State smaller "
            "bounds with max_abs when encrypting, use a coarser precision, fewer or smaller "
            "weights, or a larger key")
    return bound


def encrypt_vector(public_key, values, *, precision: float = 2.0**-24,
                   max_abs: float | None = None) -> EncryptedVector:
    """Encrypt an array of reals, one ciphertext per value.

    Parameters
    ----------
    public_key : phe.PaillierPublicKey
        At least 2048 bits, or made by ``generate_phe_keypair(insecure_n_bits=...)``.
    values : array_like of float
        Finite reals (NaN and infinity are refused).
    precision : float
        The fixed-point unit: each value is stored as round(x / precision). A power of
        two keeps the scale exact.
    max_abs : float, optional
        A public bound on |x|, fixed in advance and never taken from the data (e.g. the
        clipping norm of an update); a value beyond it raises ValueError. It becomes the
        vector's bound M = ceil(max_abs / precision), from which sums are checked. By
        default M = ⌊√(n/3)⌋: a fresh value may use half the key's bits, and the other half
        is room for sums and for products with plaintext weights.

    Examples
    --------
    >>> pk, sk = generate_phe_keypair(insecure_n_bits=128)
    >>> big = encrypt_vector(pk, 1.0, precision=2.0**-20, max_abs=0.4 * pk.max_int / 2**20)
    >>> decrypt_vector(sk, encrypted_sum([big, big]))
    2.0
    >>> encrypted_sum([big, big, big])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    OverflowError: the sum could reach |m| = ...
    """
    pk = check_public_key(public_key)
    x = as_real_array("values", values)
    scale = _precision(precision)
    if max_abs is None:
        bound = math.isqrt(pk.max_int)
        rule = (f"|x| <= {float(bound * scale):g} (the default bound, √(n/3) at this "
                "precision; pass max_abs to state your own)")
    else:
        bound = math.ceil(Fraction(check_real("max_abs", max_abs, low=0.0)) / scale)
        if bound > pk.max_int:
            raise ValueError(f"max_abs / precision must not exceed the key's safe range n/3 = "
                             f"{pk.max_int}, got max_abs={max_abs!r}, precision={precision!r}; "
                             "use a coarser precision or a larger key")
        rule = f"|x| <= max_abs={max_abs!r}"
    flat = x.ravel().tolist()
    ints = [round(Fraction(v) / scale) for v in flat]
    for v, m in zip(flat, ints, strict=True):
        if abs(m) > bound:
            raise ValueError(f"values must satisfy {rule}, got {v!r}")
    cts = tuple(pk.raw_encrypt(m % pk.n) for m in ints)
    return EncryptedVector(pk, cts, x.shape, scale, bound)


def _decode(private_key: phe.PaillierPrivateKey, c: int, index: int = 0) -> int:
    pk = private_key.public_key
    m = private_key.raw_decrypt(c)
    if m <= pk.max_int:
        return m
    if m >= pk.n - pk.max_int:
        return m - pk.n
    raise OverflowError(f"the decrypted value of ciphertext {index} lies in the overflow band "
                        "between n/3 and 2n/3: the sum outgrew the key at this precision "
                        "(a vector's public bound was wrong)")


def decrypt_vector(private_key, encrypted: EncryptedVector) -> np.ndarray:
    """Decrypt to a float64 array of the original shape (or a float for shape ())."""
    sk = _check_private(private_key)
    if not isinstance(encrypted, EncryptedVector):
        raise TypeError(f"encrypted must be an EncryptedVector, got {type(encrypted).__name__}")
    if encrypted.public_key != sk.public_key:
        raise ValueError("encrypted was made under another key: keys must match")
    factor = encrypted.scale / encrypted.divisor
    out = np.array([float(_decode(sk, c, i) * factor)
                    for i, c in enumerate(encrypted.ciphertexts)])
    out = out.reshape(encrypted.shape)
    return float(out) if out.ndim == 0 else out


def _same_kind(vectors, what: str) -> list:
    if not isinstance(vectors, (list, tuple)):
        raise TypeError(f"{what} must be a list of encrypted vectors, got "
                        f"{type(vectors).__name__}")
    if not vectors:
        raise ValueError(f"{what} must be a non-empty list of encrypted vectors, got []")
    first = vectors[0]
    if not isinstance(first, (EncryptedVector, PackedVector)):
        raise TypeError(f"{what}[0] must be an EncryptedVector or PackedVector, got "
                        f"{type(first).__name__}")
    for i, v in enumerate(vectors):
        if not isinstance(v, (EncryptedVector, PackedVector)):
            raise TypeError(f"{what}[{i}] must be an EncryptedVector or PackedVector, got "
                            f"{type(v).__name__}")
        if type(v) is not type(first):
            raise TypeError(f"{what}[{i}] is a {type(v).__name__}, {what}[0] a "
                            f"{type(first).__name__}: do not mix packed and unpacked")
        if v.public_key != first.public_key:
            raise ValueError(f"{what}[{i}] was made under another key: keys must match")
        if v.shape != first.shape or len(v) != len(first):
            raise ValueError(f"{what}[{i}] has shape {v.shape}, {what}[0] has {first.shape}")
        if isinstance(v, EncryptedVector) and (v.scale, v.divisor) != (first.scale,
                                                                       first.divisor):
            raise ValueError(f"{what}[{i}] has another fixed-point scale than {what}[0]")
        if isinstance(v, PackedVector) and v.layout != first.layout:
            raise ValueError(f"{what}[{i}] has another packing layout than {what}[0]")
        if isinstance(v, PackedVector) and v.divisor != first.divisor:
            raise ValueError(f"{what}[{i}] has divisor {v.divisor}, {what}[0] has "
                             f"{first.divisor}: a weighted average cannot be added to other "
                             "vectors; add the vectors first, then average")
    return list(vectors)


def _combine(pk, columns, exponents) -> tuple[int, ...]:
    """Π_i c_i^{k_i} mod n² for each column of ciphertexts."""
    nsq = pk.nsquare
    out = []
    for cts in columns:
        acc = 1
        for c, k in zip(cts, exponents, strict=True):
            if k == 1:
                acc = acc * c % nsq
            elif k != 0:
                acc = acc * _powmod(c, k, nsq) % nsq
        out.append(acc)
    return tuple(out)


def encrypted_sum(vectors):
    """Element-wise sum of encrypted (or packed) vectors, computed on ciphertexts only."""
    vs = _same_kind(vectors, "vectors")
    first = vs[0]
    columns = zip(*(v.ciphertexts for v in vs), strict=True)
    if isinstance(first, PackedVector):
        summands = sum(v.summands for v in vs)
        first._check_room(summands)
        return replace(first, ciphertexts=_combine(first.public_key, columns, [1] * len(vs)),
                       summands=summands)
    bound = _room(first.public_key, sum(v.max_abs_int for v in vs), "the sum")
    return replace(first, ciphertexts=_combine(first.public_key, columns, [1] * len(vs)),
                   max_abs_int=bound)


def encrypted_weighted_average(vectors, weights, *, weight_precision: float = 2.0**-20):
    """Σ_i w_i·v_i / Σ_i w_i on ciphertexts; the division happens at decryption.

    Integer weights (example counts, as FedAvg uses) are applied exactly. Other weights
    are encoded as round((w_i / Σw) / weight_precision), which refines the scale.
    Packed vectors take integer weights only: w_i counts as w_i summands.
    """
    vs = _same_kind(vectors, "vectors")
    w = check_weights(weights, len(vs), per="vector")
    first = vs[0]
    integral = all(float(x).is_integer() for x in w)
    columns = list(zip(*(v.ciphertexts for v in vs), strict=True))
    if isinstance(first, PackedVector):
        if not integral:
            raise TypeError("packed vectors take integer weights (e.g. example counts), got "
                            f"{w!r}")
        ks = [int(x) for x in w]
        summands = sum(k * v.summands for k, v in zip(ks, vs, strict=True))
        first._check_room(summands)
        return replace(first, ciphertexts=_combine(first.public_key, columns, ks),
                       summands=summands, divisor=first.divisor * sum(ks))
    if integral:
        ks = [int(x) for x in w]
        bound = _room(first.public_key, sum(k * v.max_abs_int for k, v in zip(ks, vs,
                                                                                strict=True)),
                      "the weighted sum")
        return replace(first, ciphertexts=_combine(first.public_key, columns, ks),
                       divisor=first.divisor * sum(ks), max_abs_int=bound)
    unit = _precision(weight_precision, "weight_precision")
    total = Fraction(math.fsum(w))
    ks = [round(Fraction(x) / total / unit) for x in w]
    bound = _room(first.public_key, sum(k * v.max_abs_int for k, v in zip(ks, vs, strict=True)),
                  "the weighted sum")
    return replace(first, ciphertexts=_combine(first.public_key, columns, ks),
                   scale=first.scale * unit, max_abs_int=bound)


def encrypted_dot(encrypted_x: EncryptedVector, weights, *, intercept: float = 0.0,
                  weight_precision: float = 2.0**-20) -> EncryptedVector:
    """Encrypted features times plaintext weights: Enc(x·w + b) per record.

    ``encrypted_x`` of shape (d,) gives one ciphertext; of shape (m, d), one per record
    (encrypted linear-model scoring: the server never sees the features, the client never
    sees the weights). Weights are fixed-point encoded with ``weight_precision``; each
    result is re-randomised with a fresh encryption, so it reveals nothing but x·w + b to
    the key holder. Refused (OverflowError) when Σ_j |k_j|·M + |b| could pass n/3, M
    being ``encrypted_x``'s public bound.
    """
    if not isinstance(encrypted_x, EncryptedVector):
        raise TypeError(f"encrypted_x must be an EncryptedVector, got "
                        f"{type(encrypted_x).__name__}")
    w = as_real_array("weights", weights)
    if w.ndim != 1 or not encrypted_x.shape or encrypted_x.shape[-1] != w.size:
        raise ValueError(f"weights must be 1-D with one entry per feature: features have "
                         f"shape {encrypted_x.shape}, weights {w.shape}")
    b = check_real("intercept", intercept)
    pk = encrypted_x.public_key
    unit = _precision(weight_precision, "weight_precision")
    ks = [round(Fraction(v) / unit) for v in w.tolist()]
    scale = encrypted_x.scale * unit
    m_b = round(Fraction(b) / scale * encrypted_x.divisor)
    bound = _room(pk, sum(abs(k) for k in ks) * encrypted_x.max_abs_int + abs(m_b),
                  "the dot product (with the intercept)")
    d = w.size
    rows = [encrypted_x.ciphertexts[i:i + d] for i in range(0, len(encrypted_x), d)]
    nsq = pk.nsquare
    out = []
    for row in rows:
        acc = 1
        for c, k in zip(row, ks, strict=True):
            if k > 0:
                acc = acc * _powmod(c, k, nsq) % nsq
            elif k < 0:  # E(a)^(-k) = (E(a)^-1)^k
                acc = acc * _powmod(pow(c, -1, nsq), -k, nsq) % nsq
        # A fresh encryption of the intercept re-randomises the result: without it, weights
        # that all round to 0 would leave g^b with r = 1 (readable without the key), and the
        # result's randomness would be the inputs' raised to the k_j, a trace of the weights
        # for the key holder (re-randomising gives what is called circuit privacy).
        out.append(acc * pk.raw_encrypt(m_b % pk.n) % nsq)
    shape = encrypted_x.shape[:-1]
    return EncryptedVector(pk, tuple(out), shape, scale, bound, encrypted_x.divisor)


# ---------------------------------------------------------------------------- packing

@dataclass(frozen=True)
class PackedVector:
    """Fixed-point values packed into slots of ``slot_bits`` bits, many per ciphertext."""

    public_key: phe.PaillierPublicKey
    ciphertexts: tuple[int, ...]
    shape: tuple[int, ...]
    precision: Fraction
    max_abs_int: int          # M: every encoded value satisfies |v| <= M
    slot_bits: int            # b
    slots: int                # values per ciphertext
    max_summands: int         # S: 2·M·S < 2^b
    summands: int = 1         # how many (weighted) vectors this one adds up
    divisor: Fraction = Fraction(1)

    @property
    def layout(self) -> tuple:
        return (self.precision, self.max_abs_int, self.slot_bits, self.slots,
                self.max_summands)

    def __len__(self) -> int:
        return len(self.ciphertexts)

    @property
    def nbytes(self) -> int:
        return len(self.ciphertexts) * ciphertext_bytes(self.public_key)

    def _check_room(self, summands: int) -> None:
        if summands > self.max_summands:
            raise OverflowError(f"adding these would make {summands} summands, more than "
                                f"max_summands={self.max_summands} the slots were sized for: "
                                "slots would carry into each other")


def packing_layout(public_key, *, precision: float, max_summands: int, max_abs: float
                   ) -> tuple[int, int, int]:
    """(M, slot bits b, slots per ciphertext) for these parameters; raises if b does not
    fit the key."""
    pk = check_public_key(public_key)
    scale = _precision(precision)
    bound = check_real("max_abs", max_abs, low=0.0)
    summands = check_int("max_summands", max_summands, low=1)
    m = math.ceil(Fraction(bound) / scale)
    bits = (2 * m * summands).bit_length()  # 2·M·S < 2^b
    slots = (pk.n.bit_length() - 1) // bits
    if slots < 1:
        raise ValueError(f"a slot of {bits} bits does not fit a {pk.n.bit_length()}-bit key: "
                         "coarsen precision, lower max_abs or max_summands")
    return m, bits, slots


def pack_encrypt(public_key, values, *, precision: float, max_summands: int,
                 max_abs: float) -> PackedVector:
    """Encrypt many values per ciphertext (see the module doc for the layout).

    Parameters
    ----------
    public_key : phe.PaillierPublicKey
    values : array_like of float
        Finite reals with |x| <= ``max_abs``; anything larger raises ValueError (never
        clipped, never wrapped).
    precision : float
        Fixed-point unit.
    max_summands : int
        The most vectors (counting integer weights) that will ever be added together.
    max_abs : float
        A public bound on |x|, fixed in advance (e.g. the clipping norm of the updates),
        never taken from the data.
    """
    pk = check_public_key(public_key)
    x = as_real_array("values", values)
    m, bits, slots = packing_layout(pk, precision=precision, max_summands=max_summands,
                                    max_abs=max_abs)
    scale = _precision(precision)
    flat = x.ravel().tolist()
    ints = [round(Fraction(v) / scale) for v in flat]
    for v, q in zip(flat, ints, strict=True):
        if abs(q) > m:
            raise ValueError(f"values must satisfy |x| <= max_abs={max_abs!r}, got {v!r}")
    cts = []
    for start in range(0, len(ints), slots):
        packed = 0
        for j, q in enumerate(ints[start:start + slots]):
            packed |= (q + m) << (bits * j)
        cts.append(pk.raw_encrypt(packed))
    return PackedVector(pk, tuple(cts), x.shape, scale, m, bits, slots, max_summands)


def ciphertexts_to_bytes(vector) -> list[bytes]:
    """A vector's ciphertexts as it travels: each big-endian in the fixed width of
    :func:`ciphertext_bytes`. The metadata (shape, scale, layout) is public and agreed
    in advance; it does not travel with them."""
    if not isinstance(vector, (EncryptedVector, PackedVector)):
        raise TypeError(f"vector must be an EncryptedVector or PackedVector, got "
                        f"{type(vector).__name__}")
    width = ciphertext_bytes(vector.public_key)
    return [c.to_bytes(width, "big") for c in vector.ciphertexts]


def packed_from_bytes(public_key, blobs, *, shape: tuple[int, ...], precision: float,
                      max_summands: int, max_abs: float, summands: int = 1,
                      divisor: int = 1) -> PackedVector:
    """The :class:`PackedVector` whose ciphertexts arrived as ``blobs``
    (:func:`ciphertexts_to_bytes`), with the layout the parties agreed on
    (:func:`pack_encrypt`'s arguments) rather than one the sender claims.

    ``summands`` and ``divisor`` describe an aggregate (:func:`encrypted_weighted_average`
    with integer weights gives summands = divisor = Σ w_i); a fresh vector has 1 and 1.
    Refused with ValueError: a count of ciphertexts that does not fit ``shape``, a blob of
    the wrong width, a value that is not a unit of Z_(n²) (no Paillier ciphertext is),
    ``summands`` beyond ``max_summands``.
    """
    pk = check_public_key(public_key)
    if not isinstance(shape, tuple) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise TypeError(f"shape must be a tuple of ints >= 0, got {shape!r}")
    m, bits, slots = packing_layout(pk, precision=precision, max_summands=max_summands,
                                    max_abs=max_abs)
    summands = check_int("summands", summands, low=1, high=max_summands)
    divisor = check_int("divisor", divisor, low=1)
    if not isinstance(blobs, (list, tuple)):
        raise TypeError(f"blobs must be a list of bytes, got {type(blobs).__name__}")
    expected = math.ceil(math.prod(shape) / slots)
    if len(blobs) != expected:
        raise ValueError(f"blobs must hold {expected} ciphertexts for shape {shape} at "
                         f"{slots} values each, got {len(blobs)}")
    width = ciphertext_bytes(pk)
    cts = []
    for i, blob in enumerate(blobs):
        if not isinstance(blob, bytes):
            raise TypeError(f"blobs[{i}] must be bytes, got {type(blob).__name__}")
        if len(blob) != width:
            raise ValueError(f"blobs[{i}] must be {width} bytes, got {len(blob)}")
        c = int.from_bytes(blob, "big")
        if not 0 < c < pk.nsquare or math.gcd(c, pk.n) != 1:
            raise ValueError(f"blobs[{i}] is not a unit mod n²: not a Paillier ciphertext")
        cts.append(c)
    return PackedVector(pk, tuple(cts), shape, _precision(precision), m, bits, slots,
                        max_summands, summands, Fraction(divisor))


def unpack_decrypt(private_key, packed: PackedVector) -> np.ndarray:
    """Decrypt and unpack: each slot holds Σ(v + M) over the summands; subtract the
    offsets and divide by the weights' sum."""
    sk = _check_private(private_key)
    if not isinstance(packed, PackedVector):
        raise TypeError(f"packed must be a PackedVector, got {type(packed).__name__}")
    if packed.public_key != sk.public_key:
        raise ValueError("packed was made under another key: keys must match")
    count = math.prod(packed.shape)
    mask = (1 << packed.slot_bits) - 1
    offset = packed.max_abs_int * packed.summands
    factor = packed.precision / packed.divisor
    top = 2 * packed.max_abs_int * packed.summands  # each slot holds Σ(v + M) in [0, top]
    out = []
    for c in packed.ciphertexts:
        plain = sk.raw_decrypt(c)
        for j in range(packed.slots):
            if len(out) == count:
                break
            raw = (plain >> (packed.slot_bits * j)) & mask
            if raw > top:
                raise ValueError(f"slot {len(out)} holds {raw}, more than 2·M·summands = {top} "
                                 f"for summands={packed.summands}: the packed vector's "
                                 "metadata does not match its ciphertexts")
            out.append(float((raw - offset) * factor))
    arr = np.array(out).reshape(packed.shape)
    return float(arr) if arr.ndim == 0 else arr


