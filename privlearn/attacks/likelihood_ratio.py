"""Membership inference calibrated per example: the offline likelihood-ratio attack.

A global loss threshold (``membership_inference``) treats every example alike, so an
example that is easy for any model (a clean "1") looks like a member whether or not it
was trained on, and a hard one looks like a non-member even when it was. That makes the
loss attack weak exactly where it matters, at low false-positive rates. Carlini, Chien,
Nasr, Song, Terzis & Tramèr (2022, "Membership inference attacks from first principles",
IEEE S&P) calibrate each example against *reference models* the attacker trains
himself on data drawn from the same population:

* the score of a model on example (x, y) is the logit of its confidence in the true class,
  φ = log(p_y / (1 − p_y)) ("logit scaling"), which is close to Gaussian across training
  runs;
* for each candidate, the reference models that did **not** train on it give the mean
  μ_out of φ; the spread σ_out is one number for all candidates (their "fixed variance",
  recommended when there are few reference models), estimated here as the pooled
  within-candidate spread (each OUT score about its own candidate's mean), which leaves
  out the spread between candidates that the per-candidate means already account for;
* the target model's φ is scored by z = (φ − μ_out) / σ_out, a one-sided test of "does
  this model fit the example better than models that never saw it?" (the *offline*
  variant of their Algorithm 1, which needs no reference model trained on the candidate).

Ranking candidates by z is ranking them by the one-sided Gaussian p-value of that test, so
the TPR at every FPR is the attack's. The models must return logits (or log-probabilities):
a model that ends in a softmax gives probabilities, and φ computed from them is wrong.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .membership import MembershipResult, _check_pair, _eval_mode, evaluate_scores

__all__ = ["confidence_logits", "likelihood_ratio_attack"]


def confidence_logits(model: nn.Module, data) -> np.ndarray:
    """φ = log(p_y / (1 − p_y)) of ``model`` on each example of ``data = (x, y)``.

    Computed from the logits z as z_y − logsumexp_{j≠y} z_j, which stays finite when the
    model is certain (p_y rounds to 1 in floating point long before φ overflows).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    x, y = _check_pair("data", data, integer_labels=True)
    with _eval_mode(model):
        z = model(x).double()
    if z.ndim != 2 or z.shape[0] != y.shape[0] or z.shape[1] < 2:
        raise ValueError(f"model must return one row of at least two class logits per "
                         f"example, got shape {tuple(z.shape)}")
    if int(y.min()) < 0 or int(y.max()) >= z.shape[1]:
        raise ValueError(f"labels must lie in 0..{z.shape[1] - 1} (the model's classes), got "
                         f"{int(y.min()) if int(y.min()) < 0 else int(y.max())}")
    rows = torch.arange(z.shape[0])
    true = z[rows, y]
    others = z.clone()
    others[rows, y] = -torch.inf
    phi = (true - torch.logsumexp(others, dim=1)).numpy()
    if not np.isfinite(phi).all():
        raise ValueError("model returned non-finite logits: it diverged")
    return phi


def likelihood_ratio_attack(model: nn.Module, members, non_members, reference_models,
                            reference_in) -> MembershipResult:
    """Offline LiRA (Carlini et al. 2022): each candidate scored against reference models
    that never trained on it.

    Parameters
    ----------
    model : torch.nn.Module
        The target model.
    members, non_members : (x, y)
        Candidates that were / were not in the target's training set (the ground truth
        the evaluation needs; the attack itself does not look at it).
    reference_models : sequence of torch.nn.Module
        Models the attacker trained the same way on data from the same population.
    reference_in : array of bool, shape (len(reference_models), n_members + n_non_members)
        ``reference_in[k, i]``: candidate i (members first, then non-members) was in the
        training set of reference model k. Every candidate needs at least one reference
        model without it.

    Returns
    -------
    MembershipResult
        Scores z = (φ − μ_out) / σ_out; higher means "member".
    """
    if isinstance(reference_models, nn.Module) or not isinstance(reference_models,
                                                                 (list, tuple)):
        raise TypeError(f"reference_models must be a list of torch.nn.Module, got "
                        f"{type(reference_models).__name__}")
    if not reference_models:
        raise ValueError("reference_models must hold at least one model, got none")
    for k, ref in enumerate(reference_models):
        if not isinstance(ref, nn.Module):
            raise TypeError(f"reference_models[{k}] must be a torch.nn.Module, got "
                            f"{type(ref).__name__}")
    xm, ym = _check_pair("members", members, integer_labels=True)
    xn, yn = _check_pair("non_members", non_members, integer_labels=True)
    if xm.shape[1:] != xn.shape[1:]:
        raise ValueError(f"members and non_members must have inputs of the same shape, got "
                         f"{tuple(xm.shape[1:])} and {tuple(xn.shape[1:])}")
    inside = np.asarray(reference_in)
    n = xm.shape[0] + xn.shape[0]
    if inside.dtype != np.bool_:
        raise TypeError(f"reference_in must be an array of bool, got dtype {inside.dtype}")
    if inside.shape != (len(reference_models), n):
        raise ValueError(f"reference_in must have shape (reference models, candidates) = "
                         f"({len(reference_models)}, {n}), got {inside.shape}")
    always_in = np.flatnonzero(inside.all(axis=0))
    if always_in.size:
        raise ValueError(f"candidate {int(always_in[0])} is in every reference model's training "
                         "set: the offline attack needs at least one reference model without it")
    candidates = (torch.cat([xm, xn]), torch.cat([ym, yn]))
    reference = np.stack([confidence_logits(ref, candidates) for ref in reference_models])
    out = ~inside
    mu_out = np.where(out, reference, 0.0).sum(axis=0) / out.sum(axis=0)
    # pooled variance: each candidate's OUT scores about their own mean
    dof = int(out.sum()) - n
    if dof < 1:
        raise ValueError("the reference models give no spread to calibrate with: at least one "
                         "candidate needs two reference models without it")
    sigma_out = np.sqrt(np.where(out, (reference - mu_out) ** 2, 0.0).sum() / dof)
    if sigma_out == 0:
        raise ValueError("the reference models score every candidate identically: they cannot "
                         "calibrate a test (are they the same model?)")
    z = (confidence_logits(model, candidates) - mu_out) / sigma_out
    return evaluate_scores(z[: xm.shape[0]], z[xm.shape[0]:])
