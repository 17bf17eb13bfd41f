"""What clients send, checked: the one validator every aggregator uses.

A server that averages whatever arrives trusts each client to send the right model: the
same parameter names (in any order), the same shapes and dtypes, finite numbers, and a
sensible weight. One careless client breaks that trust silently: a state dict with its
keys in another order mixes parameters if flattened in arrival order, a NaN from a
diverged client turns every parameter of the global model into NaN (even with weight 0,
since 0 · NaN = NaN), and a negative example count flips an update. :func:`check_round`
refuses all of these before anything is added, naming the client's position in the round
and the parameter; every aggregator in :mod:`privlearn.fl` calls it first, and
:func:`flatten_state` reads a state in the *reference* key order, never in arrival order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .._validation import as_real_array, check_weights

__all__ = ["check_round", "check_states", "flatten_state", "unflatten_state"]

State = Mapping[str, torch.Tensor]


def check_states(states: Any, *, reference: State | None = None, name: str = "states",
                 allow_empty: bool = False) -> list[str]:
    """Check client state dicts against ``reference`` (default: ``states[0]``).

    Every state must be a mapping with exactly the reference's keys (any order), and each
    entry a tensor of the reference's shape and dtype holding only finite values.

    Returns
    -------
    list of str
        The keys, in the reference's order.

    Raises
    ------
    TypeError
        ``states`` is not a list of mappings of tensors, or a dtype differs.
    ValueError
        ``states`` is empty (unless ``allow_empty``), a key is missing or unexpected, a
        shape differs, or a value is NaN or infinite.
    """
    if isinstance(states, (Mapping, str, bytes)) or not isinstance(states, Sequence):
        raise TypeError(f"{name} must be a list of state dicts, got {type(states).__name__}")
    if len(states) == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty: there is nothing to aggregate")
    for i, st in enumerate(states):
        if not isinstance(st, Mapping):
            raise TypeError(f"{name}[{i}] must be a state dict (a mapping of names to tensors), "
                            f"got {type(st).__name__}")
    if reference is None:
        if not states:
            return []
        reference, ref_name = states[0], f"{name}[0]"
    else:
        if not isinstance(reference, Mapping):
            raise TypeError(f"the reference state must be a state dict, got "
                            f"{type(reference).__name__}")
        ref_name = "the global model"
    keys = list(reference.keys())
    for k in keys:
        if not isinstance(reference[k], torch.Tensor):
            raise TypeError(f"{ref_name}[{k!r}] must be a tensor, got "
                            f"{type(reference[k]).__name__}")
    for i, st in enumerate(states):
        if set(st.keys()) != set(keys):
            missing = [k for k in keys if k not in st]
            extra = [k for k in st if k not in reference]
            raise ValueError(f"{name}[{i}] must have the keys of {ref_name}: missing {missing}, "
                             f"unexpected {extra}")
        for k in keys:
            t, ref = st[k], reference[k]
            if not isinstance(t, torch.Tensor):
                raise TypeError(f"{name}[{i}][{k!r}] must be a tensor, got {type(t).__name__}")
            if t.shape != ref.shape:
                raise ValueError(f"{name}[{i}][{k!r}] must have the shape of {ref_name}'s, "
                                 f"{tuple(ref.shape)}, got {tuple(t.shape)}")
            if t.dtype != ref.dtype:
                raise TypeError(f"{name}[{i}][{k!r}] must have the dtype of {ref_name}'s, "
                                f"{ref.dtype}, got {t.dtype}")
            if (t.dtype.is_floating_point or t.dtype.is_complex) and not bool(
                    torch.isfinite(t).all()):
                bad = t.detach()[~torch.isfinite(t.detach())].flatten()[0].item()
                raise ValueError(f"{name}[{i}][{k!r}] must hold only finite values, got {bad!r}: "
                                 f"client {i} of this round sent a diverged update; leave it "
                                 "out (NaN poisons an average even with weight 0)")
    return keys


def check_round(global_state: State, client_states: Any, num_examples: Any, *,
                allow_empty: bool = False, floating_only: bool = False
                ) -> tuple[list[str], list[float]]:
    """Check one round of the aggregator seam: the client states against the global
    model, and one finite example count >= 0 per client with a positive sum.

    ``floating_only`` (for aggregators that clip, noise or fixed-point encode every
    entry) refuses integer entries in the global model. Returns the keys (in the global
    model's order) and the counts as floats.
    """
    check_states([global_state], name="global_state")
    if floating_only:
        for k, g in global_state.items():
            if not g.dtype.is_floating_point:
                raise TypeError(f"global_state[{k!r}] has dtype {g.dtype}: this aggregator "
                                "clips, noises or encodes every entry as a real number, which "
                                "an integer buffer cannot take (e.g. BatchNorm's "
                                "num_batches_tracked; use GroupNorm)")
    keys = check_states(client_states, reference=global_state, name="client_states",
                        allow_empty=allow_empty)
    if not client_states:
        if isinstance(num_examples, (str, bytes)) or not hasattr(num_examples, "__len__"):
            raise TypeError(f"num_examples must be a sequence of numbers, got "
                            f"{type(num_examples).__name__}")
        if len(num_examples):
            raise ValueError(f"num_examples must have one entry per client state: got "
                             f"{len(num_examples)} for 0")
        return keys, []
    weights = check_weights(num_examples, len(client_states), per="client state",
                            name="num_examples")
    return keys, weights


def flatten_state(state: State, keys: Sequence[str] | None = None) -> np.ndarray:
    """The floating tensors of a state dict as one float64 vector, in the order of
    ``keys`` (default: the state's own order; aggregators pass the global model's)."""
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a state dict, got {type(state).__name__}")
    parts = []
    for k in (state.keys() if keys is None else keys):
        t = state[k]
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"state[{k!r}] must be a tensor, got {type(t).__name__}")
        if not t.dtype.is_floating_point:
            raise TypeError(f"state[{k!r}] has dtype {t.dtype}; only floating tensors can be "
                            "encrypted as fixed-point values")
        parts.append(t.detach().to(torch.float64).reshape(-1).numpy())
    return np.concatenate(parts) if parts else np.zeros(0)


def unflatten_state(vector: np.ndarray, like: State) -> dict[str, torch.Tensor]:
    """Inverse of :func:`flatten_state`, shaped and typed like the state dict ``like``."""
    vector = as_real_array("vector", vector, allow_empty=True)
    total = sum(t.numel() for t in like.values())
    if vector.shape != (total,):
        raise ValueError(f"vector must have shape ({total},) to fill the state dict, got "
                         f"{vector.shape}")
    out, offset = {}, 0
    for k, t in like.items():
        size = t.numel()
        out[k] = torch.as_tensor(vector[offset:offset + size]).reshape(t.shape).to(t.dtype)
        offset += size
    return out
