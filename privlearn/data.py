"""Offline data for the course: scikit-learn's bundled sets, split reproducibly.

Nothing here downloads anything: the digits (Alpaydin & Kaynak 1998, UCI; 1,797
8x8 images) and breast-cancer (Wolberg, Street & Mangasarian 1995, UCI Wisconsin
Diagnostic; 569 records, 30 features) sets ship inside scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._random import RNGLike, as_generator
from ._validation import check_int, check_real

__all__ = ["Split", "load_breast_cancer", "load_digits", "synthetic_population"]


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
    x = d.data / 16.0 if scale else d.data
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
                  test_fraction=test_fraction, rng=rng, standardize=standardize)


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
    num_zips = check_int("num_zips", num_zips, low=1)
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
