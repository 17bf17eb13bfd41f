"""``python -m privlearn.fl.flower``: run a task on a local Flower federation.

Starts a SuperLink and one SuperNode per client on 127.0.0.1, runs the task, prints per
round what the deployment measured beside what :func:`~privlearn.fl.run_fedavg` gives
for the same task in this process, and whether the final models are equal bit for bit.
Every :class:`~privlearn.fl.FederatedTask` setting is an option (``--num-clients 3
--rounds 5 --aggregation secure``, ``--aggregation paillier``); ``--kill 1:2:shared``
kills client 1's SuperNode in round 2 once the shares are relayed, ``--kill 0:2:summed``
the client asked to decrypt round 2's Paillier sum.

Exit status: 0 when the deployment finished (and, unless ``--no-compare``, matched
run_fedavg where it should), 1 when it did not.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import torch

from ..task import FederatedTask
from .launcher import DeploymentFailed, LocalFederation


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m privlearn.fl.flower",
        description="Run a privlearn FederatedTask on a local Flower federation (a SuperLink "
                    "and one SuperNode per client, as processes on 127.0.0.1) and print, per "
                    "round, the deployed model's accuracy beside run_fedavg's for the same "
                    "task, and whether the final models are equal bit for bit. Every "
                    "FederatedTask setting is an option.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    defaults = FederatedTask()
    for f in dataclasses.fields(FederatedTask):
        flag = "--" + f.name.replace("_", "-")
        value = getattr(defaults, f.name)
        if isinstance(value, bool):
            p.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction,
                           default=value)
        else:
            p.add_argument(flag, dest=f.name, type=type(value), default=value)
    p.add_argument("--timeout", type=float, default=900.0, help="seconds for the whole run")
    p.add_argument("--message-timeout", type=float, default=60.0,
                   help="seconds the server waits for a message round's replies")
    p.add_argument("--kill", action="append", default=[], metavar="CLIENT:ROUND:STEP",
                   help="kill a client's SuperNode when the server finishes STEP of ROUND "
                        "(planned; secure: advertised, shared, masked; paillier: summed); may "
                        "repeat")
    p.add_argument("--no-compare", dest="compare", action="store_false",
                   help="do not run the task in this process too")
    p.add_argument("--keep-logs", metavar="DIR", help="copy the processes' logs here")
    return p


def _kills(specs: list[str]) -> dict[int, tuple[int, str]]:
    kill = {}
    for spec in specs:
        parts = spec.split(":")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            raise SystemExit(f"--kill must be CLIENT:ROUND:STEP, e.g. 1:2:shared, got {spec!r}")
        kill[int(parts[0])] = (int(parts[1]), parts[2])
    return kill


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    task = FederatedTask(**{f.name: getattr(args, f.name)
                            for f in dataclasses.fields(FederatedTask)})
    kill = _kills(args.kill)
    print(f"{task.num_clients} SuperNodes and a SuperLink on 127.0.0.1; "
          f"{task.rounds} rounds of {task.aggregation}"
          f"{' with local DP-SGD' if task.local_dp else ''}", flush=True)
    failed = None
    with LocalFederation(task.num_clients, keep_logs=args.keep_logs) as federation:
        try:
            result = federation.run(task, timeout=args.timeout,
                                    message_timeout=args.message_timeout, kill=kill)
        except DeploymentFailed as err:
            failed, result = err, err.result
    reference = task.run() if args.compare and not kill else None
    print(f"\n{'round':>5} {'clients':>12} {'lost':>6} {'deployed acc':>13} "
          f"{'run_fedavg acc':>15} {'seconds':>8} {'bytes up/client':>16}")
    for r in range(result.history.rounds if result else 0):
        ref = f"{reference[1].accuracy[r]:15.4f}" if reference else f"{'-':>15}"
        up = result.wire_up[r]
        mean_up = sum(up.values()) / len(up) if up else 0
        print(f"{r + 1:>5} {','.join(map(str, result.history.clients[r])):>12} "
              f"{','.join(map(str, result.lost[r])) or '-':>6} "
              f"{result.history.accuracy[r]:13.4f} {ref} {result.seconds[r]:8.1f} "
              f"{mean_up:16,.0f}")
    if result is not None and result.epsilon is not None:
        print(f"client-level ε of DP-FedAvg: {result.epsilon:.3f} at δ = {task.delta:g}")
    if result is not None and task.local_dp:
        print(f"example-level ε of local DP-SGD: {result.client_epsilon[-1]:.3f} at "
              f"δ = {task.delta:g} (the largest client's)")
    for r, errors in enumerate(result.errors if result else []):
        for client, reason in errors.items():
            print(f"round {r + 1}: client {client} replied with an error: "
                  f"{reason.splitlines()[-1] if reason else '?'}", file=sys.stderr)
    if failed is not None:
        print(f"\nthe run failed: {str(failed).splitlines()[0]}", file=sys.stderr)
        print("\n".join(str(failed).splitlines()[-12:]), file=sys.stderr)
        return 1
    if reference is None:
        return 0
    model = reference[0]
    same = all(torch.equal(result.state[k], v) for k, v in model.state_dict().items())
    print(f"final models equal bit for bit: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
