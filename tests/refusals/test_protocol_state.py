"""Class 4: multi-step protocols are state machines that refuse repeated and out-of-order
steps (one masked input per client per round, one unmasking, a triple used once)."""

import numpy as np
import pytest
import torch

from privlearn import fl, mpc
from privlearn.mpc import secagg_parties

from ._cases import Case, check, ids

COVERS = {"mpc.SecureAggregation", "mpc.BeaverTriple", "mpc.beaver_open",
          "mpc.beaver_multiply", "fl.SecureAggregator", "fl.SecureAggregationFailed"}


def _round(n=4, t=3, length=3):
    agg = mpc.SecureAggregation(n, threshold=t, vector_length=length)
    xs = {u: np.full(length, u + 1, dtype=np.uint64) for u in range(n)}
    return agg, xs


def _unmasked():
    agg, xs = _round()
    masked = {u: agg.masked_input(u, xs[u]) for u in (0, 1, 2)}
    agg.aggregate(masked)
    return agg, xs, masked


def _shares(v, n=2):
    return mpc.additive_share(mpc.encode_fixed(v), num_parties=n)


def _opened_triple():
    triple = mpc.beaver_triple((2,), num_parties=2)
    mpc.beaver_open(_shares([1.0, 2.0]), _shares([3.0, 4.0]), triple)
    return triple


def _used_triple():
    triple = mpc.beaver_triple((2,), num_parties=2)
    mpc.beaver_multiply(_shares([1.0, 2.0]), _shares([3.0, 4.0]), triple)
    return triple


CASES = [
    Case("mpc.SecureAggregation", "a second masked input from one client (reveals x2 - x1)",
         lambda c: (lambda a, xs: (a.masked_input(1, xs[1]), a.masked_input(1, xs[0])))(
             *_round()), ValueError, r"client 1 already sent its masked input",
         r"x2 − x1"),
    Case("mpc.SecureAggregation", "a second unmasking with another dropout set",
         lambda c: (lambda a, xs, m: a.aggregate({**m, 3: np.zeros(3, np.uint64)}))(
             *_unmasked()), ValueError, r"aggregate already unmasked this round",
         r"key and the self-mask seed"),
    Case("mpc.SecureAggregation", "a masked input after the unmasking",
         lambda c: (lambda a, xs, m: a.masked_input(3, xs[3]))(*_unmasked()), ValueError,
         r"this round is over", r"state 'unmasked'"),
    Case("mpc.SecureAggregation", "an input from a client that never sent one",
         lambda c: (lambda a, xs: a.aggregate({0: a.masked_input(0, xs[0]),
                                               1: a.masked_input(1, xs[1]),
                                               2: np.zeros(3, np.uint64)}))(*_round()),
         ValueError, r"client 2 never produced a masked input", r"client 2"),
    Case("mpc.beaver_multiply", "a triple used twice",
         lambda c: mpc.beaver_multiply(_shares([5.0, 6.0]), _shares([7.0, 8.0]), _used_triple()),
         ValueError, r"triple was already used", r"single-use"),
    Case("mpc.beaver_open", "a triple opened for other inputs (reveals x - x')",
         lambda c: mpc.beaver_open(_shares([9.0, 2.0]), _shares([3.0, 4.0]), _opened_triple()),
         ValueError, r"triple was already opened for other inputs", r"x − x'"),
    Case("mpc.SecAggClient", "a step twice (a second advertisement)",
         lambda c: (lambda p: (p.advertise(), p.advertise()))(
             secagg_parties.SecAggClient(3, vector_length=2)), ValueError,
         r"client 3 is at step 'share'", r"not 'advertise'"),
    Case("mpc.SecAggServer", "masked inputs before the keys",
         lambda c: secagg_parties.SecAggServer(threshold=2, vector_length=2).collect_masked({}),
         ValueError, r"the server is at step 'advertise'", r"not 'mask'"),
    Case("mpc.SecAggAborted", "two advertisements of three where t = 3",
         lambda c: secagg_parties.SecAggServer(threshold=3, vector_length=2).collect_keys(
             {u: secagg_parties.SecAggClient(u, vector_length=2).advertise() for u in (0, 1)}),
         secagg_parties.SecAggAborted, r"fewer than threshold=3", r"only 2 clients"),
    Case("fl.FedAvgServer", "a round planned twice",
         lambda c: (lambda s: (s.plan_round(), s.plan_round()))(
             fl.FedAvgServer(lambda: torch.nn.Linear(2, 2), num_clients=2, rng=0)),
         RuntimeError, r"plan_round was called twice", r"finish the round first"),
    Case("fl.SecureAggregator", "dropouts simulated before start (used a hidden seed 0)",
         lambda c: fl.SecureAggregator(dropout_rate=0.5).aggregate(
             {"w": torch.zeros(2)}, [{"w": torch.ones(2)}] * 3, [1, 1, 1]),
         RuntimeError, r"SecureAggregator\.start must be called", r"dropouts"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_refused(case, ctx):
    check(case, ctx)


def test_a_failed_unmasking_reveals_nothing_and_may_be_retried():
    agg, xs = _round()
    masked = {u: agg.masked_input(u, xs[u]) for u in (0, 1)}
    with pytest.raises(ValueError, match="fewer than threshold=3"):
        agg.aggregate(masked)
    assert agg.state == "collecting"
    masked[2] = agg.masked_input(2, xs[2])
    assert agg.aggregate(masked).tolist() == [6, 6, 6]
    assert agg.state == "unmasked"


def test_beaver_open_then_multiply_with_the_same_inputs():
    x, y = _shares([1.5, -2.0]), _shares([2.0, 4.0])
    triple = mpc.beaver_triple((2,), num_parties=2)
    assert triple.state == "fresh"
    d, e = mpc.beaver_open(x, y, triple)
    d2, e2 = mpc.beaver_open(x, y, triple)          # the same opening again reveals nothing
    assert np.array_equal(d, d2) and np.array_equal(e, e2) and triple.state == "opened"
    z = mpc.beaver_multiply(x, y, triple)
    assert triple.state == "consumed"
    np.testing.assert_array_equal(mpc.decode_fixed(mpc.additive_reconstruct(z), frac_bits=32),
                                  [3.0, -8.0])


def _below_threshold(on_failure):
    agg = fl.SecureAggregator(threshold_fraction=1.0, dropout_rate=0.5, on_failure=on_failure)
    agg.start(num_clients=6, client_fraction=1.0, rng=0)
    return agg.aggregate({"w": torch.zeros(2)}, [{"w": torch.ones(2)}] * 6, [1] * 6)


def test_secure_aggregator_fails_loudly_below_the_threshold():
    with pytest.raises(fl.SecureAggregationFailed, match="fewer than threshold=6"):
        _below_threshold("raise")
    with pytest.warns(RuntimeWarning, match="global model is unchanged"):
        kept = _below_threshold("skip")
    assert torch.equal(kept["w"], torch.zeros(2))
    with pytest.raises(ValueError, match="on_failure must be 'raise' or 'skip'"):
        fl.SecureAggregator(on_failure="ignore")
