"""Offline data for the course: scikit-learn's bundled sets, split reproducibly.

Nothing here downloads anything: the digits (Alpaydin & Kaynak 1998, UCI; 1,797
8x8 images) and breast-cancer (Wolberg, Street & Mangasarian 1995, UCI Wisconsin
Diagnostic; 569 records, 30 features) sets ship inside scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._random import RNGLike, as_generator
from ._validation import check_real

__all__ = ["Split", "load_breast_cancer", "load_digits"]


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
