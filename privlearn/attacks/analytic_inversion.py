"""Analytic gradient inversion: a first ``Linear`` layer with a bias gives its inputs away.

For a first layer z = W x + b (followed by anything), the gradient of a loss summed over a
batch, or over several clients' updates added together, is

    ∂L/∂W_i = Σ_n δ_{n,i} x_n,      ∂L/∂b_i = Σ_n δ_{n,i},      δ_{n,i} = ∂L/∂z_{n,i},

so whenever exactly one example n has δ_{n,i} ≠ 0 (after a ReLU, when that example alone
activates neuron i), the ratio of row i of the weight gradient to entry i of the bias
gradient *is* x_n, exactly, with no optimisation and whatever the rest of the network is
(L. T. Phong, Y. Aono, T. Hayashi, L. Wang, S. Moriai 2018, "Privacy-preserving deep
learning via additively homomorphic encryption", IEEE TIFS 13(5), Section III; L. Fowl,
J. Geiping, W. Czaja, M. Goldblum, T. Goldstein 2022, "Robbing the Fed", ICLR, who make
every neuron fire for one example with a maliciously chosen first layer).

Adding more examples together (a larger batch, or secure aggregation of more clients)
makes a neuron that fires for one example alone rarer, but does not stop the attack.
DP-SGD's per-example clipping does not stop it either (it scales δ_{n,i} and leaves the
ratio alone); its noise does, once it drowns the bias gradient.
"""

from __future__ import annotations

import torch

from .._validation import check_real

__all__ = ["analytic_inversion", "match_reconstructions"]


def _finite_tensor(name: str, value, ndim: int) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor, got {type(value).__name__}")
    if value.ndim != ndim or value.numel() == 0:
        raise ValueError(f"{name} must be a non-empty {ndim}-D tensor, got shape "
                         f"{tuple(value.shape)}")
    t = value.detach().to(torch.float64)
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must hold only finite values")
    return t


def analytic_inversion(weight_grad: torch.Tensor, bias_grad: torch.Tensor, *,
                       min_bias_grad: float = 1e-6) -> torch.Tensor:
    """Candidate inputs x̂_i = (∂L/∂W)_i / (∂L/∂b)_i, one per neuron that received gradient.

    Parameters
    ----------
    weight_grad : torch.Tensor, shape (neurons, features)
        Gradient of the first ``Linear`` layer's weight: a single update, a batch's, or a
        sum of updates (what secure aggregation reveals).
    bias_grad : torch.Tensor, shape (neurons,)
        Gradient of the same layer's bias.
    min_bias_grad : float
        Neurons whose |∂L/∂b_i| is below this fraction of the largest are skipped (no
        example reached them, or too little to divide by).

    Returns
    -------
    torch.Tensor, shape (candidates, features), float64
        One candidate per kept neuron. A neuron fired by exactly one example yields that
        example exactly; the others yield mixtures. Compare with
        :func:`match_reconstructions`.
    """
    w = _finite_tensor("weight_grad", weight_grad, 2)
    b = _finite_tensor("bias_grad", bias_grad, 1)
    if b.shape[0] != w.shape[0]:
        raise ValueError(f"bias_grad must have one entry per row of weight_grad ({w.shape[0]}), "
                         f"got {b.shape[0]}")
    threshold = check_real("min_bias_grad", min_bias_grad, low=0.0, high=1.0)
    largest = float(b.abs().max())
    if largest == 0.0:
        return torch.zeros((0, w.shape[1]), dtype=torch.float64)
    keep = b.abs() > threshold * largest
    return w[keep] / b[keep, None]


def match_reconstructions(candidates: torch.Tensor, originals: torch.Tensor
                          ) -> tuple[torch.Tensor, torch.Tensor]:
    """For each original, the candidate closest to it: ``(index, mean squared error)``.

    An attacker does not know which candidate is which example; this is the evaluator's
    view, to count how many examples an attack recovered (e.g. MSE below 1e-4 on pixels
    in [0, 1]). With no candidates, every MSE is ``inf`` and every index -1.
    """
    o = _finite_tensor("originals", originals, 2)
    if not isinstance(candidates, torch.Tensor) or candidates.ndim != 2:
        raise TypeError("candidates must be a 2-D torch tensor (candidates x features)")
    if candidates.shape[0] == 0:
        return (torch.full((o.shape[0],), -1, dtype=torch.long),
                torch.full((o.shape[0],), float("inf"), dtype=torch.float64))
    c = _finite_tensor("candidates", candidates, 2)
    if c.shape[1] != o.shape[1]:
        raise ValueError(f"candidates and originals must have the same number of features, "
                         f"got {c.shape[1]} and {o.shape[1]}")
    mse = ((o[:, None, :] - c[None, :, :]) ** 2).mean(dim=2)   # originals x candidates
    best, index = mse.min(dim=1)
    return index, best
