"""Federated learning: FedAvg aggregation, client partitioning, simulation, DP-FedAvg.

``fl`` may use ``dp``, ``mpc`` and ``he``; they never use ``fl``.
"""

from .encrypted import PaillierAggregator
from .fedavg import fedavg, weighted_sum
from .partition import partition_dirichlet, partition_iid, partition_shards
from .private import DPFedAvgAggregator, LocalDPSGD, clip_update
from .secure import SecureAggregationFailed, SecureAggregator
from .simulation import (
    FedAvgAggregator,
    FedAvgHistory,
    evaluate,
    local_sgd,
    run_fedavg,
    state_bytes,
)
from .states import check_round, check_states, flatten_state, unflatten_state
from .vertical import VerticalResult, train_centralized_taylor, train_vertical_lr

__all__ = [
    "DPFedAvgAggregator",
    "FedAvgAggregator",
    "FedAvgHistory",
    "LocalDPSGD",
    "PaillierAggregator",
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
