"""FedAvg with secure aggregation: the server sees only masked updates.

Each round the sampled clients run one instance of Bonawitz et al.'s protocol
(:class:`privlearn.mpc.SecureAggregation`): client i fixed-point encodes n_i·θ_i, masks
it, and uploads; the server removes the masks and learns Σ n_i·θ_i (and the n_i, which it
needs for the weights), never one client's model. Clients that drop out after the key
exchange are left out of the round; with fewer than the threshold left, the round fails
loudly and the global model stays as it was.
"""

from __future__ import annotations

import math

import numpy as np

from .._random import as_generator
from .._validation import check_int, check_real
from ..mpc import SecureAggregation, decode_fixed, encode_fixed
from .encrypted import flatten_state, unflatten_state

__all__ = ["SecureAggregator"]


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
    """

    sampling = "fixed"

    def __init__(self, *, threshold_fraction: float = 2 / 3, frac_bits: int = 24,
                 dropout_rate: float = 0.0) -> None:
        self.threshold_fraction = check_real("threshold_fraction", threshold_fraction,
                                             low=0.0, high=1.0, high_open=False)
        self.frac_bits = check_int("frac_bits", frac_bits, low=0, high=40)
        self.dropout_rate = check_real("dropout_rate", dropout_rate, low=0.0, high=1.0,
                                       low_open=False)
        self.log: list[dict] = []
        self._gen = np.random.default_rng(0)

    def start(self, *, num_clients: int, client_fraction: float, rng) -> None:
        self._gen = as_generator(rng)  # which clients drop: simulation, not cryptography

    def aggregate(self, global_state, client_states, num_examples):
        k = len(client_states)
        if k < 2:
            raise ValueError(f"secure aggregation needs at least 2 clients in a round, got {k}")
        vectors = [flatten_state(s) * n for s, n in zip(client_states, num_examples,
                                                          strict=True)]
        t = max(2, math.ceil(self.threshold_fraction * k))
        protocol = SecureAggregation(k, threshold=t, vector_length=vectors[0].size)
        alive = self._gen.random(k) >= self.dropout_rate
        masked = {u: protocol.masked_input(u, encode_fixed(vectors[u], frac_bits=self.frac_bits))
                  for u in range(k) if alive[u]}
        try:
            total = protocol.aggregate(masked)
        except ValueError as err:
            self.log.append({"clients": k, "survivors": len(masked), "failed": str(err)})
            return global_state
        weight = sum(n for u, n in enumerate(num_examples) if alive[u])
        self.log.append({"clients": k, "survivors": len(masked), "threshold": t,
                         "cost": protocol.cost, "masked_example": masked[min(masked)]})
        return unflatten_state(decode_fixed(total, frac_bits=self.frac_bits) / weight,
                               global_state)

    def upload_bytes(self, state) -> int:
        return 8 * sum(t.numel() for t in state.values())
