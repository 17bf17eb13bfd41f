"""FedAvg with Paillier-encrypted updates gives the plain FedAvg model."""

import numpy as np
import pytest
import torch
from torch import nn

from privlearn.fl import PaillierAggregator, fedavg, flatten_state, run_fedavg, unflatten_state


def _states(k=3):
    g = torch.Generator().manual_seed(0)
    return [{"w": torch.randn(3, 2, generator=g), "b": torch.randn(2, generator=g)}
            for _ in range(k)]


@pytest.mark.parametrize("packed", [False, True])
def test_encrypted_aggregate_equals_fedavg(small_phe_keys, packed):
    pk, sk = small_phe_keys
    kwargs = {"packed": True, "max_abs": 8.0, "max_summands": 100} if packed else {}
    agg = PaillierAggregator(pk, sk, precision=2.0**-20, **kwargs)
    states = _states()
    got = agg.aggregate(states[0], states, [10, 20, 30])
    expected = fedavg(states, [10, 20, 30])
    for k in expected:
        torch.testing.assert_close(got[k], expected[k], atol=1e-5, rtol=0)
    log = agg.log[0]
    assert log["clients"] == 3
    assert log["ciphertexts_per_client"] == (1 if packed else 8)
    assert agg.upload_bytes(states[0]) == log["bytes_per_client"]
    # the server keeps what it received; any holder of the shared key reads one update
    assert len(agg.last_received) == 3
    if not packed:
        from privlearn.he import decrypt_vector

        np.testing.assert_allclose(decrypt_vector(sk, agg.last_received[1]),
                                   flatten_state(states[1], list(states[0])), atol=1e-5)


def test_in_the_loop_same_accuracy_as_plain_fedavg(small_phe_keys):
    pk, sk = small_phe_keys
    g = torch.Generator().manual_seed(1)
    x = torch.randn(90, 4, generator=g)
    y = (x[:, 0] > 0).long()
    clients = [(x[i::3], y[i::3]) for i in range(3)]
    agg = PaillierAggregator(pk, sk, packed=True, max_abs=50.0, max_summands=90,
                             precision=2.0**-20)
    kw = {"rounds": 3, "local_epochs": 1, "batch_size": 10, "lr": 0.1, "eval_data": (x, y),
          "rng": 0}
    _, enc = run_fedavg(lambda: nn.Linear(4, 2), clients, aggregator=agg, **kw)
    _, plain = run_fedavg(lambda: nn.Linear(4, 2), clients, **kw)
    assert enc.accuracy == plain.accuracy


def test_flatten_round_trip_and_rejections(small_phe_keys):
    s = _states(1)[0]
    back = unflatten_state(flatten_state(s), s)
    for k in s:
        torch.testing.assert_close(back[k], s[k])
    with pytest.raises(TypeError, match="floating"):
        flatten_state({"n": torch.tensor([1, 2])})
    pk, sk = small_phe_keys
    with pytest.raises(ValueError, match="max_abs and max_summands"):
        PaillierAggregator(pk, sk, packed=True)
    assert np.isfinite(flatten_state(s)).all()
