"""Grade a folder of submitted exercise notebooks into a CSV.

``python -m privlearn.exercises grade DIR --out grades.csv [--timeout 300]``

Each ``*.ipynb`` in DIR is one student's submission (the file name, without
``.ipynb``, names the student). Each is executed headless in a fresh kernel, in its own
process group, with a wall-clock limit; every ``ex.qN.check(...)`` it makes is logged
(see :mod:`privlearn.exercises._core`). The CSV has one row per student and question:
``student, notebook, exercise, question, status, message``, where status is
``correct``, ``incorrect``, ``not attempted`` (also for a question never checked), or
``error`` on a row with question ``(notebook)`` when the notebook is not valid JSON,
ran past the limit, or had cells that raised. Cells run on after an error, so one
broken answer does not cost the others.

Submitted notebooks run arbitrary code with your permissions: grade them in a
throwaway container or account.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ._core import GRADE_LOG_ENV, NOT_ATTEMPTED

__all__ = ["FIELDS", "grade_folder", "grade_notebook"]

FIELDS = ("student", "notebook", "exercise", "question", "status", "message")
_REPORT = "privlearn-grade: "
_IMPORT = re.compile(r"from\s+privlearn\.exercises\s+import\s+(ex\w+)")


def _exercise_of(nb_json: dict) -> str | None:
    for cell in nb_json.get("cells", []):
        src = cell.get("source", "")
        match = _IMPORT.search("".join(src) if isinstance(src, list) else src)
        if match:
            return match.group(1)
    return None


def _questions(exercise: str | None) -> list:
    if exercise is None:
        return []
    try:
        module = importlib.import_module(f"privlearn.exercises.{exercise}")
    except ImportError:
        return []
    return list(getattr(module, "QUESTIONS", ()))


def _run_in_child(path: Path, log: Path, timeout: float) -> str | None:
    """Execute the notebook in a child process; return an error text or None."""
    cmd = [sys.executable, "-m", "privlearn.exercises.grade", "--run-one", str(path),
           str(log)]
    env = dict(os.environ)
    env[GRADE_LOG_ENV] = str(log)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the kernel is in the same process group
        proc.communicate()
        return f"stopped after the time limit of {timeout:g} s (an endless loop?)"
    if proc.returncode != 0:
        last = err.strip().splitlines()[-1] if err.strip() else f"exit code {proc.returncode}"
        return f"could not be executed: {last}"
    reported = [line[len(_REPORT):] for line in err.splitlines() if line.startswith(_REPORT)]
    return reported[-1] if reported else None


def _run_one(path: Path) -> int:
    """Child side: execute with errors allowed; report errored cells on stderr."""
    import nbformat

    from ..course import run_notebook

    nb = nbformat.read(path, as_version=4)
    run_notebook(nb, cwd=path.parent, allow_errors=True, timeout=3600)
    errors = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}"[:200])
    if errors:
        print(f"{_REPORT}{len(errors)} cell(s) raised; " + "; ".join(errors), file=sys.stderr)
    return 0


def grade_notebook(path: Path, *, timeout: float = 300.0) -> list[dict[str, str]]:
    """Rows for one submitted notebook (see the module doc)."""
    path = Path(path)
    student = path.stem
    base = {"student": student, "notebook": path.name}
    try:
        nb_json = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(nb_json, dict) or "cells" not in nb_json:
            raise ValueError("no 'cells' list")
    except (ValueError, UnicodeDecodeError) as exc:
        return [{**base, "exercise": "", "question": "(notebook)", "status": "error",
                 "message": f"not a valid notebook file: {exc}"}]
    exercise = _exercise_of(nb_json)
    rows: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "checks.jsonl"
        log.touch()
        problem = _run_in_child(path, log, timeout)
        latest: dict[str, dict] = {}
        for line in log.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            latest[record["question"]] = record  # the last check of a question counts
    if problem:
        rows.append({**base, "exercise": exercise or "", "question": "(notebook)",
                     "status": "error", "message": problem})
    names = [f"{q.name} {q.title}" for q in _questions(exercise)]
    for name in names + [n for n in latest if n not in names]:
        rec = latest.get(name)
        rows.append({**base, "exercise": rec["exercise"] if rec else exercise or "",
                     "question": name,
                     "status": rec["status"] if rec else NOT_ATTEMPTED,
                     "message": rec["message"] if rec else "never checked"})
    return rows


def grade_folder(folder: Path, out: Path, *, timeout: float = 300.0) -> list[dict[str, str]]:
    """Grade every ``*.ipynb`` directly in ``folder`` and write the CSV to ``out``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"DIR must be a folder of notebooks, got {str(folder)!r}")
    rows: list[dict[str, str]] = []
    for path in sorted(folder.glob("*.ipynb")):
        print(f"grading {path.name}", file=sys.stderr, flush=True)
        rows.extend(grade_notebook(path, timeout=timeout))
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--run-one"]:
        return _run_one(Path(argv[1]))
    parser = argparse.ArgumentParser(prog="python -m privlearn.exercises grade",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, metavar="DIR")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"))
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds each notebook may run (default 300)")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error(f"--timeout must be > 0, got {args.timeout}")
    rows = grade_folder(args.folder, args.out, timeout=args.timeout)
    print(f"wrote {len(rows)} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
