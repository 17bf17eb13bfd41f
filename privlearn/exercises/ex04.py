"""Checkers for ``ex04_best_practice``.

q1 train the client's own model; q2 per-example clipping; q3 the sampling rate and
steps; q4 read ε off the accountant.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..dp import RDPAccountant
from ._checks import expect_close, expect_number
from ._core import Incorrect, Question, call_student

EXERCISE = "ex04"

# ---------------------------------------------------------------- q1 the fixed client_train


def _tiny_task(seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 5, generator=g)
    y = (x[:, 0] > 0).long()
    model = nn.Linear(5, 2)
    with torch.no_grad():
        model.weight.copy_(torch.randn(2, 5, generator=g) * 0.01)
        model.bias.zero_()
    return model, x, y


def _check_q1(fn) -> str:
    model, x, y = _tiny_task(0)
    with torch.no_grad():
        loss_before = nn.functional.cross_entropy(model(x), y).item()
    call_student(fn, model, x, y, 0.5)
    with torch.no_grad():
        loss_after = nn.functional.cross_entropy(model(x), y).item()
    if loss_after >= loss_before - 1e-6:
        raise Incorrect("the model you were given did not improve: build the optimiser over "
                        "model.parameters(), the model being trained")
    return (f"these checks passed: the loss of the model you were given fell from "
            f"{loss_before:.3f} to {loss_after:.3f}")


q1 = Question(
    EXERCISE, "q1", title="train the client's own model", checker=_check_q1,
    hint="Create the optimiser inside the function, over the parameters of the model you "
         "are training, then run a few steps of zero_grad / loss / backward / step.",
    solution="""
        def client_train_fixed(model, x, y, lr):
            optimizer = torch.optim.SGD(model.parameters(), lr=lr)
            for _ in range(20):
                optimizer.zero_grad()
                nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
    """,
)

# ---------------------------------------------------------------- q2 per-example clipping


def _check_q2(fn) -> str:
    g = torch.Generator().manual_seed(3)
    grads = torch.randn(50, 7, generator=g) * torch.linspace(0.01, 5, 50)[:, None]
    grads[10] = 0.0
    original = grads.clone()
    got = call_student(fn, grads, 1.0)
    if not torch.equal(grads, original):
        raise Incorrect("your function changed its input; return a new tensor")
    got = torch.as_tensor(got)
    if got.shape != grads.shape:
        raise Incorrect(f"return one clipped gradient per row: shape {tuple(grads.shape)}, "
                        f"got {tuple(got.shape)}")
    if not torch.isfinite(got).all():
        raise Incorrect("an all-zero gradient must stay zero, not become NaN: guard the "
                        "division")
    norms = original.norm(dim=1, keepdim=True)
    right = original * torch.clamp(1.0 / norms.clamp_min(1e-12), max=1.0)
    total_clip = original * min(1.0, 1.0 / original.norm().item())
    if torch.allclose(got, total_clip, atol=1e-6):
        raise Incorrect("this clips the whole batch at once; DP-SGD clips each example "
                        "(each row) separately")
    if torch.allclose(got, original / norms.clamp_min(1e-12), atol=1e-6):
        raise Incorrect("rows shorter than the bound must be left as they are: scale by "
                        "min(1, C / norm), not C / norm")
    if not torch.allclose(got, right, atol=1e-6):
        raise Incorrect("some rows are not g · min(1, C / ||g||)")
    return "these checks passed: each row scaled by min(1, C/||row||), zero rows kept at zero"


q2 = Question(
    EXERCISE, "q2", title="per-example clipping", checker=_check_q2,
    hint="Row norms: grads.norm(dim=1, keepdim=True). Factor: min(1, C / norm); "
         "torch.clamp(..., max=1.0) does the min. Avoid dividing by zero.",
    solution="""
        def clip_rows(grads, max_norm):
            norms = grads.norm(dim=1, keepdim=True)
            return grads * torch.clamp(max_norm / (norms + 1e-12), max=1.0)
    """,
)

# ---------------------------------------------------------------- q3 sampling rate and steps

_Q3 = {"n": 60_000, "batch": 256, "epochs": 15}


def _check_q3(answer) -> str:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Incorrect("answer with a pair (sample_rate, steps)")
    q = expect_number(answer[0], "sample_rate")
    steps = expect_number(answer[1], "steps")
    right_q = _Q3["batch"] / _Q3["n"]
    right_steps = round(_Q3["epochs"] * _Q3["n"] / _Q3["batch"])
    if math.isclose(q, _Q3["batch"]):
        raise Incorrect("the sampling rate is a probability: batch size / data set size")
    expect_close(q, right_q, "sample_rate", rel=1e-9)
    if steps == _Q3["epochs"]:
        raise Incorrect("steps counts batches, not epochs: epochs · n / batch size")
    if abs(steps - right_steps) > 1:
        raise Incorrect(f"steps is {steps:g}; an epoch is n / batch size ≈ "
                        f"{_Q3['n'] / _Q3['batch']:.1f} steps")
    return f"these checks passed: q = 256/60000 ≈ {right_q:.5f}, about {right_steps} steps"


q3 = Question(
    EXERCISE, "q3", title="sampling rate and number of steps", checker=_check_q3,
    hint="With Poisson sampling each example is in a batch with probability q = B / n; "
         "one epoch is n / B steps.",
    solution="""
        sample_rate = 256 / 60_000
        steps = round(15 * 60_000 / 256)
        answer = (sample_rate, steps)
    """,
)

# ---------------------------------------------------------------- q4 read epsilon


def _right_q4() -> tuple[float, float]:
    acc = RDPAccountant()
    acc.step(noise_multiplier=1.1, sample_rate=256 / 60_000, steps=round(15 * 60_000 / 256))
    return acc.get_epsilon(1e-5), acc.get_epsilon(1e-5, method="classic")


def _check_q4(answer) -> str:
    eps = expect_number(answer, "epsilon")
    improved, classic = _right_q4()
    if math.isclose(eps, classic, rel_tol=1e-3):
        raise Incorrect("that is the classic conversion; the question asks for the default "
                        "(improved) one")
    if not math.isclose(eps, improved, rel_tol=1e-3):
        raise Incorrect(f"epsilon = {eps:.4g} is not what the accountant gives for these "
                        "settings; check the sampling rate and the number of steps")
    return f"these checks passed: epsilon ≈ {improved:.3f} at delta = 1e-5"


q4 = Question(
    EXERCISE, "q4", title="read epsilon off the accountant", checker=_check_q4,
    hint="RDPAccountant().step(noise_multiplier=..., sample_rate=..., steps=...), then "
         ".get_epsilon(1e-5).",
    solution="""
        acc = RDPAccountant()
        acc.step(noise_multiplier=1.1, sample_rate=256 / 60_000, steps=round(15 * 60_000 / 256))
        epsilon = acc.get_epsilon(1e-5)
    """,
)

QUESTIONS = (q1, q2, q3, q4)
