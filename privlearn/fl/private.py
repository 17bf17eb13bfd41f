"""Differential privacy in federated learning: client level and example level.

**Example level, on each client** (:class:`LocalDPSGD`): every client trains with
DP-SGD (Abadi et al. 2016), so each of its *examples* is protected in what it sends.
Each client keeps its own RDP accountant; a client's ε composes over all the rounds it
took part in.

**Client level** (:class:`DPFedAvgAggregator`), the server's side:

DP-FedAvg (McMahan, Ramage, Talwar & Zhang 2018, "Learning differentially private
recurrent language models", ICLR, Algorithm 1) protects whole clients: whatever one
client's data, the global model moves almost the same. Each round

1. each client is sampled independently with probability q (Poisson sampling);
2. each sampled client's update Δ_k = θ_k − θ is clipped to L2 norm S;
3. the server averages with the fixed denominator qK (K clients in all), so one client
   changes the sum by at most S, and adds N(0, (σS/(qK))² I):
   θ ← θ + Σ_k clip(Δ_k) / (qK) + N(0, (σS / (qK))² I).

Clients are weighted equally (the paper's w_k = 1 case): weighting by example counts
would let a large client move the model further, raising the sensitivity. Each round is
one step of the sampled Gaussian mechanism with rate q and noise multiplier σ, so the
RDP accountant of :mod:`privlearn.dp` gives ε over the rounds.
"""

from __future__ import annotations

import math

import torch

from .._random import as_generator
from .._torch import torch_generator
from .._validation import check_int, check_probability, check_real
from ..dp import RDPAccountant
from ..dp.dpsgd import dp_sgd_step, poisson_batches
from .simulation import state_bytes
from .states import check_round, check_states

__all__ = ["DPFedAvgAggregator", "LocalDPSGD", "clip_update"]


def clip_update(update: dict[str, torch.Tensor], clip_norm: float
                ) -> tuple[dict[str, torch.Tensor], float]:
    """Scale an update so its global L2 norm is at most ``clip_norm``; return it and the
    norm before clipping.

    A non-finite update is refused (ValueError naming the entry): clipping cannot bound
    it, since NaN · factor is NaN.
    """
    clip_norm = check_real("clip_norm", clip_norm, low=0.0)
    check_states([update], name="update")
    norm = math.sqrt(sum(float((t.to(torch.float64) ** 2).sum()) for t in update.values()))
    factor = min(1.0, clip_norm / norm) if norm > 0 else 1.0
    return {k: t * factor for k, t in update.items()}, norm


class DPFedAvgAggregator:
    """Clip each client's update, average with a fixed denominator, add Gaussian noise.

    Parameters
    ----------
    clip_norm : float
        S > 0, the L2 bound on one client's update (all parameters together).
    noise_multiplier : float
        σ >= 0; the noise on the sum of clipped updates has standard deviation σ·S.
    delta : float
        δ in (0, 1) at which :meth:`epsilon` reports.
    """

    sampling = "poisson"

    def __init__(self, clip_norm: float, noise_multiplier: float, *, delta: float = 1e-5
                 ) -> None:
        self.clip_norm = check_real("clip_norm", clip_norm, low=0.0)
        self.noise_multiplier = check_real("noise_multiplier", noise_multiplier, low=0.0,
                                           low_open=False)
        self.delta = check_probability("delta", delta)
        self.accountant = RDPAccountant()
        self.norms: list[list[float]] = []  # per round, the clients' norms before clipping
        self._k = None
        self._q = None
        self._gen = None

    def start(self, *, num_clients: int, client_fraction: float, rng) -> None:
        self._k = check_int("num_clients", num_clients, low=1)
        self._q = check_real("client_fraction", client_fraction, low=0.0, high=1.0,
                             high_open=False)
        self._gen = torch_generator(as_generator(rng))

    def aggregate(self, global_state, client_states, num_examples):
        """θ + Σ clip(θ_k − θ) / (qK) + N(0, (σS/(qK))² I). The counts are checked but
        not used: clients weigh equally (see the module doc)."""
        if self._gen is None:
            raise RuntimeError("DPFedAvgAggregator.start must be called before aggregate "
                               "(run_fedavg does this)")
        check_round(global_state, client_states, num_examples, allow_empty=True,
                    floating_only=True)
        if len(client_states) > self._k:
            raise ValueError(f"client_states has {len(client_states)} entries, more than the "
                             f"num_clients={self._k} given to start: one client per state")
        denom = self._q * self._k
        total = {k: torch.zeros(v.shape, dtype=torch.float64) for k, v in global_state.items()}
        norms = []
        for state in client_states:
            delta = {k: state[k].to(torch.float64) - global_state[k].to(torch.float64)
                     for k in global_state}
            clipped, norm = clip_update(delta, self.clip_norm)
            norms.append(norm)
            for k in total:
                total[k] += clipped[k]
        self.norms.append(norms)
        std = self.noise_multiplier * self.clip_norm / denom
        new_state = {}
        for k, g in global_state.items():
            noise = torch.randn(g.shape, generator=self._gen, dtype=torch.float64) * std
            new_state[k] = (g.to(torch.float64) + total[k] / denom + noise).to(g.dtype)
        self.accountant.step(noise_multiplier=self.noise_multiplier, sample_rate=self._q)
        return new_state

    def upload_bytes(self, state) -> int:
        return state_bytes(state)

    def epsilon(self, delta: float | None = None) -> float:
        """ε spent so far at ``delta`` (default: the δ given at construction)."""
        return self.accountant.get_epsilon(self.delta if delta is None else delta)


class LocalDPSGD:
    """Local training by DP-SGD on each client, with one RDP accountant per client.

    Pass an instance as ``run_fedavg(..., local_train=LocalDPSGD(...))``. Each round a
    client takes round(epochs · n_k / batch_size) DP-SGD steps with Poisson sampling
    rate q_k = batch_size / n_k (see :func:`privlearn.dp.dpsgd.train_dp_sgd`).

    Parameters
    ----------
    epochs : float
        Local passes per round.
    batch_size : int
        Expected local batch size.
    lr : float
        Local learning rate.
    noise_multiplier : float
        σ >= 0 of DP-SGD.
    max_grad_norm : float
        Per-example clipping norm C > 0.
    delta : float
        δ at which :meth:`epsilon` reports.
    """

    def __init__(self, *, epochs: float, batch_size: int, lr: float, noise_multiplier: float,
                 max_grad_norm: float, delta: float = 1e-5) -> None:
        self.epochs = check_real("epochs", epochs, low=0.0)
        self.batch_size = check_int("batch_size", batch_size, low=1)
        self.lr = check_real("lr", lr, low=0.0)
        self.noise_multiplier = check_real("noise_multiplier", noise_multiplier, low=0.0,
                                           low_open=False)
        self.max_grad_norm = check_real("max_grad_norm", max_grad_norm, low=0.0)
        self.delta = check_probability("delta", delta)
        self.accountants: dict[int, RDPAccountant] = {}

    def __call__(self, model, x, y, *, client: int, generator) -> None:
        n = x.shape[0]
        if self.batch_size > n:
            raise ValueError(f"batch_size must not exceed a client's data (got "
                             f"batch_size={self.batch_size}, client {client} has {n})")
        q = self.batch_size / n
        steps = max(1, round(self.epochs * n / self.batch_size))
        model.train()
        for idx in poisson_batches(n, sample_rate=q, steps=steps, generator=generator):
            dp_sgd_step(model, torch.nn.functional.cross_entropy, x[idx], y[idx], lr=self.lr,
                        noise_multiplier=self.noise_multiplier,
                        max_grad_norm=self.max_grad_norm, expected_batch_size=q * n,
                        generator=generator)
        acc = self.accountants.setdefault(client, RDPAccountant())
        acc.step(noise_multiplier=self.noise_multiplier, sample_rate=q, steps=steps)

    def epsilon(self, delta: float | None = None) -> float:
        """The largest ε of any client so far (each client's examples are protected at
        least this well)."""
        d = self.delta if delta is None else delta
        return max((a.get_epsilon(d) for a in self.accountants.values()), default=0.0)
