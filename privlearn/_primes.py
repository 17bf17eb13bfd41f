"""Modular arithmetic shared by the crypto packages (``he`` and ``mpc`` may both use it):
``powmod`` (gmpy2's when installed) and primality testing.

Miller–Rabin with random bases: a composite passes one round with probability at most
1/4, so ``rounds`` rounds let it through with probability at most 4^-rounds (A. Menezes,
P. van Oorschot & S. Vanstone 1996, *Handbook of Applied Cryptography*, Fact 4.25). The
bases are not secret, but they must not be predictable by whoever chose ``n``.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable

__all__ = ["is_prime_cached", "is_probable_prime"]

_SMALL_PRIMES = [p for p in range(2, 1000) if all(p % d for d in range(2, int(p**0.5) + 1))]

try:  # the same arithmetic, faster
    import gmpy2

    def powmod(base: int, exp: int, mod: int) -> int:
        """base^exp mod mod, with gmpy2 (about 8x faster for 2048-bit numbers)."""
        return int(gmpy2.powmod(base, exp, mod))

except ImportError:  # pragma: no cover - gmpy2 is a dependency, but optional in principle
    def powmod(base: int, exp: int, mod: int) -> int:
        """base^exp mod mod."""
        return pow(base, exp, mod)


def is_probable_prime(n: int, *, rounds: int = 40,
                      random_below: Callable[[int], int] = secrets.randbelow) -> bool:
    """True if ``n`` passes trial division and ``rounds`` Miller–Rabin rounds.

    ``random_below(k)`` returns a uniform integer in [0, k); callers with a test hook for
    their randomness pass it here.
    """
    if n < 2:
        return False
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        a = 2 + random_below(n - 3)
        x = powmod(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


@functools.lru_cache(maxsize=64)
def is_prime_cached(n: int) -> bool:
    """:func:`is_probable_prime` with 40 rounds, remembered: a protocol that checks the
    same public modulus on every call (Shamir's field prime) pays for the test once."""
    return is_probable_prime(n)
