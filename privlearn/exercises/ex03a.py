"""Checkers for ``ex03a_federated_learning``.

q1 the FedAvg weights n_i/n; q2 write the weighted aggregation of state dicts; q3 what
the article's aggregation returns; q4 rounds to a target accuracy; q5 write one whole
FedAvg round (local training on each client, then the weighted average); q6 write
FedProx's local update (gradient steps with the proximal term).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..fl import fedavg
from ._checks import close_to, expect_number, fresh_rng
from ._core import Incorrect, Question, call_student
from ._reference import full_batch_sgd
from ._variants import Params

EXERCISE = "ex03a"

# ---------------------------------------------------------------- q1 weights

def _draw_q1(rng) -> dict:
    while True:
        sizes = [rng.randrange(2, 60) * 5 for _ in range(3)]
        if len(set(sizes)) == 3:
            return {"sizes": sizes}


def _right_q1(v) -> list[float]:
    return [n / sum(v["sizes"]) for n in v["sizes"]]


def _check_q1(answer, v) -> str:
    try:
        w = np.asarray(answer, dtype=float)
    except (TypeError, ValueError) as exc:
        raise Incorrect("answer with a list or array of three numbers") from exc
    if w.shape != (3,):
        raise Incorrect(f"answer with one weight per client (3), got shape {w.shape}")
    sizes = np.array(v["sizes"], dtype=float)
    right = _right_q1(v)
    if all(close_to(a, b) for a, b in zip(w, right, strict=True)):  # 4 significant digits
        return "these checks passed: n_i / n, " + ", ".join(f"{x:.4g}" for x in right)
    if np.allclose(w, 1 / 3):
        raise Incorrect("equal weights ignore how much data each client holds")
    if np.allclose(w, sizes):
        raise Incorrect(f"these are the counts n_i; divide by n = {sizes.sum():g} so the "
                        "weights sum to 1")
    raise Incorrect("the weights are not n_i / n (to 4 significant digits)")


q1 = Question(
    EXERCISE, "q1", title="the FedAvg weights",
    answer="weights", checker=_check_q1,
    params=Params({"sizes": [120, 30, 50]}, _draw_q1, answer=_right_q1),
    hint="The objective is Σ (n_i / n) L_i(w): each client's weight is its share of all "
         "the training examples.",
    solution="""
        sizes = np.array([120, 30, 50])
        weights = sizes / sizes.sum()
    """,
)

# ---------------------------------------------------------------- q2 aggregation


def _random_states(k: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    return [{"fc.weight": torch.randn(4, 3, generator=g), "fc.bias": torch.randn(4, generator=g)}
            for _ in range(k)]


def _check_q2(fn) -> str:
    rng = fresh_rng()
    random = (5, [int(n) for n in rng.integers(1, 500, 5)], int(rng.integers(2**32)))
    for k, sizes, seed in ((3, [120, 30, 50], 0), (2, [1, 1], 1), (4, [5, 0, 7, 1], 2), random):
        states = _random_states(k, seed)
        call = fn.call(states, sizes)
        got, after = call.value, call.args[0]
        if not isinstance(got, dict) or set(got) != set(states[0]):
            raise Incorrect("return a dict with the same keys as each client's state dict")
        if not isinstance(after, list) or len(after) != len(states) or any(
                not isinstance(c, dict) or set(c) != set(s)
                for s, c in zip(states, after, strict=True)):
            raise Incorrect("your function changed the list of client states it was given")
        for s, c in zip(states, after, strict=True):
            if any(not torch.equal(s[key], torch.as_tensor(c[key])) for key in s):
                raise Incorrect("your function changed a client's tensors: build new ones "
                                "instead (torch.zeros_like). Writing into a tensor that is "
                                "still to be read is also what breaks the article's "
                                "aggregation, which zeroes a parameter, then reads it "
                                "(notebook 04, bug 3)")
        right = fedavg(states, sizes)
        for key in right:
            val = torch.as_tensor(got[key])
            if val.shape != right[key].shape:
                raise Incorrect(f"{key!r} has shape {tuple(val.shape)}, expected "
                                f"{tuple(right[key].shape)}")
            if torch.allclose(val.double(), torch.stack([s[key] for s in states]).double()
                              .mean(0), atol=1e-6) and len(set(sizes)) > 1:
                raise Incorrect("this is the plain mean: weight each client by n_i / n")
            if not torch.allclose(val.double(), right[key].double(), atol=1e-5):
                raise Incorrect(f"{key!r} is not the weighted average for sizes {sizes}")
    return ("these checks passed: the weighted average matches privlearn.fl.fedavg on three "
            "fixed cases and a random one, and the inputs are left untouched")


q2 = Question(
    EXERCISE, "q2", title="the weighted aggregation",
    answer="aggregate", function=True, checker=_check_q2,
    hint="For each key, Σ_i (n_i / n) · states[i][key]. Start each sum from a new tensor "
         "(torch.zeros_like) rather than from one of the inputs.",
    solution="""
        def aggregate(states, sizes):
            n = sum(sizes)
            return {key: sum(size / n * s[key] for s, size in zip(states, sizes))
                    for key in states[0]}
    """,
)

# ---------------------------------------------------------------- q3 the article's aggregation


def _check_q3(answer) -> str:
    value = expect_number(answer, "your answer")
    if math.isclose(value, 0.0, abs_tol=1e-12):
        return ("these checks passed: 0. The parameter is zeroed, then n_i/n times that zero "
                "is added once per client")
    if math.isclose(value, 3.0):
        raise Incorrect("3.0 would be right for a correct average of identical models; look "
                        "at what `param.data` holds after `param.data.zero_()`")
    raise Incorrect(f"{value:g} is not what the code computes; run it in your head line by "
                    "line, starting with `param.data.zero_()`")


q3 = Question(
    EXERCISE, "q3", title="what the article's aggregation returns",
    answer="value", checker=_check_q3,
    hint="`param.data.zero_()` sets the parameter to 0. What is `x / n * param.data` then?",
    solution="""
        value = 0.0   # zero_() first, then only multiples of that zero are added
    """,
)

# ---------------------------------------------------------------- q4 rounds to target

_Q4_CASES = (
    ([0.2, 0.5, 0.85, 0.84, 0.9], 0.85, 3),
    ([0.2, 0.5, 0.6], 0.85, None),
    ([0.9, 0.95], 0.9, 1),
    ([0.1, 0.899999, 0.9], 0.9, 3),
)


def _first_round(accuracies, target) -> int | None:
    reached = np.flatnonzero(np.asarray(accuracies) >= target)
    return int(reached[0]) + 1 if reached.size else None


def _check_q4(fn) -> str:
    rng = fresh_rng()
    history = np.round(np.cumsum(rng.uniform(-0.02, 0.08, 12)) + 0.3, 3).tolist()
    goal = float(rng.choice(history)) if rng.random() < 0.8 else 0.999
    for acc, target, right in (*_Q4_CASES, (history, goal, _first_round(history, goal))):
        got = call_student(fn, list(acc), target)
        if right is None and got is not None:
            raise Incorrect(f"for {acc} the target {target} is never reached: return None, "
                            f"got {got!r}")
        if right is not None and got == right - 1:
            raise Incorrect("rounds are counted from 1: the first round is round 1")
        if got != right:
            raise Incorrect(f"for accuracies {acc} and target {target} your function "
                            f"returned {got!r}, which is not the first round at or above it")
    return ("these checks passed: first round at or above the target, counted from 1; None if "
            "never (fixed cases and a random history)")


q4 = Question(
    EXERCISE, "q4", title="rounds to a target accuracy",
    answer="rounds_to", function=True, checker=_check_q4,
    hint="Walk through the list with enumerate(..., start=1) and return at the first "
         "accuracy >= target.",
    solution="""
        def rounds_to(accuracies, target):
            for r, acc in enumerate(accuracies, start=1):
                if acc >= target:
                    return r
            return None
    """,
)

# ---------------------------------------------------------------- q5 one FedAvg round


def _q5_task(seed: int, sizes: tuple[int, ...]):
    """A linear model and clients whose labels follow different rules (non-IID)."""
    g = torch.Generator().manual_seed(seed)
    model = nn.Linear(4, 3)
    with torch.no_grad():
        model.weight.copy_(torch.randn(3, 4, generator=g) * 0.1)
        model.bias.copy_(torch.randn(3, generator=g) * 0.1)
    clients = []
    for i, n in enumerate(sizes):
        x = torch.randn(n, 4, generator=g)
        y = ((x[:, 0] + i * x[:, 1]) > 0).long() + (i == 2)
        clients.append((x, y))
    return model, clients


def _local(model: nn.Linear, x, y, lr: float, steps: int) -> dict:
    trained = full_batch_sgd(model, x, y, lr, steps)
    return {k: v.detach().clone() for k, v in trained.state_dict().items()}


def _average(states: list[dict], weights) -> dict:
    total = float(sum(weights))
    return {k: sum(w / total * s[k] for s, w in zip(states, weights, strict=True))
            for k in states[0]}


def _sequential(model: nn.Linear, clients, lr: float, steps: int) -> dict:
    """The article's bug 2: each client trains on from the previous client's model."""
    current = nn.Linear(model.in_features, model.out_features)
    current.load_state_dict(model.state_dict())
    for x, y in clients:
        current.load_state_dict(_local(current, x, y, lr, steps))
    return current.state_dict()


def _check_q5(fn) -> str:
    rng = fresh_rng()
    fresh = (int(rng.integers(2**32)), tuple(int(n) for n in rng.integers(5, 60, 4)), 0.2, 4)
    for seed, sizes, lr, steps in ((0, (40, 10, 25), 0.5, 5), fresh):
        model, clients = _q5_task(seed, sizes)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        call = fn.call(model, clients, lr, steps)
        got, after = call.value, call.args[0]
        if not isinstance(got, dict) or set(got) != set(before):
            raise Incorrect("return a state dict: a dict with the model's keys ('weight', "
                            "'bias') and the averaged tensors")
        if not isinstance(after, nn.Linear) or any(
                not torch.equal(after.state_dict()[k], v) for k, v in before.items()):
            raise Incorrect("your function changed global_model: train a copy on each "
                            "client (copy.deepcopy), so that every client starts from the "
                            "same global weights")
        got = {k: torch.as_tensor(v).double() for k, v in got.items()}

        def close(ref: dict, got: dict = got) -> bool:
            return all(torch.allclose(got[k], ref[k].double(), rtol=1e-4, atol=1e-6)
                       for k in ref)

        local = [_local(model, x, y, lr, steps) for x, y in clients]
        if close(_average(local, [len(y) for _, y in clients])):
            continue
        if close(_average(local, [1] * len(clients))):
            raise Incorrect("the clients are averaged with equal weights: weight each by its "
                            "number of examples, n_i / n")
        if close(_sequential(model, clients, lr, steps)):
            raise Incorrect("the clients train one after the other on one model; each must "
                            "start from the global model of this round")
        if close(before):
            raise Incorrect("the global model comes back unchanged: did the clients train?")
        raise Incorrect(f"for client sizes {list(sizes)}, lr = {lr:g} and {steps} steps, the "
                        "result is not the n_i/n-weighted average of the clients' models "
                        "after local training")
    return ("these checks passed: each client trains its own copy of the global model, the "
            "round returns the n_i/n-weighted average, and global_model is left alone (a "
            "fixed task and a fresh one)")


q5 = Question(
    EXERCISE, "q5", title="one FedAvg round",
    answer="fedavg_round", function=True, checker=_check_q5,
    hint="For each (x, y): local = copy.deepcopy(global_model), an SGD optimiser over "
         "local.parameters(), `steps` full-batch steps; keep local.state_dict() and len(y). "
         "Then the weighted average of q2.",
    solution="""
        def fedavg_round(global_model, clients, lr, steps):
            states, sizes = [], []
            for x, y in clients:
                local = copy.deepcopy(global_model)
                optimizer = torch.optim.SGD(local.parameters(), lr=lr)
                for _ in range(steps):
                    optimizer.zero_grad()
                    torch.nn.functional.cross_entropy(local(x), y).backward()
                    optimizer.step()
                states.append(local.state_dict())
                sizes.append(len(y))
            n = sum(sizes)
            return {key: sum(size / n * s[key] for s, size in zip(states, sizes))
                    for key in states[0]}
    """,
)

# ---------------------------------------------------------------- q6 FedProx's local update


def _fedprox(w_global, a, b, mu, lr, steps, *, half=False, sign=1.0, start=None):
    """The reference, and the misconceptions the checker names (an anchor that moves with
    each step gives the same weights as mu = 0)."""
    w = np.array(w_global if start is None else start, dtype=np.float64)
    for _ in range(steps):
        pull = (0.5 if half else 1.0) * mu * (w - w_global)
        w = w - lr * (a @ (w - b) + sign * pull)
    return w


def _q6_tasks() -> list[tuple]:
    """(w_global, A, b, mu, lr, steps): a fixed task and a fresh one; A symmetric positive
    definite, b far from w_global so that the proximal term matters."""
    rng = fresh_rng()
    tasks = []
    for seed, d, mu, lr, steps in ((6, 3, 0.5, 0.1, 5),
                                   (int(rng.integers(2**32)), int(rng.integers(2, 6)),
                                    float(rng.uniform(0.2, 2.0)), 0.05, int(rng.integers(3, 9)))):
        g = np.random.default_rng(seed)
        m = g.normal(size=(d, d))
        tasks.append((g.normal(size=d), m @ m.T / d + np.eye(d), g.normal(3.0, 1.0, size=d),
                      mu, lr, steps))
    return tasks


def _check_q6(fn) -> str:
    for w_global, a, b, mu, lr, steps in _q6_tasks():
        call = fn.call(w_global.copy(), a, b, mu, lr, steps)
        try:
            got = np.asarray(call.value, dtype=np.float64)
        except (TypeError, ValueError):
            raise Incorrect("return the new weights as an array (or list) of numbers") from None
        if got.shape != w_global.shape:
            raise Incorrect(f"return one weight per entry of w_global, shape {w_global.shape}; "
                            f"got shape {got.shape}")
        if not np.array_equal(np.asarray(call.args[0], dtype=np.float64), w_global):
            raise Incorrect("your function changed w_global in place: the proximal term "
                            "needs it unchanged for every step (work on a copy)")

        def same(ref, got=got):  # float32 arithmetic throughout passes; the errors differ more
            return np.linalg.norm(got - ref) <= 1e-5 * max(1.0, float(np.linalg.norm(ref)))

        args = (w_global, a, b, mu, lr, steps)
        if same(_fedprox(*args)):
            continue
        if same(_fedprox(w_global, a, b, 0.0, lr, steps)):   # also the anchor that moves
            raise Incorrect("the proximal term has no effect: it is missing, or it pulls "
                            "towards the previous step's weights; it must pull towards "
                            "w_global, the model the round started from, at every step")
        if same(_fedprox(*args, half=True)):
            raise Incorrect("the gradient of (mu/2)·||w − w_global||² is mu·(w − w_global), "
                            "not half of it")
        if same(_fedprox(*args, sign=-1.0)):
            raise Incorrect("the proximal term pushes away from w_global: its gradient "
                            "mu·(w − w_global) is added to the loss gradient, and the step "
                            "subtracts both")
        if same(_fedprox(w_global, a, b, mu, lr, 1)):
            raise Incorrect(f"that is one step; take {steps}")
        if same(_fedprox(*args, start=np.zeros_like(w_global))):
            raise Incorrect("local training starts from w_global, not from zeros")
        raise Incorrect(f"for mu = {mu:g}, lr = {lr:g} and {steps} steps the weights are not "
                        "those of gradient descent on L(w) + (mu/2)·||w − w_global||²")
    return ("these checks passed: each step follows A(w − b) + mu·(w − w_global), anchored at "
            "w_global, on a fixed task and a fresh one")


q6 = Question(
    EXERCISE, "q6", title="FedProx's local update",
    answer="fedprox_update", function=True, checker=_check_q6,
    hint="Start from w = w_global (a copy). Each of the `steps` steps: w = w − lr·(A @ (w − b) "
         "+ mu·(w − w_global)). The anchor w_global stays fixed for the whole round.",
    solution="""
        def fedprox_update(w_global, A, b, mu, lr, steps):
            w = np.array(w_global, dtype=float)
            for _ in range(steps):
                w = w - lr * (A @ (w - b) + mu * (w - w_global))
            return w
    """,
)

QUESTIONS = (q1, q2, q3, q4, q5, q6)
