"""Vertical FL: the encrypted protocol gives the centralised (Taylor) model; bad input."""

import numpy as np
import pytest

from privlearn.data import credit_applicants
from privlearn.fl import train_centralized_taylor, train_vertical_lr


def _data(n=160):
    c = credit_applicants(n, rng=3)
    std = lambda x: (x - x.mean(0)) / x.std(0)  # noqa: E731
    return c["customer_id"], std(c["bank"]["x"]), c["default"], std(c["partner"]["x"])


def test_encrypted_protocol_equals_centralised_training(small_phe_keys):
    pk, sk = small_phe_keys
    ids, xb, y, xp = _data()
    kw = {"epochs": 2, "batch_size": 40, "lr": 0.5, "rng": 1}
    enc = train_vertical_lr(ids, xb, y, ids, xp, public_key=pk, private_key=sk,
                            precision=2.0**-24, **kw)
    cen = train_centralized_taylor(xb, y, xp, **kw)
    np.testing.assert_allclose(enc.theta_bank, cen.theta_bank, atol=1e-5)
    np.testing.assert_allclose(enc.theta_partner, cen.theta_partner, atol=1e-5)
    assert enc.intercept == pytest.approx(cen.intercept, abs=1e-5)
    # per batch: two encrypted vectors of the batch, one masked gradient per coefficient
    assert enc.ciphertexts_sent == 2 * (2 * 160 + 4 * (4 + 1 + 3))


def test_the_model_learns_the_generating_direction():
    _, xb, y, xp = _data(3000)
    cen = train_centralized_taylor(xb, y, xp, epochs=20, batch_size=100, lr=0.5)
    coef = np.concatenate([cen.theta_bank, cen.theta_partner])
    true = credit_applicants(3000, rng=3)["true_coef"]
    assert np.corrcoef(coef, true)[0, 1] > 0.9
    scores = cen.decision_function(xb, xp)
    assert np.mean((scores > 0) == (y == 1)) > 0.75


@pytest.mark.parametrize("change, words", [
    (lambda ids, xb, y, xp: (ids, xb, y, ids[::-1], xp), "aligned"),
    (lambda ids, xb, y, xp: (ids, xb, y, ids[:-1], xp[:-1]), "aligned"),
    (lambda ids, xb, y, xp: (ids, xb, y + 1, ids, xp), "0/1"),
    (lambda ids, xb, y, xp: (ids, xb[:-1], y, ids, xp), "one row per customer"),
    (lambda ids, xb, y, xp: (ids, xb * np.nan, y, ids, xp), "finite"),
])
def test_rejects(small_phe_keys, change, words):
    pk, sk = small_phe_keys
    args = change(*_data(40))
    with pytest.raises(ValueError, match=words):
        train_vertical_lr(*args, public_key=pk, private_key=sk)
