"""FedProx: local training pulled towards the global model (Li et al. 2020).

With non-IID clients, many local steps carry each client's model towards its own optimum
("client drift"), and their average can land far from the global one. FedProx adds a
proximal term to each client's objective,

    min_w  F_k(w) + (μ/2)·||w − w_t||²,

where w_t is the global model the round started from (Li, Sahu, Zaheer, Sanjabi, Talwalkar
& Smith 2020, "Federated optimization in heterogeneous networks", MLSys, Eq. (2)). The
gradient of the term, μ(w − w_t), pulls every local step back; μ = 0 is FedAvg. The
aggregation is unchanged (FedAvg's weighted average).
"""

from __future__ import annotations

import torch
from torch import nn

from .._validation import check_int, check_real
from .simulation import local_sgd

__all__ = ["FedProx"]


class FedProx:
    """Local training for FedProx: minibatch SGD on the loss plus (μ/2)·||w − w_t||².

    Pass an instance as ``run_fedavg(..., local_train=FedProx(...))``: each client trains
    from the global model w_t it receives, which the proximal term keeps as its anchor.

    Parameters
    ----------
    mu : float
        μ >= 0, the proximal term's weight; 0 is plain FedAvg.
    epochs : int
        Local passes over the client's data per round.
    batch_size : int or None
        Local minibatch size; None is the full local batch.
    lr : float
        Local learning rate.

    References
    ----------
    Li et al. (2020), Algorithm 2 and Eq. (2).
    """

    def __init__(self, *, mu: float, epochs: int, batch_size: int | None, lr: float) -> None:
        self.mu = check_real("mu", mu, low=0.0, low_open=False)
        self.epochs = check_int("epochs", epochs, low=1)
        self.batch_size = None if batch_size is None else check_int("batch_size", batch_size,
                                                                    low=1)
        self.lr = check_real("lr", lr, low=0.0)

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, client: int,
                 generator: torch.Generator) -> None:
        """Train ``model`` (holding the global model) in place on (x, y)."""
        anchor = [p.detach().clone() for p in model.parameters() if p.requires_grad]

        def proximal(params: list[torch.Tensor]) -> list[torch.Tensor]:
            # the gradient of (μ/2)·||w − w_t||², added to each step's gradient
            return [self.mu * (p - a) for p, a in zip(params, anchor, strict=True)]

        local_sgd(model, x, y, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                  generator=generator, grad_term=proximal if self.mu > 0 else None)

    def __repr__(self) -> str:
        return (f"FedProx(mu={self.mu!r}, epochs={self.epochs}, batch_size={self.batch_size}, "
                f"lr={self.lr!r})")
