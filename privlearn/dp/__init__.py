"""Differential privacy: mechanisms, exact samplers, composition and accounting.

Mechanisms take the privacy parameters keyword-only, so ε and Δ cannot be swapped:
``laplace_mechanism(x, sensitivity=1, epsilon=0.5, rng=rng)``. Each has a calibration
function computed without sampling (``laplace_scale``, ``gaussian_sigma``,
``analytic_gaussian_sigma``), tested exactly.
"""

from .accountant import PLDAccountant, RDPAccountant
from .budget import BudgetExceededError, PrivacyBudget
from .composition import advanced_composition, basic_composition
from .discrete import discrete_gaussian, discrete_laplace
from .exponential import exponential_mechanism, exponential_probabilities
from .gaussian import (
    analytic_gaussian_sigma,
    gaussian_delta,
    gaussian_mechanism,
    gaussian_sigma,
)
from .laplace import laplace_mechanism, laplace_scale
from .local import estimate_frequencies, unary_encoding, unary_probabilities
from .noisy_max import noisy_max_scale, report_noisy_max
from .pld import PrivacyLossDistribution, subsampled_gaussian_pld
from .randomized_response import estimate_proportion, randomized_response, truth_probability
from .rdp import DEFAULT_ORDERS, compute_rdp, noise_multiplier_for, rdp_to_dp
from .sparse_vector import (
    insecure_sparse_vector_without_query_noise,
    sparse_vector,
    sparse_vector_scales,
)

__all__ = [
    "DEFAULT_ORDERS",
    "BudgetExceededError",
    "PLDAccountant",
    "PrivacyBudget",
    "PrivacyLossDistribution",
    "RDPAccountant",
    "advanced_composition",
    "analytic_gaussian_sigma",
    "basic_composition",
    "compute_rdp",
    "discrete_gaussian",
    "discrete_laplace",
    "estimate_frequencies",
    "estimate_proportion",
    "exponential_mechanism",
    "exponential_probabilities",
    "gaussian_delta",
    "gaussian_mechanism",
    "gaussian_sigma",
    "insecure_sparse_vector_without_query_noise",
    "laplace_mechanism",
    "laplace_scale",
    "noise_multiplier_for",
    "noisy_max_scale",
    "randomized_response",
    "rdp_to_dp",
    "report_noisy_max",
    "sparse_vector",
    "sparse_vector_scales",
    "subsampled_gaussian_pld",
    "truth_probability",
    "unary_encoding",
    "unary_probabilities",
]
