"""privlearn's strategy and apps on Flower's message API, with an in-process grid.

Every message goes through Flower's protobuf serialization both ways, as on the wire,
and each node keeps its Context (state) between messages as a SuperNode does. The
real-process test is tests/fl/test_flower_deployment.py.
"""

import os
import re

import numpy as np
import pytest
import torch

if os.environ.get("PRIVLEARN_REQUIRE_FLOWER") != "1":
    pytest.importorskip("flwr")

from flwr.app import ArrayRecord, ConfigRecord, Context, Error, Message, RecordDict
from flwr.common.constant import ErrorCode
from flwr.common.serde import (
    context_from_proto,
    context_to_proto,
    message_from_proto,
    message_to_proto,
)
from flwr.serverapp import Grid
from flwr.supercore.task_identity import TaskIdentity

from privlearn.fl import FederatedTask, fedavg, local_update
from privlearn.fl.flower import PrivlearnStrategy
from privlearn.fl.flower.apps import client_app
from privlearn.fl.flower.launcher import APP_DIR
from privlearn.he import (
    ciphertexts_to_bytes,
    encrypted_weighted_average,
    generate_phe_keypair,
    load_phe_private_key,
    packed_from_bytes,
    save_phe_private_key,
    unpack_decrypt,
)
from privlearn.mpc.secagg_parties import SecAggAborted, SecAggClient

SERVER = 1
KEY_FILE = None  # the clients' Paillier key, written by the _key_file fixture


@pytest.fixture(autouse=True, scope="module")
def _key_file(tmp_path_factory):
    """The key authority: one 2048-bit key pair in a file, as LocalFederation writes it."""
    global KEY_FILE
    _, private = generate_phe_keypair()
    KEY_FILE = save_phe_private_key(tmp_path_factory.mktemp("authority") / "key.json", private)
    yield
    KEY_FILE = None


@pytest.fixture(autouse=True)
def _identity():
    """Flower stamps each message with the identity of the process that makes it (run,
    node, task); a deployment sets it per process, here the grid switches it."""
    saved = TaskIdentity._run_id, TaskIdentity._node_id, TaskIdentity._task_id
    TaskIdentity._run_id, TaskIdentity._node_id, TaskIdentity._task_id = 7, SERVER, 1
    yield
    TaskIdentity._run_id, TaskIdentity._node_id, TaskIdentity._task_id = saved


class FakeGrid(Grid):
    """Nodes 101, 102, ... run ``client_app`` in this process. ``drop`` maps a client to
    the message type from which on it stops answering (as if killed); ``tamper`` maps a
    client to (message type, f), f(reply) being the reply it sends instead."""

    def __init__(self, task, *, drop=None, partitions=None, keys=None, tamper=None):
        self.task = task
        parts = list(range(task.num_clients)) if partitions is None else partitions
        keys = [KEY_FILE] * len(parts) if keys is None else keys
        self.contexts = {
            101 + i: Context(run_id=7, node_id=101 + i,
                             node_config={"partition-id": p,
                                          "num-partitions": task.num_clients,
                                          **({"paillier-key": str(k)} if k else {})},
                             state=RecordDict(), run_config=task.to_run_config())
            for i, (p, k) in enumerate(zip(parts, keys, strict=True))}
        self.drop = drop or {}
        self.tamper = tamper or {}
        self.dead: set[int] = set()
        self.log: list[tuple[str, int, bytes, bytes]] = []  # type, node, sent, received
        self.replies = {}
        self.secrets: list[tuple[str, int, dict]] = []

    def set_run(self, run):
        pass

    @property
    def run(self):
        return None

    def create_message(self, content, message_type, dst_node_id, group_id, ttl=None):
        raise NotImplementedError

    def get_node_ids(self):
        return list(self.contexts)

    def push_messages(self, messages):
        """Deliver each message at once and keep the reply for pull_messages."""
        ids = []
        for msg in messages:
            node = msg.metadata.dst_node_id
            kind = msg.metadata.message_type
            client = self.contexts[node].node_config["partition-id"]
            msg.metadata.__dict__["_message_id"] = msg.object_id
            msg.metadata.__dict__["_src_node_id"] = SERVER
            ids.append(msg.metadata.message_id)
            if self.drop.get(client) == kind:
                self.dead.add(node)
            if node in self.dead:
                continue
            sent = message_to_proto(msg).SerializeToString()
            arrived = _parse(sent)
            context = context_from_proto(context_to_proto(self.contexts[node]))
            TaskIdentity._node_id = node
            try:
                reply = client_app(arrived, context)
            except Exception as ex:  # as Flower's run_clientapp: an error reply, state kept
                reply = Message(Error(code=ErrorCode.CLIENT_APP_RAISED_EXCEPTION,
                                      reason=f"{type(ex)}:<'{ex}'>"), reply_to=arrived)
            else:
                self.contexts[node] = context_from_proto(context_to_proto(context))
            finally:
                TaskIdentity._node_id = SERVER
            if self.tamper.get(client, (None,))[0] == kind:
                reply = self.tamper[client][1](reply)
            if "secagg" in context.state:  # what the client keeps, after each message
                self.secrets.append((kind, client, dict(context.state["secagg"])))
            back = message_to_proto(reply).SerializeToString()
            reply = _parse(back)
            reply.metadata.__dict__["_src_node_id"] = node
            self.log.append((kind, client, sent, back))
            self.replies[msg.metadata.message_id] = reply
        return ids

    def pull_messages(self, message_ids):
        return [self.replies.pop(i) for i in message_ids if i in self.replies]

    def send_and_receive(self, messages, *, timeout=None):
        raise AssertionError("the strategy polls through push_messages and pull_messages")


def _deploy(task, **grid_kw):
    grid = FakeGrid(task, **grid_kw)
    strategy = PrivlearnStrategy(task, timeout=0.5)  # replies are synchronous here
    from flwr.app import ArrayRecord

    strategy.start(grid, ArrayRecord(strategy.server.state()), num_rounds=task.rounds)
    return strategy, grid


def _same_state(a, b):
    assert list(a) == list(b)
    for k in a:
        assert torch.equal(a[k], b[k]), k


SMALL = {"num_clients": 3, "rounds": 2, "hidden": 8, "batch_size": 32}


@pytest.mark.parametrize("settings", [
    {},
    {"partition": "dirichlet", "client_fraction": 2 / 3},
    {"aggregation": "dp-fedavg", "clip_norm": 0.5, "noise_multiplier": 0.8},
    {"local_dp": True, "local_noise_multiplier": 1.1},
    {"aggregation": "secure"},
    {"aggregation": "paillier", "client_fraction": 2 / 3},
])
def test_flower_gives_the_model_run_fedavg_gives(settings):
    task = FederatedTask(**SMALL, **settings)
    strategy, _ = _deploy(task)
    aggregator, local_train = task.aggregator(), task.local_train()
    model, history = task.run(aggregator=aggregator, local_train=local_train)
    _same_state(strategy.server.state(), model.state_dict())
    flower = strategy.server.history
    assert flower.accuracy == history.accuracy and flower.clients == history.clients
    assert flower.bytes_up == history.bytes_up
    if task.aggregation == "dp-fedavg":
        assert strategy.epsilon() == aggregator.epsilon() > 0
    if task.local_dp:
        assert strategy.client_epsilon[-1] == pytest.approx(local_train.epsilon(), rel=1e-12)
        assert strategy.client_epsilon[-1] > strategy.client_epsilon[0] > 0


def test_secure_aggregation_relays_no_share_in_the_clear():
    """Every share a client decrypts, and every client secret, is absent from every byte
    the server sent or received before the unmasking step (which reveals, by design,
    the shares of survivors' seeds and dropped clients' keys)."""
    task = FederatedTask(**{**SMALL, "rounds": 1}, aggregation="secure")
    _, grid = _deploy(task)
    wire = b"".join(sent + back for kind, _, sent, back in grid.log
                    if kind != "query.secagg_unmask")
    assert any(kind == "query.secagg_share" for kind, *_ in grid.log)
    kept = [saved for kind, _, saved in grid.secrets if kind == "train"]
    assert len(kept) == 3
    assert all(dict(c.state["secagg"]) == {"step": "done"} for c in grid.contexts.values())
    for saved in kept:
        party = SecAggClient.from_bytes(saved)
        for secret in (party._c_key, party._s_key, party._seed):
            assert secret not in wire
        for sender in party.received:
            for share in party._open(sender):
                assert share.to_bytes(66, "big") not in wire


def test_paillier_clients_send_only_ciphertexts_and_one_of_them_decrypts_the_sum():
    """The train replies hold packed ciphertexts under the clients' key and nothing else
    of the model; the server asks one client to decrypt, and what it sends is the
    weighted sum of what it received (decrypted here with the key the server lacks)."""
    task = FederatedTask(**{**SMALL, "rounds": 1}, aggregation="paillier")
    strategy, grid = _deploy(task)
    public, private = load_phe_private_key(KEY_FILE)
    assert strategy.server.aggregator.public_key == public
    settings, length = task.paillier_settings(), sum(
        t.numel() for t in strategy.server.state().values())
    trained, start, data = {}, PrivlearnStrategy(task).server.state(), task.client_data()
    for kind, client, sent, back in grid.log:
        if kind == "train":
            reply = _parse(back).content
            assert set(reply.array_records) == set()  # no tensor leaves the node
            trained[client] = unpack_decrypt(private, packed_from_bytes(
                public, list(reply["paillier"]["ct"]), shape=(length,), **settings))
            model = local_update(task.model_fn(), start, *data[client], client=client,
                                 seed=int(_parse(sent).content["config"]["seed"]),
                                 local_epochs=task.local_epochs, batch_size=task.batch_size,
                                 lr=task.lr)
            np.testing.assert_allclose(trained[client], np.concatenate(
                [t.numpy().ravel() for t in model.values()]), rtol=0, atol=2.0**-25)
            for tensor in model.values():  # not in the reply, in any record
                assert tensor.numpy().tobytes() not in back
    asked = [(client, _parse(sent).content["config"]) for kind, client, sent, _ in grid.log
             if kind == "query.paillier_decrypt"]
    assert [client for client, _ in asked] == [0]
    counts = [len(y) for _, y in task.client_data()]
    cfg = asked[0][1]
    assert cfg["summands"] == cfg["divisor"] == sum(counts)
    total = unpack_decrypt(private, packed_from_bytes(
        public, list(cfg["ct"]), shape=(length,), summands=sum(counts),
        divisor=sum(counts), **settings))
    expected = sum(n * trained[c] for c, n in enumerate(counts)) / sum(counts)
    np.testing.assert_allclose(total, expected, rtol=0, atol=1e-12)
    assert strategy.records[0].steps.keys() == {"planned", "summed", "decrypted"}


def test_a_server_that_asks_for_one_clients_ciphertext_to_be_decrypted_reads_its_model():
    """The limit the strategy's docstring states, as an attack: a key holder cannot tell a
    lone client's ciphertext from the sum. A dishonest server raises client 1's upload to
    the power N = Σ n_i (Enc(N·θ_1)), sends it as the round's sum with N summands, exactly
    what an honest request looks like, and client 0 returns client 1's model."""
    task = FederatedTask(**{**SMALL, "rounds": 1}, aggregation="paillier")
    strategy, grid = _deploy(task)
    public = strategy.server.aggregator.public_key  # all the server holds
    length = sum(t.numel() for t in strategy.server.state().values())
    upload = packed_from_bytes(public, list(next(
        _parse(back).content["paillier"]["ct"] for kind, client, _, back in grid.log
        if kind == "train" and client == 1)), shape=(length,), **task.paillier_settings())
    total = sum(len(y) for _, y in task.client_data())
    fake_sum = encrypted_weighted_average([upload], [total])
    forged = Message(RecordDict({"config": ConfigRecord(
        {"client": 0, "ct": ciphertexts_to_bytes(fake_sum), "summands": total,
         "divisor": total})}), dst_node_id=101, message_type="query.paillier_decrypt")
    grid.push_messages([forged])
    leaked = grid.pull_messages([forged.metadata.message_id])[0]
    assert not leaked.has_error()
    _, private = load_phe_private_key(KEY_FILE)
    np.testing.assert_array_equal(leaked.content["arrays"].to_numpy_ndarrays()[0],
                                  unpack_decrypt(private, upload))


@pytest.mark.parametrize("drop", [{0: "query.paillier_decrypt"}, {2: "train"}])
def test_paillier_goes_on_without_a_lost_client(drop):
    """A lost decrypting client: the next one decrypts, and the model is run_fedavg's; a
    client lost in training: the sum holds the others (as plain FedAvg's would)."""
    task = FederatedTask(**{**SMALL, "rounds": 1}, aggregation="paillier")
    strategy, grid = _deploy(task, drop=drop)
    asked = [c for kind, c, *_ in grid.log if kind == "query.paillier_decrypt"]
    if 0 in drop:
        assert asked == [1] and strategy.server.history.clients == [[0, 1, 2]]
        model, _ = task.run()
        _same_state(strategy.server.state(), model.state_dict())
    else:
        assert asked == [0] and strategy.records[0].lost == [2]
        plain, _ = _deploy(FederatedTask(**{**SMALL, "rounds": 1}), drop=drop)
        for k, v in strategy.server.state().items():  # fixed point: 2^-24 per value
            torch.testing.assert_close(v, plain.server.state()[k], rtol=0, atol=1e-7)


def test_paillier_needs_one_key_on_every_node(tmp_path):
    task = FederatedTask(**{**SMALL, "rounds": 1}, aggregation="paillier")
    _, other = generate_phe_keypair()
    other_file = save_phe_private_key(tmp_path / "other.json", other)
    with pytest.raises(ValueError, match="the clients hold different Paillier keys"):
        _deploy(task, keys=[KEY_FILE, KEY_FILE, other_file])
    with pytest.raises(RuntimeError, match=r"could not register(.|\n)*paillier-key"):
        _deploy(task, keys=[KEY_FILE, None, KEY_FILE])


def _deploy_failing(task, words, **grid_kw):
    """Deploy a task whose run must stop with a RuntimeError matching ``words``; return
    the strategy and the grid for inspection."""
    from flwr.app import ArrayRecord

    grid = FakeGrid(task, **grid_kw)
    strategy = PrivlearnStrategy(task, timeout=0.5)
    with pytest.raises(RuntimeError, match=words):
        strategy.start(grid, ArrayRecord(strategy.server.state()), num_rounds=task.rounds)
    return strategy, grid


def test_a_model_beyond_the_paillier_bound_is_an_error_reply_that_does_not_show_it():
    """Every client's model passes max_abs: each replies with an error that names the bound
    and an index, not a value (it travels to the server), and the run stops rather than
    keep the old model as if the round had happened."""
    task = FederatedTask(**{**SMALL, "rounds": 1}, aggregation="paillier", max_abs=0.05)
    strategy, _ = _deploy_failing(task, "the uploads of 0 of the 3 clients arrived")
    errors = strategy.records[0].errors
    assert sorted(errors) == [0, 1, 2] and strategy.server.history.rounds == 0
    for reason in errors.values():
        detail = reason.split(":<'", 1)[1]
        assert re.fullmatch(r"\d+ of the model's 610 parameters lie beyond max_abs=0.05 \(the "
                            r"first at index \d+\): raise max_abs or lower lr'>", detail), reason


def test_paillier_never_decrypts_the_sum_of_too_few_clients():
    """t = 2 of 3: with two clients lost in training, the server holds one client's upload,
    whose 'sum' would be that client's model: nobody is asked to decrypt it."""
    task = FederatedTask(**{**SMALL, "rounds": 1}, aggregation="paillier")
    _, grid = _deploy_failing(task, r"the uploads of 1 of the 3 clients arrived, fewer than 2",
                              drop={0: "train", 2: "train"})
    assert not [kind for kind, *_ in grid.log if kind == "query.paillier_decrypt"]


@pytest.mark.parametrize("tamper", ["error", "short", "nan", "strings"])
def test_a_decryptor_that_answers_with_no_model_is_passed_over(tamper):
    """Client 0 answers the decryption with an error, a vector of the wrong length or NaN:
    the answer is recorded as its error and client 1 is asked; the model is run_fedavg's."""
    def bad(reply):
        if tamper == "error":
            return Message(Error(code=ErrorCode.CLIENT_APP_RAISED_EXCEPTION, reason="boom"),
                           reply_to=_parse(message_to_proto(reply).SerializeToString()))
        vector = reply.content["arrays"].to_numpy_ndarrays()[0]
        vector = {"short": vector[:5], "nan": np.where(vector > 0, np.nan, vector),
                  "strings": vector.astype(str)}[tamper]
        reply.content["arrays"] = ArrayRecord([vector])
        return reply

    task = FederatedTask(**{**SMALL, "rounds": 1}, aggregation="paillier")
    strategy, grid = _deploy(task, tamper={0: ("query.paillier_decrypt", bad)})
    assert [c for kind, c, *_ in grid.log if kind == "query.paillier_decrypt"] == [0, 1]
    assert list(strategy.records[0].errors) == [0]
    model, _ = task.run()
    _same_state(strategy.server.state(), model.state_dict())


def test_when_no_client_decrypts_the_run_stops():
    task = FederatedTask(**{**SMALL, "rounds": 1}, aggregation="paillier")
    _deploy_failing(task, "no client decrypted round 1's sum",
                    drop={c: "query.paillier_decrypt" for c in range(3)})


def _parse(raw):
    from flwr.proto.message_pb2 import Message as ProtoMessage

    proto = ProtoMessage()
    proto.ParseFromString(raw)
    return message_from_proto(proto)


@pytest.mark.parametrize("drop", [
    {1: "query.secagg_share"},  # lost before sharing its keys: not in U2
    {1: "train"},  # lost after sharing: its pairwise masks are removed
    {0: "query.secagg_unmask"},  # lost before the unmasking: the others suffice
])
def test_secure_aggregation_is_exact_with_a_lost_client(drop):
    task = FederatedTask(**{**SMALL, "num_clients": 4, "rounds": 1}, aggregation="secure",
                         threshold_fraction=0.5)
    start = PrivlearnStrategy(task).server.state()
    strategy, grid = _deploy(task, drop=drop)
    lost = next(iter(drop))
    kept = [c for c in range(4) if c != lost or drop[lost] == "query.secagg_unmask"]
    assert strategy.server.history.clients == [kept]
    seeds = {client: int(_parse(sent).content["config"]["seed"])
             for kind, client, sent, _ in grid.log if kind == "train"}
    data = task.client_data()
    states = [local_update(task.model_fn(), start, *data[c], seed=seeds[c], client=c,
                           local_epochs=task.local_epochs, batch_size=task.batch_size,
                           lr=task.lr) for c in kept]
    expected = fedavg(states, [len(data[c][1]) for c in kept])
    for k, v in strategy.server.state().items():
        torch.testing.assert_close(v, expected[k], rtol=0, atol=2e-6)  # fixed point, 2^-24


def test_below_the_threshold_the_round_aborts():
    task = FederatedTask(**{**SMALL, "rounds": 1}, aggregation="secure")  # t = 2 of 3
    with pytest.raises(SecAggAborted, match="fewer than threshold=2"):
        _deploy(task, drop={0: "train", 2: "train"})


def test_plain_fedavg_goes_on_without_a_lost_client():
    task = FederatedTask(**SMALL)
    strategy, _ = _deploy(task, drop={2: "train"})
    assert strategy.server.history.clients == [[0, 1], [0, 1]]
    assert [r.lost for r in strategy.records] == [[2], [2]]
    assert all(r.bytes_up[0] > 0 and 2 not in r.bytes_up for r in strategy.records)


@pytest.mark.parametrize(("partitions", "words"), [
    ([0, 0, 1], "both hold partition 0"),
    ([0, 1, 5], "fit the task"),
])
def test_nodes_must_hold_each_partition_once(partitions, words):
    task = FederatedTask(**SMALL)
    with pytest.raises((ValueError, RuntimeError), match=words):
        _deploy(task, partitions=partitions)


def test_the_packaged_app_declares_every_task_setting():
    import tomllib

    from privlearn.fl.flower.apps import APP_KEYS

    app = tomllib.loads((APP_DIR / "pyproject.toml").read_text())
    declared = app["tool"]["flwr"]["app"]["config"]
    assert declared == {**FederatedTask().to_run_config(), **APP_KEYS}
    comps = app["tool"]["flwr"]["app"]["components"]
    assert comps == {"serverapp": "privlearn.fl.flower.apps:server_app",
                     "clientapp": "privlearn.fl.flower.apps:client_app"}


def test_the_command_line_takes_every_task_setting_and_refuses_a_bad_kill():
    from privlearn.fl.flower.__main__ import _kills, _parser

    args = _parser().parse_args(["--num-clients", "4", "--aggregation", "secure",
                                 "--local-dp", "--lr", "0.05", "--kill", "1:2:shared"])
    assert (args.num_clients, args.aggregation, args.local_dp, args.lr) == (4, "secure",
                                                                           True, 0.05)
    assert _kills(args.kill) == {1: (2, "shared")}
    defaults = _parser().parse_args([])
    assert FederatedTask(**{k: getattr(defaults, k) for k in FederatedTask().__dict__}) == (
        FederatedTask())
    with pytest.raises(SystemExit, match="CLIENT:ROUND:STEP"):
        _kills(["1-2-shared"])


@pytest.mark.parametrize(("kill", "words"), [
    ({1: (1, "shared")}, "which 'fedavg' aggregation does not have"),
    ({1: (3, "planned")}, "the task has 2 rounds"),
    ({5: (1, "planned")}, "kill's client"),
    ({1: (1, "unmasked")}, "step one of planned"),
])
def test_a_kill_that_could_never_happen_is_refused_before_anything_starts(kill, words):
    from privlearn.fl.flower import LocalFederation

    federation = LocalFederation(3)  # not started: the check comes first
    with pytest.raises(ValueError, match=words):
        federation.run(FederatedTask(**SMALL), kill=kill)


def test_a_supernode_is_told_its_client_and_key_file_whatever_the_folder(tmp_path):
    from flwr.common.config import parse_config_args

    from privlearn.fl.flower.launcher import _node_config

    key = tmp_path / "a folder" / "paillier-key.json"
    assert parse_config_args([_node_config(1, 3, key)]) == {
        "partition-id": 1, "num-partitions": 3, "paillier-key": str(key)}
    assert parse_config_args([_node_config(0, 2, None)]) == {"partition-id": 0,
                                                            "num-partitions": 2}
    with pytest.raises(ValueError, match="cannot carry the key file's path"):
        _node_config(0, 2, tmp_path / 'say "cheese"' / "k.json")
