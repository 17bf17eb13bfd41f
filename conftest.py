"""Shared test set-up.

Importing matplotlib here builds its font cache (on a fresh machine) before nbval runs
the first notebook; otherwise the notebook's first figure would print "Matplotlib is
building the font cache" to stderr and fail the output comparison.
"""

import matplotlib
import matplotlib.font_manager

matplotlib.use("Agg")

import importlib.util
import os
import re

import pytest

# privlearn.fl.flower imports Flower, an optional extra: without it (the README's plain
# set-up) its modules are not collected for doctests; .ci/run installs the extra and sets
# PRIVLEARN_REQUIRE_FLOWER=1, and then they must be collected.
collect_ignore = ["notebooks/zh", "exercises/zh"]   # the Chinese edition: the English code
# and outputs, checked by tests/test_i18n.py without a second nbval pass
if (importlib.util.find_spec("flwr") is None
        and os.environ.get("PRIVLEARN_REQUIRE_FLOWER") != "1"):
    collect_ignore.append("privlearn/fl/flower")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "waits: the test mostly waits on processes of its own (a Flower "
                   "deployment); such tests are collected first")


# A notebook cell whose first line is "# needs: MODULE [MODULE ...]" uses an optional extra:
# its output is compared where the extra is installed (always in CI, which installs the
# extras and sets the variables below) and the cell is skipped where it is not, since there
# it prints that it skipped instead. Nothing later in the notebook may depend on such a cell.
_NEEDS = re.compile(r"# needs: ([\w ]+)")
_REQUIRED = {"tenseal": "PRIVLEARN_REQUIRE_CKKS", "opacus": "PRIVLEARN_REQUIRE_CROSSCHECK",
             "dp_accounting": "PRIVLEARN_REQUIRE_CROSSCHECK"}


def _missing_extra(item) -> str | None:
    cell = getattr(item, "cell", None)  # nbval's notebook cells
    match = _NEEDS.match(getattr(cell, "source", "") or "")
    if match is None:
        return None
    missing = [m for m in match[1].split() if importlib.util.find_spec(m) is None
               and os.environ.get(_REQUIRED.get(m, "")) != "1"]  # required: let it fail
    return ", ".join(missing) or None


def pytest_collection_modifyitems(config, items):
    """Tests marked ``waits`` first, in their order: pytest-xdist hands files out in
    collection order, so the deployment tests start at once and overlap with the rest
    instead of running last, alone. Notebook cells that need a missing extra are skipped."""
    for item in items:
        module = _missing_extra(item)
        if module is not None:
            item.add_marker(pytest.mark.skip(reason=f"{module} is not installed"))
    first = [item for item in items if item.get_closest_marker("waits")]
    if first:
        chosen = {id(item) for item in first}
        items[:] = first + [item for item in items if id(item) not in chosen]
