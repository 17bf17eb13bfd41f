"""What a deployment costs: seconds per round and bytes per client (issue 13), as tables.

    pip install -e ".[flower,benchmarks]"    # benchmarks adds flwr[simulation] (Ray)
    python benchmarks/bench_flower.py

One task, three clients on the digits, three rounds, run four ways:

* in-process: :meth:`privlearn.fl.FederatedTask.run` (``run_fedavg``, secure
  aggregation simulated inside one object);
* Flower simulation: a SuperLink with Flower's simulation runtime, which runs the
  ClientApps in Ray workers of its own (no SuperNode processes);
* Flower deployment: a SuperLink and three SuperNodes as processes on 127.0.0.1
  (:class:`privlearn.fl.flower.LocalFederation`), a fresh ClientApp process per message.

for plain FedAvg, for secure aggregation and for packed Paillier (no simulation row: its
clients need the key on their nodes, and the simulation has none). Seconds per round are
the server's, from
the round's first message to the aggregated model (the mean of the rounds; in-process:
the best of three runs); bytes are measured on the serialized Flower messages of round
1, per client, both ways. Beside them, the payload as counted without Flower: the model
(float32) for FedAvg; for secure aggregation the protocol's messages as
``privlearn.mpc.message_bytes`` counts them (Bonawitz et al.'s Figure 4: one public key,
shares in the clear, the 8-byte masked entries) and the model down. The Flower messages
carry more: two public keys, shares encrypted (28 bytes each of nonce and tag), and
Flower's framing of about 2.3 kB a message, four messages a round. For Paillier the
payload is each client's packed ciphertexts up and the model down, and for the one client
that decrypts, the encrypted sum down and the float64 average up (the table's bytes are
the mean over the three clients). The accuracy column checks that all ways train the same
model.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from privlearn.fl import FederatedTask, state_bytes
from privlearn.fl.flower import LocalFederation
from privlearn.mpc import message_bytes

sys.path.insert(0, str(Path(__file__).parent))
from _table import machine, print_table

ROUNDS = 3


def in_process(task: FederatedTask) -> tuple[float, list[float], int]:
    """Best of three runs (the first also pays for torch's lazy imports), per round."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        model, history = task.run()
        best = min(best, time.perf_counter() - t0)
    return best / task.rounds, history.accuracy, state_bytes(model.state_dict())


def on_flower(task: FederatedTask, *, simulation: bool):
    with LocalFederation(task.num_clients, simulation=simulation) as federation:
        return federation.run(task, timeout=1800, message_timeout=300)


def main() -> None:
    print(f"machine: {machine()}; 3 clients, digits, MLP 64-32-10, {ROUNDS} rounds")
    rows, wire = [], []
    for aggregation in ("fedavg", "secure", "paillier"):
        task = FederatedTask(num_clients=3, rounds=ROUNDS, aggregation=aggregation)
        seconds, accuracy, model_bytes = in_process(task)
        rows.append((aggregation, "in-process", f"{seconds:.3f}", "1x",
                     " ".join(f"{a:.4f}" for a in accuracy)))
        ways = (("Flower simulation (Ray)", True), ("Flower deployment", False))
        for name, sim in ways[1:] if aggregation == "paillier" else ways:
            result = on_flower(task, simulation=sim)
            per_round = statistics.mean(result.seconds)
            same = "same" if result.history.accuracy == accuracy else "DIFFERENT"
            rows.append((aggregation, name, f"{per_round:.1f}", f"{per_round / seconds:,.0f}x",
                         " ".join(f"{a:.4f}" for a in result.history.accuracy) + f" ({same})"))
            if not sim:
                up, down = result.wire_up[0], result.wire_down[0]
                values = sum(v.numel() for v in result.state.values())
                if aggregation == "secure":  # the protocol's messages, and the model down
                    p_up, p_down = message_bytes(3, values)
                    p_down += model_bytes
                elif aggregation == "paillier":  # one client of three also decrypts
                    upload = task.aggregator().upload_bytes(result.state)
                    p_up = round(upload + 8 * values / 3)
                    p_down = round(model_bytes + upload / 3)
                else:
                    p_up = p_down = model_bytes
                wire.append((aggregation, f"{model_bytes:,}",
                             f"{statistics.mean(up.values()):,.0f}",
                             f"{statistics.mean(down.values()):,.0f}",
                             f"{p_up:,} / {p_down:,}"))
    print_table("Seconds per round (the server's clock, mean of the rounds)",
                ["aggregation", "run", "s / round", "vs in-process", "test accuracy per round"],
                rows)
    print_table("Bytes per client in round 1, measured on the Flower messages",
                ["aggregation", "model (float32)", "sent (up)", "received (down)",
                 "payload counted, up / down"], wire)


if __name__ == "__main__":
    main()
