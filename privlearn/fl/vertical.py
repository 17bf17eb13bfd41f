"""Vertical federated logistic regression with Paillier-encrypted gradients.

Two organisations hold different features of the same customers: a bank (features X_B
and the labels y) and a partner (features X_A, no labels). They train one logistic
regression without pooling the data, following the hetero-LR protocol FATE popularised
(Hardy et al. 2017, "Private federated learning on vertically partitioned data via entity
resolution and additively homomorphic encryption"; Yang, Liu, Chen & Tong 2019,
"Federated machine learning: concept and applications", ACM TIST, Section 3.2), with an
arbiter C that holds the Paillier private key.

The logistic loss log(1 + e^{−y·u}), y in {−1, 1}, u = x·θ, is replaced by its
second-order Taylor expansion at u = 0, log 2 − y·u/2 + u²/8, so that its gradient is
linear in u: ∇_θ = Σ_i d_i x_i with residual d_i = u_i/4 − y_i/2. One step on a batch:

1. the partner computes u_A = X_A θ_A, encrypts it under C's key: [[u_A]];
2. the bank computes [[4d]] = [[u_A]] ⊕ Enc(u_B − 2y) (it sees u_A only encrypted here,
   though its own plaintext gradient later gives it batch sums of u_A: notebook 05) and
   sends it to the partner;
3. each party computes its encrypted gradient Σ_i [[4d_i]] ⊗ x_ij per feature j, adds a
   random mask R_j and sends it to C (the partner never sees d in the clear, but the
   gradient it gets back is a label-weighted sum of its features: notebook 05 reads labels
   from it with a batch of one);
4. C decrypts the masked gradients and returns them; each party removes its mask and
   updates its own coefficients.

The result is the same model as training the Taylor-approximated loss centrally on the
joined features (tested: equal to within the fixed-point precision), which
:func:`train_centralized_taylor` computes for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from phe.paillier import PaillierPrivateKey

from .._random import RNGLike, as_generator
from .._validation import as_real_array, check_int, check_real
from ..he.vectors import (
    check_public_key,
    decrypt_vector,
    encrypt_vector,
    encrypted_dot,
    encrypted_sum,
)
from ..mpc.randomness import random_bytes

__all__ = ["VerticalResult", "train_centralized_taylor", "train_vertical_lr"]


@dataclass
class VerticalResult:
    """Coefficients of each party (the intercept lives with the bank) and the costs."""

    theta_bank: np.ndarray
    intercept: float
    theta_partner: np.ndarray
    ciphertexts_sent: int = 0
    losses: list[float] = field(default_factory=list)

    def decision_function(self, x_bank: np.ndarray, x_partner: np.ndarray) -> np.ndarray:
        """x_bank·θ_bank + b + x_partner·θ_partner for rows of both parties' features."""
        xb = as_real_array("x_bank", x_bank)
        xp = as_real_array("x_partner", x_partner)
        for name, x, theta in (("x_bank", xb, self.theta_bank),
                               ("x_partner", xp, self.theta_partner)):
            if x.ndim != 2 or x.shape[1] != theta.size:
                raise ValueError(f"{name} must be 2-D with {theta.size} columns, got shape "
                                 f"{x.shape}")
        if len(xb) != len(xp):
            raise ValueError(f"x_bank and x_partner must have one row per customer each, got "
                             f"{len(xb)} and {len(xp)}")
        return xb @ self.theta_bank + self.intercept + xp @ self.theta_partner


def _check_parties(bank_ids, partner_ids, x_bank, x_partner, y):
    b, p = np.asarray(bank_ids), np.asarray(partner_ids)
    for name, ids in (("bank_ids", b), ("partner_ids", p)):
        if ids.ndim != 1 or ids.size == 0:
            raise ValueError(f"{name} must be a non-empty 1-D array of customer ids, got shape "
                             f"{ids.shape}")
        if len(np.unique(ids)) != ids.size:
            raise ValueError(f"{name} must not repeat a customer id: each customer is one row")
    if b.shape != p.shape or not np.array_equal(b, p):
        raise ValueError("customer ids of the bank and the partner must be aligned (the same "
                         "ids in the same order; align them first, e.g. by private set "
                         "intersection)")
    xb, xp = as_real_array("x_bank", x_bank), as_real_array("x_partner", x_partner)
    yy = np.asarray(y)
    if xb.ndim != 2 or xp.ndim != 2 or len(xb) != len(b) or len(xp) != len(b):
        raise ValueError(f"x_bank and x_partner must be 2-D with one row per customer "
                         f"({len(b)}), got {xb.shape} and {xp.shape}")
    if yy.shape != (len(b),) or yy.dtype.kind not in "iubf" or not np.isin(yy, (0, 1)).all():
        raise ValueError(f"y must hold one 0/1 label per customer ({len(b)}), got an array of "
                         f"shape {yy.shape} and dtype {yy.dtype}")
    return xb, xp, 2.0 * yy.astype(float) - 1.0


def _check_schedule(epochs, batch_size, lr) -> tuple[int, int, float]:
    return (check_int("epochs", epochs, low=1), check_int("batch_size", batch_size, low=1),
            check_real("lr", lr, low=0.0))


def _batches(n: int, batch_size: int, epochs: int, gen: np.random.Generator):
    for _ in range(epochs):
        order = gen.permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def _masks(count: int, scale: float) -> np.ndarray:
    """Secret masks (from the OS) uniform in ±scale, hiding gradients from the arbiter."""
    raw = np.frombuffer(random_bytes(8 * count), dtype=np.uint64)
    return (raw / 2.0**64 * 2.0 - 1.0) * scale


def train_vertical_lr(bank_ids, x_bank, y, partner_ids, x_partner, *, public_key,
                      private_key, epochs: int = 5, batch_size: int = 64, lr: float = 0.5,
                      precision: float = 2.0**-24, rng: RNGLike = 0) -> VerticalResult:
    """Train the hetero-LR protocol (see the module doc); returns both parties' weights.

    Parameters
    ----------
    bank_ids, partner_ids : array_like
        Customer ids of the two parties' rows; they must be identical and aligned.
    x_bank, y : arrays
        The bank's features (standardise them) and 0/1 labels.
    x_partner : array
        The partner's features (standardised).
    public_key, private_key : phe key pair
        The arbiter's keys; the parties only use the public one.
    epochs, batch_size, lr : training schedule (plain minibatch gradient descent).
    precision : float
        Fixed-point unit of the encrypted values.
    rng : seeds the batch order (statistical randomness); masks come from the OS.
    """
    xb, xp, ys = _check_parties(bank_ids, partner_ids, x_bank, x_partner, y)
    epochs, batch_size, lr = _check_schedule(epochs, batch_size, lr)
    check_public_key(public_key)
    if not isinstance(private_key, PaillierPrivateKey) or private_key.public_key != public_key:
        raise ValueError("private_key must be the phe private key of public_key (the "
                         f"arbiter's pair), got a {type(private_key).__name__} that is not")
    check_real("precision", precision, low=0.0)
    gen = as_generator(rng)
    n = len(ys)
    xb1 = np.column_stack([xb, np.ones(n)])            # the bank keeps the intercept
    theta_b, theta_a = np.zeros(xb1.shape[1]), np.zeros(xp.shape[1])
    result = VerticalResult(theta_b[:-1], 0.0, theta_a)
    for idx in _batches(n, batch_size, epochs, gen):
        m = len(idx)
        # 1. partner: [[u_A]]
        enc_ua = encrypt_vector(public_key, xp[idx] @ theta_a, precision=precision)
        # 2. bank: [[4d]] = [[u_A]] + Enc(u_B - 2y)
        own = encrypt_vector(public_key, xb1[idx] @ theta_b - 2.0 * ys[idx],
                             precision=precision)
        enc_4d = encrypted_sum([enc_ua, own])
        # 3. each party: masked encrypted gradient per feature, Σ_i [[4 d_i]] x_ij + R_j
        grads = []
        for theta, x in ((theta_a, xp[idx]), (theta_b, xb1[idx])):
            masks = _masks(len(theta), scale=1e6)
            masked = [encrypted_dot(enc_4d, x[:, j], intercept=float(masks[j]))
                      for j in range(len(theta))]
            # 4. arbiter decrypts masked values only; the party removes its masks
            opened = np.array([decrypt_vector(private_key, c) for c in masked])
            grads.append((opened - masks) / (4.0 * m))
            result.ciphertexts_sent += len(masked)
        result.ciphertexts_sent += 2 * m
        theta_a = theta_a - lr * grads[0]
        theta_b = theta_b - lr * grads[1]
    result.theta_bank, result.intercept, result.theta_partner = (theta_b[:-1], theta_b[-1],
                                                                 theta_a)
    return result


def train_centralized_taylor(x_bank, y, x_partner, *, epochs: int = 5, batch_size: int = 64,
                             lr: float = 0.5, rng: RNGLike = 0) -> VerticalResult:
    """The same Taylor-approximated logistic regression, trained on the joined features in
    the clear with the same batches: the model no one is allowed to build."""
    n = len(np.atleast_1d(np.asarray(y)))
    xb, xp, ys = _check_parties(np.arange(n), np.arange(n), x_bank, x_partner, y)
    epochs, batch_size, lr = _check_schedule(epochs, batch_size, lr)
    gen = as_generator(rng)
    xb1 = np.column_stack([xb, np.ones(n)])
    theta_b, theta_a = np.zeros(xb1.shape[1]), np.zeros(xp.shape[1])
    for idx in _batches(n, batch_size, epochs, gen):
        d4 = xb1[idx] @ theta_b + xp[idx] @ theta_a - 2.0 * ys[idx]
        theta_a = theta_a - lr * (xp[idx].T @ d4) / (4.0 * len(idx))
        theta_b = theta_b - lr * (xb1[idx].T @ d4) / (4.0 * len(idx))
    return VerticalResult(theta_b[:-1], float(theta_b[-1]), theta_a)
