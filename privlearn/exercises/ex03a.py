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
from ._core import Incorrect, Question, call_student, say
from ._core import language as language  # ex.language("zh"): feedback in Chinese
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
        raise Incorrect(say("answer with a list or array of three numbers",
                            "请用包含三个数的列表或数组作答")) from exc
    if w.shape != (3,):
        raise Incorrect(say(f"answer with one weight per client (3), got shape {w.shape}",
                            f"请为每个客户端给出一个权重（共 3 个），得到的形状是 {w.shape}"))
    sizes = np.array(v["sizes"], dtype=float)
    right = _right_q1(v)
    if all(close_to(a, b) for a, b in zip(w, right, strict=True)):  # 4 significant digits
        shown = ", ".join(f"{x:.4g}" for x in right)
        return say("these checks passed: n_i / n, " + shown, "以下检查已通过：n_i / n，" + shown)
    if np.allclose(w, 1 / 3):
        raise Incorrect(say("equal weights ignore how much data each client holds",
                            "等权重忽略了每个客户端持有多少数据"))
    if np.allclose(w, sizes):
        raise Incorrect(say(f"these are the counts n_i; divide by n = {sizes.sum():g} so the "
                            "weights sum to 1",
                            f"这些是计数 n_i；请除以 n = {sizes.sum():g}，使权重之和为 1"))
    raise Incorrect(say("the weights are not n_i / n (to 4 significant digits)",
                        "权重不是 n_i / n（按 4 位有效数字比较）"))


q1 = Question(
    EXERCISE, "q1", title="the FedAvg weights",
    answer="weights", checker=_check_q1,
    params=Params({"sizes": [120, 30, 50]}, _draw_q1, answer=_right_q1),
    hint="The objective is Σ (n_i / n) L_i(w): each client's weight is its share of all "
         "the training examples.",
    hint_zh="目标函数是 Σ (n_i / n) L_i(w)：每个客户端的权重就是它在全部训练样本中"
            "所占的比例。",
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
            raise Incorrect(say("return a dict with the same keys as each client's state dict",
                                "请返回一个 dict，其键与每个客户端的 state dict 相同"))
        if not isinstance(after, list) or len(after) != len(states) or any(
                not isinstance(c, dict) or set(c) != set(s)
                for s, c in zip(states, after, strict=True)):
            raise Incorrect(say("your function changed the list of client states it was given",
                                "你的函数修改了传给它的客户端状态列表"))
        for s, c in zip(states, after, strict=True):
            if any(not torch.equal(s[key], torch.as_tensor(c[key])) for key in s):
                raise Incorrect(say("your function changed a client's tensors: build new ones "
                                    "instead (torch.zeros_like). Writing into a tensor that is "
                                    "still to be read is also what breaks the article's "
                                    "aggregation, which zeroes a parameter, then reads it "
                                    "(notebook 04, bug 3)",
                                    "你的函数修改了某个客户端的张量：请改为新建张量"
                                    "（torch.zeros_like）。写入一个之后还要读取的张量，"
                                    "也正是文章中的聚合出错的原因：它先把参数清零，"
                                    "然后再读取它（notebook 04，bug 3）"))
        right = fedavg(states, sizes)
        for key in right:
            val = torch.as_tensor(got[key])
            if val.shape != right[key].shape:
                raise Incorrect(say(f"{key!r} has shape {tuple(val.shape)}, expected "
                                    f"{tuple(right[key].shape)}",
                                    f"{key!r} 的形状是 {tuple(val.shape)}，应为 "
                                    f"{tuple(right[key].shape)}"))
            if torch.allclose(val.double(), torch.stack([s[key] for s in states]).double()
                              .mean(0), atol=1e-6) and len(set(sizes)) > 1:
                raise Incorrect(say("this is the plain mean: weight each client by n_i / n",
                                    "这是简单平均：请按 n_i / n 为每个客户端加权"))
            if not torch.allclose(val.double(), right[key].double(), atol=1e-5):
                raise Incorrect(say(f"{key!r} is not the weighted average for sizes {sizes}",
                                    f"对于 sizes {sizes}，{key!r} 不是加权平均"))
    return say("these checks passed: the weighted average matches privlearn.fl.fedavg on three "
               "fixed cases and a random one, and the inputs are left untouched",
               "以下检查已通过：在三个固定用例和一个随机用例上，加权平均与 "
               "privlearn.fl.fedavg 一致，且输入未被改动")


q2 = Question(
    EXERCISE, "q2", title="the weighted aggregation",
    answer="aggregate", function=True, checker=_check_q2,
    hint="For each key, Σ_i (n_i / n) · states[i][key]. Start each sum from a new tensor "
         "(torch.zeros_like) rather than from one of the inputs.",
    hint_zh="对每个键，计算 Σ_i (n_i / n) · states[i][key]。每个求和都从一个新张量"
            "（torch.zeros_like）开始，而不是从某个输入开始。",
    solution="""
        def aggregate(states, sizes):
            n = sum(sizes)
            return {key: sum(size / n * s[key] for s, size in zip(states, sizes))
                    for key in states[0]}
    """,
)

# ---------------------------------------------------------------- q3 the article's aggregation


def _check_q3(answer) -> str:
    value = expect_number(answer, say("your answer", "你的答案"))
    if math.isclose(value, 0.0, abs_tol=1e-12):
        return say("these checks passed: 0. The parameter is zeroed, then n_i/n times that zero "
                   "is added once per client",
                   "以下检查已通过：0。参数先被清零，然后每个客户端各加一次 n_i/n 乘以这个零")
    if math.isclose(value, 3.0):
        raise Incorrect(say("3.0 would be right for a correct average of identical models; look "
                            "at what `param.data` holds after `param.data.zero_()`",
                            "若是对相同模型的正确平均，3.0 才是对的；看看 "
                            "`param.data.zero_()` 之后 `param.data` 里是什么"))
    raise Incorrect(say(f"{value:g} is not what the code computes; run it in your head line by "
                        "line, starting with `param.data.zero_()`",
                        f"{value:g} 不是这段代码算出的结果；请从 `param.data.zero_()` 开始，"
                        "在脑中逐行执行它"))


q3 = Question(
    EXERCISE, "q3", title="what the article's aggregation returns",
    answer="value", checker=_check_q3,
    hint="`param.data.zero_()` sets the parameter to 0. What is `x / n * param.data` then?",
    hint_zh="`param.data.zero_()` 把参数设为 0。那么 `x / n * param.data` 是多少？",
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
            raise Incorrect(say(f"for {acc} the target {target} is never reached: return None, "
                                f"got {got!r}",
                                f"对于 {acc}，目标 {target} 从未达到：应返回 None，"
                                f"得到的是 {got!r}"))
        if right is not None and got == right - 1:
            raise Incorrect(say("rounds are counted from 1: the first round is round 1",
                                "轮从 1 开始计数：第一轮是第 1 轮"))
        if got != right:
            raise Incorrect(say(f"for accuracies {acc} and target {target} your function "
                                f"returned {got!r}, which is not the first round at or above it",
                                f"对于准确率 {acc} 和目标 {target}，你的函数返回了 {got!r}，"
                                "这不是准确率首次达到或超过目标的那一轮"))
    return say("these checks passed: first round at or above the target, counted from 1; None if "
               "never (fixed cases and a random history)",
               "以下检查已通过：首次达到或超过目标的轮，从 1 开始计数；从未达到则为 None"
               "（固定用例和一个随机历史）")


q4 = Question(
    EXERCISE, "q4", title="rounds to a target accuracy",
    answer="rounds_to", function=True, checker=_check_q4,
    hint="Walk through the list with enumerate(..., start=1) and return at the first "
         "accuracy >= target.",
    hint_zh="用 enumerate(..., start=1) 遍历列表，在第一个满足 accuracy >= target 的位置"
            "返回。",
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
            raise Incorrect(say("return a state dict: a dict with the model's keys ('weight', "
                                "'bias') and the averaged tensors",
                                "请返回一个 state dict：一个 dict，键为模型的键（'weight'、"
                                "'bias'），值为平均后的张量"))
        if not isinstance(after, nn.Linear) or any(
                not torch.equal(after.state_dict()[k], v) for k, v in before.items()):
            raise Incorrect(say("your function changed global_model: train a copy on each "
                                "client (copy.deepcopy), so that every client starts from the "
                                "same global weights",
                                "你的函数修改了 global_model：请在每个客户端上训练一个副本"
                                "（copy.deepcopy），让每个客户端都从相同的全局权重出发"))
        got = {k: torch.as_tensor(v).double() for k, v in got.items()}

        def close(ref: dict, got: dict = got) -> bool:
            return all(torch.allclose(got[k], ref[k].double(), rtol=1e-4, atol=1e-6)
                       for k in ref)

        local = [_local(model, x, y, lr, steps) for x, y in clients]
        if close(_average(local, [len(y) for _, y in clients])):
            continue
        if close(_average(local, [1] * len(clients))):
            raise Incorrect(say("the clients are averaged with equal weights: weight each by its "
                                "number of examples, n_i / n",
                                "各客户端是按等权重平均的：请按各自的样本数为每个客户端加权，"
                                "即 n_i / n"))
        if close(_sequential(model, clients, lr, steps)):
            raise Incorrect(say("the clients train one after the other on one model; each must "
                                "start from the global model of this round",
                                "各客户端在同一个模型上依次训练；每个客户端都必须从本轮的"
                                "全局模型出发"))
        if close(before):
            raise Incorrect(say("the global model comes back unchanged: did the clients train?",
                                "返回的全局模型没有变化：客户端训练了吗？"))
        raise Incorrect(say(f"for client sizes {list(sizes)}, lr = {lr:g} and {steps} steps, the "
                            "result is not the n_i/n-weighted average of the clients' models "
                            "after local training",
                            f"对于客户端样本数 {list(sizes)}、lr = {lr:g} 和 {steps} 步，"
                            "结果不是各客户端本地训练后模型的 n_i/n 加权平均"))
    return say("these checks passed: each client trains its own copy of the global model, the "
               "round returns the n_i/n-weighted average, and global_model is left alone (a "
               "fixed task and a fresh one)",
               "以下检查已通过：每个客户端训练自己的一份全局模型副本，这一轮返回 n_i/n "
               "加权平均，且 global_model 未被改动（一个固定任务和一个新任务）")


q5 = Question(
    EXERCISE, "q5", title="one FedAvg round",
    answer="fedavg_round", function=True, checker=_check_q5,
    hint="For each (x, y): local = copy.deepcopy(global_model), an SGD optimiser over "
         "local.parameters(), `steps` full-batch steps; keep local.state_dict() and len(y). "
         "Then the weighted average of q2.",
    hint_zh="对每个 (x, y)：local = copy.deepcopy(global_model)，在 local.parameters() 上"
            "建一个 SGD 优化器，做 `steps` 步全批量更新；保存 local.state_dict() 和 len(y)。"
            "然后做 q2 的加权平均。",
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
            raise Incorrect(say("return the new weights as an array (or list) of numbers",
                                "请以由数构成的数组（或列表）返回新的权重")) from None
        if got.shape != w_global.shape:
            raise Incorrect(say(f"return one weight per entry of w_global, shape "
                                f"{w_global.shape}; got shape {got.shape}",
                                f"请为 w_global 的每个元素返回一个权重，形状为 {w_global.shape}；"
                                f"得到的形状是 {got.shape}"))
        if not np.array_equal(np.asarray(call.args[0], dtype=np.float64), w_global):
            raise Incorrect(say("your function changed w_global in place: the proximal term "
                                "needs it unchanged for every step (work on a copy)",
                                "你的函数原地修改了 w_global：近端项在每一步都需要它保持不变"
                                "（请在副本上操作）"))

        def same(ref, got=got):  # float32 arithmetic throughout passes; the errors differ more
            return np.linalg.norm(got - ref) <= 1e-5 * max(1.0, float(np.linalg.norm(ref)))

        args = (w_global, a, b, mu, lr, steps)
        if same(_fedprox(*args)):
            continue
        if same(_fedprox(w_global, a, b, 0.0, lr, steps)):   # also the anchor that moves
            raise Incorrect(say("the proximal term has no effect: it is missing, or it pulls "
                                "towards the previous step's weights; it must pull towards "
                                "w_global, the model the round started from, at every step",
                                "近端项没有起作用：要么缺失，要么它拉向的是上一步的权重；"
                                "它必须在每一步都拉向 w_global，即这一轮开始时的模型"))
        if same(_fedprox(*args, half=True)):
            raise Incorrect(say("the gradient of (mu/2)·||w − w_global||² is mu·(w − w_global), "
                                "not half of it",
                                "(mu/2)·||w − w_global||² 的梯度是 mu·(w − w_global)，"
                                "而不是它的一半"))
        if same(_fedprox(*args, sign=-1.0)):
            raise Incorrect(say("the proximal term pushes away from w_global: its gradient "
                                "mu·(w − w_global) is added to the loss gradient, and the step "
                                "subtracts both",
                                "近端项把权重推离了 w_global：它的梯度 mu·(w − w_global) "
                                "应加到损失的梯度上，更新时减去两者之和"))
        if same(_fedprox(w_global, a, b, mu, lr, 1)):
            raise Incorrect(say(f"that is one step; take {steps}",
                                f"这只是一步；应走 {steps} 步"))
        if same(_fedprox(*args, start=np.zeros_like(w_global))):
            raise Incorrect(say("local training starts from w_global, not from zeros",
                                "本地训练从 w_global 开始，而不是从零开始"))
        raise Incorrect(say(f"for mu = {mu:g}, lr = {lr:g} and {steps} steps the weights are not "
                            "those of gradient descent on L(w) + (mu/2)·||w − w_global||²",
                            f"对于 mu = {mu:g}、lr = {lr:g} 和 {steps} 步，得到的权重不是对 "
                            "L(w) + (mu/2)·||w − w_global||² 做梯度下降的结果"))
    return say("these checks passed: each step follows A(w − b) + mu·(w − w_global), anchored at "
               "w_global, on a fixed task and a fresh one",
               "以下检查已通过：每一步都按 A(w − b) + mu·(w − w_global) 更新，锚定在 w_global，"
               "在一个固定任务和一个新任务上")


q6 = Question(
    EXERCISE, "q6", title="FedProx's local update",
    answer="fedprox_update", function=True, checker=_check_q6,
    hint="Start from w = w_global (a copy). Each of the `steps` steps: w = w − lr·(A @ (w − b) "
         "+ mu·(w − w_global)). The anchor w_global stays fixed for the whole round.",
    hint_zh="从 w = w_global（一个副本）开始。`steps` 步中的每一步：w = w − lr·(A @ (w − b) "
            "+ mu·(w − w_global))。锚点 w_global 在整轮中保持不变。",
    solution="""
        def fedprox_update(w_global, A, b, mu, lr, steps):
            w = np.array(w_global, dtype=float)
            for _ in range(steps):
                w = w - lr * (A @ (w - b) + mu * (w - w_global))
            return w
    """,
)

QUESTIONS = (q1, q2, q3, q4, q5, q6)
