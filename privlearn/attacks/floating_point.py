"""Mironov's floating-point attack on textbook Laplace noise, in its simplest form.

A textbook mechanism outputs y = fl(v + n): the true value v plus a double n, rounded
to a double. Which doubles y can come out depends on v. For v = 1, every output in
(−1, 1) is a multiple of 2⁻⁵³; for v = 0 the output is n itself, which near zero is
usually much finer. An output that one neighbour *cannot* produce identifies the other
with certainty, an infinite privacy loss, whatever ε the noise was calibrated for
(Mironov 2012, "On significance of the least significant bits for differential
privacy", CCS, Section 3).
"""

from __future__ import annotations

import numpy as np

from .._validation import as_real_array, check_real

__all__ = ["unreachable_from"]


def unreachable_from(outputs, *, value: float) -> np.ndarray:
    """Mask of outputs y that no double n can produce as fl(value + n).

    For each y the candidate n = fl(y − value) and its two neighbouring doubles are
    tried (the doubles n with fl(value + n) = y form an interval, and n lies in it or
    next to it); y is unreachable if none of them rounds to y.

    Parameters
    ----------
    outputs : array_like of float
        Released values y.
    value : float
        The true answer v of the *other* data set.

    Returns
    -------
    numpy.ndarray of bool
        True where y could not have come from ``value`` plus any noise.
    """
    y = as_real_array("outputs", outputs)
    v = check_real("value", value)
    n = y - v
    hit = np.zeros(y.shape, dtype=bool)
    for cand in (n, np.nextafter(n, -np.inf), np.nextafter(n, np.inf)):
        hit |= (v + cand) == y
    return ~hit
