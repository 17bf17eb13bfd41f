"""Offline data loaders and the floating-point distinguisher."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from privlearn.attacks import unreachable_from
from privlearn.data import load_breast_cancer, load_digits


def test_digits_split_is_seeded_disjoint_and_scaled():
    a, b = load_digits(rng=0), load_digits(rng=0)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.x_train.shape[1] == 64 and len(a.y_train) + len(a.y_test) == 1797
    assert len(a.y_test) == round(0.25 * 1797)
    assert 0.0 <= a.x_train.min() and a.x_train.max() <= 1.0
    rows = {r.tobytes() for r in a.x_train}
    assert sum(r.tobytes() in rows for r in a.x_test) < 5   # the data set has a few duplicates
    assert not np.array_equal(load_digits(rng=1).y_train, a.y_train)


def test_breast_cancer_standardised_with_training_statistics_only():
    s = load_breast_cancer(rng=0)
    np.testing.assert_allclose(s.x_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(s.x_train.std(axis=0), 1, atol=1e-12)
    assert not np.allclose(s.x_test.mean(axis=0), 0, atol=1e-3)
    assert s.target_names == ("malignant", "benign")


def test_tensors_on_request():
    import torch

    x, y, _, _ = load_digits().as_tensors()
    assert x.dtype == torch.float32 and y.dtype == torch.int64


@pytest.mark.parametrize("fraction, exc", [(0.0, ValueError), (1.0, ValueError),
                                           (1e-6, ValueError), ("0.2", TypeError)])
def test_bad_test_fraction(fraction, exc):
    with pytest.raises(exc, match="test_fraction"):
        load_digits(test_fraction=fraction)


def test_textbook_laplace_leaks_through_low_bits():
    rng = np.random.default_rng(0)
    out_zero = 0.0 + rng.laplace(0, 1.0, size=10_000)
    assert unreachable_from(out_zero, value=1.0).mean() > 0.3
    out_one = 1.0 + rng.laplace(0, 1.0, size=10_000)
    assert not unreachable_from(out_one, value=1.0).any()


@given(v=st.floats(-1e6, 1e6), n=st.floats(-1e6, 1e6))
def test_a_true_output_is_never_called_unreachable(v, n):
    assert not unreachable_from([v + n], value=v)[0]


def test_known_unreachable_output():
    # 1e-20 needs n = 1e-20 − 1, which rounds to −1.0; 1 + (−1.0) = 0 ≠ 1e-20
    assert unreachable_from([1e-20], value=1.0)[0]
