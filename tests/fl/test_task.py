"""FederatedTask: settings as a Flower run config, rebuilt identically in every process."""

import pytest
import torch

from privlearn.fl import FederatedTask, run_fedavg


def test_the_run_config_round_trips():
    task = FederatedTask(num_clients=5, partition="shards", aggregation="dp-fedavg", lr=0.05,
                         local_dp=True, seed=3)
    config = task.to_run_config()
    assert config["num-clients"] == 5 and config["local-dp"] is True
    assert FederatedTask.from_run_config(config) == task
    assert FederatedTask.from_run_config({"lr": 1, "rounds": 2, "output-dir": ""}) == (
        FederatedTask(lr=1.0, rounds=2))


@pytest.mark.parametrize("partition", ["iid", "dirichlet", "shards"])
def test_every_process_builds_the_same_split_and_the_clients_share_the_training_part(
        partition):
    task = FederatedTask(num_clients=4, partition=partition)
    a, b = task.client_data(), task.client_data()
    for (xa, ya), (xb, yb) in zip(a, b, strict=True):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    x_test, _ = task.eval_data()
    assert sum(len(y) for _, y in a) + len(x_test) == 1797  # the digits, all of them
    # each training example is held by exactly one client
    assert sorted(torch.cat([y for _, y in a]).tolist()) == sorted(
        torch.as_tensor(_training_labels(task)).tolist())


def _training_labels(task):
    from privlearn.data import load_digits

    return load_digits(rng=task.data_seed).y_train


def test_run_is_run_fedavg_with_the_tasks_settings():
    task = FederatedTask(num_clients=3, rounds=2, hidden=8, batch_size=0, lr=0.5)
    model, history = task.run()
    again, expected = run_fedavg(task.model_fn, task.client_data(), rounds=2, local_epochs=1,
                                 batch_size=None, lr=0.5, eval_data=task.eval_data(), rng=0)
    assert history.accuracy == expected.accuracy
    for k, v in model.state_dict().items():
        assert torch.equal(v, again.state_dict()[k])


@pytest.mark.parametrize(("kwargs", "exc", "words"), [
    ({"num_clients": 0}, ValueError, "num_clients"),
    ({"rounds": 1.5}, TypeError, "rounds"),
    ({"aggregation": "median"}, ValueError, "aggregation must be one of"),
    ({"dataset": "mnist"}, ValueError, "dataset must be one of"),
    ({"partition": "random"}, ValueError, "partition must be one of"),
    ({"lr": -0.1}, ValueError, "lr"),
    ({"client_fraction": 0.0}, ValueError, "client_fraction"),
    ({"delta": 1.0}, ValueError, "delta"),
    ({"frac_bits": 41}, ValueError, "frac_bits"),
    ({"local_dp": 1}, TypeError, "local_dp"),
    ({"aggregation": "secure", "num_clients": 1}, ValueError, "at least 2 clients"),
])
def test_bad_settings_are_refused(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        FederatedTask(**kwargs)


def test_local_dp_needs_a_batch_size():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        FederatedTask(local_dp=True, batch_size=0).local_train()
