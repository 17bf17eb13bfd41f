"""Cost of Paillier encryption in privlearn (issue 4), as tables.

    python benchmarks/bench_he.py

* Encrypted aggregation of a 1,000-float update from 5 clients with 2048-bit keys, one
  ciphertext per value against packed; end to end (encrypt, sum, decrypt). Targets: at
  least 10x fewer ciphertexts and 10x less time.
* The same task with CKKS (privlearn.he.ckks on TenSEAL, N = 8192, the ``ckks`` extra),
  its error against the bound it states; and one client's update of 100,000 floats, packed
  Paillier against CKKS (bytes and seconds at a model size where both need many
  ciphertexts).
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
from privlearn.he import ckks

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
    if ckks.available():
        context = ckks.make_context()
        public = context.public()
        t0 = time.perf_counter()
        enc = [ckks.encrypt_vector(public, u, max_abs=1.0) for u in updates]
        t1 = time.perf_counter()
        total = ckks.encrypted_sum(enc)
        t2 = time.perf_counter()
        out = ckks.decrypt_vector(context, total)
        t3 = time.perf_counter()
        err = float(np.abs(out - np.sum(updates, axis=0)).max())
        rows.append(["CKKS (TenSEAL, N = 8192)", f"{len(enc[0].ciphertexts)}",
                     f"{ckks.ciphertext_bytes(enc[0]):,}", f"{t1 - t0:.3f}", f"{t2 - t1:.4f}",
                     f"{t3 - t2:.3f}", f"{t3 - t0:.3f}",
                     f"{err:.1e} (bound {total.error:.1e})"])
    (n_naive, t_naive), (n_packed, t_packed) = totals.values()
    rows.append(["ratio: one per value / packed", f"{n_naive / n_packed:.0f}x fewer", "", "",
                 "", "", f"{t_naive / t_packed:.0f}x faster", ""])
    print_table(f"5 clients x 1,000 floats, 2048-bit key, gmpy2 in use: "
                f"{environment.phe_uses_gmpy2()} ({machine()})",
                ["method", "ciphertexts/client", "bytes/client", "encrypt s", "sum s",
                 "decrypt s", "total s", "max error"], rows)
    ok = n_naive / n_packed >= 10 and t_naive / t_packed >= 10
    print(f"\ntargets (>= 10x fewer ciphertexts and >= 10x less time): "
          f"{'met' if ok else 'NOT met'}")


def large_update(size: int = 100_000) -> None:
    """One client's update of ``size`` floats: packed Paillier against CKKS."""
    if not ckks.available():
        print("\nCKKS rows need TenSEAL: pip install -e '.[ckks]'")
        return
    pk, sk = phe.generate_paillier_keypair(n_length=2048)
    update = np.random.default_rng(1).uniform(-1, 1, size=size)
    precision = 2.0**-20
    context = ckks.make_context()
    public = context.public()
    rows = []
    for name in ("packed Paillier, 2048-bit key", "CKKS (TenSEAL, N = 8192)"):
        t0 = time.perf_counter()
        if name.startswith("packed"):
            enc = he.pack_encrypt(pk, update, precision=precision, max_summands=100,
                                  max_abs=1.0)
            t1 = time.perf_counter()
            out = he.unpack_decrypt(sk, enc)
            count, nbytes = len(enc), enc.nbytes
        else:
            enc = ckks.encrypt_vector(public, update, max_abs=1.0)
            t1 = time.perf_counter()
            out = ckks.decrypt_vector(context, enc)
            count, nbytes = len(enc.ciphertexts), ckks.ciphertext_bytes(enc)
        t2 = time.perf_counter()
        rows.append([name, f"{count:,}", f"{nbytes:,}", f"{nbytes / size:.1f}",
                     f"{t1 - t0:.2f}", f"{t2 - t1:.2f}",
                     f"{float(np.abs(out - update).max()):.1e}"])
    print_table(f"One client's update of {size:,} floats (room for 100 summands, precision "
                f"2^-20 for Paillier)", ["method", "ciphertexts", "bytes", "bytes/value",
                                         "encrypt s", "decrypt s", "max error"], rows)


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
    large_update()
    textbook_vs_phe()
