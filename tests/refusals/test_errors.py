"""Class 7: errors name the parameter and the value (no raw AttributeError, ZeroDivisionError,
OverflowError or numpy/scipy message from deep inside), limits saturate where the math
does, and numpy scalars are accepted wherever a plain number is."""

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from torch import nn

from privlearn import attacks, data, dp, fl, he, models, mpc
from privlearn.dp.dpsgd import (
    clip_factors,
    clipped_gradient_sum,
    per_sample_gradients,
    train_dp_sgd,
)
from privlearn.fl.encrypted import packed_upload_bytes

from ._cases import Case, check, ids


def _written(text: str) -> str:
    """A temporary file holding ``text`` (removed at exit), its path."""
    import atexit
    import os
    import tempfile

    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    atexit.register(os.remove, path)
    return path


def _lira(references, reference_in):
    """Offline LiRA on two members and one non-member of a 4-feature, 2-class model."""
    return attacks.likelihood_ratio_attack(
        nn.Linear(4, 2), (torch.zeros(2, 4), torch.zeros(2, dtype=torch.long)),
        (torch.zeros(1, 4), torch.zeros(1, dtype=torch.long)), references, reference_in)


CASES = [
    Case("fl.fedavg", "a list of numbers", lambda c: fl.fedavg([[1, 2]], [1]), TypeError,
         r"states\[0\] must be a state dict", r"got list"),
    Case("attacks.uniqueness", "one string (split into letters before)",
         lambda c: attacks.uniqueness({"zip": [1, 2]}, quasi_identifiers="zip"), TypeError,
         r"quasi_identifiers must be a list of column names", r"'zip'"),
    Case("attacks.linkage_attack", "quasi_identifiers=None",
         lambda c: attacks.linkage_attack({"a": [1]}, {"a": [1]}, quasi_identifiers=None),
         TypeError, r"quasi_identifiers must be a list", r"NoneType None"),
    Case("attacks.uniqueness", "a list instead of a table",
         lambda c: attacks.uniqueness([1, 2], quasi_identifiers=["zip"]), TypeError,
         r"table must be a dict of columns", r"got list"),
    Case("attacks.uniqueness", "NaN quasi-identifiers (each counted unique)",
         lambda c: attacks.uniqueness({"zip": np.array([np.nan, np.nan, 1.0, 1.0])},
                                      quasi_identifiers=["zip"]), ValueError,
         r"table\['zip'\] holds NaN", r"missing quasi-identifier"),
    Case("attacks.reconstruction_error", "numpy arrays",
         lambda c: attacks.reconstruction_error(np.zeros(3), np.zeros(3)), TypeError,
         r"x_hat must be a torch tensor", r"got ndarray"),
    Case("attacks.invert_gradients", "input_shape=4",
         lambda c: attacks.invert_gradients(nn.Linear(4, 2), {
             "weight": torch.zeros(2, 4), "bias": torch.zeros(2)}, input_shape=4,
             num_classes=2), TypeError, r"input_shape must be a tuple of ints", r"int 4"),
    Case("attacks.invert_gradients", "an input_shape the model cannot take",
         lambda c: attacks.invert_gradients(nn.Linear(4, 2), {
             "weight": torch.zeros(2, 4), "bias": torch.zeros(2)}, input_shape=(5,),
             num_classes=2), ValueError, r"input_shape \(5,\) does not fit the model", r"5"),
    Case("attacks.invert_gradients", "NaN gradients",
         lambda c: attacks.invert_gradients(nn.Linear(4, 2), {
             "weight": torch.full((2, 4), math.nan), "bias": torch.zeros(2)}, input_shape=(4,),
             num_classes=2), ValueError, r"gradients\['weight'\] must hold only finite",
         r"diverged"),
    Case("attacks.membership_inference", "a loss that is NaN",
         lambda c: attacks.membership_inference(
             nn.Linear(4, 2), (torch.zeros(2, 4), torch.zeros(2, dtype=torch.long)),
             (torch.zeros(2, 4), torch.zeros(2, dtype=torch.long)),
             loss_fn=lambda o, y: torch.full((o.shape[0],), math.nan)), ValueError,
         r"loss_fn must return finite losses", r"got nan"),
    Case("attacks.membership_inference", "a loss that is numpy",
         lambda c: attacks.membership_inference(
             nn.Linear(4, 2), (torch.zeros(2, 4), torch.zeros(2, dtype=torch.long)),
             (torch.zeros(2, 4), torch.zeros(2, dtype=torch.long)),
             loss_fn=lambda o, y: np.zeros(o.shape[0])), TypeError,
         r"loss_fn must return a torch tensor", r"got ndarray"),
    Case("attacks.MembershipResult", "a TPR at an FPR too low for the non-members",
         lambda c: attacks.evaluate_scores(np.arange(5.0), np.arange(100.0)).tpr_at(0.001),
         ValueError, r"fpr=0\.001 cannot be measured on 100 non-members", r"at least 1000"),
    Case("attacks.evaluate_scores", "a 2-D array of scores",
         lambda c: attacks.evaluate_scores(np.zeros((2, 3)), np.zeros(3)), ValueError,
         r"member_scores must be one-dimensional", r"\(2, 3\)"),
    Case("attacks.evaluate_scores", "NaN scores (ranked anywhere before)",
         lambda c: attacks.evaluate_scores([0.1, math.nan], [0.2]), ValueError,
         r"member_scores must hold only finite values", r"nan"),
    Case("attacks.dp_tpr_bound", "an FPR in percent",
         lambda c: attacks.dp_tpr_bound(1.0 * 10, 1.0), ValueError,
         r"fpr must", r"10\.0"),
    Case("attacks.dp_tpr_bound", "a negative epsilon",
         lambda c: attacks.dp_tpr_bound(0.01, -1.0), ValueError, r"epsilon must", r"-1\.0"),
    Case("attacks.accountant_tpr_bound", "an epsilon instead of an accountant",
         lambda c: attacks.accountant_tpr_bound(0.01, 4.0), TypeError,
         r"accountant must have a get_epsilon\(delta\) method", r"got float"),
    Case("attacks.accountant_tpr_bound", "delta = 1 in the grid",
         lambda c: attacks.accountant_tpr_bound(0.01, dp.RDPAccountant(), deltas=[1e-5, 1.0]),
         ValueError, r"deltas must be a 1-D array of values in \(0, 1\)", r"1\."),
    Case("attacks.confidence_logits", "a one-class model ('diverged' before)",
         lambda c: attacks.confidence_logits(nn.Linear(4, 1), (
             torch.zeros(2, 4), torch.tensor([0, 0]))), ValueError,
         r"model must return one row of at least two class logits", r"\(2, 1\)"),
    Case("attacks.confidence_logits", "float labels",
         lambda c: attacks.confidence_logits(nn.Linear(4, 2), (torch.zeros(2, 4), torch.zeros(2))),
         TypeError, r"data's labels must be a 1-D integer tensor", r"torch\.float32"),
    Case("attacks.confidence_logits", "a label the model has no class for",
         lambda c: attacks.confidence_logits(nn.Linear(4, 2), (
             torch.zeros(2, 4), torch.tensor([0, 2]))), ValueError,
         r"labels must lie in 0\.\.1", r"got 2"),
    Case("attacks.likelihood_ratio_attack", "a candidate every reference model trained on",
         lambda c: _lira([nn.Linear(4, 2)] * 2, np.array([[True, False, False],
                                                           [True, True, False]])),
         ValueError,
         r"candidate 0 is in every reference model's training set", r"candidate 0"),
    Case("attacks.likelihood_ratio_attack", "membership given as 0/1 integers",
         lambda c: _lira([nn.Linear(4, 2)], np.array([[1, 0, 0]])), TypeError,
         r"reference_in must be an array of bool",
         r"int64"),
    Case("attacks.likelihood_ratio_attack", "reference_in with a column too few",
         lambda c: _lira([nn.Linear(4, 2)], np.zeros((1, 2), bool)), ValueError,
         r"reference_in must have shape .*\(1, 3\)",
         r"got \(1, 2\)"),
    Case("attacks.likelihood_ratio_attack", "one model instead of a list",
         lambda c: _lira(nn.Linear(4, 2), np.zeros((1, 3), bool)), TypeError,
         r"reference_models must be a list",
         r"got Linear"),
    Case("attacks.likelihood_ratio_attack", "one OUT model per candidate (no spread)",
         lambda c: _lira([nn.Linear(4, 2)], np.zeros((1, 3), bool)), ValueError,
         r"no spread to calibrate with",
         r"two reference models"),
    Case("attacks.differencing_attack", "a sum that overflows (nan before)",
         lambda c: attacks.differencing_attack([1e308, 1e308], target=0, bound=1e308),
         ValueError, r"the sum of values clipped to bound=1e\+308 overflows", r"1e\+308"),
    Case("attacks.differencing_attack", "rng='bad' with exact sums (ignored before)",
         lambda c: attacks.differencing_attack([1.0, 2.0], target=0, bound=5, rng="bad"),
         TypeError, r"rng must be a numpy\.random\.Generator", r"'bad'"),
    Case("dp.laplace_scale", "a scale that overflows (inf before)",
         lambda c: dp.laplace_scale(sensitivity=1e300, epsilon=1e-10), ValueError,
         r"sensitivity / epsilon overflows", r"sensitivity=1e\+300, epsilon=1e-10"),
    Case("dp.laplace_mechanism", "a ragged array",
         lambda c: dp.laplace_mechanism([[1, 2], [3]], sensitivity=1, epsilon=1, rng=0),
         ValueError, r"value must be a rectangular array", r"ragged"),
    Case("dp.analytic_gaussian_sigma", "a sigma that overflows",
         lambda c: dp.analytic_gaussian_sigma(sensitivity=1e308, epsilon=0.01, delta=1e-5),
         ValueError, r"sigma overflows float64", r"sensitivity=1e\+308"),
    Case("dp.gaussian_sigma", "epsilon as a huge integer (OverflowError before)",
         lambda c: dp.gaussian_sigma(sensitivity=1, epsilon=10**400, delta=1e-5), ValueError,
         r"epsilon must be finite", r"an integer of 1329 bits"),
    Case("dp.PrivacyBudget", "epsilon as a huge integer",
         lambda c: dp.PrivacyBudget(10**400), ValueError, r"epsilon must be finite",
         r"1329 bits"),
    Case("dp.basic_composition", "a sum that overflows",
         lambda c: dp.basic_composition([1e308, 1e308]), ValueError,
         r"the sum of epsilons overflows", r"1e\+308"),
    Case("dp.advanced_composition", "epsilon = 1000 (OverflowError from expm1 before)",
         lambda c: dp.advanced_composition(epsilon=1000, delta=0, k=2, delta_slack=1e-5),
         ValueError, r"the composed epsilon overflows", r"epsilon=1000\.0, k=2"),
    Case("dp.estimate_frequencies", "an epsilon with no signal (nan before)",
         lambda c: dp.estimate_frequencies(np.array([[True, False], [False, True]]),
                                           epsilon=1e-20), ValueError,
         r"epsilon must be large enough that p − q > 0", r"epsilon=1e-20"),
    Case("dp.estimate_frequencies", "integer reports",
         lambda c: dp.estimate_frequencies(np.array([[1, 0], [0, 1]]), epsilon=1.0), TypeError,
         r"reports must be a boolean array", r"got dtype int64"),
    Case("dp.unary_encoding", "a string of categories",
         lambda c: dp.unary_encoding("01", num_categories=2, epsilon=1.0, rng=0), TypeError,
         r"values must be a 1-D array of integer categories", r"'01'"),
    Case("dp.estimate_proportion", "an epsilon with no signal (ZeroDivisionError before)",
         lambda c: dp.estimate_proportion([1, 0, 1], epsilon=5e-324), ValueError,
         r"2p − 1 > 0", r"epsilon=5e-324"),
    Case("dp.discrete_laplace", "size='3'",
         lambda c: dp.discrete_laplace(scale=1, size="3", rng=0), TypeError,
         r"size must be None, a non-negative int", r"'3'"),
    Case("dp.discrete_gaussian", "sigma = 0",
         lambda c: dp.discrete_gaussian(sigma=0, rng=0), ValueError, r"sigma must be finite",
         r"got 0"),
    Case("dp.compute_rdp", "an order of 10^12 (MemoryError before)",
         lambda c: dp.compute_rdp(sample_rate=0.5, noise_multiplier=1.0, steps=1,
                                  orders=[1e12]), ValueError, r"orders must all be <= 10000",
         r"1000000000000\.0"),
    Case("dp.compute_rdp", "steps = 10^400",
         lambda c: dp.compute_rdp(sample_rate=0.5, noise_multiplier=1.0, steps=10**400),
         ValueError, r"steps must be an integer", r"<= 9007199254740992"),
    Case("dp.rdp_to_dp", "booleans as RDP values",
         lambda c: dp.rdp_to_dp(orders=[2, 3], rdp=[True, False], delta=1e-5), TypeError,
         r"rdp must be an array of real numbers", r"\[True, False\]"),
    Case("dp.RDPAccountant", "orders='x'",
         lambda c: dp.RDPAccountant(orders="x"), TypeError, r"orders must be an array",
         r"'x'"),
    Case("dp.noise_multiplier_for", "a negative target",
         lambda c: dp.noise_multiplier_for(target_epsilon=-1.0, sample_rate=0.01, steps=10,
                                           delta=1e-5), ValueError, r"target_epsilon",
         r"-1\.0"),
    Case("dp.clip_factors", "a negative clip norm (flipped gradients before)",
         lambda c: clip_factors(torch.tensor([1.0, 4.0]), -1.0), ValueError,
         r"max_grad_norm must be finite and > 0", r"got -1\.0"),
    Case("dp.clipped_gradient_sum", "a 0-d input",
         lambda c: clipped_gradient_sum(nn.Linear(1, 2), nn.functional.cross_entropy,
                                        torch.tensor(1.0), torch.tensor(0), max_grad_norm=1),
         ValueError, r"x and y must have a leading batch axis", r"shapes \(\)"),
    Case("dp.per_sample_gradients", "model=None",
         lambda c: per_sample_gradients(None, nn.functional.cross_entropy, torch.zeros(2, 1),
                                        torch.zeros(2, dtype=torch.long)), TypeError,
         r"model must be a torch\.nn\.Module", r"got NoneType"),
    Case("dp.train_dp_sgd", "an accountant that is a string (after training, before)",
         lambda c: train_dp_sgd(
             nn.Linear(4, 2), (torch.zeros(4, 4), torch.zeros(4, dtype=torch.long)), epochs=1,
             batch_size=2, lr=0.1, noise_multiplier=1.0, max_grad_norm=1.0, delta=1e-5,
             accountant="x"), TypeError, r"accountant must be an RDPAccountant", r"got str"),
    Case("data.synthetic_population", "num_zips = 10^20",
         lambda c: data.synthetic_population(3, num_zips=10**20), ValueError,
         r"num_zips must be an integer >= 1 and <= 90000", r"got 100000000000000000000"),
    Case("data.credit_applicants", "an unreachable default rate (scipy's brentq before)",
         lambda c: data.credit_applicants(50, rng=0, default_rate=1e-300), ValueError,
         r"default_rate must be reachable", r"got 1e-300"),
    Case("models.mlp", "hidden = 0",
         lambda c: models.mlp(hidden=0, rng=0), ValueError, r"hidden", r"0"),
    Case("he.encrypted_sum", "a string among the vectors",
         lambda c: he.encrypted_sum([he.encrypt_vector(c.pk, [1.0]), "x"]), TypeError,
         r"vectors\[1\] must be an EncryptedVector or PackedVector", r"got str"),
    Case("he.decrypt_textbook", "private_key=None",
         lambda c: he.decrypt_textbook(None, he.encrypt(c.own_pk, 1)), TypeError,
         r"private_key must be a PrivateKey", r"got NoneType"),
    Case("mpc.additive_share", "a ring element beyond 2^64",
         lambda c: mpc.additive_share(2**64, num_parties=2), ValueError,
         r"secret must hold ring elements in \[-2\^63, 2\^64\)", r"18446744073709551616"),
    Case("mpc.secure_mean", "a dict of values (averaged the keys before)",
         lambda c: mpc.secure_mean({0: 1.0, 1: 2.0}), TypeError,
         r"values must be a sequence with one input per party", r"got dict"),
    Case("fl.partition_shards", "labels=None",
         lambda c: fl.partition_shards(None, num_clients=2, shards_per_client=1, rng=0),
         TypeError, r"labels must be a 1-D array", r"NoneType"),
    Case("fl.state_bytes", "a numpy value",
         lambda c: fl.state_bytes({"w": np.ones(3)}), TypeError, r"state\['w'\] must be a tensor",
         r"got ndarray"),
    Case("fl.FedAvgHistory", "rounds_to('a')",
         lambda c: fl.FedAvgHistory().rounds_to("a"), TypeError,
         r"accuracy must be a real number", r"'a'"),
    Case("fl.evaluate", "labels of another length",
         lambda c: fl.evaluate(nn.Linear(4, 2), (torch.zeros(4, 4), torch.zeros(3))),
         ValueError, r"data must hold as many inputs as labels", r"4 inputs"),
    Case("he.save_phe_private_key", "a 256-bit classroom key",
         lambda c: he.save_phe_private_key("never-written.json", c.sk), ValueError,
         r"private_key has a 256-bit modulus", r"at least 2048 bits"),
    Case("he.load_phe_private_key", "a file of another kind",
         lambda c: he.load_phe_private_key(_written('{"kind": "rsa", "p": "b", "q": "d"}')),
         ValueError, r"is not a privlearn phe private key file", r"its kind is not"),
    Case("he.load_phe_private_key", "a file that is not JSON",
         lambda c: he.load_phe_private_key(_written("p=11")), ValueError,
         r"is not a privlearn phe private key file", r"not JSON \(line 1\)"),
    Case("he.load_phe_private_key", "a prime that is not hexadecimal (never quoted)",
         lambda c: he.load_phe_private_key(_written(
             '{"kind": "privlearn phe private key", "p": "secret-g", "q": "d"}')),
         ValueError, r"p is missing or not a hexadecimal integer", r"^((?!secret).)*$"),
    Case("he.load_phe_private_key", "a 256-bit key",
         lambda c: he.load_phe_private_key(_written(
             f'{{"kind": "privlearn phe private key", "p": "{c.sk.p:x}", "q": "{c.sk.q:x}"}}')),
         ValueError, r"holds a 256-bit key", r"below the 2048 bits"),
    Case("he.save_phe_private_key", "a path that is a number",
         lambda c: he.save_phe_private_key(3, c.other_sk), TypeError,
         r"path must be a str or os.PathLike", r"got int"),
    Case("fl.packed_upload_bytes", "a list instead of a state dict",
         lambda c: packed_upload_bytes(c.pk, [torch.zeros(2)], precision=2.0**-8,
                                       max_abs=1.0, max_summands=4), TypeError,
         r"state must be a state dict", r"got list"),
    Case("fl.FederatedTask", "Paillier with one client a round (the sum is its model)",
         lambda c: fl.FederatedTask(aggregation="paillier", num_clients=4,
                                    client_fraction=0.25), ValueError,
         r"paillier aggregation needs at least 2 clients a round", r"client_fraction=0.25"),
    Case("he.ciphertexts_to_bytes", "a list of ints",
         lambda c: he.ciphertexts_to_bytes([1, 2]), TypeError,
         r"vector must be an EncryptedVector or PackedVector", r"got list"),
    Case("fl.FederatedTask", "max_abs = 0 (Paillier's bound)",
         lambda c: fl.FederatedTask(aggregation="paillier", max_abs=0.0), ValueError,
         r"max_abs must be", r"got 0"),
    Case("fl.FederatedTask", "an aggregation it does not know",
         lambda c: fl.FederatedTask(aggregation="median"), ValueError,
         r"aggregation must be one of", r"'median'"),
    Case("fl.local_update", "a negative seed",
         lambda c: fl.local_update(nn.Linear(4, 2), nn.Linear(4, 2).state_dict(),
                                   torch.zeros(4, 4), torch.zeros(4, dtype=torch.long),
                                   seed=-1, client=0, local_epochs=1, batch_size=2, lr=0.1),
         ValueError, r"seed must be an int in \[0, 2\^63\)", r"-1"),
    Case("fl.run_fedavg", "eval_data with labels of another length (after a round, before)",
         lambda c: fl.run_fedavg(lambda: nn.Linear(4, 2), [(torch.zeros(4, 4),
                                                           torch.zeros(4, dtype=torch.long))],
                                 rounds=1, local_epochs=1, batch_size=2, lr=0.1, rng=0,
                                 eval_data=(torch.zeros(4, 4), torch.zeros(3))), ValueError,
         r"eval_data must hold as many inputs as labels", r"4 inputs"),
    Case("attacks.analytic_inversion", "a bias gradient of the wrong length",
         lambda c: attacks.analytic_inversion(torch.zeros(3, 4), torch.zeros(2)), ValueError,
         r"bias_grad must have one entry per row of weight_grad \(3\)", r"got 2"),
    Case("attacks.analytic_inversion", "NaN in the weight gradient",
         lambda c: attacks.analytic_inversion(torch.full((3, 4), math.nan), torch.ones(3)),
         ValueError, r"weight_grad must hold only finite values", r"finite"),
    Case("attacks.analytic_inversion", "numpy gradients",
         lambda c: attacks.analytic_inversion(np.zeros((3, 4)), np.zeros(3)), TypeError,
         r"weight_grad must be a torch tensor", r"got ndarray"),
    Case("attacks.match_reconstructions", "features that differ",
         lambda c: attacks.match_reconstructions(torch.zeros(2, 4), torch.zeros(1, 5)),
         ValueError, r"candidates and originals must have the same number of features",
         r"got 4 and 5"),
    Case("attacks.dp_advantage_bound", "a negative epsilon",
         lambda c: attacks.dp_advantage_bound(-1.0), ValueError, r"epsilon must be finite",
         r"got -1\.0"),
    Case("attacks.yeom_bound", "a string", lambda c: attacks.yeom_bound("1"), TypeError,
         r"epsilon must be a real number", r"'1'"),
    Case("attacks.unreachable_from", "value = NaN",
         lambda c: attacks.unreachable_from([1.0], value=math.nan), ValueError,
         r"value must be finite", r"nan"),
    Case("data.smart_home_events", "no homes",
         lambda c: data.smart_home_events(0, rng=0), ValueError, r"num_homes must be",
         r"got 0"),
    Case("dp.exponential_mechanism", "a NaN score",
         lambda c: dp.exponential_mechanism([1.0, math.nan], sensitivity=1, epsilon=1, rng=0),
         ValueError, r"scores must hold only finite values", r"nan"),
    Case("dp.exponential_probabilities", "sensitivity 0",
         lambda c: dp.exponential_probabilities([1.0, 2.0], sensitivity=0, epsilon=1),
         ValueError, r"sensitivity must be finite and > 0", r"got 0\.0"),
    Case("dp.gaussian_delta", "a negative sigma",
         lambda c: dp.gaussian_delta(sigma=-1, sensitivity=1, epsilon=1), ValueError,
         r"sigma must be finite and > 0", r"got -1\.0"),
    Case("dp.gaussian_mechanism", "delta = 1.5",
         lambda c: dp.gaussian_mechanism(1.0, sensitivity=1, epsilon=0.5, delta=1.5, rng=0),
         ValueError, r"delta must be finite and in \(0, 1\)", r"got 1\.5"),
    Case("dp.randomized_response", "a bit that is 2",
         lambda c: dp.randomized_response([0, 2], epsilon=1, rng=0), ValueError,
         r"bits must hold only 0 and 1", r"got 2 among them"),
    Case("dp.truth_probability", "epsilon=True",
         lambda c: dp.truth_probability(epsilon=True), TypeError,
         r"epsilon must be a real number", r"bool True"),
    Case("fl.partition_dirichlet", "alpha = 0",
         lambda c: fl.partition_dirichlet([0, 1, 0, 1], num_clients=2, alpha=0.0, rng=0),
         ValueError, r"alpha must be finite and > 0", r"got 0\.0"),
    Case("fl.partition_iid", "more clients than examples",
         lambda c: fl.partition_iid(3, num_clients=4, rng=0), ValueError,
         r"num_clients must not exceed the number of examples", r"num_clients=4, n=3"),
    Case("he.add", "a plain integer as a ciphertext",
         lambda c: he.add(c.own_pk, he.encrypt(c.own_pk, 1), 5), TypeError,
         r"c2 must be a Ciphertext", r"got int"),
    Case("he.add_plain", "k beyond (n - 1)/2",
         lambda c: he.add_plain(c.own_pk, he.encrypt(c.own_pk, 1), c.own_pk.n), ValueError,
         r"k must satisfy \|k\| <= \(n-1\)/2", r"got \d+"),
    Case("he.mul_plain", "a float k",
         lambda c: he.mul_plain(c.own_pk, he.encrypt(c.own_pk, 1), 2.0), TypeError,
         r"k must be an integer", r"float 2\.0"),
    Case("he.encrypt", "a float m", lambda c: he.encrypt(c.own_pk, 1.5), TypeError,
         r"m must be an integer", r"float 1\.5"),
    Case("he.raw_encrypt", "r = n", lambda c: he.raw_encrypt(c.own_pk, 1, c.own_pk.n),
         ValueError, r"r must be in Z\*_n", r"got \d+"),
    Case("he.decrypt", "a ciphertext under another key",
         lambda c: he.decrypt(c.own_sk, he.encrypt(he.generate_keypair(insecure_n_bits=128)[0],
                                                   1)), ValueError,
         r"c was made under another key", r"128-bit modulus"),
    Case("he.ciphertext_bytes", "a privlearn key where a phe key is needed",
         lambda c: he.ciphertext_bytes(c.own_pk), TypeError,
         r"public_key must be a phe PaillierPublicKey", r"got PublicKey"),
    Case("mpc.add_shares", "shapes that differ",
         lambda c: mpc.add_shares(np.zeros(2, np.uint64), np.zeros(3, np.uint64)), ValueError,
         r"a and b must have the same shape", r"\(2,\) and \(3,\)"),
    Case("mpc.additive_reconstruct", "no party axis",
         lambda c: mpc.additive_reconstruct(np.uint64(3)), ValueError,
         r"shares must have a leading party axis", r"shape \(\)"),
    Case("mpc.beaver_triple", "a negative dimension",
         lambda c: mpc.beaver_triple((2, -1), num_parties=2), ValueError,
         r"shape\[1\] must be an integer >= 0", r"got -1"),
    Case("mpc.decode_fixed", "floats",
         lambda c: mpc.decode_fixed(np.array([1.0])), TypeError,
         r"v must be a uint64 \(or int64\) array", r"got dtype float64"),
    Case("mpc.message_bytes", "one client (no protocol)",
         lambda c: mpc.message_bytes(1, 10), ValueError, r"num_clients must be an integer >= 2",
         r"got 1"),
    Case("mpc.mul_public", "a float constant",
         lambda c: mpc.mul_public(np.zeros((2, 1), np.uint64), 1.5), TypeError,
         r"k must be an integer", r"float 1\.5"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_refused(case, ctx):
    check(case, ctx)


def test_limits_saturate_where_the_math_does():
    assert attacks.dp_advantage_bound(epsilon=1000) == 1.0      # OverflowError before
    assert attacks.yeom_bound(710) == 1.0
    assert dp.gaussian_delta(sigma=1, sensitivity=1, epsilon=1e200) == 0.0   # nan before
    assert dp.unary_probabilities(epsilon=1000) == (0.5, math.exp(-1000))
    assert math.isfinite(dp.gaussian_sigma(sensitivity=1, epsilon=0.5, delta=5e-324))
    eps, _ = dp.advanced_composition(epsilon=0.1, delta=0, k=10, delta_slack=5e-324)
    assert math.isfinite(eps)                                       # inf before
    acc = dp.RDPAccountant()        # compute_rdp's rounding went below 0 and broke this
    acc.step(noise_multiplier=1.0, sample_rate=1e-8, steps=100)
    assert 0 <= acc.get_epsilon(1e-5) < 1
    assert np.all(dp.compute_rdp(sample_rate=0.5, noise_multiplier=1e-170, steps=1,
                                 orders=[2, 2.5]) == np.inf)       # nan before
    assert np.all(dp.compute_rdp(sample_rate=0.5, noise_multiplier=1e160, steps=1,
                                 orders=[2, 2.5]) == 0)            # OverflowError before


NUMPY_SCALARS = [  # (call with numpy scalars, the same call with Python numbers)
    (lambda: dp.discrete_laplace(scale=np.int64(2), rng=0),
     lambda: dp.discrete_laplace(scale=2, rng=0)),
    (lambda: dp.discrete_gaussian(sigma=np.float32(0.5), size=3, rng=0).tolist(),
     lambda: dp.discrete_gaussian(sigma=0.5, size=3, rng=0).tolist()),
    (lambda: dp.laplace_scale(sensitivity=np.int32(1), epsilon=np.float32(0.5)),
     lambda: dp.laplace_scale(sensitivity=1, epsilon=0.5)),
    (lambda: dp.compute_rdp(sample_rate=np.float32(0.25), noise_multiplier=np.float64(1.1),
                            steps=np.int64(10)).tolist(),
     lambda: dp.compute_rdp(sample_rate=float(np.float32(0.25)), noise_multiplier=1.1,
                            steps=10).tolist()),
    (lambda: mpc.shamir_reconstruct(mpc.shamir_share(np.int64(7), num_shares=np.int64(3),
                                                     threshold=np.int32(2))[:2]),
     lambda: 7),
    (lambda: fl.fedavg([{"w": torch.ones(2)}, {"w": torch.zeros(2)}],
                       [np.int64(3), np.float32(1.0)])["w"].tolist(),
     lambda: [0.75, 0.75]),
    (lambda: attacks.dp_advantage_bound(np.float32(1.0), np.float64(0.0)),
     lambda: attacks.dp_advantage_bound(float(np.float32(1.0)), 0.0)),
    (lambda: data.synthetic_population(np.int64(5), num_zips=np.int16(3), rng=np.int64(0))["zip"]
     .tolist(),
     lambda: data.synthetic_population(5, num_zips=3, rng=0)["zip"].tolist()),
]


@pytest.mark.parametrize("numpy_call, python_call", NUMPY_SCALARS)
def test_numpy_scalars_are_numbers(numpy_call, python_call):
    assert numpy_call() == python_call()


def test_numpy_scalars_for_keys_and_precision(ctx):
    k = he.PrivateKey(np.int64(1000003), np.int64(1000033))  # numpy ints broke powmod later
    assert he.decrypt(k, he.encrypt(k.public_key, 5)) == 5
    enc = he.encrypt_vector(ctx.pk, [0.75], precision=np.float32(2.0**-10))
    assert enc.scale == Fraction(1, 1024)
    assert he.decrypt_vector(ctx.sk, enc)[0] == 0.75
    b = dp.PrivacyBudget(1.0)
    for _ in range(10):
        b.spend(np.float32(0.1))                # 0.1 is 1/10 in float32's own precision
    assert b.remaining == (0.0, 0.0)
