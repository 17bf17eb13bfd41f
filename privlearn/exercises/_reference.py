"""Reference computations that several checkers compare answers with."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["full_batch_sgd"]


def full_batch_sgd(model: nn.Linear, x: torch.Tensor, y: torch.Tensor, lr: float,
                   steps: int) -> nn.Linear:
    """A copy of ``model`` after ``steps`` full-batch steps of ``torch.optim.SGD`` at
    learning rate ``lr`` on the cross-entropy loss; ``model`` is left alone."""
    ref = nn.Linear(model.in_features, model.out_features, dtype=model.weight.dtype)
    ref.load_state_dict(model.state_dict())
    opt = torch.optim.SGD(ref.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(ref(x), y).backward()
        opt.step()
    return ref
