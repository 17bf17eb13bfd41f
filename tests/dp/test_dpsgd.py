"""DP-SGD: per-example gradients and clipped sums against oracles; training; bad input."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from privlearn.dp import DEFAULT_ORDERS, PLDAccountant, compute_rdp, rdp_to_dp
from privlearn.dp.dpsgd import (
    clipped_gradient_sum,
    dp_sgd_step,
    per_sample_gradients,
    poisson_batches,
    train_dp_sgd,
)

F = nn.functional.cross_entropy


def _mlp(seed=0, bias=True):
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(12, 16, bias=bias), nn.Tanh(), nn.Linear(16, 4, bias=bias))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    return model


def _batch(n=32, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 12, generator=g), torch.randint(0, 4, (n,), generator=g)


def _loop_gradients(model, x, y):
    """The oracle: one backward pass per example."""
    out = {k: [] for k, _ in model.named_parameters()}
    for i in range(x.shape[0]):
        model.zero_grad()
        F(model(x[i:i + 1]), y[i:i + 1]).backward()
        for k, p in model.named_parameters():
            out[k].append(p.grad.clone())
    return {k: torch.stack(v) for k, v in out.items()}


def test_per_sample_gradients_match_a_loop_over_examples():
    model, (x, y) = _mlp(), _batch()
    fast = per_sample_gradients(model, F, x, y)
    slow = _loop_gradients(model, x, y)
    for k in slow:
        assert fast[k].shape == (32, *dict(model.named_parameters())[k].shape)
        torch.testing.assert_close(fast[k], slow[k], atol=1e-6, rtol=0)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("clip", [0.01, 0.5, 1e6])
def test_both_methods_give_the_same_clipped_sum(bias, clip):
    model, (x, y) = _mlp(bias=bias), _batch()
    fast = clipped_gradient_sum(model, F, x, y, max_grad_norm=clip, method="fast")
    ref = clipped_gradient_sum(model, F, x, y, max_grad_norm=clip, method="vmap")
    assert fast.keys() == ref.keys()
    for k in ref:
        torch.testing.assert_close(fast[k], ref[k], atol=1e-5, rtol=0)


def test_clipped_sum_against_the_definition():
    model, (x, y) = _mlp(), _batch()
    per = _loop_gradients(model, x, y)
    flat = torch.cat([g.reshape(32, -1) for g in per.values()], dim=1)
    factors = torch.clamp(0.3 / flat.norm(dim=1), max=1.0)
    expected = {k: (g * factors.view(-1, *[1] * (g.dim() - 1))).sum(0) for k, g in per.items()}
    got = clipped_gradient_sum(model, F, x, y, max_grad_norm=0.3)
    for k in expected:
        torch.testing.assert_close(got[k], expected[k], atol=1e-5, rtol=0)
    # a huge clip norm changes nothing: the plain summed gradient
    model.zero_grad()
    (F(model(x), y) * 32).backward()
    plain = clipped_gradient_sum(model, F, x, y, max_grad_norm=1e9)
    for k, p in model.named_parameters():
        torch.testing.assert_close(plain[k], p.grad, atol=1e-5, rtol=1e-5)


def test_no_clipped_example_exceeds_the_norm():
    model, (x, y) = _mlp(), _batch(n=1)
    got = clipped_gradient_sum(model, F, x, y, max_grad_norm=0.05)
    norm = math.sqrt(sum(float((g**2).sum()) for g in got.values()))
    assert norm == pytest.approx(0.05, rel=1e-5)   # one example, much larger than 0.05


class _WithConvLikeParam(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(12, 4)
        self.scale = nn.Parameter(torch.ones(4))

    def forward(self, x):
        return self.lin(x) * self.scale


def test_fast_falls_back_for_parameters_outside_linear_layers():
    model, (x, y) = _WithConvLikeParam(), _batch()
    fast = clipped_gradient_sum(model, F, x, y, max_grad_norm=0.5, method="fast")
    ref = clipped_gradient_sum(model, F, x, y, max_grad_norm=0.5, method="vmap")
    assert set(fast) == {"lin.weight", "lin.bias", "scale"}
    for k in ref:
        torch.testing.assert_close(fast[k], ref[k], atol=1e-5, rtol=0)


def test_frozen_parameters_are_left_out():
    model, (x, y) = _mlp(), _batch()
    model[0].weight.requires_grad_(False)
    fast = clipped_gradient_sum(model, F, x, y, max_grad_norm=0.5)
    ref = clipped_gradient_sum(model, F, x, y, max_grad_norm=0.5, method="vmap")
    assert "0.weight" not in fast and set(fast) == set(ref)
    for k in ref:
        torch.testing.assert_close(fast[k], ref[k], atol=1e-5, rtol=0)


def test_step_noise_has_the_calibrated_scale():
    """With lr = expected batch = 1 and no data, the step moves θ by exactly the noise."""
    model = nn.Linear(200, 50)
    before = [p.detach().clone() for p in model.parameters()]
    g = torch.Generator().manual_seed(3)
    empty = torch.zeros(0, 200), torch.zeros(0, dtype=torch.int64)
    dp_sgd_step(model, F, *empty, lr=1.0, noise_multiplier=2.0, max_grad_norm=0.5,
                expected_batch_size=1.0, generator=g)
    moved = torch.cat([(b - p.detach()).flatten() for b, p in zip(before, model.parameters(),
                                                                  strict=True)])
    n = moved.numel()   # 10,050 draws of N(0, (σC)² = 1)
    assert abs(float(moved.mean())) < 6 / math.sqrt(n)
    assert abs(float(moved.var()) - 1.0) < 6 * math.sqrt(2 / n)


def test_poisson_batches_have_the_right_size_distribution():
    g = torch.Generator().manual_seed(4)
    sizes = np.array([len(b) for b in poisson_batches(1000, sample_rate=0.05, steps=2000,
                                                      generator=g)])
    # Binomial(1000, 0.05): mean 50, sd sqrt(47.5); the mean of 2000 batches within 6 se
    assert abs(sizes.mean() - 50) < 6 * math.sqrt(47.5 / 2000)
    assert sizes.var() == pytest.approx(47.5, rel=0.15)


def test_train_dp_sgd_learns_reports_epsilon_and_is_reproducible():
    g = torch.Generator().manual_seed(5)
    w = torch.randn(12, 4, generator=g)
    x = torch.randn(2000, 12, generator=g)
    y = (x @ w).argmax(dim=1)
    kw = dict(epochs=3, batch_size=100, lr=0.5, noise_multiplier=1.0, max_grad_norm=1.0,
              delta=1e-5)
    m1, eps = train_dp_sgd(_mlp(), (x, y), rng=7, **kw)
    m2, _ = train_dp_sgd(_mlp(), (x, y), rng=7, **kw)
    for a, b in zip(m1.parameters(), m2.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    acc = float((m1(x).argmax(1) == y).float().mean())
    assert acc > 0.6   # chance is about 0.25
    steps = round(3 * 2000 / 100)
    expected = rdp_to_dp(orders=DEFAULT_ORDERS, delta=1e-5,
                         rdp=compute_rdp(sample_rate=0.05, noise_multiplier=1.0, steps=steps))[0]
    assert eps == pytest.approx(expected, rel=1e-12)
    # the same run read by a PLD accountant: the same steps recorded, a tighter ε
    pld = PLDAccountant()
    m3, eps_pld = train_dp_sgd(_mlp(), (x, y), rng=7, accountant=pld, **kw)
    for a, b in zip(m1.parameters(), m3.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    assert pld.history == [(1.0, 0.05, steps)]
    assert eps_pld == pld.get_epsilon(1e-5) < eps


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"noise_multiplier": -0.5}, ValueError, "noise_multiplier"),
    ({"max_grad_norm": 0.0}, ValueError, "max_grad_norm"),
    ({"max_grad_norm": float("nan")}, ValueError, "max_grad_norm"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": 10_000}, ValueError, "batch_size"),
    ({"lr": -1.0}, ValueError, "lr"),
    ({"delta": 0.0}, ValueError, "delta"),
    ({"epochs": "1"}, TypeError, "epochs"),
])
def test_train_dp_sgd_rejects(kwargs, exc, words):
    x, y = _batch(n=64)
    args = {"epochs": 1, "batch_size": 16, "lr": 0.1, "noise_multiplier": 1.0,
            "max_grad_norm": 1.0, "delta": 1e-5, "rng": 0, **kwargs}
    with pytest.raises(exc, match=words):
        train_dp_sgd(_mlp(), (x, y), **args)


def test_clipped_gradient_sum_rejects():
    model, (x, y) = _mlp(), _batch()
    with pytest.raises(ValueError, match="max_grad_norm"):
        clipped_gradient_sum(model, F, x, y, max_grad_norm=-1.0)
    with pytest.raises(ValueError, match="method"):
        clipped_gradient_sum(model, F, x, y, max_grad_norm=1.0, method="ghost")
    with pytest.raises(ValueError, match="same non-zero number"):
        clipped_gradient_sum(model, F, x, y[:3], max_grad_norm=1.0)
    with pytest.raises(TypeError, match="torch tensors"):
        per_sample_gradients(model, F, x.numpy(), y)
