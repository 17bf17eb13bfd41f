"""Federated averaging: the server's aggregation step (McMahan et al. 2017).

FedAvg minimises the article's objective  min_w Σ_i (n_i/n) L_i(w)  (McMahan, Moore,
Ramage, Hampson & Agüera y Arcas 2017, "Communication-efficient learning of deep
networks from decentralized data", AISTATS, Section 2): each client trains on its own
data, and the server replaces the global model by the average of the client models
weighted by n_i/n, the share of the training data each client holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from .._validation import check_weights
from .states import check_states

__all__ = ["fedavg", "weighted_sum"]

State = Mapping[str, torch.Tensor]


def weighted_sum(states: Sequence[State], weights: Sequence[float]) -> dict[str, torch.Tensor]:
    """Σ_i w_i · state_i per key, in float64 (complex128 for complex entries), not
    normalised; checked as in :func:`fedavg`."""
    keys = check_states(states)
    w = check_weights(weights, len(states), per="state")
    return _weighted_sum(keys, states, w)


def _weighted_sum(keys, states, w) -> dict[str, torch.Tensor]:
    out = {}
    for k in keys:
        dtype = states[0][k].dtype
        if not (dtype.is_floating_point or dtype.is_complex):
            big = max(int(st[k].abs().max()) if st[k].numel() else 0 for st in states)
            if big > 2**53:
                raise ValueError(f"states[...][{k!r}] holds integers up to {big}, beyond 2^53: "
                                 "they cannot be averaged exactly in float64")
        wide = torch.complex128 if dtype.is_complex else torch.float64
        acc = torch.zeros(states[0][k].shape, dtype=wide)
        for wi, st in zip(w, states, strict=True):
            acc += wi * st[k].detach().to(wide)
        out[k] = acc
    return out


def fedavg(states: Sequence[State], weights: Sequence[float]) -> dict[str, torch.Tensor]:
    """Weighted average of model state dicts: Σ_i (w_i / Σ_j w_j) · state_i.

    Parameters
    ----------
    states : list of dict
        ``model.state_dict()`` of each client: same keys (any order), shapes and dtypes,
        finite values (checked by :func:`privlearn.fl.states.check_states`). Buffers
        (e.g. batch-norm statistics) are averaged like parameters.
    weights : list of float
        w_i >= 0 with a positive sum; use the clients' example counts n_i for FedAvg.

    Returns
    -------
    dict
        A new state dict. Each entry is computed in float64 and cast back to the dtype
        of ``states[0]``'s entry (integer buffers are rounded, e.g. batch counters).
        The inputs are never modified.

    Examples
    --------
    >>> a = {"w": torch.tensor([1.0, 2.0])}
    >>> b = {"w": torch.tensor([3.0, 6.0])}
    >>> fedavg([a, b], [1, 3])["w"].tolist()
    [2.5, 5.0]
    """
    keys = check_states(states)
    return average_checked(keys, states, check_weights(weights, len(states), per="state"))


def average_checked(keys: list[str], states: Sequence[State], w: list[float]
                    ) -> dict[str, torch.Tensor]:
    """:func:`fedavg` on states and weights that were already checked (by
    :func:`privlearn.fl.check_round` in an aggregator), so they are not checked twice."""
    sums = _weighted_sum(keys, states, w)
    total = math.fsum(w)
    out = {}
    for k, v in sums.items():
        avg = v / total
        dtype = states[0][k].dtype
        if not (dtype.is_floating_point or dtype.is_complex):
            avg = avg.round()
        out[k] = avg.to(dtype)
    return out
