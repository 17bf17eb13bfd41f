"""Secure multi-party computation: fixed point, additive and Shamir sharing, Beaver
multiplication, secure aggregation.

The article's f(x_1, ..., x_n) = y: every party learns y and nothing else about the
others' x_i. Secret randomness comes from the operating system
(:mod:`privlearn.mpc.randomness`); a reproducible demo must say so with
``insecure_deterministic_randomness(seed)``. ``mpc`` never imports ``fl``, ``dp`` or
``he``; the FedAvg aggregator that uses it lives in :mod:`privlearn.fl.secure`.
"""

from .additive import add_shares, additive_reconstruct, additive_share, mul_public, secure_mean
from .beaver import BeaverTriple, beaver_multiply, beaver_open, beaver_triple
from .fixed_point import decode_fixed, encode_fixed
from .randomness import insecure_deterministic_randomness
from .secure_aggregation import SecAggCost, SecureAggregation, message_bytes, prg
from .shamir import DEFAULT_PRIME, Share, lagrange_at_zero, shamir_reconstruct, shamir_share

__all__ = [
    "DEFAULT_PRIME",
    "BeaverTriple",
    "SecAggCost",
    "SecureAggregation",
    "Share",
    "add_shares",
    "additive_reconstruct",
    "additive_share",
    "beaver_multiply",
    "beaver_open",
    "beaver_triple",
    "decode_fixed",
    "encode_fixed",
    "insecure_deterministic_randomness",
    "lagrange_at_zero",
    "message_bytes",
    "mul_public",
    "prg",
    "secure_mean",
    "shamir_reconstruct",
    "shamir_share",
]
