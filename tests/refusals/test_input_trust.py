"""Class 2: aggregators do not trust the shape of what clients send.

Every aggregator checks client states and weights with the one shared validator
(:func:`privlearn.fl.check_round`): keys in any order (read in the global model's order),
no missing or renamed keys, same shapes and dtypes, counts >= 0 with a positive sum.
"""

import numpy as np
import pytest
import torch

from privlearn import fl, he

from ._cases import Case, check, ids

GLOBAL = {"w": torch.zeros(2, 3), "b": torch.zeros(2)}
LAYOUT = {"precision": 2.0**-8, "max_abs": 1.0, "max_summands": 4}


def _state(v=1.0):
    return {"w": torch.full((2, 3), v), "b": torch.full((2,), v)}


def _aggregators(c):
    dp = fl.DPFedAvgAggregator(clip_norm=1.0, noise_multiplier=0.0)
    dp.start(num_clients=4, client_fraction=0.5, rng=0)
    secure = fl.SecureAggregator()
    secure.start(num_clients=4, client_fraction=1.0, rng=0)
    return {"fl.FedAvgAggregator": fl.FedAvgAggregator(),
            "fl.DPFedAvgAggregator": dp,
            "fl.SecureAggregator": secure,
            "fl.PaillierAggregator": fl.PaillierAggregator(c.pk, c.sk, precision=2.0**-20)}


AGGREGATORS = ["fl.FedAvgAggregator", "fl.DPFedAvgAggregator", "fl.SecureAggregator",
               "fl.PaillierAggregator"]

BAD_ROUNDS = [  # (what, client states, counts, exception, names, value)
    ("a renamed key", [_state(), {"w": torch.ones(2, 3), "bias": torch.ones(2)}], [1, 1],
     ValueError, r"client_states\[1\] must have the keys", r"unexpected \['bias'\]"),
    ("a missing key", [_state(), {"w": torch.ones(2, 3)}], [1, 1],
     ValueError, r"client_states\[1\] must have the keys", r"missing \['b'\]"),
    ("a wrong shape", [_state(), {"w": torch.ones(3, 2), "b": torch.ones(2)}], [1, 1],
     ValueError, r"client_states\[1\]\['w'\] must have the shape", r"got \(3, 2\)"),
    ("a wrong dtype", [_state(), {"w": torch.ones(2, 3, dtype=torch.float64),
                                  "b": torch.ones(2)}], [1, 1],
     TypeError, r"client_states\[1\]\['w'\] must have the dtype", r"got torch\.float64"),
    ("a negative count", [_state(), _state()], [3, -1],
     ValueError, r"num_examples\[1\] must be finite and >= 0", r"got -1\.0"),
    ("counts that sum to zero", [_state(), _state()], [0, 0],
     ValueError, r"num_examples must have a positive sum", r"\[0\.0, 0\.0\]"),
    ("one count too few", [_state(), _state()], [3],
     ValueError, r"num_examples must have one entry per client state", r"got 1 num_examples"),
    ("a count that is a string", [_state(), _state()], [3, "2"],
     TypeError, r"num_examples\[1\] must be a real number", r"'2'"),
    ("a state that is not a dict", [_state(), [1.0, 2.0]], [1, 1],
     TypeError, r"client_states\[1\] must be a state dict", r"got list"),
]

CASES = [Case(agg, what, (lambda c, agg=agg, s=s, n=n: _aggregators(c)[agg].aggregate(
              GLOBAL, s, n)), exc, names, value)
         for agg in AGGREGATORS for (what, s, n, exc, names, value) in BAD_ROUNDS]
CASES += [
    Case("fl.fedavg", "a list of lists, not state dicts",
         lambda c: fl.fedavg([[1, 2]], [1]), TypeError, r"states\[0\] must be a state dict",
         r"got list"),
    Case("fl.fedavg", "integers past 2^53",
         lambda c: fl.fedavg([{"n": torch.tensor([2**60 + 1])}] * 2, [1, 1]),
         ValueError, r"\['n'\] holds integers up to", r"1152921504606846977"),
    Case("fl.weighted_sum", "a state dict instead of a list",
         lambda c: fl.weighted_sum(_state(), [1]), TypeError, r"states must be a list",
         r"got dict"),
    Case("fl.check_states", "a tensor that is not a tensor",
         lambda c: fl.check_states([{"w": np.ones(2)}]), TypeError,
         r"the global model|states\[0\]\['w'\] must be a tensor", r"got ndarray"),
    Case("fl.check_round", "more counts than states",
         lambda c: fl.check_round(GLOBAL, [_state()], [1, 2]), ValueError,
         r"num_examples must have one entry per client state", r"got 2 num_examples"),
    Case("fl.flatten_state", "a numpy value",
         lambda c: fl.flatten_state({"w": np.ones(2)}), TypeError,
         r"state\['w'\] must be a tensor", r"got ndarray"),
    Case("fl.unflatten_state", "a vector with values to spare",
         lambda c: fl.unflatten_state(np.arange(9.0), {"w": torch.zeros(5)}), ValueError,
         r"vector must have shape \(5,\)", r"got \(9,\)"),
    Case("fl.DPFedAvgAggregator", "more states than clients",
         lambda c: _aggregators(c)["fl.DPFedAvgAggregator"].aggregate(
             GLOBAL, [_state()] * 5, [1] * 5), ValueError, r"client_states has 5 entries",
         r"num_clients=4"),
    Case("fl.DPFedAvgAggregator", "an integer buffer (clipped with the weights before)",
         lambda c: _aggregators(c)["fl.DPFedAvgAggregator"].aggregate(
             {"w": torch.zeros(2), "n": torch.tensor(0)}, [{"w": torch.ones(2),
                                                           "n": torch.tensor(10)}], [1]),
         TypeError, r"global_state\['n'\] has dtype", r"torch\.int64"),
    Case("fl.PaillierAggregator", "fractional counts with packing",
         lambda c: fl.PaillierAggregator(c.pk, c.sk, precision=2.0**-20, packed=True,
                                         max_abs=4.0, max_summands=8).aggregate(
             GLOBAL, [_state(), _state()], [1.5, 2]), TypeError,
         r"packed vectors take integer weights", r"1\.5"),
    Case("fl.train_vertical_lr", "customer ids in another order",
         lambda c: fl.train_vertical_lr([1, 2, 3], np.zeros((3, 2)), [0, 1, 0], [2, 1, 3],
                                        np.zeros((3, 1)), public_key=c.pk, private_key=c.sk),
         ValueError, r"customer ids of the bank and the partner must be aligned",
         r"same ids in the same order"),
    Case("fl.train_vertical_lr", "a repeated customer id",
         lambda c: fl.train_vertical_lr([1, 1, 3], np.zeros((3, 2)), [0, 1, 0], [1, 1, 3],
                                        np.zeros((3, 1)), public_key=c.pk, private_key=c.sk),
         ValueError, r"bank_ids must not repeat a customer id", r"each customer is one row"),
    Case("fl.train_centralized_taylor", "epochs = 0 (returned a zero model)",
         lambda c: fl.train_centralized_taylor(np.zeros((3, 2)), [0, 1, 0], np.zeros((3, 1)),
                                               epochs=0), ValueError, r"epochs must be",
         r"got 0"),
    Case("he.packed_from_bytes", "one ciphertext too few",
         lambda c: he.packed_from_bytes(c.pk, [], shape=(3,), **LAYOUT), ValueError,
         r"blobs must hold 1 ciphertexts for shape \(3,\)", r"got 0"),
    Case("he.packed_from_bytes", "a truncated ciphertext",
         lambda c: he.packed_from_bytes(c.pk, [b"\x01" * 63], shape=(3,), **LAYOUT),
         ValueError, r"blobs\[0\] must be 64 bytes", r"got 63"),
    Case("he.packed_from_bytes", "a ciphertext as an int",
         lambda c: he.packed_from_bytes(c.pk, [5], shape=(3,), **LAYOUT), TypeError,
         r"blobs\[0\] must be bytes", r"got int"),
    Case("he.packed_from_bytes", "a shape of True",
         lambda c: he.packed_from_bytes(c.pk, [], shape=(True,), **LAYOUT), TypeError,
         r"shape must be a tuple of ints >= 0", r"\(True,\)"),
    Case("he.packed_from_bytes", "zero, which no encryption gives",
         lambda c: he.packed_from_bytes(c.pk, [bytes(64)], shape=(3,), **LAYOUT),
         ValueError, r"blobs\[0\] is not a unit mod n²", r"not a Paillier ciphertext"),
    Case("he.packed_from_bytes", "n itself (shares n's factors)",
         lambda c: he.packed_from_bytes(c.pk, [c.pk.n.to_bytes(64, "big")], shape=(3,),
                                        **LAYOUT),
         ValueError, r"blobs\[0\] is not a unit mod n²", r"not a Paillier ciphertext"),
    Case("he.packed_from_bytes", "more summands than the slots were sized for",
         lambda c: he.packed_from_bytes(c.pk, [b"\x01" * 64], shape=(3,), summands=5,
                                        **LAYOUT),
         ValueError, r"summands must be an integer >= 1 and <= 4", r"got 5"),
    Case("fl.VerticalResult", "swapped feature blocks",
         lambda c: fl.VerticalResult(np.zeros(2), 0.0, np.zeros(1)).decision_function(
             np.zeros((3, 1)), np.zeros((3, 2))), ValueError,
         r"x_bank must be 2-D with 2 columns", r"got shape \(3, 1\)"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_refused(case, ctx):
    check(case, ctx)


@pytest.mark.parametrize("agg", AGGREGATORS)
def test_reordered_keys_are_read_in_the_global_order(agg, ctx):
    """A client that sends its keys in another order gets the same result (before, the
    secure and encrypted aggregators flattened in arrival order and mixed parameters)."""
    a = {"w": torch.arange(6.0).reshape(2, 3) / 10, "b": torch.tensor([0.5, -0.5])}
    b = {"b": torch.tensor([0.25, 0.75]), "w": -torch.arange(6.0).reshape(2, 3) / 20}
    in_order = _aggregators(ctx)[agg].aggregate(GLOBAL, [a, dict(reversed(b.items()))], [1, 3])
    reordered = _aggregators(ctx)[agg].aggregate(GLOBAL, [a, b], [1, 3])
    for k in GLOBAL:
        torch.testing.assert_close(reordered[k], in_order[k], atol=1e-6, rtol=0)


def test_fractional_counts_are_weighted_not_truncated(ctx):
    states = [_state(1.0), _state(3.0)]
    got = fl.PaillierAggregator(ctx.pk, ctx.sk, precision=2.0**-20).aggregate(
        GLOBAL, states, [0.5, 1.5])
    torch.testing.assert_close(got["w"], torch.full((2, 3), 2.5), atol=1e-5, rtol=0)
