"""The grader against a class of adversarial submissions, graded in one run.

Each submission below tries one thing a student could do to a grader (forge results,
patch the checker, vandalise classmates' files, leave a daemon behind, crash, hang,
exhaust memory, exit, malform the notebook...). The test grades them all together, as
a teacher would, through the command line, and then checks that no unanswered or wrong
question earned "correct", that every honest submission got exactly its marks whatever
its classmates did, that the grader finished, and that nothing it started is still
running.
"""

import csv
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from privlearn.course import ROOT
from privlearn.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from privlearn.grading import ERROR, find_notebooks, grade_notebook, student_of

SOLUTION = ROOT / "exercises" / "solutions" / "ex03b_differential_privacy.ipynb"
BLANK = ROOT / "exercises" / "ex03b_differential_privacy.ipynb"
EX04 = ROOT / "exercises" / "solutions" / "ex04_best_practice.ipynb"
TOKEN = "privlearn-grading-test-daemon"


def _edited(base: Path, edits: dict[int, str]) -> str:
    """``base`` with code cell i's source replaced, outputs cleared (counting without
    nbgrader's test cells, which are dropped: as in the notebooks students get)."""
    nb = nbformat.read(base, as_version=4)
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, source in edits.items():
        code[i].source = source
    for cell in code:
        cell.outputs, cell.execution_count = [], None
    return nbformat.writes(nb)


def _forger(folder: Path) -> str:
    return _edited(BLANK, {0: BLANK_SETUP + r'''
# 1. patch every checker and the judging code in this kernel
import privlearn.exercises._core as core
core.Question.judge = lambda self, answer: core.Result(self.exercise, self.label, "correct", "x")
for q in ex.QUESTIONS:
    q._checker = lambda answer: "these checks passed"
# 2. forge replies on every descriptor this process holds
import json, os, struct
for fd in map(int, os.listdir("/proc/self/fd")):
    for nonce in ["0", "1", "2", None]:
        msg = json.dumps({"nonce": nonce, "ok": True, "value": 0.2996, "callable": False,
                          "status": "correct"}).encode()
        try:
            os.write(fd, struct.pack(">Q", len(msg)) + msg)
        except OSError:
            pass
# 3. append "correct" rows to anything that looks like a report
for name in ("questions.csv", "grades.csv", "checks.jsonl"):
    with open(name, "a") as fh:
        fh.write("forger,forger.ipynb,ex03b,q1,correct,1,1,forged\n")
'''})


BLANK_SETUP = nbformat.read(BLANK, as_version=4).cells[1].source + "\n"


def _daemon_spawner(out_dir: Path, sleep: float) -> str:
    """Code that starts a grandchild in its own session, which sleeps, then rewrites the
    grades and leaves a marker."""
    code = (f"import os, sys, time\n"
            f"if os.fork(): os._exit(0)\n"
            f"os.setsid()\n"
            f"time.sleep({sleep})\n"
            f"open({str(out_dir / 'questions.csv')!r}, 'w').write('forged by a daemon')\n"
            f"open({str(out_dir / 'DAEMON_WAS_HERE')!r}, 'w').write('x')\n")
    return ("import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', {code!r}, {TOKEN!r}], "
            "start_new_session=True)\n")


def _daemon(out_dir: Path, *, escape_kernel: bool) -> str:
    unset = ("import ctypes\nctypes.CDLL(None).prctl(36, 0, 0, 0, 0)  # kernel: no subreaper\n"
             if escape_kernel else "")
    return _edited(SOLUTION, {0: BLANK_SETUP + unset + _daemon_spawner(out_dir, 4)})


def test_the_daemon_strikes_when_nobody_stops_it(tmp_path):
    """The control for test_nothing_outlives_the_grader: the same daemon, outside the
    grader, does rewrite the grades."""
    subprocess.run([sys.executable, "-c", _daemon_spawner(tmp_path, 0.2)], check=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "DAEMON_WAS_HERE").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "questions.csv").read_text() == "forged by a daemon"


def _running_daemons() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if TOKEN.encode() in cmdline:
                pids.append(int(entry))
    return pids


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    folder, out = root / "submissions", root / "grades"
    folder.mkdir()
    (folder / "vandal").mkdir()
    (folder / "nested" / "deeper").mkdir(parents=True)
    (folder / ".ipynb_checkpoints").mkdir()
    solution = SOLUTION.read_text()
    files = {
        "perfect.ipynb": solution,
        "Zoë 张.ipynb": solution,
        "nested/deeper/ex03b.ipynb": solution,
        ".ipynb_checkpoints/perfect-checkpoint.ipynb": "{ not a notebook",
        "blank.ipynb": BLANK.read_text(),
        "forger.ipynb": _forger(folder),
        # deletes and overwrites classmates' files, knowing where they are
        "vandal/ex03b.ipynb": _edited(SOLUTION, {0: BLANK_SETUP + (
            "import pathlib\n"
            f"root = pathlib.Path({str(folder)!r})\n"
            "for p in root.rglob('*.ipynb'):\n"
            "    if 'vandal' not in str(p):\n"
            "        p.write_text('{}')\n"
            "(root / 'blank.ipynb').unlink(missing_ok=True)\n")}),
        "daemon.ipynb": _daemon(out, escape_kernel=False),
        "escaper.ipynb": _daemon(out, escape_kernel=True),
        "malformed_cells.ipynb": json.dumps({"cells": "nope", "metadata": {}}),
        "malformed_source.ipynb": json.dumps({
            "cells": [{"cell_type": "code", "source": 5, "metadata": {}}],
            "metadata": {"privlearn": {"exercise": "ex03b"}}, "nbformat": 4}),
        "not_json.ipynb": "{ not json",
        "no_metadata.ipynb": json.dumps({**json.loads(solution), "metadata": {}}),
        "unknown_exercise.ipynb": json.dumps({**json.loads(solution), "metadata": {
            "privlearn": {"exercise": "os"}}}),
        # an endless loop in the q2 cell: that cell is skipped, the rest graded
        "loops.ipynb": _edited(SOLUTION, {2: "while True:\n    pass"}),
        # a function that never returns: q1 incorrect, the others graded in a fresh kernel
        "hangs.ipynb": _edited(SOLUTION, {1: "def laplace_mech(value, sensitivity, epsilon, "
                                             "rng):\n    while True:\n        pass\n"}),
        "memory_hog.ipynb": _edited(SOLUTION, {0: BLANK_SETUP + "hog = bytearray(8 * 2**30)\n"}),
        "exits.ipynb": _edited(SOLUTION, {3: "import os\nos._exit(0)"}),
        # the Laplace mechanism without its return: incorrect, not "not attempted"
        "forgot_return.ipynb": _edited(SOLUTION, {1: "def laplace_mech(value, sensitivity, "
                                                     "epsilon, rng):\n    value + rng.laplace("
                                                     "0.0, sensitivity / epsilon)\n"}),
        # ex04's solution under ex03b's file name: graded as ex04, by its metadata
        "renamed/ex03b_differential_privacy.ipynb": EX04.read_text(),
    }
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "privlearn.grading", str(folder),
                           "--out-dir", str(out), "--timeout", "120", "--cell-timeout", "5",
                           "--memory", "1536", "--workers", "2"],
                          capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - start
    time.sleep(6)  # longer than the daemons sleep before they strike
    rows = list(csv.DictReader((out / "questions.csv").open(encoding="utf-8")))
    return {"proc": proc, "rows": rows, "out": out, "folder": folder, "seconds": seconds}


def _status(graded, notebook):
    return {r["question"].split()[0]: r["status"] for r in graded["rows"]
            if r["notebook"] == notebook and r["status"] != "note"}


def test_the_grader_completes_and_says_what_it_could_not_grade(graded_class):
    proc = graded_class["proc"]
    assert proc.returncode == 1, proc.stderr  # malformed notebooks: graded, not in full
    notebooks = {r["notebook"] for r in graded_class["rows"]}
    assert len(notebooks) == 19  # every file, checkpoints skipped
    assert not any("checkpoint" in n for n in notebooks)


def test_honest_submissions_get_exactly_their_marks(graded_class):
    for nb in ("perfect.ipynb", "Zoë 张.ipynb", "nested/deeper/ex03b.ipynb",
               "vandal/ex03b.ipynb", "daemon.ipynb", "escaper.ipynb", "memory_hog.ipynb"):
        assert _status(graded_class, nb) == {f"q{i}": CORRECT for i in range(1, 9)}, nb
    assert _status(graded_class, "blank.ipynb") == {f"q{i}": NOT_ATTEMPTED
                                                    for i in range(1, 9)}
    students = {r["notebook"]: r["student"] for r in graded_class["rows"]}
    assert students["Zoë 张.ipynb"] == "Zoë 张"
    assert students["nested/deeper/ex03b.ipynb"] == "nested"
    assert students["vandal/ex03b.ipynb"] == "vandal"


def test_forged_and_patched_answers_earn_nothing(graded_class):
    assert _status(graded_class, "forger.ipynb") == {f"q{i}": NOT_ATTEMPTED
                                                     for i in range(1, 9)}
    assert not any(r["message"] == "forged" for r in graded_class["rows"])


def test_nothing_outlives_the_grader(graded_class):
    for nb in ("daemon.ipynb", "escaper.ipynb"):  # the daemons did start
        assert not [r for r in graded_class["rows"] if r["notebook"] == nb
                    and r["status"] == "note"], nb
    assert _running_daemons() == []
    assert not (graded_class["out"] / "DAEMON_WAS_HERE").exists()
    assert graded_class["rows"] and "forged" not in (graded_class["out"] /
                                                     "questions.csv").read_text()


def test_malformed_notebooks_get_an_error_row(graded_class):
    errors = {r["notebook"]: r["message"] for r in graded_class["rows"]
              if r["question"] == "(notebook)" and r["status"] == ERROR}
    assert "no list of cells" in errors["malformed_cells.ipynb"]
    assert "cell 0: its source should be text, got int" in errors["malformed_source.ipynb"]
    assert "not valid JSON" in errors["not_json.ipynb"]
    assert "no privlearn exercise id" in errors["no_metadata.ipynb"]
    assert "unknown exercise id 'os'" in errors["unknown_exercise.ipynb"]
    assert set(errors) == {"malformed_cells.ipynb", "malformed_source.ipynb", "not_json.ipynb",
                           "no_metadata.ipynb", "unknown_exercise.ipynb"}


def test_a_hung_cell_or_function_costs_only_its_question(graded_class):
    loops = _status(graded_class, "loops.ipynb")
    assert loops == {"q1": CORRECT, "q2": NOT_ATTEMPTED, "q3": CORRECT, "q4": CORRECT,
                     "q5": CORRECT, "q6": CORRECT, "q7": CORRECT, "q8": CORRECT}
    hangs = _status(graded_class, "hangs.ipynb")
    assert hangs == {"q1": INCORRECT, "q2": CORRECT, "q3": CORRECT, "q4": CORRECT,
                     "q5": CORRECT, "q6": CORRECT, "q7": CORRECT, "q8": CORRECT}
    message = next(r["message"] for r in graded_class["rows"]
                   if r["notebook"] == "hangs.ipynb" and r["question"].startswith("q1"))
    assert "did not return within 5 s" in message
    notes = [r["message"] for r in graded_class["rows"]
             if r["notebook"] == "loops.ipynb" and r["status"] == "note"]
    assert any("ran past the time limit of 5 s" in n for n in notes)


def test_exit_memory_and_a_missing_return(graded_class):
    assert _status(graded_class, "exits.ipynb") == {
        "q1": CORRECT, "q2": CORRECT, "q3": NOT_ATTEMPTED, "q4": CORRECT, "q5": CORRECT,
        "q6": CORRECT, "q7": CORRECT, "q8": CORRECT}
    notes = [r["message"] for r in graded_class["rows"]
             if r["notebook"] in ("exits.ipynb", "memory_hog.ipynb") and r["status"] == "note"]
    assert any("ended the kernel" in n for n in notes)
    assert any("MemoryError" in n for n in notes)
    assert _status(graded_class, "forgot_return.ipynb")["q1"] == INCORRECT
    assert any("does your function `return` its result?" in r["message"]
               for r in graded_class["rows"] if r["notebook"] == "forgot_return.ipynb")


def test_the_exercise_comes_from_metadata_not_the_file_name(graded_class):
    rows = [r for r in graded_class["rows"]
            if r["notebook"] == "renamed/ex03b_differential_privacy.ipynb"]
    assert {r["exercise"] for r in rows} == {"ex04"}
    assert [r["status"] for r in rows] == [CORRECT] * 4


def test_reports_agree(graded_class):
    out, rows = graded_class["out"], graded_class["rows"]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["complete"] is False
    by_nb = {n["notebook"]: n for n in report["notebooks"]}
    assert by_nb["perfect.ipynb"]["points"] == by_nb["perfect.ipynb"]["max_points"] == 8
    assert by_nb["blank.ipynb"]["points"] == 0
    for nb in by_nb.values():
        question_rows = [r for r in rows if r["notebook"] == nb["notebook"]
                         and r["question"] != "(notebook)"]
        assert nb["points"] == sum(int(r["points"]) for r in question_rows)
        assert [q["status"] for q in nb["questions"]] == [r["status"] for r in question_rows]
    totals = {r["student"]: r for r in csv.DictReader((out / "totals.csv").open(
        encoding="utf-8"))}
    assert totals["perfect"]["points"] == "8" and totals["perfect"]["complete"] == "yes"
    assert totals["not_json"]["complete"] == "no"
    suites = ET.parse(out / "junit.xml").getroot().findall("testsuite")
    assert len(suites) == len(by_nb)
    for suite in suites:
        nb = by_nb[suite.get("name").split("/", 1)[1]]
        cases = suite.findall("testcase")
        failed = sum(c.find("failure") is not None for c in cases)
        assert failed == int(suite.get("failures")) == sum(
            q["status"] in (INCORRECT, NOT_ATTEMPTED) for q in nb["questions"])
        assert sum(c.find("error") is not None for c in cases) == int(suite.get("errors"))


def test_grading_one_class_took_reasonable_time(graded_class):
    # 19 notebooks, two of which hang for the 5 s cell limit: a regression guard on
    # the restart logic, not a benchmark (benchmarks/bench_grading.py measures speed)
    assert graded_class["seconds"] < 240


# --- single notebooks and the command line ------------------------------------------


def test_a_perfect_notebook_alone(tmp_path):
    grade = grade_notebook(SOLUTION.read_bytes(), student="s", notebook="s.ipynb")
    assert grade.complete and grade.points == grade.max_points == 8 and not grade.notes


def test_chinese_and_english_submissions_are_graded_alike():
    """The Chinese edition's notebook of an exercise (metadata.language = zh), worked with
    one wrong answer, and the English one worked the same: the same statuses and points;
    the Chinese report's messages in Chinese, the English one's in English."""
    grades = {}
    for lang, base in (("en", ROOT / "exercises" / "solutions" / "ex05_applications.ipynb"),
                       ("zh", ROOT / "exercises" / "zh" / "solutions" / "ex05_applications.ipynb")):
        nb = nbformat.read(base, as_version=4)
        answer = next(c for c in nb.cells if c.metadata.get("privlearn", {}).get("question")
                      == "q3")
        answer.source = "d = 0.123\nex.q3.check(d)"          # a wrong residual
        grades[lang] = grade_notebook(nbformat.writes(nb).encode(), student="s",
                                      notebook=f"{lang}.ipynb")
    en, zh = grades["en"], grades["zh"]
    assert [(q.question, q.status, q.points) for q in en.questions] == \
        [(q.question, q.status, q.points) for q in zh.questions]
    assert en.points == zh.points == en.max_points - 1
    wrong = [q for q in zh.questions if q.status == INCORRECT]
    assert len(wrong) == 1 and re.search(r"[\u4e00-\u9fff]", wrong[0].message)
    assert not re.search(r"[\u4e00-\u9fff]", next(q for q in en.questions
                                                  if q.status == INCORRECT).message)


def test_exit_status_and_fail_under(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "perfect.ipynb").write_text(SOLUTION.read_text())
    (folder / "half.ipynb").write_text(_edited(SOLUTION, {1: "", 4: ""}))

    def run(*extra):
        return subprocess.run([sys.executable, "-m", "privlearn.grading", str(folder),
                               "--out-dir", str(tmp_path / "g"), *extra],
                              capture_output=True, text=True).returncode

    assert run() == 0
    assert run("--fail-under", "0.7") == 0
    assert run("--fail-under", "0.8") == 3  # half.ipynb has 6 of 8


@pytest.mark.parametrize("args, message", [
    (["nope"], "DIR must be a folder"),
    ([".", "--timeout", "0"], "--timeout must be > 0"),
    ([".", "--workers", "0"], "--workers must be >= 1"),
    ([".", "--memory", "10"], "--memory must be at least 256"),
    ([".", "--fail-under", "2"], "--fail-under must be a fraction"),
])
def test_command_line_refuses_bad_arguments(tmp_path, args, message):
    args = [str(tmp_path / a) if a in ("nope", ".") else a for a in args]
    proc = subprocess.run([sys.executable, "-m", "privlearn.grading", *args],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and message in proc.stderr


def test_an_empty_folder_is_refused(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "privlearn.grading", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "holds no .ipynb files" in proc.stderr


def test_the_old_command_still_works(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "privlearn.exercises", "grade",
                           str(tmp_path / "nope")], capture_output=True, text=True)
    assert proc.returncode == 2 and "DIR must be a folder" in proc.stderr


def test_finding_notebooks_and_students(tmp_path):
    for name in ("b.ipynb", "a/x.ipynb", ".hidden/y.ipynb", "__MACOSX/z.ipynb", "c.IPYNB",
                 "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = [p.relative_to(tmp_path).as_posix() for p in find_notebooks(tmp_path)]
    assert found == ["a/x.ipynb", "b.ipynb", "c.IPYNB"]
    assert [student_of(Path(p)) for p in ("a/x.ipynb", "b.ipynb")] == ["a", "b"]
    # GitHub Classroom's <assignment>-<user> repositories
    assert [student_of(Path(p), "ex03b-") for p in (
        "ex03b-alice/ex03b.ipynb", "bob/ex03b.ipynb", "ex03b-.ipynb")] == [
        "alice", "bob", "ex03b-"]


# --- graded hand-outs: every student answers their own numbers ----------------------------

_GRADED_ANSWERS = {  # ex03b's answer cells, written for whatever values the notebook shows
    2: "def laplace_mech(value, sensitivity, epsilon, rng):\n"
       "    return value + rng.laplace(0.0, sensitivity / epsilon)\n",
    3: "v = ex.q2.values\n"
       "sigma = analytic_gaussian_sigma(sensitivity=v['upper'], epsilon=v['epsilon'],\n"
       "                                delta=v['delta'])\n",
    4: "v = ex.q3.values\n"
       "answer = (basic_composition([v['epsilon']] * v['k'])[0],\n"
       "          advanced_composition(epsilon=v['epsilon'], delta=v['delta'], k=v['k'],\n"
       "                               delta_slack=v['delta_slack'])[0])\n",
    5: "def debias(reports, epsilon):\n"
       "    p = np.exp(epsilon) / (1 + np.exp(epsilon))\n"
       "    return (np.mean(reports) - (1 - p)) / (2 * p - 1)\n",
    6: "v = ex.q5.values\n"
       "epsilon = np.log(1 / (1 - v['confidence'])) / v['error']\n",
    7: "def dp_mean(values, lower, upper, epsilon, rng):\n"
       "    sensitivity = (upper - lower) / len(values)\n"
       "    return np.clip(values, lower, upper).mean() + rng.laplace(0, sensitivity / epsilon)\n",
    8: "def exp_probs(scores, sensitivity, epsilon):\n"
       "    w = np.exp(epsilon * (np.asarray(scores) - max(scores)) / (2 * sensitivity))\n"
       "    return w / w.sum()\n",
    9: "v = ex.q8.values\n"
       "e, d = v['epsilon'], v['delta']\n"
       "tpr = tuple(min(1.0, np.exp(e) * f + d, 1 - np.exp(-e) * (1 - d - f))\n"
       "            for f in (v['fpr_low'], v['fpr_high']))\n",
}
_COURSE_ANSWERS = {  # the solution notebook's literal answers, copied into a graded hand-out
    3: "sigma = analytic_gaussian_sigma(sensitivity=5.0, epsilon=1.0, delta=1e-6)\n",
    4: "answer = (basic_composition([0.1] * 20)[0],\n"
       "          advanced_composition(epsilon=0.1, delta=1e-7, k=20, delta_slack=1e-6)[0])\n",
    6: "epsilon = np.log(1 / 0.05) / 10\n",
    9: "tpr = tuple(min(1.0, np.exp(1.0) * f + 1e-5, 1 - np.exp(-1.0) * (1 - 1e-5 - f))\n"
       "            for f in (0.01, 0.5))\n",
}


def _graded_submission(worked_for: str, answers: dict[int, str]) -> str:
    from privlearn.handouts import student_version

    nb = student_version(nbformat.read(SOLUTION, as_version=4), graded=True)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert 'STUDENT = ""' in code[0].source
    code[0].source = code[0].source.replace('STUDENT = ""', f"STUDENT = {worked_for!r}")
    for i, answer in answers.items():
        src = code[i].source
        if "raise NotImplementedError" in src:  # a function: the whole def, then the check
            code[i].source = answer + "\n\n" + src.splitlines()[-1]
        else:
            code[i].source = src.replace("# YOUR CODE HERE\n", answer)
    return nbformat.writes(nb)


def test_a_graded_class_is_checked_against_each_students_numbers(tmp_path):
    from privlearn.grading import grade_folder

    folder = tmp_path / "class"
    work = {"alice": ("alice", _GRADED_ANSWERS),           # her own numbers: full marks
            "dave": (" DAVE ", _GRADED_ANSWERS),           # id spelled differently: the same
            "bob": ("alice", _GRADED_ANSWERS),             # alice's notebook, handed in by bob
            "carol": ("carol", {**_GRADED_ANSWERS, **_COURSE_ANSWERS}),  # the course's numbers
            "ex03b-erin": ("erin", _GRADED_ANSWERS),       # GitHub Classroom's folder name
            "grace": ("", _GRADED_ANSWERS)}                # no id: the notebook stops
    for student, (worked_for, answers) in work.items():
        (folder / student).mkdir(parents=True)
        (folder / student / "ex03b.ipynb").write_text(_graded_submission(worked_for, answers))
    (folder / "frank").mkdir()   # the self-study notebook, with the solution's answers
    (folder / "frank" / "ex03b.ipynb").write_text(SOLUTION.read_text())
    grades, complete = grade_folder(folder, tmp_path / "grades", workers=2,
                                    strip_prefix="ex03b-", graded=True)
    assert complete
    by = {g.student: g for g in grades}
    assert set(by) == {"alice", "dave", "bob", "carol", "erin", "frank", "grace"}
    status = {s: {q.question.split()[0]: q.status for q in g.questions} for s, g in by.items()}
    for honest in ("alice", "dave", "erin"):
        assert by[honest].points == by[honest].max_points == 8, by[honest]
        assert not by[honest].notes
    # the numbers questions (q2, q3, q5, q8) answer someone else's question; the functions
    # pass
    for copier in ("bob", "carol"):
        assert status[copier] == {"q1": CORRECT, "q2": INCORRECT, "q3": INCORRECT,
                                  "q4": CORRECT, "q5": INCORRECT, "q6": CORRECT,
                                  "q7": CORRECT, "q8": INCORRECT}, status[copier]
    assert by["bob"].notes == ["the notebook was worked for STUDENT 'alice'; graded as "
                               "student 'bob', against that student's numbers"]
    assert not by["carol"].notes
    # handing in the self-study notebook does not bring back the course's numbers
    assert status["frank"] == status["carol"]
    assert len(by["frank"].notes) == 1 and "not the graded hand-out" in by["frank"].notes[0]
    # without an id the graded notebook stops at its first cell: no course numbers either
    assert status["grace"] == {"q1": CORRECT, "q2": NOT_ATTEMPTED, "q3": NOT_ATTEMPTED,
                               "q4": CORRECT, "q5": NOT_ATTEMPTED, "q6": CORRECT,
                               "q7": CORRECT, "q8": NOT_ATTEMPTED}
    assert any("the notebook's STUDENT is '', not an id: its first cell raised" in n
               for n in by["grace"].notes)
