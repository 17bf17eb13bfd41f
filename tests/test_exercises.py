"""Exercise checkers (right, wrong, blank for each) and student notebooks.

The grader, which runs the same checkers outside the students' kernels, is tested in
tests/test_grading.py."""

import math
import re

import gmpy2
import nbformat
import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from privlearn.course import ROOT
from privlearn.dp import advanced_composition, analytic_gaussian_sigma
from privlearn.exercises import (
    CORRECT,
    INCORRECT,
    NOT_ATTEMPTED,
    ex01,
    ex03a,
    ex03b,
    ex03c,
    ex03d,
    ex04,
    ex05,
    ex07,
)
from privlearn.handouts import student_version

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _not_implemented(*args):
    raise NotImplementedError


def _sig4(x):  # rounded to the 4 significant digits the questions ask for
    return float(f"{x:.4g}")


def _truncated_laplace(v, s, e, rng):  # rejection: the law cut off at 5 scale units
    while True:
        x = rng.laplace(0.0, s / e)
        if abs(x) <= 5 * s / e:
            return v + x


def _p(eps):
    return math.exp(eps) / (1 + math.exp(eps))


_Q8_LOW = math.e * 0.01 + 1e-5               # ex03b q8 at its course values: the first edge
_Q8_HIGH = 1 - (1 - 1e-5 - 0.5) / math.e      # and the second


def _groups_min(table, qi, sensitive, key):
    """min over the equivalence classes of key(the class's sensitive values)."""
    groups = {}
    for k, value in zip(zip(*(table[c] for c in qi), strict=True), table[sensitive], strict=True):
        groups.setdefault(k, []).append(value)
    return min(key(v) for v in groups.values())


def _k_and_l(table, qi, sensitive):
    groups = {}
    for key, value in zip(zip(*(table[c] for c in qi), strict=True), table[sensitive], strict=True):
        groups.setdefault(key, []).append(value)
    return min(len(v) for v in groups.values()), min(len(set(v)) for v in groups.values())


def _exp_probs(scores, sens, eps, factor=2.0, shift="max"):
    scores = np.asarray(scores, dtype=float)
    offset = {"max": scores.max(), "min": scores.min(), None: 0.0}[shift]
    with np.errstate(over="ignore", invalid="ignore"):  # shift=None overflows on purpose
        w = np.exp(eps * (scores - offset) / (factor * sens))
        return w / w.sum()


def _noisy_max_probs(scores, sens, eps):
    """Report noisy max's choice probabilities with Lap(2Δ/ε), by simulation (a plausible
    wrong answer: it picks the best option noisily too)."""
    rng = np.random.default_rng(0)
    scores = np.asarray(scores, dtype=float)
    noisy = scores + rng.laplace(0.0, 2 * sens / eps, size=(200_000, scores.size))
    return np.bincount(noisy.argmax(axis=1), minlength=scores.size) / 200_000


CASES = {
    ex03b.q1: {
        "right": lambda v, s, e, rng: v + rng.laplace(0.0, s / e),
        "wrong": [lambda v, s, e, rng: v + rng.laplace(0.0, e / s),          # swapped
                  lambda v, s, e, rng: v + rng.normal(0.0, math.sqrt(2) * s / e),  # Gaussian
                  lambda v, s, e, rng: v + np.random.default_rng().laplace(0.0, s / e),
                  lambda v, s, e, rng: v,                                      # no noise
                  lambda v, s, e, rng: 1 / 0,                                  # crashes
                  lambda v, s, e, rng: v + rng.laplace(0.0, 0.85 * s / e),     # too little
                  lambda v, s, e, rng: v + rng.laplace(0.0, 1.2 * s / e),      # too much
                  lambda v, s, e, rng: v + rng.laplace(0.0, 0.9 * s / e),      # -10%
                  lambda v, s, e, rng: v + rng.laplace(0.0, 1.1 * s / e),      # +10%
                  lambda v, s, e, rng: v + np.clip(rng.laplace(0.0, s / e), -3 * s / e,
                                                   3 * s / e),                 # clipped
                  _truncated_laplace,                                          # cut at 5b
                  lambda v, s, e, rng: (v if rng.random() < 0.01               # exact 1%
                                        else v + rng.laplace(0.0, s / e)),
                  lambda v, s, e, rng: v + abs(rng.laplace(0.0, s / e)),       # one-sided
                  lambda v, s, e, rng: v + 0.1 * s / e + rng.laplace(0.0, s / e)],  # shifted
        "also_right": [lambda v, s, e, rng: rng.laplace(v, s / e),
                       lambda v, s, e, rng: v + rng.laplace(0.0, s / e, size=1),   # shape (1,)
                       lambda v, s, e, rng: np.float64(v + rng.laplace(0.0, s / e)),
                       lambda v, s, e, rng: torch.tensor(v + rng.laplace(0.0, s / e),
                                                         dtype=torch.float64)],
        "blank": _not_implemented,
    },
    ex03b.q2: {
        "right": analytic_gaussian_sigma(sensitivity=5, epsilon=1, delta=1e-6),
        "also_right": [21.13,  # rounded up to 4 digits
                       np.float64(analytic_gaussian_sigma(sensitivity=5, epsilon=1,
                                                          delta=1e-6))],
        "wrong": [analytic_gaussian_sigma(sensitivity=1, epsilon=1, delta=1e-6),
                  21.12,  # 4 digits, but rounded down: below the smallest DP sigma
                  5 * math.sqrt(2 * math.log(1.25e6)), 1.0, "3.0", float("nan")],
        "blank": None,
    },
    ex03b.q3: {
        "right": (2.0, advanced_composition(epsilon=0.1, delta=1e-7, k=20,
                                            delta_slack=1e-6)[0]),
        "also_right": [[2, 2.561], (np.float64(2.0), torch.tensor(2.5608, dtype=torch.float64)),
                       np.array([2.0, 2.5608]), torch.tensor([2.0, 2.5608])],
        "wrong": [(2.0, math.sqrt(40 * math.log(1e6)) * 0.1), (0.1, 2.5), 2.0, (2.0,),
                  (2.0, 2.56), (2.0, 2.57)],
        "blank": None,
    },
    ex03b.q4: {
        "right": lambda r, e: (np.mean(r) - (1 - _p(e))) / (2 * _p(e) - 1),
        "wrong": [lambda r, e: np.mean(r),
                  lambda r, e: min(max((np.mean(r) - (1 - _p(e))) / (2 * _p(e) - 1), 0), 1),
                  lambda r, e: (np.mean(r) - _p(e)) / (2 * _p(e) - 1)],
        "blank": _not_implemented,
    },
    ex03b.q7: {
        "right": _exp_probs,
        "also_right": [lambda s, d, e: list(_exp_probs(s, d, e)),
                       lambda s, d, e: _exp_probs(s, d, e).astype(np.float32),
                       lambda s, d, e: torch.softmax(torch.tensor(s, dtype=torch.float64)
                                                     * e / (2 * d), 0),
                       lambda s, d, e: _exp_probs(s, d, e, shift="min")],   # min: same ratios
        "wrong": [lambda s, d, e: _exp_probs(s, d, e, factor=1.0),         # no 2
                  lambda s, d, e: _exp_probs(s, 1.0, e),                   # no sensitivity
                  lambda s, d, e: _exp_probs(s, d, e, shift=None),         # overflows
                  lambda s, d, e: _exp_probs(s, d, 1.01 * e),              # ε 1% high
                  lambda s, d, e: _exp_probs(np.negative(s), d, e),        # minimises
                  lambda s, d, e: _exp_probs(np.abs(s), d, e),             # |u|
                  lambda s, d, e: np.exp(e * (np.asarray(s) - max(s)) / (2 * d)),  # unnormalised
                  lambda s, d, e: int(np.argmax(s)),                       # a choice
                  lambda s, d, e: _exp_probs(s, d, e)[:-1],
                  lambda s, d, e: _noisy_max_probs(s, d, e),               # report noisy max
                  lambda s, d, e: np.full(len(s), 1 / len(s))],            # uniform
        "blank": _not_implemented,
    },
    ex03b.q8: {
        "right": (_Q8_LOW, _Q8_HIGH),
        "also_right": [(0.02719, 0.8161), np.array([_Q8_LOW, _Q8_HIGH]),
                       [np.float64(_Q8_LOW), _Q8_HIGH]],
        "wrong": [(math.e * 0.01, _Q8_HIGH),                                # δ missing
                  (_Q8_LOW, min(1.0, math.e * 0.5 + 1e-5)),                 # one edge only
                  (_Q8_LOW, math.e * 0.5 + 1e-5),
                  (0.01 / math.e + 1e-5, _Q8_HIGH), (_Q8_HIGH, _Q8_LOW),   # e^−ε; swapped
                  (0.0272, 0.8161), _Q8_LOW, (0.01, 0.5), "0.027"],
        "blank": None,
    },
    ex03b.q5: {
        "right": math.log(20) / 10,
        "also_right": [0.2996, np.float32(math.log(20) / 10), "x" and 0.29957],
        "wrong": [math.sqrt(2) / 10, 0.1, 0.29, 0.30, 0.2995, 0.2997],
        "blank": Ellipsis,
    },
}


def _weighted(states, sizes):
    n = sum(sizes)
    return {k: sum(w / n * s[k] for s, w in zip(states, sizes, strict=True)) for k in states[0]}


def _in_place(states, sizes):
    out = states[0]
    for k in out:
        out[k].mul_(sizes[0] / sum(sizes))
        for s, w in zip(states[1:], sizes[1:], strict=True):
            out[k].add_(w / sum(sizes) * s[k])
    return out


def _table_of(cases, answer_at):
    """A wrong answer that looks its inputs up in a checker's fixed cases (and answers 0
    otherwise): fresh random inputs make it fail."""
    table = {repr([np.asarray(x).tolist() for x in case[:answer_at]]): case[answer_at]
             for case in cases}
    return lambda *args: table.get(repr([np.asarray(x).tolist() for x in args]), 0)


def _rounds_to(acc, target):
    return next((r for r, a in enumerate(acc, start=1) if a >= target), None)


def _train(model, x, y, lr, steps=20):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


def _train_clipped(model, x, y, lr):  # plain SGD plus clip_grad_norm_(1.0)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(20):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()


def _train_by_hand(model, x, y, lr):  # gradient descent without an optimiser object
    for _ in range(20):
        model.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad


def _train_other(model, x, y, lr):  # the article's bug: an optimiser over another model
    other = nn.Linear(5, 2)
    opt = torch.optim.SGD(other.parameters(), lr=lr)
    for _ in range(20):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


def _eps_q4(method, steps=3516):  # round(15 · 60,000 / 256)
    from privlearn.dp import RDPAccountant

    acc = RDPAccountant()
    acc.step(noise_multiplier=1.1, sample_rate=256 / 60_000, steps=steps)
    return acc.get_epsilon(1e-5, method=method)


CASES.update({
    ex03a.q1: {"right": [0.6, 0.15, 0.25],
               "also_right": [np.array([120, 30, 50]) / 200, torch.tensor([0.6, 0.15, 0.25],
                                                                          dtype=torch.float64),
                              (0.6, 0.15, 0.25), [0.6000, 0.1500, 0.2500]],
               "wrong": [[1 / 3] * 3, [120, 30, 50], [0.5, 0.25, 0.25], [0.6, 0.4], "abc",
                         [0.6, 0.151, 0.25]],
               "blank": None},
    ex03a.q2: {"right": _weighted,
               "wrong": [_in_place,
                         lambda st, sz: {k: sum(s[k] for s in st) / len(st) for k in st[0]},
                         lambda st, sz: st[0], lambda st, sz: 1 / 0],
               "blank": _not_implemented},
    ex03a.q3: {"right": 0.0, "also_right": [0, np.float64(0.0), torch.tensor(0.0),
                                            gmpy2.mpfr(0)],
               "wrong": [3.0, 1.0, "0"], "blank": None},
    ex03a.q4: {"right": _rounds_to,
               "wrong": [lambda a, t: next((r for r, x in enumerate(a) if x >= t), None),
                         lambda a, t: next((r for r, x in enumerate(a, 1) if x > t), None),
                         lambda a, t: len(a),
                         _table_of(ex03a._Q4_CASES, 2)],             # the checker's answers
               "blank": _not_implemented},
    ex04.q1: {"right": _train,
              "wrong": [_train_other, lambda m, x, y, lr: None,
                        lambda m, x, y, lr: _train(m, x, y, 0.1),       # ignores lr
                        lambda m, x, y, lr: _train(m, x, y, lr, steps=1),  # one step
                        lambda m, x, y, lr: _train(m, x, y, lr, steps=19),
                        lambda m, x, y, lr: _train(m, x, y, lr / 2),
                        _train_clipped],                       # adds gradient clipping
              "also_right": [_train_by_hand],
              "blank": _not_implemented},
    ex04.q2: {"right": lambda g, c: g * torch.clamp(c / (g.norm(dim=1, keepdim=True) + 1e-12),
                                                    max=1.0),
              "wrong": [lambda g, c: g / g.norm(dim=1, keepdim=True),
                        lambda g, c: g * min(1.0, c / g.norm().item()),
                        lambda g, c: g.clamp(-c, c),
                        lambda g, c: g.mul_(0.5),
                        lambda g, c: g * torch.clamp(1 / g.norm(dim=1, keepdim=True)
                                                     .clamp_min(1e-12), max=1.0),  # C = 1
                        lambda g, c: (g * c / g.norm(dim=1, keepdim=True)).nan_to_num()],
              "also_right": [
                  lambda g, c: (g * torch.clamp(c / g.norm(dim=1, keepdim=True)
                                                .clamp_min(1e-12), max=1.0)).double(),
                  lambda g, c: (g.numpy() * np.minimum(
                      1.0, c / np.maximum(np.linalg.norm(g.numpy(), axis=1, keepdims=True),
                                          1e-12)))],
              "blank": _not_implemented},
    ex04.q3: {"right": (256 / 60_000, round(15 * 60_000 / 256)),
              "also_right": [(0.004267, 3516), (np.float64(256 / 60_000), np.int64(3516)),
                             [256 / 60_000, 3516.0], np.array([256 / 60_000, 3516]),
                             torch.tensor([256 / 60_000, 3516], dtype=torch.float64)],
              "wrong": [(256, 3516), (256 / 60_000, 15), (0.01, 3516), 0.004,
                        (256 / 60_000, 3515), (256 / 60_000, 3517), (0.00427, 3516)],
              "blank": None},
    ex04.q4: {"right": _eps_q4("improved"), "also_right": [1.2813, np.float64(1.28130)],
              "wrong": [_eps_q4("classic"), 3.01, "1.28", 1.28, 1.282, 1.281,
                        _eps_q4("improved", 15 * 60_000 // 256),       # steps rounded down
                        _eps_q4("improved", round(15 * 60_000 / 256) + 1)],
              "blank": None},
})

_N = 143  # ex03c q1: p = 11, q = 13
CASES.update({
    ex03c.q1: {"right": pow(_N + 1, 7, _N**2) * pow(5, _N, _N**2) % _N**2,
               "also_right": [gmpy2.powmod(_N + 1, 7, _N**2) * gmpy2.powmod(5, _N, _N**2)
                              % _N**2, np.int64(pow(_N + 1, 7, _N**2) * pow(5, _N, _N**2)
                                                % _N**2)],
               "wrong": [pow(_N + 1, 7, _N**2) * pow(5, _N, _N) % _N**2,
                         pow(_N + 1, 7, _N**2) * pow(5, _N, _N**2), 42, "c"],
               "blank": None},
    ex03c.q2: {"right": lambda n, a, b: a * b % (n * n),
               "also_right": [lambda n, a, b: gmpy2.mpz(a) * b % (n * n),
                              lambda n, a, b: np.int64(a * b % (n * n)),
                              lambda n, a, b: torch.tensor(a * b % (n * n)),
                              lambda n, a, b: np.array([a * b % (n * n)])],
               "wrong": [lambda n, a, b: a + b, lambda n, a, b: a * b,
                         lambda n, a, b: (a + b) % (n * n), lambda n, a, b: float(a * b)],
               "blank": _not_implemented},
    ex03c.q3: {"right": 999_997, "also_right": [np.int64(999_997), 999_997.0],
               "wrong": [-6, 6, 1_000_003 - 1.5, 999_998], "blank": None},
    ex03c.q4: {"right": 10, "wrong": [8, 9, 11, 12, 300], "blank": None},
})


def _share(secret, n):
    import secrets

    parts = [secrets.randbelow(2**64) for _ in range(n - 1)]
    return [*parts, (secret - sum(parts)) % 2**64]


def _share_from(secret, n, bound):  # random, but not uniform over the ring
    import secrets

    parts = [secrets.randbelow(bound) for _ in range(n - 1)]
    return [*parts, (secret - sum(parts)) % 2**64]


def _small_signed_share(secret, n):  # ±2^31 mod 2^64: every bit fair, the secret exposed
    import secrets

    parts = [(secrets.randbelow(2**32) - 2**31) % 2**64 for _ in range(n - 1)]
    return [*parts, (secret - sum(parts)) % 2**64]


def _interpolate(shares, prime):
    from privlearn.mpc import lagrange_at_zero

    weights = lagrange_at_zero([x for x, _ in shares], prime)
    return sum(y * w for (_, y), w in zip(shares, weights, strict=True)) % prime


CASES.update({
    ex03d.q1: {"right": _share,
               "wrong": [lambda s, n: [s] + [0] * (n - 1),                # not random
                         lambda s, n: [7] * (n - 1) + [(s - 7 * (n - 1)) % 2**64],
                         lambda s, n: [1] * n,
                         lambda s, n: _share(s, n)[:-1],
                         lambda s, n: _share_from(s, n, 2**63),   # top bit never set
                         lambda s, n: _share_from(s, n, 2**32),   # a quarter of the ring
                         _small_signed_share],                    # fair bits, near 0
               "also_right": [lambda s, n: tuple(_share(s, n)),
                              lambda s, n: np.array(_share(s, n), dtype=np.uint64),
                              lambda s, n: [gmpy2.mpz(x) for x in _share(s, n)]],
               "blank": _not_implemented},
    ex03d.q2: {"right": _interpolate,
               "wrong": [lambda sh, p: sum(y for _, y in sh) % p,
                         lambda sh, p: sh[0][1],
                         _table_of(ex03d._Q2_CASES, 2)],
               "blank": _not_implemented},
    ex03d.q3: {"right": 198, "also_right": [198 + 2**64, np.int64(198), gmpy2.mpz(198), 198.0],
               "wrong": [143, 40 + 11 * 3 + 5 * 8 + 55, 0], "blank": None},
    ex03d.q4: {"right": 257, "also_right": [257 - 2**64, np.uint64(257), gmpy2.mpz(257)],
               "wrong": [0, 1257, -257, 2**64 - 257, 250], "blank": None},
})


def _link(released, auxiliary, qi):
    from privlearn.attacks import linkage_attack

    return linkage_attack(released, auxiliary, quasi_identifiers=qi).matches


def _link_any(released, auxiliary, qi):  # keeps ambiguous matches too
    keys = list(zip(*(auxiliary[c] for c in qi), strict=True))
    return {i: keys.index(k) for i, k in enumerate(zip(*(released[c] for c in qi),
                                                        strict=True)) if k in keys}


def _link_one_to_one(released, auxiliary, qi):  # also drops an auxiliary row matched twice
    matches = _link(released, auxiliary, qi)
    targets = list(matches.values())
    return {i: j for i, j in matches.items() if targets.count(j) == 1}


def _advantage(lm, ln):
    taus = np.concatenate([lm, ln])
    return max(0.0, max(np.mean(lm <= t) - np.mean(ln <= t) for t in taus))


CASES.update({
    ex01.q1: {"right": 6, "wrong": [7, 8, 2, "6"], "blank": None},
    ex01.q2: {"right": _link,
              "wrong": [_link_any, lambda r, a, q: {}, lambda r, a, q: [0],
                        lambda r, a, q: _link(ex01._Q2_RELEASED, ex01._Q2_AUX,
                                              ["zip", "sex"]),     # hard-coded answer
                        lambda r, a, q: _link(r, a, q[:2]),        # only two columns
                        _link_one_to_one],
              "blank": _not_implemented},
    ex01.q3: {"right": 41_500, "wrong": [784_100, -41_500, 0], "blank": None},
    ex01.q4: {"right": 240_000.0,
              "wrong": [math.sqrt(2) * 120_000, 2 * math.sqrt(2) * 120_000, 120_000],
              "blank": None},
    ex01.q5: {"right": _k_and_l,
              "also_right": [lambda t, q, s: list(_k_and_l(t, q, s)),
                             lambda t, q, s: np.array(_k_and_l(t, q, s))],
              "wrong": [lambda t, q, s: (len(set(zip(*(t[c] for c in q), strict=True))),
                                         _k_and_l(t, q, s)[1]),
                        lambda t, q, s: (_k_and_l(t, q, s)[0], len(set(t[s]))),
                        lambda t, q, s: _k_and_l(t, q, s)[::-1],
                        lambda t, q, s: (_k_and_l(t, q[:1], s)[0], _k_and_l(t, q, s)[1]),
                        lambda t, q, s: (_k_and_l(t, q, s)[0], _k_and_l(t, q, s)[1] + 1),
                        lambda t, q, s: (_k_and_l(t, q, s)[0], _groups_min(
                            t, q, s, lambda v: min(v.count(x) for x in set(v)))),  # least count
                        lambda t, q, s: (_k_and_l(t, q, s)[0], _groups_min(
                            t, q, s, lambda v: len(set(v)) if len(v) > 1 else 99)),  # singletons
                        lambda t, q, s: (_k_and_l(t, q, s)[0], _groups_min(
                            t, q, s, lambda v: (len(v), len(set(v))))[1]),  # l of the smallest
                        lambda t, q, s: _k_and_l(t, q, s)[0],
                        lambda t, q, s: (3, 1)],                       # the example typed in
              "blank": _not_implemented},
    ex01.q6: {"right": "cancer", "also_right": ["Cancer", " cancer ", "ｃａｎｃｅｒ", "cancer.",
                                                '"cancer"'],
              "wrong": ["none", "flu", "diabetes", "measles", 1, ["cancer"]], "blank": None},
    ex07.q1: {"right": _advantage,
              "wrong": [lambda lm, ln: _advantage(-lm, -ln), lambda lm, ln: 0.5,
                        _table_of([(lm, ln, _advantage(lm, ln)) for lm, ln in ex07._Q1_CASES], 2),
                        lambda lm, ln: float(np.mean(lm) - np.mean(ln)),
                        lambda lm, ln: max(0.0, np.mean(lm <= lm.max())    # one threshold
                                           - np.mean(ln <= lm.max())),
                        lambda lm, ln: max(0.0, max(                       # a coarse grid
                            np.mean(lm <= t) - np.mean(ln <= t)
                            for t in np.linspace(min(lm.min(), ln.min()),
                                                 max(lm.max(), ln.max()), 100)))],
              "blank": _not_implemented},
    ex07.q2: {"right": (math.e - 1 + 2e-5) / (math.e + 1),
              "also_right": [0.4621225, np.float64((math.e - 1 + 2e-5) / (math.e + 1))],
              "wrong": [math.e - 1, 0.5, (math.e - 1) / (math.e + 1) * 1.01,
                        (math.e - 1) / (math.e + 1), math.tanh(0.5),       # δ ignored
                        (math.e - 1 + 1e-5) / (math.e + 1)],              # δ, not 2δ
              "blank": None},
    ex07.q3: {"right": 4.0, "wrong": [2.0, 8.0, 0.85], "blank": None},
    ex07.q4: {"right": lambda a, b: float(np.mean((a - b) ** 2)),
              "wrong": [lambda a, b: float(np.sqrt(np.mean((a - b) ** 2))),
                        lambda a, b: float(np.sum((a - b) ** 2)),
                        lambda a, b: float(np.mean(np.abs(a - b)))],
              "blank": _not_implemented},
})


def _oue(reports, eps):
    q = 1 / (math.exp(eps) + 1)
    return (reports.mean(axis=0) - q) / (0.5 - q)


CASES.update({
    ex05.q1: {"right": (0.5, 0.25), "also_right": [[0.5, 0.25001], (np.float32(0.5), 1 / 4),
                                                   np.array([0.5, 0.25])],
              "wrong": [(0.75, 0.25), (0.5, 0.5), 0.5, (0.25, 0.5)], "blank": None},
    ex05.q2: {"right": _oue,
              "wrong": [lambda r, e: r.mean(axis=0), lambda r, e: np.clip(_oue(r, e), 0, 1),
                        lambda r, e: _oue(r, e)[:-1]],
              "blank": _not_implemented},
    ex05.q3: {"right": 0.8, "also_right": [np.float32(0.8), 0.80004],
              "wrong": [0.3, -0.2, 1.2, 0.7999], "blank": None},
    ex05.q4: {"right": {"bank": "its own gradient", "partner": "its own gradient",
                        "arbiter": "masked gradients"},
              "wrong": [  # the old key's misconception: the partner receives nothing in clear
                        {"bank": "its own gradient", "partner": "nothing",
                         "arbiter": "masked gradients"},
                        {"bank": "its own gradient", "partner": "its own gradient",
                         "arbiter": "gradients"},
                        {"bank": "nothing", "partner": "its own gradient",
                         "arbiter": "masked gradients"},
                        {"bank": "its own gradient"}, "labels"],
              "blank": None},
})


def test_every_question_of_every_exercise_is_covered_here():
    import importlib
    import pkgutil

    import privlearn.exercises as package

    modules = [importlib.import_module(f"privlearn.exercises.{m.name}")
               for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("ex")]
    questions = {q for m in modules for q in m.QUESTIONS}
    assert questions == set(CASES) == set(_PARAMETRISED)   # every case is also run above
    # and every exercise module has its solution notebook
    for m in modules:
        stem = m.__name__.rsplit(".", 1)[1]
        assert list((ROOT / "exercises" / "solutions").glob(f"{stem}_*.ipynb")), stem


@pytest.mark.parametrize("question, far_below, far_above", [
    (ex03b.q2, 5.0, 80.0), (ex03b.q5, 0.1, 0.9), (ex03c.q4, 3, 30)])
def test_feedback_does_not_say_which_way_to_go(question, far_below, far_above):
    """A message saying "too small" or "too large" turns a question into a bisection."""
    below, above = question.evaluate(far_below), question.evaluate(far_above)
    assert below.status == above.status == INCORRECT
    strip = str.maketrans("", "", "0123456789.")
    assert below.message.translate(strip) == above.message.translate(strip)


def test_feedback_in_chinese_by_choice_or_by_folder(capsys, monkeypatch, tmp_path):
    """ex.language("zh") prints labels, messages and hints in Chinese; unset, a kernel
    started in a folder named zh (the Chinese edition's) does the same."""
    from privlearn.exercises import _core

    monkeypatch.setattr(_core, "_LANGUAGE", [None])
    monkeypatch.delenv("PRIVLEARN_LANGUAGE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert ex03c.language() == "en"
    ex03c.q3.check(999_997)
    assert capsys.readouterr().out.startswith("Correct (q3 ")
    (tmp_path / "zh").mkdir()
    monkeypatch.chdir(tmp_path / "zh")
    assert ex03c.language() == "zh"
    ex03c.q3.check(5)
    ex03c.q3.hint()
    out = capsys.readouterr().out
    assert out.startswith("错误 (q3 ") and _CJK.search(out.splitlines()[1])
    monkeypatch.chdir(tmp_path)
    ex03c.language("zh")
    ex03c.q3.check(None)
    assert capsys.readouterr().out.startswith("未作答 (q3 ")
    with pytest.raises(ValueError, match="code must be one of"):
        ex03c.language("fr")


def test_check_prints_the_verdict(capsys):
    ex03b.q5.check(0.1)
    ex03b.q5.check(math.log(20) / 10)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Incorrect (q5") and out[1].startswith("Correct (q5")


def test_in_a_grading_kernel_check_defers_to_the_grader(monkeypatch, capsys):
    monkeypatch.setenv("PRIVLEARN_GRADING", "1")
    ex03b.q5.check(math.log(20) / 10)
    assert capsys.readouterr().out == "q5: your answer is read and checked by the grader\n"


def test_hint_and_solution_print(capsys):
    ex03b.q1.hint()
    ex03b.q1.solution()
    out = capsys.readouterr().out
    assert "Hint (q1)" in out and "rng.laplace" in out


# --- the questions that implement a chapter's core algorithm -------------------------------


def _fedavg_round(model, clients, lr, steps, weights=None, sequential=False):
    import copy

    states, sizes = [], []
    current = copy.deepcopy(model)
    for x, y in clients:
        local = current if sequential else copy.deepcopy(model)
        opt = torch.optim.SGD(local.parameters(), lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(local(x), y).backward()
            opt.step()
        states.append({k: v.clone() for k, v in local.state_dict().items()})
        sizes.append(len(y))
    if sequential:
        return states[-1]
    w = np.array(weights if weights is not None else sizes, dtype=float)
    return {k: sum(wi / w.sum() * s[k] for s, wi in zip(states, w, strict=True))
            for k in states[0]}


def _in_place_round(model, clients, lr, steps):  # trains global_model itself
    for x, y in clients:
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    return dict(model.state_dict())


def _dp_mean(v, lo, hi, e, rng, n=None, clip=True, scale=None):
    x = np.clip(v, lo, hi) if clip else v
    b = scale if scale is not None else (hi - lo) / (n or len(v)) / e
    return float(np.mean(x) + rng.laplace(0.0, b))


def _decrypt(p, q, c, lam=None, mu=True, mod_n2=True):
    import math

    n = p * q
    lam = lam or math.lcm(p - 1, q - 1)
    u = pow(c, lam, n * n if mod_n2 else n)
    return (u - 1) // n * (pow(lam, -1, n) if mu else 1) % n


CASES.update({
    ex03a.q5: {
        "right": lambda m, c, lr, s: _fedavg_round(m, c, lr, s),
        "also_right": [lambda m, c, lr, s: {k: v.numpy() for k, v in
                                            _fedavg_round(m, c, lr, s).items()},
                       lambda m, c, lr, s: {k: v.double() for k, v in
                                            _fedavg_round(m, c, lr, s).items()}],
        "wrong": [lambda m, c, lr, s: _fedavg_round(m, c, lr, s, weights=[1] * len(c)),
                  lambda m, c, lr, s: _fedavg_round(m, c, lr, s, sequential=True),
                  _in_place_round,                                    # trains the global model
                  lambda m, c, lr, s: _fedavg_round(m, c, lr, 1),     # one step, not `steps`
                  lambda m, c, lr, s: _fedavg_round(m, c, 0.1, s),    # ignores lr
                  lambda m, c, lr, s: dict(m.state_dict()),           # no training
                  lambda m, c, lr, s: list(_fedavg_round(m, c, lr, s).values())],
        "blank": _not_implemented,
    },
    ex03b.q6: {
        "right": _dp_mean,
        "also_right": [lambda v, lo, hi, e, rng: np.float32(_dp_mean(v, lo, hi, e, rng)),
                       lambda v, lo, hi, e, rng: (np.clip(v, lo, hi).sum()
                                                  + rng.laplace(0.0, (hi - lo) / e)) / len(v)],
        "wrong": [lambda v, lo, hi, e, rng: _dp_mean(v, lo, hi, e, rng, clip=False),
                  lambda v, lo, hi, e, rng: _dp_mean(v, lo, hi, e, rng, n=1),      # no /n
                  lambda v, lo, hi, e, rng: _dp_mean(v, lo, hi, e, rng, n=len(v) - 1),
                  lambda v, lo, hi, e, rng: _dp_mean(v, lo, hi, e, rng,
                                                     scale=hi / len(v) / e),   # upper only
                  lambda v, lo, hi, e, rng: _dp_mean(v[(v >= lo) & (v <= hi)], lo, hi, e,
                                                     rng, n=len(v)),           # drops them
                  lambda v, lo, hi, e, rng: float(np.clip(v, lo, hi).mean()),  # no noise
                  lambda v, lo, hi, e, rng: _dp_mean(v, lo, hi, e,
                                                     np.random.default_rng()),
                  # the sensitivity from the clipped data's own range
                  lambda v, lo, hi, e, rng: _dp_mean(v, lo, hi, e, rng, scale=np.ptp(
                      np.clip(v, lo, hi)) / len(v) / e),
                  lambda v, lo, hi, e, rng: _dp_mean(v, lo, hi, e, rng,
                                                     scale=(hi - lo) / len(v)),  # no ε
                  lambda v, lo, hi, e, rng: _dp_mean(v, lo, hi, e, rng,
                                                     scale=(hi - lo) / len(v) * e),
                  lambda v, lo, hi, e, rng: 44.5 + rng.laplace(0.0, 7.2)],  # one case typed in
        "blank": _not_implemented,
    },
    ex03c.q5: {
        "right": _decrypt,
        "also_right": [lambda p, q, c: _decrypt(p, q, c, lam=(p - 1) * (q - 1)),   # φ works
                       lambda p, q, c: gmpy2.mpz(_decrypt(p, q, c)),
                       lambda p, q, c: np.int64(_decrypt(p, q, c))],
        "wrong": [lambda p, q, c: _decrypt(p, q, c, mu=False),
                  lambda p, q, c: _decrypt(p, q, c, mod_n2=False),
                  lambda p, q, c: (d := _decrypt(p, q, c)) - p * q * (d > p * q // 2),
                  lambda p, q, c: c % (p * q),
                  lambda p, q, c: int((pow(c, math.lcm(p - 1, q - 1), (p * q) ** 2) - 1)
                                      / (p * q) * pow(math.lcm(p - 1, q - 1), -1, p * q)
                                      % (p * q))],                     # L with float division
        "blank": _not_implemented,
    },
})



# --- issue 15: the chapters' core algorithms ----------------------------------------------


def _fedprox(w_global, a, b, mu, lr, steps, anchor_moves=False, half=False, sign=1.0,
             start=None):
    w = np.array(w_global if start is None else start, dtype=float)
    anchor = np.array(w_global, dtype=float)
    for _ in range(steps):
        w = w - lr * (a @ (w - b) + sign * (0.5 if half else 1.0) * mu * (w - anchor))
        if anchor_moves:
            anchor = w
    return w


def _fedprox_torch(w_global, a, b, mu, lr, steps):
    w_t = torch.as_tensor(w_global)
    w = w_t.clone().requires_grad_(True)
    for _ in range(steps):      # autograd on the FedProx objective itself
        loss = 0.5 * (w - torch.as_tensor(b)) @ torch.as_tensor(a) @ (w - torch.as_tensor(b)) \
            + 0.5 * mu * ((w - w_t) ** 2).sum()
        (g,) = torch.autograd.grad(loss, w)
        w = (w - lr * g).detach().requires_grad_(True)
    return w.detach()


def _fedprox_in_place(w_global, a, b, mu, lr, steps):
    w = w_global                   # not a copy: the anchor moves with every step
    for _ in range(steps):
        w -= lr * (a @ (w - b) + mu * (w - w_global))
    return w


def _negacyclic(a, b, wrap=-1):
    n = len(a)
    full = np.convolve(np.asarray(a, dtype=object), np.asarray(b, dtype=object))
    out = list(full[:n])
    for k in range(n, len(full)):
        out[k - n] += wrap * full[k]
    return out


def _rlwe_decrypt(c0, c1, s, q, t, wrap=-1, rounding=True, minus=False):
    cs = _negacyclic(c1, s, wrap)
    phase = [(x + (-y if minus else y)) % q for x, y in zip(c0, cs, strict=True)]
    if rounding:
        return [((t * v + q // 2) // q) % t for v in phase]
    return [(t * v // q) % t for v in phase]


def _truncate_with_memory():
    """A cheat: remembers party 0's shares and, for party 1, finds the one that makes a
    small z (works only if all of party 0's calls come first, in order)."""
    seen = []

    def cheat(party, share, f):
        if party == 0:
            seen.append(share)
            return share >> f
        z0 = seen.pop(0) if seen else 0
        z = (z0 + share) % 2**64
        z = z - 2**64 if z >= 2**63 else z
        return ((z >> f) - (z0 >> f)) % 2**64

    return cheat


def _phase(c0, c1, s, q):
    return [(x + y) % q for x, y in zip(c0, _negacyclic(c1, s), strict=True)]


def _truncate(party, share, f):
    return share >> f if party == 0 else (2**64 - ((2**64 - share) >> f)) % 2**64


def _truncate_signed(party, share, f):   # both parties shift the signed share: also local
    # and right (the signed shares add up to z exactly unless they overflow, with
    # probability about |z|/2^64)
    signed = share - 2**64 if share >= 2**63 else share
    return (signed >> f) % 2**64


def _psi(my_ids, returned, their_blinded, a, p):
    theirs = {pow(v, a, p) for v in their_blinded}
    return [x for x, r in zip(my_ids, returned, strict=True) if r in theirs]


CASES.update({
    ex03a.q6: {
        "right": _fedprox,
        "also_right": [_fedprox_torch,
                       lambda w, a, b, mu, lr, k: _fedprox(w, a, b, mu, lr, k).tolist(),
                       lambda w, a, b, mu, lr, k: _fedprox(w, a, b, mu, lr, k).astype(np.float32)],
        "wrong": [lambda w, a, b, mu, lr, k: _fedprox(w, a, b, mu, lr, k, anchor_moves=True),
                  lambda w, a, b, mu, lr, k: _fedprox(w, a, b, mu, lr, k, half=True),
                  lambda w, a, b, mu, lr, k: _fedprox(w, a, b, mu, lr, k, sign=-1.0),
                  lambda w, a, b, mu, lr, k: _fedprox(w, a, b, mu, lr, 1),
                  lambda w, a, b, mu, lr, k: _fedprox(w, a, b, mu, lr, k, start=np.zeros_like(w)),
                  lambda w, a, b, mu, lr, k: _fedprox(w, a, b, 0.0, lr, k),      # no mu
                  _fedprox_in_place,
                  lambda w, a, b, mu, lr, k: _fedprox(w, a, b, mu, lr, k)[:-1]],
        "blank": _not_implemented,
    },
    ex03c.q6: {
        "right": _rlwe_decrypt,
        "also_right": [lambda *args: np.array(_rlwe_decrypt(*args), dtype=np.int64),
                       lambda *args: tuple(gmpy2.mpz(v) for v in _rlwe_decrypt(*args)),
                       # the phase centred in (−q/2, q/2], then divided by Δ and rounded
                       lambda c0, c1, s, q, t: [round(((v + q // 2) % q - q // 2) / (q // t)) % t
                                                for v in _phase(c0, c1, s, q)]],
        "wrong": [lambda *args: _rlwe_decrypt(*args, wrap=+1),
                  lambda c0, c1, s, q, t: [((v + 2**15) >> 16) % t for v in _phase(c0, c1, s, q)],
                  lambda c0, c1, s, q, t: [(t * v / q + 0.5) % t for v in _phase(c0, c1, s, q)],
                  lambda *args: [str(v) for v in _rlwe_decrypt(*args)],
                  lambda c0, c1, s, q, t: [((t * ((x + y * z) % q) + q // 2) // q) % t
                                           for x, y, z in zip(c0, c1, s, strict=True)],  # 1 by 1
                  lambda *args: _rlwe_decrypt(*args, minus=True),
                  lambda *args: _rlwe_decrypt(*args, rounding=False),
                  lambda c0, c1, s, q, t: [v % t for v in c0],                 # c0 alone
                  lambda c0, c1, s, q, t: _phase(c0, c1, s, q),                # not decoded
                  lambda c0, c1, s, q, t: _rlwe_decrypt(c0, c1, s, q, t)[:-1]],
        "blank": _not_implemented,
    },
    ex03d.q5: {
        "right": _truncate,
        "also_right": [lambda party, share, f: np.uint64(_truncate(party, share, f)),
                       lambda party, share, f: _truncate(1 - party, share, f),   # roles swapped
                       lambda party, share, f: share // 2**f if party == 0
                       else (2**64 - (2**64 - share) // 2**f) % 2**64,
                       _truncate_signed],     # both shift the signed share (CrypTen's rule)
        "wrong": [lambda party, share, f: share >> f,                        # both floor
                  lambda party, share, f: (share >> f if party == 0               # no % 2^64:
                                           else 2**64 - ((2**64 - share) >> f)),  # 2^64 at 0
                  _truncate_with_memory(),                  # party 1 peeks at party 0's calls
                  lambda party, share, f: share,                             # not truncated
                  lambda party, share, f: share / 2**f,                      # a float
                  lambda party, share, f: _truncate(party, share, f + 1),
                  lambda party, share, f: (2**64 - _truncate(party, share, f)) % 2**64],
        "blank": _not_implemented,
    },
    ex05.q5: {
        "right": _psi,
        "also_right": [lambda *args: tuple(_psi(*args)),
                       lambda *args: sorted(_psi(*args), reverse=True),
                       lambda *args: np.array(_psi(*args), dtype=np.int64)],
        "wrong": [lambda ids, ret, theirs, a, p: [x for x, r in zip(ids, ret, strict=True)
                                                  if r in set(theirs)],           # not reblinded
                  lambda *args: len(_psi(*args)),
                  lambda ids, ret, theirs, a, p: [i for i, x in enumerate(ids)
                                                   if x in _psi(ids, ret, theirs, a, p)],
                  lambda ids, ret, theirs, a, p: [x for x in ids
                                                  if x not in _psi(ids, ret, theirs, a, p)],
                  lambda ids, ret, theirs, a, p: list(ids),
                  lambda *args: set(_psi(*args)),           # a set cannot be sent: named
                  lambda *args: _psi(*args) * 2,            # each id twice
                  lambda *args: [str(x) for x in _psi(*args)],
                  lambda ids, ret, theirs, a, p: [
                      x for x, r, v in zip(ids, ret, theirs, strict=False)
                      if r == pow(v, a, p)],                               # by position
                  lambda ids, ret, theirs, a, p: [pow(v, a, p) for v in theirs]],
        "blank": _not_implemented,
    },
})


_PARAMETRISED = list(CASES)


@pytest.mark.parametrize("question", _PARAMETRISED, ids=lambda q: f"{q.exercise}.{q.name}")
def test_checker_right_wrong_blank(question):
    """Parametrised here, after the last CASES.update: every question's cases are run
    (test_every_question_of_every_exercise_is_covered_here checks CASES is complete)."""
    case = CASES[question]
    results = []
    for answer in [case["right"], *case.get("also_right", [])]:
        right = question.evaluate(answer)
        assert right.status == CORRECT, (answer, right.message)
        assert right.message.startswith("these checks passed")
        assert right.text("zh").startswith("以下检查已通过"), right.message_zh
        results.append(right)
    for wrong in case["wrong"]:
        result = question.evaluate(wrong)
        assert result.status == INCORRECT, (wrong, result)
        assert result.message
        results.append(result)
    blank = question.evaluate(case["blank"])
    assert blank.status == NOT_ATTEMPTED
    # the Chinese edition: every message the checker gave, and the hint, also in Chinese
    for result in [*results, blank]:
        assert result.message_zh and _CJK.search(result.message_zh), result.message
    assert question._hint_zh and _CJK.search(question._hint_zh)


# --- graded hand-outs: per-student values ------------------------------------------------


def _eps_rdp(v):
    from privlearn.dp import RDPAccountant

    acc = RDPAccountant()
    acc.step(noise_multiplier=v["noise"], sample_rate=v["batch"] / v["n"],
             steps=round(v["epochs"] * v["n"] / v["batch"]))
    return acc.get_epsilon(1e-5)


def _beaver_z0(v):
    return v["c0"] + v["d"] * v["b0"] + v["e"] * v["a0"] + v["d"] * v["e"]


def _paillier_c(v):
    n = v["p"] * v["q"]
    return gmpy2.powmod(n + 1, v["m"], n * n) * gmpy2.powmod(v["r"], n, n * n) % (n * n)


#: a right answer computed from a student's values, written here independently of the
#: checkers (numpy/gmpy2/library calls where the checker does arithmetic)
VARIANT_ORACLES = {
    ex01.q3: lambda v: v["total"] - v["excluding"],
    ex01.q4: lambda v: math.sqrt(2 * stats.laplace(scale=v["sensitivity"] / v["epsilon"]).var()),
    ex03a.q1: lambda v: np.array(v["sizes"], dtype=np.float32) / np.float32(sum(v["sizes"])),
    ex03b.q2: lambda v: analytic_gaussian_sigma(sensitivity=v["upper"], epsilon=v["epsilon"],
                                                delta=v["delta"]),
    ex03b.q3: lambda v: (v["k"] * v["epsilon"],
                         advanced_composition(epsilon=v["epsilon"], delta=v["delta"],
                                              k=v["k"], delta_slack=v["delta_slack"])[0]),
    ex03b.q5: lambda v: -math.log(1 - v["confidence"]) / v["error"],
    # the privacy region's edges solved for TPR, written from the two inequalities
    ex03b.q8: lambda v: tuple(float(np.min([1.0, np.exp(v["epsilon"]) * f + v["delta"],
                                            1 - (1 - v["delta"] - f) / np.exp(v["epsilon"])]))
                              for f in (v["fpr_low"], v["fpr_high"])),
    ex03c.q1: _paillier_c,
    ex03c.q3: lambda v: int(np.mod(np.rint(v["x"] / v["precision"]), v["n"])),
    ex03c.q4: lambda v: math.ceil(math.log2(2 * v["max_abs"] * v["summands"] + 1)),
    ex03d.q3: lambda v: np.uint64(_beaver_z0(v)),
    ex03d.q4: lambda v: v["m02"] + v["m12"] - 2**64,   # the same class mod 2^64
    # rounded half up, as a student would: a draw ending in .5 (where Python's round goes to
    # the even neighbour) would make this disagree with the checker
    ex04.q3: lambda v: (v["batch"] / v["n"], math.floor(v["epochs"] * v["n"] / v["batch"] + 0.5)),
    ex04.q4: _eps_rdp,
    ex05.q1: lambda v: (0.5, 1 / (v["e_epsilon"] + 1)),
    ex05.q3: lambda v: float(torch.func.grad(
        lambda u: math.log(2) - v["y"] * u / 2 + u**2 / 8)(torch.tensor(v["u"]))),
    ex07.q2: lambda v: (math.expm1(v["epsilon"]) + 2 * v["delta"]) / (math.exp(v["epsilon"]) + 1),
}
STUDENTS = ["alice", "Bob Smith", "张伟", "s1234567", "zoë", "x", "team-7", "O'Brien"]


def test_every_question_with_numbers_has_variants():
    varied = {q for q in CASES if q.params is not None}
    assert varied == set(VARIANT_ORACLES)
    # the questions left the same for everyone have answers guessed in a few tries (a
    # count of 8 people, a verdict, a choice from 5 printed values) or are functions,
    # which the checkers call with inputs of their own
    fixed = {f"{q.exercise}.{q.name}" for q in CASES if q.params is None and not q.function}
    assert fixed == {"ex01.q1", "ex01.q6", "ex03a.q3", "ex05.q4", "ex07.q3"}


@pytest.mark.parametrize("question", list(VARIANT_ORACLES), ids=lambda q: f"{q.exercise}.{q.name}")
def test_each_student_works_their_own_numbers(question):
    oracle = VARIANT_ORACLES[question]
    course_answer = CASES[question]["right"]
    assert question.evaluate(oracle(question.params.default)).status == CORRECT
    seen = set()
    for student in STUDENTS:
        mine = question.for_student(student)
        assert mine.values != question.params.default
        assert question.for_student(f"  {student.upper()} ").values == mine.values
        seen.add(repr(dict(mine.values)))
        right = oracle(mine.values)
        result = mine.evaluate(right)
        assert result.status == CORRECT, (student, dict(mine.values), result.message)
        # the course's answer (as in the solution notebook) does not carry over, and the
        # feedback does not give the student's right answer away
        wrong = mine.evaluate(course_answer)
        assert wrong.status == INCORRECT, (student, dict(mine.values))
        for x in np.ravel(np.asarray(right, dtype=float)):
            shown = re.escape(f"{x:.4g}")
            assert not re.search(rf"(?<![\d.]){shown}(?![\d.])", wrong.message), \
                (student, wrong.message)
    assert len(seen) >= 4  # eight students, not all alike


SWEEP = [f"student-{i}" for i in range(150)]


@pytest.mark.parametrize("question", list(VARIANT_ORACLES), ids=lambda q: f"{q.exercise}.{q.name}")
def test_no_draw_makes_the_course_answer_right_or_the_question_ill_posed(question):
    """150 ids per question: an independent right answer passes, the course's answer
    fails (a draw can differ from the course's values and still have its answer, as
    advanced composition's ε ignores δ), and two students rarely share an answer."""
    oracle, course = VARIANT_ORACLES[question], CASES[question]["right"]
    answers = []
    for student in SWEEP:
        mine = question.for_student(student)
        right = oracle(mine.values)
        assert mine.evaluate(right).status == CORRECT, (student, dict(mine.values))
        assert mine.evaluate(course).status == INCORRECT, (student, dict(mine.values))
        answers.append(question.params.answer(mine.values))
    # the chance that a copied answer is right: two students' answers agree (a number of
    # bits, ex03c q4's answer, has few values: about 1 pair in 5 shares it)
    fingerprints = [repr(np.round(np.asarray(a, dtype=float), 6).tolist()) for a in answers]
    shared = sum(a == b for i, a in enumerate(fingerprints) for b in fingerprints[i + 1:])
    pairs = len(answers) * (len(answers) - 1) // 2
    assert shared / pairs < (0.25 if question is ex03c.q4 else 0.01), shared / pairs


def test_a_graded_handout_has_no_solutions_and_shows_the_students_values(capsys):
    from privlearn.exercises import graded

    ex = graded("ex03b", "Alice")
    assert ex.student == "alice" and ex.q2.values == ex03b.q2.for_student("alice").values
    assert ex.q1.values == {} and ex.QUESTIONS[1].values == ex.q2.values
    ex.q2.solution()
    ex.q2.show()
    ex.q1.show()
    out = capsys.readouterr().out
    assert "not available in a graded notebook" in out
    assert "analytic_gaussian_sigma" not in out
    assert f"upper = {ex.q2.values['upper']!r}" in out and "student 'alice'" in out
    assert "q1 has no numbers of its own" in out
    assert ex.EXERCISE == "ex03b"   # module names pass through
    # q3 and q4 of ex04 are one setting: the same n, batch and epochs
    ex4 = graded("ex04", "Alice")
    assert {k: ex4.q4.values[k] for k in ex4.q3.values} == dict(ex4.q3.values)
    for bad, error in ((("ex99", "a"), ValueError), (("ex03b", ""), ValueError),
                       (("ex03b", "   "), ValueError), (("ex03b", 7), TypeError)):
        with pytest.raises(error, match=r"student|exercise"):
            graded(*bad)


# --- student notebooks -------------------------------------------------------------------

SOLUTIONS = sorted((ROOT / "exercises" / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_student_notebooks_are_in_sync(solution):
    student = ROOT / "exercises" / solution.name
    assert student.exists(), f"run: python -m privlearn.course build-exercises ({student})"
    expected = student_version(nbformat.read(solution, as_version=4))
    actual = nbformat.read(student, as_version=4)
    assert [(c.cell_type, c.source) for c in actual.cells] == \
        [(c.cell_type, c.source) for c in expected.cells], \
        "out of sync: run python -m privlearn.course build-exercises"
    for cell in actual.cells:
        assert "BEGIN SOLUTION" not in cell.source
        assert cell.cell_type != "code" or not cell.outputs


def test_solution_blocks_become_placeholders():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x\n"
                                  "    ### END SOLUTION\n\nq.check(f)"),
        nbformat.v4.new_code_cell("a = None\n### BEGIN SOLUTION\na = 3\n### END SOLUTION\n"
                                  "q.check(a)"),
        nbformat.v4.new_code_cell("q.solution()"),
    ])
    out = student_version(nb)
    assert [c.source for c in out.cells] == [
        "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError\n\nq.check(f)",
        "a = None\n# YOUR CODE HERE\nq.check(a)",
    ]


@pytest.mark.parametrize("source", ["### BEGIN SOLUTION\nx = 1",
                                    "x = 1\n### END SOLUTION",
                                    "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"])
def test_unbalanced_markers_are_refused(source):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    with pytest.raises(ValueError, match="SOLUTION"):
        student_version(nb)


# --- the power of the statistical checks ----------------------------------------------


def test_the_power_stated_in_the_docstrings():
    from privlearn.exercises._checks import laplace_test_power, uniform_bits_test_power

    power = laplace_test_power(8000, 5e-7)  # ex03b q1: two settings at 5e-7 each
    assert power["scale x0.9"] < 2e-5 and power["scale x1.1"] < 6e-4  # ±10%: >= 0.999
    assert power["shift 0.1b"] < 7e-4 and power["truncated at 5b"] == 0.0
    assert power["exact 1%"] < 1e-30
    assert uniform_bits_test_power(1200) < 1.1e-6  # ex03d q1: 400 sharings into 3


def test_the_laplace_check_against_right_and_wrong_samplers():
    """Seeded simulation of what the power computation predicts: 100 right samples all
    pass (false-reject rate 5e-7 each), and of 100 samples of each wrong kind at most 2
    pass (each is missed with probability <= 6.1e-4: P(3 or more of 100) < 4e-6)."""
    from privlearn.exercises._checks import expect_laplace
    from privlearn.exercises._core import Incorrect

    rng = np.random.default_rng(20261126)
    samplers = {
        "right": lambda: rng.laplace(3.0, 4.0, 8000),
        "x0.9": lambda: rng.laplace(3.0, 3.6, 8000),
        "x1.1": lambda: rng.laplace(3.0, 4.4, 8000),
        "shift": lambda: rng.laplace(3.4, 4.0, 8000),
        "gaussian": lambda: rng.normal(3.0, 4.0 * math.sqrt(math.pi / 2), 8000),  # same E|x|
    }
    for name, draw in samplers.items():
        failures = 0
        for _ in range(100):
            try:
                expect_laplace(draw(), 3.0, 4.0, "x", alpha=5e-7)
            except Incorrect:
                failures += 1
        assert failures == 0 if name == "right" else failures >= 98, (name, failures)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_graded_handouts_reveal_no_answer(solution):
    from privlearn.exercises import questions

    source = nbformat.read(solution, as_version=4)
    exercise = source.metadata.privlearn.exercise
    varied = {q.name for q in questions(exercise) if q.params is not None}
    nb = student_version(source, graded=True)
    assert nb.metadata.privlearn == {"exercise": exercise, "graded": True}
    text = "\n".join(c.source for c in nb.cells)
    assert "## Summary" not in text and ".solution()" not in text
    assert "data-var" not in text and "BEGIN SOLUTION" not in text
    assert 'STUDENT = ""' in text and f'ex = graded("{exercise}", STUDENT)' in text
    shown = {c.metadata.privlearn.question for c in nb.cells
             if c.cell_type == "code" and c.source.startswith("ex.q")
             and ".show()" in c.source.splitlines()[0]}
    assert shown == varied
    # every number a student's values change is shown by name, not by its course value
    for cell in source.cells:
        for q, name, _ in re.findall(r'<span data-var="(q\d+)\.(\w+)">(.*?)</span>', cell.source):
            assert q in varied and f"`{name}`" in text
    # the self-study notebook shows the course's numbers, without the markup
    assert "data-var" not in "\n".join(c.source for c in student_version(source).cells)


def test_a_marked_number_must_be_the_questions_value():
    nb = nbformat.read(SOLUTIONS[2], as_version=4)   # ex03b
    cell = next(c for c in nb.cells if 'data-var="q2.upper">5<' in c.source)
    cell.source = cell.source.replace('data-var="q2.upper">5<', 'data-var="q2.upper">6<')
    with pytest.raises(ValueError, match=r"course's value of q2.upper is 5.0"):
        student_version(nb)
    cell.source = cell.source.replace('data-var="q2.upper">6<', 'data-var="q2.nope">5<')
    with pytest.raises(ValueError, match=r"does not declare"):
        student_version(nb)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_notebooks_carry_nbgrader_metadata(solution):
    from privlearn.exercises import questions

    nb = nbformat.read(solution, as_version=4)
    qs = {q.name: q for q in questions(nb.metadata.privlearn.exercise)}
    seen = []
    for cell, after in zip(nb.cells, [*nb.cells[1:], None], strict=True):
        meta = cell.metadata.get("nbgrader")
        question = cell.metadata.get("privlearn", {}).get("question")
        if question is None:
            assert "BEGIN SOLUTION" not in cell.source   # nbgrader refuses the region
            assert meta is None or (meta["grade"] and not meta["solution"])
            continue
        seen.append(question)
        q = qs[question]
        assert meta == {"grade": False, "grade_id": f"{q.name}-answer", "locked": False,
                        "schema_version": 3, "solution": True, "task": False}
        assert after.metadata.nbgrader == {
            "grade": True, "grade_id": f"{q.name}-check", "locked": True,
            "points": q.points, "schema_version": 3, "solution": False, "task": False}
        assert after.source == f"ex.{q.name}.assert_correct({q.answer})"
    assert seen == list(qs)


def test_assert_correct_raises_unless_the_check_passes(monkeypatch, capsys):
    ex03b.q5.assert_correct(math.log(20) / 10)
    assert capsys.readouterr().out == ""
    for wrong in (None, 0.1, "0.3"):
        with pytest.raises(AssertionError, match=r"^(Incorrect|Not attempted) \(q5"):
            ex03b.q5.assert_correct(wrong)
    monkeypatch.setenv("PRIVLEARN_GRADING", "1")   # the grader decides, outside the kernel
    ex03b.q5.assert_correct(0.1)


def test_build_exercises_writes_graded_handouts(tmp_path, capsys):
    from privlearn.course import main

    assert main(["build-exercises", "--graded", "--out-dir", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert written == [p.name for p in SOLUTIONS]
    for path in tmp_path.glob("*.ipynb"):
        assert nbformat.read(path, as_version=4).metadata.privlearn.graded is True
    with pytest.raises(SystemExit) as exc:   # never over the self-study notebooks
        main(["build-exercises", "--graded"])
    assert exc.value.code == 2
    assert "--graded needs --out-dir" in capsys.readouterr().err


def test_a_generator_answer_may_spawn_children():
    """rng.spawn() starts from the generator's seed sequence, which travels with it: two
    identically seeded generators spawn identical children in the check too."""
    def spawned(v, s, e, rng):
        return v + rng.spawn(1)[0].laplace(0.0, s / e)

    assert ex03b.q1.evaluate(spawned).status == CORRECT


def test_repeated_calls_get_fresh_arguments_and_share_one_generator():
    """StudentFunction.repeat sends the arguments once; each call still gets its own copy
    (a function that clips its input in place does not change the next call's), and a
    generator among them is one generator (the calls draw a stream, not one number)."""
    from privlearn.exercises._core import LocalFunction

    def clip_in_place(values, rng):
        total = float(values.sum())
        np.clip(values, 0, 1, out=values)
        return total + rng.random()

    values = np.array([5.0, -3.0, 0.5])
    got = LocalFunction(clip_in_place).repeat((values, np.random.default_rng(3)), 4)
    draws = np.random.default_rng(3).random(4)
    assert got == pytest.approx(2.5 + draws)
    assert values.tolist() == [5.0, -3.0, 0.5]
