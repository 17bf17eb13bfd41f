"""The shape of a refusal case, shared by the modules of this package."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest


@dataclass(frozen=True)
class Case:
    """``call(ctx)`` must raise ``exc`` with a message matching ``names`` (the parameter or
    the quantity refused) and ``value`` (the offending value), both regular expressions."""

    entry: str            # the public entry point, as "package.name"
    what: str             # the bad input, in words (the test id)
    call: Callable[[SimpleNamespace], object]
    exc: type[BaseException]
    names: str
    value: str

    @property
    def id(self) -> str:
        return f"{self.entry}: {self.what}"


def check(case: Case, ctx: SimpleNamespace) -> None:
    with pytest.raises(case.exc) as info:
        case.call(ctx)
    message = str(info.value)
    assert re.search(case.names, message), f"{message!r} does not name {case.names!r}"
    assert re.search(case.value, message), f"{message!r} does not show {case.value!r}"


def ids(cases: list[Case]) -> list[str]:
    return [c.id for c in cases]
