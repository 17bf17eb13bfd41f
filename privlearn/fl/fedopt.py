"""FedAdam: the server treats the clients' average change as a gradient (Reddi et al. 2021).

FedAvg sets the new global model to the clients' average, that is, it takes a step of size
1 along the average update Δ_t = avg_k(w_k) − w_t. Adaptive federated optimisation keeps
that update as a *pseudo-gradient* and hands it to a server optimiser (Reddi, Charles,
Zaheer, Garrett, Rush, Konečný, Kumar & McMahan 2021, "Adaptive federated optimization",
ICLR, Algorithm 2). FedAdam, per coordinate:

    m_t = β1·m_(t−1) + (1 − β1)·Δ_t
    v_t = β2·v_(t−1) + (1 − β2)·Δ_t²
    w_(t+1) = w_t + η·m_t / (√v_t + τ)

with m_0 = v_0 = 0 and no bias correction, as in the paper. Momentum smooths the drifting
updates of non-IID clients, and the per-coordinate scale adapts the server step.
"""

from __future__ import annotations

import torch

from .._validation import check_real
from .fedavg import average_checked
from .simulation import state_bytes
from .states import check_round

__all__ = ["FedAdamAggregator"]


class FedAdamAggregator:
    """FedAvg's weighted average as a pseudo-gradient, applied by Adam at the server.

    An aggregator for :func:`~privlearn.fl.run_fedavg` (see
    :class:`~privlearn.fl.FedAvgAggregator` for the interface). Clients train as in
    FedAvg; only the server's step changes.

    Parameters
    ----------
    server_lr : float
        η > 0, the server's step size.
    beta1, beta2 : float
        Moment decay rates in [0, 1).
    tau : float
        τ > 0, the adaptivity: a larger τ makes the step less per-coordinate.

    References
    ----------
    Reddi et al. (2021), Algorithm 2 (FedAdam).
    """

    sampling = "fixed"

    def __init__(self, *, server_lr: float, beta1: float = 0.9, beta2: float = 0.99,
                 tau: float = 1e-3) -> None:
        self.server_lr = check_real("server_lr", server_lr, low=0.0)
        self.beta1 = check_real("beta1", beta1, low=0.0, low_open=False, high=1.0)
        self.beta2 = check_real("beta2", beta2, low=0.0, low_open=False, high=1.0)
        self.tau = check_real("tau", tau, low=0.0)
        self._m: dict[str, torch.Tensor] | None = None
        self._v: dict[str, torch.Tensor] | None = None

    def start(self, *, num_clients: int, client_fraction: float, rng) -> None:
        """A new run: the moments start at zero."""
        self._m = self._v = None

    def aggregate(self, global_state, client_states, num_examples):
        """w + η·m / (√v + τ), after updating the moments with Δ = average − w."""
        keys, weights = check_round(global_state, client_states, num_examples,
                                    allow_empty=True, floating_only=True)
        if not client_states:
            return global_state
        average = average_checked(keys, client_states, weights)
        if self._m is None:
            self._m = {k: torch.zeros(global_state[k].shape, dtype=torch.float64) for k in keys}
            self._v = {k: torch.zeros(global_state[k].shape, dtype=torch.float64) for k in keys}
        new_state = {}
        for k in keys:
            g = global_state[k].to(torch.float64)
            step = average[k].to(torch.float64) - g
            self._m[k] = self.beta1 * self._m[k] + (1 - self.beta1) * step
            self._v[k] = self.beta2 * self._v[k] + (1 - self.beta2) * step ** 2
            update = self.server_lr * self._m[k] / (self._v[k].sqrt() + self.tau)
            new_state[k] = (g + update).to(global_state[k].dtype)
        return new_state

    def upload_bytes(self, state) -> int:
        return state_bytes(state)

    def __repr__(self) -> str:
        return (f"FedAdamAggregator(server_lr={self.server_lr!r}, beta1={self.beta1!r}, "
                f"beta2={self.beta2!r}, tau={self.tau!r})")
