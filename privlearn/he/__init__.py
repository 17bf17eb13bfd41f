"""Homomorphic encryption: Paillier from scratch (:mod:`.paillier`), and encrypted vectors
for ML on top of ``phe`` (:mod:`.vectors`).

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
    decrypt_vector,
    encrypt_vector,
    encrypted_dot,
    encrypted_sum,
    encrypted_weighted_average,
    generate_phe_keypair,
    pack_encrypt,
    packing_layout,
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
    "mul_plain",
    "pack_encrypt",
    "packing_layout",
    "raw_encrypt",
    "unpack_decrypt",
]
