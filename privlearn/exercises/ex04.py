"""Checkers for ``ex04_best_practice``.

q1 train the client's own model; q2 per-example clipping; q3 the sampling rate and
steps; q4 read ε off the accountant.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..dp import RDPAccountant
from ._checks import (
    close_to,
    expect_close,
    expect_integer,
    expect_number,
    expect_pair,
    fresh_rng,
)
from ._core import Incorrect, Question, say
from ._core import language as language  # ex.language("zh"): feedback in Chinese
from ._reference import full_batch_sgd
from ._variants import Params

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


_Q1_STEPS = 20


def _same_weights(a: nn.Linear, b: nn.Linear) -> bool:
    return all(torch.allclose(p.detach().double(), q.detach().double(), rtol=1e-4, atol=1e-6)
               for p, q in zip(a.parameters(), b.parameters(), strict=True))


def _check_q1(fn) -> str:
    model, x, y = _tiny_task(0)
    with torch.no_grad():
        loss_before = nn.functional.cross_entropy(model(x), y).item()
    trained = {}
    for lr in (0.5, 0.05):  # two rates: code that ignores lr gives the same model twice
        model_after = fn.call(model, x, y, lr).args[0]  # the model as the function left it
        if not isinstance(model_after, nn.Linear) or \
                model_after.weight.shape != model.weight.shape:
            raise Incorrect(say("train the model you are given, in place",
                                "请原地训练传给你的模型"))
        with torch.no_grad():
            loss_after = nn.functional.cross_entropy(model_after(x), y).item()
        if loss_after >= loss_before - 1e-6:
            raise Incorrect(say("the model you were given did not improve: build the optimiser "
                                "over model.parameters(), the model being trained",
                                "传给你的模型没有变好：请在 model.parameters()"
                                "（即正在训练的模型的参数）之上构建优化器"))
        trained[lr] = model_after
    if _same_weights(trained[0.5], trained[0.05]):
        raise Incorrect(say("the learning rate lr makes no difference: pass it to the optimiser",
                            "学习率 lr 没有起任何作用：请把它传给优化器"))
    for lr, model_after in trained.items():
        if _same_weights(model_after, full_batch_sgd(model, x, y, lr, _Q1_STEPS)):
            continue
        if _same_weights(model_after, full_batch_sgd(model, x, y, lr, 1)):
            raise Incorrect(say(f"this is one step of SGD; the question asks for {_Q1_STEPS}",
                                f"这只是一步 SGD；题目要求的是 {_Q1_STEPS} 步"))
        raise Incorrect(say(f"at learning rate {lr:g}, the weights are not those of "
                            f"{_Q1_STEPS} full-batch SGD steps on the cross-entropy loss",
                            f"在学习率 {lr:g} 下，权重与在交叉熵损失上做 {_Q1_STEPS} 步"
                            "全批量 SGD 得到的权重不一致"))
    # inputs ten times larger: gradient norms near 5, where gradient clipping (which the
    # question does not ask for, and which changes nothing on the small inputs) shows
    big = x * 10
    model_after = fn.call(model, big, y, 0.05).args[0]
    if not isinstance(model_after, nn.Linear) or not _same_weights(
            model_after, full_batch_sgd(model, big, y, 0.05, _Q1_STEPS)):
        raise Incorrect(say(f"on inputs ten times larger, the weights are not those of "
                            f"{_Q1_STEPS} plain full-batch SGD steps: is the update changed "
                            "(gradient clipping, momentum, weight decay)?",
                            f"在放大十倍的输入上，权重与 {_Q1_STEPS} 步普通全批量 SGD "
                            "得到的权重不一致：更新是否被改动了（梯度裁剪、动量、权重衰减）？"))
    return say(f"these checks passed: at two learning rates the model you were given ends "
               f"where {_Q1_STEPS} full-batch SGD steps take it, its loss down from "
               f"{loss_before:.3f}",
               f"以下检查已通过：在两个学习率下，传给你的模型都停在 {_Q1_STEPS} 步"
               f"全批量 SGD 所到达的位置，其损失从 {loss_before:.3f} 降了下来")


q1 = Question(
    EXERCISE, "q1", title="train the client's own model",
    answer="client_train_fixed", function=True, checker=_check_q1,
    hint="Create the optimiser inside the function, over the parameters of the model you "
         "are training, then run a few steps of zero_grad / loss / backward / step.",
    hint_zh="在函数内部、基于你正在训练的模型的参数创建优化器，然后运行若干步 "
            "zero_grad / loss / backward / step。",
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


def _clip_reference(grads: torch.Tensor, max_norm: float) -> torch.Tensor:
    norms = grads.norm(dim=1, keepdim=True)
    return grads * torch.clamp(max_norm / norms.clamp_min(1e-300), max=1.0)


def _check_q2(fn) -> str:
    g = torch.Generator().manual_seed(int(fresh_rng().integers(2**62)))
    grads = torch.randn(50, 7, generator=g) * torch.linspace(0.01, 5, 50)[:, None]
    grads[10] = 0.0
    for max_norm in (1.0, 2.5):  # a bound other than 1 catches code that ignores it
        call = fn.call(grads.clone(), max_norm)
        after, got = call.args[0], call.value
        if not torch.equal(torch.as_tensor(after), grads):
            raise Incorrect(say("your function changed its input; return a new tensor",
                                "你的函数修改了它的输入；请返回一个新的张量"))
        if isinstance(got, np.ndarray) and got.dtype.kind == "f":
            got = torch.from_numpy(got)
        if not (torch.is_tensor(got) and got.is_floating_point()):
            raise Incorrect(say(f"return a float tensor of clipped gradients, got "
                                f"{type(got).__name__}",
                                f"请返回由裁剪后的梯度组成的浮点张量，得到的是 "
                                f"{type(got).__name__}"))
        if got.shape != grads.shape:
            raise Incorrect(say(f"return one clipped gradient per row: shape "
                                f"{tuple(grads.shape)}, got {tuple(got.shape)}",
                                f"请每行返回一个裁剪后的梯度：形状应为 "
                                f"{tuple(grads.shape)}，得到的是 {tuple(got.shape)}"))
        if not torch.isfinite(got).all():
            raise Incorrect(say("an all-zero gradient must stay zero, not become NaN: guard "
                                "the division",
                                "全零的梯度必须保持为零，而不能变成 NaN：请给除法加上保护"))
        got, ref = got.double(), grads.double()
        norms = ref.norm(dim=1, keepdim=True)
        right = _clip_reference(ref, max_norm)

        def close(t: torch.Tensor, got: torch.Tensor = got) -> bool:
            return torch.allclose(got, t, rtol=1e-5, atol=1e-6)

        if close(ref * min(1.0, max_norm / ref.norm().item())):
            raise Incorrect(say("this clips the whole batch at once; DP-SGD clips each "
                                "example (each row) separately",
                                "这是把整个批次一次性裁剪；DP-SGD 对每个样本（每一行）"
                                "分别裁剪"))
        if close(ref * max_norm / norms.clamp_min(1e-300)):
            raise Incorrect(say("rows shorter than the bound must be left as they are: scale "
                                "by min(1, C / norm), not C / norm",
                                "范数小于上界的行必须保持不变：应乘以 min(1, C / norm)，"
                                "而不是 C / norm"))
        if max_norm != 1.0 and close(_clip_reference(ref, 1.0)):
            raise Incorrect(say("the rows are clipped to norm 1 whatever max_norm is: use "
                                "the bound you are given",
                                "无论 max_norm 是多少，各行都被裁剪到范数 1：请使用传给你的上界"))
        if not close(right):
            raise Incorrect(say(f"with max_norm = {max_norm:g}, some rows are not "
                                "g · min(1, C / ||g||)",
                                f"当 max_norm = {max_norm:g} 时，有些行不等于 "
                                "g · min(1, C / ||g||)"))
    return say("these checks passed: each row scaled by min(1, C/||row||) for two bounds, zero "
               "rows kept at zero, the input left alone",
               "以下检查已通过：在两个上界下，每一行都按 min(1, C/||row||) 缩放，"
               "全零的行保持为零，输入未被改动")


q2 = Question(
    EXERCISE, "q2", title="per-example clipping",
    answer="clip_rows", function=True, checker=_check_q2,
    hint="Row norms: grads.norm(dim=1, keepdim=True). Factor: min(1, C / norm); "
         "torch.clamp(..., max=1.0) does the min. Avoid dividing by zero.",
    hint_zh="各行的范数：grads.norm(dim=1, keepdim=True)。缩放因子：min(1, C / norm)；"
            "torch.clamp(..., max=1.0) 实现其中的取最小值。注意避免除以零。",
    solution="""
        def clip_rows(grads, max_norm):
            norms = grads.norm(dim=1, keepdim=True)
            return grads * torch.clamp(max_norm / (norms + 1e-12), max=1.0)
    """,
)

# ---------------------------------------------------------------- q3 sampling rate and steps

def _draw_q3(rng) -> dict:
    """Never the course's answer (checked here, not by Params: q4 shares these values,
    so both must keep the first draw), and never a step count that ends in exactly .5,
    which "rounded to the nearest" leaves ambiguous."""
    while True:
        v = {"n": rng.randrange(10, 101) * 1_000, "batch": rng.randrange(2, 33) * 32,
             "epochs": rng.randrange(2, 41)}
        if (2 * v["epochs"] * v["n"]) % (2 * v["batch"]) != v["batch"] and \
                _right_q3(v) != (256 / 60_000, 3516):
            return v


def _right_q3(v) -> tuple[float, int]:
    return v["batch"] / v["n"], round(v["epochs"] * v["n"] / v["batch"])


def _check_q3(answer, v) -> str:
    first, second = expect_pair(answer, "(sample_rate, steps)")
    q = expect_number(first, "sample_rate")
    steps = expect_integer(second, "steps")
    n, batch, epochs = v["n"], v["batch"], v["epochs"]
    right_q, right_steps = _right_q3(v)
    if close_to(q, batch):
        raise Incorrect(say("the sampling rate is a probability: batch size / data set size",
                            "采样率是一个概率：批大小 / 数据集大小"))
    expect_close(q, right_q, "sample_rate")
    if steps == right_steps:
        return say(f"these checks passed: q = {batch}/{n} ≈ {right_q:.5f}, about "
                   f"{right_steps} steps",
                   f"以下检查已通过：q = {batch}/{n} ≈ {right_q:.5f}，约 {right_steps} 步")
    if steps == epochs:
        raise Incorrect(say("steps counts batches, not epochs: epochs · n / batch size",
                            "steps 数的是批次，而不是轮次：epochs · n / 批大小"))
    if steps == math.floor(epochs * n / batch):
        raise Incorrect(say("round the number of steps to the nearest whole number, not down",
                            "请把步数舍入到最接近的整数，而不是向下取整"))
    raise Incorrect(say(f"steps = {steps} is not epochs · n / batch size, rounded",
                        f"steps = {steps} 不等于 epochs · n / 批大小 舍入后的值"))


q3 = Question(
    EXERCISE, "q3", title="sampling rate and number of steps",
    answer="answer", checker=_check_q3,
    params=Params({"n": 60_000, "batch": 256, "epochs": 15}, _draw_q3, answer=_right_q3),
    hint="With Poisson sampling each example is in a batch with probability q = B / n; "
         "one epoch is n / B steps.",
    hint_zh="在泊松采样下，每个样本以概率 q = B / n 出现在一个批次中；一个轮次是 n / B 步。",
    solution="""
        sample_rate = 256 / 60_000
        steps = round(15 * 60_000 / 256)
        answer = (sample_rate, steps)
    """,
)

# ---------------------------------------------------------------- q4 read epsilon


def _draw_q4(rng) -> dict:  # q3's values (drawn first, from the same seed), and a noise
    return {**_draw_q3(rng), "noise": rng.randrange(10, 41) / 20}   # 0.5 to 2


def _accountant(v) -> RDPAccountant:
    acc = RDPAccountant()
    q, steps = _right_q3(v)
    acc.step(noise_multiplier=v["noise"], sample_rate=q, steps=steps)
    return acc


def _right_q4(v) -> float:
    return _accountant(v).get_epsilon(1e-5)


def _check_q4(answer, v) -> str:
    eps = expect_number(answer, "epsilon")
    acc = _accountant(v)
    improved, classic = acc.get_epsilon(1e-5), acc.get_epsilon(1e-5, method="classic")
    if close_to(eps, improved, digits=6):
        return say(f"these checks passed: epsilon ≈ {improved:.6g} at delta = 1e-5",
                   f"以下检查已通过：在 delta = 1e-5 下，epsilon ≈ {improved:.6g}")
    if close_to(eps, classic, digits=4):
        raise Incorrect(say("that is the classic conversion; the question asks for the "
                            "default (improved) one",
                            "这是经典（classic）的换算方法；题目要求的是默认的（改进的）那种"))
    raise Incorrect(say(f"epsilon = {eps:.6g} is not what the accountant gives for these "
                        "settings (to 6 significant digits); check the sampling rate and the "
                        "number of steps (rounded to the nearest whole number)",
                        f"epsilon = {eps:.6g} 与隐私会计在这些设置下给出的值不符（按 6 位"
                        "有效数字）；请检查采样率和步数（舍入到最接近的整数）"))


q4 = Question(
    EXERCISE, "q4", title="read epsilon off the accountant",
    answer="epsilon", checker=_check_q4,
    params=Params({"n": 60_000, "batch": 256, "epochs": 15, "noise": 1.1}, _draw_q4,
                  answer=_right_q4, seed_name="q3"),
    hint="RDPAccountant().step(noise_multiplier=..., sample_rate=..., steps=...), then "
         ".get_epsilon(1e-5).",
    hint_zh="先调用 RDPAccountant().step(noise_multiplier=..., sample_rate=..., steps=...)，"
            "再调用 .get_epsilon(1e-5)。",
    solution="""
        acc = RDPAccountant()
        acc.step(noise_multiplier=1.1, sample_rate=256 / 60_000, steps=round(15 * 60_000 / 256))
        epsilon = acc.get_epsilon(1e-5)
    """,
)

QUESTIONS = (q1, q2, q3, q4)
