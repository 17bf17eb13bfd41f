"""Analytic inversion of a first Linear layer (Phong et al. 2018; Fowl et al. 2022):
exact for every example that alone activates some neuron, also from a summed gradient."""

import numpy as np
import torch
from torch import nn

from privlearn.attacks import analytic_inversion, match_reconstructions
from privlearn.dp.dpsgd import clipped_gradient_sum
from privlearn.models import mlp

torch.set_num_threads(1)


def _setup(batch=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, 64, generator=gen, dtype=torch.float32)
    y = torch.randint(0, 10, (batch,), generator=gen)
    return mlp(rng=seed), x, y


def _summed_gradient(model, x, y):
    loss = nn.functional.cross_entropy(model(x), y, reduction="sum")
    return torch.autograd.grad(loss, [model[0].weight, model[0].bias])


def _owners(model, x):
    """For each example, whether some hidden neuron fires for it alone."""
    with torch.no_grad():
        active = model[0](x) > 0                          # examples x neurons
    exclusive = active.sum(dim=0) == 1
    return (active & exclusive).any(dim=1)


def test_every_example_that_owns_a_neuron_is_recovered_exactly_from_the_sum():
    for seed in range(5):
        model, x, y = _setup(seed=seed)
        gw, gb = _summed_gradient(model, x, y)
        _, mse = match_reconstructions(analytic_inversion(gw, gb), x)
        owners = _owners(model, x)
        assert owners.any()
        # exact up to float32 rounding of the gradients
        assert torch.all(mse[owners] < 1e-10), (seed, mse)


def test_the_ratio_is_the_input_for_one_example():
    model, x, y = _setup(batch=1)
    gw, gb = _summed_gradient(model, x, y)
    cands = analytic_inversion(gw, gb)
    assert cands.shape[0] > 0
    torch.testing.assert_close(cands, x.double().expand_as(cands), atol=1e-5, rtol=0)


def test_clipping_does_not_stop_it_but_noise_does():
    model, x, y = _setup(batch=5, seed=3)
    owners = _owners(model, x)
    clipped = clipped_gradient_sum(model, nn.functional.cross_entropy, x, y, max_grad_norm=0.1)
    gw, gb = clipped["0.weight"], clipped["0.bias"]
    _, mse = match_reconstructions(analytic_inversion(gw, gb), x)
    assert torch.all(mse[owners] < 1e-10)            # clipping scales δ, not the ratio
    gen = torch.Generator().manual_seed(0)
    noisy_w = gw + torch.randn(gw.shape, generator=gen)        # sigma * C = 1
    noisy_b = gb + torch.randn(gb.shape, generator=gen)
    _, mse = match_reconstructions(analytic_inversion(noisy_w, noisy_b), x)
    assert torch.all(mse > 1e-2)


def test_nothing_to_invert_and_matching_edge_cases():
    assert analytic_inversion(torch.zeros(3, 4), torch.zeros(3)).shape == (0, 4)
    index, mse = match_reconstructions(torch.zeros(0, 4), torch.ones(2, 4))
    assert index.tolist() == [-1, -1] and np.isinf(mse.numpy()).all()
    index, mse = match_reconstructions(torch.eye(3), torch.eye(3)[[2, 0]])
    assert index.tolist() == [2, 0] and mse.tolist() == [0.0, 0.0]
