"""The Laplace mechanism (Dwork, McSherry, Nissim & Smith 2006).

For a query f with L1 sensitivity Δ = max over neighbouring D, D' of ||f(D) - f(D')||_1,
releasing f(D) + Lap(b) with b = Δ/ε is ε-differentially private
(Dwork & Roth 2014, *The Algorithmic Foundations of Differential Privacy*, Thm 3.6).
"""

from __future__ import annotations

import math

import numpy as np

from .._random import RNGLike, as_generator
from .._validation import as_real_array, check_real

__all__ = ["laplace_mechanism", "laplace_scale"]


def laplace_scale(*, sensitivity: float, epsilon: float) -> float:
    """Scale b of the Laplace noise that makes a query ε-DP: b = Δ / ε.

    Parameters
    ----------
    sensitivity : float
        L1 sensitivity Δ of the query, > 0. It must come from the query's definition
        (a count changes by at most 1), never from the private data.
    epsilon : float
        Privacy parameter ε > 0.

    Returns
    -------
    float
        The scale b; the noise has standard deviation √2·b.

    References
    ----------
    Dwork & Roth (2014), Definition 3.3 and Theorem 3.6.

    Examples
    --------
    >>> laplace_scale(sensitivity=1, epsilon=0.5)
    2.0
    """
    sensitivity = check_real("sensitivity", sensitivity, low=0.0)
    epsilon = check_real("epsilon", epsilon, low=0.0)
    scale = sensitivity / epsilon
    if not math.isfinite(scale):
        raise ValueError(f"sensitivity / epsilon overflows float64, got sensitivity="
                         f"{sensitivity!r}, epsilon={epsilon!r}: lower sensitivity or raise "
                         "epsilon")
    return scale


def laplace_mechanism(
    value, *, sensitivity: float, epsilon: float, rng: RNGLike = None
) -> float | np.ndarray:
    """Release ``value + Lap(Δ/ε)``, independently for each entry.

    Parameters
    ----------
    value : float or array_like
        The exact query answer f(D). An array is a vector-valued query and
        ``sensitivity`` must then be its L1 sensitivity as a whole.
    sensitivity : float
        L1 sensitivity Δ > 0 of the query.
    epsilon : float
        Privacy parameter ε > 0.
    rng : numpy.random.Generator, int or None
        Source of the noise (statistical randomness, see ``privlearn._random``).

    Returns
    -------
    float or numpy.ndarray
        Same shape as ``value``: a float for a scalar.

    Notes
    -----
    This draws the noise in floating point. That is fine for teaching, but a
    textbook float sampler is *not* private as implemented: the set of doubles it can
    output depends on the true value, and Mironov (2012, "On significance of the least
    significant bits for differential privacy") shows how an attacker tells neighbours
    apart from the low bits. For deployment use an exact integer sampler such as
    :func:`privlearn.dp.discrete_laplace` on a discretised query.

    References
    ----------
    Dwork & Roth (2014), Theorem 3.6.
    """
    x = as_real_array("value", value)
    b = laplace_scale(sensitivity=sensitivity, epsilon=epsilon)
    gen = as_generator(rng)
    out = x + gen.laplace(0.0, b, size=x.shape)
    return float(out) if out.ndim == 0 else out
