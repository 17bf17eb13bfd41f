"""Linkage: re-identifying an "anonymised" table by joining on quasi-identifiers.

Removing names does not anonymise a table when the remaining columns single people out.
Sweeney (2000, "Simple demographics often identify people uniquely", Carnegie Mellon
Data Privacy Working Paper 3) estimated that 87% of the US population is unique on
{5-digit ZIP code, date of birth, sex}, and re-identified the Governor of Massachusetts
in released hospital records by joining them with a voter list on exactly those columns.

Tables here are column dictionaries: ``{"zip": array, "birth_date": array, ...}``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

__all__ = ["LinkageResult", "linkage_attack", "uniqueness"]


def _quasi_identifiers(value) -> list:
    """The column names, refused when they are one string (which would split into letters)
    or not a sequence at all."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"quasi_identifiers must be a list of column names, got the string "
                        f"{value!r}; write [{value!r}] for one column")
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"quasi_identifiers must be a list of column names, got "
                        f"{type(value).__name__} {value!r}")
    qi = list(value)
    if not qi:
        raise ValueError("quasi_identifiers must name at least one column, got []")
    return qi


def _check_table(name: str, table, columns) -> int:
    if not isinstance(table, dict):
        raise TypeError(f"{name} must be a dict of columns (name -> 1-D array), got "
                        f"{type(table).__name__}")
    if not table:
        raise ValueError(f"{name} must be a non-empty dict of columns, got no columns")
    for col, v in table.items():
        arr = np.asarray(v)
        if arr.ndim != 1:
            raise ValueError(f"{name}[{col!r}] must be a 1-D column, got shape {arr.shape}")
        if col in columns and arr.dtype.kind == "f" and np.isnan(arr).any():
            raise ValueError(f"{name}[{col!r}] holds NaN: a missing quasi-identifier never "
                             "equals anything, so it would count as unique; fill or drop "
                             "those rows first")
    lengths = {len(np.asarray(v)) for v in table.values()}
    if len(lengths) != 1:
        raise ValueError(f"{name}'s columns must have the same length, got {sorted(lengths)}")
    (length,) = lengths
    if length == 0:
        raise ValueError(f"{name} must have at least one row")
    missing = [c for c in columns if c not in table]
    if missing:
        raise ValueError(f"quasi_identifiers {missing} are missing from {name} (its columns: "
                         f"{sorted(table)})")
    return length


def _keys(table, columns) -> list[tuple]:
    cols = [np.asarray(table[c]).tolist() for c in columns]
    return list(zip(*cols, strict=True))


def uniqueness(table: dict, *, quasi_identifiers) -> float:
    """Share of rows whose quasi-identifier combination occurs exactly once in ``table``."""
    qi = _quasi_identifiers(quasi_identifiers)
    _check_table("table", table, qi)
    keys = _keys(table, qi)
    counts: dict[tuple, int] = defaultdict(int)
    for k in keys:
        counts[k] += 1
    return sum(counts[k] == 1 for k in keys) / len(keys)


@dataclass(frozen=True)
class LinkageResult:
    """Outcome of a linkage attack."""

    matches: dict[int, int]          # released row -> the one auxiliary row it matches
    ambiguous: int                   # released rows matching 2+ auxiliary rows
    unmatched: int                   # released rows matching none
    released_rows: int

    @property
    def reidentified_fraction(self) -> float:
        """Share of released rows linked to exactly one auxiliary row."""
        return len(self.matches) / self.released_rows


def linkage_attack(released: dict, auxiliary: dict, *, quasi_identifiers) -> LinkageResult:
    """Join ``released`` (no names) with ``auxiliary`` (names) on the quasi-identifiers.

    A released row is re-identified when exactly one auxiliary row shares its
    quasi-identifier values: the attacker then attaches that row's identity to it.

    Parameters
    ----------
    released : dict of columns
        The "anonymised" table.
    auxiliary : dict of columns
        Public data with identities (a voter list, a social-media profile dump).
    quasi_identifiers : sequence of str
        Columns present in both tables.
    """
    qi = _quasi_identifiers(quasi_identifiers)
    n_rel = _check_table("released", released, qi)
    _check_table("auxiliary", auxiliary, qi)
    index: dict[tuple, list[int]] = defaultdict(list)
    for j, k in enumerate(_keys(auxiliary, qi)):
        index[k].append(j)
    matches, ambiguous, unmatched = {}, 0, 0
    for i, k in enumerate(_keys(released, qi)):
        hits = index.get(k, [])
        if len(hits) == 1:
            matches[i] = hits[0]
        elif hits:
            ambiguous += 1
        else:
            unmatched += 1
    return LinkageResult(matches, ambiguous, unmatched, n_rel)
