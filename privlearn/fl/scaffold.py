"""SCAFFOLD: control variates that correct client drift (Karimireddy et al. 2020).

Each client's local steps follow its own gradient, which on non-IID data points away from
the global one. SCAFFOLD keeps an estimate of both: a server control variate c (the average
gradient) and one per client, c_i (that client's). Every local step uses the corrected
gradient g_i(y) − c_i + c, which is on average the global gradient. After K local steps of
size η from the global model x, the client refreshes its variate from the distance it
travelled,

    c_i⁺ = c_i − c + (x − y) / (K·η)          (their "option II"),

and sends its model and Δc_i = c_i⁺ − c_i. The server moves x by η_g times the average update
and sets c ← c + (1/N)·Σ Δc_i over the clients of the round (Karimireddy, Kale, Mohri, Reddi,
Stich & Suresh 2020, "SCAFFOLD: stochastic controlled averaging for federated learning",
ICML, Algorithm 1). A client uploads twice what FedAvg's does.

Here the average update is weighted by the clients' example counts, as FedAvg's is (the
paper's clients are equal in size, and its average is unweighted). The correction is the
gradient of the linear term <c − c_i, w>, added to local SGD's loss.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._validation import check_int, check_real
from .fedavg import average_checked
from .simulation import local_sgd, state_bytes
from .states import check_round

__all__ = ["Scaffold"]


class Scaffold:
    """SCAFFOLD's client and server in one object: pass it to
    ``run_fedavg(..., local_train=s, aggregator=s)``.

    The control variates live in the object between the clients' training and the
    server's aggregation, so it runs in one process (the simulation), not across a Flower
    deployment.

    Parameters
    ----------
    epochs : int
        Local passes per round.
    batch_size : int or None
        Local minibatch size; None is the full local batch.
    lr : float
        Local learning rate η.
    server_lr : float
        η_g > 0; 1 takes the average update as FedAvg does.

    References
    ----------
    Karimireddy et al. (2020), Algorithm 1 with option II.
    """

    sampling = "fixed"

    def __init__(self, *, epochs: int, batch_size: int | None, lr: float,
                 server_lr: float = 1.0) -> None:
        self.epochs = check_int("epochs", epochs, low=1)
        self.batch_size = None if batch_size is None else check_int("batch_size", batch_size,
                                                                    low=1)
        self.lr = check_real("lr", lr, low=0.0)
        self.server_lr = check_real("server_lr", server_lr, low=0.0)
        self.server_control: dict[str, torch.Tensor] | None = None
        self.client_controls: dict[int, dict[str, torch.Tensor]] = {}
        self._pending: dict[int, dict[str, torch.Tensor]] = {}
        self._num_clients: int | None = None

    # ------------------------------------------------------------------ server side
    def start(self, *, num_clients: int, client_fraction: float, rng) -> None:
        """A new run: every control variate starts at zero."""
        self._num_clients = check_int("num_clients", num_clients, low=1)
        self.server_control = None
        self.client_controls, self._pending = {}, {}

    def aggregate(self, global_state, client_states, num_examples):
        """x + η_g·(average − x); c + (1/N)·Σ Δc_i of the clients that trained this round."""
        if self._num_clients is None:
            raise RuntimeError("Scaffold.start must be called before aggregate (run_fedavg "
                               "does this)")
        keys, weights = check_round(global_state, client_states, num_examples,
                                    allow_empty=True, floating_only=True)
        pending, self._pending = self._pending, {}
        if not client_states:
            return global_state
        average = average_checked(keys, client_states, weights)
        new_state = {k: (global_state[k] + self.server_lr * (average[k] - global_state[k]))
                     .to(global_state[k].dtype) for k in keys}
        if pending:
            if self.server_control is None:
                self.server_control = {k: torch.zeros_like(v)
                                       for k, v in next(iter(pending.values())).items()}
            for delta in pending.values():
                for k in self.server_control:
                    self.server_control[k] += delta[k] / self._num_clients
        return new_state

    def upload_bytes(self, state) -> int:
        """The model and the control variate's change: twice FedAvg's upload."""
        return 2 * state_bytes(state)

    # ------------------------------------------------------------------ client side
    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, client: int,
                 generator: torch.Generator) -> None:
        """K corrected local steps from the global model, then the client's new variate."""
        names = [name for name, _ in model.named_parameters()]
        start = {name: p.detach().clone() for name, p in model.named_parameters()}
        zeros = {name: torch.zeros_like(p) for name, p in start.items()}
        server = self.server_control or zeros
        own = self.client_controls.get(client, zeros)
        correction = {name: server[name] - own[name] for name in names}

        shift = [correction[name] for name, p in model.named_parameters() if p.requires_grad]

        def corrected(params: list[torch.Tensor]) -> list[torch.Tensor]:
            return shift  # each step follows g_i − c_i + c

        local_sgd(model, x, y, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                  generator=generator, grad_term=corrected)
        n = x.shape[0]
        steps = self.epochs * math.ceil(n / (n if self.batch_size is None
                                             else min(self.batch_size, n)))
        end = {name: p.detach() for name, p in model.named_parameters()}
        refreshed = {name: own[name] - server[name] + (start[name] - end[name])
                     / (steps * self.lr) for name in names}
        self._pending[client] = {name: refreshed[name] - own[name] for name in names}
        self.client_controls[client] = refreshed

    def __repr__(self) -> str:
        return (f"Scaffold(epochs={self.epochs}, batch_size={self.batch_size}, "
                f"lr={self.lr!r}, server_lr={self.server_lr!r})")
