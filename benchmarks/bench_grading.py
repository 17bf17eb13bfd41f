"""Seconds to grade a class of 30 with ``python -m privlearn.grading`` (issue 12: under
40 s on an idle 2-core machine), idle and with one busy competitor.

    python benchmarks/bench_grading.py

Each class is 30 copies of one exercise set's solution notebook, graded by the command
line with its default worker count; every copy must score full marks. ex03b is the set
the issue measured (70 s before the grader was rebuilt); ex04 trains torch models in
both the kernel and the checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _table import busy_competitor, machine, print_table

ROOT = Path(__file__).resolve().parent.parent
CLASS = 30
TARGET = 40.0
SETS = ("ex03b_differential_privacy", "ex04_best_practice", "ex03a_federated_learning")


def _grade_class(stem: str) -> tuple[float, bool]:
    source = (ROOT / "exercises" / "solutions" / f"{stem}.ipynb").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        for i in range(CLASS):
            (folder / f"student{i:02d}.ipynb").write_text(source)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "privlearn.grading", str(folder),
                               "--out-dir", str(Path(tmp) / "grades")],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        report = json.loads((Path(tmp) / "grades" / "report.json").read_text())
    full = proc.returncode == 0 and len(report["notebooks"]) == CLASS and all(
        n["points"] == n["max_points"] > 0 for n in report["notebooks"])
    return seconds, full


def main() -> None:
    rows = []
    for stem in SETS:
        idle, idle_ok = _grade_class(stem)
        with busy_competitor():
            busy, busy_ok = _grade_class(stem)
        ok = "full marks" if idle_ok and busy_ok else "WRONG MARKS"
        rows.append([stem.split("_")[0], f"{idle:.1f}", f"{busy:.1f}", f"< {TARGET:g} idle",
                     ok if idle < TARGET else f"{ok}, too slow"])
    print_table(f"Grading a class of {CLASS} ({machine()})",
                ["exercise set", "seconds idle", "one busy competitor", "target", "result"],
                rows)


if __name__ == "__main__":
    main()
