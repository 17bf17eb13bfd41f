"""Hand-out notebooks made from the exercise solutions.

``student_version(solution)`` is the notebook a self-studying student works: every
block between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes ``# YOUR CODE
HERE`` (inside a function, followed by ``raise NotImplementedError``), outputs are
cleared, a cell that calls ``.solution()`` is dropped (the student calls it when
they choose to), and so are nbgrader's test cells (``ex.q2.assert_correct(sigma)``,
``metadata.nbgrader.grade``) with all nbgrader metadata: the solution notebooks are an
nbgrader source assignment as they are, and nbgrader makes its own release from them.

``student_version(solution, graded=True)`` is the hand-out of a graded assignment, one
file for the whole class:

* the student writes their id in a cell added before the imports, and
  ``ex = graded("ex03b", STUDENT)`` gives them their own numbers
  (:mod:`privlearn.exercises._variants`); the imports no longer bind ``ex`` to the
  exercise module, so a missing or mistyped id stops the notebook instead of checking
  answers against the course's numbers;
* where the question text shows one of those numbers
  (``<span data-var="q2.upper">5</span>`` in the solution's markdown) the hand-out
  shows its name, ```upper```, and the answer cell starts with ``ex.q2.show()``, which
  prints the student's values;
* the Summary, which states the answers, is left out, and the introduction no longer
  offers ``solution()`` (which a graded question refuses anyway);
* ``metadata.privlearn.graded`` tells the grader to check each answer against the
  values of the student whose submission it is.

In a self-study notebook each marked number is shown as written, after checking that
it is the question's value in the course (:attr:`Question.params`), so the text and
the checker cannot drift apart.
"""

from __future__ import annotations

import copy
import math
import re

import nbformat

from .exercises import questions

__all__ = ["BEGIN", "END", "student_version"]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_MARKED = re.compile(r'<span data-var="(q\d+)\.(\w+)">(.*?)</span>', re.S)
_NUMBER = re.compile(r"-?\d(?:[\d,]*\d)?(?:\.\d+)?(?:e-?\d+)?")
_HELP = "`ex.q1.hint()` and `ex.q1.solution()` help when you are stuck."
_GRADED_HELP = ("`ex.q1.hint()` helps when you are stuck.\n\n"
                "**This is a graded notebook.** Write your student id in the first code "
                "cell, exactly as your teacher's class list spells it. Where a question "
                "shows a name such as `upper` instead of a number, the number is your own: "
                "the answer cell prints it (`ex.q2.show()`), and the grader checks your "
                "answer against the numbers of your id. Worked solutions are not available "
                "here.")


def _strip_solution(source: str) -> str:
    out: list[str] = []
    inside = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"nested {BEGIN!r} in cell:\n{source}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# YOUR CODE HERE")
            if indent:
                out.append(f"{indent}raise NotImplementedError")
        elif stripped == END:
            if not inside:
                raise ValueError(f"{END!r} without {BEGIN!r} in cell:\n{source}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} without {END!r} in cell:\n{source}")
    return "\n".join(out)


def _numbers(value) -> list[float]:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _numbers(v)]
    return [float(value)]


def _render_marked(source: str, params: dict, graded: bool) -> str:
    """Replace each marked number by its text (self-study) or its name (graded)."""
    def render(match: re.Match) -> str:
        question, name, text = match.groups()
        default = params.get(question)
        if default is None or name not in default:
            raise ValueError(f"{match.group(0)!r} marks a value that question {question} "
                             "does not declare in its params")
        shown = [float(n.replace(",", "")) for n in _NUMBER.findall(text.replace("−", "-"))]
        expected = _numbers(default[name])
        if len(shown) != len(expected) or not all(
                math.isclose(a, b, rel_tol=1e-12) for a, b in zip(shown, expected, strict=True)):
            raise ValueError(f"{match.group(0)!r} shows {text!r}, but the course's value of "
                             f"{question}.{name} is {default[name]!r}")
        return f"`{name}`" if graded else text
    return _MARKED.sub(render, source)


def student_version(solution: nbformat.NotebookNode, *, graded: bool = False,
                    ) -> nbformat.NotebookNode:
    """The hand-out of an exercise solution notebook (see the module docstring).

    Parameters
    ----------
    solution : nbformat.NotebookNode
        A notebook of ``exercises/solutions/``, with ``metadata.privlearn.exercise``.
    graded : bool
        Make the graded hand-out: per-student numbers, no Summary, no solutions.
    """
    if not isinstance(solution, nbformat.NotebookNode):
        raise TypeError(f"solution must be an nbformat NotebookNode, got "
                        f"{type(solution).__name__}")
    if not isinstance(graded, bool):
        raise TypeError(f"graded must be a bool, got {type(graded).__name__}")
    nb = copy.deepcopy(solution)
    exercise = nb.metadata.get("privlearn", {}).get("exercise")
    qs = {q.name: q for q in questions(exercise)} if exercise else {}
    params = {name: q.params.default for name, q in qs.items() if q.params is not None}
    cells = []
    for cell in nb.cells:
        if cell.metadata.pop("nbgrader", {}).get("grade") and cell.cell_type == "code":
            continue  # an nbgrader test cell (assert_correct): the answer cell checks too
        if cell.cell_type == "markdown":
            if graded and cell.source.startswith("## Summary"):
                continue
            cell.source = _render_marked(cell.source, params, graded)
            if graded and not cells:  # the introduction
                if _HELP not in cell.source:
                    raise ValueError(f"the introduction of {exercise} should say {_HELP!r}")
                cell.source = cell.source.replace(_HELP, _GRADED_HELP)
        if cell.cell_type == "code":
            if re.search(r"\.solution\(\)", cell.source):
                continue
            cell.source = _strip_solution(cell.source)
            cell.outputs = []
            cell.execution_count = None
            question = cell.metadata.get("privlearn", {}).get("question")
            if graded and question in params:
                cell.source = f"ex.{question}.show()\n{cell.source}"
        setup = f"from privlearn.exercises import {exercise} as ex\n"
        if graded and cell.cell_type == "code" and setup in cell.source + "\n":
            cell.source = re.sub(r"\n{3,}", "\n\n", (cell.source + "\n").replace(setup, "")
                                 ).strip("\n")
            cells.append(nbformat.v4.new_code_cell(
                "from privlearn.exercises import graded\n\n"
                'STUDENT = ""   # your student id, exactly as on your teacher\'s class list\n'
                f'ex = graded("{exercise}", STUDENT)'))
        cells.append(cell)
    if graded:
        if not any('STUDENT = ""' in c.source for c in cells):
            raise ValueError(f"no cell imports `from privlearn.exercises import {exercise} "
                             "as ex`: the graded hand-out needs one to add the student id to")
        nb.metadata.setdefault("privlearn", {})["graded"] = True
    nb.cells = cells
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    nb.metadata.pop("widgets", None)
    return nb
