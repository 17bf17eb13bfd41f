"""Attacks that show what each protection is for (and what breaks without it).

``attacks`` may use ``dp``, ``he``, ``mpc`` and ``fl``; nothing in the library imports it.
"""

from .analytic_inversion import analytic_inversion, match_reconstructions
from .anonymity import (
    AnonymityReport,
    DisclosureResult,
    anonymity_report,
    attribute_disclosure,
    equivalence_classes,
)
from .differencing import DifferencingResult, differencing_attack
from .dp_audit import EpsilonLowerBound, epsilon_lower_bound
from .floating_point import unreachable_from
from .gradient_inversion import InversionResult, invert_gradients, reconstruction_error
from .likelihood_ratio import confidence_logits, likelihood_ratio_attack
from .linkage import LinkageResult, linkage_attack, uniqueness
from .membership import (
    MembershipResult,
    accountant_tpr_bound,
    dp_advantage_bound,
    dp_tpr_bound,
    evaluate_scores,
    membership_inference,
    yeom_bound,
)

__all__ = [
    "AnonymityReport",
    "DifferencingResult",
    "DisclosureResult",
    "EpsilonLowerBound",
    "InversionResult",
    "LinkageResult",
    "MembershipResult",
    "accountant_tpr_bound",
    "analytic_inversion",
    "anonymity_report",
    "attribute_disclosure",
    "confidence_logits",
    "differencing_attack",
    "dp_advantage_bound",
    "dp_tpr_bound",
    "epsilon_lower_bound",
    "equivalence_classes",
    "evaluate_scores",
    "invert_gradients",
    "likelihood_ratio_attack",
    "linkage_attack",
    "match_reconstructions",
    "membership_inference",
    "reconstruction_error",
    "uniqueness",
    "unreachable_from",
    "yeom_bound",
]
