"""Deep Leakage from Gradients: rebuilding a training example from its gradient.

In federated learning a client shares ∇_θ L(θ; x, y). Zhu, Liu & Han (2019, "Deep leakage
from gradients", NeurIPS) show that the server can often recover (x, y) by optimising a
dummy input until its gradient matches the shared one:

    x* = argmin_x' || ∇_θ L(θ; x', y') − ∇_θ L(θ; x, y) ||²,

with L-BFGS. For cross-entropy, the label comes for free (Zhao, Mopuri & Bilen 2020,
"iDLG"): the gradient of the last layer's bias is softmax(z) − onehot(y), negative only at
the true class. Here the label is read that way and x is optimised; the dummy starts from
a seeded random input.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call

from .._random import RNGLike
from .._torch import seeded_global_state, torch_generator
from .._validation import check_int

__all__ = ["InversionResult", "invert_gradients", "reconstruction_error"]


@dataclass(frozen=True)
class InversionResult:
    x: torch.Tensor              # the reconstructed input, shape input_shape
    label: int                   # the inferred label
    gradient_distance: float     # final || ∇(x*) − ∇(x) ||² (0 = a perfect match)
    history: list[float]         # gradient distance after each L-BFGS step


def reconstruction_error(x_hat: torch.Tensor, x_true: torch.Tensor) -> float:
    """Mean squared error between a reconstruction and the original input."""
    for name, t in (("x_hat", x_hat), ("x_true", x_true)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch tensor, got {type(t).__name__}")
        if t.numel() == 0:
            raise ValueError(f"{name} must not be empty, got shape {tuple(t.shape)}")
        if not bool(torch.isfinite(t.detach().double()).all()):
            raise ValueError(f"{name} must hold only finite values")
    if x_hat.shape != x_true.shape:
        raise ValueError(f"x_hat and x_true must have the same shape, got {tuple(x_hat.shape)} "
                         f"and {tuple(x_true.shape)}")
    return float(((x_hat.detach().double() - x_true.detach().double()) ** 2).mean())


def _label_from_gradients(model: nn.Module, gradients: dict[str, torch.Tensor],
                          num_classes: int) -> int:
    last_bias = None
    for name, p in model.named_parameters():
        if name.endswith("bias") and p.shape == (num_classes,):
            last_bias = name
    if last_bias is None:
        raise ValueError("the model needs a final bias of size num_classes to read the label "
                         "(iDLG)")
    return int(torch.argmin(gradients[last_bias]))


def invert_gradients(model: nn.Module, gradients: dict[str, torch.Tensor], *,
                     input_shape: tuple[int, ...], num_classes: int, steps: int = 100,
                     rng: RNGLike = None,
                     loss_fn=nn.functional.cross_entropy) -> InversionResult:
    """Reconstruct one training example from the gradient it produced (DLG with iDLG's label).

    Parameters
    ----------
    model : torch.nn.Module
        The model at the parameters where the gradient was taken.
    gradients : dict
        Parameter name -> gradient of the loss on one example (what a client shares).
    input_shape : tuple of int
        Shape of one input (without the batch dimension).
    num_classes : int
        Number of classes.
    steps : int
        L-BFGS iterations.
    rng : numpy.random.Generator, int or None
        Seeds the dummy input.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(gradients, dict):
        raise TypeError(f"gradients must be a dict of parameter name -> gradient tensor, got "
                        f"{type(gradients).__name__}")
    names = [k for k, p in model.named_parameters() if p.requires_grad]
    if set(gradients) != set(names):
        raise ValueError(f"gradients must map every trainable parameter name to its gradient: "
                         f"expected {sorted(names)}, got "
                         f"{sorted(gradients) if isinstance(gradients, dict) else type(gradients)}")
    params = dict(model.named_parameters())
    for k in names:
        if not isinstance(gradients[k], torch.Tensor):
            raise TypeError(f"gradients[{k!r}] must be a torch tensor, got "
                            f"{type(gradients[k]).__name__}")
        if not bool(torch.isfinite(gradients[k]).all()):
            raise ValueError(f"gradients[{k!r}] must hold only finite values: there is nothing "
                             "to invert in a diverged gradient")
        if gradients[k].shape != params[k].shape:
            raise ValueError(f"gradients[{k!r}] has shape {tuple(gradients[k].shape)}, the "
                             f"parameter has {tuple(params[k].shape)}")
    num_classes = check_int("num_classes", num_classes, low=2)
    steps = check_int("steps", steps, low=1)
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"input_shape must be a tuple of ints, got {type(input_shape).__name__} "
                        f"{input_shape!r}")
    input_shape = tuple(check_int(f"input_shape[{i}]", d, low=1)
                        for i, d in enumerate(input_shape))

    label = _label_from_gradients(model, gradients, num_classes)
    y = torch.tensor([label])
    target = [gradients[k].detach() for k in names]
    frozen = {k: v.detach() for k, v in model.named_parameters()}
    gen = torch_generator(rng)
    with torch.no_grad(), seeded_global_state(gen):
        try:
            model(torch.zeros((1, *input_shape)))
        except RuntimeError as err:
            raise ValueError(f"input_shape {input_shape} does not fit the model: {err}") from None
    dummy = torch.rand((1, *input_shape), generator=gen).requires_grad_(True)
    optimizer = torch.optim.LBFGS([dummy], lr=1.0, max_iter=20, history_size=50,
                                  line_search_fn="strong_wolfe")
    history: list[float] = []

    def distance():
        p = {k: v.clone().requires_grad_(k in names) for k, v in frozen.items()}
        loss = loss_fn(functional_call(model, p, (dummy,)), y)
        grads = torch.autograd.grad(loss, [p[k] for k in names], create_graph=True)
        return sum(((g - t) ** 2).sum() for g, t in zip(grads, target, strict=True))

    def closure():
        optimizer.zero_grad()
        d = distance()
        d.backward()
        return d

    with seeded_global_state(gen):  # a model with dropout draws here, seeded by rng
        for _ in range(steps):
            optimizer.step(closure)
            history.append(float(distance().detach()))
            if history[-1] < 1e-12:
                break
    return InversionResult(dummy.detach()[0], label, history[-1], history)
