"""A federated training task as plain settings: what a deployment and a simulation share.

A :class:`FederatedTask` names the data, its split among the clients, the model, the
local training and the aggregation, with nothing but numbers and strings, so that it
can travel as a Flower run config (:meth:`FederatedTask.to_run_config`) and be rebuilt
in every process: each client builds the same split and keeps its own part, the server
builds the same initial model. :meth:`FederatedTask.run` runs it in one process with
:func:`~privlearn.fl.run_fedavg`; :mod:`privlearn.fl.flower` runs it on Flower. The same
task and seed give the same model both ways.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from .._validation import check_bool, check_int, check_probability, check_real
from ..data import load_breast_cancer, load_digits
from ..models import mlp
from .partition import partition_dirichlet, partition_iid, partition_shards
from .private import DPFedAvgAggregator, LocalDPSGD
from .simulation import FedAvgAggregator, FedAvgHistory, run_fedavg

__all__ = ["FederatedTask"]

_DATASETS = {"digits": (64, 10), "breast-cancer": (30, 2)}
_PARTITIONS = ("iid", "dirichlet", "shards")
_AGGREGATIONS = ("fedavg", "dp-fedavg", "secure", "paillier")


@dataclass(frozen=True)
class FederatedTask:
    """Settings of one federated training run.

    Parameters
    ----------
    num_clients : int
        K >= 1 clients; client i holds part i of the training split.
    rounds : int
        Communication rounds.
    dataset : {"digits", "breast-cancer"}
        scikit-learn's bundled set (:mod:`privlearn.data`), split 75/25 into training
        and test data with ``data_seed``.
    partition : {"iid", "dirichlet", "shards"}
        How the training split is shared among the clients
        (:mod:`privlearn.fl.partition`); ``alpha`` and ``shards_per_client`` are their
        parameters.
    hidden : int
        Hidden units of the :func:`privlearn.models.mlp`.
    local_epochs, batch_size, lr : int, int, float
        Local training (``batch_size=0``: the full local batch).
    client_fraction : float
        C in (0, 1]: the share of clients sampled each round (the sampling rate q of
        DP-FedAvg).
    aggregation : {"fedavg", "dp-fedavg", "secure", "paillier"}
        Plain FedAvg; DP-FedAvg (:class:`~privlearn.fl.DPFedAvgAggregator`, with
        ``clip_norm``, ``noise_multiplier``, ``delta``); secure aggregation (the
        server learns only the weighted sum, ``threshold_fraction`` of a round's
        clients must stay to the end, ``frac_bits`` of fixed point); or packed Paillier
        (:class:`~privlearn.fl.PaillierAggregator`: the server adds ciphertexts under a
        2048-bit key the clients hold; ``frac_bits`` of fixed point, every parameter
        within ``max_abs``; see :meth:`paillier_settings`; on Flower a sum is decrypted
        only if it holds ``threshold_fraction`` of the round's clients, and at least 2).
    max_abs : float
        Paillier only: the public bound on every model parameter, |θ| <= max_abs. A
        client whose model passes it fails rather than send a value that could wrap.
    local_dp : bool
        Clients train with DP-SGD (:class:`~privlearn.fl.LocalDPSGD`, with
        ``local_noise_multiplier``, ``local_max_grad_norm`` and ``batch_size`` as the
        expected batch size) instead of plain SGD.
    seed, data_seed : int
        The run's seed (initial model, sampling, clients' seeds, noise) and the data's
        (the train/test split and the partition).
    """

    num_clients: int = 3
    rounds: int = 5
    dataset: str = "digits"
    partition: str = "iid"
    alpha: float = 0.5
    shards_per_client: int = 2
    hidden: int = 32
    local_epochs: int = 1
    batch_size: int = 16
    lr: float = 0.1
    client_fraction: float = 1.0
    aggregation: str = "fedavg"
    clip_norm: float = 1.0
    noise_multiplier: float = 1.0
    delta: float = 1e-5
    threshold_fraction: float = 2 / 3
    frac_bits: int = 24
    max_abs: float = 8.0
    local_dp: bool = False
    local_noise_multiplier: float = 1.0
    local_max_grad_norm: float = 1.0
    seed: int = 0
    data_seed: int = 0

    def __post_init__(self) -> None:
        ints = {"num_clients": 1, "rounds": 1, "shards_per_client": 1, "hidden": 1,
                "local_epochs": 1, "batch_size": 0, "seed": 0, "data_seed": 0}
        for name, low in ints.items():
            check_int(name, getattr(self, name), low=low)
        check_int("frac_bits", self.frac_bits, low=0, high=40)
        for name in ("alpha", "lr", "clip_norm", "local_max_grad_norm", "max_abs"):
            check_real(name, getattr(self, name), low=0.0)
        for name in ("noise_multiplier", "local_noise_multiplier"):
            check_real(name, getattr(self, name), low=0.0, low_open=False)
        check_real("client_fraction", self.client_fraction, low=0.0, high=1.0,
                   high_open=False)
        check_real("threshold_fraction", self.threshold_fraction, low=0.0, high=1.0,
                   high_open=False)
        check_probability("delta", self.delta)
        check_bool("local_dp", self.local_dp)
        for name, allowed in (("dataset", tuple(_DATASETS)), ("partition", _PARTITIONS),
                              ("aggregation", _AGGREGATIONS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, "
                                 f"got {getattr(self, name)!r}")
        if (self.aggregation in ("secure", "paillier")
                and self.client_fraction * self.num_clients < 1.5):  # a sum of one is a model
            raise ValueError(f"{self.aggregation} aggregation needs at least 2 clients a "
                             f"round, got num_clients={self.num_clients} and "
                             f"client_fraction={self.client_fraction}")

    # ---- as a Flower run config --------------------------------------------------------
    def to_run_config(self) -> dict[str, int | float | str | bool]:
        """The settings with Flower's key style (``num-clients``), for ``--run-config``."""
        return {f.name.replace("_", "-"): getattr(self, f.name)
                for f in dataclasses.fields(self)}

    @classmethod
    def from_run_config(cls, config: Mapping[str, object]) -> FederatedTask:
        """The task a run config describes; keys that are not task settings are left
        for the caller (the app's other settings), missing ones take their defaults."""
        if not isinstance(config, Mapping):
            raise TypeError(f"config must be a mapping, got {type(config).__name__}")
        names = {f.name.replace("_", "-"): f for f in dataclasses.fields(cls)}
        kwargs = {}
        for key, field in names.items():
            if key in config:
                value = config[key]
                # TOML writes 2/3 as a float and 1.0 may arrive as 1: ints are fine
                # where floats are expected, never the other way round
                if field.type == "float" and isinstance(value, int) and not isinstance(
                        value, bool):
                    value = float(value)
                kwargs[field.name] = value
        return cls(**kwargs)

    # ---- what every process rebuilds ----------------------------------------------------
    def model_fn(self) -> torch.nn.Module:
        """A fresh model (initialised from torch's global generator, as
        :func:`~privlearn.fl.run_fedavg` expects of ``model_fn``)."""
        inputs, classes = _DATASETS[self.dataset]
        return mlp(inputs, self.hidden, classes)

    def _split(self):
        return _load(self.dataset, self.data_seed)

    def eval_data(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The test split, as (x, y) tensors."""
        _, _, x_test, y_test = self._split()
        return x_test, y_test

    def client_data(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Every client's (x, y) training tensors, in client order."""
        x, y, _, _ = self._split()
        if self.partition == "iid":
            parts = partition_iid(len(y), num_clients=self.num_clients, rng=self.data_seed)
        elif self.partition == "dirichlet":
            parts = partition_dirichlet(y.numpy(), num_clients=self.num_clients,
                                        alpha=self.alpha, rng=self.data_seed)
        else:
            parts = partition_shards(y.numpy(), num_clients=self.num_clients,
                                     shards_per_client=self.shards_per_client,
                                     rng=self.data_seed)
        return [(x[torch.as_tensor(p)], y[torch.as_tensor(p)]) for p in parts]

    def local_batch_size(self) -> int | None:
        """The local minibatch size, None for the full batch (``batch_size=0``)."""
        return None if self.batch_size == 0 else self.batch_size

    def aggregator(self):
        """A fresh in-process aggregator for ``aggregation`` (see :func:`run_fedavg`)."""
        if self.aggregation == "dp-fedavg":
            return DPFedAvgAggregator(self.clip_norm, self.noise_multiplier, delta=self.delta)
        if self.aggregation == "secure":
            from .secure import SecureAggregator

            return SecureAggregator(threshold_fraction=self.threshold_fraction,
                                    frac_bits=self.frac_bits)
        if self.aggregation == "paillier":  # a fresh 2048-bit key pair
            from ..he import generate_phe_keypair
            from .encrypted import PaillierAggregator

            return PaillierAggregator(*generate_phe_keypair(), packed=True,
                                      **self.paillier_settings())
        return FedAvgAggregator()

    def paillier_settings(self) -> dict[str, float | int]:
        """The public parameters of the packed Paillier encoding, agreed by every party:
        ``precision`` 2^-frac_bits, ``max_abs``, and ``max_summands``, the training
        split's size (no round's Σ n_i can exceed it)."""
        x, _, _, _ = self._split()
        return {"precision": 2.0**-self.frac_bits, "max_abs": self.max_abs,
                "max_summands": int(x.shape[0])}

    def local_train(self) -> LocalDPSGD | None:
        """A fresh :class:`~privlearn.fl.LocalDPSGD` if ``local_dp``, else None."""
        if not self.local_dp:
            return None
        if self.batch_size == 0:
            raise ValueError("local_dp needs an expected batch size: batch_size must be >= 1, "
                             "got 0 (full batch)")
        return LocalDPSGD(epochs=self.local_epochs, batch_size=self.batch_size, lr=self.lr,
                          noise_multiplier=self.local_noise_multiplier,
                          max_grad_norm=self.local_max_grad_norm, delta=self.delta)

    def run(self, *, aggregator=None, local_train=None
            ) -> tuple[torch.nn.Module, FedAvgHistory]:
        """Run the task in this process with :func:`~privlearn.fl.run_fedavg`.

        ``aggregator`` and ``local_train`` default to fresh :meth:`aggregator` and
        :meth:`local_train`; pass your own to read their state afterwards (ε).
        """
        return run_fedavg(self.model_fn, self.client_data(), rounds=self.rounds,
                          local_epochs=self.local_epochs,
                          batch_size=self.local_batch_size(), lr=self.lr,
                          client_fraction=self.client_fraction,
                          aggregator=self.aggregator() if aggregator is None else aggregator,
                          eval_data=self.eval_data(), rng=self.seed,
                          local_train=self.local_train() if local_train is None
                          else local_train)


@functools.lru_cache(maxsize=4)
def _load(dataset: str, data_seed: int):
    split = load_digits(rng=data_seed) if dataset == "digits" else load_breast_cancer(
        rng=data_seed)
    return split.as_tensors()
