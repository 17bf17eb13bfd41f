"""Secure aggregation as separate parties: exact sums with dropouts at every step, aborts
below the threshold, and a server that sees only ciphertexts of the shares."""

import numpy as np
import pytest

from privlearn.mpc.secagg_parties import SecAggAborted, SecAggClient, SecAggServer
from privlearn.mpc.secure_aggregation import SECRET_PRIME


def _inputs(n, length, seed=0):
    rng = np.random.default_rng(seed)
    return {u: rng.integers(0, 2**64, size=length, dtype=np.uint64) for u in range(n)}


def _run(n, t, length=5, *, drop_before_share=(), drop_before_mask=(), drop_before_unmask=(),
         seed=0):
    """One round through plain dicts, as a network would carry it; returns the sum, the
    server and the clients' inputs."""
    x = _inputs(n, length, seed)
    clients = {u: SecAggClient(u, vector_length=length) for u in range(n)}
    server = SecAggServer(threshold=t, vector_length=length)
    keys = server.collect_keys({u: c.advertise() for u, c in clients.items()})
    shared = {u: c.share_keys(keys, threshold=t, session=server.session)
              for u, c in clients.items() if u not in drop_before_share}
    relayed = server.collect_shares(shared)
    masked = {u: clients[u].masked_input(x[u], relayed[u]) for u in relayed
              if u not in drop_before_mask}
    survivors = server.collect_masked(masked)
    answers = {u: clients[u].unmask(survivors) for u in survivors
               if u not in drop_before_unmask}
    return server.unmask(answers), server, x


def _sum(x, clients):
    total = np.zeros_like(next(iter(x.values())))
    for u in clients:
        total = total + x[u]
    return total


@pytest.mark.parametrize("drops", [
    {},
    {"drop_before_share": (1,)},
    {"drop_before_mask": (0, 3)},
    {"drop_before_unmask": (2, 4)},
    {"drop_before_share": (4,), "drop_before_mask": (1,), "drop_before_unmask": (0,)},
])
def test_the_sum_of_the_survivors_is_exact(drops):
    total, server, x = _run(6, 3, **drops)
    np.testing.assert_array_equal(total, _sum(x, sorted(server.u3)))
    dropped_early = set(drops.get("drop_before_share", ())) | set(
        drops.get("drop_before_mask", ()))
    assert sorted(server.u3) == [u for u in range(6) if u not in dropped_early]


def test_up_to_n_minus_t_dropouts_then_an_abort():
    total, _, x = _run(5, 3, drop_before_mask=(0, 1))  # n - t = 2: still exact
    np.testing.assert_array_equal(total, _sum(x, [2, 3, 4]))
    with pytest.raises(SecAggAborted, match="fewer than threshold=3"):
        _run(5, 3, drop_before_mask=(0, 1, 2))
    with pytest.raises(SecAggAborted, match="fewer than threshold=3"):
        _run(5, 3, drop_before_share=(0, 1, 2))
    with pytest.raises(SecAggAborted, match="fewer than threshold=3"):
        _run(5, 3, drop_before_unmask=(0, 1, 2))


def test_the_server_relays_only_ciphertexts():
    """No share of a client's masking key or seed appears in anything the server handles,
    as a number or as bytes; and a relayed ciphertext moved to another receiver fails."""
    n, t, length = 4, 3, 3
    clients = {u: SecAggClient(u, vector_length=length) for u in range(n)}
    server = SecAggServer(threshold=t, vector_length=length)
    keys = server.collect_keys({u: c.advertise() for u, c in clients.items()})
    shared = {u: c.share_keys(keys, threshold=t, session=server.session)
              for u, c in clients.items()}
    relayed = server.collect_shares(shared)
    seen = b"".join(e for by_sender in relayed.values() for e in by_sender.values())
    x = _inputs(n, length)
    masked = {u: clients[u].masked_input(x[u], relayed[u]) for u in range(n)}
    # every share a client decrypts, as the 66-byte big-endian number it encrypts, is
    # absent from the bytes the server relayed, and so are the clients' secrets
    for v, c in clients.items():
        for sender in relayed[v]:
            for share in c._open(sender):
                assert 0 <= share < SECRET_PRIME
                assert share.to_bytes(66, "big") not in seen
        assert c._s_key not in seen and c._seed not in seen and c._c_key not in seen
    # a ciphertext for client 1 handed to client 2 does not decrypt
    clients[2].received[0] = relayed[1][0]
    with pytest.raises(ValueError, match="does not decrypt"):
        clients[2]._open(0)
    server.collect_masked(masked)


def test_each_client_answers_the_unmasking_once_and_never_both_shares():
    n, t, length = 4, 2, 2
    x = _inputs(n, length)
    clients = {u: SecAggClient(u, vector_length=length) for u in range(n)}
    server = SecAggServer(threshold=t, vector_length=length)
    keys = server.collect_keys({u: c.advertise() for u, c in clients.items()})
    relayed = server.collect_shares({u: c.share_keys(keys, threshold=t,
                                                     session=server.session)
                                     for u, c in clients.items()})
    for u in range(n):
        clients[u].masked_input(x[u], relayed[u])
    answer = clients[0].unmask([0, 1])
    assert sorted(answer["seed"]) == [0, 1] and sorted(answer["key"]) == [2, 3]
    with pytest.raises(ValueError, match="at step 'done'"):
        clients[0].unmask([0, 1, 2, 3])  # a second list would reveal b_2 after s_2^SK
    with pytest.raises(ValueError, match="outside U2"):
        clients[1].unmask([1, 7])
    with pytest.raises(ValueError, match="include client 1"):
        clients[1].unmask([0, 2])


def test_a_client_survives_a_save_and_restore_between_steps():
    n, t, length = 3, 2, 4
    x = _inputs(n, length, seed=3)
    clients = {u: SecAggClient(u, vector_length=length) for u in range(n)}
    server = SecAggServer(threshold=t, vector_length=length)
    keys = server.collect_keys({u: c.advertise() for u, c in clients.items()})
    clients = {u: SecAggClient.from_bytes(c.to_bytes()) for u, c in clients.items()}
    relayed = server.collect_shares({u: c.share_keys(keys, threshold=t,
                                                     session=server.session)
                                     for u, c in clients.items()})
    clients = {u: SecAggClient.from_bytes(c.to_bytes()) for u, c in clients.items()}
    masked = {u: clients[u].masked_input(x[u], relayed[u]) for u in range(n)}
    clients = {u: SecAggClient.from_bytes(c.to_bytes()) for u, c in clients.items()}
    survivors = server.collect_masked(masked)
    total = server.unmask({u: clients[u].unmask(survivors) for u in survivors})
    np.testing.assert_array_equal(total, _sum(x, range(n)))


def test_masked_inputs_look_uniform_and_hide_the_input():
    """y_u of an all-zero input is uniform on Z_2^64: its top bit is a fair coin."""
    length = 4000
    clients = {u: SecAggClient(u, vector_length=length) for u in range(3)}
    server = SecAggServer(threshold=2, vector_length=length)
    keys = server.collect_keys({u: c.advertise() for u, c in clients.items()})
    relayed = server.collect_shares({u: c.share_keys(keys, threshold=2,
                                                     session=server.session)
                                     for u, c in clients.items()})
    y = clients[0].masked_input(np.zeros(length, dtype=np.uint64), relayed[0])
    ones = int((y >> np.uint64(63)).sum())
    # Binomial(4000, 1/2): sd 31.6; |ones - 2000| > 200 has probability < 1e-9
    assert abs(ones - 2000) < 200


@pytest.mark.parametrize(("call", "exc", "words"), [
    (lambda: SecAggClient(-1, vector_length=2), ValueError, "client"),
    (lambda: SecAggClient(0, vector_length=0), ValueError, "vector_length"),
    (lambda: SecAggServer(threshold=1, vector_length=2), ValueError, "threshold"),
    (lambda: SecAggServer(threshold=2, vector_length=2).collect_keys({0: (b"x", b"y")}),
     ValueError, "32-byte"),
    (lambda: SecAggServer(threshold=2, vector_length=2).collect_keys([]), TypeError,
     "advertised"),
    (lambda: SecAggServer(threshold=2, vector_length=2).collect_masked({}), ValueError,
     "at step 'advertise'"),
])
def test_bad_input_is_refused(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_a_client_refuses_keys_that_are_not_its_own_and_a_bad_session():
    a, b = SecAggClient(0, vector_length=2), SecAggClient(1, vector_length=2)
    ka, kb = a.advertise(), b.advertise()
    with pytest.raises(ValueError, match="own public keys"):
        a.share_keys({0: kb, 1: kb}, threshold=2, session=bytes(16))
    with pytest.raises(ValueError, match="session"):
        b.share_keys({0: ka, 1: kb}, threshold=2, session=b"short")


def _shared(n=4, t=3, length=2):
    clients = {u: SecAggClient(u, vector_length=length) for u in range(n)}
    server = SecAggServer(threshold=t, vector_length=length)
    keys = server.collect_keys({u: c.advertise() for u, c in clients.items()})
    shared = {u: c.share_keys(keys, threshold=t, session=server.session)
              for u, c in clients.items()}
    return clients, server, shared


def test_an_incomplete_or_malformed_relay_is_refused_not_summed_wrongly():
    """A sender whose ciphertexts do not reach every client of U1 would leave pairwise
    masks that do not cancel: the server refuses it by name."""
    _, server, shared = _shared()
    del shared[0][1]
    with pytest.raises(ValueError, match="client 0's shares must be a dict"):
        server.collect_shares(shared)
    _, server, shared = _shared()
    shared[2][3] = b"x"
    with pytest.raises(ValueError, match="client 2's ciphertext for client 3 must be 160"):
        server.collect_shares(shared)
    _, server, shared = _shared()
    shared[1] = b"not a dict"
    with pytest.raises(ValueError, match="client 1's shares must be a dict"):
        server.collect_shares(shared)


def test_a_tampered_ciphertext_stops_the_client_before_it_sends_anything():
    clients, server, shared = _shared()
    relayed = server.collect_shares(shared)
    blob = bytearray(relayed[2][0])
    blob[20] ^= 1
    relayed[2][0] = bytes(blob)
    with pytest.raises(ValueError, match="from client 0 does not decrypt"):
        clients[2].masked_input(np.zeros(2, dtype=np.uint64), relayed[2])
    # a ciphertext for another receiver fails the same way (GCM's associated data)
    clients, server, shared = _shared()
    relayed = server.collect_shares(shared)
    relayed[2][0] = relayed[3][0]
    with pytest.raises(ValueError, match="from client 0 does not decrypt"):
        clients[2].masked_input(np.zeros(2, dtype=np.uint64), relayed[2])


def test_the_server_refuses_duplicate_keys_and_malformed_answers():
    a, b = SecAggClient(0, vector_length=2), SecAggClient(1, vector_length=2)
    ka = a.advertise()
    b.advertise()
    with pytest.raises(ValueError, match="same public keys for two clients"):
        SecAggServer(threshold=2, vector_length=2).collect_keys({0: ka, 1: ka})
    clients, server, shared = _shared()
    relayed = server.collect_shares(shared)
    masked = {u: c.masked_input(np.zeros(2, dtype=np.uint64), relayed[u])
              for u, c in clients.items()}
    with pytest.raises(TypeError, match="masked must be a dict"):
        server.collect_masked(list(masked.values()))
    server.collect_masked(masked)
    with pytest.raises(TypeError, match="answers must be a dict client"):
        server.unmask({0: None, 1: None, 2: None})


def test_a_finished_client_is_not_restored_and_ids_are_bounded():
    from privlearn.mpc.secagg_parties import MAX_CLIENT

    with pytest.raises(ValueError, match="already answered"):
        SecAggClient.from_bytes({"step": "done"})
    with pytest.raises(ValueError, match="client"):
        SecAggClient(MAX_CLIENT + 1, vector_length=2)
