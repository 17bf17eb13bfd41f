"""Membership inference by loss threshold (Yeom et al. 2018), and what DP promises.

A model tends to have lower loss on its training examples than on unseen ones. The
attacker guesses "member" when an example's loss is below a threshold τ. Its advantage is
TPR − FPR (Yeom, Giacomelli, Fredrikson & Jha 2018, "Privacy risk in machine learning",
CSF, Definition 4); we report the best advantage over all thresholds and the AUC.

For an (ε, δ)-DP training algorithm, any test of "in" against "out" satisfies
TPR <= e^ε·FPR + δ and 1 − FPR <= e^ε·(1 − TPR) + δ (the privacy region of Kairouz, Oh &
Viswanath 2015, "The composition theorem for differential privacy", ICML, Theorem 2.1).
Maximising TPR − FPR over that region gives the bound (e^ε − 1 + 2δ)/(e^ε + 1); Yeom et
al.'s Theorem 1 gives the looser e^ε − 1 for ε-DP.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import rankdata
from torch import nn

from .._validation import check_probability, check_real

__all__ = ["MembershipResult", "dp_advantage_bound", "membership_inference", "yeom_bound"]


def dp_advantage_bound(epsilon: float, delta: float = 0.0) -> float:
    """(e^ε − 1 + 2δ) / (e^ε + 1): the most any membership attack gains on an (ε, δ)-DP
    model (at most 1)."""
    eps = check_real("epsilon", epsilon, low=0.0, low_open=False)
    d = check_probability("delta", delta, closed=True)
    if eps > 700:  # e^ε overflows; the bound is 1 − 2(1 − δ)/(e^ε + 1) = 1 to double precision
        return 1.0
    return min(1.0, (math.expm1(eps) + 2 * d) / (math.exp(eps) + 1))


def yeom_bound(epsilon: float) -> float:
    """e^ε − 1 (Yeom et al. 2018, Theorem 1), capped at 1."""
    eps = check_real("epsilon", epsilon, low=0.0, low_open=False)
    return 1.0 if eps >= math.log(2.0) else math.expm1(eps)  # e^ε − 1 >= 1 from ε = ln 2


@dataclass(frozen=True)
class MembershipResult:
    advantage: float      # max over thresholds of TPR − FPR
    auc: float            # P(loss of a member < loss of a non-member), ties count half
    threshold: float      # the loss threshold achieving the advantage
    member_losses: np.ndarray
    non_member_losses: np.ndarray


def _losses(model, data, loss_fn) -> np.ndarray:
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError("members and non_members must each be an (x, y) pair of tensors")
    x, y = data
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError("members and non_members must hold torch tensors")
    if x.shape[0] == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"an (x, y) pair must hold the same non-zero number of examples, got "
                         f"{x.shape[0]} and {y.shape[0]}")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            losses = loss_fn(model(x), y)
    finally:
        model.train(was_training)  # the caller's model comes back in the mode it came in
    if not isinstance(losses, torch.Tensor):
        raise TypeError(f"loss_fn must return a torch tensor of per-example losses, got "
                        f"{type(losses).__name__}")
    if losses.shape != (x.shape[0],):
        raise ValueError("loss_fn must return one loss per example (reduction='none'), got "
                         f"shape {tuple(losses.shape)}")
    if not bool(torch.isfinite(losses).all()):
        bad = losses[~torch.isfinite(losses)][0].item()
        raise ValueError(f"loss_fn must return finite losses, got {bad!r}: the model or the "
                         "loss diverged")
    return losses.double().numpy()


def membership_inference(model: nn.Module, members, non_members, *,
                         loss_fn=None) -> MembershipResult:
    """Loss-threshold membership inference: advantage (TPR − FPR at the best τ) and AUC.

    Parameters
    ----------
    model : torch.nn.Module
    members, non_members : (x, y)
        Examples that were / were not in the training set; the inputs must have the
        same shape apart from the number of examples.
    loss_fn : callable, optional
        Per-example loss ``loss_fn(output, target) -> tensor (n,)``; cross-entropy with
        ``reduction="none"`` by default.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    if loss_fn is None:
        def loss_fn(out, y):
            return nn.functional.cross_entropy(out, y, reduction="none")
    if (isinstance(members, (tuple, list)) and isinstance(non_members, (tuple, list))
            and len(members) == 2 and len(non_members) == 2
            and isinstance(members[0], torch.Tensor) and isinstance(non_members[0], torch.Tensor)
            and members[0].shape[1:] != non_members[0].shape[1:]):
        raise ValueError(f"members and non_members must have inputs of the same shape, got "
                         f"{tuple(members[0].shape[1:])} and {tuple(non_members[0].shape[1:])}")
    lm, ln = _losses(model, members, loss_fn), _losses(model, non_members, loss_fn)
    thresholds = np.unique(np.concatenate([lm, ln, [np.inf]]))
    # predict member when loss <= τ; TPR and FPR for every candidate τ at once
    tpr = np.searchsorted(np.sort(lm), thresholds, side="right") / lm.size
    fpr = np.searchsorted(np.sort(ln), thresholds, side="right") / ln.size
    best = int(np.argmax(tpr - fpr))
    # AUC by the Mann–Whitney statistic: members should have the *lower* losses
    r = rankdata(np.concatenate([-lm, -ln]))  # average ranks for ties
    auc = (r[: lm.size].sum() - lm.size * (lm.size + 1) / 2) / (lm.size * ln.size)
    return MembershipResult(float(max(0.0, tpr[best] - fpr[best])), float(auc),
                            float(thresholds[best]), lm, ln)
