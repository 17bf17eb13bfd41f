"""Grade submitted exercise notebooks: one sandboxed kernel per notebook, checks outside.

For each notebook the grader

1. reads it from the snapshot taken before any submission ran (so a notebook that
   deletes or rewrites a classmate's file changes nothing), and refuses it with an
   error row if it is not a notebook or carries no ``metadata.privlearn.exercise``
   (written by ``python -m privlearn.course build-exercises``; the file name and the
   imports do not count);
2. runs its code cells in a fresh :class:`~privlearn.grading.sandbox.Sandbox`, in a
   temporary directory of its own, each cell with a time limit; right after a
   question's answer cell (``metadata.privlearn.question``) it reads the answer out of
   the kernel as plain data, or keeps a handle on it when the answer is a function;
3. judges each answer in the grader's process with the question's checker; a function
   answer is called in the kernel with arguments the checker chooses. In a graded
   hand-out (``metadata.privlearn.graded``) each answer is checked against the numbers
   of the student the submission belongs to, whatever id the notebook was worked for
   (a mismatch is noted);
4. kills the kernel and everything it started.

A cell that ends the kernel (``os._exit``, a crash) or runs past its time limit is
noted and skipped when the grader starts a fresh kernel and carries on; so is a function
that does not return, which is then incorrect. The whole notebook has a time budget too.

Submitted notebooks run arbitrary code with your permissions: grade them in a throwaway
container or account (see :mod:`privlearn.grading.sandbox` for what the sandbox does
and does not stop).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._validation import check_int, check_real
from ..exercises import CORRECT, INCORRECT, NOT_ATTEMPTED, questions
from ..exercises._core import Incorrect, Question, StudentFunction, is_placeholder
from ..exercises._plain import PlainDataError, decode
from ..exercises._variants import normalise_student
from .sandbox import KernelLost, Sandbox

__all__ = ["ERROR", "NotebookGrade", "QuestionGrade", "grade_notebook"]

ERROR = "error"             # the grader could not reach a verdict
MAX_NOTEBOOK_BYTES = 20 * 2**20


@dataclass(frozen=True)
class QuestionGrade:
    """The verdict on one question of one notebook."""

    question: str
    status: str
    points: int
    max_points: int
    message: str


@dataclass
class NotebookGrade:
    """Everything the grader found out about one submitted notebook.

    ``error`` is set when the notebook could not be graded in full (not a notebook, no
    exercise metadata, out of time); ``notes`` list what went wrong along the way without
    stopping the grading (a cell that raised, a cell that was skipped).
    """

    student: str
    notebook: str
    exercise: str = ""
    questions: list[QuestionGrade] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def points(self) -> int:
        return sum(q.points for q in self.questions)

    @property
    def max_points(self) -> int:
        return sum(q.max_points for q in self.questions)

    @property
    def complete(self) -> bool:
        return self.error is None and all(q.status != ERROR for q in self.questions)


# ------------------------------------------------------------------ reading a notebook


class _Malformed(Exception):
    pass


@dataclass(frozen=True)
class _Cell:
    index: int          # position among all cells, as the student sees it
    source: str
    question: str | None


def _language_of(data: bytes) -> str:
    """``"zh"`` for a notebook of the Chinese edition (metadata.language, written by
    ``build-translations``), else ``"en"``: the language of its messages in the reports.
    Only the messages differ; statuses and points are the same in both."""
    try:
        meta = json.loads(data.decode("utf-8")).get("metadata")
    except (UnicodeDecodeError, ValueError, RecursionError, AttributeError):
        return "en"
    return "zh" if isinstance(meta, dict) and meta.get("language") == "zh" else "en"


def _parse(data: bytes) -> tuple[str, bool, list[_Cell]]:
    """The exercise id, whether the notebook is a graded hand-out, and its code cells; or
    _Malformed saying why not."""
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _Malformed(f"not a notebook file (not valid JSON: {str(exc)[:100]})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise _Malformed("not a notebook file (no list of cells)")
    meta = nb.get("metadata")
    tag = meta.get("privlearn") if isinstance(meta, dict) else None
    exercise = tag.get("exercise") if isinstance(tag, dict) else None
    if not isinstance(exercise, str):
        raise _Malformed("the notebook has no privlearn exercise id in its metadata: hand "
                         "out the notebooks made by build-exercises, and ask the student to "
                         "work in that file")
    graded = tag.get("graded", False)
    if not isinstance(graded, bool):
        raise _Malformed(f"metadata.privlearn.graded should be true or false, got "
                         f"{str(graded)[:40]!r}")
    cells = []
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise _Malformed(f"cell {i} is not a notebook cell")
        if cell["cell_type"] != "code":
            continue
        source = cell.get("source")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise _Malformed(f"cell {i}: its source should be text, got "
                             f"{type(source).__name__}")
        cmeta = cell.get("metadata")
        ctag = cmeta.get("privlearn") if isinstance(cmeta, dict) else None
        question = ctag.get("question") if isinstance(ctag, dict) else None
        cells.append(_Cell(i, source, question if isinstance(question, str) else None))
    return exercise, graded, cells


# ------------------------------------------------------------------ grading one notebook


class _RemoteFunction(StudentFunction):
    """A student's function that lives in a sandboxed kernel."""

    def __init__(self, box: Sandbox, key: str, timeout: Callable[[], float]) -> None:
        self.box, self.key, self.timeout = box, key, timeout

    def _run(self, batch: Any, keep_args: bool) -> list[dict]:
        reply = self.box.request({"op": "call", "key": self.key, "batch": batch,
                                  "keep_args": keep_args}, self.timeout())
        outcomes = reply.get("outcomes")
        if not isinstance(outcomes, list):
            raise Incorrect(f"your function could not be called: {reply.get('error', '?')}")
        return outcomes


class _Budget:
    def __init__(self, total: float, per_step: float) -> None:
        self.deadline = time.monotonic() + total
        self.total, self.per_step = total, per_step

    def step(self) -> float:
        return max(0.0, min(self.per_step, self.deadline - time.monotonic()))

    @property
    def spent(self) -> bool:
        return time.monotonic() >= self.deadline


def _read_answer(box: Sandbox, q: Question, key: str, budget: _Budget) -> Any:
    """The answer to ``q`` as the checker takes it, or a :class:`_Missing` saying why
    there is none."""
    reply = box.request({"op": "get", "name": q.answer, "key": key, "function": q.function},
                        budget.step())
    if reply.get("missing"):
        return _Missing(f"the notebook does not define `{q.answer}`", NOT_ATTEMPTED)
    if reply.get("callable") is True and q.function:
        return _RemoteFunction(box, key, budget.step)
    if "value" not in reply:
        return _Missing(f"`{q.answer}` could not be read: {str(reply.get('error'))[:200]}")
    try:
        value = decode(reply["value"])
    except PlainDataError as exc:
        return _Missing(f"`{q.answer}` could not be read: {exc}")
    if q.function and not is_placeholder(value):
        return _Missing(f"`{q.answer}` should be a function, got {_type_name(value)}")
    return value


def _type_name(value: Any) -> str:
    return getattr(value, "type_name", type(value).__name__)


@dataclass(frozen=True)
class _Missing:
    """No answer the checker can take, why, and the verdict that follows."""

    why: str
    status: str = INCORRECT


def _verdict(q: Question, answer: Any, lang: str = "en") -> QuestionGrade:
    """The grade of one answer; its message in the notebook's language (``lang``)."""
    if isinstance(answer, _Missing):
        return QuestionGrade(q.label, answer.status, 0, q.points, answer.why)
    try:
        result = q.judge(answer)
    except KernelLost:
        raise
    except Exception as exc:  # a checker bug must cost neither this notebook nor the class
        return QuestionGrade(q.label, ERROR, 0, q.points,
                             f"the checker failed: {type(exc).__name__}: {exc}"[:300])
    return QuestionGrade(q.label, result.status, q.points if result.status == CORRECT else 0,
                         q.points, result.text(lang))


def grade_notebook(data: bytes, *, student: str, notebook: str, timeout: float = 300.0,
                   cell_timeout: float = 60.0, memory: int = 2 * 2**30,
                   on_sandbox: Callable[[Sandbox | None], None] | None = None,
                   graded: bool = False) -> NotebookGrade:
    """Grade one submitted notebook, given as the bytes of its file (see the module doc).

    Parameters
    ----------
    data : bytes
        The notebook file's content.
    student, notebook : str
        What the report calls the student and the notebook.
    timeout, cell_timeout : float
        Seconds for the whole notebook, and for each cell or checker call.
    memory : int
        The kernel's address-space limit in bytes.
    on_sandbox : callable, optional
        Told about each kernel started, and ``None`` when it is gone (so that a caller
        can stop it from another thread).
    graded : bool
        Check every answer against ``student``'s own numbers, whatever the notebook's
        metadata says (a student could otherwise hand in the self-study notebook, whose
        numbers are the course's and whose answers are in the solutions); a notebook
        that is not the graded hand-out gets a note.
    """
    if not isinstance(data, bytes):
        raise TypeError(f"data must be the bytes of a notebook file, got {type(data).__name__}")
    for name, value in (("student", student), ("notebook", notebook)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    timeout = check_real("timeout", timeout, low=0.0, low_open=True)
    cell_timeout = check_real("cell_timeout", cell_timeout, low=0.0, low_open=True)
    memory = check_int("memory", memory, low=2**28)
    if not isinstance(graded, bool):
        raise TypeError(f"graded must be a bool, got {type(graded).__name__}")
    start = time.monotonic()
    grade = NotebookGrade(student, notebook)
    try:
        if len(data) > MAX_NOTEBOOK_BYTES:
            raise _Malformed(f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
        exercise, handout_graded, cells = _parse(data)
        grade.exercise = exercise
        if graded and not handout_graded:
            grade.notes.append("this is not the graded hand-out (a self-study notebook?): "
                               f"its answers are checked against student {student!r}'s "
                               "numbers all the same")
        try:
            qs = questions(exercise)
        except ValueError:
            raise _Malformed(f"unknown exercise id {exercise[:40]!r} in the notebook's "
                             "metadata") from None
        if graded or handout_graded:  # each answer against this student's own numbers
            try:
                qs = tuple(q.for_student(student) for q in qs)
            except ValueError as exc:
                raise _Malformed(f"a graded notebook needs a student id: {exc}") from None
    except _Malformed as exc:
        grade.error = str(exc)
        grade.seconds = time.monotonic() - start
        return grade
    _grade_cells(grade, qs, cells, data, _Budget(timeout, cell_timeout), memory,
                 on_sandbox or (lambda box: None), handout_graded)
    grade.seconds = time.monotonic() - start
    return grade


@dataclass
class _Progress:
    """What survives a kernel that had to be replaced."""

    skip: set[int] = field(default_factory=set)        # cells that ended or hung a kernel
    noted: set[int] = field(default_factory=set)       # cells whose error is in the notes
    unreadable: dict[str, str] = field(default_factory=dict)  # answers that ended a kernel
    student_read: bool = False                         # the graded notebook's STUDENT


def _note_student(box: Sandbox, student: str, grade: NotebookGrade, budget: _Budget) -> None:
    """Note when a graded notebook was worked for another student id than the one it is
    graded as (a typo, or a classmate's notebook): its numbers were someone else's."""
    try:
        reply = box.request({"op": "get", "name": "STUDENT", "key": "", "function": False},
                            budget.step())
    except KernelLost:
        grade.notes.append("the notebook's STUDENT could not be read")
        return
    graded_as = f"graded as student {grade.student!r}, against that student's numbers"
    if reply.get("missing"):
        grade.notes.append(f"the notebook sets no STUDENT; {graded_as}")
        return
    try:
        worked = decode(reply["value"]) if "value" in reply else None
    except PlainDataError:
        worked = None
    if not isinstance(worked, str):
        what = ("could not be read" if "value" not in reply or worked is None
                else f"not a string ({_type_name(worked)})")
        grade.notes.append(f"the notebook's STUDENT {what}; {graded_as}")
        return
    try:
        valid = normalise_student(worked)
    except ValueError:
        grade.notes.append(f"the notebook's STUDENT is {worked[:60]!r}, not an id: its first "
                           "cell raised, so `ex` was never defined and answer cells that use "
                           f"it did not run; {graded_as}")
        return
    if valid != student:
        grade.notes.append(f"the notebook was worked for STUDENT {worked[:60]!r}; {graded_as}")


def _grade_cells(grade: NotebookGrade, qs: tuple[Question, ...], cells: list[_Cell],
                 data: bytes, budget: _Budget, memory: int,
                 on_sandbox: Callable[[Sandbox | None], None], handout: bool) -> None:
    lang = _language_of(data)
    verdicts: dict[str, QuestionGrade] = {}
    progress = _Progress()
    while len(verdicts) < len(qs) and not budget.spent:
        pending = [q for q in qs if q.name not in verdicts]
        with tempfile.TemporaryDirectory(prefix="privlearn-grade-",
                                         ignore_cleanup_errors=True) as tmp:
            # the kernel's directory holds a copy of this notebook and nothing else
            (Path(tmp) / "submission.ipynb").write_bytes(data)
            try:
                box = Sandbox(Path(tmp), memory=memory, start_timeout=max(budget.step(), 1))
            except KernelLost as exc:
                grade.error = f"the grader could not start a kernel: {exc}"
                break
            on_sandbox(box)
            try:
                answers = _run_cells(box, cells, pending, progress, grade, budget)
                if answers is None:
                    continue  # a fresh kernel, without the cell that ended this one
                if qs and qs[0].student is not None and handout and not progress.student_read:
                    progress.student_read = True
                    _note_student(box, qs[0].student, grade, budget)
                for q in pending:
                    try:
                        verdicts[q.name] = _verdict(q, answers[q.name], lang)
                    except KernelLost as exc:
                        if budget.spent:
                            break
                        why = (f"your function did not return within {budget.per_step:g} s"
                               if exc.timed_out else "your function ended the notebook's "
                               f"process ({exc})")
                        verdicts[q.name] = QuestionGrade(q.label, INCORRECT, 0, q.points, why)
                        break  # a fresh kernel for the questions still to check
            finally:
                box.close()
                on_sandbox(None)
    for q in qs:
        if q.name not in verdicts:
            verdicts[q.name] = QuestionGrade(q.label, ERROR, 0, q.points,
                                             "not graded: the notebook ran out of its time "
                                             f"budget of {budget.total:g} s")
            grade.error = grade.error or f"stopped at the time budget of {budget.total:g} s"
    grade.questions = [verdicts[q.name] for q in qs]


def _run_cells(box: Sandbox, cells: list[_Cell], pending: list[Question], progress: _Progress,
               grade: NotebookGrade, budget: _Budget) -> dict[str, Any] | None:
    """Run the cells, reading each pending answer right after its answer cell (the last
    cell marked with it; at the end if there is none). None if the kernel was lost."""
    answer_cell = {c.question: c.index for c in cells if c.question}
    by_cell: dict[int | None, list[Question]] = {}
    for q in pending:
        by_cell.setdefault(answer_cell.get(q.name), []).append(q)
    answers: dict[str, Any] = {}
    running: int | None = None
    reading: str | None = None
    try:
        for cell in [*cells, None]:
            if cell is not None and cell.index not in progress.skip:
                running = cell.index
                reply = box.request({"op": "run", "source": cell.source}, budget.step())
                running = None
                if not reply.get("ok") and cell.index not in progress.noted:
                    progress.noted.add(cell.index)
                    grade.notes.append(f"cell {cell.index} raised "
                                       f"{str(reply.get('error'))[:200]}")
            for q in by_cell.get(None if cell is None else cell.index, []):
                if q.name in progress.unreadable:
                    answers[q.name] = _Missing(progress.unreadable[q.name])
                    continue
                reading = q.name
                answers[q.name] = _read_answer(box, q, q.name, budget)
                reading = None
    except KernelLost as exc:
        if budget.spent:
            return None
        how = (f"ran past the time limit of {budget.per_step:g} s" if exc.timed_out
               else f"ended the kernel ({exc})")
        if running is not None:
            progress.skip.add(running)
            grade.notes.append(f"cell {running} {how}; it was skipped in a fresh kernel")
        elif reading is not None:
            progress.unreadable[reading] = f"reading the answer {how}"
        else:  # pragma: no cover - every request above sets running or reading
            raise
        return None
    return answers
