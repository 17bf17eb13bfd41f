"""Offline data for the course: scikit-learn's bundled sets, split reproducibly.

Nothing here downloads anything: the digits (Alpaydin & Kaynak 1998, UCI; 1,797
8x8 images) and breast-cancer (Wolberg, Street & Mangasarian 1995, UCI Wisconsin
Diagnostic; 569 records, 30 features) sets ship inside scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._random import RNGLike, as_generator
from ._validation import check_bool, check_int, check_real

__all__ = [
    "APPLIANCES",
    "Split",
    "credit_applicants",
    "load_breast_cancer",
    "load_digits",
    "smart_home_events",
    "synthetic_population",
]


@dataclass(frozen=True)
class Split:
    """A train/test split as arrays: ``x_train, y_train, x_test, y_test``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]

    def __iter__(self):
        return iter((self.x_train, self.y_train, self.x_test, self.y_test))

    def as_tensors(self):
        """The four arrays as torch tensors (float32 features, int64 labels)."""
        import torch

        return (torch.as_tensor(self.x_train, dtype=torch.float32),
                torch.as_tensor(self.y_train, dtype=torch.int64),
                torch.as_tensor(self.x_test, dtype=torch.float32),
                torch.as_tensor(self.y_test, dtype=torch.int64))


def _split(x, y, feature_names, target_names, *, test_fraction, rng, standardize) -> Split:
    test_fraction = check_real("test_fraction", test_fraction, low=0.0, high=1.0)
    gen = as_generator(rng)
    n = len(y)
    n_test = round(test_fraction * n)
    if not 0 < n_test < n:
        raise ValueError(f"test_fraction must leave both parts non-empty, got {test_fraction!r}"
                         f" for {n} records")
    order = gen.permutation(n)
    test, train = order[:n_test], order[n_test:]
    x_train, x_test = x[train].astype(np.float64), x[test].astype(np.float64)
    if standardize:
        # statistics from the training part only, so nothing leaks from the test part
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        std[std == 0] = 1.0
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    return Split(x_train, y[train].astype(np.int64), x_test, y[test].astype(np.int64),
                 tuple(feature_names), tuple(str(t) for t in target_names))


def load_digits(*, test_fraction: float = 0.25, rng: RNGLike = 0,
                scale: bool = True) -> Split:
    """The 8x8 handwritten digits, 64 features in [0, 1] (``scale``) or 0..16.

    Parameters
    ----------
    test_fraction : float
        Share of records held out for testing, in (0, 1).
    rng : numpy.random.Generator, int or None
        Shuffles before splitting; the default seed 0 gives the course's split.
    scale : bool
        Divide pixel intensities (0..16) by 16.
    """
    from sklearn import datasets

    d = datasets.load_digits()
    x = d.data / 16.0 if check_bool("scale", scale) else d.data
    return _split(x, d.target, [f"pixel_{i}" for i in range(64)], d.target_names,
                  test_fraction=test_fraction, rng=rng, standardize=False)


def load_breast_cancer(*, test_fraction: float = 0.25, rng: RNGLike = 0,
                       standardize: bool = True) -> Split:
    """The Wisconsin diagnostic breast-cancer records: 30 features, 0 = malignant.

    ``standardize`` centres and scales each feature with the training part's mean and
    standard deviation.
    """
    from sklearn import datasets

    d = datasets.load_breast_cancer()
    return _split(d.data, d.target, d.feature_names, d.target_names,
                  test_fraction=test_fraction, rng=rng,
                  standardize=check_bool("standardize", standardize))


_DIAGNOSES = ("none", "asthma", "diabetes", "hypertension", "depression", "cancer")
_DIAGNOSIS_P = (0.55, 0.1, 0.1, 0.15, 0.07, 0.03)


def synthetic_population(n: int, *, num_zips: int = 30, rng: RNGLike = 0) -> dict:
    """A synthetic town for linkage attacks: one row per person, as a dict of columns.

    Columns: ``person_id`` (the ground truth an attacker does not see), ``name``
    (``"person-00042"``), ``zip`` (one of ``num_zips`` codes, uniform), ``birth_year``
    (uniform 1940..2005), ``birth_day`` (day of year, uniform 1..365), ``sex``
    (``"F"``/``"M"``, equally likely) and ``diagnosis`` (one of six, the first "none",
    with fixed probabilities 0.55, 0.1, 0.1, 0.15, 0.07, 0.03). Every column is drawn
    independently: real populations are more clustered, so real uniqueness is, if
    anything, lower per column but just as high for the triple (Sweeney 2000).
    """
    n = check_int("n", n, low=1)
    num_zips = check_int("num_zips", num_zips, low=1, high=90_000)  # five-digit codes
    gen = as_generator(rng)
    ids = np.arange(n)
    return {
        "person_id": ids,
        "name": np.array([f"person-{i:05d}" for i in ids]),
        "zip": 10_000 + gen.integers(0, num_zips, n),
        "birth_year": gen.integers(1940, 2006, n),
        "birth_day": gen.integers(1, 366, n),
        "sex": np.where(gen.random(n) < 0.5, "F", "M"),
        "diagnosis": gen.choice(np.array(_DIAGNOSES), size=n, p=_DIAGNOSIS_P),
    }


#: Appliances of :func:`smart_home_events` and the hours around which their use peaks.
APPLIANCES = {
    "washing_machine": (8, 19),
    "dishwasher": (13, 21),
    "heater": (6, 22),
    "tv": (20, 21),
    "oven": (12, 18),
}


def smart_home_events(num_homes: int, *, days: int = 7, rng: RNGLike = 0) -> dict:
    """Synthetic appliance usage by hour for ``num_homes`` households over ``days`` days.

    Each appliance has two peak hours (:data:`APPLIANCES`). Each home picks one peak per
    appliance, adds its own habit shift (a rounded normal, sd 1.5 hours), and uses the
    appliance on each day with probability 0.7, at its habitual hour, or, one time in five,
    at a uniformly random hour.

    Returns
    -------
    dict
        ``"appliances"`` (names), ``"habit_hour"`` (homes x appliances, 0..23: the private
        value a vendor would like to learn the distribution of), ``"usage"`` (homes x
        appliances x 24 counts of uses).
    """
    n = check_int("num_homes", num_homes, low=1)
    days = check_int("days", days, low=1)
    gen = as_generator(rng)
    names = tuple(APPLIANCES)
    peaks = np.array([APPLIANCES[a] for a in names])                       # (A, 2)
    choice = gen.integers(0, 2, size=(n, len(names)))
    habit = (peaks[np.arange(len(names)), choice]
             + np.round(gen.normal(0, 1.5, size=(n, len(names))))).astype(int) % 24
    usage = np.zeros((n, len(names), 24), dtype=np.int64)
    for _ in range(days):
        used = gen.random((n, len(names))) < 0.7
        random_hour = gen.random((n, len(names))) < 0.2
        hour = np.where(random_hour, gen.integers(0, 24, size=(n, len(names))), habit)
        h, a = np.nonzero(used)
        np.add.at(usage, (h, a, hour[h, a]), 1)
    return {"appliances": names, "habit_hour": habit, "usage": usage}


def credit_applicants(n: int, *, rng: RNGLike = 0, default_rate: float = 0.2) -> dict:
    """A synthetic population of loan applicants, split between a bank and a partner.

    The bank holds ``income`` (thousands per month, log-normal), ``debt_ratio``
    (Beta(2, 5)), ``late_payments`` (Poisson(0.5)) and ``years_as_customer`` (0..20) and
    the label ``default``; an e-commerce partner holds ``monthly_spend`` (log-normal),
    ``return_rate`` (Beta(2, 8)) and ``night_orders`` (share of orders placed at night,
    Beta(2, 6)). Default follows a logistic model of all seven standardised features,
    with the intercept set so that about ``default_rate`` of applicants default; both
    parties' features matter, which is the point of vertical federated learning.

    Returns
    -------
    dict
        ``"customer_id"`` (shared ids, 0..n-1), ``"bank"`` and ``"partner"`` (dicts with
        ``"names"`` and a float matrix ``"x"``), ``"default"`` (0/1 labels, at the bank)
        and ``"true_coef"`` (the generating coefficients, standardised scale).
    """
    n = check_int("n", n, low=10)
    rate = check_real("default_rate", default_rate, low=0.0, high=1.0)
    gen = as_generator(rng)
    bank = np.column_stack([gen.lognormal(2.0, 0.5, n), gen.beta(2, 5, n),
                            gen.poisson(0.5, n), gen.integers(0, 21, n)]).astype(float)
    partner = np.column_stack([gen.lognormal(6.0, 0.7, n), gen.beta(2, 8, n),
                               gen.beta(2, 6, n)])
    both = np.column_stack([bank, partner])
    z = (both - both.mean(axis=0)) / both.std(axis=0)
    coef = np.array([-0.8, 1.0, 0.9, -0.4, -0.3, 0.6, 0.7])
    score = z @ coef
    from scipy import optimize, special

    # the intercept that makes the expected share of defaults exactly `default_rate`
    def share(b: float) -> float:
        return float(special.expit(score + b).mean())

    low, high = share(-500.0), share(500.0)
    if not low < rate < high:
        raise ValueError(f"default_rate must be reachable by shifting the intercept, i.e. in "
                         f"({low:.3g}, {high:.3g}) for these applicants, got {rate!r}")
    intercept = optimize.brentq(lambda b: share(b) - rate, -500.0, 500.0)
    p = special.expit(score + intercept)
    y = (gen.random(n) < p).astype(np.int64)
    return {
        "customer_id": np.arange(n),
        "bank": {"names": ("income", "debt_ratio", "late_payments", "years_as_customer"),
                 "x": bank},
        "partner": {"names": ("monthly_spend", "return_rate", "night_orders"), "x": partner},
        "default": y,
        "true_coef": coef,
    }
