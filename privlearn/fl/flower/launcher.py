"""A federation of real processes on this machine: one SuperLink, N SuperNodes.

:class:`LocalFederation` starts Flower's ``flower-superlink`` and one
``flower-supernode`` per client as separate processes that talk gRPC over 127.0.0.1 on
free ports, submits a :class:`~privlearn.fl.FederatedTask` with ``flwr run`` to the
packaged app (``privlearn/fl/flower/app``), waits for it, and reads back what the
server measured. Flower's home (its connection config) is a fresh temporary folder, so
nothing in ``~/.flwr`` is read or written.

Clean-up is the point of the class: every process it starts is its own process group
and gets SIGKILL if the Python process that started it dies (Linux's parent-death
signal), so a crashed notebook kernel leaves no SuperLink behind; :meth:`close` (also
on ``with`` exit, at interpreter exit, and on garbage collection) kills each process
tree, ServerApp and ClientApp processes included.

For ``aggregation="paillier"`` the federation is also the clients' key authority: it
names a file of its temporary folder in every SuperNode's node config (``paillier-key``)
and, before the first Paillier run, writes a fresh 2048-bit key pair to it (mode 0600);
the ServerApp is never told of it. On one machine this separates the roles, not the
machines: the server's process could read the file, as any process of the same user
could.

Pitfalls this class takes care of: runtime dependency installation is off (it would
fetch a CUDA build of torch), telemetry and update checks are off, ``FORCE_COLOR``
(set by Jupyter) is removed because it breaks ``--format json``, and the virtual
environment's ``bin`` comes first on ``PATH`` because SuperNodes start ``flwr-clientapp``
by name.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import click
import torch
from flwr.common.config import parse_config_args

from ..._processes import descendants, die_with_parent, kill_tree, running
from ..._validation import check_bool, check_int, check_real
from ...he import generate_phe_keypair, save_phe_private_key
from ..simulation import FedAvgHistory
from ..task import FederatedTask

__all__ = ["APP_DIR", "DeploymentFailed", "DeploymentResult", "LocalFederation"]

#: the packaged Flower app: a pyproject.toml whose components point into privlearn
APP_DIR = Path(__file__).resolve().parent / "app"


@dataclass
class DeploymentResult:
    """What a deployment run returned.

    Attributes
    ----------
    history : FedAvgHistory
        As :func:`~privlearn.fl.run_fedavg` records it (accuracy, loss, clients, and the
        aggregator's count of bytes).
    state : dict
        The final global model's state dict.
    seconds : list of float
        Wall-clock seconds per round on the server, from sending the round's first
        message to the aggregated model.
    wire_up, wire_down : list of dict
        Per round, client -> bytes of the messages it sent / received, measured on the
        serialized Flower messages.
    lost : list of list of int
        Per round, the sampled clients left out of the aggregate (no reply in time, or
        an error reply).
    errors : list of dict
        Per round, client -> the error its node replied with (e.g. a model beyond the
        Paillier bound ``max_abs``).
    epsilon : float or None
        Client-level ε of DP-FedAvg at the task's δ (None for other aggregations).
    client_epsilon : list of float
        Per round, the largest example-level ε a client reported (local DP; 0 without).
    steps : list of dict
        Per round, each step the server finished -> seconds into the round
        (``planned``; for secure aggregation also ``advertised``, ``shared``, ``masked``;
        for Paillier ``summed`` and ``decrypted``).
    seconds_total : float
        From submitting the run to reading its results.
    run_id : int
        Flower's id of the run.
    """

    history: FedAvgHistory
    state: dict
    seconds: list[float]
    wire_up: list[dict[int, int]]
    wire_down: list[dict[int, int]]
    lost: list[list[int]]
    errors: list[dict[int, str]]
    epsilon: float | None
    client_epsilon: list[float]
    steps: list[dict[str, float]]
    seconds_total: float
    run_id: int


class DeploymentFailed(RuntimeError):
    """A run that did not complete. :attr:`result` holds the rounds it finished (a
    :class:`DeploymentResult`, or None if the server wrote nothing)."""

    def __init__(self, message: str, result: DeploymentResult | None) -> None:
        super().__init__(message)
        self.result = result


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # a TOML basic string is a JSON string


class LocalFederation:
    """A SuperLink and ``num_nodes`` SuperNodes as processes on 127.0.0.1.

    Parameters
    ----------
    num_nodes : int
        N >= 2 SuperNodes; node i holds client i (``partition-id=i num-partitions=N``).
    startup_timeout : float
        Seconds to wait for the SuperLink to listen.
    keep_logs : str or Path, optional
        A folder to copy the processes' logs into when the federation closes.
    simulation : bool
        Flower's simulation runtime instead of SuperNodes: the SuperLink runs the
        ClientApps itself, in Ray workers (needs ``flwr[simulation]``, Ray, which the
        ``benchmarks`` extra installs); no process per node, so no node can be killed.

    Examples
    --------
    ::

        from privlearn.fl import FederatedTask
        from privlearn.fl.flower import LocalFederation

        with LocalFederation(3) as federation:
            result = federation.run(FederatedTask(num_clients=3, rounds=5))
        print(result.history.accuracy)
    """

    def __init__(self, num_nodes: int, *, startup_timeout: float = 60.0,
                 keep_logs: str | Path | None = None, simulation: bool = False) -> None:
        self.num_nodes = check_int("num_nodes", num_nodes, low=2)
        self.simulation = check_bool("simulation", simulation)
        self.startup_timeout = check_real("startup_timeout", startup_timeout, low=0.0)
        self.keep_logs = None if keep_logs is None else Path(keep_logs)
        self.dir: Path | None = None
        self.nodes: list[subprocess.Popen | None] = []
        self.superlink: subprocess.Popen | None = None
        self._runs = 0
        self._finalizer = None

    # ---- processes ---------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
        bin_dir = str(Path(sys.executable).parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        env.update({"FLWR_HOME": str(self.dir / "home"), "FLWR_TELEMETRY_ENABLED": "0",
                    "FLWR_DISABLE_UPDATE_CHECK": "1", "NO_COLOR": "1", "TERM": "dumb",
                    "PYTHONUNBUFFERED": "1"})
        return env

    def _tool(self, name: str) -> str:
        path = Path(sys.executable).parent / name
        if not path.exists():
            found = shutil.which(name)
            if found is None:
                raise FileNotFoundError(f"{name} not found next to {sys.executable} nor on PATH:"
                                        " pip install -e \".[flower]\"")
            return found
        return str(path)

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        log = open(self.dir / log_name, "wb")  # the process writes to it; we close ours
        try:
            return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=self._env(), cwd=self.dir,
                                    start_new_session=True, preexec_fn=die_with_parent)
        finally:
            log.close()

    def start(self) -> LocalFederation:
        """Start the SuperLink and the SuperNodes; return self."""
        if self.dir is not None:
            raise RuntimeError("this federation is already started")
        self.dir = Path(tempfile.mkdtemp(prefix="privlearn-flower-"))
        (self.dir / "home").mkdir()
        self._finalizer = weakref.finalize(self, _close, self.dir, [], self.keep_logs)
        port = _free_port()  # Flower 1.42 serves all of the SuperLink's APIs over one port
        self.address = f"127.0.0.1:{port}"
        (self.dir / "home" / "config.toml").write_text(
            f'[superlink]\ndefault = "privlearn"\n\n[superlink.privlearn]\n'
            f'address = "{self.address}"\ninsecure = true\n', encoding="utf-8")
        self.superlink = self._spawn(
            [self._tool("flower-superlink"), "--insecure", "--host", "127.0.0.1", "--port",
             str(port), "--disable-runtime-dependency-installation",
             *(["--simulation"] if self.simulation else [])], "superlink.log")
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _close, self.dir, self._processes(),
                                           self.keep_logs)
        deadline = time.monotonic() + self.startup_timeout
        while not _listening(port):
            if self.superlink.poll() is not None or time.monotonic() > deadline:
                log = (self.dir / "superlink.log").read_text(errors="replace")[-2000:]
                self.close()
                raise RuntimeError(f"the SuperLink did not start within "
                                   f"{self.startup_timeout:g} s; its log ends:\n{log}")
            time.sleep(0.1)
        key = self.dir / "authority" / "paillier-key.json"  # written by the first paillier run
        for i in range(0 if self.simulation else self.num_nodes):
            self.nodes.append(self._spawn(
                [self._tool("flower-supernode"), "--insecure", "--superlink", self.address,
                 "--host", "127.0.0.1", "--port", str(_free_port()), "--node-config",
                 _node_config(i, self.num_nodes, key)],
                f"supernode-{i}.log"))
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _close, self.dir, self._processes(),
                                           self.keep_logs)
        return self

    def _provision_paillier_key(self) -> None:
        """The key authority's part, before the first ``aggregation="paillier"`` run: a
        fresh 2048-bit Paillier key pair for the clients, in the file the SuperNodes were
        told of at start (only this user can read it). On one machine the server could
        open it too; in a real deployment the file exists on the client machines only."""
        folder = self.dir / "authority"
        if not (folder / "paillier-key.json").exists():
            folder.mkdir(mode=0o700, exist_ok=True)
            _, private = generate_phe_keypair()
            save_phe_private_key(folder / "paillier-key.json", private)

    def _processes(self) -> list[subprocess.Popen]:
        return [p for p in [self.superlink, *self.nodes] if p is not None]

    def pids(self) -> list[int]:
        """Process ids of the SuperLink and the SuperNodes still running."""
        return [p.pid for p in self._processes()
                if p.returncode is None and not _exited(p.pid)]

    def kill_node(self, client: int) -> None:
        """Kill client ``client``'s SuperNode and whatever it started (SIGKILL), as a
        machine that loses power would drop out."""
        client = check_int("client", client, low=0, high=self.num_nodes - 1)
        if self.simulation:
            raise ValueError("a simulated federation has no node processes to kill")
        proc = self.nodes[client]
        if proc is None:
            raise ValueError(f"client {client}'s node is already killed")
        kill_tree(proc.pid)
        proc.wait()
        self.nodes[client] = None

    def close(self) -> None:
        """Kill every process tree and remove the temporary folder (idempotent)."""
        if self._finalizer is not None:
            self._finalizer()
        self.superlink, self.nodes, self.dir = None, [], None

    def __enter__(self) -> LocalFederation:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- runs --------------------------------------------------------------------------
    def _flwr(self, *args: str, timeout: float = 60.0) -> dict:
        done = subprocess.run([self._tool("flwr"), *args, "--format", "json"],
                              capture_output=True, text=True, env=self._env(), cwd=self.dir,
                              timeout=timeout, check=False)
        try:
            return json.loads(done.stdout)
        except json.JSONDecodeError as err:
            raise RuntimeError(f"flwr {' '.join(args)} failed (exit {done.returncode}):\n"
                               f"{done.stdout[-2000:]}{done.stderr[-2000:]}") from err

    def submit(self, task: FederatedTask, *, timeout: float = 120.0) -> tuple[int, Path]:
        """Submit ``task`` to the SuperLink; return (run id, folder the results go to)."""
        if self.dir is None:
            raise RuntimeError("start the federation first (or use it in a with block)")
        if not isinstance(task, FederatedTask):
            raise TypeError(f"task must be a FederatedTask, got {type(task).__name__}")
        dead = [i for i, proc in enumerate(self.nodes) if proc is None]
        if dead:
            raise RuntimeError(f"the nodes of clients {dead} were killed: the SuperLink still "
                               "counts them until their heartbeats lapse (about a minute), "
                               "and a run needs every client; start a new federation")
        if self.simulation and task.aggregation == "paillier":
            raise ValueError("aggregation='paillier' needs SuperNodes that hold the clients' "
                             "key; a simulated federation has no nodes to give it to")
        if task.num_clients != self.num_nodes:
            raise ValueError(f"task.num_clients={task.num_clients} must equal the federation's "
                             f"num_nodes={self.num_nodes}: one node per client")
        if task.aggregation == "paillier":
            self._provision_paillier_key()
        self._runs += 1
        out = self.dir / f"run-{self._runs}"
        config = {**task.to_run_config(), "output-dir": str(out), "timeout": float(timeout)}
        config_file = self.dir / f"run-{self._runs}.toml"
        config_file.write_text("".join(f"{k} = {_toml_value(v)}\n" for k, v in config.items()),
                               encoding="utf-8")
        extra = (["--federation-config", f"num-supernodes={self.num_nodes}"]
                 if self.simulation else [])
        reply = self._flwr("run", str(APP_DIR), "privlearn", "--run-config", str(config_file),
                           *extra)
        if not reply.get("success") or "run-id" not in reply:
            raise RuntimeError(f"flwr run refused the task: {reply}")
        return int(reply["run-id"]), out

    def status(self, run_id: int) -> str:
        """Flower's status of a run, e.g. ``running`` or ``finished:completed``."""
        reply = self._flwr("ls", "privlearn", "--run-id", str(run_id))
        runs = reply.get("runs") or []
        if not reply.get("success") or not runs:
            raise RuntimeError(f"flwr ls found no run {run_id}: {reply}")
        return str(runs[0]["status"])

    def wait(self, run_id: int, out: Path, *, timeout: float = 600.0,
             kill: dict[int, tuple[int, str]] | None = None) -> DeploymentResult:
        """Wait for run ``run_id`` to finish and read its results from ``out``; kill the
        nodes in ``kill`` when the server reports their step (see :meth:`run`)."""
        pending = dict(_check_kill(kill, self.num_nodes))
        started = time.monotonic()
        # Asking Flower for the status starts a CLI process (about a second of CPU): asked
        # every half second it would take a core from the nodes. The server writes its
        # results when it stops, so ask often only then; otherwise every few seconds (a
        # server that died before writing anything)
        status, asked = "", -math.inf
        while True:
            now = time.monotonic()
            if (out / "history.json").exists() or now - asked >= _STATUS_EVERY:
                status, asked = self.status(run_id), now
                if status.split(":")[0] == "finished":
                    break
            if now - started > timeout:
                raise TimeoutError(f"run {run_id} did not finish within {timeout:g} s "
                                   f"(status {status!r})")
            if pending:
                done = _steps(out / "progress.jsonl")
                for client, when in list(pending.items()):
                    if when in done:
                        self.kill_node(client)
                        del pending[client]
            time.sleep(0.2)
        partial = (_read_results(out, run_id, time.monotonic() - started)
                   if (out / "history.json").exists() else None)
        if status != "finished:completed" or partial is None:
            raise DeploymentFailed(f"run {run_id} ended {status!r}; the server's log ends:\n"
                                   f"{self.server_log(run_id)[-3000:]}", partial)
        return partial

    def server_log(self, run_id: int) -> str:
        """The ServerApp's log of run ``run_id``, as ``flwr log`` shows it."""
        done = subprocess.run([self._tool("flwr"), "log", str(run_id), "privlearn",
                               "--show"], capture_output=True, text=True, env=self._env(),
                              cwd=self.dir, timeout=60, check=False)
        return done.stdout + done.stderr

    def run(self, task: FederatedTask, *, timeout: float = 600.0,
            message_timeout: float = 120.0,
            kill: dict[int, tuple[int, str]] | None = None) -> DeploymentResult:
        """Submit ``task``, wait for it, return its results.

        Parameters
        ----------
        task : FederatedTask
            With ``num_clients`` equal to the federation's ``num_nodes``.
        timeout : float
            Seconds the whole run may take.
        message_timeout : float
            Seconds the server waits for each message round's replies: a killed
            client is given up after it.
        kill : dict, optional
            client -> (round, step): kill that client's SuperNode (SIGKILL, its whole
            process tree) as soon as the server has finished ``step`` of ``round``:
            ``"advertised"`` (keys collected), ``"shared"`` (shares relayed) or
            ``"masked"`` (masked inputs collected) for secure aggregation, ``"summed"``
            (the ciphertexts added, before the first client is asked to decrypt) for
            Paillier, and ``"planned"`` (the round's clients chosen, any aggregation).
        """
        if kill and self.simulation:
            raise ValueError("kill needs node processes; a simulated federation has none")
        for client, (when, step) in _check_kill(kill, self.num_nodes).items():
            steps = _STEPS_OF.get(getattr(task, "aggregation", None), ("planned",))
            if step not in steps:
                raise ValueError(f"kill[{client}] waits for step {step!r}, which "
                                 f"{task.aggregation!r} aggregation does not have; it has "
                                 f"{', '.join(map(repr, steps))}")
            if when > getattr(task, "rounds", when):
                raise ValueError(f"kill[{client}] waits for round {when}, but the task has "
                                 f"{task.rounds} rounds: the node would never be killed")
        run_id, out = self.submit(task, timeout=message_timeout)
        return self.wait(run_id, out, timeout=timeout, kill=kill)


#: seconds between status checks while a run has written no results
_STATUS_EVERY = 5.0

_STEPS_OF = {"secure": ("planned", "advertised", "shared", "masked"),
             "paillier": ("planned", "summed")}
_STEPS = ("planned", "advertised", "shared", "masked", "summed")


def _check_kill(kill, num_nodes: int) -> dict[int, tuple[int, str]]:
    if kill is None:
        return {}
    if not isinstance(kill, dict):
        raise TypeError(f"kill must be a dict client -> (round, step), got "
                        f"{type(kill).__name__}")
    for client, when in kill.items():
        check_int("kill's client", client, low=0, high=num_nodes - 1)
        if (not isinstance(when, tuple) or len(when) != 2 or when[1] not in _STEPS):
            raise ValueError(f"kill[{client}] must be (round, step) with step one of "
                             f"{', '.join(_STEPS)}, got {when!r}")
        check_int(f"kill[{client}]'s round", when[0], low=1)
    return kill


def _steps(progress: Path) -> set[tuple[int, str]]:
    try:
        lines = progress.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return set()
    out = set()
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # a line being written
            continue
        out.add((int(entry["round"]), str(entry["step"])))
    return out


def _read_results(out: Path, run_id: int, seconds_total: float) -> DeploymentResult:
    doc = json.loads((out / "history.json").read_text(encoding="utf-8"))
    history = FedAvgHistory(**doc["history"])
    rounds = doc["rounds"]
    return DeploymentResult(
        history=history,
        state=torch.load(out / "model.pt", weights_only=True),
        seconds=[r["seconds"] for r in rounds],
        wire_up=[{int(c): b for c, b in r["wire_up"].items()} for r in rounds],
        wire_down=[{int(c): b for c, b in r["wire_down"].items()} for r in rounds],
        lost=[r["lost"] for r in rounds],
        errors=[{int(c): e for c, e in r["errors"].items()} for r in rounds],
        epsilon=doc["epsilon"], client_epsilon=doc["client_epsilon"],
        steps=[r["steps"] for r in rounds],
        seconds_total=seconds_total, run_id=run_id)


def _node_config(client: int, num_nodes: int, key: Path | None) -> str:
    """A SuperNode's ``--node-config``: its client, and the clients' Paillier key file."""
    config = f"partition-id={client} num-partitions={num_nodes}"
    if key is None:
        return config
    config += f" paillier-key={_toml_value(str(key))}"
    try:
        parsed = parse_config_args([config]).get("paillier-key")
    except click.ClickException:  # what Flower raises for a string it cannot parse
        parsed = None
    if parsed != str(key):
        raise ValueError(f"Flower's --node-config cannot carry the key file's path {key!r}: "
                         "set TMPDIR to a folder without quotes or backslashes")
    return config


def _exited(pid: int) -> bool:
    """Whether child ``pid`` has exited, without reaping it: until it is reaped its pid
    (and so its process group's id) cannot be reused, so killing the group stays safe."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _close(folder: Path, processes: list[subprocess.Popen], keep_logs: Path | None) -> None:
    ours = [p for p in processes if p.returncode is None]  # not reaped: their pids are ours
    for proc in ours:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the group: its ServerApp/ClientApps
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + 5.0
    trees = []
    for proc in ours:
        while not _exited(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        trees += descendants(proc.pid)
        kill_tree(proc.pid)  # SIGTERM may hang (a streaming client): no mercy after 5 s
        proc.wait()
    # SIGKILL is delivered, not waited for: let the killed processes go before their
    # folder is removed, or one still writing in it leaves files behind
    deadline = time.monotonic() + 5.0
    while any(running(pid) for pid in trees) and time.monotonic() < deadline:
        time.sleep(0.05)
    if keep_logs is not None:
        keep_logs.mkdir(parents=True, exist_ok=True)
        for log in folder.glob("*.log"):
            shutil.copy(log, keep_logs / log.name)
    for _ in range(20):  # a last write may still land while the tree is removed
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            break
        time.sleep(0.1)
