"""Private set intersection: exactly the intersection for both parties, messages that
carry no hash of any id (a dictionary attack that breaks exchanged plain hashes finds
nothing), blinded values unlinkable across runs, and the steps in order."""

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from privlearn import mpc


def run(xs, ys):
    """Both parties' three steps; returns their intersections and every message."""
    alice, bob = mpc.PSIParty(xs), mpc.PSIParty(ys)
    a1, b1 = alice.blinded(), bob.blinded()
    a2, b2 = bob.reblind(a1), alice.reblind(b1)
    return alice.intersection(a2), bob.intersection(b2), (a1, b1, a2, b2)


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(0, 60)), st.sets(st.integers(0, 60)))
def test_both_parties_get_exactly_the_intersection(xs, ys):
    xs, ys = sorted(xs), sorted(ys, reverse=True)
    mine, theirs, messages = run(xs, ys)
    assert mine == [x for x in xs if x in set(ys)]         # in Alice's order
    assert theirs == [y for y in ys if y in set(xs)]       # in Bob's order
    assert [len(m) for m in messages] == [len(xs), len(ys), len(xs), len(ys)]
    assert all(len(v) == 32 for m in messages for v in m)


def test_points_may_arrive_as_bytearrays():
    alice, bob = mpc.PSIParty([1, 2, 3]), mpc.PSIParty([3, 4])
    a1, b1 = alice.blinded(), bob.blinded()
    back = [bytearray(v) for v in bob.reblind([bytearray(v) for v in a1])]
    alice.reblind(b1)
    assert alice.intersection(back) == [3]


def test_ids_of_different_types_are_different_ids():
    mine, _, _ = run([1, "1", b"1"], ["1"])
    assert mine == ["1"]


def test_a_dictionary_attack_finds_nothing_in_the_messages():
    """Bob knows every possible id (10,000 customer numbers) and his own key. Against
    exchanged SHA-256 hashes he reads all of Alice's ids; against the DH messages, no
    candidate's hash, nor its hash raised to his key, appears in anything Alice sent."""
    universe = [f"C{i:05d}" for i in range(10_000)]
    alice_ids, bob_ids = universe[100:400], universe[300:700]
    naive = {hashlib.sha256(x.encode()).digest() for x in alice_ids}       # the shortcut
    recovered = [x for x in universe if hashlib.sha256(x.encode()).digest() in naive]
    assert recovered == alice_ids

    alice, bob = mpc.PSIParty(alice_ids), mpc.PSIParty(bob_ids)
    from_alice = alice.blinded()                    # what Alice sends about her own ids
    bob.blinded()
    candidates = [mpc.hash_to_point(x) for x in universe]
    assert not set(candidates) & set(from_alice)
    raised = {bob._key.exchange(X25519PublicKey.from_public_bytes(c)) for c in candidates}
    assert not raised & set(from_alice)


def test_no_bit_of_an_id_survives_blinding():
    """Points are hashed onto the curve, never its twist: every blinded value is on the
    curve whatever the id, so curve-or-twist (which blinding preserves) tells nothing. With
    u-coordinates taken straight from a hash, about half the ids land on the twist and
    their blinded values say so."""
    from privlearn.mpc.psi import _on_curve

    ids = [f"C{i:05d}" for i in range(1_000)]
    blinded = mpc.PSIParty(ids).blinded()
    assert all(_on_curve(int.from_bytes(v, "little")) for v in blinded)
    raw = [int.from_bytes(hashlib.sha512(x.encode()).digest()[:32], "little") % (2**255 - 19)
           for x in ids]
    on_twist = sum(not _on_curve(u) for u in raw)
    assert 400 < on_twist < 600          # the leak a plain hash would have (binomial, 6 sd)


def test_blinded_values_are_unlinkable_across_runs():
    ids = [f"C{i}" for i in range(50)]
    first, second = mpc.PSIParty(ids).blinded(), mpc.PSIParty(ids).blinded()
    assert not set(first) & set(second)


def test_reproducible_only_in_the_insecure_demo_mode():
    with mpc.insecure_deterministic_randomness(3):
        first = mpc.PSIParty(["a", "b"]).blinded()
    with mpc.insecure_deterministic_randomness(3):
        second = mpc.PSIParty(["a", "b"]).blinded()
    assert first == second


def test_steps_out_of_order_or_twice_are_refused():
    alice, bob = mpc.PSIParty([1, 2]), mpc.PSIParty([2, 3])
    with pytest.raises(ValueError, match=r"reblind\(\) comes after blinded\(\)"):
        alice.reblind([])
    a1 = alice.blinded()
    with pytest.raises(ValueError, match=r"blinded\(\) comes after creating the party"):
        alice.blinded()
    b1 = bob.blinded()
    a2 = bob.reblind(a1)
    with pytest.raises(ValueError, match=r"intersection\(\) comes after reblind\(\)"):
        alice.intersection(a2)
    alice.reblind(b1)
    with pytest.raises(ValueError, match="one value per own id"):
        alice.intersection(a2[:1])
    assert alice.intersection(a2) == [2]
    with pytest.raises(ValueError, match="state 'done'"):
        alice.intersection(a2)


def test_repeated_ids_and_malformed_points_are_refused():
    with pytest.raises(ValueError, match=r"items\[0\] and items\[2\] are both 'x'"):
        mpc.PSIParty(["x", "y", "x"])
    party = mpc.PSIParty([1])
    party.blinded()
    with pytest.raises(ValueError, match=r"other_blinded\[0\] must be 32 bytes"):
        party.reblind([b"short"])
    ready = mpc.PSIParty([1])
    ready.blinded()
    ready.reblind(mpc.PSIParty([2]).blinded())
    with pytest.raises(TypeError, match=r"returned\[0\] must be 32 bytes, got str"):
        ready.intersection(["not bytes"])
    with pytest.raises(ValueError, match="small order"):
        party.reblind([bytes(32)])
