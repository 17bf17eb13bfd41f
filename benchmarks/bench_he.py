"""Cost of Paillier encryption in privlearn (issue 4), as tables.

    python benchmarks/bench_he.py

* Encrypted aggregation of a 1,000-float update from 5 clients with 2048-bit keys, one
  ciphertext per value against packed; end to end (encrypt, sum, decrypt). Targets: at
  least 10x fewer ciphertexts and 10x less time.
* Textbook Paillier (privlearn.he.paillier) against phe on encryptions and decryptions
  per second, same key size.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from phe import paillier as phe

from privlearn import environment, he

sys.path.insert(0, str(Path(__file__).parent))
from _table import machine, print_table


def aggregation() -> None:
    pk, sk = phe.generate_paillier_keypair(n_length=2048)
    rng = np.random.default_rng(0)
    updates = [rng.uniform(-1, 1, size=1000) for _ in range(5)]
    precision = 2.0**-20
    rows, totals = [], {}
    for name in ("one ciphertext per value", "packed"):
        t0 = time.perf_counter()
        if name == "packed":
            enc = [he.pack_encrypt(pk, u, precision=precision, max_summands=5, max_abs=1.0)
                   for u in updates]
        else:
            enc = [he.encrypt_vector(pk, u, precision=precision) for u in updates]
        t1 = time.perf_counter()
        total = he.encrypted_sum(enc)
        t2 = time.perf_counter()
        out = (he.unpack_decrypt if name == "packed" else he.decrypt_vector)(sk, total)
        t3 = time.perf_counter()
        err = float(np.abs(out - np.sum(updates, axis=0)).max())
        totals[name] = (len(enc[0]), t3 - t0)
        rows.append([name, f"{len(enc[0])}", f"{enc[0].nbytes:,}", f"{t1 - t0:.2f}",
                     f"{t2 - t1:.3f}", f"{t3 - t2:.2f}", f"{t3 - t0:.2f}", f"{err:.1e}"])
    (n_naive, t_naive), (n_packed, t_packed) = totals.values()
    rows.append(["ratio", f"{n_naive / n_packed:.0f}x fewer", "", "", "", "",
                 f"{t_naive / t_packed:.0f}x faster", ""])
    print_table(f"5 clients x 1,000 floats, 2048-bit key, gmpy2 in use: "
                f"{environment.phe_uses_gmpy2()} ({machine()})",
                ["method", "ciphertexts/client", "bytes/client", "encrypt s", "sum s",
                 "decrypt s", "total s", "max error"], rows)
    ok = n_naive / n_packed >= 10 and t_naive / t_packed >= 10
    print(f"\ntargets (>= 10x fewer ciphertexts and >= 10x less time): "
          f"{'met' if ok else 'NOT met'}")


def textbook_vs_phe(count: int = 60) -> None:
    pk, sk = he.generate_keypair(2048)
    phe_pk = phe.PaillierPublicKey(pk.n)
    phe_sk = phe.PaillierPrivateKey(phe_pk, sk.p, sk.q)
    plaintexts = list(range(count))

    def rate(fn) -> float:
        t0 = time.perf_counter()
        fn()
        return count / (time.perf_counter() - t0)

    ours_c = [he.encrypt(pk, m) for m in plaintexts]
    phe_c = [phe_pk.raw_encrypt(m) for m in plaintexts]
    rows = []
    for name, enc, dec in (
        ("privlearn.he.paillier (textbook, CRT decryption)",
         lambda: [he.encrypt(pk, m) for m in plaintexts],
         lambda: [he.decrypt(sk, c) for c in ours_c]),
        ("privlearn.he.paillier, decrypt_textbook (no CRT)", None,
         lambda: [he.decrypt_textbook(sk, c) for c in ours_c]),
        ("phe (raw_encrypt / raw_decrypt)",
         lambda: [phe_pk.raw_encrypt(m) for m in plaintexts],
         lambda: [phe_sk.raw_decrypt(c) for c in phe_c]),
    ):
        rows.append([name, f"{rate(enc):.0f}" if enc else "-", f"{rate(dec):.0f}"])
    print_table(f"Encryptions and decryptions per second, same 2048-bit key, {count} each",
                ["implementation", "encrypt/s", "decrypt/s"], rows)


if __name__ == "__main__":
    aggregation()
    textbook_vs_phe()
