"""Checkers for the course's exercise notebooks, one module per notebook.

In a notebook::

    from privlearn.exercises import ex03b as ex
    ex.q1.check(my_answer)    # not attempted / incorrect: why / correct
    ex.q1.hint()
    ex.q1.solution()

A graded hand-out (``python -m privlearn.course build-exercises --graded``) gives each
student their own numbers::

    from privlearn.exercises import graded
    ex = graded("ex03b", STUDENT)
    ex.q2.show()              # this student's values
    ex.q2.check(sigma)

A teacher grades a folder of submitted notebooks with
``python -m privlearn.grading DIR --out-dir grades`` (:mod:`privlearn.grading`).
"""

from __future__ import annotations

import importlib

from ._core import CORRECT, INCORRECT, NOT_ATTEMPTED, Question, Result
from ._handout import Handout, graded

__all__ = ["CORRECT", "EXERCISES", "INCORRECT", "NOT_ATTEMPTED", "Handout", "Question",
           "Result", "graded", "questions"]

#: The exercise sets, by the id their notebooks carry in ``metadata.privlearn.exercise``.
EXERCISES = ("ex01", "ex03a", "ex03b", "ex03c", "ex03d", "ex04", "ex05", "ex07")


def questions(exercise: str) -> tuple[Question, ...]:
    """The questions of exercise set ``exercise`` (one of :data:`EXERCISES`)."""
    if not isinstance(exercise, str) or exercise not in EXERCISES:
        raise ValueError(f"exercise must be one of {', '.join(EXERCISES)}; got {exercise!r}")
    return tuple(importlib.import_module(f"{__name__}.{exercise}").QUESTIONS)
