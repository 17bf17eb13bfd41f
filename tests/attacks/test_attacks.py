"""Linkage, differencing, membership inference and gradient inversion."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from privlearn.attacks import (
    accountant_tpr_bound,
    confidence_logits,
    differencing_attack,
    dp_advantage_bound,
    dp_tpr_bound,
    evaluate_scores,
    invert_gradients,
    likelihood_ratio_attack,
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
    # the score is the negated loss; "member" when the score is at least the threshold
    assert result.threshold == pytest.approx(-math.log1p(math.exp(-3.0)))
    assert result.tpr_at(0.25) == 1.0            # τ at x = 3: one false positive of four
    assert result.tpr_at(0.5) == 1.0


def test_tpr_at_low_fpr_and_roc_by_hand():
    members = [9.0, 8.0, 7.0, 2.5, 1.0]
    non_members = [8.5, 3.0, 2.0, 1.5, 1.2, 0.9, 0.8, 0.7, 0.6, 0.5]
    result = evaluate_scores(members, non_members)
    # FPR <= 0.1 allows one false positive (8.5): τ = 7 flags 9, 8 and 7 -> TPR 3/5
    assert result.tpr_at(0.1) == pytest.approx(3 / 5)
    # FPR <= 0.2 allows 8.5 and 3.0: τ = 2.5 flags four members
    assert result.tpr_at(0.2) == pytest.approx(4 / 5)
    fpr, tpr = result.roc()
    assert (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert result.advantage == pytest.approx(max(t - f for f, t in zip(fpr, tpr, strict=True)))
    with pytest.raises(ValueError, match="cannot be measured on 10 non-members"):
        result.tpr_at(0.05)


@pytest.mark.parametrize("n", [100, 1000])
def test_tpr_at_allows_exactly_one_false_positive_at_fpr_one_over_n(n):
    # 1 − 99/100 is 0.010000000000000009 in floating point: compared as rates, the one
    # allowed false positive was lost and the TPR at zero false positives came back
    members = np.r_[np.full(5, 10.0), np.full(95, -2.0)]
    non_members = np.r_[20.0, 5.0, np.full(n - 2, -1.0)]
    assert evaluate_scores(members, non_members).tpr_at(1 / n) == pytest.approx(0.05)


def test_dp_tpr_bound_by_hand_and_against_the_advantage_bound():
    assert dp_tpr_bound(0.01, 1.0) == pytest.approx(math.e * 0.01)
    assert dp_tpr_bound(0.001, 1.0, 1e-5) == pytest.approx(math.e * 0.001 + 1e-5)
    # the second edge binds at high FPR: 1 − e^(−ε)(1 − δ − FPR)
    assert dp_tpr_bound(0.5, 1.0) == pytest.approx(1 - 0.5 / math.e)
    assert dp_tpr_bound(0.3, 0.0) == 0.3                  # ε = 0: no test beats chance
    assert dp_tpr_bound(0.0, 800.0, 1e-5) == 1e-5         # e^ε overflows, FPR 0 still gives δ
    # the best TPR − FPR over the region is the advantage bound (two derivations, one number)
    fpr = np.linspace(0, 1, 200_001)
    for eps, delta in [(0.5, 0.0), (1.0, 1e-5), (4.0, 1e-3)]:
        best = max(dp_tpr_bound(f, eps, delta) - f for f in fpr[::50])
        assert best == pytest.approx(dp_advantage_bound(eps, delta), abs=1e-3)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 3.0])
def test_accountant_tpr_bound_is_sound_and_tighter_than_one_pair(sigma):
    from scipy.stats import norm

    from privlearn.dp import RDPAccountant

    acc = RDPAccountant()
    acc.step(noise_multiplier=sigma, sample_rate=1.0)   # one Gaussian release, sensitivity 1
    for fpr in (0.001, 0.01, 0.1):
        # the exact trade-off of N(0, σ²) against N(1, σ²): Φ(Φ⁻¹(FPR) + 1/σ) (Dong, Roth &
        # Su 2022, Gaussian DP); no sound bound may fall below it
        exact = norm.cdf(norm.ppf(fpr) + 1 / sigma)
        bound = accountant_tpr_bound(fpr, acc)
        one_pair = dp_tpr_bound(fpr, acc.get_epsilon(1e-5), 1e-5)
        assert exact <= bound <= one_pair
        assert accountant_tpr_bound(fpr, acc, deltas=[1e-5]) == one_pair


def test_confidence_logits_is_the_logit_of_the_true_class_and_stays_finite():
    model = nn.Linear(3, 4)
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 2, 3, 0, 1])
    p = torch.softmax(model(x).double(), 1)[torch.arange(6), y]
    naive = torch.log(p / (1 - p)).detach().numpy()
    assert confidence_logits(model, (x, y)) == pytest.approx(naive)
    certain = _Lookup()                                  # logits [−x, 0] for class 1
    phi = confidence_logits(certain, (torch.tensor([[800.0]]), torch.tensor([1])))
    assert phi[0] == pytest.approx(800.0)                # p_y rounds to 1; φ does not


class _Affine(nn.Module):
    """Two-class logits [0, a·x + b]: φ for label 1 is exactly a·x + b."""

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b

    def forward(self, x):
        return torch.cat([torch.zeros_like(x[:, :1]), self.a * x[:, :1] + self.b], dim=1)


def test_likelihood_ratio_attack_against_a_direct_computation():
    rng = np.random.default_rng(3)
    n_members, n_non = 4, 6
    x = torch.tensor(rng.normal(size=(n_members + n_non, 1)))
    y = torch.ones(n_members + n_non, dtype=torch.long)
    refs = [_Affine(float(a), float(b)) for a, b in rng.normal(size=(5, 2))]
    inside = rng.random((5, n_members + n_non)) < 0.4
    inside[:, 0] = [True, True, True, True, False]        # candidate 0: one OUT model
    target = _Affine(1.5, 0.2)
    result = likelihood_ratio_attack(target, (x[:n_members], y[:n_members]),
                                     (x[n_members:], y[n_members:]), refs, inside)
    # direct: φ_k(i) = a_k x_i + b_k; per-candidate OUT means; variance pooled over OUT pairs
    xs = x[:, 0].numpy()
    phi = np.array([[r.a * v + r.b for v in xs] for r in refs])
    means = [phi[~inside[:, i], i].mean() for i in range(xs.size)]
    resid = [phi[k, i] - means[i] for i in range(xs.size) for k in range(5) if not inside[k, i]]
    sigma = math.sqrt(sum(r * r for r in resid) / (len(resid) - xs.size))
    z = [(1.5 * v + 0.2 - means[i]) / sigma for i, v in enumerate(xs)]
    assert result.member_scores == pytest.approx(z[:n_members])
    assert result.non_member_scores == pytest.approx(z[n_members:])


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
