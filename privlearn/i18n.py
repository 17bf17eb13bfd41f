"""The Chinese edition: translation catalogues, and the notebooks built from them.

The English notebooks are the source. For each notebook of ``notebooks/`` and
``exercises/solutions/``, ``i18n/zh/<name>.json`` maps each markdown cell's id to its
English text (as gettext keeps its msgid), a SHA-256 of that text, and the Chinese
translation::

    {"cells": {"cell-000": {"sha256": "...", "en": "# 3.1 Federated learning ...",
                            "zh": "# 3.1 联邦学习 ..."}}}

:func:`build_translations` writes ``notebooks/zh/``, ``exercises/zh/solutions/`` and the
students' ``exercises/zh/`` (:func:`privlearn.handouts.student_version` of the Chinese
solution): the English notebook's code cells and committed outputs unchanged, its markdown
in Chinese, ``metadata.language = "zh"``. It refuses a notebook whose catalogue misses a
markdown cell or translates an older English text (the hash differs), so the two editions
cannot drift apart silently; :func:`status` says which cells need work, and
:func:`template` writes a catalogue to fill in. The code being identical, the Chinese
notebooks need no nbval pass of their own (tests/test_i18n.py checks that they are what the
build writes and that their code and outputs are the English ones).

A notebook being translated may wait in :data:`PENDING`; the build skips it (none does
now). The exercises' feedback is bilingual in the checkers themselves
(:func:`privlearn.exercises._core.say`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import nbformat

from .handouts import student_version

__all__ = ["CATALOGUES", "PENDING", "build_translations", "catalogue_path",
           "expected_translations", "sha256", "sources", "status", "template", "translate"]

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "i18n" / "zh"

#: notebooks whose Chinese edition is not written yet (by stem); empty: every notebook has one
PENDING: frozenset[str] = frozenset()


def sha256(text: str) -> str:
    """The hash a catalogue keeps of the English text it translates."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sources() -> list[Path]:
    """The English notebooks with a Chinese edition: the chapters and the solutions."""
    return sorted(p.resolve() for p in (ROOT / "notebooks").glob("*.ipynb")) + sorted(
        p.resolve() for p in (ROOT / "exercises" / "solutions").glob("*.ipynb"))


def _source(source) -> Path:
    if not isinstance(source, (str, Path)):
        raise TypeError(f"source must be the path of an English notebook, got "
                        f"{type(source).__name__}")
    path = Path(source).resolve()
    if path not in sources():
        raise ValueError(f"source must be one of the English notebooks (notebooks/*.ipynb, "
                         f"exercises/solutions/*.ipynb), got {source}")
    return path


def catalogue_path(source: Path) -> Path:
    """``i18n/zh/<name>.json`` for an English notebook."""
    return CATALOGUES / f"{_source(source).stem}.json"


def _markdown(nb: nbformat.NotebookNode) -> dict[str, str]:
    return {c.id: c.source for c in nb.cells if c.cell_type == "markdown"}


def _read_catalogue(path: Path) -> dict[str, dict]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, dict):
        raise ValueError(f"{path} must be a JSON object with a 'cells' object")
    return cells


def status(source: Path) -> dict[str, list[str]]:
    """Which markdown cells of ``source`` are ``missing`` from its catalogue, translate an
    older English text (``stale``), or are in the catalogue but not the notebook
    (``unknown``); all three empty means the Chinese edition can be built."""
    source = _source(source)
    nb = nbformat.read(source, as_version=4)
    english = _markdown(nb)
    path = catalogue_path(source)
    entries = _read_catalogue(path) if path.exists() else {}
    missing = [i for i in english if not (entries.get(i) or {}).get("zh", "").strip()]
    stale = [i for i, text in english.items() if i in entries and i not in missing and (
        entries[i].get("sha256") != sha256(text) or entries[i].get("en") != text)]
    unknown = [i for i in entries if i not in english]
    return {"missing": missing, "stale": stale, "unknown": unknown}


def translate(source: Path) -> nbformat.NotebookNode:
    """The Chinese edition of ``source``: its markdown from the catalogue, everything else
    as it is, ``metadata.language = "zh"``; refused while the catalogue is incomplete."""
    source = _source(source)
    problems = status(source)
    if any(problems.values()):
        raise ValueError(f"{catalogue_path(source).name} is not ready for {Path(source).name}: "
                         + "; ".join(f"{k} {v}" for k, v in problems.items() if v))
    entries = _read_catalogue(catalogue_path(source))
    nb = copy.deepcopy(nbformat.read(source, as_version=4))
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = entries[cell.id]["zh"]
    nb.metadata["language"] = "zh"
    return nb


def _targets(source: Path) -> list[tuple[Path, nbformat.NotebookNode]]:
    zh = translate(source)
    if source.parent.name == "solutions":
        return [(ROOT / "exercises" / "zh" / "solutions" / source.name, zh),
                (ROOT / "exercises" / "zh" / source.name, student_version(zh))]
    return [(ROOT / "notebooks" / "zh" / source.name, zh)]


def build_translations() -> list[Path]:
    """Write the Chinese edition of every notebook not in :data:`PENDING` (see the module
    docstring); returns the paths written."""
    written = []
    for source in sources():
        if source.stem in PENDING:
            continue
        for path, nb in _targets(source):
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            written.append(path)
    return written


def expected_translations() -> dict[Path, nbformat.NotebookNode]:
    """What :func:`build_translations` would write, in memory (for the sync tests)."""
    return {path: nb for source in sources() if source.stem not in PENDING
            for path, nb in _targets(source)}


def template(source: Path) -> Path:
    """Write (or bring up to date) ``source``'s catalogue: every markdown cell with its
    English text and hash and an empty ``zh`` to fill in. A fresh translation is kept; one
    whose English changed since is emptied, its old text kept as ``zh_before``."""
    source = _source(source)
    nb = nbformat.read(source, as_version=4)
    path = catalogue_path(source)
    entries = _read_catalogue(path) if path.exists() else {}
    cells = {}
    for cell_id, text in _markdown(nb).items():
        old = entries.get(cell_id, {})
        if old.get("zh") and old.get("sha256") == sha256(text):
            cells[cell_id] = old
        else:   # new, or the English changed: to translate again, the old one kept to start
            cells[cell_id] = {"sha256": sha256(text), "en": text, "zh": "",
                              **({"zh_before": old["zh"]} if old.get("zh") else {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells}, ensure_ascii=False, indent=1) + "\n",
                    encoding="utf-8")
    return path
