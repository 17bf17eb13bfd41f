"""Secure aggregation split into its parties: what each client computes and what the
server computes, so that they can run in separate processes.

:class:`~privlearn.mpc.SecureAggregation` simulates Bonawitz et al.'s protocol with
every party inside one object. Here the protocol is two classes whose methods are its
messages (K. Bonawitz et al. 2017, "Practical secure aggregation for privacy-preserving
machine learning", CCS, Figure 4, the semi-honest variant), and the only things that
cross between them are bytes and public lists. Round by round:

0. client u (:meth:`SecAggClient.advertise`) sends two X25519 public keys, c_u^PK for
   encryption and s_u^PK for masking; the server (:meth:`SecAggServer.collect_keys`)
   forwards U1's keys, U1 being the clients that advertised;
1. u (:meth:`~SecAggClient.share_keys`) Shamir-shares s_u^SK and a fresh self-mask
   seed b_u with threshold t and encrypts v's share with AES-GCM under
   KDF(X25519(c_u^SK, c_v^PK)); the server (:meth:`~SecAggServer.collect_shares`)
   relays the ciphertext e_{u,v} to v, which it cannot read (U2: the clients whose
   shares arrived);
2. u (:meth:`~SecAggClient.masked_input`) sends
   y_u = x_u + PRG(b_u) + Σ_{v ∈ U2, v > u} PRG(s_{u,v}) − Σ_{v ∈ U2, v < u} PRG(s_{u,v})
   (mod 2^64); the server (:meth:`~SecAggServer.collect_masked`) announces U3, the
   clients whose y_u arrived;
3. u (:meth:`~SecAggClient.unmask`) sends its share of b_v for each v in U3 and of
   s_v^SK for each v in U2 − U3, never both for one v; from t answers the server
   (:meth:`~SecAggServer.unmask`) rebuilds them and removes every mask: Σ_{u ∈ U3} x_u.

Every step needs at least t clients left, or it raises :class:`SecAggAborted` (a
ValueError) and the round stops without a sum. When every party follows the protocol the
sum is exact; the server half also refuses malformed messages (a sender whose shares do
not reach every client of U1, a ciphertext of the wrong size), which would otherwise
make the masks fail to cancel. It cannot detect a helper that sends a wrong share: t
shares are used, and nothing checks them against one another.

The threat model is the semi-honest server of Bonawitz et al.: it follows the protocol
and tries to learn from what it relays and receives. It learns Σ x_u over U3 and who is
in U1, U2 and U3; whatever else travels beside the masked vectors (in privlearn's Flower
apps, each client's example count) it sees as sent. The encryption of shares is what the
in-process simulation leaves out: the server relays e_{u,v} and, without c_u^SK or
c_v^SK, reads nothing of the shares. Each client decrypts every ciphertext it received
before it sends its masked input, so a ciphertext altered in transit, or moved to
another pair (GCM's associated data: the session id, u and v), stops the round there.

What is not here, and what an *active* server could then do: the signatures and the
public-key infrastructure of the malicious-secure variant (Figure 5) and its consistency
round. Without them a server can give clients public keys of its own at step 0 and read
every share; invent clients to reach t; or lie about who dropped and ask different
clients for both kinds of share of one client (each client answers once and never
reveals both for one v, but different clients are not cross-checked). Keys are fresh
each round, so nothing carries over from one round to the next.
"""

from __future__ import annotations

import secrets

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .._validation import check_int
from .additive import _as_ring
from .randomness import random_bytes
from .secure_aggregation import SECRET_PRIME, _agree, prg
from .shamir import Share, shamir_reconstruct, shamir_share

__all__ = ["CIPHERTEXT_BYTES", "FIELD_BYTES", "MAX_CLIENT", "SecAggAborted", "SecAggClient",
           "SecAggServer"]

#: bytes of one element of the sharing field, big-endian (2^521 − 1: 66 bytes)
FIELD_BYTES = (SECRET_PRIME.bit_length() + 7) // 8
#: bytes of one encrypted pair of shares: a 12-byte nonce, two field elements, a 16-byte tag
CIPHERTEXT_BYTES = 12 + 2 * FIELD_BYTES + 16
#: the largest client id (a share is evaluated at every x up to the largest id + 1)
MAX_CLIENT = 2**16 - 1


class SecAggAborted(ValueError):
    """Too few clients are left to go on: the round stops without a sum."""


def _enough(count: int, threshold: int, what: str) -> None:
    if count < threshold:
        raise SecAggAborted(f"only {count} clients {what}, fewer than threshold={threshold}: "
                            "the round stops here without a sum")


def _within(ids, allowed, message: str) -> None:
    outside = sorted(set(ids) - set(allowed))
    if outside:
        raise ValueError(message.format(outside))


def _public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _channel_key(private: X25519PrivateKey, public: bytes) -> bytes:
    shared = private.exchange(X25519PublicKey.from_public_bytes(public))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"privlearn secagg share channel").derive(shared)


def _associated(session: bytes, sender: int, receiver: int) -> bytes:
    return session + sender.to_bytes(4, "big") + receiver.to_bytes(4, "big")


def _check_session(session) -> bytes:
    if not isinstance(session, bytes) or len(session) != 16:
        raise ValueError(f"session must be 16 bytes chosen by the server, got {session!r}")
    return session


def _check_keys(keys, name: str) -> dict[int, tuple[bytes, bytes]]:
    if not isinstance(keys, dict):
        raise TypeError(f"{name} must be a dict client -> (c_pk, s_pk), got "
                        f"{type(keys).__name__}")
    out = {}
    for v, pair in keys.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} has a bad client id {v!r}")
        if (not isinstance(pair, (tuple, list)) or len(pair) != 2
                or not all(isinstance(k, bytes) and len(k) == 32 for k in pair)):
            raise ValueError(f"{name}[{v}] must be two 32-byte public keys")
        out[v] = (pair[0], pair[1])
    return out


class SecAggClient:
    """Client ``client``'s side of one round of secure aggregation.

    Its secrets (two X25519 keys, the self-mask seed, the shares it received) never
    leave it in the clear; :meth:`to_bytes` / :meth:`from_bytes` save them between
    messages on the client's own machine (Flower starts a new process per message).

    Parameters
    ----------
    client : int
        This client's id (0..K-1); its Shamir x-coordinate is ``client + 1``.
    vector_length : int
        Entries of the input vector (ring elements, uint64).
    """

    def __init__(self, client: int, *, vector_length: int) -> None:
        self.client = check_int("client", client, low=0, high=MAX_CLIENT)
        self.length = check_int("vector_length", vector_length, low=1)
        self._c_key, self._s_key, self._seed = random_bytes(32), random_bytes(32), random_bytes(16)
        self.session: bytes | None = None
        self.threshold: int | None = None
        self.keys: dict[int, tuple[bytes, bytes]] | None = None  # U1's public keys
        self.received: dict[int, bytes] | None = None  # U2: who shared with me, and what
        self.step = "advertise"

    # ---- saving between messages -------------------------------------------------------
    def to_bytes(self) -> dict[str, int | bytes | str | list]:
        """The client's state as flat plain data (ints, bytes, strings and flat lists of
        them, as a Flower ``ConfigRecord`` holds): it holds secrets and must stay on the
        client."""
        keys, received = self.keys or {}, self.received or {}
        return {"client": self.client, "length": self.length, "c-key": self._c_key,
                "s-key": self._s_key, "seed": self._seed, "session": self.session or b"",
                "threshold": self.threshold or 0, "step": self.step,
                "keys-of": list(keys), "c-pk": [c for c, _ in keys.values()],
                "s-pk": [k for _, k in keys.values()],
                "received-from": list(received), "received": list(received.values())}

    @classmethod
    def from_bytes(cls, data) -> SecAggClient:
        """Rebuild a client saved by :meth:`to_bytes` (from any mapping of its keys)."""
        if data["step"] == "done":
            raise ValueError("this client already answered the unmasking: nothing to restore")
        c = cls.__new__(cls)  # no fresh keys: they come from the saved state
        c.client = check_int("client", int(data["client"]), low=0, high=MAX_CLIENT)
        c.length = check_int("vector_length", int(data["length"]), low=1)
        c._c_key, c._s_key, c._seed = data["c-key"], data["s-key"], data["seed"]
        c.session = data["session"] or None
        c.threshold = int(data["threshold"]) or None
        c.step = str(data["step"])
        keys = zip(data["keys-of"], data["c-pk"], data["s-pk"], strict=True)
        c.keys = {int(v): (ck, sk) for v, ck, sk in keys} or None
        received = zip(data["received-from"], data["received"], strict=True)
        c.received = {int(v): e for v, e in received} or None
        return c

    def _expect(self, step: str) -> None:
        if self.step != step:
            raise ValueError(f"client {self.client} is at step {self.step!r}, not {step!r}: "
                             "each step runs once, in order")

    # ---- step 0 ------------------------------------------------------------------------
    def advertise(self) -> tuple[bytes, bytes]:
        """(c_u^PK, s_u^PK): the public keys the server forwards to everyone."""
        self._expect("advertise")
        self.step = "share"
        return (_public(X25519PrivateKey.from_private_bytes(self._c_key)),
                _public(X25519PrivateKey.from_private_bytes(self._s_key)))

    # ---- step 1 ------------------------------------------------------------------------
    def share_keys(self, keys: dict[int, tuple[bytes, bytes]], *, threshold: int,
                   session: bytes) -> dict[int, bytes]:
        """Share s_u^SK and b_u with threshold t among U1 (``keys``: every advertised
        client's public keys, this one's included); return v -> e_{u,v}, for the server
        to relay. Refuses fewer than t clients or keys that are not the ones it sent."""
        self._expect("share")
        keys = _check_keys(keys, "keys")
        t = check_int("threshold", threshold, low=2)
        self.session = _check_session(session)
        if self.client not in keys or keys[self.client] != (
                _public(X25519PrivateKey.from_private_bytes(self._c_key)),
                _public(X25519PrivateKey.from_private_bytes(self._s_key))):
            raise ValueError(f"keys must hold client {self.client}'s own public keys as it "
                             "advertised them")
        _enough(len(keys), t, "advertised keys")
        if len(set(keys.values())) != len(keys):
            raise ValueError("keys holds the same public key for two clients")
        self.keys, self.threshold = keys, t
        top = max(keys) + 1
        secret = np.array([int.from_bytes(self._s_key, "big"),
                           int.from_bytes(self._seed, "big")], dtype=object)
        shares = shamir_share(secret, num_shares=top, threshold=t, prime=SECRET_PRIME)
        c_key = X25519PrivateKey.from_private_bytes(self._c_key)
        out = {}
        for v in keys:
            y = shares[v].y  # x-coordinate v + 1
            plain = b"".join(int(s).to_bytes(FIELD_BYTES, "big") for s in y)
            nonce = secrets.token_bytes(12)
            out[v] = nonce + AESGCM(_channel_key(c_key, keys[v][0])).encrypt(
                nonce, plain, _associated(self.session, self.client, v))
        self.step = "mask"
        return out

    # ---- step 2 ------------------------------------------------------------------------
    def masked_input(self, x, received: dict[int, bytes]) -> np.ndarray:
        """y_u: the input plus the self-mask and the pairwise masks with U2, the clients
        whose ciphertexts reached it (``received``: sender -> e_{v,u}, its own included)."""
        self._expect("mask")
        if not isinstance(received, dict) or self.client not in received:
            raise ValueError(f"received must be a dict sender -> ciphertext holding client "
                             f"{self.client}'s own")
        _within(received, self.keys,
                "received has ciphertexts from clients {} that never advertised keys")
        _enough(len(received), self.threshold, "shared their keys")
        vec = _as_ring("x", x)
        if vec.shape != (self.length,):
            raise ValueError(f"x must have shape ({self.length},), got {vec.shape}")
        self.received = dict(received)
        for v in self.received:  # every share must open before anything is sent
            self._open(v)
        s_key = X25519PrivateKey.from_private_bytes(self._s_key)
        y = vec + prg(self._seed, self.length)
        for v in sorted(self.received):
            if v == self.client:
                continue
            stream = prg(_agree(s_key, self.keys[v][1]), self.length)
            y = y + stream if self.client < v else y - stream
        self.step = "unmask"
        return y

    # ---- step 3 ------------------------------------------------------------------------
    def _open(self, sender: int) -> list[int]:
        c_key = X25519PrivateKey.from_private_bytes(self._c_key)
        blob = self.received[sender]
        if not isinstance(blob, bytes) or len(blob) != CIPHERTEXT_BYTES:
            raise ValueError(f"the ciphertext from client {sender} must be {CIPHERTEXT_BYTES} "
                             f"bytes, got {type(blob).__name__} of length "
                             f"{len(blob) if isinstance(blob, bytes) else '?'}")
        try:
            plain = AESGCM(_channel_key(c_key, self.keys[sender][0])).decrypt(
                blob[:12], blob[12:], _associated(self.session, sender, self.client))
        except InvalidTag as err:
            raise ValueError(f"the ciphertext from client {sender} does not decrypt: it was "
                             "altered, or addressed to another client or round") from err
        return [int.from_bytes(plain[i:i + FIELD_BYTES], "big")
                for i in range(0, 2 * FIELD_BYTES, FIELD_BYTES)]

    def unmask(self, survivors: list[int]) -> dict[str, dict[int, int]]:
        """This client's shares for the server: of b_v for each v in ``survivors`` (U3),
        of s_v^SK for each v in U2 that is not. Refuses a survivor list that is smaller
        than t, lacks this client or names clients outside U2."""
        self._expect("unmask")
        u3 = sorted(set(survivors))
        if len(u3) != len(survivors):
            raise ValueError(f"survivors lists a client twice: {survivors}")
        if self.client not in u3:
            raise ValueError(f"survivors must include client {self.client}, which is "
                             "answering")
        _within(u3, self.received,
                "survivors names clients {} outside U2 (they never shared keys with this "
                "client)")
        _enough(len(u3), self.threshold, "sent masked inputs")
        dropped = sorted(set(self.received) - set(u3))
        self.step = "done"  # answers once: a second list could reveal both shares of one v
        return {"seed": {v: self._open(v)[1] for v in u3},
                "key": {v: self._open(v)[0] for v in dropped}}


class SecAggServer:
    """The server's side of one round: relays, collects, unmasks.

    It holds no secret of any client. Each ``collect_*`` method takes what arrived (a
    dict client -> message; late or missing clients are simply absent) and returns what
    to send next. Below the threshold it raises :class:`SecAggAborted`.

    Parameters
    ----------
    threshold : int
        t >= 2: survivors needed at every step.
    vector_length : int
        Entries of each input vector.
    """

    def __init__(self, *, threshold: int, vector_length: int) -> None:
        self.t = check_int("threshold", threshold, low=2)
        self.length = check_int("vector_length", vector_length, low=1)
        self.session = secrets.token_bytes(16)
        self.u1: dict[int, tuple[bytes, bytes]] = {}
        self.u2: list[int] = []
        self.u3: dict[int, np.ndarray] = {}
        self.relayed: dict[int, dict[int, bytes]] = {}  # receiver -> sender -> ciphertext
        self.step = "advertise"

    def _expect(self, step: str) -> None:
        if self.step != step:
            raise ValueError(f"the server is at step {self.step!r}, not {step!r}")

    def _enough(self, count: int, what: str) -> None:
        if count < self.t:
            self.step = "aborted"
        _enough(count, self.t, what)

    def collect_keys(self, advertised: dict[int, tuple[bytes, bytes]]
                     ) -> dict[int, tuple[bytes, bytes]]:
        """U1 and their public keys: what every client in U1 receives."""
        self._expect("advertise")
        self.u1 = _check_keys(advertised, "advertised")
        if len(set(self.u1.values())) != len(self.u1):
            raise ValueError("advertised holds the same public keys for two clients")
        self._enough(len(self.u1), "advertised keys")
        self.step = "share"
        return dict(self.u1)

    def collect_shares(self, shared: dict[int, dict[int, bytes]]) -> dict[int, dict[int, bytes]]:
        """Relay: from sender -> {receiver: e} to receiver -> {sender: e}, for the
        receivers in U2 (the senders). The server sees only ciphertexts."""
        self._expect("share")
        if not isinstance(shared, dict):
            raise TypeError(f"shared must be a dict, got {type(shared).__name__}")
        _within(shared, self.u1, "shares came from clients {} outside U1")
        for u, out in shared.items():  # each sender's shares must reach all of U1
            if not isinstance(out, dict) or set(out) != set(self.u1):
                raise ValueError(f"client {u}'s shares must be a dict receiver -> ciphertext "
                                 f"for every client of U1 {sorted(self.u1)}, got "
                                 f"{sorted(out) if isinstance(out, dict) else type(out).__name__}")
            for v, e in out.items():
                if not isinstance(e, bytes) or len(e) != CIPHERTEXT_BYTES:
                    raise ValueError(f"client {u}'s ciphertext for client {v} must be "
                                     f"{CIPHERTEXT_BYTES} bytes")
        self.u2 = sorted(shared)
        self._enough(len(self.u2), "shared their keys")
        self.relayed = {v: {u: shared[u][v] for u in self.u2} for v in self.u2}
        self.step = "mask"
        return self.relayed

    def collect_masked(self, masked: dict[int, np.ndarray]) -> list[int]:
        """U3, the clients whose masked input arrived: the list each of them receives."""
        self._expect("mask")
        if not isinstance(masked, dict):
            raise TypeError(f"masked must be a dict client -> masked vector, got "
                            f"{type(masked).__name__}")
        _within(masked, self.u2, "masked inputs came from clients {} outside U2")
        self._enough(len(masked), "sent masked inputs")
        self.u3 = {}
        for u in sorted(masked):
            y = _as_ring(f"masked[{u}]", masked[u])
            if y.shape != (self.length,):
                raise ValueError(f"masked[{u}] has shape {y.shape}, expected ({self.length},)")
            self.u3[u] = y
        self.step = "unmask"
        return sorted(self.u3)

    def unmask(self, answers: dict[int, dict[str, dict[int, int]]]) -> np.ndarray:
        """Σ_{u ∈ U3} x_u from at least t clients' shares (U4 ⊆ U3)."""
        self._expect("unmask")
        if not isinstance(answers, dict) or not all(
                isinstance(a, dict) and isinstance(a.get("seed"), dict)
                and isinstance(a.get("key"), dict) for a in answers.values()):
            raise TypeError("answers must be a dict client -> {'seed': {...}, 'key': {...}}, "
                            "as SecAggClient.unmask returns")
        _within(answers, self.u3, "unmasking shares came from clients {} outside U3")
        self._enough(len(answers), "sent unmasking shares")
        helpers = sorted(answers)[: self.t]
        survivors = sorted(self.u3)
        dropped = [v for v in self.u2 if v not in self.u3]
        total = np.zeros(self.length, dtype=np.uint64)
        for y in self.u3.values():
            total = total + y
        for u in survivors:
            seed = self._reconstruct(helpers, answers, "seed", u)
            total = total - prg(seed.to_bytes(16, "big"), self.length)
        for v in dropped:
            key = X25519PrivateKey.from_private_bytes(
                self._reconstruct(helpers, answers, "key", v).to_bytes(32, "big"))
            for u in survivors:
                stream = prg(_agree(key, self.u1[u][1]), self.length)
                total = total - stream if u < v else total + stream
        self.step = "done"
        return total

    def _reconstruct(self, helpers, answers, which: str, dealer: int) -> int:
        shares = []
        for h in helpers:
            try:
                y = answers[h][which][dealer]
            except KeyError as err:
                raise ValueError(f"client {h} sent no share of client {dealer}'s {which}"
                                 ) from err
            shares.append(Share(h + 1, np.array([y], dtype=object), SECRET_PRIME, self.t))
        return int(shamir_reconstruct(shares, prime=SECRET_PRIME)[0])
