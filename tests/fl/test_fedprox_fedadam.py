"""FedProx's local step and FedAdam's server step, against hand computations on tiny
models (one round, two clients), and their place in run_fedavg."""

import math

import pytest
import torch
from torch import nn

from privlearn.fl import FedAdamAggregator, FedAvgAggregator, FedProx, local_sgd, run_fedavg


def _tiny_model():
    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.5, -0.3], [0.1, 0.2]]))
        model.bias.copy_(torch.tensor([0.05, -0.05]))
    return model


X = torch.tensor([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7]])
Y = torch.tensor([0, 1, 1])


def test_fedprox_two_full_batch_steps_by_hand():
    """Step 1 starts at the anchor, where the proximal gradient is 0; step 2 adds μ(w1 − w0)."""
    mu, lr = 0.7, 0.4
    model = _tiny_model()
    w0 = [p.detach().clone() for p in model.parameters()]
    FedProx(mu=mu, epochs=2, batch_size=None, lr=lr)(
        model, X, Y, client=0, generator=torch.Generator().manual_seed(0))

    reference = _tiny_model()

    def loss_gradient(params):
        for p, v in zip(reference.parameters(), params, strict=True):
            p.data.copy_(v)
        reference.zero_grad()
        nn.functional.cross_entropy(reference(X), Y).backward()
        return [p.grad.detach().clone() for p in reference.parameters()]

    w1 = [w - lr * g for w, g in zip(w0, loss_gradient(w0), strict=True)]
    w2 = [w - lr * (g + mu * (w - a))
          for w, g, a in zip(w1, loss_gradient(w1), w0, strict=True)]
    for got, want in zip(model.parameters(), w2, strict=True):
        torch.testing.assert_close(got.detach(), want, rtol=1e-6, atol=1e-7)
    # and the proximal term mattered: plain SGD ends elsewhere
    plain = [w - lr * g for w, g in zip(w1, loss_gradient(w1), strict=True)]
    assert not torch.allclose(model.weight.detach(), plain[0])


def test_fedprox_with_mu_zero_is_local_sgd():
    a, b = _tiny_model(), _tiny_model()
    FedProx(mu=0.0, epochs=3, batch_size=2, lr=0.3)(
        a, X, Y, client=0, generator=torch.Generator().manual_seed(4))
    local_sgd(b, X, Y, epochs=3, batch_size=2, lr=0.3, generator=torch.Generator().manual_seed(4))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)


def test_fedadam_two_rounds_by_hand():
    """Round 1: clients 1.0 (1 example) and 3.0 (3 examples) average 2.5 from 0, so
    m = 0.25, v = 0.0625; round 2 from there."""
    eta, b1, b2, tau = 0.1, 0.9, 0.99, 1e-3
    agg = FedAdamAggregator(server_lr=eta, beta1=b1, beta2=b2, tau=tau)
    agg.start(num_clients=2, client_fraction=1.0, rng=0)
    g0 = {"w": torch.tensor([0.0], dtype=torch.float64)}
    g1 = agg.aggregate(g0, [{"w": torch.tensor([1.0], dtype=torch.float64)},
                            {"w": torch.tensor([3.0], dtype=torch.float64)}], [1, 3])
    m, v = (1 - b1) * 2.5, (1 - b2) * 2.5**2
    x1 = eta * m / (math.sqrt(v) + tau)
    assert g1["w"].item() == pytest.approx(x1, rel=1e-12)
    # round 2: the clients move +1 and −0.5 from x1, equally weighted: Δ = 0.25
    g2 = agg.aggregate(g1, [{"w": g1["w"] + 1.0}, {"w": g1["w"] - 0.5}], [2, 2])
    m, v = b1 * m + (1 - b1) * 0.25, b2 * v + (1 - b2) * 0.25**2
    assert g2["w"].item() == pytest.approx(x1 + eta * m / (math.sqrt(v) + tau), rel=1e-12)
    # a new run starts from zero moments
    agg.start(num_clients=2, client_fraction=1.0, rng=0)
    again = agg.aggregate(g0, [{"w": torch.tensor([1.0], dtype=torch.float64)},
                               {"w": torch.tensor([3.0], dtype=torch.float64)}], [1, 3])
    assert again["w"].item() == g1["w"].item()


def test_fedadam_keeps_the_model_when_nobody_reports():
    agg = FedAdamAggregator(server_lr=0.1)
    agg.start(num_clients=2, client_fraction=1.0, rng=0)
    g = {"w": torch.tensor([0.5])}
    assert agg.aggregate(g, [], []) is g


def test_both_plug_into_run_fedavg():
    """FedProx as the local trainer and FedAdam as the aggregator run end to end, repeat
    with the same rng, and differ from plain FedAvg."""
    gen = torch.Generator().manual_seed(0)
    clients = [(torch.randn(30, 4, generator=gen), torch.randint(0, 3, (30,), generator=gen))
               for _ in range(3)]
    make = lambda: nn.Linear(4, 3)  # noqa: E731
    kw = dict(rounds=3, local_epochs=1, batch_size=10, lr=0.1, rng=7)
    plain, _ = run_fedavg(make, clients, aggregator=FedAvgAggregator(), **kw)
    runs = [run_fedavg(make, clients, local_train=FedProx(mu=0.5, epochs=1, batch_size=10,
                                                          lr=0.1),
                       aggregator=FedAdamAggregator(server_lr=0.05), **kw)[0]
            for _ in range(2)]
    assert torch.equal(runs[0].weight, runs[1].weight)
    assert not torch.allclose(runs[0].weight, plain.weight)


def _gradients(params, x, y):
    model = _tiny_model()
    for p, v in zip(model.parameters(), params, strict=True):
        p.data.copy_(v)
    nn.functional.cross_entropy(model(x), y).backward()
    return [p.grad.detach().clone() for p in model.parameters()]


def test_scaffold_two_rounds_by_hand():
    """Two of N = 4 clients take part, one full-batch step each (K = 1). Round 1 has no
    correction, so c_i = g_i(x0) and c = (g_a + g_b)/N (the sum over N, not over the round's
    clients); round 2 steps along g_i(x1) − c_i + c, and then c_i = g_i(x1) (option II with
    K = 1) and c = (g_a(x1) + g_b(x1))/N."""
    from privlearn.fl import Scaffold

    lr = 0.5
    data = [(X[:2], Y[:2]), (X[1:], Y[1:])]
    sizes = [2, 2]
    s = Scaffold(epochs=1, batch_size=None, lr=lr)
    s.start(num_clients=4, client_fraction=0.5, rng=0)
    x0 = [p.detach().clone() for p in _tiny_model().parameters()]
    names = [n for n, _ in _tiny_model().named_parameters()]

    def round_of(x_params):
        states = []
        for i, (xi, yi) in enumerate(data):
            model = _tiny_model()
            for p, v in zip(model.parameters(), x_params, strict=True):
                p.data.copy_(v)
            s(model, xi, yi, client=i, generator=torch.Generator().manual_seed(0))
            states.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        global_state = dict(zip(names, x_params, strict=True))
        new = s.aggregate(global_state, states, sizes)
        return [new[n] for n in names]

    g0 = [_gradients(x0, *d) for d in data]
    x1 = round_of(x0)
    want_x1 = [x - lr * (a + b) / 2 for x, a, b in zip(x0, *g0, strict=True)]
    for got, want in zip(x1, want_x1, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-7)
    for i in range(2):
        for n, g in zip(names, g0[i], strict=True):
            torch.testing.assert_close(s.client_controls[i][n], g, rtol=1e-5, atol=1e-6)
    c0 = [(a + b) / 4 for a, b in zip(*g0, strict=True)]
    g1 = [_gradients(x1, *d) for d in data]
    x2 = round_of(x1)
    steps = [[x - lr * (g - ci + c) for x, g, ci, c in zip(x1, g1[i], g0[i], c0, strict=True)]
             for i in range(2)]
    for got, a, b in zip(x2, *steps, strict=True):
        torch.testing.assert_close(got, (a + b) / 2, rtol=1e-5, atol=1e-6)
    for n, a, b in zip(names, *g1, strict=True):
        torch.testing.assert_close(s.server_control[n], (a + b) / 4, rtol=1e-5, atol=1e-6)


def test_scaffold_in_run_fedavg_uploads_twice_fedavg():
    from privlearn.fl import Scaffold

    gen = torch.Generator().manual_seed(1)
    clients = [(torch.randn(20, 4, generator=gen), torch.randint(0, 3, (20,), generator=gen))
               for _ in range(3)]
    make = lambda: nn.Linear(4, 3)  # noqa: E731
    kw = dict(rounds=2, local_epochs=1, batch_size=5, lr=0.1, rng=3)
    _, plain = run_fedavg(make, clients, **kw)
    s = Scaffold(epochs=1, batch_size=5, lr=0.1)
    _, hist = run_fedavg(make, clients, local_train=s, aggregator=s, **kw)
    assert hist.bytes_up[0] == 2 * plain.bytes_up[0]
    assert set(s.client_controls) == {0, 1, 2} and s.server_control is not None
