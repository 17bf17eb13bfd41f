"""A Flower strategy whose server side is privlearn's :class:`~privlearn.fl.FedAvgServer`.

Flower's :class:`flwr.serverapp.strategy.FedAvg` samples nodes with Python's ``random``
and averages what comes back. :class:`PrivlearnStrategy` keeps Flower's round loop
(``start``) and replaces both halves with privlearn's: the rounds are planned by
:meth:`~privlearn.fl.FedAvgServer.plan_round` (the clients, and a seed for each), and
the replies are aggregated by :meth:`~privlearn.fl.FedAvgServer.finish_round` with the
task's aggregator, in client order. The same :class:`~privlearn.fl.FederatedTask`
therefore gives the same model as :meth:`~privlearn.fl.FederatedTask.run` in one
process, bit for bit when both sides run with one torch thread.

Clients are privlearn's client indices, not Flower node ids: before round 1 the
strategy asks every node for its ``partition-id`` (a ``query.register`` message) and
refuses a federation whose nodes do not hold partitions 0..K-1 exactly once.

A client whose reply does not arrive within ``timeout`` seconds, or arrives as an
error, is left out of the round (:attr:`RoundRecord.lost`); plain FedAvg and DP-FedAvg
then aggregate the others.

**Secure aggregation** (``aggregation="secure"``) runs Bonawitz et al.'s protocol with
the client and server halves of :mod:`privlearn.mpc.secagg_parties` as Flower messages,
four per round: ``query.secagg_advertise`` (public keys), ``query.secagg_share``
(shares of each client's secrets, encrypted for their receivers: the server relays
ciphertexts), ``train`` (local training, then the masked n_i·θ_i), and
``query.secagg_unmask`` (the shares that remove the masks). The server holds no
client's secret and never a client's model: it learns Σ n_i·θ_i over the clients whose
masked input arrived, and, in the clear, each client's example count n_i (the weights
of the average), its local-DP ε if it trains with DP-SGD, and who took part in each
step. Clients lost after sharing their keys are unmasked out of the sum; with fewer
than t left at any step the run stops with
:class:`~privlearn.mpc.secagg_parties.SecAggAborted`. Against an active server see the
limits in :mod:`privlearn.mpc.secagg_parties`.

**Paillier** (``aggregation="paillier"``): the clients share a key pair the server does
not have (a key authority gives it to their SuperNodes, see :mod:`.apps`); each sends
its model packed and encrypted (:func:`privlearn.he.pack_encrypt`, with the task's
public :meth:`~privlearn.fl.FederatedTask.paillier_settings`); the server computes
Σ n_i ⊗ Enc(θ_i) with the public key, which the clients reported when they registered
(all the same, or the run stops), and sends it to one client of the sum to decrypt
(``query.paillier_decrypt``; the next one if it is lost or answers with no model). A sum
of fewer than max(2, t) clients is never decrypted: the run stops. The server learns the
average, each n_i, who took part, and the error messages of failed replies (the
Paillier steps keep parameter values and key material out of theirs); the decrypting
client learns the average, which the next round's clients receive anyway.

Whom this trusts. The server, to ask for the decryption of sums only: a key holder
decrypts whatever it is sent, so a lone client's upload, sent as it came or raised to
the power Σ n_i to look like a sum, comes back in the clear (``tests/fl/test_flower.py``
mounts this attack). Every client, to keep the key: one that colludes with the server,
or sees another's upload on a channel without TLS, reads every model (secure aggregation
needs t colluding clients). The decrypting client, for integrity: the model it returns
becomes the global model, unchecked beyond its length and finiteness. Every client, to
send well-formed input: there are no range proofs, so one client can shift the average
or overflow a slot and spoil the round (in plain FedAvg it could send any model too). The
key lives as long as the federation: whoever records the uploads and later gets the key
reads them all.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Message, MetricRecord, RecordDict
from flwr.serverapp import Grid
from flwr.serverapp.strategy import FedAvg
from flwr.supercore.inflatable.inflatable_object import get_all_nested_objects
from phe.paillier import PaillierPublicKey

from ...he import (
    check_public_key,
    ciphertexts_to_bytes,
    encrypted_weighted_average,
    packed_from_bytes,
)
from ...mpc.secagg_parties import SecAggServer
from ..encrypted import packed_upload_bytes
from ..secure import decode_average, secure_threshold
from ..simulation import FedAvgServer
from ..states import unflatten_state
from ..task import FederatedTask

__all__ = ["PollingGrid", "PrivlearnStrategy", "RoundRecord", "message_bytes"]


def message_bytes(message: Message) -> int:
    """Bytes of a message as Flower sends it: every object of its tree, serialized
    (metadata and records; gRPC's framing of a few bytes a message is not counted)."""
    return sum(len(obj.deflate()) for obj in get_all_nested_objects(message).values())


class PollingGrid(Grid):
    """A grid that checks for replies every ``interval`` seconds.

    Flower 1.42's deployment grid waits 3 s between checks in ``send_and_receive``;
    with four message rounds per secure-aggregation round that is most of a round.
    This wrapper uses the grid's own ``push_messages`` and ``pull_messages`` and only
    checks more often; everything else is delegated.
    """

    def __init__(self, grid: Grid, *, interval: float = 0.2) -> None:
        self.grid = grid
        self.interval = interval

    def set_run(self, run) -> None:
        self.grid.set_run(run)

    @property
    def run(self):
        return self.grid.run

    def create_message(self, content, message_type, dst_node_id, group_id, ttl=None):
        return self.grid.create_message(content, message_type, dst_node_id, group_id, ttl)

    def get_node_ids(self):
        return self.grid.get_node_ids()

    def push_messages(self, messages):
        return self.grid.push_messages(messages)

    def pull_messages(self, message_ids):
        return self.grid.pull_messages(message_ids)

    def send_and_receive(self, messages, *, timeout: float | None = None) -> list[Message]:
        waiting = {i for i in self.push_messages(list(messages)) if i}
        end = None if timeout is None else time.monotonic() + timeout
        replies: list[Message] = []
        while waiting:
            got = list(self.pull_messages(sorted(waiting)))
            replies.extend(got)
            waiting -= {m.metadata.reply_to_message_id for m in got}
            if not waiting or (end is not None and time.monotonic() >= end):
                break
            time.sleep(self.interval)
        return replies


def _read(client: int, step: str, content, get):
    """``get(content)``, or a ValueError naming the client and the step whose reply lacks a
    field or holds one of the wrong type (a bug on the client's side: the run stops)."""
    try:
        return get(content)
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise ValueError(f"client {client}'s {step} reply is malformed: "
                         f"{type(err).__name__}: {err}") from err


@dataclass
class RoundRecord:
    """What one round cost on the wire and in time, as the server measured it."""

    clients: list[int]
    lost: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)  # client -> its error reply
    bytes_down: dict[int, int] = field(default_factory=dict)  # client -> bytes received
    bytes_up: dict[int, int] = field(default_factory=dict)  # client -> bytes sent
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)  # step -> seconds into the round


class _PaillierServerHalf:
    """:class:`~privlearn.fl.FedAvgServer`'s aggregator under Paillier on Flower: fixed
    sampling and the count of bytes a client sends; the aggregate itself is computed by
    the strategy (the sum) and a key holder (the decryption). ``public_key`` is set
    when the clients register."""

    sampling = "fixed"

    def __init__(self, settings: dict) -> None:
        self.settings = settings
        self.public_key: PaillierPublicKey | None = None

    def start(self, **kwargs) -> None:
        """Nothing to prepare."""

    def aggregate(self, global_state, client_states, num_examples):
        raise RuntimeError("under Paillier the server never holds the clients' models: "
                           "PrivlearnStrategy aggregates ciphertexts")

    def upload_bytes(self, state) -> int:
        return packed_upload_bytes(self.public_key, state, **self.settings)


class PrivlearnStrategy(FedAvg):
    """Flower's round loop with privlearn's planning and aggregation.

    Parameters
    ----------
    task : FederatedTask
        What to train; its ``aggregation`` chooses the aggregator.
    timeout : float
        Seconds to wait for the nodes to connect and for each message round's replies.
    progress : str or Path, optional
        A file to which each finished step is appended as a JSON line
        (``{"round": 2, "step": "shared"}``): how a launcher watching the run knows when
        to kill a node mid-round.
    register_timeout : float
        Seconds to wait for every node to connect and say which client it is (a node's
        first message installs the app and starts its first process: slower than a
        round's).
    """

    def __init__(self, task: FederatedTask, *, timeout: float = 120.0,
                 progress: str | Path | None = None, register_timeout: float = 120.0
                 ) -> None:
        if not isinstance(task, FederatedTask):
            raise TypeError(f"task must be a FederatedTask, got {type(task).__name__}")
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        super().__init__(fraction_train=task.client_fraction, fraction_evaluate=0.0,
                         min_available_nodes=task.num_clients)
        self.task = task
        self.timeout = float(timeout)
        if not register_timeout > 0:
            raise ValueError(f"register_timeout must be > 0 seconds, got {register_timeout!r}")
        self.register_timeout = float(register_timeout)
        paillier = task.aggregation == "paillier"  # task.aggregator() would make keys here
        self.server = FedAvgServer(
            task.model_fn, num_clients=task.num_clients, client_fraction=task.client_fraction,
            aggregator=_PaillierServerHalf(task.paillier_settings()) if paillier
            else task.aggregator(), eval_data=task.eval_data(), rng=task.seed)
        self.nodes: dict[int, int] | None = None  # client index -> Flower node id
        self.records: list[RoundRecord] = []
        self.client_epsilon: list[float] = []  # per round, the largest local-DP ε reported
        self.progress = None if progress is None else Path(progress)
        self._plan: list[tuple[int, int]] = []
        self._started = 0.0
        self._grid: Grid | None = None
        self._secagg: SecAggServer | None = None

    def _step(self, server_round: int, step: str) -> None:
        if self.records:
            self.records[-1].steps[step] = time.perf_counter() - self._started
        if self.progress is not None:
            with self.progress.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"round": server_round, "step": step}) + "\n")

    def _exchange(self, grid: Grid, contents: dict[int, RecordDict], message_type: str
                  ) -> dict[int, RecordDict]:
        """Send each client its content, wait; return client -> reply content for the
        replies that came back without error. Bytes go into this round's record."""
        record = self.records[-1]
        messages = []
        for client, content in contents.items():
            msg = Message(content, dst_node_id=self.nodes[client], message_type=message_type)
            record.bytes_down[client] = record.bytes_down.get(client, 0) + message_bytes(msg)
            messages.append(msg)
        replies = grid.send_and_receive(messages, timeout=self.timeout)
        return {c: reply.content for c, reply in self._collect(replies, contents).items()}

    def _collect(self, replies: Iterable[Message], expected) -> dict[int, Message]:
        """client -> reply for the replies of the ``expected`` clients that came back
        without error; errors and bytes go into this round's record."""
        record = self.records[-1]
        client_of = {node: client for client, node in self.nodes.items()}
        out = {}
        for reply in replies:
            client = client_of.get(reply.metadata.src_node_id)
            if client is None or client not in expected:
                continue
            if reply.has_error():
                record.errors[client] = reply.error.reason
                continue
            record.bytes_up[client] = record.bytes_up.get(client, 0) + message_bytes(reply)
            out[client] = reply
        return out

    def start(self, grid: Grid, initial_arrays: ArrayRecord, num_rounds: int = 3,
              timeout: float | None = None, train_config=None, evaluate_config=None,
              evaluate_fn=None):
        """Flower's round loop on a :class:`PollingGrid` around ``grid``; ``timeout``
        defaults to the strategy's."""
        return super().start(PollingGrid(grid), initial_arrays, num_rounds=num_rounds,
                             timeout=self.timeout if timeout is None else timeout,
                             train_config=train_config, evaluate_config=evaluate_config,
                             evaluate_fn=evaluate_fn)

    def summary(self) -> None:
        """Flower logs this at the start of a run."""
        from flwr.supercore import log

        log(20, "\t└──> privlearn task: %s", self.task)

    # ---- nodes -----------------------------------------------------------------------
    def register(self, grid: Grid) -> dict[int, int]:
        """Wait for the nodes and learn which client each one is (its ``partition-id``)."""
        k = self.task.num_clients
        deadline = time.monotonic() + self.register_timeout
        while len(node_ids := sorted(grid.get_node_ids())) < k:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(node_ids)} of {k} nodes connected within "
                                   f"{self.register_timeout:g} s")
            time.sleep(0.2)
        queries = [Message(RecordDict({"config": ConfigRecord({"num-clients": k})}),
                           dst_node_id=n, message_type="query.register") for n in node_ids]
        replies = list(grid.send_and_receive(queries, timeout=self.register_timeout))
        nodes: dict[int, int] = {}
        moduli: dict[int, int] = {}
        for reply in replies:
            if reply.has_error():
                raise RuntimeError(f"node {reply.metadata.src_node_id} could not register: "
                                   f"{reply.error.reason}")
            client = int(reply.content["config"]["partition-id"])
            if self.task.aggregation == "paillier":
                moduli[client] = _read(client, "register", reply.content, lambda r: int.from_bytes(
                    r["config"]["paillier-n"], "big"))
            if client in nodes:
                raise ValueError(f"nodes {nodes[client]} and {reply.metadata.src_node_id} both "
                                 f"hold partition {client}: each must hold its own")
            nodes[client] = reply.metadata.src_node_id
        if sorted(nodes) != list(range(k)):
            raise ValueError(f"the nodes hold partitions {sorted(nodes)}, expected 0..{k - 1} "
                             f"(num-clients={k}) each on one node")
        if moduli:
            if len(set(moduli.values())) != 1:
                raise ValueError("the clients hold different Paillier keys: clients "
                                 f"{sorted(moduli)} report moduli ending in "
                                 f"{[hex(n)[-8:] for _, n in sorted(moduli.items())]}")
            self.server.aggregator.public_key = check_public_key(
                PaillierPublicKey(moduli[0]))
        return nodes

    # ---- training rounds ---------------------------------------------------------------
    def configure_train(self, server_round: int, arrays: ArrayRecord, config: ConfigRecord,
                        grid: Grid) -> Iterable[Message]:
        """Plan the round with privlearn's server and address each client's node."""
        if self.nodes is None:
            self.nodes = self.register(grid)
        self._grid = grid
        self._started = time.perf_counter()
        self._plan = self.server.plan_round()
        self.records.append(RoundRecord(clients=[c for c, _ in self._plan]))
        self._step(server_round, "planned")
        global_arrays = ArrayRecord(self.server.state())
        extra: dict[int, dict] = {client: {} for client, _ in self._plan}
        if self.task.aggregation == "secure":
            extra = self._secagg_setup(grid, server_round)
        messages = []
        record = self.records[-1]
        for client, seed in self._plan:
            if client not in extra:  # lost during the key exchange
                continue
            cfg = ConfigRecord({"server-round": server_round, "client": client, "seed": seed,
                                **extra[client]})
            msg = Message(RecordDict({"arrays": global_arrays, "config": cfg}),
                          dst_node_id=self.nodes[client], message_type="train")
            record.bytes_down[client] = record.bytes_down.get(client, 0) + message_bytes(msg)
            messages.append(msg)
        return messages

    def _secagg_setup(self, grid: Grid, server_round: int) -> dict[int, dict]:
        """Steps 0 and 1: keys, then the encrypted shares; what each client in U2 needs
        with its training message (the ciphertexts addressed to it)."""
        clients = [c for c, _ in self._plan]
        length = sum(t.numel() for t in self.server.state().values())
        t = secure_threshold(len(clients), self.task.threshold_fraction)
        server = self._secagg = SecAggServer(threshold=t, vector_length=length)
        ads = self._exchange(grid, {c: RecordDict({"config": ConfigRecord(
            {"client": c, "vector-length": length})}) for c in clients},
            "query.secagg_advertise")
        keys = server.collect_keys({c: _read(c, "secagg_advertise", r, lambda r: (
            r["config"]["c-pk"], r["config"]["s-pk"])) for c, r in ads.items()})
        self._step(server_round, "advertised")
        announce = ConfigRecord({"keys-of": list(keys), "c-pk": [k[0] for k in keys.values()],
                                 "s-pk": [k[1] for k in keys.values()], "threshold": t,
                                 "session": server.session})
        shared = self._exchange(grid, {c: RecordDict({"config": announce}) for c in keys},
                                "query.secagg_share")
        relayed = server.collect_shares(
            {c: _read(c, "secagg_share", r, lambda r: dict(zip(
                [int(v) for v in r["config"]["to"]], r["config"]["ct"], strict=True)))
             for c, r in shared.items()})
        self._step(server_round, "shared")
        return {c: {"received-from": list(by_sender), "received": list(by_sender.values()),
                    "max-summands": len(clients)} for c, by_sender in relayed.items()}

    def aggregate_train(self, server_round: int, replies: Iterable[Message]
                        ) -> tuple[ArrayRecord | None, MetricRecord | None]:
        """Aggregate in client order with the task's aggregator; lost clients are left out."""
        record = self.records[-1]
        received = self._collect(replies, {c for c, _ in self._plan})
        kept = [c for c, _ in self._plan if c in received]
        replies = {c: received[c].content for c in kept}
        counts = [_read(c, "train", r, lambda r: int(r["metrics"]["num-examples"]))
                  for c, r in replies.items()]
        eps = [_read(c, "train", r, lambda r: float(r["metrics"]["epsilon"]))
               for c, r in replies.items()
               if "epsilon" in r.metric_records.get("metrics", {})]
        self.client_epsilon.append(max(eps, default=0.0))
        if self.task.aggregation == "secure":
            self._step(server_round, "masked")
            kept = self._secagg_finish(received, dict(zip(kept, counts, strict=True)))
        elif self.task.aggregation == "paillier":
            self._paillier_finish(server_round, replies, counts)
        else:
            states = [_read(c, "train", r, lambda r: r["arrays"].to_torch_state_dict())
                      for c, r in replies.items()]
            self.server.finish_round(states, counts, clients=kept)
        record.lost = [c for c, _ in self._plan if c not in kept]
        record.seconds = time.perf_counter() - self._started
        h = self.server.history
        return ArrayRecord(self.server.state()), MetricRecord(
            {"accuracy": h.accuracy[-1], "loss": h.loss[-1], "clients": len(kept)})

    def _secagg_finish(self, received: dict[int, Message], counts: dict[int, int]
                       ) -> list[int]:
        """Steps 2 and 3: the masked inputs, the unmasking; the average of U3's models."""
        server = self._secagg
        survivors = server.collect_masked(
            {c: _read(c, "train", r.content, lambda r: r["arrays"].to_numpy_ndarrays()[0])
             for c, r in received.items()})
        answers = self._exchange(self._grid, {c: RecordDict({"config": ConfigRecord(
            {"survivors": survivors})}) for c in survivors}, "query.secagg_unmask")
        shares = {c: _read(c, "secagg_unmask", r, lambda r: {
            which: {int(v): int.from_bytes(y, "big") for v, y in zip(
                r["config"][f"{which}-of"], r["config"][which], strict=True)}
            for which in ("seed", "key")}) for c, r in answers.items()}
        total = server.unmask(shares)
        weight = math.fsum(counts[c] for c in survivors)
        new_state = decode_average(total, weight, self.server.state(),
                                   frac_bits=self.task.frac_bits)
        order = [c for c, _ in self._plan if c in survivors]
        self.server.finish_aggregated(new_state, clients=order)
        return order

    def _paillier_finish(self, server_round: int, replies: dict[int, RecordDict],
                         counts: list[int]) -> None:
        """Σ n_i ⊗ Enc(θ_i) on the ciphertexts, decrypted by the first client whose answer
        is a model; never the sum of fewer than max(2, t) clients, which would come too
        close to one client's model (t as secure aggregation's, from
        ``threshold_fraction``)."""
        kept, planned = list(replies), len(self._plan)
        need = max(2, secure_threshold(planned, self.task.threshold_fraction))
        if len(kept) < need:
            raise RuntimeError(
                f"round {server_round}: the uploads of {len(kept)} of the {planned} clients "
                f"arrived, fewer than {need} (threshold_fraction="
                f"{self.task.threshold_fraction:g}, and at least 2): the sum is not "
                f"decrypted and the run stops; errors: {self.records[-1].errors}")
        global_state = self.server.state()
        public = self.server.aggregator.public_key
        settings = self.server.aggregator.settings
        length = sum(t.numel() for t in global_state.values())
        vectors = [_read(c, "train", r, lambda r: packed_from_bytes(
            public, list(r["paillier"]["ct"]), shape=(length,), **settings))
            for c, r in replies.items()]
        try:
            total = encrypted_weighted_average(vectors, counts)
        except OverflowError as err:  # the counts' sum passes max_summands
            raise RuntimeError(f"round {server_round}: the clients report {sum(counts)} "
                               f"examples, more than max_summands={settings['max_summands']}"
                               " (the training split): a client misreports") from err
        self._step(server_round, "summed")
        blobs = ciphertexts_to_bytes(total)
        for c in kept:  # the next client, if one is lost or answers with no model
            cfg = ConfigRecord({"client": c, "ct": blobs, "summands": total.summands,
                                "divisor": int(total.divisor)})
            answer = self._exchange(self._grid, {c: RecordDict({"config": cfg})},
                                    "query.paillier_decrypt")
            if c not in answer:
                continue
            try:
                vector = _read(c, "paillier_decrypt", answer[c],
                               lambda r: r["arrays"].to_numpy_ndarrays()[0])
                if (vector.dtype.kind != "f" or vector.shape != (length,)
                        or not np.isfinite(vector).all()):
                    raise ValueError(f"client {c}'s paillier_decrypt reply is not {length} "
                                     f"finite floats (dtype {vector.dtype}, shape "
                                     f"{vector.shape})")
            except ValueError as err:
                self.records[-1].errors[c] = str(err)
                continue
            break
        else:
            raise RuntimeError(f"no client decrypted round {server_round}'s sum: clients "
                               f"{kept} were asked; errors: {self.records[-1].errors}")
        self._step(server_round, "decrypted")
        self.server.finish_aggregated(unflatten_state(vector, global_state), clients=kept)

    # ---- no federated evaluation: the server evaluates on the test split ---------------
    def configure_evaluate(self, server_round: int, arrays: ArrayRecord, config: ConfigRecord,
                           grid: Grid) -> Iterable[Message]:
        """None: :class:`~privlearn.fl.FedAvgServer` evaluates each round centrally."""
        return []

    def aggregate_evaluate(self, server_round: int, replies: Iterable[Message]
                           ) -> MetricRecord | None:
        """Nothing to aggregate."""
        return None

    def epsilon(self) -> float | None:
        """ε of DP-FedAvg so far (client level), None for other aggregations."""
        agg = self.server.aggregator
        return agg.epsilon() if hasattr(agg, "epsilon") else None
