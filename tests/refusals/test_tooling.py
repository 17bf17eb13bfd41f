"""Bad input to the course's tooling: figures, the widget, the environment check, notebook
execution and the exercise API. A figure that silently drops or distorts its data, or a
checker that passes NaN, misleads as much as a wrong number."""

import importlib
import math
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from scipy import stats

from privlearn import course, environment, exercises, grading, handouts, plots, widgets
from privlearn.exercises import INCORRECT, Question, Result
from privlearn.exercises._checks import expect_close, expect_number, expect_sample_from
from privlearn.fl import FedAvgHistory

from ._cases import Case, check, ids

CASES = [
    Case("plots.show", "not a figure", lambda c: plots.show(None), TypeError,
         r"fig must be a matplotlib Figure", r"NoneType"),
    Case("plots.show", "dpi = 0", lambda c: plots.show(plots.pipeline(), dpi=0), ValueError,
         r"dpi must be an integer >= 10", r"got 0"),
    Case("plots.neighbour_histograms", "a negative epsilon (drawn with swapped bounds)",
         lambda c: plots.neighbour_histograms([1.0, 2.0], [1.5, 2.5], epsilon=-1.0, bins=4),
         ValueError, r"epsilon must be finite and > 0", r"got -1\.0"),
    Case("plots.neighbour_histograms", "NaN in the second sample (dropped before)",
         lambda c: plots.neighbour_histograms([1.0, 2.0], [1.5, math.nan], epsilon=1.0, bins=4),
         ValueError, r"out_d2 must hold only finite values", r"nan"),
    Case("plots.neighbour_histograms", "decreasing bin edges",
         lambda c: plots.neighbour_histograms([1.0], [1.5], epsilon=1.0, bins=[3.0, 1.0]),
         ValueError, r"bins must be a number of bins >= 1 or increasing bin edges",
         r"increasing"),
    Case("plots.privacy_region", "a TPR above 1",
         lambda c: plots.privacy_region({"test": ([0.0, 0.5], [0.0, 1.5])}, epsilon=1.0),
         ValueError, r"curves\['test'\] tpr must", r"1\.5"),
    Case("plots.privacy_region", "a negative delta",
         lambda c: plots.privacy_region({"test": ([0.0], [0.0])}, epsilon=1.0, delta=-0.1),
         ValueError, r"delta must be", r"got -0\.1"),
    Case("plots.composition_curves", "an xlabel that is not text",
         lambda c: plots.composition_curves([1, 2], {"a": [1.0, 2.0]}, title="t", xlabel=3),
         TypeError, r"xlabel must be a str", r"got int"),
    Case("plots.sigma_vs_epsilon", "delta = 2",
         lambda c: plots.sigma_vs_epsilon([0.5], [1.0], [1.0], delta=2), ValueError,
         r"delta must be finite and in \(0, 1\)", r"got 2\.0"),
    Case("plots.sigma_vs_epsilon", "one sigma too few",
         lambda c: plots.sigma_vs_epsilon([0.5, 1.0], [1.0, math.nan], [1.0], delta=1e-5),
         ValueError, r"analytic must have 2 values", r"got 1"),
    Case("plots.composition_curves", "curves as a list",
         lambda c: plots.composition_curves([1, 2], [[1, 2]], title="t"), TypeError,
         r"curves must be a dict", r"got list"),
    Case("plots.composition_curves", "k = 0 on a log axis (vanished before)",
         lambda c: plots.composition_curves([0, 2], {"a": [1, 2]}, title="t"), ValueError,
         r"ks must be > 0 \(the axis is logarithmic\)", r"got 0\.0"),
    Case("plots.laplace_accuracy_panel", "epsilon = 0 (ZeroDivisionError before)",
         lambda c: plots.laplace_accuracy_panel([0.0]), ValueError, r"epsilons must be > 0",
         r"got 0\.0"),
    Case("plots.label_distribution", "labels beyond num_classes (half the bars dropped)",
         lambda c: plots.label_distribution({"iid": [np.arange(4)]}, np.arange(4),
                                            num_classes=3), ValueError,
         r"labels must lie in 0\.\.2", r"got 0\.\.3"),
    Case("plots.label_distribution", "an index past the labels",
         lambda c: plots.label_distribution({"iid": [np.array([0, 9])]}, np.arange(4)),
         ValueError, r"partitions\['iid'\]\[0\] must hold indices into labels", r"0\.\.3"),
    Case("plots.accuracy_curves", "a target of 1.5",
         lambda c: plots.accuracy_curves({"a": FedAvgHistory(accuracy=[0.5])}, title="t",
                                         target=1.5), ValueError,
         r"target must be finite and in \[0, 1\]", r"got 1\.5"),
    Case("plots.accuracy_curves", "a list instead of histories",
         lambda c: plots.accuracy_curves([0.5], title="t"), TypeError,
         r"histories must be a non-empty dict", r"FedAvgHistory"),
    Case("plots.privacy_utility", "labels as one string (annotated letter by letter)",
         lambda c: plots.privacy_utility([1, 2, 3], [0.5, 0.6, 0.7], baseline=0.8, title="t",
                                         labels="abc"), TypeError,
         r"labels must be a list of labels", r"'abc'"),
    Case("plots.privacy_utility", "an accuracy of 80",
         lambda c: plots.privacy_utility([1.0], [80.0], baseline=0.8, title="t"), ValueError,
         r"accuracies must lie in \[0, 1\]", r"got 80\.0"),
    Case("plots.share_histograms", "bins = 0",
         lambda c: plots.share_histograms({"a": [0.1, 0.2]}, bins=0, title="t"), ValueError,
         r"bins must be an integer >= 1", r"got 0"),
    Case("plots.error_histograms", "infinity among the errors",
         lambda c: plots.error_histograms({"a": [1.0, math.inf]}, xlabel="x", title="t"),
         ValueError, r"samples\['a'\] must hold only finite values", r"inf"),
    Case("plots.bar_chart", "a negative bar (hidden below the axis before)",
         lambda c: plots.bar_chart(["a", "b"], [0.5, -0.2], ylabel="y", title="t"),
         ValueError, r"values must be >= 0", r"-0\.2"),
    Case("plots.bar_chart", "a format that names a field",
         lambda c: plots.bar_chart(["a"], [0.5], ylabel="y", title="t", fmt="{x}"),
         ValueError, r"fmt must format one number", r"'\{x\}'"),
    Case("plots.image_grid", "0..255 pixels (clipped to 1 before)",
         lambda c: plots.image_grid({"x": np.full(64, 255.0)}), ValueError,
         r"images\['x'\] must hold pixel values in \[0, 1\]", r"255\.0"),
    Case("plots.image_grid", "the wrong number of pixels",
         lambda c: plots.image_grid({"x": torch.zeros(63)}), ValueError,
         r"images\['x'\] has 63 pixels", r"\(8, 8\) needs 64"),
    Case("plots.membership_roc", "one array instead of an (fpr, tpr) pair",
         lambda c: plots.membership_roc({"a": np.linspace(0, 1, 5)}), TypeError,
         r"curves\['a'\] must be an \(fpr, tpr\) pair", r"ndarray"),
    Case("plots.membership_roc", "TPR given in percent",
         lambda c: plots.membership_roc({"a": ([0.0, 0.5, 1.0], [0.0, 60.0, 100.0])}),
         ValueError, r"curves\['a'\] tpr must lie in \[0, 1\]", r"60\.0"),
    Case("plots.membership_roc", "fpr and tpr of different lengths",
         lambda c: plots.membership_roc({"a": ([0.1, 1.0], [0.2, 0.5, 1.0])}), ValueError,
         r"curves\['a'\] tpr must have 2 values", r"got 3"),
    Case("plots.error_vs_epsilon", "a curve with NaN (a blank line before)",
         lambda c: plots.error_vs_epsilon([1.0, 2.0], {"n": [0.1, math.nan]}, title="t"),
         ValueError, r"curves\['n'\] must hold only finite values", r"nan"),
    Case("widgets.epsilon_slider", "sensitivity = 0 (a meaningless panel before)",
         lambda c: widgets.epsilon_slider(sensitivity=0), ValueError,
         r"sensitivity must be finite and > 0", r"got 0\.0"),
    Case("environment.gmpy2_speedup", "repeats = 0",
         lambda c: environment.gmpy2_speedup(repeats=0), ValueError,
         r"repeats must be an integer >= 1", r"got 0"),
    Case("environment.gmpy2_speedup", "bits = 1",
         lambda c: environment.gmpy2_speedup(bits=1), ValueError,
         r"bits must be an integer >= 64", r"got 1"),
    Case("handouts.student_version", "a path instead of a notebook",
         lambda c: handouts.student_version("ex.ipynb"), TypeError,
         r"solution must be an nbformat NotebookNode", r"got str"),
    Case("handouts.student_version", "graded given as a string",
         lambda c: handouts.student_version(nbformat.v4.new_notebook(), graded="yes"),
         TypeError, r"graded must be a bool", r"got str"),
    Case("course.build_exercises", "graded hand-outs over the self-study ones",
         lambda c: course.build_exercises(graded=True), ValueError,
         r"out_dir must be given for graded hand-outs", r"exercises/"),
    Case("exercises.graded", "an empty student id",
         lambda c: exercises.graded("ex03b", " "), ValueError,
         r"student must be a non-empty id", r"got ' '"),
    Case("exercises.graded", "an exercise that does not exist",
         lambda c: exercises.graded("ex99", "alice"), ValueError,
         r"exercise must be one of", r"got 'ex99'"),
    Case("exercises.Handout", "a student id that is not a string",
         lambda c: exercises.Handout(importlib.import_module("privlearn.exercises.ex03b"), 42),
         TypeError,
         r"student must be a string", r"got int"),
    Case("course.run_notebook", "a directory that does not exist",
         lambda c: course.run_notebook(nbformat.v4.new_notebook(), cwd=Path("/no/such/dir")),
         ValueError, r"cwd must be an existing directory", r"/no/such/dir"),
    Case("course.run_notebook", "timeout = 0",
         lambda c: course.run_notebook(nbformat.v4.new_notebook(), cwd=Path("."), timeout=0),
         ValueError, r"timeout must be an integer >= 1", r"got 0"),
    Case("course.execute_notebook", "None as the path",
         lambda c: course.execute_notebook(None), TypeError,
         r"path must be a path to a notebook", r"NoneType"),
    Case("exercises.Question", "a checker that is not callable",
         lambda c: Question("ex", "q1", title="t", answer="a", checker=None, hint="h",
                           solution="s"),
         TypeError, r"checker must be callable", r"NoneType"),
    Case("exercises.Question", "a hint that is not text",
         lambda c: Question("ex", "q1", title="t", answer="a", checker=str, hint=None,
                           solution="s"),
         TypeError, r"hint must be a string", r"NoneType"),
    Case("exercises.Question", "an answer name that is not a Python name",
         lambda c: Question("ex", "q1", title="t", answer="my answer", checker=str,
                            hint="h", solution="s"),
         ValueError, r"answer must be a Python name", r"'my answer'"),
    Case("exercises.Question", "zero points",
         lambda c: Question("ex", "q1", title="t", answer="a", checker=str, hint="h",
                            solution="s", points=0),
         ValueError, r"points must be an int >= 1", r"got 0"),
    Case("exercises.Question", "params given as a plain dict",
         lambda c: Question("ex", "q1", title="t", answer="a", checker=str, hint="h",
                            solution="s", params={"k": 1}),
         TypeError, r"params must be a Params", r"got dict"),
    Case("exercises.Question", "a student id that is not a string",
         lambda c: importlib.import_module("privlearn.exercises.ex03b").q2.for_student(None),
         TypeError, r"student must be a string", r"got NoneType"),
    Case("exercises.questions", "an exercise id that is not one of the course's",
         lambda c: exercises.questions("os"), ValueError, r"exercise must be one of",
         r"'os'"),
    Case("grading.grade_notebook", "graded given as a string",
         lambda c: grading.grade_notebook(b"{}", student="s", notebook="n", graded="yes"),
         TypeError, r"graded must be a bool", r"got str"),
    Case("grading.grade_folder", "graded given as a string",
         lambda c: grading.grade_folder(Path("."), Path("out"), graded="yes"), TypeError,
         r"graded must be a bool", r"got str"),
    Case("grading.student_of", "a prefix that is not text",
         lambda c: grading.student_of(Path("a/x.ipynb"), strip_prefix=3), TypeError,
         r"strip_prefix must be a string", r"got int"),
    Case("grading.grade_notebook", "a path instead of the notebook's bytes",
         lambda c: grading.grade_notebook("ex.ipynb", student="s", notebook="n"), TypeError,
         r"data must be the bytes of a notebook file", r"got str"),
    Case("grading.grade_notebook", "a zero cell time limit",
         lambda c: grading.grade_notebook(b"{}", student="s", notebook="n", cell_timeout=0),
         ValueError, r"cell_timeout must be", r"got 0"),
    Case("grading.grade_folder", "a folder that does not exist",
         lambda c: grading.grade_folder(Path("/no/such/dir"), Path("out")), ValueError,
         r"folder must be a folder of notebooks", r"/no/such/dir"),
    Case("grading.grade_folder", "no workers",
         lambda c: grading.grade_folder(Path("."), Path("out"), workers=0), ValueError,
         r"workers must be an integer >= 1", r"got 0"),
    Case("grading.find_notebooks", "a file instead of a folder",
         lambda c: grading.find_notebooks(Path("/no/such/dir")), ValueError,
         r"folder must be an existing folder", r"/no/such/dir"),
    Case("grading.student_of", "an absolute path",
         lambda c: grading.student_of(Path("/tmp/a.ipynb")), ValueError,
         r"relative must be a notebook's path relative", r"/tmp/a.ipynb"),
    Case("exercises.Result", "an unknown status (KeyError when printed before)",
         lambda c: Result("ex", "q1", "wrong", "m"), ValueError, r"status must be",
         r"'wrong'"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_refused(case, ctx):
    check(case, ctx)


def test_a_checker_that_returns_no_text_is_a_checker_bug():
    q = Question("ex", "q1", title="t", answer="a", checker=lambda a: None, hint="h",
                 solution="s")
    with pytest.raises(TypeError, match="must return the text of the checks"):
        q.evaluate(1.0)


@pytest.mark.parametrize("sample", [np.full(500, np.nan), np.array([]),
                                    np.where(np.arange(500) % 3 == 0, np.nan,
                                             stats.laplace().rvs(500, random_state=0)),
                                    np.zeros((50, 10))])
def test_sample_checks_fail_on_nan_empty_or_misshapen_draws(sample):
    """A NaN sample used to pass (the KS p-value was NaN, and NaN < p_min is False)."""
    q = Question("ex", "q1", title="t", answer="a", hint="h", solution="s",
                 checker=lambda s: (expect_sample_from(s, stats.laplace(), "the draws"),
                                    "passed")[1])
    assert q.evaluate(sample).status == INCORRECT


@pytest.mark.parametrize("answer", [np.array(["2"]), np.array(True), np.array([2 + 1j]),
                                    np.array([None], dtype=object), 10**400])
def test_numbers_that_are_not_numbers(answer):
    q = Question("ex", "q1", title="t", answer="a", hint="h", solution="s",
                 checker=lambda a: f"{expect_number(a, 'the answer'):g}")
    assert q.evaluate(answer).status == INCORRECT


def test_a_one_element_tensor_is_a_number_and_zero_is_comparable():
    assert expect_number(torch.tensor(2.0), "x") == 2.0
    assert expect_number(np.array([2.5]), "x") == 2.5
    from privlearn.exercises._core import Incorrect
    with pytest.raises(Incorrect, match=r"not right \(to 4 significant digits\)$"):
        expect_close(0.5, 0.0, "x")  # ZeroDivisionError before; no hint of the value now
    with pytest.raises(ValueError, match="digits must be an integer >= 1"):
        expect_close(0.5, 0.5, "x", digits=0)
