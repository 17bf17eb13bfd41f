"""Grading: a class's exercise notebooks, judged where student code cannot reach.

``python -m privlearn.grading DIR --out-dir grades`` grades every notebook under DIR
(:func:`grade_folder`). Each runs in a sandboxed kernel of its own
(:mod:`.sandbox`, :mod:`.kernel`); answers leave the kernel as plain data and are
judged in the grader's process (:mod:`.grader`); reports are written as notebooks finish
(:mod:`.reports`).

Nothing in the library imports this package.
"""

from .classroom import find_notebooks, grade_folder, student_of
from .grader import ERROR, NotebookGrade, QuestionGrade, grade_notebook

__all__ = ["ERROR", "NotebookGrade", "QuestionGrade", "find_notebooks", "grade_folder",
           "grade_notebook", "student_of"]
