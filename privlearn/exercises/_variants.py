"""Per-student numbers for graded hand-outs.

A question with numbers in it (a sensitivity, an ε, the sizes of three hospitals)
declares them as :class:`Params`: the values the course notebook uses, and a rule that
draws other values. In a graded hand-out each student works their own values, derived
from their student id by a hash, so that the grader (which knows the id from the
submissions folder) derives the same ones: a number copied from a classmate, or from
the course's solution notebook, answers another question.

The derivation is public and needs no secret: a student can compute a classmate's
values as easily as ask for them. Variants stop answers from carrying over; they do
not stop a student from working someone else's question for them.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["Params", "normalise_student"]

_SALT = "privlearn-variant-v1"
_MAX_DRAWS = 100


def normalise_student(student: str) -> str:
    """A student id as variants use it: inner whitespace collapsed, case folded
    (``" Alice  Smith"`` and ``"alice smith"`` are one student)."""
    if not isinstance(student, str):
        raise TypeError(f"student must be a string, got {type(student).__name__}")
    normal = " ".join(student.split()).casefold()
    if not normal:
        raise ValueError(f"student must be a non-empty id, got {student!r}: write your "
                         "student id, as your teacher's class list spells it")
    return normal


class Params:
    """The numbers of one question: the course's values and how to draw a student's.

    Parameters
    ----------
    default : mapping
        The values of the course notebook (and of its solution).
    draw : callable
        ``draw(rng) -> mapping`` with the same keys, from a :class:`random.Random`. A
        draw equal to ``default`` is drawn again, so no student works the course's
        values.
    seed_name : str, optional
        Derive the values from this question's name instead of the question's own
        (two questions about one setting, such as a step count and the ε it gives,
        share their values).
    """

    def __init__(self, default: Mapping[str, Any],
                 draw: Callable[[random.Random], Mapping[str, Any]], *,
                 seed_name: str | None = None) -> None:
        if not isinstance(default, Mapping) or not default:
            raise TypeError(f"default must be a non-empty mapping, got {default!r}")
        if not callable(draw):
            raise TypeError(f"draw must be callable, got {type(draw).__name__}")
        if seed_name is not None and not isinstance(seed_name, str):
            raise TypeError(f"seed_name must be a string, got {type(seed_name).__name__}")
        self.default = MappingProxyType(dict(default))
        self.draw = draw
        self.seed_name = seed_name

    def for_student(self, exercise: str, question: str, student: str) -> Mapping[str, Any]:
        """The values of ``student`` (any spelling :func:`normalise_student` accepts)."""
        key = "|".join((_SALT, exercise, self.seed_name or question,
                        normalise_student(student)))
        rng = random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))
        for _ in range(_MAX_DRAWS):
            values = dict(self.draw(rng))
            if set(values) != set(self.default):
                raise ValueError(f"{exercise}.{question}: draw gave the keys "
                                 f"{sorted(values)}, expected {sorted(self.default)}")
            if values != dict(self.default):
                return MappingProxyType(values)
        raise ValueError(f"{exercise}.{question}: draw gave the default values "
                         f"{_MAX_DRAWS} times")

    def __repr__(self) -> str:
        return f"Params({dict(self.default)!r})"
