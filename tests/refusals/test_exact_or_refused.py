"""Property tests: an encrypted or secret-shared sum either equals the plaintext sum of the
fixed-point encodings exactly, or raises (ValueError for an input beyond its public bound,
OverflowError for a result that could pass the encoding's range). Never anything else.
The value ranges straddle each limit, so both outcomes occur."""

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from privlearn import fl, he, mpc

COVERS = {"he.encrypt_vector", "he.encrypted_sum", "he.encrypted_weighted_average",
          "he.pack_encrypt", "he.unpack_decrypt", "mpc.secure_mean", "mpc.encode_fixed",
          "mpc.SecureAggregation", "fl.SecureAggregator"}

P = 2.0**-20
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

fractions_ = st.floats(0.0, 1.0, allow_nan=False)


def _ints(values, unit):
    return [round(Fraction(float(v)) / Fraction(unit)) for v in values]


@SETTINGS
@given(k=st.integers(1, 4), share=st.floats(0.05, 0.8), spread=st.lists(
    st.floats(-1.3, 1.3), min_size=2, max_size=2), weights=st.lists(st.integers(0, 3),
                                                                      min_size=4, max_size=4))
def test_unpacked_sums_are_exact_or_refused(ctx, k, share, spread, weights):
    """k vectors whose public bounds each take `share` of n/3 (so k·share straddles 1),
    values up to 1.3x their bound (so some are refused at encryption)."""
    pk, sk = ctx.pk, ctx.sk
    bound = share * pk.max_int * P
    vectors, ints = [], []
    for i in range(k):
        values = [s * bound * (1 + 0.1 * i) / 1.3 for s in spread]
        try:
            vectors.append(he.encrypt_vector(pk, values, precision=P, max_abs=bound))
        except ValueError:
            m = -(-Fraction(bound) // Fraction(P))          # ceil(bound / P)
            assert any(abs(q) > m for q in _ints(values, P))
            return
        ints.append(_ints(values, P))
    w = weights[:k]
    assume(sum(w) > 0)
    try:
        total = he.encrypted_weighted_average(vectors, w)
    except OverflowError:
        assert sum(wi * v.max_abs_int for wi, v in zip(w, vectors, strict=True)) > pk.max_int
        return
    got = he.decrypt_vector(sk, total)
    want = [float(Fraction(sum(wi * q[j] for wi, q in zip(w, ints, strict=True)))
                  * Fraction(P) / sum(w)) for j in range(2)]
    assert got.tolist() == want


@SETTINGS
@given(max_summands=st.integers(1, 4), k=st.integers(1, 5),
       values=st.lists(st.floats(-1.2, 1.2), min_size=3, max_size=3))
def test_packed_sums_are_exact_or_refused(ctx, max_summands, k, values):
    pk, sk = ctx.pk, ctx.sk
    vectors = []
    for i in range(k):
        row = [v * (1 - 0.05 * i) for v in values]
        try:
            vectors.append(he.pack_encrypt(pk, row, precision=P, max_summands=max_summands,
                                           max_abs=1.0))
        except ValueError:
            assert any(abs(q) > 2**20 for q in _ints(row, P))
            return
    try:
        total = he.encrypted_sum(vectors)
    except OverflowError:
        assert k > max_summands
        return
    want = [float(sum(Fraction(_ints([v * (1 - 0.05 * i)], P)[0]) for i in range(k))
                  * Fraction(P)) for v in values]
    assert he.unpack_decrypt(sk, total).tolist() == want


@settings(max_examples=200, deadline=None)
@given(n=st.integers(2, 6), frac_bits=st.integers(0, 40),
       shares=st.lists(st.floats(-1.5, 1.5), min_size=6, max_size=6))
def test_secure_mean_is_exact_or_refused(n, frac_bits, shares):
    """Inputs up to 1.5x the per-party limit 2^(63-f)/n."""
    limit = 2.0 ** (63 - frac_bits) / n
    values = [s * limit for s in shares[:n]]
    ints = [round(v * 2.0**frac_bits) for v in values]   # what encode_fixed computes
    try:
        got = mpc.secure_mean(values, frac_bits=frac_bits)
    except ValueError:  # a true overflow, or within one float64 rounding of the limit
        assert any(abs(q) * n >= 2**63 * (1 - 2**-50) for q in ints)
        return
    assert all(abs(q) * n < 2**63 for q in ints)
    assert got == float(np.int64(sum(ints))) / 2.0**frac_bits / n


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 5), data=st.data())
def test_secure_aggregation_is_exact_or_refused(n, data):
    t = data.draw(st.integers(2, n))
    survivors = data.draw(st.sets(st.integers(0, n - 1), min_size=1))
    scale = 2.0**47 / n                  # frac_bits=16: the per-client limit is 2^63/(n 2^16)
    xs = [np.array(data.draw(st.lists(st.floats(-1.3, 1.3), min_size=3, max_size=3))) * scale
          for _ in range(n)]
    try:
        encoded = [mpc.encode_fixed(x, frac_bits=16, max_summands=n) for x in xs]
    except ValueError:  # a true overflow, or within one float64 rounding of the limit
        assert any(abs(round(v * 2**16)) * n >= 2**63 * (1 - 2**-50) for x in xs for v in x)
        return
    protocol = mpc.SecureAggregation(n, threshold=t, vector_length=3)
    masked = {u: protocol.masked_input(u, encoded[u]) for u in survivors}
    try:
        total = protocol.aggregate(masked)
    except ValueError:
        assert len(survivors) < t
        return
    want = [sum(int(encoded[u].view(np.int64)[j]) for u in survivors) for j in range(3)]
    assert total.view(np.int64).tolist() == want


@settings(max_examples=15, deadline=None)
@given(values=st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3),
       counts=st.lists(st.integers(1, 4), min_size=3, max_size=3))
def test_secure_aggregator_matches_fedavg_or_refuses(values, counts):
    frac_bits = 30
    limit = 2.0 ** (63 - frac_bits) / 3 / 4          # 3 clients, counts up to 4
    states = [{"w": torch.tensor([v * limit], dtype=torch.float64)} for v in values]
    agg = fl.SecureAggregator(frac_bits=frac_bits)
    try:
        got = agg.aggregate({"w": torch.zeros(1, dtype=torch.float64)}, states, counts)
    except ValueError as err:
        assert "must satisfy" in str(err)
        assert any(abs(round(v * limit * c * 2.0**frac_bits)) * 3 >= 2**63 * (1 - 2**-50)
                   for v, c in zip(values, counts, strict=True))
        return
    want = fl.fedavg(states, counts)["w"]
    # |error| <= 3 roundings of 2^-(f+1) each, over the total weight, plus float64's own
    # rounding on both sides: fedavg's weighted sum and the int64 total's conversion each
    # err by at most (clients + 2) units of 2^-53 of S = Σ|count·value| / Σcount, which is
    # not a few ulps of the result when the values cancel (a sum of 0 from terms of 3e8)
    s = sum(abs(v * limit) * c for v, c in zip(values, counts, strict=True)) / sum(counts)
    assert torch.allclose(got["w"], want, rtol=0.0,
                          atol=3 * 2.0**-(frac_bits + 1) + 2 * 5 * 2.0**-53 * s)


def test_the_ranges_straddle_the_limits(ctx):
    """Both outcomes happen in each property's range (a property that only ever raises,
    or never does, would test little)."""
    pk = ctx.pk
    big = he.encrypt_vector(pk, [0.6 * pk.max_int * P], precision=P,
                            max_abs=0.6 * pk.max_int * P)
    with pytest.raises(OverflowError):
        he.encrypted_sum([big, big])
    assert he.decrypt_vector(ctx.sk, he.encrypted_sum([big]))[0] > 0
    with pytest.raises(ValueError):
        mpc.secure_mean([1.2 * 2.0**47 / 2, 0.0])
    assert mpc.secure_mean([0.9 * 2.0**47 / 2, 0.0]) > 0
