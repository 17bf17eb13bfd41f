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
from _table import best_time, machine, print_table


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


if __name__ == "__main__":
    main()
