"""A context of small, seeded objects that the refusal cases call into."""

from types import SimpleNamespace

import pytest
import torch

from privlearn.he import generate_keypair, generate_phe_keypair


@pytest.fixture(scope="session")
def ctx():
    pk, sk = generate_phe_keypair(insecure_n_bits=256)
    other_pk, other_sk = generate_phe_keypair(insecure_n_bits=256)
    own_pk, own_sk = generate_keypair(insecure_n_bits=128)
    state = {"w": torch.zeros(2, 3), "b": torch.zeros(2)}
    return SimpleNamespace(pk=pk, sk=sk, other_pk=other_pk, other_sk=other_sk, own_pk=own_pk,
                           own_sk=own_sk, state=state)
