"""Paillier's cryptosystem from scratch, for learning (Paillier 1999).

Keys: primes p, q of equal length, n = pq, g = n + 1, λ = lcm(p − 1, q − 1),
μ = λ⁻¹ mod n. With L(x) = (x − 1)/n:

    encrypt   c = g^m · r^n mod n²,   r uniform in Z*_n       (here g^m = 1 + m·n mod n²)
    decrypt   m = L(c^λ mod n²) · μ mod n

and the two homomorphic properties the article writes as ⊕ and ⊗ are, concretely,

    D(E(a) · E(b) mod n²) = a + b mod n          (⊕ is multiplication of ciphertexts)
    D(E(a)^k mod n²)      = k·a mod n             (⊗ is exponentiation by a plaintext)

Paillier cannot multiply two ciphertexts: E(a)·E(b) adds, and no operation on E(a),
E(b) alone yields E(a·b) (that needs a fully homomorphic scheme, or an interactive
protocol such as Beaver's, chapter 03d).

Plaintexts are integers mod n; negative numbers use the usual convention that
residues above (n − 1)/2 stand for x − n. This module is the textbook scheme, so ⊕ and ⊗
are arithmetic mod n and wrap by definition (notebook 03c shows it); the encoding layer
:mod:`privlearn.he.vectors` tracks a public bound on every ciphertext and refuses any
operation whose result could wrap. Decryption uses the Chinese remainder
theorem (Paillier 1999, Section 7), about 3x faster than the formula above, which
:func:`decrypt_textbook` keeps for comparison.

Randomness (primes, r) comes from :mod:`secrets`. Tests replace it through the one
module-level hook :data:`_random_below`; the public API takes no seed. Modular powers
use gmpy2 when it is installed (the same arithmetic, about 8x faster for 2048-bit keys).

References
----------
P. Paillier (1999), "Public-key cryptosystems based on composite degree residuosity
classes", EUROCRYPT, Scheme 1 and Section 7. Default key length 2048 bits after NIST
SP 800-57 Part 1 (112-bit security).
"""

from __future__ import annotations

import math
import numbers
import secrets
from dataclasses import dataclass, field

from .. import _primes
from .._primes import powmod as _powmod  # gmpy2's when installed: the same arithmetic, faster

__all__ = [
    "MIN_SECURE_BITS",
    "Ciphertext",
    "PrivateKey",
    "PublicKey",
    "add",
    "add_plain",
    "decrypt",
    "decrypt_textbook",
    "encrypt",
    "generate_keypair",
    "is_probable_prime",
    "mul_plain",
    "raw_encrypt",
]

MIN_SECURE_BITS = 2048

#: The source of secret randomness: a uniform integer in [0, bound). Tests may replace
#: it (monkeypatch) to make keys and ciphertexts reproducible; nothing else should.
_random_below = secrets.randbelow

def _check_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    return int(value)


def is_probable_prime(n: int, *, rounds: int = 40) -> bool:
    """Miller–Rabin with ``rounds`` random bases: a composite passes with probability
    at most 4^-rounds (Menezes, van Oorschot & Vanstone 1996, Fact 4.25)."""
    n = _check_int("n", n)
    rounds = _check_int("rounds", rounds)
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    return _primes.is_probable_prime(n, rounds=rounds, random_below=_random_below)


def _random_prime(bits: int) -> int:
    """A random prime of exactly ``bits`` bits with its top two bits set, so that the
    product of two such primes has exactly 2·bits bits."""
    while True:
        candidate = _random_below(1 << bits) | (0b11 << (bits - 2)) | 1
        if is_probable_prime(candidate):
            return candidate


@dataclass(frozen=True)
class PublicKey:
    """Paillier public key: the modulus n (g = n + 1 throughout)."""

    n: int
    nsquare: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = _check_int("n", self.n)
        if n < 15 or n % 2 == 0 or math.isqrt(n) ** 2 == n or _primes.is_probable_prime(n):
            raise ValueError(f"n must be an odd product of two distinct primes (>= 15; not a "
                             f"prime, not a square), got {n}")
        object.__setattr__(self, "n", n)  # a plain int, whatever integer type came in
        object.__setattr__(self, "nsquare", n * n)

    @property
    def g(self) -> int:
        return self.n + 1

    @property
    def max_plaintext(self) -> int:
        """Largest |m| that round-trips: (n − 1) // 2."""
        return (self.n - 1) // 2

    @property
    def bits(self) -> int:
        return self.n.bit_length()


@dataclass(frozen=True)
class PrivateKey:
    """Paillier private key, built from the two primes."""

    p: int
    q: int
    public_key: PublicKey = field(init=False, repr=False)
    lam: int = field(init=False, repr=False)
    mu: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        p, q = _check_int("p", self.p), _check_int("q", self.q)
        object.__setattr__(self, "p", p)
        object.__setattr__(self, "q", q)
        if p == q:
            raise ValueError(f"p and q must be distinct primes, got p = q = {p}")
        for name, v in (("p", p), ("q", q)):
            if not is_probable_prime(v):
                raise ValueError(f"{name} must be prime, got {v}")
        n = p * q
        if math.gcd(n, (p - 1) * (q - 1)) != 1:
            raise ValueError(f"gcd(pq, (p-1)(q-1)) must be 1 for g = n + 1, got p={p}, q={q}")
        lam = math.lcm(p - 1, q - 1)
        object.__setattr__(self, "public_key", PublicKey(n))
        object.__setattr__(self, "lam", lam)
        object.__setattr__(self, "mu", pow(lam, -1, n))  # L(g^λ mod n²) = λ mod n for g = n+1
        # CRT constants (Paillier 1999, Section 7): h_p = L_p(g^(p-1) mod p²)⁻¹ mod p
        object.__setattr__(self, "_hp", pow(_l(_powmod(n + 1, p - 1, p * p), p), -1, p))
        object.__setattr__(self, "_hq", pow(_l(_powmod(n + 1, q - 1, q * q), q), -1, q))
        object.__setattr__(self, "_q_inv_p", pow(q, -1, p))

    def __repr__(self) -> str:  # never print the primes by accident
        return f"PrivateKey(<{self.public_key.bits}-bit modulus>)"


def _l(x: int, n: int) -> int:
    return (x - 1) // n


@dataclass(frozen=True)
class Ciphertext:
    """A Paillier ciphertext: an integer in Z*_{n²} and the key it belongs to."""

    value: int
    public_key: PublicKey

    def __repr__(self) -> str:
        return f"Ciphertext(<{self.public_key.bits}-bit key>)"


def _check_key(public_key) -> PublicKey:
    if not isinstance(public_key, PublicKey):
        raise TypeError(f"public_key must be a privlearn PublicKey, got "
                        f"{type(public_key).__name__}")
    return public_key


def _check_ciphertext(public_key: PublicKey, c, name: str = "c") -> int:
    if not isinstance(c, Ciphertext):
        raise TypeError(f"{name} must be a Ciphertext, got {type(c).__name__}")
    if c.public_key != public_key:
        raise ValueError(f"{name} was made under another key (a {c.public_key.bits}-bit "
                         f"modulus that is not this key's): keys must match")
    if not 0 < c.value < public_key.nsquare:
        raise ValueError(f"{name} is not in Z*_(n²): got a value outside (0, n²)")
    return c.value


def _encode(public_key: PublicKey, m, name: str = "m") -> int:
    m = _check_int(name, m)
    if abs(m) > public_key.max_plaintext:
        raise ValueError(f"{name} must satisfy |{name}| <= (n-1)/2 = {public_key.max_plaintext} "
                         f"for this key, got {m}; use a larger key or smaller numbers")
    return m % public_key.n


def _decode(public_key: PublicKey, x: int) -> int:
    return x if x <= public_key.max_plaintext else x - public_key.n


def _random_unit(n: int) -> int:
    while True:
        r = _random_below(n)
        if r > 0 and math.gcd(r, n) == 1:
            return r


def raw_encrypt(public_key: PublicKey, m: int, r: int) -> Ciphertext:
    """c = (1 + m·n) · r^n mod n² with a caller-chosen r (known-answer tests, demos).

    ``r`` must be fresh, uniform in Z*_n and secret: reusing it or choosing it badly
    breaks semantic security. :func:`encrypt` chooses it for you.
    """
    pk = _check_key(public_key)
    x = _encode(pk, m)
    r = _check_int("r", r)
    if not 0 < r < pk.n or math.gcd(r, pk.n) != 1:
        raise ValueError(f"r must be in Z*_n (0 < r < n, gcd(r, n) = 1), got {r}")
    return Ciphertext((1 + x * pk.n) * _powmod(r, pk.n, pk.nsquare) % pk.nsquare, pk)


def encrypt(public_key: PublicKey, m: int) -> Ciphertext:
    """Encrypt the integer m, |m| <= (n − 1)/2, with fresh randomness from ``secrets``."""
    pk = _check_key(public_key)
    return raw_encrypt(pk, m, _random_unit(pk.n))


def decrypt(private_key: PrivateKey, c: Ciphertext) -> int:
    """The plaintext of c as a signed integer, by the CRT (Paillier 1999, Section 7)."""
    if not isinstance(private_key, PrivateKey):
        raise TypeError(f"private_key must be a PrivateKey, got {type(private_key).__name__}")
    pk = private_key.public_key
    x = _check_ciphertext(pk, c)
    p, q = private_key.p, private_key.q
    mp = _l(_powmod(x, p - 1, p * p), p) * private_key._hp % p
    mq = _l(_powmod(x, q - 1, q * q), q) * private_key._hq % q
    m = mq + q * ((mp - mq) * private_key._q_inv_p % p)   # the CRT recombination
    return _decode(pk, m)


def decrypt_textbook(private_key: PrivateKey, c: Ciphertext) -> int:
    """m = L(c^λ mod n²) · μ mod n, the formula of Scheme 1 (slower than :func:`decrypt`)."""
    if not isinstance(private_key, PrivateKey):
        raise TypeError(f"private_key must be a PrivateKey, got {type(private_key).__name__}")
    pk = private_key.public_key
    x = _check_ciphertext(pk, c)
    return _decode(pk, _l(_powmod(x, private_key.lam, pk.nsquare), pk.n) * private_key.mu
                   % pk.n)


def add(public_key: PublicKey, c1: Ciphertext, c2: Ciphertext) -> Ciphertext:
    """E(a) ⊕ E(b) = E(a) · E(b) mod n² = E(a + b mod n).

    Textbook arithmetic mod n, as the scheme defines it: a sum past (n − 1)/2 decrypts to
    its signed residue. Encoded values whose sums must never wrap belong in
    :mod:`privlearn.he.vectors`, which tracks a public bound and refuses.
    """
    pk = _check_key(public_key)
    return Ciphertext(_check_ciphertext(pk, c1, "c1") * _check_ciphertext(pk, c2, "c2")
                      % pk.nsquare, pk)


def add_plain(public_key: PublicKey, c: Ciphertext, k: int) -> Ciphertext:
    """E(a) · g^k mod n² = E(a + k mod n), for a plaintext integer k (|k| <= (n − 1)/2)."""
    pk = _check_key(public_key)
    x = _check_ciphertext(pk, c)
    return Ciphertext(x * (1 + _encode(pk, k, "k") * pk.n) % pk.nsquare, pk)


def mul_plain(public_key: PublicKey, c: Ciphertext, k: int) -> Ciphertext:
    """E(a) ⊗ k = E(a)^k mod n² = E(k·a mod n), for a plaintext integer k, |k| <= (n − 1)/2
    (negative allowed)."""
    pk = _check_key(public_key)
    x = _check_ciphertext(pk, c)
    return Ciphertext(_powmod(x, _encode(pk, k, "k"), pk.nsquare), pk)


def _key_bits(n_bits: int | None, insecure_n_bits: int | None) -> int:
    """The modulus length asked for: ``n_bits`` (even, >= 2048, default 2048), or
    ``insecure_n_bits`` (even, >= 64) for a demo, never both. Shared by
    :func:`generate_keypair` and :func:`privlearn.he.vectors.generate_phe_keypair`."""
    if insecure_n_bits is not None:
        if n_bits is not None:
            raise ValueError(f"give n_bits or insecure_n_bits, not both (got n_bits={n_bits!r}, "
                             f"insecure_n_bits={insecure_n_bits!r})")
        bits = _check_int("insecure_n_bits", insecure_n_bits)
        if bits < 64 or bits % 2:
            raise ValueError(f"insecure_n_bits must be an even number >= 64, got {bits}")
        return bits
    bits = MIN_SECURE_BITS if n_bits is None else _check_int("n_bits", n_bits)
    if bits < MIN_SECURE_BITS or bits % 2:
        raise ValueError(f"n_bits must be even and >= {MIN_SECURE_BITS} for a secure key, got "
                         f"{bits}; for a quick demo pass insecure_n_bits={bits} instead")
    return bits


def generate_keypair(n_bits: int | None = None, *, insecure_n_bits: int | None = None
                     ) -> tuple[PublicKey, PrivateKey]:
    """A fresh key pair with an ``n_bits``-bit modulus (default 2048).

    Parameters
    ----------
    n_bits : int, optional
        At least 2048 (the default); shorter moduli are refused here.
    insecure_n_bits : int, optional
        For quick classroom demos only: a modulus of this many bits (>= 64), however
        short. Factoring a 512-bit modulus is within reach of a modest cluster; never
        use this outside a notebook. Give ``n_bits`` or ``insecure_n_bits``, not both.
    """
    bits = _key_bits(n_bits, insecure_n_bits)
    while True:
        p, q = _random_prime(bits // 2), _random_prime(bits // 2)
        if p != q and (p * q).bit_length() == bits:
            private = PrivateKey(p, q)
            return private.public_key, private
