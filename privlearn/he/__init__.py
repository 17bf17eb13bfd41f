"""Homomorphic encryption: Paillier from scratch (:mod:`.paillier`), encrypted vectors
for ML on top of ``phe`` (:mod:`.vectors`), lattice-based (RLWE, BFV-style) encryption
from scratch on toy parameters (:mod:`.rlwe`), and CKKS on Microsoft SEAL through TenSEAL,
with stated error bounds (:mod:`.ckks`, the ``ckks`` extra). Import the last two as
``from privlearn.he import ckks, rlwe``: their names would clash with Paillier's, so they
are not flattened into ``he``.

``he`` never imports ``fl``, ``dp`` or ``mpc``; the FedAvg aggregator that uses it lives
in :mod:`privlearn.fl.encrypted`.
"""

from .paillier import (
    Ciphertext,
    PrivateKey,
    PublicKey,
    add,
    add_plain,
    decrypt,
    decrypt_textbook,
    encrypt,
    generate_keypair,
    mul_plain,
    raw_encrypt,
)
from .vectors import (
    EncryptedVector,
    PackedVector,
    check_public_key,
    ciphertext_bytes,
    ciphertexts_to_bytes,
    decrypt_vector,
    encrypt_vector,
    encrypted_dot,
    encrypted_sum,
    encrypted_weighted_average,
    generate_phe_keypair,
    load_phe_private_key,
    pack_encrypt,
    packed_from_bytes,
    packing_layout,
    save_phe_private_key,
    unpack_decrypt,
)

__all__ = [
    "Ciphertext",
    "EncryptedVector",
    "PackedVector",
    "PrivateKey",
    "PublicKey",
    "add",
    "add_plain",
    "check_public_key",
    "ciphertext_bytes",
    "ciphertexts_to_bytes",
    "decrypt",
    "decrypt_textbook",
    "decrypt_vector",
    "encrypt",
    "encrypt_vector",
    "encrypted_dot",
    "encrypted_sum",
    "encrypted_weighted_average",
    "generate_keypair",
    "generate_phe_keypair",
    "load_phe_private_key",
    "mul_plain",
    "pack_encrypt",
    "packed_from_bytes",
    "packing_layout",
    "raw_encrypt",
    "save_phe_private_key",
    "unpack_decrypt",
]
