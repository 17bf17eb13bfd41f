"""Linkage, differencing, membership inference and gradient inversion."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from privlearn.attacks import (
    differencing_attack,
    dp_advantage_bound,
    invert_gradients,
    linkage_attack,
    membership_inference,
    reconstruction_error,
    uniqueness,
    yeom_bound,
)
from privlearn.models import mlp

RELEASED = {"zip": [1, 1, 2, 3], "sex": ["F", "M", "F", "F"], "diagnosis": ["a", "b", "c", "d"]}
VOTERS = {"zip": [1, 1, 2, 2, 4], "sex": ["F", "M", "F", "F", "M"],
          "name": ["Ann", "Bob", "Cy", "Di", "Ed"]}


def test_linkage_by_hand():
    result = linkage_attack(RELEASED, VOTERS, quasi_identifiers=["zip", "sex"])
    assert result.matches == {0: 0, 1: 1}          # (2, F) matches two voters; (3, F) none
    assert (result.ambiguous, result.unmatched) == (1, 1)
    assert result.reidentified_fraction == 0.5
    assert uniqueness(VOTERS, quasi_identifiers=["zip", "sex"]) == pytest.approx(3 / 5)


def test_more_quasi_identifiers_single_out_more_people():
    rng = np.random.default_rng(0)
    people = {"zip": rng.integers(0, 20, 5000), "year": rng.integers(1940, 2005, 5000),
              "sex": rng.integers(0, 2, 5000), "day": rng.integers(0, 365, 5000)}
    shares = [uniqueness(people, quasi_identifiers=qi) for qi in
              (["zip"], ["zip", "year"], ["zip", "year", "sex"], ["zip", "year", "sex", "day"])]
    assert shares == sorted(shares) and shares[0] == 0.0 and shares[-1] > 0.95


@pytest.mark.parametrize("call, words", [
    (lambda: linkage_attack({}, VOTERS, quasi_identifiers=["zip"]), "non-empty"),
    (lambda: linkage_attack({"zip": []}, VOTERS, quasi_identifiers=["zip"]), "at least one row"),
    (lambda: linkage_attack(RELEASED, VOTERS, quasi_identifiers=["zip", "age"]), "missing"),
    (lambda: linkage_attack(RELEASED, VOTERS, quasi_identifiers=[]), "at least one column"),
    (lambda: linkage_attack({"zip": [1, 2], "sex": ["F"]}, VOTERS, quasi_identifiers=["zip"]),
     "same length"),
])
def test_linkage_rejects(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_differencing_exact_and_with_noise():
    salaries = np.array([50.0, 60.0, 70.0, 80.0])
    exact = differencing_attack(salaries, target=2, bound=100.0)
    assert exact.inferred_value == pytest.approx(70.0) and exact.error < 1e-9
    errors = np.array([differencing_attack(salaries, target=2, bound=100.0, epsilon=0.5,
                                           rng=seed).error for seed in range(4000)])
    # D = L1 − L2 with L1, L2 ~ Laplace(b), b = bound/ε = 200: E|D| = 3b/2 = 300 and
    # Var|D| = E[D²] − (E|D|)² = 4b² − 9b²/4 = 7b²/4; 6 standard errors of the mean
    b = 200.0
    assert abs(errors.mean() - 1.5 * b) < 6 * (b * math.sqrt(7) / 2) / math.sqrt(4000)


def test_differencing_rejects():
    with pytest.raises(ValueError, match="target"):
        differencing_attack([1.0, 2.0], target=2, bound=10)
    with pytest.raises(ValueError, match="bound"):
        differencing_attack([1.0, 2.0], target=0, bound=0)
    with pytest.raises(ValueError, match="empty"):
        differencing_attack([], target=0, bound=1)


def test_dp_bounds():
    assert dp_advantage_bound(0.0) == 0.0
    assert dp_advantage_bound(math.log(3)) == pytest.approx(0.5)    # (3 − 1)/(3 + 1)
    assert dp_advantage_bound(1.0, 1e-5) == pytest.approx((math.e - 1 + 2e-5) / (math.e + 1))
    assert yeom_bound(0.5) == pytest.approx(math.expm1(0.5)) and yeom_bound(5) == 1.0
    eps = np.linspace(0.01, 5, 50)
    assert all(dp_advantage_bound(e) <= yeom_bound(e) for e in eps)
    with pytest.raises(ValueError, match="delta"):
        dp_advantage_bound(1.0, 1.5)


class _Lookup(nn.Module):
    """A 'model' whose loss on example i is a chosen number: an exact oracle."""

    def forward(self, x):
        logit = -x[:, :1]   # logits [−x, 0] at class 1: loss = log(1 + e^{−x}), falls with x
        return torch.cat([logit, torch.zeros_like(logit)], dim=1)


def test_membership_advantage_and_auc_by_hand():
    model = _Lookup()
    members = (torch.tensor([[5.0], [4.0], [3.0]]), torch.ones(3, dtype=torch.long))
    non_members = (torch.tensor([[3.5], [-1.0], [-2.0], [-3.0]]), torch.ones(4, dtype=torch.long))
    result = membership_inference(model, members, non_members)
    # loss decreases in x: members have x = 5, 4, 3; non-members 3.5, −1, −2, −3.
    # Best threshold takes x >= 3: TPR 1, FPR 1/4 -> advantage 0.75
    assert result.advantage == pytest.approx(0.75)
    # pairs (member, non-member) with member loss lower: 3·4 − 1 = 11 of 12
    assert result.auc == pytest.approx(11 / 12)


def test_membership_on_an_overfitted_model_beats_chance():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 20, generator=g)
    y = torch.randint(0, 2, (200,), generator=g)        # random labels: pure memorisation
    model = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(300):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[:100]), y[:100]).backward()
        opt.step()
    result = membership_inference(model, (x[:100], y[:100]), (x[100:], y[100:]))
    assert result.advantage > 0.5 and result.auc > 0.8


def test_membership_rejects():
    model = _Lookup()
    good = (torch.zeros(3, 1), torch.ones(3, dtype=torch.long))
    with pytest.raises(ValueError, match="same shape"):
        membership_inference(model, good, (torch.zeros(3, 2), torch.ones(3, dtype=torch.long)))
    with pytest.raises(ValueError, match="non-zero"):
        membership_inference(model, good, (torch.zeros(0, 1), torch.ones(0, dtype=torch.long)))
    with pytest.raises(TypeError, match="tensors"):
        membership_inference(model, good, (np.zeros((3, 1)), np.ones(3)))
    with pytest.raises(ValueError, match="one loss per example"):
        membership_inference(model, good, good, loss_fn=nn.functional.cross_entropy)


def _gradient(model, x, y):
    loss = nn.functional.cross_entropy(model(x), y)
    names = [k for k, _ in model.named_parameters()]
    return dict(zip(names, torch.autograd.grad(loss, list(model.parameters())), strict=True))


def test_dlg_reconstructs_a_digit_and_its_label():
    from privlearn.data import load_digits

    x, y, _, _ = load_digits().as_tensors()
    model = mlp(rng=0)
    result = invert_gradients(model, _gradient(model, x[:1], y[:1]), input_shape=(64,),
                              num_classes=10, steps=30, rng=0)
    assert result.label == int(y[0])
    assert reconstruction_error(result.x, x[0]) < 1e-4      # pixels in [0, 1]
    assert result.history[-1] <= result.history[0]


def test_dlg_rejects_wrong_gradient_structure():
    model = mlp(rng=0)
    grads = _gradient(model, torch.rand(1, 64), torch.tensor([1]))
    with pytest.raises(ValueError, match="every trainable parameter"):
        invert_gradients(model, {"0.weight": grads["0.weight"]}, input_shape=(64,),
                         num_classes=10)
    bad = dict(grads)
    bad["0.bias"] = torch.zeros(3)
    with pytest.raises(ValueError, match="shape"):
        invert_gradients(model, bad, input_shape=(64,), num_classes=10)
    with pytest.raises(ValueError, match="same shape"):
        reconstruction_error(torch.zeros(3), torch.zeros(4))
