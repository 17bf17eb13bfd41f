"""Speed of privlearn.dp against its targets (issue 2), as a table.

    python benchmarks/bench_dp.py

Ratios are measured in one run, side by side, so machine noise affects both sides.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from privlearn import dp

sys.path.insert(0, str(Path(__file__).parent))
from _table import best_time, busy_competitor, machine, print_table


def main() -> None:
    rows = []
    # 1. accounting: ~150 orders, 100,000 steps
    orders = dp.DEFAULT_ORDERS

    def account():
        rdp = dp.compute_rdp(sample_rate=256 / 60_000, noise_multiplier=1.1, steps=100_000,
                             orders=orders)
        return dp.rdp_to_dp(orders=orders, rdp=rdp, delta=1e-5)

    t = best_time(account, repeats=20)
    rows.append([f"compute_rdp + rdp_to_dp, {len(orders)} orders, 100k steps",
                 f"{t * 1e3:.2f} ms", "< 10 ms", "yes" if t < 0.010 else "NO"])

    # 1b. the PLD accountant: 10^4 steps, computed afresh (a new accountant each time);
    # dp_accounting's PLD accountant on the same schedule and grid when it is installed
    for q, sigma, label in [(0.01, 1.0, "q = 0.01, sigma = 1"),
                            (256 / 60_000, 1.1, "q = 256/60000, sigma = 1.1")]:
        def pld_epsilon(q=q, sigma=sigma):
            acc = dp.PLDAccountant()
            acc.step(noise_multiplier=sigma, sample_rate=q, steps=10_000)
            return acc.get_epsilon(1e-5)

        t = best_time(pld_epsilon, repeats=5)
        with busy_competitor():
            busy = best_time(pld_epsilon, repeats=5)
        rows.append([f"PLDAccountant.get_epsilon, 10^4 steps, {label}",
                     f"{t:.2f} s ({busy:.2f} s, one busy competitor)", "< 1 s",
                     "yes" if max(t, busy) < 1.0 else "NO"])
        reference = _dp_accounting_pld(q, sigma)
        if reference is not None:
            ref = best_time(reference, repeats=5)
            rows.append([f"  against dp_accounting's PLD accountant (eps {pld_epsilon():.4f} "
                         f"vs {reference():.4f})", f"{t / ref:.2f}x ({t:.2f} / {ref:.2f} s)",
                         "report", "-"])

    # 2. mechanisms over 10^6 values against drawing the noise with numpy directly
    x = np.zeros(1_000_000)
    rng = np.random.default_rng(0)
    b = dp.laplace_scale(sensitivity=1, epsilon=0.5)
    mech = best_time(lambda: dp.laplace_mechanism(x, sensitivity=1, epsilon=0.5, rng=rng))
    raw = best_time(lambda: x + rng.laplace(0.0, b, size=x.shape))
    rows.append(["laplace_mechanism, 10^6 values / numpy x + rng.laplace",
                 f"{mech / raw:.2f}x ({mech * 1e3:.1f} / {raw * 1e3:.1f} ms)", "<= 2x",
                 "yes" if mech / raw <= 2 else "NO"])
    sigma = dp.analytic_gaussian_sigma(sensitivity=1, epsilon=0.5, delta=1e-5)
    mech = best_time(lambda: dp.gaussian_mechanism(x, sensitivity=1, epsilon=0.5, delta=1e-5,
                                                   rng=rng))
    raw = best_time(lambda: x + rng.normal(0.0, sigma, size=x.shape))
    rows.append(["gaussian_mechanism, 10^6 values / numpy x + rng.normal",
                 f"{mech / raw:.2f}x ({mech * 1e3:.1f} / {raw * 1e3:.1f} ms)", "<= 2x",
                 "yes" if mech / raw <= 2 else "NO"])

    # 3. exact discrete Gaussian against the float sampler
    exact = best_time(lambda: dp.discrete_gaussian(sigma=3, size=100_000, rng=rng), repeats=3)
    flt = best_time(lambda: rng.normal(0.0, 3.0, size=100_000))
    rows.append(["discrete_gaussian(sigma=3), 10^5 samples",
                 f"{100_000 / exact:,.0f} samples/s; {exact / flt:,.0f}x the float sampler",
                 "report", "-"])
    print_table(f"privlearn.dp speed ({machine()})", ["what", "measured", "target", "met"],
                rows)


def _dp_accounting_pld(q: float, sigma: float):
    """dp_accounting's PLD accountant on 10^4 steps, or None without the crosscheck extra."""
    try:
        from dp_accounting import dp_event
        from dp_accounting.pld import pld_privacy_accountant
    except ImportError:
        return None

    def run():
        acc = pld_privacy_accountant.PLDAccountant(value_discretization_interval=1e-4)
        acc.compose(dp_event.PoissonSampledDpEvent(q, dp_event.GaussianDpEvent(sigma)), 10_000)
        return acc.get_epsilon(1e-5)

    return run


if __name__ == "__main__":
    main()
