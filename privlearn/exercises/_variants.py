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
import unicodedata
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["Params", "normalise_student"]

_SALT = "privlearn-variant-v1"
_MAX_DRAWS = 100


def normalise_student(student: str) -> str:
    """A student id as variants use it: Unicode NFKC (full-width digits from an input
    method, and a folder name in macOS's decomposed form, are the ids typed plainly),
    inner whitespace collapsed, case folded (``" Alice  Smith"`` and ``"alice smith"``
    are one student)."""
    if not isinstance(student, str):
        raise TypeError(f"student must be a string, got {type(student).__name__}")
    normal = " ".join(unicodedata.normalize("NFKC", student).split()).casefold()
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
    answer : callable
        ``answer(values)``: the right answer for those values. A draw whose answer is
        the course's (to 6 significant digits) is drawn again, so that the solution
        notebook's answer never carries over (advanced composition's ε, say, does not
        depend on δ).
    seed_name : str, optional
        Derive the values from this question's name instead of the question's own
        (two questions about one setting, such as a step count and the ε it gives,
        share their values).
    """

    def __init__(self, default: Mapping[str, Any],
                 draw: Callable[[random.Random], Mapping[str, Any]], *,
                 answer: Callable[[Mapping[str, Any]], Any],
                 seed_name: str | None = None) -> None:
        if not isinstance(default, Mapping) or not default:
            raise TypeError(f"default must be a non-empty mapping, got {default!r}")
        for name, fn in (("draw", draw), ("answer", answer)):
            if not callable(fn):
                raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
        if seed_name is not None and not isinstance(seed_name, str):
            raise TypeError(f"seed_name must be a string, got {type(seed_name).__name__}")
        self.default = MappingProxyType(dict(default))
        self.draw = draw
        self.answer = answer
        self.seed_name = seed_name
        self._default_answer = _fingerprint(answer(self.default))

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
            if values != dict(self.default) and \
                    _fingerprint(self.answer(values)) != self._default_answer:
                return MappingProxyType(values)
        raise ValueError(f"{exercise}.{question}: draw gave the course's answer "
                         f"{_MAX_DRAWS} times")

    def __repr__(self) -> str:
        return f"Params({dict(self.default)!r})"


def _fingerprint(answer: Any) -> Any:
    """An answer compared at 6 significant digits (sequences item by item)."""
    if isinstance(answer, (list, tuple)):
        return tuple(_fingerprint(a) for a in answer)
    if isinstance(answer, float):
        return f"{answer:.6g}"
    return answer
