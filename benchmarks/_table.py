"""Timing helpers for the benchmarks: best-of-n wall time, a busy competitor, and a
plain-text table."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence


def best_time(fn: Callable[[], object], *, repeats: int = 7, number: int = 1) -> float:
    """Smallest wall time of ``repeats`` runs of ``number`` calls, per call, in seconds.

    The minimum is the least noisy estimate on a shared machine: noise only ever adds.
    """
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {platform.system()}")


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = lambda cells: "| " + " | ".join(  # noqa: E731
        str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"
    print(f"\n{title}\n")
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


@contextlib.contextmanager
def busy_competitor() -> Iterator[None]:
    """One other process spinning on a core while the block runs (DESIGN.md, "Speed
    under contention")."""
    competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        competitor.kill()
        competitor.wait()
