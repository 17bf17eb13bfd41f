"""The Chinese edition stays in step with the English source (privlearn.i18n): every
catalogue complete and fresh for the notebooks not pending, the generated notebooks exactly
what the build writes, their code and outputs the English ones, and the glossary's terms used
where the English uses the concept."""

import json
import re
import shutil

import nbformat
import pytest

from privlearn import i18n
from privlearn.course import ROOT

READY = [s for s in i18n.sources() if s.stem not in i18n.PENDING]
GLOSSARY = json.loads((i18n.CATALOGUES / "glossary.json").read_text(encoding="utf-8"))["terms"]


def test_pending_names_real_notebooks_and_nothing_else_is_unfinished():
    stems = {s.stem for s in i18n.sources()}
    assert i18n.PENDING <= stems
    assert READY, "at least one notebook is translated"


@pytest.mark.parametrize("source", READY, ids=lambda p: p.stem)
def test_catalogue_is_complete_and_fresh(source):
    assert i18n.status(source) == {"missing": [], "stale": [], "unknown": []}


def test_generated_notebooks_are_what_the_build_writes():
    expected = i18n.expected_translations()
    on_disk = set((ROOT / "notebooks" / "zh").glob("*.ipynb")) | set(
        (ROOT / "exercises" / "zh").rglob("*.ipynb"))
    assert on_disk == set(expected), "run: python -m privlearn.course build-translations"
    for path, nb in expected.items():
        assert json.loads(path.read_text(encoding="utf-8")) == json.loads(nbformat.writes(nb))


@pytest.mark.parametrize("source", READY, ids=lambda p: p.stem)
def test_code_and_outputs_are_the_english_ones(source):
    english = nbformat.read(source, as_version=4)
    chinese = i18n.translate(source)
    assert [c.id for c in chinese.cells] == [c.id for c in english.cells]
    assert chinese.metadata["language"] == "zh"
    for en, zh in zip(english.cells, chinese.cells, strict=True):
        assert en.cell_type == zh.cell_type
        if en.cell_type == "code":
            assert (en.source, en.outputs) == (zh.source, zh.outputs)
        else:
            assert re.search(r"[\u4e00-\u9fff]", zh.source), en.source[:60]


@pytest.mark.parametrize("source", READY, ids=lambda p: p.stem)
def test_glossary_terms_are_used(source):
    entries = json.loads(i18n.catalogue_path(source).read_text(encoding="utf-8"))["cells"]
    for cell_id, entry in entries.items():
        for term in GLOSSARY:
            if re.search(term["en"], entry["en"], re.IGNORECASE):
                assert term["zh"] in entry["zh"], (cell_id, term)


def test_a_changed_english_cell_stops_the_build(tmp_path, monkeypatch):
    """Edit one English markdown cell: its translation is stale, and the build refuses."""
    source = READY[0]
    copy = tmp_path / "notebooks" / source.name
    copy.parent.mkdir()
    nb = nbformat.read(source, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    first.source += "\n\nOne more English sentence."
    nbformat.write(nb, copy)
    catalogues = tmp_path / "i18n"
    catalogues.mkdir()
    shutil.copy(i18n.catalogue_path(source), catalogues / f"{source.stem}.json")
    monkeypatch.setattr(i18n, "ROOT", tmp_path)
    monkeypatch.setattr(i18n, "CATALOGUES", catalogues)
    assert i18n.status(copy)["stale"] == [first.id]
    with pytest.raises(ValueError, match=rf"not ready for {source.name}: stale \['{first.id}'\]"):
        i18n.translate(copy)
    i18n.template(copy)                      # the translator's starting point
    entry = json.loads((catalogues / f"{source.stem}.json").read_text())["cells"][first.id]
    assert entry["zh"] == "" and entry["zh_before"] and entry["en"] == first.source
    assert i18n.status(copy)["missing"] == [first.id]
