"""Grade a class: every submitted notebook in a folder, in parallel, reports as they come.

The submissions are read into memory before any of them runs (a snapshot: what a
notebook does to the folder while it is graded changes nobody's grade), then graded by
a few workers (:func:`privlearn.grading.grader.grade_notebook`), each notebook in its
own kernel. After each notebook the reports are rewritten (:mod:`.reports`) and any
process a submission left behind is killed; nothing the submissions started outlives
:func:`grade_folder`.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .._validation import check_int, check_real
from .grader import MAX_NOTEBOOK_BYTES, NotebookGrade, grade_notebook
from .reports import write_reports
from .sandbox import Sandbox, become_subreaper, children, sweep_orphans

__all__ = ["find_notebooks", "grade_folder", "student_of"]


def find_notebooks(folder: Path) -> list[Path]:
    """Every ``*.ipynb`` under ``folder``, sorted by relative path; hidden folders
    (``.ipynb_checkpoints``) and ``__MACOSX`` are skipped, folder symlinks not followed."""
    if not isinstance(folder, (str, Path)) or not Path(folder).is_dir():
        raise ValueError(f"folder must be an existing folder, got {folder!r}")
    folder = Path(folder)
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__MACOSX"]
        found += [Path(root) / f for f in files
                  if f.lower().endswith(".ipynb") and not f.startswith(".")]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def student_of(relative: Path, strip_prefix: str = "") -> str:
    """Who a submission belongs to: the top folder for ``alice/ex03b.ipynb`` (as GitHub
    Classroom and LMS downloads arrive), else the file name without ``.ipynb``; less
    ``strip_prefix`` where it starts with it (GitHub Classroom names each student's
    repository ``<assignment>-<user>``: ``strip_prefix="ex03b-"`` leaves the user)."""
    if not isinstance(relative, (str, Path)) or Path(relative).is_absolute() or \
            not str(relative).lower().endswith(".ipynb"):
        raise ValueError(f"relative must be a notebook's path relative to the submissions "
                         f"folder, got {relative!r}")
    if not isinstance(strip_prefix, str):
        raise TypeError(f"strip_prefix must be a string, got {type(strip_prefix).__name__}")
    parts = Path(relative).parts
    student = parts[0] if len(parts) > 1 else parts[0][: -len(".ipynb")]
    if strip_prefix and student.startswith(strip_prefix) and student != strip_prefix:
        student = student[len(strip_prefix):]
    return student


def _snapshot(path: Path) -> bytes | str:
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB"
        return path.read_bytes()
    except OSError as exc:
        return f"the file could not be read: {exc.strerror}"


def grade_folder(folder: Path, out_dir: Path, *, workers: int | None = None,
                 timeout: float = 300.0, cell_timeout: float = 60.0,
                 memory: int = 2 * 2**30, strip_prefix: str = "", graded: bool = False,
                 log: Callable[[str], None] | None = None) -> tuple[list[NotebookGrade], bool]:
    """Grade every notebook under ``folder``; write the reports to ``out_dir``.

    Parameters
    ----------
    folder : Path
        The submissions: notebooks, directly or in one folder per student.
    out_dir : Path
        Where ``questions.csv``, ``totals.csv``, ``report.json`` and ``junit.xml`` go.
    workers : int, optional
        Notebooks graded at once (default: the number of CPUs, at most 4).
    timeout, cell_timeout : float
        Seconds per notebook, and per cell or checker call.
    memory : int
        Each kernel's address-space limit in bytes.
    strip_prefix : str
        Taken off the front of each student folder's name (:func:`student_of`): the
        student ids that graded hand-outs derive each student's numbers from.
    graded : bool
        Check every notebook as a graded hand-out, whatever its metadata says
        (:func:`~privlearn.grading.grader.grade_notebook`).
    log : callable, optional
        Receives one progress line per notebook (default: print to stderr).

    Returns
    -------
    grades : list of NotebookGrade
        In the order of the notebooks' paths.
    complete : bool
        Whether every notebook was graded in full.
    """
    for name, value in (("folder", folder), ("out_dir", out_dir)):
        if not isinstance(value, (str, Path)):
            raise TypeError(f"{name} must be a path, got {type(value).__name__}")
    folder, out_dir = Path(folder), Path(out_dir)
    if not folder.is_dir():
        raise ValueError(f"folder must be a folder of notebooks, got {str(folder)!r}")
    workers = check_int("workers", workers if workers is not None
                        else min(4, os.cpu_count() or 1), low=1)
    timeout = check_real("timeout", timeout, low=0.0, low_open=True)
    cell_timeout = check_real("cell_timeout", cell_timeout, low=0.0, low_open=True)
    memory = check_int("memory", memory, low=2**28)
    student_of(Path("x.ipynb"), strip_prefix)  # a bad prefix is refused before anything runs
    if not isinstance(graded, bool):
        raise TypeError(f"graded must be a bool, got {type(graded).__name__}")
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))

    paths = find_notebooks(folder)
    if not paths:
        raise ValueError(f"folder holds no .ipynb files: {str(folder)!r}")
    snapshot = [(p.relative_to(folder), _snapshot(p)) for p in paths]  # before anything runs
    become_subreaper()
    keep = children()  # children of ours from before (not a submission's)
    done: dict[int, NotebookGrade] = {}
    live: dict[int, Sandbox] = {}
    lock = threading.Lock()

    def grade_one(i: int) -> NotebookGrade:
        rel, data = snapshot[i]
        student, name = student_of(rel, strip_prefix), rel.as_posix()
        if isinstance(data, str):
            return NotebookGrade(student, name, error=data)

        def track(box: Sandbox | None) -> None:
            with lock:
                if box is None:
                    live.pop(i, None)
                else:
                    live[i] = box
        return grade_notebook(data, student=student, notebook=name, timeout=timeout,
                              cell_timeout=cell_timeout, memory=memory, on_sandbox=track,
                              graded=graded)

    def report(complete: bool) -> None:
        write_reports(out_dir, [done[i] for i in sorted(done)], complete=complete)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="privlearn-grade")
    try:
        futures = {pool.submit(grade_one, i): i for i in range(len(snapshot))}
        for future in as_completed(futures):
            i = futures[future]
            try:
                grade = future.result()
            except Exception as exc:  # a grader bug: this notebook, not the class
                rel = snapshot[i][0]
                grade = NotebookGrade(student_of(rel, strip_prefix), rel.as_posix(),
                                      error=f"the grader failed: {type(exc).__name__}: {exc}")
            sweep_orphans(keep)
            with lock:
                done[i] = grade
                report(complete=False)
            log(f"graded {grade.notebook}: {grade.points}/{grade.max_points}"
                + ("" if grade.complete else f" (incomplete: {grade.error or 'see report'})"))
    except BaseException:
        with lock:
            for box in list(live.values()):
                box.close()
        pool.shutdown(wait=True, cancel_futures=True)
        sweep_orphans(keep)
        with lock:
            report(complete=False)
        raise
    pool.shutdown(wait=True)
    sweep_orphans(keep)
    grades = [done[i] for i in sorted(done)]
    complete = all(g.complete for g in grades)
    report(complete=complete)
    return grades, complete
