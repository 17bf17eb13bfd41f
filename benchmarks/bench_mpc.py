"""Speed and cost of privlearn.mpc against its targets (issue 5), as tables.

    python benchmarks/bench_mpc.py

* Additive share + reconstruct of 10^6 fixed-point values (target < 0.1 s) and Shamir
  (n = 5, t = 3) over 10^5 values (target < 1 s), each against a per-element Python loop
  doing the same arithmetic (target: at least 50x faster); the loop is timed on a slice
  and scaled, since it is linear in the number of values.
* Secure aggregation of 100 clients x 10,000 parameters with 10% dropouts: client and
  server seconds and bytes, against a plain sum, and the expansion in bytes.
"""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path

import numpy as np

from privlearn import mpc

sys.path.insert(0, str(Path(__file__).parent))
from _table import best_time, machine, print_table

RING = 2**64


def loop_additive(values: list[int], n: int) -> list[int]:
    out = []
    for v in values:
        shares = [secrets.randbelow(RING) for _ in range(n - 1)]
        shares.append((v - sum(shares)) % RING)
        out.append(sum(shares) % RING)
    return out


def loop_shamir(values: list[int], n: int, t: int, p: int) -> list[int]:
    out = []
    lam = mpc.lagrange_at_zero([1, 2, 3], p)
    for v in values:
        coeffs = [v] + [secrets.randbelow(p) for _ in range(t - 1)]
        ys = [sum(c * x**k for k, c in enumerate(coeffs)) % p for x in range(1, n + 1)]
        out.append(sum(y * w for y, w in zip(ys[:3], lam, strict=True)) % p)
    return out


def sharing() -> None:
    rows = []
    x = np.random.default_rng(0).normal(size=1_000_000)
    enc = mpc.encode_fixed(x)

    def additive():
        mpc.additive_reconstruct(mpc.additive_share(enc, num_parties=3))

    t_vec = best_time(additive, repeats=5)
    sample = [int(v) for v in enc[:20_000]]
    t_loop = best_time(lambda: loop_additive(sample, 3), repeats=3) * (enc.size / len(sample))
    rows.append(["additive share + reconstruct, 3 parties, 10^6 values", f"{t_vec:.3f}",
                 "< 0.1", f"{t_loop:.1f}", f"{t_loop / t_vec:.0f}x",
                 "yes" if t_vec < 0.1 and t_loop / t_vec >= 50 else "NO"])

    secrets_arr = np.arange(100_000, dtype=np.int64) * 12345 % mpc.DEFAULT_PRIME

    def shamir():
        shares = mpc.shamir_share(secrets_arr, num_shares=5, threshold=3)
        mpc.shamir_reconstruct(shares[:3])

    t_vec = best_time(shamir, repeats=5)
    sample = secrets_arr[:10_000].tolist()
    t_loop = best_time(lambda: loop_shamir(sample, 5, 3, mpc.DEFAULT_PRIME), repeats=3) * 10
    rows.append(["Shamir (n=5, t=3) share + reconstruct, 10^5 values", f"{t_vec:.3f}", "< 1",
                 f"{t_loop:.1f}", f"{t_loop / t_vec:.0f}x",
                 "yes" if t_vec < 1 and t_loop / t_vec >= 50 else "NO"])
    print_table(f"Secret sharing, vectorised against a per-element Python loop ({machine()})",
                ["operation", "seconds", "target", "loop seconds", "speed-up", "met"], rows)


def secure_aggregation(n: int = 100, length: int = 10_000) -> None:
    rng = np.random.default_rng(1)
    xs = [mpc.encode_fixed(rng.normal(0, 0.1, size=length)) for _ in range(n)]
    t0 = time.perf_counter()
    protocol = mpc.SecureAggregation(n, threshold=n // 2 + 1, vector_length=length)
    masked = {u: protocol.masked_input(u, xs[u]) for u in range(n) if u % 10 != 3}
    total = protocol.aggregate(masked)
    wall = time.perf_counter() - t0
    expected = np.sum([xs[u] for u in masked], axis=0, dtype=np.uint64)
    exact = bool(np.array_equal(total, expected))
    t_plain = best_time(lambda: np.sum([xs[u] for u in masked], axis=0, dtype=np.uint64))
    c = protocol.cost
    rows = [
        ["survivors / clients", f"{c.survivors} / {c.clients}", "-"],
        ["sum exact", str(exact), "-"],
        ["client seconds, all clients together", f"{c.seconds_clients:.2f}", "0 (send)"],
        ["server seconds", f"{c.seconds_server:.3f}", f"{t_plain:.4f} (sum)"],
        ["wall time of the simulation", f"{wall:.2f}", "-"],
        ["bytes up per client", f"{c.bytes_up_per_client:,}",
         f"{8 * length:,} (uint64) / {4 * length:,} (float32)"],
        ["expansion over the same vector in the clear",
         f"{c.bytes_up_per_client / (8 * length):.2f}x (ring) / "
         f"{c.bytes_up_per_client / (4 * length):.2f}x (float32)",
         "Bonawitz et al.: 1.73x (2^10 users, 2^20 entries, 16-bit)"],
        ["bytes down per client", f"{c.bytes_down_per_client:,}", "-"],
    ]
    print_table(f"Secure aggregation, {n} clients x {length:,} parameters, 10% dropouts",
                ["what", "secure aggregation", "plain sum / reference"], rows)


if __name__ == "__main__":
    sharing()
    secure_aggregation()
