"""The solution notebooks are an nbgrader source assignment: nbgrader's
generate_assignment releases them, its autograde scores a small class, and privlearn's
grader gives every student the same points.

nbgrader is an optional extra (``pip install -e ".[nbgrader]"``, pinned); .ci/run
installs it and sets PRIVLEARN_REQUIRE_NBGRADER=1, so that CI fails instead of
skipping when it is missing.
"""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from privlearn.course import ROOT
from privlearn.grading import grade_folder

if not os.environ.get("PRIVLEARN_REQUIRE_NBGRADER"):
    pytest.importorskip("nbgrader", reason="the nbgrader extra is not installed")

SOLUTIONS = sorted((ROOT / "exercises" / "solutions").glob("*.ipynb"))
EX03B = ROOT / "exercises" / "solutions" / "ex03b_differential_privacy.ipynb"


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}"}   # nbgrader runs alembic
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def _course(tmp_path: Path, assignment: str, notebooks: list[Path]) -> Path:
    course = tmp_path / "course"
    (course / "source" / assignment).mkdir(parents=True)
    for nb in notebooks:
        (course / "source" / assignment / nb.name).write_bytes(nb.read_bytes())
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{course / 'gradebook.db'}'\n")
    return course


def _answers(solution: nbformat.NotebookNode) -> dict[str, str]:
    """Each answer cell's source with the solution markers removed: a perfect answer."""
    return {c.metadata.nbgrader.grade_id: "\n".join(
                line for line in c.source.splitlines()
                if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
            for c in solution.cells if c.metadata.get("nbgrader", {}).get("solution")}


def test_generate_assignment_releases_every_exercise_set_without_its_solutions(tmp_path):
    course = _course(tmp_path, "all", SOLUTIONS)
    _nbgrader(course, "generate_assignment", "all", "--force")
    for solution in SOLUTIONS:
        source = nbformat.read(solution, as_version=4)
        release = nbformat.read(course / "release" / "all" / solution.name, as_version=4)
        assert release.metadata.privlearn == source.metadata.privlearn
        answers = _answers(source)
        tests = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert [c.metadata.nbgrader.grade_id for c in tests] == \
            [k.replace("-answer", "-check") for k in answers]
        for cell in tests:
            assert cell.metadata.nbgrader.locked and cell.metadata.nbgrader.points >= 1
            assert cell.source.startswith("ex.q") and ".assert_correct(" in cell.source
        text = "\n".join(c.source for c in release.cells)
        assert "BEGIN SOLUTION" not in text and "raise NotImplementedError" in text
        for answer in answers.values():  # no line of solution code survives
            for line in answer.splitlines():
                if line.strip() and line.strip() not in text:
                    break
            else:
                pytest.fail(f"{solution.name}: an answer survived the release:\n{answer}")


def test_nbgrader_autograde_and_privlearn_give_the_same_scores(tmp_path):
    course = _course(tmp_path, "dp", [EX03B])
    _nbgrader(course, "generate_assignment", "dp", "--force")
    release = nbformat.read(course / "release" / "dp" / EX03B.name, as_version=4)
    perfect = _answers(nbformat.read(EX03B, as_version=4))
    work = {
        "perfect": perfect,
        "blank": {},
        "half": {**perfect, "q2-answer": "sigma = 21.12   # rounded down: not DP",
                 "q5-answer": "epsilon = np.sqrt(2) / 10"},
        "crash": {**perfect, "q4-answer": "def debias(reports, epsilon):\n    return 1 / 0"},
        # blank answers, and the checks patched in the student's own kernel
        "forger": {"q1-answer": "import privlearn.exercises._core as core\n"
                                "core.Question.assert_correct = lambda self, answer: None\n"
                                "laplace_mech = None"},
    }
    for student, answers in work.items():
        nb = nbformat.from_dict(json.loads(json.dumps(release)))
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell.source = answers[grade_id]
        folder = course / "submitted" / student / "dp"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / EX03B.name)
    _nbgrader(course, "autograde", "dp", "--create")
    _nbgrader(course, "export", "--to", str(tmp_path / "nbgrader.csv"))
    with open(tmp_path / "nbgrader.csv", newline="") as fh:
        nbgrader_scores = {r["student_id"]: (float(r["score"]), float(r["max_score"]))
                           for r in csv.DictReader(fh)}
    grades, complete = grade_folder(course / "submitted", tmp_path / "privlearn", workers=2)
    assert complete
    privlearn_scores = {g.student: (float(g.points), float(g.max_points)) for g in grades}
    assert privlearn_scores == {"perfect": (8, 8), "blank": (0, 8), "half": (6, 8),
                                "crash": (7, 8), "forger": (0, 8)}
    # the same scores for every honest submission; nbgrader's autograde runs the checks
    # next to the student's code, which can patch them (as the README says)
    assert nbgrader_scores.pop("forger") == (8, 8)
    privlearn_scores.pop("forger")
    assert privlearn_scores == nbgrader_scores
