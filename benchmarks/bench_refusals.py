"""What refusing costs (issue 10): each checked operation against the same arithmetic
without its checks, in one run (interleaved, best of several).

    python benchmarks/bench_refusals.py

The checks are meant to be O(1) per operation (a bound is one integer sum, a state
machine one comparison) or one pass over data the operation reads anyway (finiteness of
client states): the overhead column should stay near 1.0x for the crypto, and small
against a round of training for the aggregators.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from phe import paillier as phe

from privlearn import fl, he
from privlearn.fl.fedavg import average_checked
from privlearn.he.vectors import _combine

sys.path.insert(0, str(Path(__file__).parent))
from _table import best_time, machine, print_table

torch.set_num_threads(1)


def main() -> None:
    rng = np.random.default_rng(0)
    pk, _ = phe.generate_paillier_keypair(n_length=2048)
    updates = [rng.uniform(-1, 1, 1_000) for _ in range(5)]
    packed = [he.pack_encrypt(pk, u, precision=2.0**-20, max_summands=5, max_abs=1.0)
              for u in updates]
    plain = [he.encrypt_vector(pk, u[:200], precision=2.0**-20, max_abs=1.0)
             for u in updates]
    counts = [3, 1, 4, 1, 5]

    def raw(vectors, ks):
        return _combine(pk, list(zip(*(v.ciphertexts for v in vectors), strict=True)), ks)

    states = [{"w": torch.randn(100, 100, generator=torch.Generator().manual_seed(i)),
               "b": torch.zeros(100)} for i in range(100)]
    sizes = list(range(1, 101))
    keys = list(states[0])
    weights = [float(n) for n in sizes]
    global_state = {k: torch.zeros_like(v) for k, v in states[0].items()}

    pairs = [
        ("packed sum, 5 x 1,000 values (12 ciphertexts)",
         lambda: he.encrypted_sum(packed), lambda: raw(packed, [1] * 5)),
        ("weighted average, 5 x 200 ciphertexts",
         lambda: he.encrypted_weighted_average(plain, counts), lambda: raw(plain, counts)),
        ("fedavg, 100 clients x 10,100 parameters",
         lambda: fl.fedavg(states, sizes), lambda: average_checked(keys, states, weights)),
        ("FedAvgAggregator round (check_round), same",
         lambda: fl.FedAvgAggregator().aggregate(global_state, states, sizes),
         lambda: average_checked(keys, states, weights)),
    ]
    rows = []
    for name, checked, unchecked in pairs:
        best_checked, best_raw = float("inf"), float("inf")
        for _ in range(5):  # interleaved, so both see the same machine
            best_checked = min(best_checked, best_time(checked, repeats=3))
            best_raw = min(best_raw, best_time(unchecked, repeats=3))
        rows.append([name, f"{best_checked * 1e3:.2f}", f"{best_raw * 1e3:.2f}",
                     f"{best_checked / best_raw:.2f}x"])
    print_table(f"Checked against unchecked ({machine()})",
                ["operation", "checked ms", "unchecked ms", "overhead"], rows)


if __name__ == "__main__":
    main()
