"""Fixtures shared by the tests: Paillier keys (a 2048-bit key takes seconds), once a session."""

import pytest
from phe import paillier as phe

from privlearn.he import generate_keypair, generate_phe_keypair


@pytest.fixture(scope="session")
def phe_keys():
    return phe.generate_paillier_keypair(n_length=2048)


@pytest.fixture(scope="session")
def small_phe_keys():
    return generate_phe_keypair(insecure_n_bits=256)


@pytest.fixture(scope="session")
def own_keys():
    return generate_keypair(insecure_n_bits=512)
