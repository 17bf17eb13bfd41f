"""Every public function and class of privlearn's library packages is covered by at least
one refusal test in this package, or exempt for a stated reason."""

import importlib

from . import (
    test_errors,
    test_exact_or_refused,
    test_input_trust,
    test_non_finite,
    test_overflow,
    test_parameters,
    test_protocol_state,
    test_random_state,
    test_tooling,
)

PACKAGES = {"dp": "privlearn.dp", "he": "privlearn.he", "mpc": "privlearn.mpc",
            "fl": "privlearn.fl", "attacks": "privlearn.attacks", "data": "privlearn.data",
            "models": "privlearn.models", "plots": "privlearn.plots",
            "widgets": "privlearn.widgets", "environment": "privlearn.environment",
            "course": "privlearn.course", "exercises": "privlearn.exercises",
            "grading": "privlearn.grading", "handouts": "privlearn.handouts",
            "he.ckks": "privlearn.he.ckks",  # its own prefix: its names repeat he.vectors'
            "i18n": "privlearn.i18n"}
EXTRA = {"dp": ["privlearn.dp.dpsgd"], "fl": ["privlearn.fl.encrypted"],
         "he": ["privlearn.he.rlwe"],
         "mpc": ["privlearn.mpc.secure_aggregation", "privlearn.mpc.secagg_parties"]}

EXEMPT = {  # name -> why no bad-input test applies
    "dp.DEFAULT_ORDERS": "a constant",
    "mpc.DEFAULT_PRIME": "a constant",
    "data.APPLIANCES": "a constant",
    "exercises.CORRECT": "a constant",
    "exercises.INCORRECT": "a constant",
    "exercises.NOT_ATTEMPTED": "a constant",
    "exercises.EXERCISES": "a constant",
    "grading.ERROR": "a constant",
    "grading.NotebookGrade": "a result record built by grade_notebook",
    "grading.QuestionGrade": "a result record built by grade_notebook",
    "course.ROOT": "a constant",
    "handouts.BEGIN": "a constant",
    "handouts.END": "a constant",
    "environment.REQUIRED": "a constant",
    "environment.versions": "takes no arguments",
    "environment.missing_packages": "takes no arguments",
    "environment.phe_uses_gmpy2": "takes no arguments",
    "plots.pipeline": "takes no arguments",
    "dp.BudgetExceededError": "an exception class, raised by PrivacyBudget.spend (tested "
                              "in tests/dp)",
    "mpc.SECRET_PRIME": "a constant",
    "mpc.FIELD_BYTES": "a constant",
    "mpc.CIPHERTEXT_BYTES": "a constant",
    "mpc.MAX_CLIENT": "a constant",
    "mpc.SecAggCost": "a record the protocol fills in; users never build one",
    "mpc.TripleCost": "a record paillier_triple fills in; users never build one",
    "mpc.ComparisonCost": "a record sign_bit fills in; users never build one",
    "attacks.AnonymityReport": "a result record built by anonymity_report",
    "attacks.DisclosureResult": "a result record built by attribute_disclosure",
    "attacks.DifferencingResult": "a result record built by differencing_attack",
    "attacks.EpsilonLowerBound": "a result record built by epsilon_lower_bound",
    "attacks.InversionResult": "a result record built by invert_gradients",
    "attacks.LinkageResult": "a result record built by linkage_attack",
    "data.Split": "a result record built by the loaders",
    "he.Ciphertext": "a record; every function that takes one checks it (_check_ciphertext)",
    "he.RLWECiphertext": "a record built by rlwe.encrypt; every rlwe function checks it",
    "he.RLWEKeys": "a record built by rlwe.generate_keys; every rlwe function checks it",
    "he.EncryptedVector": "a record built by encrypt_vector; its bound is tested in "
                          "test_overflow",
    "he.PackedVector": "a record built by pack_encrypt; its room is tested in test_overflow",
    "he.ckks.available": "takes no arguments",
    "i18n.CATALOGUES": "a constant",
    "i18n.PENDING": "a constant",
    "i18n.sources": "takes no arguments",
    "i18n.build_translations": "takes no arguments",
    "i18n.expected_translations": "takes no arguments",
    "he.ckks.CKKSContext": "a record built by make_context; every function that takes one "
                           "checks it",
    "he.ckks.EncryptedReals": "a record built by encrypt_vector; its bounds are tested in "
                              "tests/he/test_ckks.py",
}


def _public_names():
    names = set()
    for short, module in PACKAGES.items():
        for mod in [module, *EXTRA.get(short, [])]:
            names |= {f"{short}.{n}" for n in importlib.import_module(mod).__all__}
    return names


def _covered():
    covered = set()
    for module in (test_errors, test_exact_or_refused, test_input_trust, test_non_finite,
                   test_overflow, test_parameters, test_protocol_state, test_random_state,
                   test_tooling):
        covered |= {case.entry for case in getattr(module, "CASES", [])}
        covered |= getattr(module, "COVERS", set())
    return covered


def test_every_public_entry_point_has_a_refusal_test():
    missing = sorted(_public_names() - _covered() - set(EXEMPT))
    assert not missing, f"public entry points without a refusal test: {missing}"


def test_no_stale_names():
    unknown = sorted((_covered() | set(EXEMPT)) - _public_names())
    assert not unknown, f"tests name entry points that are not public: {unknown}"
