"""Class 6: no hidden global random state. Statistical randomness comes through an
explicit rng or torch.Generator, never torch's or numpy's global generator; modules that
can only draw from the global generator (nn.Dropout) run on a fork seeded by the caller."""

import numpy as np
import pytest
import torch
from torch import nn

from privlearn import attacks, fl
from privlearn.dp.dpsgd import dp_sgd_step, poisson_batches, train_dp_sgd

from ._cases import Case, check, ids

COVERS = {"fl.run_fedavg", "dp.train_dp_sgd", "attacks.invert_gradients"}

X = torch.randn(24, 4, generator=torch.Generator().manual_seed(0))
Y = (X[:, 0] > 0).long()


def _dropout_model():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))


CASES = [
    Case("fl.local_sgd", "generator=None (used torch's global generator)",
         lambda c: fl.local_sgd(nn.Linear(4, 2), X, Y, epochs=1, batch_size=4, lr=0.1,
                                generator=None), TypeError, r"generator must be a torch\.Generator",
         r"got NoneType"),
    Case("dp.dp_sgd_step", "generator=None",
         lambda c: dp_sgd_step(nn.Linear(4, 2), nn.functional.cross_entropy, X, Y, lr=0.1,
                               noise_multiplier=1.0, max_grad_norm=1.0, expected_batch_size=24,
                               generator=None), TypeError,
         r"generator must be a torch\.Generator", r"got NoneType"),
    Case("dp.poisson_batches", "a numpy generator instead of a torch one",
         lambda c: poisson_batches(10, sample_rate=0.5, steps=2,
                                   generator=np.random.default_rng(0)), TypeError,
         r"generator must be a torch\.Generator", r"got Generator"),
    Case("fl.LocalDPSGD", "generator=None",
         lambda c: fl.LocalDPSGD(epochs=1, batch_size=4, lr=0.1, noise_multiplier=1.0,
                                 max_grad_norm=1.0)(nn.Linear(4, 2), X, Y, client=0,
                                                    generator=None), TypeError,
         r"generator must be a torch\.Generator", r"got NoneType"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_refused(case, ctx):
    check(case, ctx)


def _twice(run):
    """Run with two different global seeds; the results must agree and the global state
    must come back untouched."""
    out = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        before = torch.get_rng_state()
        out.append(run())
        assert torch.equal(before, torch.get_rng_state()), "the global generator moved"
    return out


def test_run_fedavg_with_dropout_repeats_and_leaves_the_global_state():
    clients = [(X[:12], Y[:12]), (X[12:], Y[12:])]
    a, b = _twice(lambda: fl.run_fedavg(_dropout_model, clients, rounds=2, local_epochs=1,
                                        batch_size=4, lr=0.1, rng=0)[0].state_dict())
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_train_dp_sgd_with_dropout_repeats_and_leaves_the_global_state():
    a, b = _twice(lambda: train_dp_sgd(_dropout_model(), (X, Y), epochs=1, batch_size=6, lr=0.1,
                                       noise_multiplier=1.0, max_grad_norm=1.0, delta=1e-5,
                                       rng=0)[0].state_dict())
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_gradient_inversion_with_dropout_repeats():
    model = _dropout_model()
    loss = nn.functional.cross_entropy(model.eval()(X[:1]), Y[:1])
    grads = dict(zip([k for k, _ in model.named_parameters()],
                     torch.autograd.grad(loss, list(model.parameters())), strict=True))
    model.train()
    a, b = _twice(lambda: attacks.invert_gradients(model, grads, input_shape=(4,),
                                                   num_classes=2, steps=2, rng=0).x)
    assert torch.equal(a, b)


def test_secure_aggregation_masks_come_from_the_os_not_a_seed():
    """Cryptographic randomness has no seed: two protocol runs mask differently."""
    from privlearn import mpc
    runs = [mpc.SecureAggregation(2, threshold=2, vector_length=4).masked_input(
        0, np.zeros(4, np.uint64)) for _ in range(2)]
    assert not np.array_equal(*runs)
