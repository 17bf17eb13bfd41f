"""Attacks that show what each protection is for (and what breaks without it).

``attacks`` may use ``dp``, ``he``, ``mpc`` and ``fl``; nothing in the library imports it.
"""

from .analytic_inversion import analytic_inversion, match_reconstructions
from .differencing import DifferencingResult, differencing_attack
from .floating_point import unreachable_from
from .gradient_inversion import InversionResult, invert_gradients, reconstruction_error
from .linkage import LinkageResult, linkage_attack, uniqueness
from .membership import MembershipResult, dp_advantage_bound, membership_inference, yeom_bound

__all__ = [
    "DifferencingResult",
    "InversionResult",
    "LinkageResult",
    "MembershipResult",
    "analytic_inversion",
    "differencing_attack",
    "dp_advantage_bound",
    "invert_gradients",
    "linkage_attack",
    "match_reconstructions",
    "membership_inference",
    "reconstruction_error",
    "uniqueness",
    "unreachable_from",
    "yeom_bound",
]
