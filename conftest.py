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

# privlearn.fl.flower imports Flower, an optional extra: without it (the README's plain
# set-up) its modules are not collected for doctests; .ci/run installs the extra and sets
# PRIVLEARN_REQUIRE_FLOWER=1, and then they must be collected.
collect_ignore = []
if (importlib.util.find_spec("flwr") is None
        and os.environ.get("PRIVLEARN_REQUIRE_FLOWER") != "1"):
    collect_ignore.append("privlearn/fl/flower")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "waits: the test mostly waits on processes of its own (a Flower "
                   "deployment); such tests are collected first")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``waits`` first, in their order: pytest-xdist hands files out in
    collection order, so the deployment tests start at once and overlap with the rest
    instead of running last, alone."""
    first = [item for item in items if item.get_closest_marker("waits")]
    if first:
        chosen = {id(item) for item in first}
        items[:] = first + [item for item in items if id(item) not in chosen]
