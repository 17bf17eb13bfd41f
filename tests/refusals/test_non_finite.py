"""Class 3: a NaN or inf from one client is refused with the client's index, in every
aggregator, even with weight 0 (0 · NaN = NaN would poison the whole global model)."""

import math

import pytest
import torch
from torch import nn

from privlearn import fl

from ._cases import Case, check, ids
from .test_input_trust import AGGREGATORS, GLOBAL, _aggregators, _state


def _poisoned(value):
    bad = _state()
    bad["w"] = bad["w"].clone()
    bad["w"][1, 2] = value
    return bad


CASES = [Case(agg, f"{name} from client 1 with weight 0",
              (lambda c, agg=agg, v=v: _aggregators(c)[agg].aggregate(
                  GLOBAL, [_state(), _poisoned(v)], [1, 0])),
              ValueError, r"client_states\[1\]\['w'\] must hold only finite values",
              rf"got {name}")
         for agg in AGGREGATORS for name, v in (("nan", math.nan), ("inf", math.inf))]
CASES += [
    Case("fl.fedavg", "NaN in state 2",
         lambda c: fl.fedavg([_state(), _state(), _poisoned(math.nan)], [1, 1, 0]),
         ValueError, r"states\[2\]\['w'\] must hold only finite values", r"got nan"),
    Case("fl.weighted_sum", "-inf in state 0",
         lambda c: fl.weighted_sum([_poisoned(-math.inf), _state()], [0, 1]),
         ValueError, r"states\[0\]\['w'\] must hold only finite values", r"got -inf"),
    Case("fl.clip_update", "NaN in an update (clipping cannot bound it)",
         lambda c: fl.clip_update(_poisoned(math.nan), 1.0),
         ValueError, r"update\[0\]\['w'\] must hold only finite values", r"got nan"),
    Case("fl.clip_update", "a negative clip norm (flipped the update)",
         lambda c: fl.clip_update(_state(), -1.0),
         ValueError, r"clip_norm must be finite and > 0", r"got -1\.0"),
    Case("fl.run_fedavg", "a client whose local training diverges",
         lambda c: fl.run_fedavg(lambda: nn.Linear(2, 2), [
             (torch.zeros(4, 2), torch.tensor([0, 1, 0, 1])),
             (torch.full((4, 2), 1e30), torch.tensor([0, 1, 0, 1]))],
             rounds=1, local_epochs=1, batch_size=4, lr=1e30, rng=0),
         ValueError, r"client 1's local training in round 1", r"must hold only finite"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_refused(case, ctx):
    check(case, ctx)


def test_a_finite_round_still_aggregates(ctx):
    for agg in AGGREGATORS:
        out = _aggregators(ctx)[agg].aggregate(GLOBAL, [_state(0.1), _state(0.3)], [1, 1])
        assert all(bool(torch.isfinite(v).all()) for v in out.values()), agg
