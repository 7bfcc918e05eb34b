"""`intimacy-graph import VAULT` and `export --notes DIR`: a vault survives a round trip.

Real Oxigraph stores on disk; the CLI through click's runner. The round trip compares the
note graphs and the registry as RDF graphs, leaving out only what legitimately differs
(:data:`intimacy_graph.vault.ROUND_TRIP_EXCLUDED`: ``ig:markdown``, ``ig:contentHash``,
``dcterms:modified``, ``prov:wasGeneratedBy`` (run IRIs), ``dcterms:source`` (the exported file
is named after the title) and ``ig:sourceLine`` (the rendered layout; checked separately: every
line number points at its label in the exported file)).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bench import synth
from click.testing import CliRunner, Result
from rdflib import RDFS, Literal, URIRef

from intimacy_graph.cli import main
from intimacy_graph.namespaces import IG, PROV, Iris
from intimacy_graph.store import OxigraphStore
from intimacy_graph.vault import (
    ROUND_TRIP_EXCLUDED,
    export_notes,
    import_vault,
    note_graphs,
    round_trip_graph,
    safe_file_name,
    vault_files,
)

from .conftest import SEED

VALID = Path(__file__).parent / "data" / "notes" / "valid"
BROKEN = Path(__file__).parent / "data" / "notes" / "broken"
IRIS = Iris()


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def make_vault(root: Path, *notes: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for note in notes:
        shutil.copy(note, root / note.name)
    return root


def synthetic_vault(root: Path, n_notes: int, seed: int = 7) -> Path:
    root.mkdir(parents=True)
    u = synth.universe(n_notes * synth.CONCEPTS_PER_NOTE, seed)
    for name, text in synth.notes(u):
        (root / name).write_text(text, encoding="utf-8")
    return root


def assert_same_graph(a: OxigraphStore, b: OxigraphStore) -> None:
    """Note graphs and registry equal, apart from :data:`ROUND_TRIP_EXCLUDED`."""
    ga, gb = note_graphs(a, IRIS), note_graphs(b, IRIS)
    assert sorted(ga) == sorted(gb)
    for slug in ga:
        x, y = round_trip_graph(ga[slug]), round_trip_graph(gb[slug])
        assert x == y, (slug, sorted(map(str, x - y))[:5], sorted(map(str, y - x))[:5])
    ra, rb = set(a.graph(IRIS.registry_graph)), set(b.graph(IRIS.registry_graph))
    assert ra == rb, (sorted(map(str, ra - rb))[:5], sorted(map(str, rb - ra))[:5])


def round_trip(vault: Path, work: Path) -> tuple[OxigraphStore, OxigraphStore, Path]:
    a = OxigraphStore(work / "a")
    first = import_vault(a, vault)
    assert first.ok, [d.to_text() for d in first.report.sorted()]
    out = work / "exported"
    exported = export_notes(a, out)
    assert exported.lossy == [], [d.to_text() for d in exported.report.sorted()]
    b = OxigraphStore(work / "b")
    second = import_vault(b, out)
    assert second.ok, [d.to_text() for d in second.report.sorted()]
    assert sorted(second.loaded) == sorted(first.loaded)
    return a, b, out


def assert_lines_point_at_labels(store: OxigraphStore, out: Path) -> None:
    """``ig:sourceLine`` of every statement is a line of the exported file naming its label."""
    for graph in note_graphs(store, IRIS).values():
        doc = next(graph.subjects(IG.describes, None))
        file = out / str(graph.value(doc, URIRef("http://purl.org/dc/terms/source")))
        lines = file.read_text(encoding="utf-8").split("\n")
        for node, line in graph.subject_objects(IG.sourceLine):
            label = graph.value(node, RDFS.label) or graph.value(
                node, URIRef("http://purl.org/dc/terms/title")
            )
            assert label is not None
            expected = "---" if str(label) == "Front matter" else str(label).split()[0]
            assert expected in lines[int(line) - 1], (file.name, line, label)


# -- the vault walk -------------------------------------------------------------------------
def test_vault_files_skip_hidden_folders_and_other_files(tmp_path: Path) -> None:
    vault = make_vault(tmp_path / "v", SEED)
    for hidden in (".obsidian", ".trash", ".git", "sub/.hidden"):
        (vault / hidden).mkdir(parents=True)
        (vault / hidden / "x.md").write_text("**X** is y.\n", encoding="utf-8")
    (vault / "sub" / "love.md").write_text((VALID / "love.md").read_text(), encoding="utf-8")
    (vault / ".draft.md").write_text("**Draft** is y.\n", encoding="utf-8")
    (vault / "picture.png").write_bytes(b"\x89PNG")
    (vault / "link.md").symlink_to(vault / "emotional-intimacy.md")
    found = [p.relative_to(vault).as_posix() for p in vault_files(vault)]
    assert found == ["emotional-intimacy.md", "sub/love.md"]


# -- import ---------------------------------------------------------------------------------
def test_import_adds_without_removing_and_records_the_run(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    first = cli("import", str(make_vault(tmp_path / "v1", SEED)), "--store", store)
    assert first.exit_code == 0, first.output
    assert "1 loaded, 0 unchanged, 0 rejected" in first.output
    second = cli("import", str(make_vault(tmp_path / "v2", VALID / "love.md")), "--store", store)
    assert second.exit_code == 0, second.output
    again = cli("import", str(tmp_path / "v2"), "--store", store, "--format", "json")
    data = json.loads(again.stdout)
    assert data["unchanged"] == ["love"] and data["loaded"] == [] and data["rejected"] == []
    assert data["stats"]["notes"] == 2  # the seed, not in v2, is still there
    assert data["notes_per_second"] > 0 and "warnings" in data
    s = OxigraphStore(Path(store))
    try:
        graphs = note_graphs(s, IRIS)
        assert sorted(graphs) == ["emotional-intimacy", "love"]
        changes = s.graph(IRIS.changes_graph)
        runs = set(changes.subjects(RDFS.label, Literal("import")))
        assert len(runs) == 2  # the third import wrote nothing, so it recorded nothing
        generated = {o for r in runs for o in changes.objects(r, PROV.generated)}
        assert generated == {IRIS.note_graph("emotional-intimacy"), IRIS.note_graph("love")}
        # inference ran over both notes
        assert len(s.graph(IRIS.inferred_graph)) > 0
    finally:
        s.close()


def test_import_rejects_notes_with_errors_and_reports_file_line(tmp_path: Path) -> None:
    vault = make_vault(tmp_path / "v", SEED, BROKEN / "study-without-year.md")
    (vault / "sub").mkdir()
    (vault / "sub" / "bad.md").write_text("**Envy** is [[Jealousy.\n", encoding="utf-8")
    out = cli("import", str(vault), "--store", str(tmp_path / "s"))
    assert out.exit_code == 1
    assert "sub/bad.md:1: error:" in out.output
    assert "study-without-year.md:" in out.output
    assert "1 loaded, 0 unchanged, 2 rejected" in out.output
    s = OxigraphStore(tmp_path / "s")
    try:
        assert sorted(note_graphs(s, IRIS)) == ["emotional-intimacy"]
    finally:
        s.close()


def test_import_strict_counts_warnings(tmp_path: Path) -> None:
    vault = make_vault(tmp_path / "v", BROKEN / "item-without-description.md")
    plain = cli("import", str(vault), "--store", str(tmp_path / "a"))
    assert plain.exit_code == 0, plain.output
    assert "warning" in plain.output
    strict = cli("import", str(vault), "--store", str(tmp_path / "b"), "--strict")
    assert strict.exit_code == 1


def test_import_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    missing = cli("import", str(tmp_path / "nowhere"), "--store", str(tmp_path / "s"))
    assert missing.exit_code == 2
    (tmp_path / "file.md").write_text("x", encoding="utf-8")
    not_dir = cli("import", str(tmp_path / "file.md"), "--store", str(tmp_path / "s"))
    assert not_dir.exit_code == 2


def test_import_of_an_empty_vault_changes_nothing(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    assert cli("import", str(make_vault(tmp_path / "v", SEED)), "--store", store).exit_code == 0
    empty = cli("import", str(make_vault(tmp_path / "empty")), "--store", store)
    assert empty.exit_code == 0
    assert "0 note(s)" in empty.output


# -- export ---------------------------------------------------------------------------------
def test_export_notes_writes_title_named_files_from_the_graph(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    assert cli("import", str(make_vault(tmp_path / "v", SEED)), "--store", store).exit_code == 0
    out = cli("export", "--notes", str(tmp_path / "out"), "--store", store)
    assert out.exit_code == 0, out.output
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["Emotional Intimacy.md"]
    text = (tmp_path / "out" / "Emotional Intimacy.md").read_text(encoding="utf-8")
    assert text.startswith("see also:\n- [[Attachment]]\n")
    assert "**Emotional Intimacy** refers to" in text
    assert "   - **Trust**: Confidence in the reliability" in text
    assert "1. **[[Psychological Well-Being]]**:\n" in text
    assert '   - **Oxytocin**: Known as the "bonding hormone,"' in text
    assert "2. **Laurenceau, Barrett, and Pietromonaco (1998)**:\n   - **Study**: " in text
    assert "### Related Concepts\n\n- [[Active Listening]]\n" in text


def test_export_renders_from_statements_not_the_stored_markdown(tmp_path: Path) -> None:
    store = OxigraphStore(tmp_path / "s")
    try:
        import_vault(store, make_vault(tmp_path / "v", SEED))
        before = export_notes(store, tmp_path / "before")
        note = IRIS.note("emotional-intimacy")
        graph = IRIS.note_graph("emotional-intimacy")
        store.update(
            f"DELETE WHERE {{ GRAPH {graph.n3()} {{ {note.n3()} {IG.markdown.n3()} ?m }} }}"
        )
        after = export_notes(store, tmp_path / "after")
    finally:
        store.close()
    assert before.files == after.files and after.lossy == []
    name = before.files["emotional-intimacy"]
    assert (tmp_path / "before" / name).read_bytes() == (tmp_path / "after" / name).read_bytes()


def test_seed_round_trip_and_export_is_a_fixpoint(tmp_path: Path) -> None:
    a, b, out = round_trip(make_vault(tmp_path / "v", SEED), tmp_path)
    try:
        assert_same_graph(a, b)
        assert_lines_point_at_labels(b, out)
        again = export_notes(b, tmp_path / "again")
        for name in again.files.values():
            assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("name", sorted(p.name for p in VALID.glob("*.md")))
def test_legal_variant_round_trip(name: str, tmp_path: Path) -> None:
    a, b, out = round_trip(make_vault(tmp_path / "v", VALID / name), tmp_path)
    try:
        assert_same_graph(a, b)
        assert_lines_point_at_labels(b, out)
    finally:
        a.close()
        b.close()


def test_synthetic_vault_round_trip(tmp_path: Path) -> None:
    vault = synthetic_vault(tmp_path / "v", 200)
    a, b, _out = round_trip(vault, tmp_path)
    try:
        assert len(note_graphs(a, IRIS)) == 200
        assert_same_graph(a, b)
    finally:
        a.close()
        b.close()


def test_round_trip_excludes_only_the_documented_fields() -> None:
    assert {str(p).rsplit("/", 1)[-1].rsplit("#", 1)[-1] for p in ROUND_TRIP_EXCLUDED} == {
        "markdown",
        "contentHash",
        "modified",
        "wasGeneratedBy",
        "source",
        "sourceLine",
    }


def test_export_detects_a_note_that_would_not_round_trip(tmp_path: Path) -> None:
    store = OxigraphStore(tmp_path / "s")
    try:
        import_vault(store, make_vault(tmp_path / "v", SEED))
        graph = IRIS.note_graph("emotional-intimacy")
        stray = IRIS.statement("emotional-intimacy", "characteristic", "trust")
        # a mention whose concept's name appears nowhere in the statement's text
        store.update(
            f"INSERT DATA {{ GRAPH {graph.n3()} {{ {stray.n3()} {IG.mentions.n3()} "
            f"{IRIS.concept('quantum-chromodynamics').n3()} }} }}"
        )
        result = export_notes(store, tmp_path / "out")
    finally:
        store.close()
    assert result.lossy == ["emotional-intimacy"]
    assert [d.code for d in result.report.results] == ["export-lossy"]
    out = cli("export", "--notes", str(tmp_path / "out2"), "--store", str(tmp_path / "s"))
    assert out.exit_code == 1
    assert "export-lossy" in out.output


# -- file names -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Emotional Intimacy", "Emotional Intimacy.md"),
        ("../../etc/passwd", "etc-passwd.md"),
        ('a/b\\c:d*e?f"g<h>i|j', "a-b-c-d-e-f-g-h-i-j.md"),
        (".hidden", "hidden.md"),
        ("NUL", "NUL_.md"),
        ("Tab\there", "Tab here.md"),
        ("x" * 300, "x" * 200 + ".md"),
    ],
)
def test_safe_file_name(title: str, expected: str) -> None:
    assert safe_file_name(title, "fallback") == expected


def test_export_tells_colliding_file_names_apart(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "one.md").write_text(
        "**A/B** is a test concept.\n\n#### Key Aspects\n\n1. **Definition**:\n   A test.\n",
        encoding="utf-8",
    )
    (vault / "two.md").write_text(
        "**A-B** is a test concept.\n\n#### Key Aspects\n\n1. **Definition**:\n   Another test.\n",
        encoding="utf-8",
    )
    store = OxigraphStore(tmp_path / "s")
    try:
        assert import_vault(store, vault).ok
        result = export_notes(store, tmp_path / "out")
    finally:
        store.close()
    assert result.files == {"a-b": "A-B.md", "ab": "A-B (ab).md"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["A-B (ab).md", "A-B.md"]


def test_export_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    assert cli("import", str(make_vault(tmp_path / "v", SEED)), "--store", store).exit_code == 0
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    out = cli("export", "--notes", str(tmp_path / "taken"), "--store", store)
    assert out.exit_code == 2


def test_import_into_a_store_in_use_exits_3(tmp_path: Path) -> None:
    holder = OxigraphStore(tmp_path / "s")  # another process would hold the same lock
    try:
        out = cli("import", str(make_vault(tmp_path / "v", SEED)), "--store", str(tmp_path / "s"))
    finally:
        holder.close()
    assert out.exit_code == 3, out.output
    assert "Is another intimacy-graph process" in out.output
