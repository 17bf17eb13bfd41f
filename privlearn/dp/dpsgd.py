"""DP-SGD: per-example clipping, Gaussian noise, Poisson sampling (Abadi et al. 2016).

One step of DP-SGD (Abadi, Chu, Goodfellow, McMahan, Mironov, Talwar & Zhang 2016,
"Deep learning with differential privacy", CCS, Algorithm 1):

1. sample a batch: each of the n examples independently with probability q (Poisson
   sampling, the assumption under which :func:`~privlearn.dp.rdp.compute_rdp` holds);
2. compute each example's gradient g_i and clip it to norm C:
   ḡ_i = g_i · min(1, C / ||g_i||);
3. add noise and average: g̃ = (Σ ḡ_i + N(0, σ²C²I)) / (qn).

Dividing by the *expected* batch size qn rather than the drawn one keeps the
sensitivity of the sum at C (a changed denominator would leak the batch size).

Two ways to get the clipped sum:

* ``method="vmap"``: materialise every per-example gradient with ``torch.func``
  (``functional_call``, ``vmap``, ``grad``), clip, sum. Readable, and the oracle.
* ``method="fast"``: for ``nn.Linear`` layers, the per-example gradient of the weight
  is the outer product of the layer's output gradient o_i and input a_i, so its squared
  norm is ||o_i||²·||a_i||² (Goodfellow 2015, "Efficient per-example gradient
  computations"; the "ghost norm" of Li et al. 2022 and the book-keeping of Bu et al.
  2022) and the clipped sum is one matrix product, Σ c_i o_i a_iᵀ = (c ⊙ O)ᵀ A. No
  per-example gradient is built. Models with parameters outside ``nn.Linear`` layers
  fall back to ``vmap``. The first time a model takes the fast path, an idle forward
  hook is registered on each of its Linear layers (it records inputs and outputs only
  during a DP-SGD step), which saves re-registering hooks on every step.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from .._random import RNGLike
from .._torch import check_generator, seeded_global_state, seeded_unless_already, torch_generator
from .._validation import check_int, check_probability, check_real
from .accountant import PLDAccountant, RDPAccountant

__all__ = [
    "clip_factors",
    "clipped_gradient_sum",
    "dp_sgd_step",
    "per_sample_gradients",
    "poisson_batches",
    "train_dp_sgd",
]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check_model(model) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def _check_batch(x: torch.Tensor, y: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"x and y must be torch tensors, got {type(x).__name__} and "
                        f"{type(y).__name__}")
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"x and y must have a leading batch axis, got shapes {tuple(x.shape)} "
                         f"and {tuple(y.shape)}")
    if x.shape[0] == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must hold the same non-zero number of examples, got "
                         f"{x.shape[0]} and {y.shape[0]}")


def per_sample_gradients(model: nn.Module, loss_fn: LossFn, x: torch.Tensor,
                         y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradient of the loss of each example separately, with ``torch.func``.

    Parameters
    ----------
    model : torch.nn.Module
        Its trainable parameters are differentiated; buffers are used as they are.
    loss_fn : callable
        ``loss_fn(output, target)``, the mean loss over a batch (as
        ``torch.nn.functional.cross_entropy``); it is called on batches of one.
    x, y : torch.Tensor
        A batch of inputs and targets.

    Returns
    -------
    dict
        Parameter name -> tensor of shape ``(batch, *param.shape)``.
    """
    _check_model(model)
    _check_batch(x, y)
    params = {k: v.detach() for k, v in model.named_parameters() if v.requires_grad}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def loss_one(p, xi, yi):
        out = functional_call(model, (p, buffers), (xi.unsqueeze(0),))
        return loss_fn(out, yi.unsqueeze(0))

    # randomness="different": a dropout layer draws its own mask for each example
    return vmap(grad(loss_one), in_dims=(None, 0, 0), randomness="different")(params, x, y)


def clip_factors(norms: torch.Tensor, max_grad_norm: float) -> torch.Tensor:
    """min(1, C / ||g_i||), with a tiny guard so a zero gradient stays zero."""
    if not isinstance(norms, torch.Tensor):
        raise TypeError(f"norms must be a torch tensor, got {type(norms).__name__}")
    if not bool(torch.isfinite(norms).all()) or bool((norms < 0).any()):
        raise ValueError("norms must hold finite values >= 0")
    max_grad_norm = check_real("max_grad_norm", max_grad_norm, low=0.0)
    return torch.clamp(max_grad_norm / (norms + 1e-12), max=1.0)


def _clipped_sum_vmap(model, loss_fn, x, y, max_grad_norm):
    grads = per_sample_gradients(model, loss_fn, x, y)
    flat = torch.cat([g.reshape(g.shape[0], -1) for g in grads.values()], dim=1)
    factors = clip_factors(flat.norm(dim=1), max_grad_norm)
    return {k: torch.einsum("b,b...->...", factors, g) for k, g in grads.items()}


class _LinearPlan:
    """What the fast path needs to know about a model, found once per structure.

    ``layers`` are the model's ``nn.Linear`` modules with, for each, the names of its
    weight and bias (None when absent or frozen); ``None`` as a whole when some
    trainable parameter lives outside a Linear layer.
    """

    def __init__(self, model: nn.Module) -> None:
        names = {id(p): k for k, p in model.named_parameters() if p.requires_grad}
        layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
        owned = {id(p) for m in layers for p in m.parameters() if p.requires_grad}
        self.key = tuple(names.values())
        self.params = [(k, p) for k, p in model.named_parameters() if p.requires_grad]
        self.layers = None
        self.capture: dict | None = None  # filled by the hooks while a step runs
        if layers and owned == set(names):
            self.layers = [(m, names.get(id(m.weight)),
                            names.get(id(m.bias)) if m.bias is not None else None)
                           for m in layers]
            me = weakref.ref(self)
            for m in layers:  # persistent, idle unless .capture is a dict
                m.register_forward_hook(lambda mod, args, out, me=me: _record(me, mod, args, out))


_REUSED = object()  # a layer applied twice in one forward: not a single outer product


def _record(plan_ref, module, args, out) -> None:
    plan = plan_ref()
    if plan is not None and plan.capture is not None:
        plan.capture[module] = _REUSED if module in plan.capture else (args[0], out)


_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _plan(model: nn.Module) -> _LinearPlan:
    plan = _PLANS.get(model)
    key = tuple(k for k, p in model.named_parameters() if p.requires_grad)
    if plan is None or plan.key != key:  # rebuilt if parameters were frozen or added
        plan = _PLANS[model] = _LinearPlan(model)
    return plan


def _clipped_sum_fast(model, loss_fn, x, y, max_grad_norm, plan):
    plan.capture = {}
    try:
        out = model(x)
        seen = [plan.capture.get(m) for m, _, _ in plan.layers]
    finally:
        plan.capture = None
    if any(rec is None or rec is _REUSED or rec[0].dim() != 2 for rec in seen):
        return None  # a layer unused, reused, or applied to sequences: use vmap
    # The batch loss is a mean of per-example losses, so batch·loss is their sum and
    # its gradient at row i of a layer's output is example i's own output gradient.
    loss_sum = loss_fn(out, y) * x.shape[0]
    out_grads = torch.autograd.grad(loss_sum, [o for _, o in seen])
    acts = [a.detach() for a, _ in seen]
    sq_norms = torch.zeros(x.shape[0], dtype=out.dtype)
    for (_, w_name, b_name), g, a in zip(plan.layers, out_grads, acts, strict=True):
        # ||o_i a_iᵀ||² = ||o_i||²·||a_i||², plus ||o_i||² for the bias
        a_sq = torch.linalg.vecdot(a, a) if w_name else 0.0
        sq_norms += torch.linalg.vecdot(g, g) * (a_sq + (b_name is not None))
    # min(1, C/||g_i||); a zero gradient gives inf, clamped to 1, and stays zero
    factors = torch.rsqrt(sq_norms).mul_(max_grad_norm).clamp_(max=1.0)
    result: dict[str, torch.Tensor] = {}
    for (_, w_name, b_name), g, a in zip(plan.layers, out_grads, acts, strict=True):
        if w_name:
            result[w_name] = torch.mm((g * factors[:, None]).T, a)
        if b_name:
            result[b_name] = factors @ g
    return result


def clipped_gradient_sum(model: nn.Module, loss_fn: LossFn, x: torch.Tensor,
                         y: torch.Tensor, *, max_grad_norm: float,
                         method: str = "fast") -> dict[str, torch.Tensor]:
    """Σ_i clip(g_i, C): the sum over the batch of per-example gradients clipped to C.

    Parameters
    ----------
    model, loss_fn, x, y
        As in :func:`per_sample_gradients`; ``loss_fn`` must return the batch *mean*.
    max_grad_norm : float
        C > 0, the L2 norm each example's whole gradient (all parameters together) is
        clipped to.
    method : {"fast", "vmap"}
        ``"fast"`` avoids materialising per-example gradients when every trainable
        parameter lives in an ``nn.Linear`` layer applied to 2-D inputs, and falls
        back to ``"vmap"`` otherwise; both give the same result (tested to 1e-5).

    Returns
    -------
    dict
        Parameter name -> clipped, summed gradient (no noise yet), ``param.shape``.
    """
    _check_model(model)
    _check_batch(x, y)
    max_grad_norm = check_real("max_grad_norm", max_grad_norm, low=0.0)
    if method == "vmap":
        return _clipped_sum_vmap(model, loss_fn, x, y, max_grad_norm)
    if method != "fast":
        raise ValueError(f"method must be 'fast' or 'vmap', got {method!r}")
    plan = _plan(model)
    if plan.layers is not None:
        result = _clipped_sum_fast(model, loss_fn, x, y, max_grad_norm, plan)
        if result is not None:
            return result
    return _clipped_sum_vmap(model, loss_fn, x, y, max_grad_norm)


def dp_sgd_step(model: nn.Module, loss_fn: LossFn, x: torch.Tensor, y: torch.Tensor, *,
                lr: float, noise_multiplier: float, max_grad_norm: float,
                expected_batch_size: float, generator: torch.Generator) -> None:
    """One DP-SGD update in place: θ ← θ − lr·(Σ clip(g_i) + N(0, σ²C²I)) / (qn).

    ``x`` may be empty (a Poisson batch can be): the step then adds noise only.
    ``generator`` is required: the noise never comes from torch's global generator.
    """
    check_generator("generator", generator)
    lr = check_real("lr", lr, low=0.0)
    noise_multiplier = check_real("noise_multiplier", noise_multiplier, low=0.0,
                                  low_open=False)
    max_grad_norm = check_real("max_grad_norm", max_grad_norm, low=0.0)
    expected_batch_size = check_real("expected_batch_size", expected_batch_size, low=0.0)
    params = _plan(_check_model(model)).params
    if x.shape[0] > 0:
        with seeded_unless_already(generator):  # dropout & co.: seeded by the caller
            summed = clipped_gradient_sum(model, loss_fn, x, y, max_grad_norm=max_grad_norm)
    else:
        summed = {k: torch.zeros_like(p) for k, p in params}
    total = sum(p.numel() for _, p in params)
    noise = torch.randn(total, generator=generator, dtype=params[0][1].dtype)
    scale = lr / expected_batch_size
    with torch.no_grad():
        offset = 0
        for k, p in params:
            chunk = noise[offset: offset + p.numel()].view_as(p)
            offset += p.numel()
            p.sub_(summed[k].add_(chunk, alpha=noise_multiplier * max_grad_norm), alpha=scale)


def poisson_batches(n: int, *, sample_rate: float, steps: int,
                    generator: torch.Generator):
    """``steps`` index tensors, each example in each with probability q (checked now,
    drawn lazily)."""
    n = check_int("n", n, low=0)
    sample_rate = check_probability("sample_rate", sample_rate, closed=True)
    steps = check_int("steps", steps, low=0)
    check_generator("generator", generator)
    return (torch.nonzero(torch.rand(n, generator=generator) < sample_rate).flatten()
            for _ in range(steps))


def train_dp_sgd(
    model: nn.Module,
    data: tuple[torch.Tensor, torch.Tensor],
    *,
    epochs: float,
    batch_size: int,
    lr: float,
    noise_multiplier: float,
    max_grad_norm: float,
    delta: float,
    rng: RNGLike = None,
    loss_fn: LossFn = nn.functional.cross_entropy,
    accountant: RDPAccountant | PLDAccountant | None = None,
) -> tuple[nn.Module, float]:
    """Train ``model`` in place with DP-SGD; return it and the ε spent at ``delta``.

    Parameters
    ----------
    model : torch.nn.Module
        Trained in place (plain SGD updates with the noisy gradient).
    data : (x, y)
        The training set as tensors.
    epochs : float
        Passes over the data; the number of steps is round(epochs · n / batch_size).
    batch_size : int
        *Expected* batch size; each example is in a batch with probability
        q = batch_size / n.
    lr : float
        Learning rate > 0.
    noise_multiplier : float
        σ >= 0; the noise on the clipped sum has standard deviation σ·C.
    max_grad_norm : float
        Clipping norm C > 0.
    delta : float
        δ in (0, 1) at which ε is reported (by the accountant's own method: RDP with the
        improved conversion, or the PLD).
    rng : numpy.random.Generator, int or None
        Seeds the batch sampling and the noise.
    loss_fn : callable
        Mean loss over a batch; cross-entropy by default.
    accountant : RDPAccountant or PLDAccountant, optional
        Records the steps; a fresh RDPAccountant is made if omitted (pass one to keep a
        running total across calls, as DP-FedAvg with per-client DP-SGD does, or a
        PLDAccountant for a tighter ε).

    Returns
    -------
    (model, epsilon)
    """
    _check_model(model)
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"data must be an (x, y) pair of tensors, got {type(data).__name__}")
    x, y = data
    _check_batch(x, y)
    if accountant is not None and not isinstance(accountant, (RDPAccountant, PLDAccountant)):
        raise TypeError(f"accountant must be an RDPAccountant, a PLDAccountant or None, got "
                        f"{type(accountant).__name__}")
    n = x.shape[0]
    batch_size = check_int("batch_size", batch_size, low=1, high=n)
    epochs = check_real("epochs", epochs, low=0.0)
    lr = check_real("lr", lr, low=0.0)
    sigma = check_real("noise_multiplier", noise_multiplier, low=0.0, low_open=False)
    clip = check_real("max_grad_norm", max_grad_norm, low=0.0)
    check_probability("delta", delta)
    q = batch_size / n
    steps = max(1, round(epochs * n / batch_size))
    gen = torch_generator(rng)
    acc = accountant if accountant is not None else RDPAccountant()
    model.train()
    with seeded_global_state(gen):  # one fork for the whole loop (dropout & co.)
        for idx in poisson_batches(n, sample_rate=q, steps=steps, generator=gen):
            dp_sgd_step(model, loss_fn, x[idx], y[idx], lr=lr, noise_multiplier=sigma,
                        max_grad_norm=clip, expected_batch_size=q * n, generator=gen)
    acc.step(noise_multiplier=sigma, sample_rate=q, steps=steps)
    epsilon = acc.get_epsilon(delta)
    return model, epsilon


