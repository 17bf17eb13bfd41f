"""The FedAvg loop: an oracle round, determinism, DP-FedAvg, bad input."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from privlearn.dp import compute_rdp, rdp_to_dp
from privlearn.fl import (
    DPFedAvgAggregator,
    FedAvgAggregator,
    clip_update,
    fedavg,
    local_sgd,
    local_update,
    run_fedavg,
)


def _data(k=4, n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(6, 3, generator=g)
    out = []
    for i in range(k):
        x = torch.randn(n + 10 * i, 6, generator=g)
        out.append((x, (x @ w).argmax(1)))
    return out


def _model():
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))


def test_one_round_equals_local_training_then_fedavg_by_hand():
    clients = _data()
    gen = np.random.default_rng(10)
    model, hist = run_fedavg(_model, clients, rounds=1, local_epochs=2, batch_size=8, lr=0.1,
                             rng=gen)
    # replay: the same draws from a generator seeded the same way, in the documented
    # order (initial model, client sample, one seed per client)
    gen = np.random.default_rng(10)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(gen.integers(0, 2**63 - 1)))
        start = _model()
    gen.integers(0, 2**63 - 1)  # the aggregator's seed
    gen.choice(4, size=4, replace=False)  # the (trivial) client sample
    seeds = gen.integers(0, 2**63 - 1, size=4)
    states = []
    for (x, y), seed in zip(clients, seeds, strict=True):
        m = _model()
        m.load_state_dict(start.state_dict())
        local_sgd(m, x, y, epochs=2, batch_size=8, lr=0.1,
                  generator=torch.Generator().manual_seed(int(seed)))
        states.append(m.state_dict())
    expected = fedavg(states, [len(y) for _, y in clients])
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, expected[k])
    assert hist.clients == [[0, 1, 2, 3]]
    n_params = sum(p.numel() for p in model.parameters())
    assert hist.bytes_up == [4 * n_params * 4] and hist.bytes_down == [4 * n_params * 4]


def test_the_global_torch_generator_is_left_alone_and_runs_repeat():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    clients = _data()
    _, h1 = run_fedavg(_model, clients, rounds=3, local_epochs=1, batch_size=5, lr=0.2,
                        client_fraction=0.5, eval_data=clients[0], rng=7)
    assert torch.equal(before, torch.random.get_rng_state())
    _, h2 = run_fedavg(_model, clients, rounds=3, local_epochs=1, batch_size=5, lr=0.2,
                        client_fraction=0.5, eval_data=clients[0], rng=7)
    assert h1.accuracy == h2.accuracy and h1.clients == h2.clients
    assert all(len(c) == 2 for c in h1.clients)


def test_training_improves_accuracy():
    clients = _data(k=5, n=200)
    _, hist = run_fedavg(_model, clients, rounds=15, local_epochs=2, batch_size=16, lr=0.2,
                         eval_data=clients[0], rng=1)
    assert hist.accuracy[-1] > 0.8 and hist.accuracy[-1] > hist.accuracy[0]
    assert hist.rounds_to(0.5) is not None
    assert max(hist.accuracy) == 1.0 or hist.rounds_to(1.0) is None
    with pytest.raises(ValueError, match="accuracy"):
        hist.rounds_to(1.01)


def test_clip_update():
    upd = {"a": torch.tensor([3.0, 0.0]), "b": torch.tensor([4.0])}
    clipped, norm = clip_update(upd, 1.0)
    assert norm == pytest.approx(5.0)
    torch.testing.assert_close(clipped["a"], torch.tensor([0.6, 0.0]))
    same, _ = clip_update(upd, 10.0)
    torch.testing.assert_close(same["b"], upd["b"])


def test_dp_fedavg_update_rule_and_accounting():
    """With noise 0 the new model is θ + Σ clip(Δ_k) / (qK) exactly."""
    agg = DPFedAvgAggregator(clip_norm=0.5, noise_multiplier=0.0)
    agg.start(num_clients=10, client_fraction=0.2, rng=0)
    theta = {"w": torch.zeros(3)}
    clients = [{"w": torch.tensor([3.0, 4.0, 0.0])}, {"w": torch.tensor([0.1, 0.0, 0.0])}]
    new = agg.aggregate(theta, clients, [100, 1])
    torch.testing.assert_close(new["w"], torch.tensor([0.3 + 0.1, 0.4, 0.0]) / 2)
    assert agg.norms == [[5.0, pytest.approx(0.1)]]


def test_dp_fedavg_noise_scale_and_epsilon():
    agg = DPFedAvgAggregator(clip_norm=2.0, noise_multiplier=1.5, delta=1e-5)
    agg.start(num_clients=50, client_fraction=0.1, rng=0)
    theta = {"w": torch.zeros(20_000)}
    new = agg.aggregate(theta, [], [])       # an empty Poisson round still adds noise
    std = 1.5 * 2.0 / (0.1 * 50)
    n = 20_000
    assert abs(float(new["w"].double().std()) - std) < 6 * std / math.sqrt(2 * n)
    for _ in range(9):
        agg.aggregate(theta, [], [])
    expected = rdp_to_dp(orders=agg.accountant.orders, delta=1e-5,
                         rdp=compute_rdp(sample_rate=0.1, noise_multiplier=1.5, steps=10,
                                         orders=agg.accountant.orders))[0]
    assert agg.epsilon() == pytest.approx(expected, rel=1e-12)


def test_dp_fedavg_in_the_loop_uses_poisson_sampling():
    clients = _data(k=20, n=30)
    agg = DPFedAvgAggregator(clip_norm=1.0, noise_multiplier=0.5)
    _, hist = run_fedavg(_model, clients, rounds=40, local_epochs=1, batch_size=10, lr=0.1,
                         client_fraction=0.25, aggregator=agg, rng=3)
    sizes = [len(c) for c in hist.clients]
    assert len(set(sizes)) > 1                      # Poisson: the count varies
    assert abs(np.mean(sizes) - 5) < 6 * math.sqrt(20 * 0.25 * 0.75 / 40)
    assert len(agg.accountant) == 40 and agg.epsilon() > 0


def test_aggregate_before_start_is_refused():
    with pytest.raises(RuntimeError, match="start"):
        DPFedAvgAggregator(1.0, 1.0).aggregate({"w": torch.zeros(1)}, [], [])


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"client_fraction": 0.0}, ValueError, "client_fraction"),
    ({"client_fraction": 1.5}, ValueError, "client_fraction"),
    ({"rounds": 0}, ValueError, "rounds"),
    ({"local_epochs": 0}, ValueError, "local_epochs"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"lr": 0.0}, ValueError, "lr"),
    ({"client_data": []}, ValueError, "client_data"),
    ({"client_data": [(torch.zeros(0, 6), torch.zeros(0, dtype=torch.int64))]}, ValueError,
     "at least one example"),
    ({"client_data": [(torch.zeros(3, 6), torch.zeros(2, dtype=torch.int64))]}, ValueError,
     r"3 inputs and labels of shape \(2,\)"),
    ({"client_data": [(np.zeros((3, 6)), np.zeros(3))]}, TypeError, "torch tensors"),
])
def test_run_fedavg_rejects(kwargs, exc, words):
    args = {"client_data": _data(k=2), "rounds": 1, "local_epochs": 1, "batch_size": 4,
            "lr": 0.1, "rng": 0, **kwargs}
    with pytest.raises(exc, match=words):
        run_fedavg(_model, **args)


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"clip_norm": 0.0}, ValueError, "clip_norm"),
    ({"noise_multiplier": -1.0}, ValueError, "noise_multiplier"),
    ({"noise_multiplier": "1"}, TypeError, "noise_multiplier"),
    ({"delta": 1.0}, ValueError, "delta"),
])
def test_dp_fedavg_rejects(kwargs, exc, words):
    args = {"clip_norm": 1.0, "noise_multiplier": 1.0, **kwargs}
    with pytest.raises(exc, match=words):
        DPFedAvgAggregator(**args)


def test_default_aggregator_is_plain_fedavg():
    agg = FedAvgAggregator()
    assert agg.sampling == "fixed"
    theta = {"w": torch.zeros(2)}
    assert agg.aggregate(theta, [], []) is theta


def test_fed_avg_server_rounds_are_planned_then_finished_once():
    from privlearn.fl import FedAvgServer

    clients = _data()
    server = FedAvgServer(_model, num_clients=4, rng=0)
    with pytest.raises(RuntimeError, match="before plan_round"):
        server.finish_round([], [])
    plan = server.plan_round()
    assert [c for c, _ in plan] == [0, 1, 2, 3]
    assert len({seed for _, seed in plan}) == 4
    with pytest.raises(RuntimeError, match="twice"):
        server.plan_round()
    start = server.state()
    states = [local_update(_model(), start, *clients[c], seed=s, client=c, local_epochs=1,
                           batch_size=8, lr=0.1) for c, s in plan]
    with pytest.raises(ValueError, match="planned order"):
        server.finish_round(states[:2], [40, 50], clients=[1, 0])
    with pytest.raises(ValueError, match="planned clients"):
        server.finish_round(states[:1], [40], clients=[7])
    with pytest.raises(ValueError, match="one entry per client"):
        server.finish_round(states[:2], [40], clients=[0, 1])
    server.finish_round([states[0], states[2]], [40, 60], clients=[0, 2])
    expected = fedavg([states[0], states[2]], [40, 60])
    for k, v in server.model.state_dict().items():
        torch.testing.assert_close(v, expected[k])
    assert server.history.clients == [[0, 2]]


@pytest.mark.parametrize("seed", [-1, 2**63, 1.5, True, None])
def test_local_update_refuses_a_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        local_update(_model(), _model().state_dict(), *_data()[0], seed=seed, client=0,
                     local_epochs=1, batch_size=8, lr=0.1)
