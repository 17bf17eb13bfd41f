"""Class 1: overflow is refused before it happens, never wrapped.

Every encrypted or secret-shared real carries a public bound; an operation whose result
could pass the encoding's range raises, naming the quantity and the bound.
"""

from dataclasses import replace

import numpy as np
import pytest
import torch

from privlearn import fl, he, mpc

from ._cases import Case, check, ids

P = 2.0**-20


def _big(ctx, factor=0.4):
    """A value whose public bound is ``factor`` of the key's safe range n/3."""
    return factor * ctx.pk.max_int * P


def _enc(ctx, value, **kw):
    return he.encrypt_vector(ctx.pk, [value], precision=P, max_abs=abs(value), **kw)


def _states(value):
    return [{"w": torch.full((3,), value)}, {"w": torch.full((3,), value)}]


CASES = [
    Case("he.encrypt_vector", "value beyond max_abs",
         lambda c: he.encrypt_vector(c.pk, [0.5, 2.0], max_abs=1.0),
         ValueError, r"values must satisfy \|x\| <= max_abs=1\.0", r"got 2\.0"),
    Case("he.encrypt_vector", "value beyond the default bound sqrt(n/3)",
         lambda c: he.encrypt_vector(c.pk, [1e40], precision=P),
         ValueError, r"values must satisfy .*default bound", r"got 1e\+40"),
    Case("he.encrypt_vector", "max_abs beyond n/3",
         lambda c: he.encrypt_vector(c.pk, [1.0], precision=P, max_abs=c.pk.max_int),
         ValueError, r"max_abs / precision must not exceed", r"max_abs=\d+"),
    Case("he.encrypted_sum", "three values near the limit",
         lambda c: he.encrypted_sum([_enc(c, _big(c))] * 3),
         OverflowError, r"the sum could reach", r"\|m\| = \d+"),
    Case("he.encrypted_weighted_average", "whole-count weights that overflow",
         lambda c: he.encrypted_weighted_average([_enc(c, _big(c)), _enc(c, 1.0)], [3, 1]),
         OverflowError, r"the weighted sum could reach", r"\|m\| = \d+"),
    Case("he.encrypted_dot", "weights that overflow",
         lambda c: he.encrypted_dot(_enc(c, _big(c, 0.1)), [2**4]),
         OverflowError, r"the dot product .* could reach", r"\|m\| = \d+"),
    Case("he.encrypted_dot", "an intercept beyond n/3 (was reduced mod n)",
         lambda c: he.encrypted_dot(he.encrypt_vector(c.pk, [1.0], precision=P), [1.0],
                                    intercept=float(c.pk.n) * P ** 2),
         OverflowError, r"the dot product \(with the intercept\)", r"\|m\| = \d+"),
    Case("he.decrypt_vector", "a vector that lies about its bound",
         lambda c: he.decrypt_vector(c.sk, he.encrypted_sum(
             [replace(_enc(c, _big(c, 0.9)), max_abs_int=1)] * 2)),
         OverflowError, r"decrypted value", r"ciphertext 0"),
    Case("he.pack_encrypt", "value beyond max_abs",
         lambda c: he.pack_encrypt(c.pk, [0.5, 1.5], precision=P, max_summands=2, max_abs=1),
         ValueError, r"values must satisfy \|x\| <= max_abs=1", r"got 1\.5"),
    Case("he.packing_layout", "a slot wider than the key",
         lambda c: he.packing_layout(c.pk, precision=2.0**-300, max_summands=2, max_abs=1.0),
         ValueError, r"a slot of \d+ bits does not fit", r"256-bit key"),
    Case("he.encrypted_sum", "more packed summands than the slots hold",
         lambda c: he.encrypted_sum([he.pack_encrypt(c.pk, [1.0], precision=P, max_summands=2,
                                                     max_abs=1)] * 3),
         OverflowError, r"max_summands=2", r"3 summands"),
    Case("he.unpack_decrypt", "a packed vector whose summands were under-counted",
         lambda c: he.unpack_decrypt(c.sk, replace(he.encrypted_sum(
             [he.pack_encrypt(c.pk, [1.0], precision=P, max_summands=2, max_abs=1)] * 2),
             summands=1)),
         ValueError, r"slot \d+", r"summands=1"),
    Case("mpc.encode_fixed", "a value whose sum of 3 would wrap",
         lambda c: mpc.encode_fixed(2.0**46, max_summands=3),
         ValueError, r"x must satisfy \|x\| < 2\^47 / 3", r"got 70368744177664\.0"),
    Case("mpc.encode_fixed", "a value beyond the signed range",
         lambda c: mpc.encode_fixed([1.0, 2.0**48]),
         ValueError, r"x must satisfy \|x\| < 2\^47", r"got 281474976710656\.0"),
    Case("mpc.secure_mean", "three parties near the ring's limit (wrapped before)",
         lambda c: mpc.secure_mean([2**46] * 3),
         ValueError, r"values\[0\] must satisfy", r"got 70368744177664\.0"),
    Case("fl.SecureAggregator", "n_i * theta_i beyond the ring for k clients",
         lambda c: fl.SecureAggregator(frac_bits=40).aggregate(
             {"w": torch.zeros(3)}, _states(2.0**22), [1, 1]),
         ValueError, r"client_states\[0\] times num_examples\[0\] must satisfy",
         r"got 4194304\.0"),
    Case("fl.PaillierAggregator", "a parameter beyond max_abs (packed)",
         lambda c: fl.PaillierAggregator(c.pk, c.sk, precision=P, packed=True, max_abs=1.0,
                                         max_summands=4).aggregate(
             {"w": torch.zeros(3)}, _states(3.0), [1, 1]),
         ValueError, r"values must satisfy \|x\| <= max_abs=1\.0", r"got 3\.0"),
    Case("fl.PaillierAggregator", "counts that would overflow the unpacked sum",
         lambda c: fl.PaillierAggregator(c.pk, c.sk, precision=P,
                                         max_abs=_big(c, 0.3)).aggregate(
             {"w": torch.zeros(3)}, _states(1.0), [2, 2]),
         OverflowError, r"the weighted sum could reach", r"\|m\| = \d+"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_refused(case, ctx):
    check(case, ctx)


def test_just_inside_the_bound_is_exact(ctx):
    """The edge the refusals guard: at the bound, results are still exact."""
    x = _big(ctx, 0.49)  # two of them: 0.98 of n/3
    total = he.decrypt_vector(ctx.sk, he.encrypted_sum([_enc(ctx, x)] * 2))
    assert total[0] == 2 * round(x / P) * P
    assert mpc.secure_mean([2.0**46 - 1] * 2) == 2.0**46 - 1
    np.testing.assert_array_equal(
        mpc.decode_fixed(mpc.encode_fixed(2.0**46 - 1, max_summands=2) * np.uint64(2)),
        2.0**47 - 2)
