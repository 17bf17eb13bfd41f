"""The exercise API: ``q.check(answer)``, ``q.hint()``, ``q.solution()``.

After Kaggle's learntools: a check ends in one of three states, printed as one line
and returned to code that asks (:meth:`Question.evaluate`):

* **not attempted**: the answer is still the placeholder (``None``, ``...``) or the
  student's function still raises ``NotImplementedError``;
* **incorrect**: with the reason, worded so the student knows what to look at next;
* **correct**: with the checks that passed ("these checks passed", never "all tests
  passed": a checker only knows what it checked).

When the environment variable ``PRIVLEARN_GRADE_LOG`` names a file, every check also
appends one JSON line to it; that is how ``python -m privlearn.exercises grade``
collects a class's results without parsing notebook output.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "CORRECT",
    "INCORRECT",
    "NOT_ATTEMPTED",
    "Incorrect",
    "NotAttempted",
    "Question",
    "Result",
    "call_student",
]

NOT_ATTEMPTED = "not attempted"
INCORRECT = "incorrect"
CORRECT = "correct"

GRADE_LOG_ENV = "PRIVLEARN_GRADE_LOG"


class Incorrect(Exception):
    """Raised by a checker: the answer is wrong, and the message says why."""


class NotAttempted(Exception):
    """Raised by a checker: the answer is still the placeholder."""


@dataclass(frozen=True)
class Result:
    """The outcome of one check."""

    exercise: str
    question: str
    status: str
    message: str

    def __post_init__(self) -> None:
        if self.status not in (CORRECT, INCORRECT, NOT_ATTEMPTED):
            raise ValueError(f"status must be {CORRECT!r}, {INCORRECT!r} or {NOT_ATTEMPTED!r}, "
                             f"got {self.status!r}")

    def __str__(self) -> str:
        label = {CORRECT: "Correct", INCORRECT: "Incorrect", NOT_ATTEMPTED: "Not attempted"}
        return f"{label[self.status]} ({self.question}): {self.message}"


def is_placeholder(answer: Any) -> bool:
    """True for the blanks a student notebook starts with."""
    return answer is None or answer is Ellipsis


def call_student(fn: Callable, *args, **kwargs):
    """Call a student's function; map its failures onto check outcomes."""
    if not callable(fn):
        raise Incorrect(f"expected a function, got {type(fn).__name__}")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise NotAttempted("your function still raises NotImplementedError") from exc
    except SystemExit as exc:  # sys.exit() in an answer ends the answer, not the check
        raise Incorrect(f"your function called sys.exit({exc.code!r})") from exc
    except Exception as exc:  # the student's bug, reported rather than raised
        raise Incorrect(f"your function raised {type(exc).__name__}: {exc}") from exc


class Question:
    """One question of an exercise notebook.

    Parameters
    ----------
    exercise, name : str
        E.g. ``"ex03b"`` and ``"q1"``.
    title : str
        A few words that say what the question asks.
    checker : callable
        ``checker(answer) -> str``: returns the "these checks passed" text, or raises
        :class:`Incorrect` / :class:`NotAttempted`.
    hint, solution : str
        Text shown by :meth:`hint` and :meth:`solution`.
    """

    def __init__(self, exercise: str, name: str, *, title: str,
                 checker: Callable[[Any], str], hint: str, solution: str) -> None:
        for pname, v in (("exercise", exercise), ("name", name), ("title", title),
                         ("hint", hint), ("solution", solution)):
            if not isinstance(v, str):
                raise TypeError(f"{pname} must be a string, got {type(v).__name__}")
        if not callable(checker):
            raise TypeError(f"checker must be callable, got {type(checker).__name__}")
        self.exercise = exercise
        self.name = name
        self.title = title
        self._checker = checker
        self._hint = textwrap.dedent(hint).strip()
        self._solution = textwrap.dedent(solution).strip()

    def evaluate(self, answer: Any) -> Result:
        """Judge ``answer`` without printing or logging anything."""
        if is_placeholder(answer):
            return self._result(NOT_ATTEMPTED, "replace the placeholder with your answer")
        try:
            passed = self._checker(answer)
        except NotAttempted as exc:
            return self._result(NOT_ATTEMPTED, str(exc))
        except Incorrect as exc:
            return self._result(INCORRECT, str(exc))
        if not isinstance(passed, str):  # a checker bug, not the student's
            raise TypeError(f"the checker of {self.exercise}.{self.name} must return the text "
                            f"of the checks that passed, got {type(passed).__name__}")
        return self._result(CORRECT, passed)

    def check(self, answer: Any) -> None:
        """Judge ``answer``, print the verdict, and log it when grading."""
        result = self.evaluate(answer)
        print(result)
        path = os.environ.get(GRADE_LOG_ENV)
        if path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(result)) + "\n")

    def hint(self) -> None:
        """Print a hint."""
        print(f"Hint ({self.name}): {self._hint}")

    def solution(self) -> None:
        """Print a worked solution."""
        print(f"Solution ({self.name}):\n{self._solution}")

    def _result(self, status: str, message: str) -> Result:
        return Result(self.exercise, f"{self.name} {self.title}", status, message)

    def __repr__(self) -> str:
        return f"Question({self.exercise}.{self.name}: {self.title})"
