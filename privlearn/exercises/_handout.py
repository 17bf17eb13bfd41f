"""``graded(exercise, student)``: the exercise API of a graded hand-out."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from ._core import Question
from ._variants import normalise_student

__all__ = ["Handout", "graded"]


class Handout:
    """One student's questions of one exercise set: ``ex.q2.check(sigma)`` checks
    against the student's own values, ``ex.q2.show()`` prints them, ``solution()`` is
    off. Other names (tables, curves) are the exercise module's."""

    def __init__(self, module: ModuleType, student: str) -> None:
        self.student = normalise_student(student)
        self._module = module
        self._questions: dict[str, Question] = {
            q.name: q.for_student(student) for q in module.QUESTIONS}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_module", "_questions"):
            raise AttributeError(name)
        if name in self._questions:
            return self._questions[name]
        return getattr(self._module, name)

    @property
    def QUESTIONS(self) -> tuple[Question, ...]:
        return tuple(self._questions.values())

    def __repr__(self) -> str:
        return f"Handout({self._module.EXERCISE!r}, student {self.student!r})"


def graded(exercise: str, student: str) -> Handout:
    """The questions of ``exercise`` as ``student`` works them in a graded hand-out.

    Parameters
    ----------
    exercise : str
        One of :data:`privlearn.exercises.EXERCISES`.
    student : str
        The student's id, as the teacher's submissions folder names them (case and
        extra spaces do not matter).
    """
    from . import EXERCISES

    if not isinstance(exercise, str) or exercise not in EXERCISES:
        raise ValueError(f"exercise must be one of {', '.join(EXERCISES)}; got {exercise!r}")
    return Handout(importlib.import_module(f"{__package__}.{exercise}"), student)
