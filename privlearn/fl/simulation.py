"""A FedAvg simulation loop on one machine (McMahan et al. 2017, Algorithm 1).

Each round the server samples clients, sends them the global model, each runs
``local_epochs`` of minibatch SGD on its own data *with an optimiser bound to its own
model copy* (the article's section-4 code binds it to the global model, so nothing
trains), and the aggregator combines what comes back. The aggregator is the seam where
privacy plugs in: plain :class:`FedAvgAggregator` by default, client-level DP with
:class:`~privlearn.fl.private.DPFedAvgAggregator`, and secure or encrypted aggregation
from the MPC and HE chapters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .._random import RNGLike, as_generator
from .._torch import check_generator, seeded_global_state, torch_generator
from .._validation import check_int, check_real
from .fedavg import average_checked
from .states import check_round, check_states

__all__ = ["FedAvgAggregator", "FedAvgHistory", "evaluate", "local_sgd", "run_fedavg",
           "state_bytes"]

ClientData = tuple[torch.Tensor, torch.Tensor]


def state_bytes(state) -> int:
    """Bytes of a state dict's tensors as sent over the wire (raw, uncompressed)."""
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a state dict, got {type(state).__name__}")
    for k, t in state.items():
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"state[{k!r}] must be a tensor, got {type(t).__name__}")
    return sum(t.numel() * t.element_size() for t in state.values())


class FedAvgAggregator:
    """Plain FedAvg: the average of client models weighted by their example counts.

    An aggregator is any object with

    * ``sampling``: ``"fixed"`` (max(1, round(C·K)) clients drawn without replacement,
      as McMahan et al. 2017) or ``"poisson"`` (each client independently with
      probability C, what DP accounting assumes);
    * ``start(*, num_clients, client_fraction, rng)``: called once before round 1;
    * ``aggregate(global_state, client_states, num_examples)`` -> the new global state
      (``client_states`` may be empty under Poisson sampling);
    * ``upload_bytes(state)``: what one client sends.
    """

    sampling = "fixed"

    def start(self, *, num_clients: int, client_fraction: float, rng) -> None:
        """Nothing to prepare for plain averaging."""

    def aggregate(self, global_state, client_states, num_examples):
        keys, weights = check_round(global_state, client_states, num_examples,
                                    allow_empty=True)
        if not client_states:
            return global_state
        return average_checked(keys, client_states, weights)

    def upload_bytes(self, state) -> int:
        return state_bytes(state)


@dataclass
class FedAvgHistory:
    """Per-round record of a simulation (lists indexed by round - 1)."""

    accuracy: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    clients: list[list[int]] = field(default_factory=list)
    bytes_up: list[int] = field(default_factory=list)
    bytes_down: list[int] = field(default_factory=list)

    @property
    def rounds(self) -> int:
        return len(self.clients)

    def rounds_to(self, accuracy: float) -> int | None:
        """First round whose test accuracy reaches ``accuracy`` (None if never)."""
        accuracy = check_real("accuracy", accuracy, low=0.0, high=1.0, low_open=False,
                              high_open=False)
        for i, acc in enumerate(self.accuracy):
            if acc >= accuracy:
                return i + 1
        return None


def local_sgd(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, epochs: int,
              batch_size: int | None, lr: float, generator: torch.Generator,
              loss_fn=nn.functional.cross_entropy) -> None:
    """Plain minibatch SGD on one client's data, in place. ``batch_size=None``: full batch.

    ``generator`` (required) shuffles; torch's global generator is never used.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    _check_pair("x and y", x, y)
    epochs = check_int("epochs", epochs, low=1)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_real("lr", lr, low=0.0)
    check_generator("generator", generator)
    opt = torch.optim.SGD(model.parameters(), lr=lr)  # bound to *this* model
    n = x.shape[0]
    bs = n if batch_size is None else min(batch_size, n)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, bs):
            idx = order[start:start + bs]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()


@torch.no_grad()
def evaluate(model: nn.Module, data: ClientData,
             loss_fn=nn.functional.cross_entropy) -> tuple[float, float]:
    """(accuracy, mean loss) of ``model`` on ``data``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"data must be an (x, y) pair of tensors, got {type(data).__name__}")
    _check_pair("data", *data)
    x, y = data
    model.eval()
    out = model(x)
    return float((out.argmax(dim=1) == y).float().mean()), float(loss_fn(out, y))


def _check_pair(name: str, x, y) -> None:
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"{name} must be torch tensors, got {type(x).__name__} and "
                        f"{type(y).__name__}")
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one example, got x of shape "
                         f"{tuple(x.shape)}")
    if y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"{name} must hold as many inputs as labels, got {x.shape[0]} inputs "
                         f"and labels of shape {tuple(y.shape)}")


def _check_clients(client_data: Sequence[ClientData]) -> None:
    if isinstance(client_data, (str, bytes)) or not isinstance(client_data, Sequence):
        raise TypeError(f"client_data must be a list of (x, y) tensor pairs, got "
                        f"{type(client_data).__name__}")
    if len(client_data) == 0:
        raise ValueError("client_data must be a non-empty list of (x, y) tensor pairs, got []")
    for i, pair in enumerate(client_data):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"client_data[{i}] must be an (x, y) pair, got "
                            f"{type(pair).__name__}")
        _check_pair(f"client_data[{i}]", *pair)


def _sample_clients(gen: np.random.Generator, k: int, fraction: float, how: str) -> list[int]:
    if how == "poisson":
        return np.flatnonzero(gen.random(k) < fraction).tolist()
    m = max(1, round(fraction * k))
    return sorted(gen.choice(k, size=m, replace=False).tolist())


def run_fedavg(
    model_fn: Callable[[], nn.Module],
    client_data: Sequence[ClientData],
    *,
    rounds: int,
    local_epochs: int,
    batch_size: int | None,
    lr: float,
    client_fraction: float = 1.0,
    aggregator=None,
    eval_data: ClientData | None = None,
    rng: RNGLike,
    local_train: Callable | None = None,
) -> tuple[nn.Module, FedAvgHistory]:
    """Simulate FedAvg; return the final global model and the per-round history.

    Parameters
    ----------
    model_fn : callable
        Builds a fresh model. It is called inside ``torch.random.fork_rng`` with a seed
        drawn from ``rng``, so the initial weights are reproducible and the global torch
        generator is left as it was.
    client_data : list of (x, y)
        Each client's training tensors.
    rounds : int
        Communication rounds T >= 1.
    local_epochs : int
        E >= 1, passes over its data each client makes per round.
    batch_size : int or None
        Local minibatch size B; None is the full local batch (B = ∞ in the paper:
        with E = 1 that is FedSGD).
    lr : float
        Local learning rate.
    client_fraction : float
        C in (0, 1], the share of clients that take part in a round.
    aggregator : object, optional
        See :class:`FedAvgAggregator` (the default).
    eval_data : (x, y), optional
        Test data; accuracy and loss are recorded after each round (NaN without it).
    rng : numpy.random.Generator, int or None
        Seeds everything: initialisation, client sampling, local shuffling, and whatever
        a model draws from torch's global generator while it trains (``nn.Dropout``):
        each client's local training runs on a fork of the global generator seeded from
        the run's generator (:func:`privlearn._torch.seeded_global_state`), so runs
        repeat and the caller's global torch state is left as it was.
    local_train : callable, optional
        ``local_train(model, x, y, *, client, generator)`` replacing plain local SGD,
        e.g. :class:`~privlearn.fl.private.LocalDPSGD`; it trains ``model`` in place.
        ``client`` is the client's index, ``generator`` a ``torch.Generator``.
    """
    if not callable(model_fn):
        raise TypeError(f"model_fn must be a callable that builds a model, got "
                        f"{type(model_fn).__name__}")
    _check_clients(client_data)
    if eval_data is not None:
        if not isinstance(eval_data, (tuple, list)) or len(eval_data) != 2:
            raise TypeError(f"eval_data must be an (x, y) pair or None, got "
                            f"{type(eval_data).__name__}")
        _check_pair("eval_data", *eval_data)
    if local_train is not None and not callable(local_train):
        raise TypeError(f"local_train must be callable, got {type(local_train).__name__}")
    rounds = check_int("rounds", rounds, low=1)
    local_epochs = check_int("local_epochs", local_epochs, low=1)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_real("lr", lr, low=0.0)
    client_fraction = check_real("client_fraction", client_fraction, low=0.0, high=1.0,
                                 high_open=False)
    agg = FedAvgAggregator() if aggregator is None else aggregator
    missing = [m for m in ("sampling", "start", "aggregate", "upload_bytes")
               if not hasattr(agg, m)]
    if missing or getattr(agg, "sampling", None) not in ("fixed", "poisson"):
        raise TypeError(f"aggregator must have sampling ('fixed' or 'poisson'), start, "
                        f"aggregate and upload_bytes (see FedAvgAggregator); "
                        f"{type(agg).__name__} lacks {missing or ['a valid sampling']}")
    gen = as_generator(rng)
    tgen = torch_generator(gen)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(gen.integers(0, 2**63 - 1)))
        global_model = model_fn()
        worker = model_fn()
    agg.start(num_clients=len(client_data), client_fraction=client_fraction, rng=gen)
    history = FedAvgHistory()
    down_bytes = state_bytes(global_model.state_dict())
    for round_index in range(rounds):
        chosen = _sample_clients(gen, len(client_data), client_fraction, agg.sampling)
        global_state = {k: v.clone() for k, v in global_model.state_dict().items()}
        states, counts, up = [], [], 0
        for c in chosen:
            x, y = client_data[c]
            worker.load_state_dict(global_state)
            with seeded_global_state(tgen):  # dropout & co. draw from here, seeded
                if local_train is None:
                    local_sgd(worker, x, y, epochs=local_epochs, batch_size=batch_size, lr=lr,
                              generator=tgen)
                else:
                    local_train(worker, x, y, client=c, generator=tgen)
            state = {k: v.detach().clone() for k, v in worker.state_dict().items()}
            try:
                check_states([state], reference=global_state, name="local model")
            except ValueError as err:
                raise ValueError(f"client {c}'s local training in round {round_index + 1} gave "
                                 f"a model "
                                 f"the server must refuse ({err}); lower lr or check its "
                                 "data") from err
            up += agg.upload_bytes(state)
            states.append(state)
            counts.append(x.shape[0])
        global_model.load_state_dict(agg.aggregate(global_state, states, counts))
        history.clients.append(chosen)
        history.bytes_up.append(up)
        history.bytes_down.append(down_bytes * len(chosen))
        acc, loss = evaluate(global_model, eval_data) if eval_data is not None else (
            math.nan, math.nan)
        history.accuracy.append(acc)
        history.loss.append(loss)
    return global_model, history
