"""k-anonymity and l-diversity, and the attribute-disclosure attacks that get past them.

A table is *k-anonymous* on its quasi-identifiers when every combination of their values
that occurs, occurs at least k times (Samarati & Sweeney 1998; Sweeney 2002,
"k-anonymity: a model for protecting privacy", IJUFKS 10(5)): a linkage attack
(:func:`~privlearn.attacks.linkage_attack`) then finds at least k candidates for anyone.
It says nothing about the *sensitive* column. If everyone in an equivalence class has the
same diagnosis, knowing that Alice is in the class is knowing her diagnosis (the
*homogeneity attack*); if the values differ but the attacker can rule some out for Alice,
what is left may be one value (the *background-knowledge attack*). Both are from
Machanavajjhala, Kifer, Gehrke & Venkitasubramaniam (2007, "l-diversity: privacy beyond
k-anonymity", ACM TKDD 1(1)), who proposed *l-diversity*: at least l distinct sensitive
values in every class (distinct l-diversity, their simplest form). It fails in turn when
the values are skewed or close in meaning (Li, Li & Venkatasubramanian 2007, "t-closeness").

Tables are column dictionaries, as in :mod:`.linkage`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from .linkage import _check_table, _keys, _quasi_identifiers

__all__ = ["AnonymityReport", "DisclosureResult", "anonymity_report", "attribute_disclosure",
           "equivalence_classes"]


def _sensitive(value, table_name: str, table: dict) -> str:
    if not isinstance(value, str):
        raise TypeError(f"sensitive must be a column name (str), got {type(value).__name__}")
    if value not in table:
        raise ValueError(f"sensitive column {value!r} is missing from {table_name} (its "
                         f"columns: {sorted(table)})")
    return value


def equivalence_classes(table: dict, *, quasi_identifiers) -> np.ndarray:
    """The equivalence class of each row: rows with equal quasi-identifiers share one.

    Classes are numbered 0, 1, ... in the order of their first row.
    """
    qi = _quasi_identifiers(quasi_identifiers)
    _check_table("table", table, qi)
    numbers: dict[tuple, int] = {}
    return np.array([numbers.setdefault(k, len(numbers)) for k in _keys(table, qi)])


@dataclass(frozen=True)
class AnonymityReport:
    """How anonymous a table is on its quasi-identifiers, and how diverse its classes."""

    k_anonymity: int        # rows in the smallest equivalence class
    l_diversity: int        # distinct sensitive values in the least diverse class
    classes: int            # number of equivalence classes
    homogeneous_rows: int   # rows in classes whose sensitive values are all the same
    rows: int


def anonymity_report(table: dict, *, quasi_identifiers, sensitive: str) -> AnonymityReport:
    """k-anonymity and distinct l-diversity of ``table``, with its homogeneous rows.

    Parameters
    ----------
    table : dict of columns
        The release.
    quasi_identifiers : sequence of str
        The columns an attacker can also find elsewhere (ZIP code, birth year, sex).
    sensitive : str
        The column the release must not disclose (a diagnosis).

    References
    ----------
    Sweeney (2002); Machanavajjhala et al. (2007), Definition 4.1 (distinct l-diversity).
    """
    classes = equivalence_classes(table, quasi_identifiers=quasi_identifiers)
    values = np.asarray(table[_sensitive(sensitive, "table", table)]).tolist()
    sizes = Counter(classes.tolist())
    distinct: dict[int, set] = {}
    for c, v in zip(classes.tolist(), values, strict=True):
        distinct.setdefault(c, set()).add(v)
    diversity = {c: len(vs) for c, vs in distinct.items()}
    return AnonymityReport(
        k_anonymity=min(sizes.values()), l_diversity=min(diversity.values()),
        classes=len(sizes), rows=len(values),
        homogeneous_rows=sum(sizes[c] for c, d in diversity.items() if d == 1))


@dataclass(frozen=True)
class DisclosureResult:
    """Outcome of an attribute-disclosure attack on a release."""

    learned: dict[int, object]  # target row -> the only sensitive value left for it
    targets: int
    not_found: int              # targets whose quasi-identifiers match no released class

    @property
    def learned_fraction(self) -> float:
        """Share of targets whose sensitive value the attacker is left certain of."""
        return len(self.learned) / self.targets


def attribute_disclosure(released: dict, targets: dict, *, quasi_identifiers, sensitive: str,
                         ruled_out=None) -> DisclosureResult:
    """What an attacker who knows each target's quasi-identifiers learns of their sensitive
    value from a generalised release, assuming the target is in it.

    For each target the attacker finds the released class with the target's
    quasi-identifiers and collects its sensitive values, minus the one the attacker knows
    does not apply to that target (``ruled_out``). When one value is left, it is learned:
    with ``ruled_out=None`` that is the homogeneity attack, with it the background-knowledge
    attack (Machanavajjhala et al. 2007, Section 3.1).

    Parameters
    ----------
    released : dict of columns
        The release, its quasi-identifiers already generalised.
    targets : dict of columns
        The people attacked, with the same quasi-identifier columns, generalised the same way.
    quasi_identifiers : sequence of str
    sensitive : str
        The sensitive column of ``released``.
    ruled_out : sequence, optional
        One value per target that the attacker knows is *not* theirs (None where they know
        nothing).
    """
    qi = _quasi_identifiers(quasi_identifiers)
    _check_table("released", released, qi)
    n_targets = _check_table("targets", targets, qi)
    values = np.asarray(released[_sensitive(sensitive, "released", released)]).tolist()
    if ruled_out is None:
        ruled_out = [None] * n_targets
    elif isinstance(ruled_out, (str, bytes)) or not hasattr(ruled_out, "__len__"):
        raise TypeError(f"ruled_out must be a sequence with one value per target, got "
                        f"{type(ruled_out).__name__}")
    elif len(ruled_out) != n_targets:
        raise ValueError(f"ruled_out must have one value per target ({n_targets}), got "
                         f"{len(ruled_out)}")
    by_class: dict[tuple, set] = {}
    for key, v in zip(_keys(released, qi), values, strict=True):
        by_class.setdefault(key, set()).add(v)
    learned, not_found = {}, 0
    for i, (key, excluded) in enumerate(zip(_keys(targets, qi), ruled_out, strict=True)):
        if key not in by_class:
            not_found += 1
            continue
        left = by_class[key] - {excluded}
        if len(left) == 1:
            learned[i] = next(iter(left))
    return DisclosureResult(learned, n_targets, not_found)
