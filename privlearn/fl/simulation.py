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
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .._random import RNGLike, as_generator
from .._torch import check_generator, seeded_global_state
from .._validation import check_int, check_real
from .fedavg import average_checked
from .states import check_round, check_states

__all__ = ["FedAvgAggregator", "FedAvgHistory", "FedAvgServer", "evaluate", "local_sgd",
           "local_update", "run_fedavg", "state_bytes"]

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
              loss_fn=nn.functional.cross_entropy,
              grad_term: Callable[[list[torch.Tensor]], Sequence[torch.Tensor]] | None = None
              ) -> None:
    """Plain minibatch SGD on one client's data, in place. ``batch_size=None``: full batch.

    ``generator`` (required) shuffles; torch's global generator is never used.
    ``grad_term(params)``, if given, returns one tensor per trainable parameter (in
    ``model.parameters()`` order), added to that parameter's gradient before every step:
    the gradient of a term added to the loss, computed in closed form (FedProx's proximal
    term μ(w − w_t), :class:`~privlearn.fl.fedprox.FedProx`; SCAFFOLD's correction c − c_i,
    :class:`~privlearn.fl.scaffold.Scaffold`).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    _check_pair("x and y", x, y)
    epochs = check_int("epochs", epochs, low=1)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_real("lr", lr, low=0.0)
    check_generator("generator", generator)
    if grad_term is not None and not callable(grad_term):
        raise TypeError(f"grad_term must be callable or None, got {type(grad_term).__name__}")
    # The step torch.optim.SGD takes without momentum or weight decay (p -= lr * grad, the
    # same add_ call, so the same bits), written out: the optimizer's bookkeeping cost a
    # quarter of the time of a tiny model's step.
    params = [p for p in model.parameters() if p.requires_grad]
    n = x.shape[0]
    bs = n if batch_size is None else min(batch_size, n)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, bs):
            idx = order[start:start + bs]
            for p in params:
                p.grad = None
            loss_fn(model(x[idx]), y[idx]).backward()
            with torch.no_grad():
                extra = None if grad_term is None else list(grad_term(params))
                if extra is not None and len(extra) != len(params):
                    raise ValueError(f"grad_term must return one tensor per trainable "
                                     f"parameter ({len(params)}), got {len(extra)}")
                for i, p in enumerate(params):
                    if extra is not None and tuple(extra[i].shape) != tuple(p.shape):
                        raise ValueError(f"grad_term must return tensors shaped like the "
                                         f"parameters: entry {i} has shape "
                                         f"{tuple(extra[i].shape)}, the parameter "
                                         f"{tuple(p.shape)}")
                    g = p.grad if extra is None else (
                        extra[i] if p.grad is None else p.grad + extra[i])
                    if g is not None:
                        p.add_(g, alpha=-lr)


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


class FedAvgServer:
    """The server's side of FedAvg, one round at a time.

    :func:`run_fedavg` drives it with clients in the same process; the Flower strategy
    (:mod:`privlearn.fl.flower`) drives it with clients in other processes. Both get
    the same draws from ``rng`` in the same order, so the same seed gives the same model.

    Each round :meth:`plan_round` samples the clients and gives each its own seed for
    local training (so a client's randomness does not depend on which clients trained
    before it, and clients can train in parallel); :meth:`finish_round` checks what came
    back, aggregates, evaluates and records the round in :attr:`history`.

    Parameters
    ----------
    model_fn : callable
        Builds a fresh model; called once, inside ``torch.random.fork_rng`` with a seed
        drawn from ``rng``, for the initial global model.
    num_clients : int
        K, the number of clients that may be sampled (indices 0..K-1).
    client_fraction : float
        C in (0, 1].
    aggregator : object, optional
        See :class:`FedAvgAggregator` (the default).
    eval_data : (x, y), optional
        Test data for the accuracy and loss recorded after each round.
    rng : numpy.random.Generator, int or None
        Seeds the initial model, the client sampling and the clients' seeds; the
        aggregator's :meth:`~FedAvgAggregator.start` receives a generator of its own,
        seeded from it.
    """

    def __init__(self, model_fn: Callable[[], nn.Module], *, num_clients: int,
                 client_fraction: float = 1.0, aggregator=None,
                 eval_data: ClientData | None = None, rng: RNGLike) -> None:
        if not callable(model_fn):
            raise TypeError(f"model_fn must be a callable that builds a model, got "
                            f"{type(model_fn).__name__}")
        self.num_clients = check_int("num_clients", num_clients, low=1)
        self.client_fraction = check_real("client_fraction", client_fraction, low=0.0,
                                          high=1.0, high_open=False)
        if eval_data is not None:
            if not isinstance(eval_data, (tuple, list)) or len(eval_data) != 2:
                raise TypeError(f"eval_data must be an (x, y) pair or None, got "
                                f"{type(eval_data).__name__}")
            _check_pair("eval_data", *eval_data)
        self.eval_data = eval_data
        agg = FedAvgAggregator() if aggregator is None else aggregator
        missing = [m for m in ("sampling", "start", "aggregate", "upload_bytes")
                   if not hasattr(agg, m)]
        if missing or getattr(agg, "sampling", None) not in ("fixed", "poisson"):
            raise TypeError(f"aggregator must have sampling ('fixed' or 'poisson'), start, "
                            f"aggregate and upload_bytes (see FedAvgAggregator); "
                            f"{type(agg).__name__} lacks {missing or ['a valid sampling']}")
        self.aggregator = agg
        self._gen = as_generator(rng)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self._gen.integers(0, 2**63 - 1)))
            self.model = model_fn()
        if not isinstance(self.model, nn.Module):
            raise TypeError(f"model_fn must return a torch.nn.Module, got "
                            f"{type(self.model).__name__}")
        # the aggregator's own stream (DP noise, simulated dropouts): its draws never shift
        # the clients' seeds, so e.g. secure aggregation without dropouts equals plain FedAvg
        agg.start(num_clients=self.num_clients, client_fraction=self.client_fraction,
                  rng=np.random.default_rng(int(self._gen.integers(0, 2**63 - 1))))
        self.history = FedAvgHistory()
        self._planned: list[int] | None = None

    def state(self) -> dict[str, torch.Tensor]:
        """A copy of the global model's state dict: what the sampled clients receive."""
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def plan_round(self) -> list[tuple[int, int]]:
        """Sample this round's clients: ``[(client, seed), ...]`` in client order.

        ``seed`` seeds the client's local training (:func:`local_update`). Under Poisson
        sampling the list may be empty; the round must still be finished.
        """
        if self._planned is not None:
            raise RuntimeError("plan_round was called twice: finish the round first")
        chosen = _sample_clients(self._gen, self.num_clients, self.client_fraction,
                                 self.aggregator.sampling)
        seeds = self._gen.integers(0, 2**63 - 1, size=len(chosen)).tolist()
        self._planned = chosen
        return list(zip(chosen, seeds, strict=True))

    def finish_round(self, states: Sequence[Mapping[str, torch.Tensor]],
                     num_examples: Sequence[int], *, clients: Sequence[int] | None = None
                     ) -> None:
        """Aggregate the clients' models and record the round.

        ``clients`` are the planned clients whose models came back, in planned order (by
        default all of them): a deployment loses clients that crash or time out, and
        the round goes on without them. A state the server must refuse (another shape,
        NaN or infinity) raises ValueError naming its client and round.
        """
        if self._planned is None:
            raise RuntimeError("finish_round was called before plan_round")
        chosen = self._check_subset(clients)
        if len(states) != len(chosen) or len(num_examples) != len(chosen):
            raise ValueError(f"states and num_examples must hold one entry per client "
                             f"({len(chosen)}), got {len(states)} and {len(num_examples)}")
        global_state = self.state()
        round_number = self.history.rounds + 1
        for c, state in zip(chosen, states, strict=True):
            try:
                check_states([state], reference=global_state, name="local model")
            except ValueError as err:
                raise ValueError(f"client {c}'s local training in round {round_number} gave a "
                                 f"model the server must refuse ({err}); lower lr or check its "
                                 "data") from err
        up = sum(self.aggregator.upload_bytes(s) for s in states)
        self._record(chosen, self.aggregator.aggregate(global_state, list(states),
                                                       list(num_examples)), up)

    def finish_aggregated(self, new_state: Mapping[str, torch.Tensor], *,
                          clients: Sequence[int]) -> None:
        """Record a round whose aggregate was computed elsewhere: by a protocol in which
        the server never holds the clients' models (secure aggregation across processes).
        ``clients`` are the planned clients whose inputs the aggregate holds."""
        if self._planned is None:
            raise RuntimeError("finish_aggregated was called before plan_round")
        chosen = self._check_subset(clients)
        global_state = self.state()
        check_states([dict(new_state)], reference=global_state, name="new_state")
        self._record(chosen, new_state,
                     len(chosen) * self.aggregator.upload_bytes(global_state))

    def _check_subset(self, clients: Sequence[int] | None) -> list[int]:
        planned = self._planned
        chosen = list(planned) if clients is None else list(clients)
        position = {c: i for i, c in enumerate(planned)}
        order = [position.get(c) for c in chosen]
        if None in order or order != sorted(set(order)):
            raise ValueError(f"clients must be planned clients {planned} in planned order, "
                             f"each once, got {chosen}")
        return chosen

    def _record(self, chosen: list[int], new_state, up: int) -> None:
        global_state = self.state()
        self.model.load_state_dict(new_state)
        self._planned = None
        h = self.history
        h.clients.append(chosen)
        h.bytes_up.append(up)
        h.bytes_down.append(state_bytes(global_state) * len(chosen))
        acc, loss = evaluate(self.model, self.eval_data) if self.eval_data is not None else (
            math.nan, math.nan)
        h.accuracy.append(acc)
        h.loss.append(loss)


def local_update(model: nn.Module, global_state: Mapping[str, torch.Tensor],
                 x: torch.Tensor, y: torch.Tensor, *, seed: int, client: int,
                 local_epochs: int, batch_size: int | None, lr: float,
                 local_train: Callable | None = None) -> dict[str, torch.Tensor]:
    """One client's part of a round: load the global model into ``model``, train it on
    (x, y), and return a copy of its state dict.

    The client's shuffling (and its DP noise, with ``local_train``) draws from a
    ``torch.Generator`` seeded with ``seed``; whatever the model draws from torch's global
    generator (``nn.Dropout``) comes from a fork of it seeded from that generator
    (:class:`privlearn._torch.seeded_global_state`), restored afterwards. Plain local SGD
    (:func:`local_sgd`) unless ``local_train`` is given (see :func:`run_fedavg`).
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not (
            0 <= seed < 2**63):
        raise ValueError(f"seed must be an int in [0, 2^63), got {seed!r}")
    generator = torch.Generator().manual_seed(int(seed))
    model.load_state_dict(global_state)
    with seeded_global_state(generator):  # dropout & co. draw from here, seeded
        if local_train is None:
            local_sgd(model, x, y, epochs=local_epochs, batch_size=batch_size, lr=lr,
                      generator=generator)
        else:
            local_train(model, x, y, client=client, generator=generator)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


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
        Seeds everything: initialisation, client sampling, and one seed per client and
        round for its local shuffling and whatever its model draws from torch's global
        generator while it trains (``nn.Dropout``; see :func:`local_update`), so runs
        repeat and the caller's global torch state is left as it was. The server's side
        is :class:`FedAvgServer`: a Flower deployment with the same ``rng`` gives the
        same model.
    local_train : callable, optional
        ``local_train(model, x, y, *, client, generator)`` replacing plain local SGD,
        e.g. :class:`~privlearn.fl.private.LocalDPSGD`; it trains ``model`` in place.
        ``client`` is the client's index, ``generator`` a ``torch.Generator``.
    """
    _check_clients(client_data)
    if local_train is not None and not callable(local_train):
        raise TypeError(f"local_train must be callable, got {type(local_train).__name__}")
    rounds = check_int("rounds", rounds, low=1)
    local_epochs = check_int("local_epochs", local_epochs, low=1)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_real("lr", lr, low=0.0)
    server = FedAvgServer(model_fn, num_clients=len(client_data),
                          client_fraction=client_fraction, aggregator=aggregator,
                          eval_data=eval_data, rng=rng)
    with torch.random.fork_rng(devices=[]):
        worker = model_fn()  # the clients' model: its initial weights are overwritten
    for _ in range(rounds):
        plan = server.plan_round()
        global_state = server.state()
        states = [local_update(worker, global_state, *client_data[c], seed=seed, client=c,
                               local_epochs=local_epochs, batch_size=batch_size, lr=lr,
                               local_train=local_train)
                  for c, seed in plan]
        server.finish_round(states, [client_data[c][0].shape[0] for c, _ in plan])
    return server.model, server.history
