"""Partitioners: cover every index once, the intended skew, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privlearn.fl import partition_dirichlet, partition_iid, partition_shards

LABELS = np.repeat(np.arange(10), 60)


def _is_partition(parts, n):
    allidx = np.concatenate(parts)
    return allidx.size == n and np.array_equal(np.sort(allidx), np.arange(n))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 500), k=st.integers(1, 50))
def test_iid_is_a_balanced_partition(n, k):
    if k > n:
        with pytest.raises(ValueError, match="num_clients"):
            partition_iid(n, num_clients=k, rng=0)
        return
    parts = partition_iid(n, num_clients=k, rng=0)
    assert len(parts) == k and _is_partition(parts, n)
    sizes = [p.size for p in parts]
    assert max(sizes) - min(sizes) <= 1


def test_shards_give_each_client_few_labels():
    parts = partition_shards(LABELS, num_clients=30, shards_per_client=2, rng=1)
    assert _is_partition(parts, LABELS.size)
    labels_per_client = [np.unique(LABELS[p]).size for p in parts]
    assert max(labels_per_client) <= 4 and np.median(labels_per_client) <= 2


def test_dirichlet_skew_follows_alpha():
    def mean_labels(alpha):
        parts = partition_dirichlet(LABELS, num_clients=10, alpha=alpha, rng=2)
        assert _is_partition(parts, LABELS.size)
        # share of each client's data in its most common label
        return np.mean([np.bincount(LABELS[p]).max() / p.size for p in parts])
    assert mean_labels(0.05) > 0.6 > 0.3 > mean_labels(100.0)


def test_partitions_are_reproducible():
    a = partition_dirichlet(LABELS, num_clients=5, alpha=0.5, rng=3)
    b = partition_dirichlet(LABELS, num_clients=5, alpha=0.5, rng=3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("call, exc, words", [
    (lambda: partition_iid(10, num_clients=0, rng=0), ValueError, "num_clients"),
    (lambda: partition_iid(10, num_clients=2.0, rng=0), TypeError, "num_clients"),
    (lambda: partition_shards(LABELS, num_clients=400, shards_per_client=2, rng=0),
     ValueError, "must not exceed"),
    (lambda: partition_shards(LABELS.astype(float), num_clients=4, shards_per_client=2,
                              rng=0), TypeError, "labels"),
    (lambda: partition_shards([], num_clients=4, shards_per_client=2, rng=0),
     ValueError, "labels"),
    (lambda: partition_dirichlet(LABELS, num_clients=5, alpha=0.0, rng=0), ValueError, "alpha"),
    (lambda: partition_dirichlet(LABELS, num_clients=5, alpha=-1.0, rng=0), ValueError,
     "alpha"),
    (lambda: partition_dirichlet(LABELS, num_clients=700, alpha=1.0, rng=0), ValueError,
     "must not exceed"),
])
def test_partition_rejects(call, exc, words):
    with pytest.raises(exc, match=words):
        call()
