"""Checkers for the course's exercise notebooks, one module per notebook.

In a notebook::

    from privlearn.exercises import ex03b as ex
    ex.q1.check(my_answer)    # not attempted / incorrect: why / correct
    ex.q1.hint()
    ex.q1.solution()

A teacher grades a folder of submitted notebooks with
``python -m privlearn.exercises grade DIR --out grades.csv``.
"""

from ._core import CORRECT, INCORRECT, NOT_ATTEMPTED, Question, Result

__all__ = ["CORRECT", "INCORRECT", "NOT_ATTEMPTED", "Question", "Result"]
