"""FedAvg aggregation against numpy, purity, and bad input."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from privlearn.fl import fedavg, weighted_sum


def _states(k, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [{"w": torch.randn(3, 4, generator=g), "b": torch.randn(4, generator=g),
             "count": torch.tensor(i + 1)} for i in range(k)]


@settings(max_examples=50, deadline=None)
@given(weights=st.lists(st.floats(0.0, 1e4, allow_nan=False), min_size=1, max_size=6)
       .filter(lambda w: sum(w) > 1e-3), seed=st.integers(0, 1000))
def test_fedavg_equals_numpy_average(weights, seed):
    states = _states(len(weights), seed)
    got = fedavg(states, weights)
    for key in ("w", "b"):
        expected = np.average(np.stack([s[key].double().numpy() for s in states]), axis=0,
                              weights=weights)
        np.testing.assert_allclose(got[key].double().numpy(), expected, rtol=1e-6, atol=1e-6)
        assert got[key].dtype == torch.float32


def test_buffers_are_averaged_and_integer_buffers_rounded():
    states = _states(3)
    got = fedavg(states, [1, 1, 2])
    assert got["count"].dtype == torch.int64 and int(got["count"]) == round((1 + 2 + 6) / 4)


def test_inputs_are_not_modified_and_outputs_are_new_tensors():
    states = _states(3)
    copies = [{k: v.clone() for k, v in s.items()} for s in states]
    got = fedavg(states, [3, 1, 1])
    for s, c in zip(states, copies, strict=True):
        for k in s:
            assert torch.equal(s[k], c[k])
    got["w"] += 1
    assert torch.equal(states[0]["w"], copies[0]["w"])


def test_single_client_and_zero_weight_client():
    states = _states(2)
    torch.testing.assert_close(fedavg(states[:1], [5])["w"], states[0]["w"])
    torch.testing.assert_close(fedavg(states, [1, 0])["w"], states[0]["w"])


def test_key_order_does_not_matter():
    a, b = _states(2)
    b_reordered = {k: b[k] for k in reversed(list(b))}
    torch.testing.assert_close(fedavg([a, b_reordered], [1, 1])["w"], (a["w"] + b["w"]) / 2)


def test_weighted_sum_is_not_normalised():
    a, b = _states(2)
    torch.testing.assert_close(weighted_sum([a, b], [2, 3])["b"],
                               2 * a["b"].double() + 3 * b["b"].double())


@pytest.mark.parametrize("states, weights, exc, words", [
    ([], [], ValueError, "must not be empty"),
    ({"w": torch.ones(2)}, [1], TypeError, "list of state dicts"),
    ([{"w": torch.ones(2)}, {"v": torch.ones(2)}], [1, 1], ValueError, "must have the keys"),
    ([{"w": torch.ones(2)}, {"w": torch.ones(3)}], [1, 1], ValueError, "shape"),
    ([{"w": torch.ones(2)}, {"w": [1.0, 1.0]}], [1, 1], TypeError, "must be a tensor"),
    ([{"w": torch.ones(2)}] * 2, [1, -1], ValueError, "weights\\[1\\] must be finite and >= 0"),
    ([{"w": torch.ones(2)}] * 2, [0, 0], ValueError, "positive sum"),
    ([{"w": torch.ones(2)}] * 2, [1], ValueError, "one entry per state"),
    ([{"w": torch.ones(2)}] * 2, [1, float("nan")], ValueError, "weights\\[1\\]"),
    ([{"w": torch.ones(2)}] * 2, [1, "2"], TypeError, "weights\\[1\\]"),
    ([{"w": torch.ones(2)}] * 2, [True, 1], TypeError, "weights\\[0\\]"),
    ([{"w": torch.ones(2)}] * 2, "12", TypeError, "weights"),
])
def test_fedavg_rejects(states, weights, exc, words):
    with pytest.raises(exc, match=words):
        fedavg(states, weights)
