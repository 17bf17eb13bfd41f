"""FedAvg with secure aggregation: the server sees only masked updates.

Each round the sampled clients run one instance of Bonawitz et al.'s protocol
(:class:`privlearn.mpc.SecureAggregation`): client i fixed-point encodes n_i·θ_i, masks
it, and uploads; the server removes the masks and learns Σ n_i·θ_i (and the n_i, which it
needs for the weights), never one client's model. Clients that drop out after the key
exchange are left out of the round. With fewer than the threshold left the round fails:
by default the aggregator raises :class:`SecureAggregationFailed`; with
``on_failure="skip"`` it keeps the global model, records the failure in :attr:`log` and
warns.

The encoding has a public bound: with k clients in a round, each client's n_i·θ_i is
encoded with ``max_summands=k``, so |n_i·θ_i|·2^f < 2^63/k and the sum of all k cannot
wrap in Z_2^64; a client beyond the bound is refused by index (lower ``frac_bits``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._random import as_generator
from .._validation import check_int, check_real
from ..mpc import SecureAggregation, decode_fixed, message_bytes
from ..mpc.fixed_point import fixed_point_encode
from .states import check_round, flatten_state, unflatten_state

__all__ = ["SecureAggregationFailed", "SecureAggregator", "decode_average", "encode_weighted",
           "secure_threshold"]


def secure_threshold(clients: int, fraction: float) -> int:
    """t = max(2, ceil(fraction · clients)): survivors a round of ``clients`` needs."""
    return max(2, math.ceil(fraction * clients))


def encode_weighted(state, keys, weight: float, *, frac_bits: int, max_summands: int,
                    name: str = "state") -> np.ndarray:
    """What a client masks: n_i·θ_i flattened in the order of ``keys`` and fixed-point
    encoded in Z_2^64, refused (by ``name``) if a sum of ``max_summands`` such vectors
    could wrap."""
    return fixed_point_encode(name, flatten_state(state, keys) * weight, frac_bits=frac_bits,
                              max_summands=max_summands)


def decode_average(total: np.ndarray, weight: float, like, *, frac_bits: int) -> dict:
    """The server's last step: Σ n_i·θ_i decoded from Z_2^64, divided by Σ n_i, shaped
    like the state dict ``like``."""
    return unflatten_state(decode_fixed(total, frac_bits=frac_bits) / weight, like)


class SecureAggregationFailed(RuntimeError):
    """A round of secure aggregation could not be unmasked (too few survivors)."""


class SecureAggregator:
    """The FedAvg aggregator seam with Bonawitz-style secure aggregation.

    Parameters
    ----------
    threshold_fraction : float
        t = ceil(threshold_fraction · clients in the round); Bonawitz et al. use more
        than 1/2. Must be in (0, 1].
    frac_bits : int
        Fixed-point fractional bits of the encoding in Z_2^64.
    dropout_rate : float
        Simulated share of clients that drop after the key exchange, in [0, 1).
    on_failure : {"raise", "skip"}
        What a round with fewer survivors than the threshold does: raise
        :class:`SecureAggregationFailed` (the default), or keep the global model, log the
        failure and warn.
    """

    sampling = "fixed"

    def __init__(self, *, threshold_fraction: float = 2 / 3, frac_bits: int = 24,
                 dropout_rate: float = 0.0, on_failure: str = "raise") -> None:
        self.threshold_fraction = check_real("threshold_fraction", threshold_fraction,
                                             low=0.0, high=1.0, high_open=False)
        self.frac_bits = check_int("frac_bits", frac_bits, low=0, high=40)
        self.dropout_rate = check_real("dropout_rate", dropout_rate, low=0.0, high=1.0,
                                       low_open=False)
        if on_failure not in ("raise", "skip"):
            raise ValueError(f"on_failure must be 'raise' or 'skip', got {on_failure!r}")
        self.on_failure = on_failure
        self.log: list[dict] = []
        self._gen: np.random.Generator | None = None
        self._round_clients: int | None = None

    def start(self, *, num_clients: int, client_fraction: float, rng) -> None:
        """Seed the simulated dropouts (statistical randomness, not cryptography) and note
        how many clients a round has (for :meth:`upload_bytes`)."""
        num_clients = check_int("num_clients", num_clients, low=1)
        client_fraction = check_real("client_fraction", client_fraction, low=0.0, high=1.0,
                                     high_open=False)
        self._round_clients = max(1, round(client_fraction * num_clients))
        self._gen = as_generator(rng)

    def aggregate(self, global_state, client_states, num_examples):
        keys, weights = check_round(global_state, client_states, num_examples,
                                    floating_only=True)
        k = len(client_states)
        if k < 2:
            raise ValueError(f"secure aggregation needs at least 2 clients in a round, got {k}")
        encoded = [encode_weighted(s, keys, w, frac_bits=self.frac_bits, max_summands=k,
                                   name=f"client_states[{i}] times num_examples[{i}]")
                   for i, (s, w) in enumerate(zip(client_states, weights, strict=True))]
        t = secure_threshold(k, self.threshold_fraction)
        protocol = SecureAggregation(k, threshold=t, vector_length=encoded[0].size)
        if self._gen is None:
            if self.dropout_rate > 0:
                raise RuntimeError("SecureAggregator.start must be called before aggregate to "
                                   "seed the simulated dropouts (run_fedavg does this)")
            alive = np.ones(k, dtype=bool)
        else:
            alive = self._gen.random(k) >= self.dropout_rate
        masked = {u: protocol.masked_input(u, encoded[u]) for u in range(k) if alive[u]}
        weight = math.fsum(w for u, w in enumerate(weights) if alive[u])
        try:
            if masked and weight <= 0:
                raise ValueError(f"the {len(masked)} surviving clients hold no examples "
                                 "(num_examples sum to 0 over them): no average exists")
            total = protocol.aggregate(masked)
        except ValueError as err:
            self.log.append({"clients": k, "survivors": len(masked), "failed": str(err)})
            if self.on_failure == "raise":
                raise SecureAggregationFailed(f"secure aggregation failed: {err}") from err
            warnings.warn(f"secure aggregation round skipped, the global model is unchanged: "
                          f"{err}", RuntimeWarning, stacklevel=2)
            return global_state
        self.log.append({"clients": k, "survivors": len(masked), "threshold": t,
                         "cost": protocol.cost, "masked_example": masked[min(masked)]})
        return decode_average(total, weight, global_state, frac_bits=self.frac_bits)

    def upload_bytes(self, state) -> int:
        """What one client uploads in a round: every message of the protocol (keys, shares,
        the masked vector, the unmasking shares), by :func:`privlearn.mpc.message_bytes`."""
        if self._round_clients is None:
            raise RuntimeError("SecureAggregator.start must be called before upload_bytes: "
                               "the bytes depend on the number of clients in a round")
        up, _ = message_bytes(max(2, self._round_clients),
                              sum(t.numel() for t in state.values()))
        return up
