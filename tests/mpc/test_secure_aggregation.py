"""Secure aggregation: exact sums with dropouts, refusal without enough survivors."""

import numpy as np
import pytest
import torch
from torch import nn

from privlearn.fl import SecureAggregationFailed, SecureAggregator, fedavg, run_fedavg
from privlearn.mpc import SecureAggregation, insecure_deterministic_randomness


def _inputs(n, length, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 2**63, size=length, dtype=np.uint64) * np.uint64(2)
            for _ in range(n)]


@pytest.mark.parametrize("dropped", [(), (3,), (0, 5), (1, 2, 4)])
def test_sum_is_exact_with_up_to_n_minus_t_dropouts(dropped):
    n, t, length = 7, 4, 50
    xs = _inputs(n, length)
    agg = SecureAggregation(n, threshold=t, vector_length=length)
    masked = {u: agg.masked_input(u, xs[u]) for u in range(n) if u not in dropped}
    expected = np.sum([xs[u] for u in masked], axis=0, dtype=np.uint64)
    np.testing.assert_array_equal(agg.aggregate(masked), expected)
    assert agg.cost.survivors == n - len(dropped)


def test_too_many_dropouts_stop_the_server():
    agg = SecureAggregation(5, threshold=4, vector_length=3)
    xs = _inputs(5, 3)
    masked = {u: agg.masked_input(u, xs[u]) for u in (0, 1, 2)}
    with pytest.raises(ValueError, match=r"fewer than threshold=4.*without a sum"):
        agg.aggregate(masked)


def test_the_server_sees_only_masked_inputs():
    """A masked input is uniform-looking and far from the input it hides."""
    xs = [np.zeros(2000, dtype=np.uint64) for _ in range(3)]
    agg = SecureAggregation(3, threshold=2, vector_length=2000)
    y = agg.masked_input(0, xs[0])
    assert np.mean(y == 0) < 0.01
    top = np.bincount((y >> np.uint64(60)).astype(np.int64), minlength=16)
    assert top.min() > 60   # every top nibble shows up: nothing like the all-zero input


def test_naive_sum_of_survivors_is_garbage_without_unmasking():
    xs = _inputs(4, 5)
    agg = SecureAggregation(4, threshold=3, vector_length=5)
    masked = {u: agg.masked_input(u, xs[u]) for u in (0, 1, 2)}
    naive = np.sum(list(masked.values()), axis=0, dtype=np.uint64)
    assert not np.array_equal(naive, np.sum(xs[:3], axis=0, dtype=np.uint64))


def test_deterministic_in_insecure_mode_only():
    def run():
        agg = SecureAggregation(3, threshold=2, vector_length=4)
        return agg.masked_input(0, np.arange(4, dtype=np.uint64))
    with insecure_deterministic_randomness(3):
        a = run()
    with insecure_deterministic_randomness(3):
        b = run()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(run(), a)


@pytest.mark.parametrize("call, exc, words", [
    (lambda: SecureAggregation(1, threshold=1, vector_length=3), ValueError, "num_clients"),
    (lambda: SecureAggregation(3, threshold=4, vector_length=3), ValueError, "threshold"),
    (lambda: SecureAggregation(3, threshold=1, vector_length=3), ValueError, "threshold"),
    (lambda: SecureAggregation(3, threshold=2, vector_length=0), ValueError, "vector_length"),
])
def test_bad_parameters(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_bad_inputs_to_a_run():
    agg = SecureAggregation(3, threshold=2, vector_length=3)
    with pytest.raises(ValueError, match="shape"):
        agg.masked_input(0, np.zeros(4, dtype=np.uint64))
    with pytest.raises(TypeError, match="ring elements"):
        agg.masked_input(0, np.zeros(3))
    with pytest.raises(ValueError, match="never produced"):
        agg.aggregate({0: np.zeros(3, dtype=np.uint64), 1: np.zeros(3, dtype=np.uint64)})
    with pytest.raises(ValueError, match="client"):
        agg.masked_input(3, np.zeros(3, dtype=np.uint64))


def test_secure_fedavg_matches_plain_fedavg():
    g = torch.Generator().manual_seed(0)
    states = [{"w": torch.randn(4, 3, generator=g)} for _ in range(4)]
    got = SecureAggregator().aggregate(states[0], states, [10, 20, 30, 40])
    torch.testing.assert_close(got["w"], fedavg(states, [10, 20, 30, 40])["w"], atol=1e-6,
                               rtol=0)


def test_secure_fedavg_in_the_loop_with_dropouts():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(120, 4, generator=g)
    y = (x[:, 0] > 0).long()
    clients = [(x[i::6], y[i::6]) for i in range(6)]
    kw = {"rounds": 4, "local_epochs": 1, "batch_size": 5, "lr": 0.1, "eval_data": (x, y),
          "rng": 0}
    _, secure = run_fedavg(lambda: nn.Linear(4, 2), clients, aggregator=SecureAggregator(),
                           **kw)
    _, plain = run_fedavg(lambda: nn.Linear(4, 2), clients, **kw)
    assert secure.accuracy == pytest.approx(plain.accuracy, abs=1e-6)
    dropping = SecureAggregator(dropout_rate=0.6, on_failure="skip")
    with pytest.warns(RuntimeWarning, match="skipped"):
        run_fedavg(lambda: nn.Linear(4, 2), clients, aggregator=dropping, **kw)
    assert any(entry["survivors"] < 6 for entry in dropping.log)
    assert any("failed" in entry for entry in dropping.log)
    with pytest.raises(SecureAggregationFailed, match="fewer than threshold"):
        run_fedavg(lambda: nn.Linear(4, 2), clients, aggregator=SecureAggregator(
            dropout_rate=0.6), **kw)
    with pytest.raises(ValueError, match="dropout_rate"):
        SecureAggregator(dropout_rate=1.0)


def test_upload_bytes_are_the_protocols_messages():
    """The aggregator reports every message a client sends, as the protocol's own cost
    model counts them, not just the masked vector."""
    from privlearn.mpc import message_bytes

    agg = SecureAggregator()
    agg.start(num_clients=10, client_fraction=1.0, rng=0)
    state = {"w": torch.zeros(10, 65)}
    assert agg.upload_bytes(state) == message_bytes(10, 650)[0] == 32 + 27 * 66 + 8 * 650
    protocol = SecureAggregation(10, threshold=6, vector_length=650)
    masked = {u: protocol.masked_input(u, np.zeros(650, np.uint64)) for u in range(10)}
    protocol.aggregate(masked)
    assert protocol.cost.bytes_up_per_client == agg.upload_bytes(state)
