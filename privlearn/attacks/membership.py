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

import contextlib
import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import rankdata
from torch import nn

from .._validation import as_real_array, check_probability, check_real
from ..dp.region import dp_tpr_bound

__all__ = [
    "MembershipResult",
    "accountant_tpr_bound",
    "dp_advantage_bound",
    "dp_tpr_bound",
    "evaluate_scores",
    "membership_inference",
    "yeom_bound",
]


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


def accountant_tpr_bound(fpr: float, accountant, *, deltas=None) -> float:
    """The most TPR any membership test reaches at ``fpr`` against a mechanism whose
    accountant certifies (ε(δ), δ)-DP at every δ: the minimum of :func:`dp_tpr_bound` over δ.

    Every (ε(δ), δ) the accountant reports holds at once, so the test's (FPR, TPR) lies in
    all of their privacy regions; one (ε, δ) pair alone gives a much looser line. The
    minimum is taken over ``deltas`` (by default 200 values from 1e-15 to 0.5, log-spaced);
    a coarser grid gives a larger bound, never an unsound one.

    Parameters
    ----------
    fpr : float
        False-positive rate in [0, 1].
    accountant : object with ``get_epsilon(delta)``
        E.g. :class:`privlearn.dp.RDPAccountant` after the mechanism's steps.
    deltas : array_like of float, optional
        δ values in (0, 1) to take the minimum over.
    """
    f = check_probability("fpr", fpr, closed=True)
    if not callable(getattr(accountant, "get_epsilon", None)):
        raise TypeError(f"accountant must have a get_epsilon(delta) method (an RDPAccountant), "
                        f"got {type(accountant).__name__}")
    grid = np.geomspace(1e-15, 0.5, 200) if deltas is None else as_real_array("deltas", deltas)
    if grid.ndim != 1 or ((grid <= 0) | (grid >= 1)).any():
        raise ValueError(f"deltas must be a 1-D array of values in (0, 1), got {grid!r}")
    with warnings.catch_warnings():
        # a best order at the edge of the accountant's grid only makes that δ's ε larger:
        # the bound stays sound, and the warning would fire for the extreme δ of the grid
        warnings.simplefilter("ignore", RuntimeWarning)
        return min(dp_tpr_bound(f, accountant.get_epsilon(float(d)), float(d)) for d in grid)


@dataclass(frozen=True)
class MembershipResult:
    """Scores of a membership attack (higher means "member") and what they achieve.

    ``advantage`` is the best TPR − FPR over thresholds, ``auc`` the probability that a
    member outscores a non-member (ties count half), and ``threshold`` the score at or
    above which the best-advantage attacker says "member". ``tpr_at`` gives the rate that
    matters for confident identification (Carlini et al. 2022): TPR at a low FPR.
    """

    advantage: float
    auc: float
    threshold: float
    member_scores: np.ndarray
    non_member_scores: np.ndarray

    def tpr_at(self, fpr: float) -> float:
        """Highest TPR over thresholds whose FPR on the non-members is at most ``fpr``.

        Raises ValueError when there are too few non-members to measure that FPR: below
        1/len(non_members) the only threshold allowed admits no false positive at all,
        which is a different (and noisier) quantity.
        """
        f = check_probability("fpr", fpr, closed=True)
        n = self.non_member_scores.size
        allowed = math.floor(f * n + 1e-9)   # false positives allowed, as a count: no float ties
        if allowed < 1:
            raise ValueError(f"fpr={fpr!r} cannot be measured on {n} non-members: it needs at "
                             f"least {math.ceil(1 / f) if f > 0 else 'infinitely many'}, so that "
                             "one false positive is allowed")
        _, tp, fp = _counts(self.member_scores, self.non_member_scores)
        return float(tp[fp <= allowed].max() / self.member_scores.size)

    def roc(self) -> tuple[np.ndarray, np.ndarray]:
        """(FPR, TPR) of every threshold, FPR ascending from (0, 0) to (1, 1)."""
        _, tpr, fpr = _rates(self.member_scores, self.non_member_scores)
        return fpr[::-1].copy(), tpr[::-1].copy()


def _counts(member_scores: np.ndarray, non_member_scores: np.ndarray):
    """Every distinct threshold τ (and +inf: say "member" for none), with the numbers of
    members and of non-members that "member when score >= τ" flags."""
    thresholds = np.unique(np.concatenate([member_scores, non_member_scores, [np.inf]]))

    def flagged(scores):
        return scores.size - np.searchsorted(np.sort(scores), thresholds, side="left")

    return thresholds, flagged(member_scores), flagged(non_member_scores)


def _rates(member_scores: np.ndarray, non_member_scores: np.ndarray):
    """Thresholds with the TPR and FPR of each (see ``_counts``)."""
    thresholds, tp, fp = _counts(member_scores, non_member_scores)
    return thresholds, tp / member_scores.size, fp / non_member_scores.size


def evaluate_scores(member_scores, non_member_scores) -> MembershipResult:
    """Advantage, AUC and best threshold of attack scores (higher means "member").

    The building block of every attack here; use it for an attack of your own.
    """
    sm = as_real_array("member_scores", member_scores)
    sn = as_real_array("non_member_scores", non_member_scores)
    for name, arr in (("member_scores", sm), ("non_member_scores", sn)):
        if arr.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    thresholds, tpr, fpr = _rates(sm, sn)
    best = int(np.argmax(tpr - fpr))
    # AUC by the Mann–Whitney statistic, average ranks for ties
    r = rankdata(np.concatenate([sm, sn]))
    auc = (r[: sm.size].sum() - sm.size * (sm.size + 1) / 2) / (sm.size * sn.size)
    return MembershipResult(float(max(0.0, tpr[best] - fpr[best])), float(auc),
                            float(thresholds[best]), sm, sn)


def _check_pair(name: str, data, *, integer_labels: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """``data`` as an (x, y) pair of tensors with the same non-zero number of examples."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{name} must be an (x, y) pair of tensors, got {type(data).__name__}")
    x, y = data
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"{name} must hold torch tensors, got {type(x).__name__} and "
                        f"{type(y).__name__}")
    if x.shape[0] == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"{name} must hold the same non-zero number of inputs and targets, "
                         f"got shapes {tuple(x.shape)} and {tuple(y.shape)}")
    if integer_labels and (y.ndim != 1 or y.dtype.is_floating_point or y.dtype == torch.bool):
        raise TypeError(f"{name}'s labels must be a 1-D integer tensor, got {y.dtype} of shape "
                        f"{tuple(y.shape)}")
    return x, y


@contextlib.contextmanager
def _eval_mode(model: nn.Module):
    """``model`` in eval mode, without gradients; the caller's model comes back in the mode
    it came in."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def _losses(model, data, loss_fn, name) -> np.ndarray:
    x, y = _check_pair(name, data, integer_labels=False)
    with _eval_mode(model):
        losses = loss_fn(model(x), y)
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

    Returns
    -------
    MembershipResult
        Scores are the negated losses (a low loss means "member"), so ``threshold`` is −τ
        for the loss threshold τ, and ``tpr_at`` reads the attack at a low FPR.
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
    # a lower loss means "more likely a member": the score is the negated loss
    return evaluate_scores(-_losses(model, members, loss_fn, "members"),
                           -_losses(model, non_members, loss_fn, "non_members"))
