"""The command line, as a user runs it: exit codes, report formats, bad input never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph

from intimacy_graph.cli import main
from intimacy_graph.store import OxigraphStore

from .conftest import SEED


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed entry point in a child process, as a shell would run it."""
    return subprocess.run(
        [sys.executable, "-m", "intimacy_graph.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("cli") / "store"
    result = run("build", "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert "1 note(s) written" in result.stdout
    return store


def test_build_is_idempotent_from_the_cli(built: Path) -> None:
    again = run("build", "--store", str(built))
    assert again.returncode == 0
    assert "0 note(s) written, 1 unchanged" in again.stdout


def test_build_json_report(built: Path) -> None:
    out = run("build", "--store", str(built), "--format", "json")
    data = json.loads(out.stdout)
    assert data["conforms"] is True
    assert data["stats"]["statements"] == 32
    assert data["unchanged"] == ["emotional-intimacy"]


def test_build_exits_non_zero_on_errors(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(SEED, notes)
    (notes / "bad.md").write_text("**Envy** is [[Jealousy.\n", encoding="utf-8")
    out = run("build", "--notes", str(notes), "--store", str(tmp_path / "s"))
    assert out.returncode == 1
    assert "bad.md:1: error:" in out.stderr and "unclosed-wikilink" in out.stderr
    assert "Traceback" not in out.stderr


def test_build_strict_fails_on_warnings(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text(
        "**Awe** is a feeling of wonder.\n\n#### Benefits\n\n1. **Humility**:\n", encoding="utf-8"
    )
    assert run("build", "--notes", str(notes), "--store", str(tmp_path / "s")).returncode == 0
    out = run("build", "--strict", "--notes", str(notes), "--store", str(tmp_path / "s2"))
    assert out.returncode == 1


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("json", lambda t: len(json.loads(t)["results"]["bindings"]) == 5),
        ("csv", lambda t: len(t.strip().splitlines()) == 6),
        ("tsv", lambda t: len(t.strip().splitlines()) == 6),
    ],
)
def test_query_formats(built: Path, fmt: str, check: object) -> None:
    query = (
        "PREFIX ig: <https://w3id.org/intimacy-graph/ontology#> SELECT ?c WHERE "
        "{ ?s a ig:MechanismStatement ; ig:group ?g ; ig:object ?c }"
    )
    out = run("query", "--store", str(built), "--format", fmt, query)
    assert out.returncode == 0, out.stderr
    assert check(out.stdout)  # type: ignore[operator]


def test_query_from_file_and_construct_turtle(built: Path, tmp_path: Path) -> None:
    rq = tmp_path / "q.rq"
    rq.write_text(
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH "
        "<https://w3id.org/intimacy-graph/graph/registry> { ?s ?p ?o } }",
        encoding="utf-8",
    )
    out = run("query", "--store", str(built), str(rq))
    assert out.returncode == 0, out.stderr
    assert len(Graph().parse(data=out.stdout, format="turtle")) > 100


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "service-refused"),
        ("SELECT * FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }", "remote-dataset-refused"),
        ("SELECT * WHERE { ?s ?p", "query-syntax"),
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "updates go through the API"),
    ],
)
def test_query_refusals(built: Path, query: str, code: str) -> None:
    out = run("query", "--store", str(built), query)
    assert out.returncode == 2
    assert code in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("fmt", "parse_as", "dataset"),
    [
        ("trig", "trig", True),
        ("nq", "nquads", True),
        ("ttl", "turtle", False),
        ("nt", "nt", False),
        ("rdf", "xml", False),
        ("jsonld", "json-ld", True),
    ],
)
def test_export(built: Path, tmp_path: Path, fmt: str, parse_as: str, dataset: bool) -> None:
    target = tmp_path / f"out.{fmt}"
    out = run("export", "--store", str(built), "--format", fmt, "--output", str(target))
    assert out.returncode == 0, out.stderr
    if dataset:
        ds = Dataset()
        ds.parse(target, format=parse_as)
        names = {str(g.identifier) for g in ds.graphs()}
        if fmt != "jsonld":
            assert "https://w3id.org/intimacy-graph/graph/registry" in names
        assert len(list(ds.quads((None, None, None, None)))) > 900
    else:
        assert len(Graph().parse(target, format=parse_as)) > 800


def test_qc_clean(built: Path) -> None:
    out = run("qc", "--store", str(built))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 finding(s)" in out.stderr


def test_reason_with_hermit_on_the_built_store(built: Path) -> None:
    """OWL 2 DL consistency of the ontology AND the compiled seed data (HermiT)."""
    out = run("reason", "--store", str(built))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "consistent" in out.stdout.lower()


# -- validate ---------------------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_validate_seed_is_clean() -> None:
    code, output = invoke("validate", str(SEED))
    assert code == 0, output


def test_validate_json_shape(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_text(
        "**Hope** is [[Optimism.\n\n#### Benefits\n\n1. **Coping**: helps.\n"
        "2. **Coping**: again.\n",
        encoding="utf-8",
    )
    code, output = invoke("validate", "--format", "json", str(note))
    assert code == 1
    report = json.loads(output)
    assert report["conforms"] is False
    codes = {(r["code"], r["line"]) for r in report["results"]}
    assert ("unclosed-wikilink", 1) in codes and ("duplicate-item", 6) in codes
    for result in report["results"]:
        assert set(result) >= {"code", "severity", "message", "file", "line"}


def test_validate_rdf(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix ig: <https://w3id.org/intimacy-graph/ontology#> .\n"
        "<https://w3id.org/intimacy-graph/statement/x/characteristic/y> "
        "a ig:CharacteristicStatement .\n",
        encoding="utf-8",
    )
    code, output = invoke("validate", "--format", "json", str(bad))
    assert code == 1
    assert json.loads(output)["results"]
    syntax = tmp_path / "broken.ttl"
    syntax.write_text("<a> <b> .", encoding="utf-8")
    assert invoke("validate", str(syntax))[0] == 2
    bomb = tmp_path / "bomb.rdf"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r/>', encoding="utf-8")
    code, output = invoke("validate", str(bomb))
    assert code == 2 and "xml-doctype-refused" in output


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary-file"),
        ("empty.md", b"", "empty-file"),
        ("blank.md", b"   \n\n  ", "empty-file"),
        ("latin1.md", "**Café** is a place.\n".encode("latin-1"), "invalid-utf8"),
        ("huge.md", b"x" * (50 * 1024 * 1024), "file-too-large"),
    ],
)
def test_validate_unusable_input(tmp_path: Path, name: str, content: bytes, code: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    exit_code, output = invoke("validate", str(path))
    assert exit_code == 2
    assert code in output and "Traceback" not in output


def test_validate_not_a_note(tmp_path: Path) -> None:
    path = tmp_path / "shopping.md"
    path.write_text("- milk\n- eggs\n- bread\n", encoding="utf-8")
    exit_code, output = invoke("validate", str(path))
    assert exit_code == 1 and "not-a-note" in output


def test_missing_file_is_a_usage_error() -> None:
    exit_code, _ = invoke("validate", "/no/such/file.md")
    assert exit_code == 2


def test_validate_against_the_store_resolves_links_in_context(
    tmp_path: Path, seed_build: tuple[OxigraphStore, object]
) -> None:
    """`validate --against-store` checks an RDF entry with the store's records: a link to a
    concept the store has passes, a link to one that exists nowhere is reported."""
    store = tmp_path / "store"
    seed_build[0].raw.backup(str(store))
    entry = tmp_path / "entry.ttl"
    entry.write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix concept: <https://w3id.org/intimacy-graph/concept/> .\n"
        'concept:secure-base skos:prefLabel "Secure Base"@en ;\n'
        '  skos:definition "A person from whom one explores the world."@en ;\n'
        "  skos:related concept:trust .\n"
    )
    ok = CliRunner().invoke(
        main, ["validate", "--against-store", "--store", str(store), "--format", "json", str(entry)]
    )
    assert ok.exit_code == 0, ok.output
    entry.write_text(entry.read_text().replace("concept:trust", "concept:nowhere"))
    bad = CliRunner().invoke(
        main, ["validate", "--against-store", "--store", str(store), "--format", "json", str(entry)]
    )
    assert bad.exit_code == 1
    results = json.loads(bad.output)["results"]
    assert [r["code"] for r in results] == ["unknown-concept"]
    assert results[0]["file"] == str(entry)
