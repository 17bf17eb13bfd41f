"""Splitting a data set across simulated clients: IID, shards, Dirichlet.

* IID: a random permutation cut into near-equal parts.
* Shards (McMahan et al. 2017, Section 3, the "pathological non-IID" split): sort by
  label, cut into ``num_clients · shards_per_client`` shards, give each client
  ``shards_per_client`` of them at random; with 2 shards each, most clients see only
  two classes.
* Dirichlet (the per-class split of Yurochkin et al. 2019 and Wang et al. 2020; see
  ``partition_dirichlet``): for each class, split its examples among clients in
  proportions drawn from Dirichlet(α·1); small α gives skewed clients, large α
  approaches IID. Hsu, Qi & Brown (2019, "Measuring the effects of non-identical data
  distribution for federated visual classification") draw per client instead.
"""

from __future__ import annotations

import numpy as np

from .._random import RNGLike, as_generator
from .._validation import check_int, check_real

__all__ = ["partition_dirichlet", "partition_iid", "partition_shards"]


def _labels(labels) -> np.ndarray:
    if labels is None or isinstance(labels, (str, bytes)):
        raise TypeError(f"labels must be a 1-D array of integer labels, got "
                        f"{type(labels).__name__}")
    try:
        arr = np.asarray(labels)
    except ValueError as err:  # ragged nesting
        raise ValueError(f"labels must be a non-empty 1-D array, got a ragged sequence ({err})"
                         ) from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers, got dtype {arr.dtype}")
    return arr


def partition_iid(n: int, *, num_clients: int, rng: RNGLike) -> list[np.ndarray]:
    """Indices 0..n-1 shuffled and cut into ``num_clients`` parts of near-equal size."""
    n = check_int("n", n, low=1)
    num_clients = check_int("num_clients", num_clients, low=1)
    if num_clients > n:
        raise ValueError(f"num_clients must not exceed the number of examples "
                         f"(got num_clients={num_clients}, n={n})")
    perm = as_generator(rng).permutation(n)
    return [np.sort(part) for part in np.array_split(perm, num_clients)]


def partition_shards(labels, *, num_clients: int, shards_per_client: int,
                     rng: RNGLike) -> list[np.ndarray]:
    """McMahan et al.'s pathological non-IID split: each client gets a few label-sorted
    shards."""
    y = _labels(labels)
    num_clients = check_int("num_clients", num_clients, low=1)
    shards_per_client = check_int("shards_per_client", shards_per_client, low=1)
    num_shards = num_clients * shards_per_client
    if num_shards > y.size:
        raise ValueError(f"num_clients * shards_per_client must not exceed the number of "
                         f"examples (got {num_clients} * {shards_per_client} = {num_shards}, "
                         f"n={y.size})")
    gen = as_generator(rng)
    # sort by label; ties broken at random so shards do not depend on the input order
    order = np.lexsort((gen.permutation(y.size), y))
    shards = np.array_split(order, num_shards)
    assignment = gen.permutation(num_shards).reshape(num_clients, shards_per_client)
    return [np.sort(np.concatenate([shards[s] for s in row])) for row in assignment]


def partition_dirichlet(labels, *, num_clients: int, alpha: float,
                        rng: RNGLike, min_size: int = 1) -> list[np.ndarray]:
    """Each class's examples shared among the clients in proportions drawn from
    Dirichlet(α·1_K); redrawn until every client holds at least ``min_size`` examples.

    This is the per-class split of Yurochkin et al. (2019, "Bayesian nonparametric
    federated learning of neural networks", ICML) and Wang et al. (2020, "Federated
    learning with matched averaging", ICLR), called distribution-based label imbalance by
    Li, Diao, Chen & He (2022, "Federated learning on non-IID data silos", ICDE). Hsu, Qi
    & Brown (2019) draw the other way round, a label distribution per client from
    Dirichlet(α·p) with p the class prior; both give more skew as α falls.
    """
    y = _labels(labels)
    num_clients = check_int("num_clients", num_clients, low=1)
    alpha = check_real("alpha", alpha, low=0.0)
    min_size = check_int("min_size", min_size, low=0)
    if num_clients * min_size > y.size:
        raise ValueError(f"num_clients * min_size must not exceed the number of examples "
                         f"(got {num_clients} * {min_size}, n={y.size})")
    gen = as_generator(rng)
    classes = np.unique(y)
    for _ in range(1000):
        parts: list[list[np.ndarray]] = [[] for _ in range(num_clients)]
        for c in classes:
            idx = gen.permutation(np.flatnonzero(y == c))
            props = gen.dirichlet(np.full(num_clients, alpha))
            cuts = (np.cumsum(props)[:-1] * idx.size).astype(int)
            for client, chunk in enumerate(np.split(idx, cuts)):
                parts[client].append(chunk)
        result = [np.sort(np.concatenate(p)) for p in parts]
        if min(r.size for r in result) >= min_size:
            return result
    raise ValueError(f"could not give every client {min_size} examples in 1000 draws at "
                     f"alpha={alpha!r}; raise alpha or lower min_size")
