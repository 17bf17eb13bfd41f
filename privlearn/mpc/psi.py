"""Private set intersection by Diffie–Hellman on X25519: two parties learn which ids they
share, and nothing else about each other's ids beyond how many there are.

The idea is Meadows' (1986) and Huberman, Franklin & Hogg's (1999): hash each id to a point
H(x) of a group where Diffie–Hellman is hard, and raise it to a secret key. Exponents
commute, so (H(x)^a)^b = (H(x)^b)^a: the two parties can compare doubly blinded ids
without either seeing the other's ids. Here the group is Curve25519 through X25519
(Bernstein 2006; ``cryptography``'s implementation), and "raising to a" is X25519 with
private key a. An id is hashed to a point *of the curve*: SHA-512 of a counter and the id,
as a u-coordinate, the first counter whose u lies on the curve (try-and-increment; about two
tries). A u-coordinate that lands on the quadratic twist instead would stay on the twist
after blinding, and whether it does is a public function of the id: one bit about each id
would leak (a reviewer measured it: one blinded value halves a list of guesses). X25519 clamps
every key to a multiple of the cofactor 8, so each blinded value lies in the prime-order
subgroup. (RFC 9380's Elligator 2 map does the same in constant time; try-and-increment's
number of tries depends on the id, which matters only against someone timing the hashing.)

Both parties run the same three steps (a :class:`PSIParty` refuses them out of order or
twice):

1. :meth:`~PSIParty.blinded`: send H(x)^k for each own id, in a random order;
2. :meth:`~PSIParty.reblind`: raise the other's blinded ids to k and send them back, in the
   order received;
3. :meth:`~PSIParty.intersection`: the other party returned my ids as H(x)^{k k'} in my
   order; the other's ids, doubly blinded, I computed in step 2; an id of mine is shared
   exactly when its value is among those.

Threat model (semi-honest, both parties follow the steps): each party learns the
intersection and the size of the other's set. Under the decisional Diffie–Hellman
assumption in the curve's prime-order subgroup the blinded values of ids outside the
intersection look random, so the other party cannot test a guessed id against them (a
dictionary attack, which breaks the common shortcut of exchanging plain hashes of the ids).
Not protected: a party that lies about its set (it can put in any ids it wants to test, up
to the size it admits to); the sizes of both sets; and whatever the intersection itself
reveals.
"""

from __future__ import annotations

import hashlib
import numbers
from collections.abc import Iterable

import numpy as np
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from .randomness import random_bytes

__all__ = ["PSIParty", "hash_to_point"]

_DOMAIN = b"privlearn-psi-x25519-v2"
POINT_BYTES = 32


def _id_bytes(item, index: int) -> bytes:
    """A canonical encoding of an id that keeps str, bytes and int apart."""
    if isinstance(item, str):
        return b"s" + item.encode("utf-8")
    if isinstance(item, bytes):
        return b"b" + item
    if isinstance(item, numbers.Integral) and not isinstance(item, (bool, np.bool_)):
        return b"i" + str(int(item)).encode()
    raise TypeError(f"items[{index}] must be a str, bytes or int id, got "
                    f"{type(item).__name__} {item!r}")


_P = 2**255 - 19     # Curve25519: v² = u³ + A·u² + u over GF(p)
_A = 486662


def _on_curve(u: int) -> bool:
    """True if u is the u-coordinate of a point of Curve25519 of order above 2 (not of the
    twist): u³ + A·u² + u is a non-zero square mod p (Euler's criterion)."""
    v = (u * u * u + _A * u * u + u) % _P
    return v != 0 and pow(v, (_P - 1) // 2, _P) == 1


def hash_to_point(item: str | bytes | int) -> bytes:
    """H(x): the u-coordinate (32 bytes, little-endian) of a point of Curve25519, from
    SHA-512 of a domain tag, a counter and the id: the first counter whose u is on the curve.

    Examples
    --------
    >>> u = int.from_bytes(hash_to_point("customer 42"), "little")
    >>> _on_curve(u), hash_to_point("customer 42") == hash_to_point("customer 42")
    (True, True)
    """
    encoded = _id_bytes(item, 0)
    for counter in range(256):   # each try lands on the curve with probability about 1/2
        digest = hashlib.sha512(_DOMAIN + bytes([counter]) + encoded).digest()
        u = int.from_bytes(digest[:POINT_BYTES], "little") % _P
        if _on_curve(u):
            return u.to_bytes(POINT_BYTES, "little")
    raise RuntimeError("no point of the curve in 256 tries (probability 2^-256)")


def _point(value, index: int, what: str) -> bytes:
    """A received point as bytes: TypeError for another type, ValueError for a length."""
    if not isinstance(value, (bytes, bytearray)):
        raise TypeError(f"{what}[{index}] must be {POINT_BYTES} bytes, got "
                        f"{type(value).__name__} {value!r:.60}")
    if len(value) != POINT_BYTES:
        raise ValueError(f"{what}[{index}] must be {POINT_BYTES} bytes (an X25519 "
                         f"u-coordinate), got {len(value)} bytes")
    return bytes(value)


def _values(values, what: str) -> list:
    if isinstance(values, (str, bytes, bytearray)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{what} must be a list of {POINT_BYTES}-byte values, got "
                        f"{type(values).__name__}")
    return [_point(v, i, what) for i, v in enumerate(values)]


def _raise(key: X25519PrivateKey, point: bytes, index: int, what: str) -> bytes:
    try:
        return key.exchange(X25519PublicKey.from_public_bytes(bytes(point)))
    except ValueError:  # a point of small order: all-zero result
        raise ValueError(f"{what}[{index}] is a point of small order, which would reveal "
                         f"nothing but zero: refused") from None


def _permutation(n: int) -> np.ndarray:
    """A uniformly random permutation of range(n), from the module's secret randomness."""
    keys = np.frombuffer(random_bytes(8 * n), dtype=np.uint64) if n else np.zeros(0, np.uint64)
    return np.argsort(keys, kind="stable")


class PSIParty:
    """One side of the DH private set intersection (see the module docstring).

    Parameters
    ----------
    items : iterable of str, bytes or int
        This party's ids, each once (a repeated id is refused: its repeat would show).
    """

    def __init__(self, items: Iterable[str | bytes | int]) -> None:
        if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
            raise TypeError(f"items must be an iterable of ids, got {type(items).__name__}")
        self.items = list(items)
        encoded = [_id_bytes(x, i) for i, x in enumerate(self.items)]
        seen: dict[bytes, int] = {}
        for i, e in enumerate(encoded):
            if e in seen:
                raise ValueError(f"items must not repeat an id: items[{seen[e]}] and "
                                 f"items[{i}] are both {self.items[i]!r}")
            seen[e] = i
        self._key = X25519PrivateKey.from_private_bytes(random_bytes(32))
        self._order = _permutation(len(self.items))
        self._other: set[bytes] | None = None
        self.state = "new"

    def _step(self, expected: str, name: str, after: str) -> None:
        if self.state != expected:
            raise ValueError(f"{name} comes after {after} and only once: this party is at "
                             f"state {self.state!r}")

    def blinded(self) -> list[bytes]:
        """Step 1: H(x)^k for each own id, in a random order (32 bytes each)."""
        self._step("new", "blinded()", "creating the party")
        out = [_raise(self._key, hash_to_point(self.items[i]), int(i), "items")
               for i in self._order]
        self.state = "blinded"
        return out

    def reblind(self, other_blinded: Iterable[bytes]) -> list[bytes]:
        """Step 2: the other party's blinded ids raised to k, in the order received."""
        self._step("blinded", "reblind()", "blinded()")
        values = _values(other_blinded, "other_blinded")
        out = [_raise(self._key, p, i, "other_blinded") for i, p in enumerate(values)]
        if len(set(out)) != len(out):
            raise ValueError("other_blinded repeats a value: the other party repeated an id")
        self._other = set(out)
        self.state = "reblinded"
        return out

    def intersection(self, returned: Iterable[bytes]) -> list:
        """Step 3: own ids also held by the other party, in the order of ``items``.

        ``returned`` is the other party's :meth:`reblind` of this party's
        :meth:`blinded`, in the same order.
        """
        self._step("reblinded", "intersection()", "reblind()")
        values = _values(returned, "returned")
        if len(values) != len(self.items):
            raise ValueError(f"returned must hold one value per own id ({len(self.items)}), "
                             f"got {len(values)}")
        shared = {int(i) for i, v in zip(self._order, values, strict=True) if v in self._other}
        self.state = "done"
        return [x for i, x in enumerate(self.items) if i in shared]
