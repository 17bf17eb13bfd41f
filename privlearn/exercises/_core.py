"""The exercise API: ``q.check(answer)``, ``q.hint()``, ``q.solution()``, and
``q.assert_correct(answer)`` for nbgrader's test cells.

After Kaggle's learntools: a check ends in one of three states, printed as one line
and returned to code that asks (:meth:`Question.evaluate`):

* **not attempted**: the answer is still the placeholder (``None``, ``...``) or the
  student's function still raises ``NotImplementedError``;
* **incorrect**: with the reason, worded so the student knows what to look at next;
  a function that raises is incorrect, with its exception;
* **correct**: with the checks that passed ("these checks passed", never "all tests
  passed": a checker only knows what it checked).

A checker never sees the student's objects. A value answer reaches it as plain data
(:mod:`privlearn.exercises._plain`); a function answer as a :class:`StudentFunction`,
which sends arguments to the function as plain data and returns plain data. The same
checker therefore runs in the student's notebook (the function is called in-process)
and in the grader (the function is called in the sandboxed kernel that defined it,
:mod:`privlearn.grading`), and a grade never depends on code that ran next to the
student's.
"""

from __future__ import annotations

import copy
import os
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ._plain import PlainDataError, _Decoder, _Encoder, decode, encode
from ._variants import Params, normalise_student

__all__ = [
    "CORRECT",
    "INCORRECT",
    "NOT_ATTEMPTED",
    "Incorrect",
    "NotAttempted",
    "Question",
    "Result",
    "StudentFunction",
    "Text",
    "call_student",
    "language",
    "say",
]

NOT_ATTEMPTED = "not attempted"
INCORRECT = "incorrect"
CORRECT = "correct"

GRADING_ENV = "PRIVLEARN_GRADING"  # set in the grader's kernels: check() defers to the grader
LANGUAGE_ENV = "PRIVLEARN_LANGUAGE"  # "en" or "zh": the language of printed feedback
LANGUAGES = ("en", "zh")
_LANGUAGE: list[str | None] = [None]   # set by language(); None: decided as language() says


class Text(str):
    """A message in English (the string itself) that carries its Chinese version, ``zh``.

    Checkers raise ``Incorrect(say(english, chinese))`` and return ``say(...)``; a plain
    string is English only."""

    zh: str

    def __new__(cls, en: str, zh: str) -> Text:
        obj = super().__new__(cls, en)
        obj.zh = zh
        return obj


def say(en: str, zh: str) -> Text:
    """A checker's message in both languages (see :class:`Text`)."""
    if not isinstance(en, str) or not isinstance(zh, str):
        raise TypeError(f"say takes two strings, got {type(en).__name__} and "
                        f"{type(zh).__name__}")
    return Text(en, zh)


def _chinese(message: object) -> str | None:
    return getattr(message, "zh", None)


def language(code: str | None = None) -> str:
    """The language of printed feedback, hints and labels: ``"en"`` or ``"zh"``.

    ``language("zh")`` switches to Chinese for this kernel (``ex.language("zh")`` in a
    notebook). Unset, it follows the environment variable ``PRIVLEARN_LANGUAGE``, and
    otherwise the folder the kernel runs in: the Chinese edition's notebooks live in
    ``exercises/zh/`` (and ``notebooks/zh/``), and Jupyter starts their kernels there.
    """
    if code is not None:
        if code not in LANGUAGES:
            raise ValueError(f"code must be one of {LANGUAGES}, got {code!r}")
        _LANGUAGE[0] = code
        return code
    if _LANGUAGE[0] is not None:
        return _LANGUAGE[0]
    env = os.environ.get(LANGUAGE_ENV)
    if env in LANGUAGES:
        return env
    here = Path.cwd()
    return "zh" if "zh" in (here.name, here.parent.name) else "en"


_LABELS = {"en": {"correct": "Correct", "incorrect": "Incorrect",
                  "not attempted": "Not attempted"},
           "zh": {"correct": "正确", "incorrect": "错误", "not attempted": "未作答"}}


class Incorrect(Exception):
    """Raised by a checker: the answer is wrong, and the message says why."""


class NotAttempted(Exception):
    """Raised by a checker: the answer is still the placeholder."""


class AnswerUnreachable(Exception):
    """The process that holds a function answer stopped answering (the grader's kernel
    hung or died); never turned into a verdict by :meth:`Question.judge`."""


@dataclass(frozen=True)
class Result:
    """The outcome of one check."""

    exercise: str
    question: str
    status: str
    message: str
    message_zh: str | None = None   # the Chinese message, where the checker wrote one

    def __post_init__(self) -> None:
        if self.status not in (CORRECT, INCORRECT, NOT_ATTEMPTED):
            raise ValueError(f"status must be {CORRECT!r}, {INCORRECT!r} or {NOT_ATTEMPTED!r}, "
                             f"got {self.status!r}")

    def text(self, lang: str = "en") -> str:
        """The message in ``lang`` (English where no Chinese was written)."""
        return self.message_zh if lang == "zh" and self.message_zh else self.message

    def __str__(self) -> str:
        lang = language()
        return f"{_LABELS[lang][self.status]} ({self.question}): {self.text(lang)}"


def _message(exc: Exception) -> Text | str:
    """The message an Incorrect or NotAttempted was raised with, its Chinese kept."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], Text) else str(exc)


def is_placeholder(answer: Any) -> bool:
    """True for the blanks a student notebook starts with."""
    return answer is None or answer is Ellipsis


# ------------------------------------------------------------------ function answers


@dataclass(frozen=True)
class Call:
    """What one call of a student's function gave back, as plain data.

    ``value`` is the return value; ``args`` the arguments as they were after the call
    (a function that was meant to leave its inputs alone, or to train a model in place,
    is judged on them).
    """

    value: Any
    args: tuple


def run_batch(fn: Callable, batch: Any, *, keep_args: bool = True) -> list[dict]:
    """Call ``fn`` once per argument list of the encoded ``batch``; encoded outcomes.

    Runs next to the function (in the notebook, or in the grader's kernel). One decoder
    serves the whole batch, so a generator passed to every call is one generator. Stops
    at the first call that raises; its outcome says how (``kind``: ``"not_implemented"``,
    ``"exit"`` or ``"error"``). ``keep_args=False`` leaves out the arguments as they
    were after each call (8,000 draws do not need them; encoding them doubled the time).

    A batch is an encoded list of argument lists, or ``{"repeat": n, "args": encoded
    argument list}``: n calls with the same arguments, each given fresh copies (decoded
    anew; a generator among them stays one generator), sent once instead of n times.
    """
    decoder = _Decoder()
    if isinstance(batch, dict) and "repeat" in batch:
        times = batch["repeat"]
        if isinstance(times, bool) or not isinstance(times, int) or not 0 <= times <= 10**6:
            raise PlainDataError(f"a repeat count must be an int in [0, 10^6], got {times!r}")
        arg_lists = (decoder.decode(batch.get("args"), 0) for _ in range(times))
    else:
        arg_lists = decoder.decode(batch, 0)
        if not isinstance(arg_lists, list):
            raise PlainDataError("a batch is a list of argument lists")
    outcomes: list[dict] = []
    encoder = _Encoder()
    for args in arg_lists:
        if not isinstance(args, list):
            raise PlainDataError("a batch is a list of argument lists")
        try:
            value = fn(*args)
        except NotImplementedError:
            outcomes.append({"kind": "not_implemented"})
            break
        except SystemExit as exc:  # sys.exit() in an answer ends the answer, not the check
            outcomes.append({"kind": "exit", "message": repr(exc.code)[:200]})
            break
        except Exception as exc:  # the student's bug, reported rather than raised
            outcomes.append({"kind": "error", "type": type(exc).__name__,
                             "message": str(exc)[:500]})
            break
        outcomes.append({"kind": "value", "value": encoder.encode(value, 0),
                         "args": [encoder.encode(a, 0) for a in args] if keep_args else []})
    return outcomes


class StudentFunction:
    """A student's function, reached through plain data only.

    ``f(*args)`` returns the decoded return value; :meth:`call` also the arguments as
    they were afterwards; :meth:`map` makes many calls in one round trip. Arguments are
    encoded (:func:`privlearn.exercises._plain.encode`) and the function receives fresh
    copies. A call that raises ``NotImplementedError`` raises :class:`NotAttempted`; any
    other exception raises :class:`Incorrect` naming it.
    """

    def _run(self, batch: Any, keep_args: bool) -> list[dict]:  # encoded -> outcomes
        raise NotImplementedError

    def map(self, arg_lists: Sequence[Sequence[Any]]) -> list[Any]:
        """Return values of one call per argument list (a generator passed to several
        calls is one generator, as it would be in a loop)."""
        return [c.value for c in self.calls(arg_lists, keep_args=False)]

    def repeat(self, args: Sequence[Any], times: int) -> list[Any]:
        """Return values of ``times`` calls with the same arguments (fresh copies for
        each; a generator among them is one generator, drawn from call after call)."""
        batch = {"repeat": times, "args": encode(list(args))}
        return [c.value for c in self._parse(self._run(batch, False), times)]

    def call(self, *args: Any) -> Call:
        """One call: its return value and its arguments afterwards."""
        return self.calls([args])[0]

    def __call__(self, *args: Any) -> Any:
        return self.call(*args).value

    def calls(self, arg_lists: Sequence[Sequence[Any]], *,
              keep_args: bool = True) -> list[Call]:
        """One :class:`Call` per argument list (``args`` empty unless ``keep_args``)."""
        batch = encode([list(a) for a in arg_lists])
        return self._parse(self._run(batch, keep_args), len(arg_lists))

    def _parse(self, outcomes: Any, expected: int) -> list[Call]:
        if not isinstance(outcomes, list) or len(outcomes) > expected:
            raise Incorrect(say("your function's results could not be read",
                                "无法读取你的函数的结果"))
        decoder = _Decoder()
        calls: list[Call] = []
        for outcome in outcomes:
            kind = outcome.get("kind") if isinstance(outcome, dict) else None
            if kind == "not_implemented":
                raise NotAttempted(say("your function still raises NotImplementedError",
                                       "你的函数仍然抛出 NotImplementedError"))
            if kind == "exit":
                code = _text(outcome, 'message')
                raise Incorrect(say(f"your function called sys.exit({code})",
                                    f"你的函数调用了 sys.exit({code})"))
            if kind == "error":
                kind_, text = _text(outcome, 'type'), _text(outcome, 'message')
                raise Incorrect(say(f"your function raised {kind_}: {text}",
                                    f"你的函数抛出了 {kind_}：{text}"))
            if kind != "value" or not isinstance(outcome.get("args"), list):
                raise Incorrect(say("your function's results could not be read",
                                    "无法读取你的函数的结果"))
            try:
                value = decoder.decode(outcome.get("value"), 0)
                after = tuple(decoder.decode(a, 0) for a in outcome["args"])
            except PlainDataError as exc:
                raise Incorrect(say(f"your function's results could not be read: {exc}",
                                    f"无法读取你的函数的结果：{exc}")) from None
            calls.append(Call(value, after))
        if len(calls) != expected:
            raise Incorrect(say("your function's results could not be read",
                                "无法读取你的函数的结果"))
        return calls


def _text(outcome: dict, key: str) -> str:
    value = outcome.get(key)
    return value if isinstance(value, str) else "?"


class LocalFunction(StudentFunction):
    """A function defined in this process (the notebook's own check)."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def _run(self, batch: Any, keep_args: bool) -> list[dict]:
        return run_batch(self.fn, batch, keep_args=keep_args)

    def __repr__(self) -> str:
        return f"LocalFunction({getattr(self.fn, '__name__', self.fn)!r})"


def call_student(fn: StudentFunction, *args: Any) -> Any:
    """``fn(*args)``: the return value of one call of the student's function."""
    if not isinstance(fn, StudentFunction):
        raise TypeError(f"fn must be a StudentFunction, got {type(fn).__name__}")
    return fn(*args)


class Question:
    """One question of an exercise notebook.

    Parameters
    ----------
    exercise, name : str
        E.g. ``"ex03b"`` and ``"q1"``.
    title : str
        A few words that say what the question asks.
    answer : str
        The name the notebook binds the answer to (``"sigma"``, ``"laplace_mech"``); the
        grader reads it right after the question's answer cell.
    checker : callable
        ``checker(answer) -> str``, or ``checker(answer, values)`` when the question has
        ``params``: returns the "these checks passed" text, or raises
        :class:`Incorrect` / :class:`NotAttempted`. It receives plain data, or a
        :class:`StudentFunction` when ``function`` is true.
    hint, solution : str
        Text shown by :meth:`hint` and :meth:`solution` (``solution`` works the
        course's values).
    function : bool
        Whether the answer is a function.
    points : int
        What a correct answer is worth.
    params : Params, optional
        The question's numbers, which differ between students in a graded hand-out
        (:meth:`for_student`).
    """

    def __init__(self, exercise: str, name: str, *, title: str, answer: str,
                 checker: Callable[..., str], hint: str, solution: str,
                 function: bool = False, points: int = 1,
                 params: Params | None = None, hint_zh: str | None = None) -> None:
        for pname, v in (("exercise", exercise), ("name", name), ("title", title),
                         ("answer", answer), ("hint", hint), ("solution", solution)):
            if not isinstance(v, str):
                raise TypeError(f"{pname} must be a string, got {type(v).__name__}")
        if not answer.isidentifier():
            raise ValueError(f"answer must be a Python name, got {answer!r}")
        if not callable(checker):
            raise TypeError(f"checker must be callable, got {type(checker).__name__}")
        if not isinstance(function, bool):
            raise TypeError(f"function must be a bool, got {type(function).__name__}")
        if isinstance(points, bool) or not isinstance(points, int) or points < 1:
            raise ValueError(f"points must be an int >= 1, got {points!r}")
        if params is not None and not isinstance(params, Params):
            raise TypeError(f"params must be a Params, got {type(params).__name__}")
        self.exercise = exercise
        self.name = name
        self.title = title
        self.answer = answer
        self.function = function
        self.points = points
        self._checker = checker
        self._hint = textwrap.dedent(hint).strip()
        if hint_zh is not None and not isinstance(hint_zh, str):
            raise TypeError(f"hint_zh must be a string, got {type(hint_zh).__name__}")
        self._hint_zh = textwrap.dedent(hint_zh).strip() if hint_zh else None
        self._solution = textwrap.dedent(solution).strip()
        self.params = params
        self.student: str | None = None   # set on a graded student's copy
        self.values: Mapping[str, Any] = params.default if params else MappingProxyType({})

    def for_student(self, student: str) -> Question:
        """This question as ``student``'s graded hand-out asks it: with their values
        (:class:`~privlearn.exercises._variants.Params`) and without :meth:`solution`."""
        graded = copy.copy(self)
        graded.student = normalise_student(student)
        graded.values = self.values_for(student)
        return graded

    def values_for(self, student: str) -> Mapping[str, Any]:
        """The values ``student`` works in a graded hand-out."""
        if self.params is None:
            normalise_student(student)  # a bad id is refused all the same
            return MappingProxyType({})
        return self.params.for_student(self.exercise, self.name, student)

    @property
    def label(self) -> str:
        """``"q2 calibrate the Gaussian mechanism"``: how reports name the question."""
        return f"{self.name} {self.title}"

    def evaluate(self, answer: Any) -> Result:
        """Judge ``answer`` (an object of this process) against this question's values,
        without printing anything."""
        if is_placeholder(answer):
            return self._result(NOT_ATTEMPTED, say("replace the placeholder with your answer",
                                                   "请把占位符换成你的答案"))
        if self.function:
            if not callable(answer):
                kind = type(answer).__name__
                return self._result(INCORRECT, say(f"expected a function, got {kind}",
                                                   f"应当是一个函数，得到的是 {kind}"))
            return self.judge(LocalFunction(answer))
        return self.judge(decode(encode(answer)))

    def judge(self, answer: Any) -> Result:
        """Judge an answer already in checker form: plain data (decoded), or a
        :class:`StudentFunction` for a function question, against this question's
        values. The grader calls this (on :meth:`for_student`'s copy for a graded
        hand-out)."""
        if is_placeholder(answer):
            return self._result(NOT_ATTEMPTED, say("replace the placeholder with your answer",
                                                   "请把占位符换成你的答案"))
        try:
            passed = (self._checker(answer, self.values) if self.params is not None
                      else self._checker(answer))
        except NotAttempted as exc:
            return self._result(NOT_ATTEMPTED, _message(exc))
        except Incorrect as exc:
            return self._result(INCORRECT, _message(exc))
        except AnswerUnreachable:
            raise
        except Exception as exc:  # an answer of a form the checker did not foresee
            why = f"{type(exc).__name__}: {exc}"[:360]
            return self._result(INCORRECT, say(f"an answer of this form cannot be checked "
                                               f"({why})", f"无法检查这种形式的答案（{why}）"))
        if not isinstance(passed, str):  # a checker bug, not the student's
            raise TypeError(f"the checker of {self.exercise}.{self.name} must return the text "
                            f"of the checks that passed, got {type(passed).__name__}")
        return self._result(CORRECT, passed)

    def check(self, answer: Any) -> None:
        """Judge ``answer`` and print the verdict (in the grader's kernels: only say that
        the grader decides)."""
        if os.environ.get(GRADING_ENV):
            print(f"{self.name}: your answer is read and checked by the grader")
            return
        print(self.evaluate(answer))

    def assert_correct(self, answer: Any) -> None:
        """Raise :class:`AssertionError` with the verdict unless ``answer`` is correct.

        The test cells of an nbgrader assignment call this, so that nbgrader's autograde
        gives a question's points exactly when its check passes (a check that only
        printed would leave a blank notebook with full marks). In the grader's kernels
        it does nothing: the grader decides, outside."""
        if os.environ.get(GRADING_ENV):
            return
        result = self.evaluate(answer)
        if result.status != CORRECT:
            raise AssertionError(str(result))

    def hint(self) -> None:
        """Print a hint (in Chinese where :func:`language` says so and one is written)."""
        if language() == "zh" and self._hint_zh:
            print(f"提示（{self.name}）：{self._hint_zh}")
            return
        print(f"Hint ({self.name}): {self._hint}")

    def solution(self) -> None:
        """Print a worked solution (not in a graded hand-out)."""
        zh = language() == "zh"
        if self.student is not None:
            print(f"解答（{self.name}）：计分版 notebook 中不提供解答；可以用 "
                  f"`ex.{self.name}.hint()`。" if zh else
                  f"Solution ({self.name}): not available in a graded notebook; "
                  f"`ex.{self.name}.hint()` is.")
            return
        print(f"解答（{self.name}）：\n{self._solution}" if zh else
              f"Solution ({self.name}):\n{self._solution}")

    def show(self) -> None:
        """Print this question's values (in a graded hand-out: the student's own)."""
        if not self.values:
            print(f"{self.name} has no numbers of its own")
            return
        whose = f"student {self.student!r}" if self.student is not None else "the course"
        shown = ", ".join(f"{k} = {v!r}" for k, v in self.values.items())
        print(f"Your values for {self.name} ({whose}): {shown}")

    def _result(self, status: str, message: str) -> Result:
        return Result(self.exercise, self.label, status, str(message), _chinese(message))

    def __repr__(self) -> str:
        whose = f", student {self.student!r}" if self.student is not None else ""
        return f"Question({self.exercise}.{self.name}: {self.title}{whose})"
