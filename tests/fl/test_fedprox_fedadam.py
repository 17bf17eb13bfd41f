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
