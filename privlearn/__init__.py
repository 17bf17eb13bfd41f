"""privlearn: a from-scratch library under a course on protecting user data in ML.

Subpackages: :mod:`privlearn.dp` (differential privacy), :mod:`privlearn.he`
(homomorphic encryption), :mod:`privlearn.mpc` (secure multi-party computation),
:mod:`privlearn.fl` (federated learning), :mod:`privlearn.attacks`. Figures live in
:mod:`privlearn.plots`, interactive demos in :mod:`privlearn.widgets`, exercise
checkers in :mod:`privlearn.exercises`.
"""

__version__ = "0.1.0"
