"""Secure multi-party computation: fixed point, additive and Shamir sharing, Beaver
multiplication (triples from a dealer, or made by two parties with Paillier), truncation of
fixed-point products, secure comparison, private set intersection, secure aggregation.

The article's f(x_1, ..., x_n) = y: every party learns y and nothing else about the
others' x_i. Secret randomness comes from the operating system
(:mod:`privlearn.mpc.randomness`); a reproducible demo must say so with
``insecure_deterministic_randomness(seed)``. ``mpc`` never imports ``fl`` or ``dp``, and
``he`` only in :mod:`.dealer_free` (triples made with Paillier); the FedAvg aggregator that
uses it lives in :mod:`privlearn.fl.secure`.
"""

from .additive import add_shares, additive_reconstruct, additive_share, mul_public, secure_mean
from .beaver import BeaverTriple, beaver_multiply, beaver_open, beaver_triple
from .comparison import ComparisonCost, sign_bit
from .dealer_free import TripleCost, paillier_triple
from .fixed_point import decode_fixed, encode_fixed
from .psi import PSIParty, hash_to_point
from .randomness import insecure_deterministic_randomness
from .secure_aggregation import SecAggCost, SecureAggregation, message_bytes, prg
from .shamir import DEFAULT_PRIME, Share, lagrange_at_zero, shamir_reconstruct, shamir_share
from .truncation import truncate_shares, truncation_failure_bound

__all__ = [
    "DEFAULT_PRIME",
    "BeaverTriple",
    "ComparisonCost",
    "PSIParty",
    "SecAggCost",
    "SecureAggregation",
    "Share",
    "TripleCost",
    "add_shares",
    "additive_reconstruct",
    "additive_share",
    "beaver_multiply",
    "beaver_open",
    "beaver_triple",
    "decode_fixed",
    "encode_fixed",
    "hash_to_point",
    "insecure_deterministic_randomness",
    "lagrange_at_zero",
    "message_bytes",
    "mul_public",
    "paillier_triple",
    "prg",
    "secure_mean",
    "shamir_reconstruct",
    "shamir_share",
    "sign_bit",
    "truncate_shares",
    "truncation_failure_bound",
]
