"""Course tooling: execute notebooks deterministically, generate student notebooks.

``python -m privlearn.course execute [PATH ...]``
    Re-execute notebooks in place (default: every notebook under ``notebooks/`` and
    ``exercises/solutions/``), so that the committed outputs are exactly what the code
    produces. Executing twice in a row changes nothing: timings are not recorded,
    widget model ids are renumbered in order of appearance, and the kernel runs with
    ``PYTHONHASHSEED=0``.

``python -m privlearn.course build-exercises [--graded --out-dir DIR]``
    Regenerate the student notebooks ``exercises/exNN_*.ipynb`` from the solutions in
    ``exercises/solutions/`` (:mod:`privlearn.handouts`): each block between
    ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes ``# YOUR CODE HERE``, and
    outputs are cleared. With ``--graded``, write graded hand-outs to ``DIR``: each
    student works their own numbers, without summaries or solutions.

``python -m privlearn.course build-translations``
    Write the Chinese edition (``notebooks/zh/``, ``exercises/zh/``) from the catalogues in
    ``i18n/zh/`` (:mod:`privlearn.i18n`); refused while a catalogue misses a cell or
    translates an older English text.

``python -m privlearn.course translation-template PATH ...``
    Write or update the catalogues of these English notebooks, and print what each still
    needs (missing, stale and unknown cells).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat

from ._validation import check_bool, check_int
from .handouts import student_version

__all__ = ["ROOT", "build_exercises", "execute_notebook", "run_notebook"]

ROOT = Path(__file__).resolve().parent.parent
# a widget model id: 32 hex digits, not inside a run of base64 (PNG data)
_MODEL_ID = re.compile(r"(?<![0-9A-Za-z+/=])[0-9a-f]{32}(?![0-9A-Za-z+/=])")


def _kernel_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    env.pop("MPLBACKEND", None)
    env.update(extra or {})
    return env


def run_notebook(nb: nbformat.NotebookNode, *, cwd: Path, timeout: int = 600,
                 allow_errors: bool = False, env: dict[str, str] | None = None
                 ) -> nbformat.NotebookNode:
    """Execute ``nb`` in a fresh ``python3`` kernel started in ``cwd``; return it."""
    from nbclient import NotebookClient

    if not isinstance(nb, nbformat.NotebookNode):
        raise TypeError(f"nb must be an nbformat NotebookNode, got {type(nb).__name__}")
    if not isinstance(cwd, (str, Path)) or not Path(cwd).is_dir():
        raise ValueError(f"cwd must be an existing directory, got {cwd!r}")
    timeout = check_int("timeout", timeout, low=1)
    allow_errors = check_bool("allow_errors", allow_errors)
    if env is not None and not (isinstance(env, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in env.items())):
        raise TypeError(f"env must be a dict of str -> str or None, got {env!r}")

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            allow_errors=allow_errors, record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute(env=_kernel_env(env))
    return nb


def _normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Make an executed notebook independent of the run: fixed ids, no volatile metadata."""
    if not nb.metadata.get("widgets"):
        nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams(cell.outputs)
    text = nbformat.writes(nb)
    mapping = {old: f"{i + 1:032x}" for i, old in enumerate(_widget_ids_in_order(nb))}
    if mapping:
        text = _MODEL_ID.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)
    return nbformat.reads(text, as_version=4)


def _coalesce_streams(outputs: list) -> list:
    """Join consecutive stdout (or stderr) chunks: how the kernel split them is timing."""
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            prev["text"] = prev["text"] + out["text"]
        else:
            merged.append(out)
    return merged


def _widget_ids_in_order(nb: nbformat.NotebookNode) -> list[str]:
    """Widget model ids in an order that does not depend on the ids themselves.

    Depth first from the views in the cell outputs, following references in each
    model's state with its keys sorted; models no view reaches come last, ordered by
    their state with the ids masked.
    """
    state = nb.metadata.get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    order: list[str] = []
    seen: set[str] = set()

    def visit(model_id: str) -> None:
        if model_id in seen:
            return
        seen.add(model_id)
        order.append(model_id)
        model = state.get(model_id)
        if model is not None:
            for ref in _MODEL_ID.findall(json.dumps(model, sort_keys=True)):
                visit(ref)

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                visit(view["model_id"])
    masked = {m: _MODEL_ID.sub("?", json.dumps(state[m], sort_keys=True)) for m in state}
    for model_id in sorted(state, key=lambda m: masked[m]):
        visit(model_id)
    return order


def execute_notebook(path: Path) -> None:
    """Execute the notebook at ``path`` in place (see the module doc)."""
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a path to a notebook, got {type(path).__name__}")
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    run_notebook(nb, cwd=path.parent)
    nbformat.write(_normalise(nb), path)


def default_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
        (ROOT / "exercises" / "solutions").glob("*.ipynb"))


def build_exercises(out_dir: Path | None = None, *, graded: bool = False) -> list[Path]:
    """Write ``<out_dir>/<name>.ipynb`` for every ``exercises/solutions/<name>.ipynb``
    (:func:`privlearn.handouts.student_version`); ``out_dir`` defaults to ``exercises/``
    for self-study hand-outs and must be given for graded ones."""
    if graded and out_dir is None:
        raise ValueError("out_dir must be given for graded hand-outs (exercises/ holds the "
                         "self-study ones)")
    out_dir = ROOT / "exercises" if out_dir is None else Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sorted((ROOT / "exercises" / "solutions").glob("*.ipynb")):
        dst = out_dir / src.name
        nbformat.write(student_version(nbformat.read(src, as_version=4), graded=graded), dst)
        written.append(dst)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m privlearn.course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("execute", help="re-execute notebooks in place")
    ex.add_argument("paths", nargs="*", type=Path)
    build = sub.add_parser("build-exercises", help="regenerate student notebooks from "
                                                   "solutions")
    build.add_argument("--graded", action="store_true",
                       help="graded hand-outs: per-student numbers, no summaries or solutions")
    build.add_argument("--out-dir", type=Path, default=None,
                       help="where to write them (default exercises/; required with --graded)")
    sub.add_parser("build-translations", help="write notebooks/zh/ and exercises/zh/ from "
                                              "i18n/zh/")
    tmpl = sub.add_parser("translation-template", help="write or update translation "
                                                       "catalogues to fill in")
    tmpl.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command in ("build-translations", "translation-template"):
        from . import i18n

        if args.command == "build-translations":
            for path in i18n.build_translations():
                print(f"wrote {path}", file=sys.stderr)
        else:
            for source in args.paths:
                print(f"{i18n.template(source)}: {i18n.status(source)}", file=sys.stderr)
        return 0
    if args.command == "execute":
        for path in args.paths or default_notebooks():
            print(f"executing {path}", file=sys.stderr, flush=True)
            execute_notebook(path)
        if not args.paths:
            build_exercises()
    else:
        if args.graded and args.out_dir is None:
            parser.error("--graded needs --out-dir (exercises/ holds the self-study "
                         "notebooks)")
        for path in build_exercises(args.out_dir, graded=args.graded):
            print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
