"""What the course needs from the machine, checked from a notebook or a shell.

``python -m privlearn.environment`` prints the same report as notebook 00.
"""

from __future__ import annotations

import importlib
import platform
import secrets
import sys
import time

from ._validation import check_int

__all__ = ["REQUIRED", "gmpy2_speedup", "missing_packages", "phe_uses_gmpy2", "versions"]

#: import name -> what the course uses it for
REQUIRED = {
    "numpy": "arrays, statistical randomness",
    "scipy": "special functions for the accountants",
    "torch": "models, DP-SGD",
    "matplotlib": "figures",
    "sklearn": "bundled data sets (digits, breast cancer)",
    "phe": "Paillier encryption",
    "gmpy2": "fast big-integer arithmetic for phe",
    "ipywidgets": "interactive demos",
    "nbclient": "executing and grading notebooks",
}


def versions() -> dict[str, str]:
    """Version of Python and of every required package ('missing' if not importable)."""
    out = {"python": platform.python_version()}
    for name in REQUIRED:
        try:
            module = importlib.import_module(name)
        except ImportError:
            out[name] = "missing"
        else:
            out[name] = str(getattr(module, "__version__", "installed"))
    return out


def missing_packages() -> list[str]:
    """Required packages that cannot be imported."""
    return [name for name, version in versions().items() if version == "missing"]


def phe_uses_gmpy2() -> bool:
    """Whether phe found gmpy2 when it was imported (it then uses it for big powers)."""
    try:
        from phe import util
    except ImportError:
        return False
    return bool(getattr(util, "HAVE_GMP", False))


def gmpy2_speedup(*, bits: int = 2048, repeats: int = 20) -> float | None:
    """How many times faster gmpy2 computes a modular power than Python's ``pow``.

    Paillier encryption is dominated by one such power mod n²; phe uses gmpy2 when it
    can import it. Returns None when gmpy2 is missing. The operands are random.
    """
    bits = check_int("bits", bits, low=64, high=16_384)
    repeats = check_int("repeats", repeats, low=1)
    try:
        import gmpy2
    except ImportError:
        return None
    n2 = secrets.randbits(2 * bits) | 1
    base, exp = secrets.randbits(2 * bits) % n2, secrets.randbits(bits)

    def best(fn) -> float:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    slow = best(lambda: pow(base, exp, n2))
    fast = best(lambda: gmpy2.powmod(base, exp, n2))
    return slow / fast


if __name__ == "__main__":
    for name, version in versions().items():
        print(f"{name:12s} {version}")
    speedup = gmpy2_speedup()
    print("gmpy2: missing (phe will be slow)" if speedup is None
          else f"gmpy2 modular power speed-up: {speedup:.1f}x; phe uses gmpy2: "
               f"{phe_uses_gmpy2()}")
    sys.exit(1 if missing_packages() else 0)
