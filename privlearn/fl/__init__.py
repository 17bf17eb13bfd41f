"""Federated learning: FedAvg aggregation, client partitioning, simulation, DP-FedAvg,
and remedies for non-IID clients (FedProx, SCAFFOLD, FedAdam).

A deployment on Flower, across processes, is :mod:`privlearn.fl.flower` (an extra).

``fl`` may use ``dp``, ``mpc`` and ``he``; they never use ``fl``.
"""

from .encrypted import PaillierAggregator
from .fedavg import fedavg, weighted_sum
from .fedopt import FedAdamAggregator
from .fedprox import FedProx
from .partition import partition_dirichlet, partition_iid, partition_shards
from .private import DPFedAvgAggregator, LocalDPSGD, clip_update
from .scaffold import Scaffold
from .secure import SecureAggregationFailed, SecureAggregator
from .simulation import (
    FedAvgAggregator,
    FedAvgHistory,
    FedAvgServer,
    evaluate,
    local_sgd,
    local_update,
    run_fedavg,
    state_bytes,
)
from .states import check_round, check_states, flatten_state, unflatten_state
from .task import FederatedTask
from .vertical import VerticalResult, train_centralized_taylor, train_vertical_lr

__all__ = [
    "DPFedAvgAggregator",
    "FedAdamAggregator",
    "FedAvgAggregator",
    "FedAvgHistory",
    "FedAvgServer",
    "FedProx",
    "FederatedTask",
    "LocalDPSGD",
    "PaillierAggregator",
    "Scaffold",
    "SecureAggregationFailed",
    "SecureAggregator",
    "VerticalResult",
    "check_round",
    "check_states",
    "clip_update",
    "evaluate",
    "fedavg",
    "flatten_state",
    "local_sgd",
    "local_update",
    "partition_dirichlet",
    "partition_iid",
    "partition_shards",
    "run_fedavg",
    "state_bytes",
    "train_centralized_taylor",
    "train_vertical_lr",
    "unflatten_state",
    "weighted_sum",
]
