"""The small models the course trains: CPU-sized, reproducible without global state.

``mlp(rng=...)`` draws its initial weights from a ``torch.Generator`` seeded from
``rng``, with PyTorch's default bounds for ``nn.Linear`` (uniform on ±1/√fan_in, the
result of its Kaiming-uniform scheme with a = √5), and never touches torch's global
generator. Without ``rng`` it initialises as any ``nn.Module`` does, from the global
generator: that is what :func:`privlearn.fl.run_fedavg` expects of ``model_fn``, which
it calls inside ``torch.random.fork_rng`` with a seed of its own.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._random import RNGLike
from ._torch import torch_generator
from ._validation import check_int

__all__ = ["mlp"]

_UNSET = object()


def _linear(in_features: int, out_features: int, gen: torch.Generator | None) -> nn.Linear:
    if gen is None:
        return nn.Linear(in_features, out_features)
    layer = torch.nn.utils.skip_init(nn.Linear, in_features, out_features)
    bound = 1.0 / math.sqrt(in_features)
    with torch.no_grad():
        nn.init.uniform_(layer.weight, -bound, bound, generator=gen)
        nn.init.uniform_(layer.bias, -bound, bound, generator=gen)
    return layer


def mlp(in_features: int = 64, hidden: int = 128, num_classes: int = 10, *,
        rng: RNGLike | object = _UNSET) -> nn.Sequential:
    """Linear(in, hidden) → ReLU → Linear(hidden, classes); defaults fit the 8x8 digits.

    Only ``nn.Linear`` layers hold parameters, so DP-SGD takes its fast path on it.

    Parameters
    ----------
    in_features, hidden, num_classes : int
        Layer sizes.
    rng : numpy.random.Generator, int or None, optional
        Seeds the initial weights (see the module doc). Omit it only inside a
        ``model_fn`` handed to :func:`~privlearn.fl.run_fedavg`.
    """
    in_features = check_int("in_features", in_features, low=1)
    hidden = check_int("hidden", hidden, low=1)
    num_classes = check_int("num_classes", num_classes, low=2)
    gen = None if rng is _UNSET else torch_generator(rng)
    return nn.Sequential(_linear(in_features, hidden, gen), nn.ReLU(),
                         _linear(hidden, num_classes, gen))
