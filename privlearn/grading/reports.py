"""The grader's outputs: per-question CSV, per-student totals CSV, JSON and JUnit XML.

All four are rewritten in full, atomically (a temporary file renamed over the old one),
after every graded notebook, so a crash loses at most the notebook in progress and no
reader ever sees half a file.

``questions.csv``  one row per notebook and question: ``student, notebook, exercise,
                   question, status, points, max_points, message``; a notebook that could
                   not be graded in full has a row with question ``(notebook)`` and status
                   ``error``, and one with status ``note`` per thing that went wrong in it
                   (a cell that raised, a cell that was skipped).
``totals.csv``     one row per student: ``student, notebooks, points, max_points, complete``.
``report.json``    the same, nested, with ``complete`` for the whole run.
``junit.xml``      one test suite per notebook, one test case per question: incorrect and
                   not-attempted answers are failures, questions the grader could not
                   judge are errors (CI systems and GitHub Classroom read this format).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from ..exercises import CORRECT, NOT_ATTEMPTED
from .grader import ERROR, NotebookGrade

__all__ = ["QUESTION_FIELDS", "TOTAL_FIELDS", "question_rows", "total_rows", "write_reports"]

QUESTION_FIELDS = ("student", "notebook", "exercise", "question", "status", "points",
                   "max_points", "message")
TOTAL_FIELDS = ("student", "notebooks", "points", "max_points", "complete")
NOTE = "note"


def question_rows(grades: Sequence[NotebookGrade]) -> list[dict[str, str]]:
    """The rows of ``questions.csv``."""
    rows = []
    for g in grades:
        base = {"student": g.student, "notebook": g.notebook, "exercise": g.exercise}
        if g.error:
            rows.append({**base, "question": "(notebook)", "status": ERROR, "points": "0",
                         "max_points": "0", "message": g.error})
        rows += [{**base, "question": "(notebook)", "status": NOTE, "points": "0",
                  "max_points": "0", "message": note} for note in g.notes]
        rows += [{**base, "question": q.question, "status": q.status, "points": str(q.points),
                  "max_points": str(q.max_points), "message": q.message} for q in g.questions]
    return rows


def total_rows(grades: Sequence[NotebookGrade]) -> list[dict[str, str]]:
    """The rows of ``totals.csv``: a student's notebooks added up."""
    by_student: dict[str, list[NotebookGrade]] = {}
    for g in grades:
        by_student.setdefault(g.student, []).append(g)
    return [{"student": s, "notebooks": ";".join(g.notebook for g in gs),
             "points": str(sum(g.points for g in gs)),
             "max_points": str(sum(g.max_points for g in gs)),
             "complete": "yes" if all(g.complete for g in gs) else "no"}
            for s, gs in sorted(by_student.items())]


def _json(grades: Sequence[NotebookGrade], complete: bool) -> str:
    return json.dumps({
        "complete": complete,
        "notebooks": [{
            "student": g.student, "notebook": g.notebook, "exercise": g.exercise,
            "points": g.points, "max_points": g.max_points, "complete": g.complete,
            "error": g.error, "notes": g.notes, "seconds": round(g.seconds, 2),
            "questions": [{"question": q.question, "status": q.status, "points": q.points,
                           "max_points": q.max_points, "message": q.message}
                          for q in g.questions]}
            for g in grades]}, indent=1, ensure_ascii=False) + "\n"


def _junit(grades: Sequence[NotebookGrade]) -> str:
    root = ET.Element("testsuites", name="privlearn grading")
    for g in grades:
        failures = sum(q.status in (NOT_ATTEMPTED, "incorrect") for q in g.questions)
        errors = sum(q.status == ERROR for q in g.questions) + (g.error is not None)
        suite = ET.SubElement(root, "testsuite", name=f"{g.student}/{g.notebook}",
                              tests=str(len(g.questions) + (g.error is not None)),
                              failures=str(failures), errors=str(errors),
                              time=f"{g.seconds:.2f}")
        if g.error is not None:
            case = ET.SubElement(suite, "testcase", classname=g.exercise or "notebook",
                                 name="(notebook)")
            ET.SubElement(case, "error", message=g.error)
        for q in g.questions:
            case = ET.SubElement(suite, "testcase", classname=g.exercise, name=q.question)
            if q.status == ERROR:
                ET.SubElement(case, "error", message=q.message)
            elif q.status != CORRECT:
                ET.SubElement(case, "failure", type=q.status, message=q.message)
        if g.notes:
            ET.SubElement(suite, "system-out").text = "\n".join(g.notes)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _csv(rows: list[dict[str, str]], fields: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _replace(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(out_dir: Path, grades: Sequence[NotebookGrade], *, complete: bool) -> None:
    """(Re)write the four reports in ``out_dir`` (see the module doc)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _replace(out_dir / "questions.csv", _csv(question_rows(grades), QUESTION_FIELDS))
    _replace(out_dir / "totals.csv", _csv(total_rows(grades), TOTAL_FIELDS))
    _replace(out_dir / "report.json", _json(grades, complete))
    _replace(out_dir / "junit.xml", _junit(grades))
