"""Quality checks (queries/qc/*-violation.rq) and their runner (intimacy_graph.qc).

Data-driven: every check must return no rows on ``tests/data/qc/clean.trig`` and at least one
row, with each focus named in the fixture's ``# expected focus:`` lines, on
``tests/data/qc/<check>.trig`` loaded over it. A check without a fixture fails. Both run on
every store backend (the ``store_backend`` fixture: Oxigraph and a real Virtuoso).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from intimacy_graph.diagnostics import Severity
from intimacy_graph.inference import RULE_INFERRED_GRAPH, materialise
from intimacy_graph.qc import (
    QC_REGISTRY_GRAPH,
    QcCheck,
    QcCheckError,
    QcFinding,
    load_checks,
    run_check,
    run_qc,
)
from intimacy_graph.store import OxigraphStore, Store

from .test_inference import load_trig

DATA = Path(__file__).parent / "data" / "qc"
CHECKS = load_checks()
EXPECTED_FOCUS = re.compile(r"^# expected focus: (\S+)$", re.MULTILINE)


def build_store(store: Store, *files: Path) -> Store:
    """Load TriG files and run inference, as `intimacy-graph qc` sees a built store."""
    load_trig(store, *files)
    materialise(store, RULE_INFERRED_GRAPH)
    return store


@pytest.fixture(scope="module")
def clean_store() -> ox.Store:
    """The clean data in a bare pyoxigraph store (what the CLI still passes to run_qc)."""
    store = OxigraphStore()
    build_store(store, DATA / "clean.trig")
    return store.raw


def test_checks_find_nothing_in_clean_data(store_backend: Store) -> None:
    store = build_store(store_backend, DATA / "clean.trig")
    assert {check.name: run_check(store, check) for check in CHECKS} == {
        check.name: [] for check in CHECKS
    }


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.name)
def test_check_finds_its_violation(store_backend: Store, check: QcCheck) -> None:
    fixture = DATA / f"{check.name}.trig"
    if not fixture.exists():
        pytest.fail(f"check {check.name} has no violating fixture {fixture.name}")
    expected = EXPECTED_FOCUS.findall(fixture.read_text(encoding="utf-8"))
    assert expected, f"{fixture.name} has no '# expected focus: <iri>' line"
    findings = run_check(build_store(store_backend, DATA / "clean.trig", fixture), check)
    assert set(expected) <= {f.focus for f in findings}
    for finding in findings:
        assert finding.check == check.name
        assert finding.severity is check.severity
        assert finding.message.strip()


def test_every_fixture_belongs_to_a_check() -> None:
    names = {check.name for check in CHECKS}
    fixtures = {path.stem for path in DATA.glob("*.trig")} - {"clean"}
    assert fixtures <= names


def test_checks_required_by_the_design_exist() -> None:
    names = {check.name for check in CHECKS}
    assert {
        "broader-cycle",
        "duplicate-preflabel",
        "multiple-preflabels",
        "preflabel-is-altlabel",
        "related-and-broader",
        "dangling-concept-reference",
        "dangling-work-reference",
        "statement-without-subject",
        "described-concept-without-definition",
        "self-relation",
        "concept-not-in-scheme",
    } <= names


def test_severities_come_from_the_headers() -> None:
    severities = {check.name: check.severity for check in CHECKS}
    assert severities["described-concept-without-definition"] is Severity.WARNING
    assert severities["broader-cycle"] is Severity.ERROR


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.name)
def test_check_projects_focus_and_message(check: QcCheck, clean_store: ox.Store) -> None:
    solutions = clean_store.query(check.text, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    names = {variable.value for variable in solutions.variables}
    assert {"focus", "message"} <= names
    assert check.text.startswith("# ")


def test_run_qc_on_clean_data_is_empty(clean_store: ox.Store) -> None:
    assert run_qc(clean_store) == []


def test_run_qc_orders_errors_first_and_converts_to_diagnostics(store_backend: Store) -> None:
    store = build_store(
        store_backend,
        DATA / "clean.trig",
        DATA / "described-concept-without-definition.trig",
        DATA / "broader-cycle.trig",
    )
    findings = run_qc(store)
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=[Severity.ERROR, Severity.WARNING].index)
    warning = next(f for f in findings if f.severity is Severity.WARNING)
    diagnostic = warning.to_diagnostic()
    assert diagnostic.code == "qc-described-concept-without-definition"
    assert diagnostic.focus == warning.focus


def test_dangling_reference_reports_the_missing_target(store_backend: Store) -> None:
    store = build_store(
        store_backend, DATA / "clean.trig", DATA / "dangling-concept-reference.trig"
    )
    check = next(c for c in CHECKS if c.name == "dangling-concept-reference")
    [finding] = run_check(store, check)
    assert finding.value == "https://w3id.org/intimacy-graph/concept/vulnerability"


def test_related_and_broader_follows_broader_chains(store_backend: Store) -> None:
    # One and two broader steps apart (Virtuoso evaluates a path only with both ends bound).
    store = build_store(store_backend, DATA / "clean.trig", DATA / "related-and-broader.trig")
    check = next(c for c in CHECKS if c.name == "related-and-broader")
    concept = "https://w3id.org/intimacy-graph/concept/"
    assert {(f.focus, f.value) for f in run_check(store, check)} == {
        (concept + "romantic-intimacy", concept + "emotional-intimacy"),
        (concept + "romantic-intimacy", concept + "intimacy"),
    }


def test_broader_cycle_reports_every_concept_on_the_cycle(store_backend: Store) -> None:
    store = build_store(store_backend, DATA / "clean.trig", DATA / "broader-cycle.trig")
    check = next(c for c in CHECKS if c.name == "broader-cycle")
    concept = "https://w3id.org/intimacy-graph/concept/"
    assert {f.focus for f in run_check(store, check)} == {
        concept + "emotional-intimacy",
        concept + "intimacy",
        concept + "romantic-intimacy",
    }


def test_registry_graph_is_rebound_per_deployment() -> None:
    text = (DATA / "clean.trig").read_text(encoding="utf-8")
    store = ox.Store()
    store.load(text.replace("graph:registry {", "<urn:example:registry> {"), ox.RdfFormat.TRIG)
    check = next(c for c in CHECKS if c.name == "dangling-concept-reference")
    assert run_check(store, check) != []  # the default registry graph is empty here
    assert run_check(store, check, registry_graph_iri="urn:example:registry") == []
    assert QC_REGISTRY_GRAPH in check.text


def test_a_check_without_severity_does_not_load(tmp_path: Path) -> None:
    (tmp_path / "x-violation.rq").write_text(
        "# finds x\nSELECT ?focus ?message WHERE { }\n", encoding="utf-8"
    )
    with pytest.raises(QcCheckError):
        load_checks(tmp_path)


def test_a_check_without_message_is_refused(tmp_path: Path) -> None:
    check = QcCheck("x", Severity.ERROR, "# finds x\n# severity: error\nSELECT ?focus WHERE { }")
    with pytest.raises(QcCheckError):
        run_check(ox.Store(), check)


def test_findings_are_frozen() -> None:
    finding = QcFinding("x", Severity.ERROR, "urn:a", "a is wrong")
    with pytest.raises(AttributeError):
        finding.focus = "urn:b"  # type: ignore[misc]


def test_findings_serialise_to_plain_dicts() -> None:
    finding = QcFinding("x", Severity.WARNING, "urn:a", "a is wrong")
    assert finding.to_dict() == {
        "check": "x",
        "severity": "warning",
        "focus": "urn:a",
        "message": "a is wrong",
    }
