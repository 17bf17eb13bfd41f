"""Secure comparison: the sign of a shared value, and why it costs far more than a product.

ReLU(x) = x·[x >= 0] and every comparison need the sign bit of x, which is the top bit of
x_0 + x_1 mod 2^64 for two parties' additive shares. Addition mod 2^64 is cheap on
arithmetic shares, but the top bit is not linear in them: it depends on the *carry* out of
the lower 63 bits, which is an AND/XOR circuit over the bits of x_0 (known to party 0) and
x_1 (known to party 1). :func:`sign_bit` evaluates the ripple-carry adder on XOR shares
(Goldreich, Micali & Wigderson 1987):

    carry_{i+1} = (a_i ∧ b_i) ⊕ (carry_i ∧ (a_i ⊕ b_i)),     sign = a_63 ⊕ b_63 ⊕ carry_63,

where XOR is free and each AND consumes one Beaver triple over GF(2) from a dealer (bits
a, b and c = a ∧ b, XOR-shared) and opens two bits per party. The 63 ANDs a_i ∧ b_i go in
one round; the carry chain is sequential, one round per bit: 125 ANDs and 63 rounds of
messages for one comparison with this circuit, against one triple and one round for a
product. (The majority form of the carry, c_{i+1} = a_i ⊕ ((a_i ⊕ c_i) ∧ (b_i ⊕ c_i)),
needs one AND per bit, 63, in the same 63 rounds.) Parallel
prefix adders cut the rounds to about log2 64 = 6 at the price of more ANDs, and
protocols such as ABY (Demmler, Schneider & Zohner 2015) or CrypTFlow2 (Rathee et al. 2020)
use oblivious transfer and other tricks; the gap to multiplication remains the point.

The output is XOR shares of the sign bit (1 for negative). Turning them into arithmetic
shares and multiplying by x (for ReLU) costs one more triple each; not done here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .additive import _as_ring
from .randomness import random_bytes

__all__ = ["ComparisonCost", "sign_bit"]

_BITS = 64


@dataclass(frozen=True)
class ComparisonCost:
    """Per compared element: AND gates (GF(2) triples), rounds, and bits each party sends."""

    and_gates: int
    rounds: int
    bits_sent_per_party: int


def _random_bits(shape) -> np.ndarray:
    count = int(np.prod(shape, dtype=np.int64))
    raw = np.frombuffer(random_bytes((count + 7) // 8), dtype=np.uint8)
    return np.unpackbits(raw)[:count].reshape(shape)


class _AndGates:
    """A dealer's GF(2) triples, one per AND; counts the ANDs per element and the rounds."""

    def __init__(self) -> None:
        self.ands = 0
        self.rounds = 0

    def __call__(self, x: np.ndarray, y: np.ndarray, *, gates: int = 1) -> np.ndarray:
        """XOR shares (2, ...) of x ∧ y from XOR shares of x and y: one round, ``gates``
        ANDs per compared element."""
        a, b = _random_bits(x.shape[1:]), _random_bits(x.shape[1:])
        a_sh, b_sh, c_sh = (self._share(v) for v in (a, b, a & b))
        d = np.bitwise_xor.reduce(x ^ a_sh, axis=0)   # opened: x ⊕ a, uniform
        e = np.bitwise_xor.reduce(y ^ b_sh, axis=0)   # opened: y ⊕ b, uniform
        z = c_sh ^ (d & b_sh) ^ (e & a_sh)
        z[0] ^= d & e
        self.ands += gates
        self.rounds += 1
        return z

    @staticmethod
    def _share(bits: np.ndarray) -> np.ndarray:
        r = _random_bits(bits.shape)
        return np.stack([r, bits ^ r])


def sign_bit(shares: ArrayLike) -> tuple[np.ndarray, ComparisonCost]:
    """XOR shares of [x < 0] from two parties' additive shares of x over Z_2^64.

    Parameters
    ----------
    shares : uint64 array of shape (2, ...)
        Party 0's and party 1's shares (two's complement: x < 0 means the top bit is set).

    Returns
    -------
    (numpy.ndarray of uint8, shape (2, ...), ComparisonCost)
        Bits whose XOR is 1 where x < 0; and the cost per element.

    Examples
    --------
    >>> from privlearn.mpc import additive_share, encode_fixed
    >>> bits, cost = sign_bit(additive_share(encode_fixed([-1.5, 0.0, 2.0]), num_parties=2))
    >>> (bits[0] ^ bits[1]).tolist(), cost.and_gates, cost.rounds
    ([1, 0, 0], 125, 63)
    """
    x = _as_ring("shares", shares)
    if x.ndim == 0 or x.shape[0] != 2:
        raise ValueError(f"shares must hold two parties' shares (this adder is the two-party "
                         f"protocol), got shape {x.shape}")
    gates = _AndGates()
    zero = np.zeros(x.shape[1:], dtype=np.uint8)

    def bit(i: int) -> tuple[np.ndarray, np.ndarray]:
        """XOR shares of bit i of x_0 (party 0 holds it) and of x_1 (party 1 holds it)."""
        b0 = ((x[0] >> np.uint64(i)) & np.uint64(1)).astype(np.uint8)
        b1 = ((x[1] >> np.uint64(i)) & np.uint64(1)).astype(np.uint8)
        return np.stack([b0, zero]), np.stack([zero, b1])

    bits = [bit(i) for i in range(_BITS)]
    low = range(_BITS - 1)
    generate = gates(np.stack([bits[i][0] for i in low], axis=1),
                     np.stack([bits[i][1] for i in low], axis=1),
                     gates=_BITS - 1)                    # every a_i ∧ b_i, in one round
    carry = generate[:, 0]                               # the carry into bit 1
    for i in range(1, _BITS - 1):                        # then one round per bit
        a, b = bits[i]
        carry = generate[:, i] ^ gates(carry, a ^ b)
    a, b = bits[_BITS - 1]
    return a ^ b ^ carry, ComparisonCost(and_gates=gates.ands, rounds=gates.rounds,
                                         bits_sent_per_party=2 * gates.ands)
