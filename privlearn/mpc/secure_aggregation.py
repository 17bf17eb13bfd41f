"""Secure aggregation for federated learning (Bonawitz et al. 2017), simulated.

The server should learn the sum of the clients' vectors and nothing else, even though
some clients drop out mid-protocol. Following K. Bonawitz, V. Ivanov, B. Kreuter,
A. Marcedone, H. B. McMahan, S. Patel, D. Ramage, A. Segal, K. Seth (2017), "Practical
secure aggregation for privacy-preserving machine learning", CCS, Figure 4 (the
semi-honest variant, without the signatures and the authenticated encryption of shares
in transit, which this simulation delivers directly):

0. each client u makes an X25519 key pair (s_u^SK, s_u^PK) and a self-mask seed b_u;
1. u Shamir-shares s_u^SK and b_u with threshold t among all n clients;
2. u agrees a seed s_{u,v} = HKDF(X25519(s_u^SK, s_v^PK)) with every other client v and
   sends y_u = x_u + PRG(b_u) + Σ_{v>u} PRG(s_{u,v}) − Σ_{v<u} PRG(s_{u,v})  (mod 2^64);
3. the server collects y_u from the survivors U2; pairwise masks between survivors
   cancel in Σ y_u;
4. for each client v that dropped after step 1, survivors send their shares of s_v^SK, so
   the server can recompute and remove v's pairwise masks; for each survivor u, they
   send shares of b_u, so it can remove u's self-mask. A survivor never reveals both
   kinds of share for the same client (that would unmask its input).

With at least t survivors the sum is exact; with fewer, the server cannot remove the
masks and stops with an error rather than return a wrong sum.

One instance is one round, and a small state machine: *collecting* (each client may send
one masked input) → *unmasked* (after the one successful :meth:`SecureAggregation.aggregate`).
A second masked input from the same client would let the server subtract the two and
learn x2 − x1; a second unmasking with another dropout set would reveal both a client's
key and its self-mask seed, hence its input: both are refused, and so is a masked input
after the unmasking. A failed unmasking (too few survivors) reveals no share, so the
server may try again with more inputs. The PRG is AES-128 in
counter mode, keyed by the agreed seed: a cryptographic PRG, not numpy's.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .._validation import check_int
from .additive import _as_ring
from .randomness import random_bytes
from .shamir import Share, shamir_reconstruct, shamir_share

__all__ = ["SECRET_PRIME", "SecAggCost", "SecureAggregation", "message_bytes", "prg"]

#: Field for sharing 32-byte keys and 16-byte seeds: the Mersenne prime 2^521 − 1.
SECRET_PRIME = 2**521 - 1
_SHARE_BYTES = (SECRET_PRIME.bit_length() + 7) // 8  # 66 bytes per shared field element


def prg(seed: bytes, length: int) -> np.ndarray:
    """``length`` pseudo-random elements of Z_2^64 from a 16-byte seed (AES-128-CTR)."""
    if not isinstance(seed, bytes):
        raise TypeError(f"seed must be 16 bytes, got {type(seed).__name__}")
    if len(seed) != 16:
        raise ValueError(f"seed must be 16 bytes (an AES-128 key), got {len(seed)} bytes")
    length = check_int("length", length, low=0)
    enc = Cipher(algorithms.AES(seed), modes.CTR(b"\0" * 16)).encryptor()
    return np.frombuffer(enc.update(b"\0" * (8 * length)), dtype=np.uint64)


def message_bytes(num_clients: int, vector_length: int) -> tuple[int, int]:
    """Bytes one client sends and receives in one round with ``num_clients`` clients and
    vectors of ``vector_length`` ring elements: (up, down).

    Up: its public key (32 bytes), a share of its key and of its seed for each other client
    (2·(n − 1) field elements of 66 bytes), the masked vector (8 bytes an entry) and, in the
    unmasking round, one share for each other client ((n − 1) field elements). Down: the
    others' public keys, the shares addressed to it, and the list of survivors (4 bytes a
    client). The counts follow the protocol's messages (Bonawitz et al. 2017, Figure 4),
    not a measurement on a network.
    """
    n = check_int("num_clients", num_clients, low=2)
    length = check_int("vector_length", vector_length, low=1)
    up = 32 + 2 * (n - 1) * _SHARE_BYTES + 8 * length + (n - 1) * _SHARE_BYTES
    down = 32 * (n - 1) + 2 * (n - 1) * _SHARE_BYTES + 4 * n
    return up, down


def _agree(private: X25519PrivateKey, public_bytes: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    shared = private.exchange(X25519PublicKey.from_public_bytes(public_bytes))
    return HKDF(algorithm=hashes.SHA256(), length=16, salt=None,
                info=b"privlearn secure aggregation").derive(shared)


@dataclass
class _Client:
    key: X25519PrivateKey
    key_bytes: bytes
    public: bytes
    seed: bytes
    held: dict[int, Share] = field(default_factory=dict)  # dealer -> my share of its secrets


@dataclass
class SecAggCost:
    """What one run cost: messages and bytes per client, seconds on each side."""

    clients: int
    survivors: int
    bytes_up_per_client: int
    bytes_down_per_client: int
    messages_per_client: int
    seconds_clients: float
    seconds_server: float


class SecureAggregation:
    """One round of secure aggregation among ``num_clients`` simulated clients.

    Parameters
    ----------
    num_clients : int
        n >= 2.
    threshold : int
        t: how many survivors are needed to finish (2 <= t <= n). Tolerates up to n − t
        dropouts; Bonawitz et al. take t > n/2 so that the server cannot collude with a
        minority to unmask anyone.
    vector_length : int
        Entries of each client's input vector (ring elements, uint64).

    Examples
    --------
    >>> import numpy as np
    >>> agg = SecureAggregation(3, threshold=2, vector_length=2)
    >>> masked = {u: agg.masked_input(u, np.array([u, 10 * u], dtype=np.uint64))
    ...           for u in (0, 2)}                      # client 1 drops out
    >>> agg.aggregate(masked).tolist()
    [2, 20]
    """

    def __init__(self, num_clients: int, *, threshold: int, vector_length: int) -> None:
        self.n = check_int("num_clients", num_clients, low=2)
        self.t = check_int("threshold", threshold)
        if not 2 <= self.t <= self.n:
            raise ValueError(f"threshold must be in [2, num_clients] (got threshold={self.t}, "
                             f"num_clients={self.n})")
        self.length = check_int("vector_length", vector_length, low=1)
        t0 = time.perf_counter()
        self.clients = [self._advertise() for _ in range(self.n)]
        self._share_keys()
        self._masked_sent: set[int] = set()
        self.state = "collecting"
        self.seconds_clients = time.perf_counter() - t0
        self.cost: SecAggCost | None = None

    # ---- rounds 0 and 1: keys, and shares of the secrets ---------------------------------
    def _advertise(self) -> _Client:
        key_bytes = random_bytes(32)
        key = X25519PrivateKey.from_private_bytes(key_bytes)
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return _Client(key, key_bytes, public, random_bytes(16))

    def _share_keys(self) -> None:
        for u, c in enumerate(self.clients):
            secrets_u = np.array([int.from_bytes(c.key_bytes, "big"),
                                  int.from_bytes(c.seed, "big")], dtype=object)
            for share in shamir_share(secrets_u, num_shares=self.n, threshold=self.t,
                                      prime=SECRET_PRIME):
                self.clients[share.x - 1].held[u] = share  # party v holds x = v + 1

    # ---- round 2: masked input -----------------------------------------------------------
    def _pairwise(self, u: int, key: X25519PrivateKey, others) -> np.ndarray:
        mask = np.zeros(self.length, dtype=np.uint64)
        for v in others:
            stream = prg(_agree(key, self.clients[v].public), self.length)
            mask = mask + stream if u < v else mask - stream
        return mask

    def masked_input(self, client: int, x) -> np.ndarray:
        """What client ``client`` sends: its input x (uint64 ring elements) plus masks."""
        u = check_int("client", client, low=0, high=self.n - 1)
        if self.state != "collecting":
            raise ValueError(f"this round is over (state {self.state!r}): client {u} cannot send "
                             "a masked input after the unmasking; start a new SecureAggregation")
        if u in self._masked_sent:
            raise ValueError(f"client {u} already sent its masked input this round: a second "
                             "one would let the server subtract them and learn x2 − x1")
        vec = _as_ring("x", x)
        if vec.shape != (self.length,):
            raise ValueError(f"x must have shape ({self.length},), got {vec.shape}")
        t0 = time.perf_counter()
        c = self.clients[u]
        y = vec + prg(c.seed, self.length) + self._pairwise(
            u, c.key, [v for v in range(self.n) if v != u])
        self._masked_sent.add(u)
        self.seconds_clients += time.perf_counter() - t0
        return y

    # ---- rounds 3 and 4: unmasking -------------------------------------------------------
    def _reveal(self, holder: int, dealers: list[int], which: int) -> np.ndarray:
        """Holder's shares of secret ``which`` (0: key, 1: seed) of each dealer."""
        return np.array([self.clients[holder].held[d].y[which] for d in dealers], dtype=object)

    def _reconstruct(self, helpers: list[int], dealers: list[int], which: int) -> list[int]:
        if not dealers:
            return []
        shares = [Share(h + 1, self._reveal(h, dealers, which), SECRET_PRIME, self.t)
                  for h in helpers]
        return list(shamir_reconstruct(shares, prime=SECRET_PRIME))

    def aggregate(self, masked: dict[int, np.ndarray]) -> np.ndarray:
        """The server: Σ x_u over the clients in ``masked`` (the survivors), exactly.

        Raises
        ------
        ValueError
            If fewer than ``threshold`` clients survived: the masks cannot be removed,
            and no sum is returned.
        """
        if not isinstance(masked, dict):
            raise TypeError(f"masked must be a dict client -> masked vector, got "
                            f"{type(masked).__name__}")
        if self.state != "collecting":
            raise ValueError("aggregate already unmasked this round: a second unmasking with "
                             "another set of survivors would reveal both the key and the "
                             "self-mask seed of a client, hence its input; start a new "
                             "SecureAggregation for the next round")
        for u in masked:
            if isinstance(u, bool) or not isinstance(u, numbers.Integral) or not (
                    0 <= u < self.n):
                raise ValueError(f"masked has an unknown client {u!r}: clients are "
                                 f"0..{self.n - 1}")
        masked = {int(u): v for u, v in masked.items()}
        survivors = sorted(masked)
        for u in survivors:
            if u not in self._masked_sent:
                raise ValueError(f"client {u} never produced a masked input")
        if len(survivors) < self.t:
            raise ValueError(
                f"only {len(survivors)} clients survived, fewer than threshold={self.t}: the "
                "masks of the dropped clients cannot be removed, so the server stops here "
                "without a sum")
        t0 = time.perf_counter()
        dropped = [v for v in range(self.n) if v not in masked]
        total = np.zeros(self.length, dtype=np.uint64)
        for u in survivors:
            y = _as_ring(f"masked[{u}]", masked[u])
            if y.shape != (self.length,):
                raise ValueError(f"masked[{u}] has shape {y.shape}, expected ({self.length},)")
            total = total + y
        self.state = "unmasked"  # from here on, shares are revealed: never again this round
        helpers = survivors[: self.t]  # any t survivors' shares will do
        # self-masks of survivors: reveal b_u (never the key) of each survivor
        for seed_int in self._reconstruct(helpers, survivors, which=1):
            total = total - prg(int(seed_int).to_bytes(16, "big"), self.length)
        # pairwise masks of dropped clients: reveal their keys (never their seeds)
        for v, key_int in zip(dropped, self._reconstruct(helpers, dropped, which=0),
                              strict=True):
            key = X25519PrivateKey.from_private_bytes(int(key_int).to_bytes(32, "big"))
            # survivor u added +PRG(s_uv) if u < v, −PRG(s_uv) if u > v: remove exactly that
            for u in survivors:
                stream = prg(_agree(key, self.clients[u].public), self.length)
                total = total - stream if u < v else total + stream
        seconds_server = time.perf_counter() - t0
        up, down = message_bytes(self.n, self.length)
        self.cost = SecAggCost(self.n, len(survivors), up, down, 4, self.seconds_clients,
                               seconds_server)
        return total
