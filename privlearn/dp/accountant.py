"""An RDP accountant: the state is a record of steps, the math is in :mod:`.rdp`.

As in Opacus's design, the object only remembers ``(noise_multiplier, sample_rate,
steps)`` triples; every ε it reports is computed afresh by the pure functions
:func:`~privlearn.dp.rdp.compute_rdp` and :func:`~privlearn.dp.rdp.rdp_to_dp`. RDP of
different steps adds up order by order (Mironov 2017, Proposition 1), so mixed
settings compose exactly.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_probability, check_real
from .rdp import DEFAULT_ORDERS, _check_orders, compute_rdp, rdp_to_dp

__all__ = ["RDPAccountant"]


class RDPAccountant:
    """Records Poisson-subsampled Gaussian steps and reports (ε, δ).

    Examples
    --------
    >>> acc = RDPAccountant()
    >>> acc.step(noise_multiplier=1.1, sample_rate=256/60000, steps=14063)
    >>> round(acc.get_epsilon(1e-5, method="classic"), 2)
    3.01
    """

    def __init__(self, orders=DEFAULT_ORDERS) -> None:
        self.orders = _check_orders(orders)  # a copy: the caller's array may change
        self.history: list[tuple[float, float, int]] = []
        self._rdp_cache: tuple[object, np.ndarray] | None = None

    def step(self, *, noise_multiplier: float, sample_rate: float, steps: int = 1) -> None:
        """Record ``steps`` steps with this noise multiplier and sampling rate."""
        sigma = check_real("noise_multiplier", noise_multiplier, low=0.0, low_open=False)
        q = check_probability("sample_rate", sample_rate, closed=True)
        steps = check_int("steps", steps, low=1)
        if self.history and self.history[-1][:2] == (sigma, q):
            self.history[-1] = (sigma, q, self.history[-1][2] + steps)
        else:
            self.history.append((sigma, q, steps))

    def get_rdp(self) -> np.ndarray:
        """Total RDP ε(α) at each of ``self.orders``."""
        key = (tuple(self.history), self.orders.tobytes())  # what the curve depends on
        if self._rdp_cache is None or self._rdp_cache[0] != key:
            total = np.zeros_like(self.orders)
            for sigma, q, steps in self.history:
                total += compute_rdp(sample_rate=q, noise_multiplier=sigma, steps=steps,
                                     orders=self.orders)
            self._rdp_cache = (key, total)
        return self._rdp_cache[1].copy()

    def get_privacy_spent(self, delta: float, *, method: str = "improved"
                          ) -> tuple[float, float]:
        """``(epsilon, best_order)`` for the recorded steps at this δ."""
        return rdp_to_dp(orders=self.orders, rdp=self.get_rdp(), delta=delta, method=method)

    def get_epsilon(self, delta: float, *, method: str = "improved") -> float:
        """ε at this δ for every step recorded so far (0 before the first step)."""
        return self.get_privacy_spent(delta, method=method)[0]

    def __len__(self) -> int:
        return sum(steps for _, _, steps in self.history)

    def __repr__(self) -> str:
        return f"RDPAccountant(steps={len(self)}, settings={len(self.history)})"
