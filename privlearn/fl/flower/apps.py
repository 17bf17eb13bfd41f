"""Flower's ``ServerApp`` and ``ClientApp`` for a :class:`~privlearn.fl.FederatedTask`.

Both read the task from the run config (``flwr run ... --run-config``; every key is
declared in the packaged app's ``pyproject.toml``). A SuperNode is one client: its node
config says which (``partition-id``) and how many there are (``num-partitions``, which
must equal the task's ``num-clients``). The server writes what it measured to
``output-dir`` (run config): ``history.json`` and the final model, ``model.pt``.

Flower starts a fresh ClientApp process for every message, so whatever a client must
remember between messages lives in ``context.state``, which stays on its SuperNode:
the local-DP accountant's history, and its secure-aggregation keys and received shares
between the four messages of a round (:mod:`privlearn.mpc.secagg_parties`), dropped once
it has answered the unmasking.

Under ``aggregation="paillier"`` every client holds the same Paillier key pair, given to
its SuperNode by a key authority as a file (``--node-config 'paillier-key="PATH"'``, a
file from :func:`privlearn.he.save_phe_private_key`; :class:`LocalFederation` is the
authority of its nodes). The server never has it: it learns the public key from the
clients when they register, adds their packed ciphertexts, and asks one client to
decrypt the sum (``query.paillier_decrypt``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.serverapp import Grid, ServerApp

from ...dp import RDPAccountant
from ...he import (
    ciphertexts_to_bytes,
    load_phe_private_key,
    pack_encrypt,
    packed_from_bytes,
    unpack_decrypt,
)
from ...mpc.secagg_parties import FIELD_BYTES, SecAggClient
from ..secure import encode_weighted, secure_threshold
from ..simulation import local_update
from ..states import flatten_state
from ..task import FederatedTask
from .strategy import PrivlearnStrategy

__all__ = ["client_app", "server_app"]

#: run-config keys of the app that are not task settings
APP_KEYS = {"output-dir": "", "timeout": 120.0}

server_app = ServerApp()
client_app = ClientApp()


# ---- server ---------------------------------------------------------------------------
@server_app.main()
def main(grid: Grid, context: Context) -> None:
    """Run the task's rounds with :class:`PrivlearnStrategy`; write the results."""
    task = FederatedTask.from_run_config(context.run_config)
    out = str(context.run_config.get("output-dir", ""))
    strategy = PrivlearnStrategy(task, timeout=float(context.run_config.get("timeout", 120.0)),
                                 progress=Path(out) / "progress.jsonl" if out else None)
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
    try:
        strategy.start(grid, ArrayRecord(strategy.server.state()), num_rounds=task.rounds,
                       timeout=strategy.timeout)
    finally:  # a failed run still reports the rounds it finished
        if out:
            write_results(Path(out), strategy)


def write_results(out: Path, strategy: PrivlearnStrategy) -> None:
    """``history.json`` (the :class:`~privlearn.fl.FedAvgHistory` and the wire
    measurements) and ``model.pt`` (the final global state dict) in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    h = strategy.server.history
    eps = strategy.epsilon()
    doc = {
        "history": {"accuracy": h.accuracy, "loss": h.loss, "clients": h.clients,
                    "bytes_up": h.bytes_up, "bytes_down": h.bytes_down},
        "rounds": [{"clients": r.clients, "lost": r.lost, "seconds": r.seconds,
                    "errors": {str(c): e for c, e in r.errors.items()},
                    "steps": r.steps,
                    "wire_down": {str(c): b for c, b in r.bytes_down.items()},
                    "wire_up": {str(c): b for c, b in r.bytes_up.items()}}
                   for r in strategy.records[:h.rounds]],  # finished rounds only
        "epsilon": None if eps is None or math.isinf(eps) else eps,
        "client_epsilon": strategy.client_epsilon[:h.rounds],
    }
    (out / "history.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    torch.save(strategy.server.state(), out / "model.pt")


# ---- clients --------------------------------------------------------------------------
def _client_index(context: Context, task: FederatedTask) -> int:
    node = context.node_config
    try:
        client, count = int(node["partition-id"]), int(node["num-partitions"])
    except KeyError as err:
        raise ValueError(f"the SuperNode needs --node-config 'partition-id=I num-partitions=N'"
                         f", it lacks {err}") from err
    if count != task.num_clients or not 0 <= client < count:
        raise ValueError(f"node config partition-id={client} num-partitions={count} does not "
                         f"fit the task's num-clients={task.num_clients}")
    return client


def _addressed(msg: Message, context: Context) -> tuple[FederatedTask, int, ConfigRecord]:
    """The task, this node's client index and the message's config, after checking that
    the message is addressed to this client."""
    task = FederatedTask.from_run_config(context.run_config)
    client = _client_index(context, task)
    cfg = msg.content["config"]
    if int(cfg["client"]) != client:
        raise ValueError(f"a message for client {cfg['client']} reached client {client}")
    return task, client, cfg


@client_app.query("register")
def register(msg: Message, context: Context) -> Message:
    """Tell the server which client this node is."""
    task = FederatedTask.from_run_config(context.run_config)
    client = _client_index(context, task)
    values = {"partition-id": client}
    if task.aggregation == "paillier":  # the public half of the clients' key
        public, _ = _paillier_key(context)
        values["paillier-n"] = public.n.to_bytes((public.n.bit_length() + 7) // 8, "big")
    return Message(RecordDict({"config": ConfigRecord(values)}), reply_to=msg)


@client_app.train()
def train(msg: Message, context: Context) -> Message:
    """Local training from the global model with the seed the server planned."""
    task, client, cfg = _addressed(msg, context)
    x, y = task.client_data()[client]
    local_train = task.local_train()
    if local_train is not None:  # this client's accountant, kept on its node
        accountant = RDPAccountant()
        if "local-dp" in context.state:
            kept = context.state["local-dp"]
            for sigma, q, steps in zip(kept["sigma"], kept["q"], kept["steps"], strict=True):
                accountant.step(noise_multiplier=sigma, sample_rate=q, steps=steps)
        local_train.accountants[client] = accountant
    global_state = msg.content["arrays"].to_torch_state_dict()
    state = local_update(task.model_fn(), global_state, x, y,
                         seed=int(cfg["seed"]), client=client,
                         local_epochs=task.local_epochs, batch_size=task.local_batch_size(),
                         lr=task.lr, local_train=local_train)
    metrics = {"num-examples": int(x.shape[0])}
    if task.aggregation == "secure":  # send only the masked n_i·θ_i, never the model
        party = SecAggClient.from_bytes(context.state["secagg"])
        received = _unique(cfg["received-from"], cfg["received"], "received-from")
        summands = int(cfg["max-summands"])
        if summands < len(received):  # a smaller bound would let the sum wrap silently
            raise ValueError(f"max-summands={summands} is below the {len(received)} clients "
                             "whose inputs will be summed")
        encoded = encode_weighted(state, list(state), x.shape[0], frac_bits=task.frac_bits,
                                  max_summands=summands,
                                  name=f"client {client}'s model times its example count")
        content = {"arrays": ArrayRecord([party.masked_input(encoded, received)])}
        context.state["secagg"] = ConfigRecord(party.to_bytes())
    elif task.aggregation == "paillier":  # only ciphertexts leave the node
        public, _ = _paillier_key(context)
        content = {"paillier": ConfigRecord({"ct": ciphertexts_to_bytes(
            _pack(public, flatten_state(state, list(global_state)), task))})}
    else:
        content = {"arrays": ArrayRecord(state)}
    if local_train is not None:
        accountant = local_train.accountants[client]
        sigmas, qs, steps = zip(*accountant.history, strict=True)
        context.state["local-dp"] = ConfigRecord(
            {"sigma": list(sigmas), "q": list(qs), "steps": list(steps)})
        metrics["epsilon"] = accountant.get_epsilon(task.delta)
    return Message(RecordDict({**content, "metrics": MetricRecord(metrics)}), reply_to=msg)


# ---- secure aggregation: the client's half (privlearn.mpc.secagg_parties) ---------------
def _reply(msg: Message, values: dict) -> Message:
    return Message(RecordDict({"config": ConfigRecord(values)}), reply_to=msg)


def _unique(ids, values, name: str) -> dict:
    ids = [int(v) for v in ids]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{name} lists a client twice: {ids}")
    return dict(zip(ids, values, strict=True))


@client_app.query("secagg_advertise")
def secagg_advertise(msg: Message, context: Context) -> Message:
    """Step 0: fresh keys for this round; the secrets stay in the node's state."""
    _, client, cfg = _addressed(msg, context)
    party = SecAggClient(client, vector_length=int(cfg["vector-length"]))
    c_pk, s_pk = party.advertise()
    context.state["secagg"] = ConfigRecord(party.to_bytes())
    return _reply(msg, {"c-pk": c_pk, "s-pk": s_pk})


@client_app.query("secagg_share")
def secagg_share(msg: Message, context: Context) -> Message:
    """Step 1: this client's shares, each encrypted for its receiver."""
    task = FederatedTask.from_run_config(context.run_config)
    party = SecAggClient.from_bytes(context.state["secagg"])
    cfg = msg.content["config"]
    keys = _unique(cfg["keys-of"], list(zip(cfg["c-pk"], cfg["s-pk"], strict=True)),
                   "keys-of")
    t = int(cfg["threshold"])
    if t < secure_threshold(len(keys), task.threshold_fraction):  # the run's own rule
        raise ValueError(f"threshold={t} is below the task's threshold_fraction="
                         f"{task.threshold_fraction:g} of the {len(keys)} clients")
    out = party.share_keys(keys, threshold=t, session=cfg["session"])
    context.state["secagg"] = ConfigRecord(party.to_bytes())
    return _reply(msg, {"to": list(out), "ct": list(out.values())})


@client_app.query("secagg_unmask")
def secagg_unmask(msg: Message, context: Context) -> Message:
    """Step 3: shares of the survivors' seeds and of the dropped clients' keys."""
    party = SecAggClient.from_bytes(context.state["secagg"])
    shares = party.unmask([int(v) for v in msg.content["config"]["survivors"]])
    context.state["secagg"] = ConfigRecord({"step": "done"})  # the secrets are not kept
    return _reply(msg, {"seed-of": list(shares["seed"]), "key-of": list(shares["key"]),
                        "seed": [y.to_bytes(FIELD_BYTES, "big") for y in shares["seed"].values()],
                        "key": [y.to_bytes(FIELD_BYTES, "big") for y in shares["key"].values()]})


# ---- Paillier: the key holders' half ----------------------------------------------------
def _paillier_key(context: Context):
    """The clients' Paillier key pair, from the file named in the node config."""
    path = context.node_config.get("paillier-key")
    if not path:
        raise ValueError("aggregation='paillier' needs the clients' key on every SuperNode: "
                         "start it with --node-config '... paillier-key=\"PATH\"', PATH a "
                         "file from privlearn.he.save_phe_private_key (LocalFederation "
                         "provisions its nodes itself)")
    return load_phe_private_key(str(path))


def _pack(public, vector, task: FederatedTask):
    """``pack_encrypt`` with the task's settings; a parameter beyond ``max_abs`` raises
    without its value, since an error's message travels to the server."""
    settings = task.paillier_settings()
    beyond = np.flatnonzero(~(np.abs(vector) <= settings["max_abs"]))
    if beyond.size:
        raise ValueError(f"{beyond.size} of the model's {vector.size} parameters lie beyond "
                         f"max_abs={settings['max_abs']:g} (the first at index "
                         f"{int(beyond[0])}): raise max_abs or lower lr")
    return pack_encrypt(public, vector, **settings)


@client_app.query("paillier_decrypt")
def paillier_decrypt(msg: Message, context: Context) -> Message:
    """Decrypt the aggregate the server computed: Σ n_i·θ_i / Σ n_i, the next global
    model. Nothing here can tell a sum from one client's upload: the server is trusted
    to send only sums (see :mod:`.strategy`)."""
    task, _, cfg = _addressed(msg, context)
    public, private = _paillier_key(context)
    length = sum(t.numel() for t in task.model_fn().state_dict().values())
    total = packed_from_bytes(public, list(cfg["ct"]), shape=(length,),
                              summands=cfg["summands"], divisor=cfg["divisor"],
                              **task.paillier_settings())
    return Message(RecordDict({"arrays": ArrayRecord([unpack_decrypt(private, total)])}),
                   reply_to=msg)
