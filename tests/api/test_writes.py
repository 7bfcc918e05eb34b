"""The write path over real HTTP: validate, PUT notes, RDF entries, dry runs, ETags, history,
restore and deprecation — on a private server (these tests change its store), on the
embedded store and on Virtuoso through the remote backend."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rdflib import Graph

from tests.servers import Server, run_server

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed" / "emotional-intimacy.md"
MD = {"Content-Type": "text/markdown"}
TTL = {"Content-Type": "text/turtle"}

GOOD = """**Secure Base** is the sense that someone will be there when needed.

#### Key Aspects

1. **Definition**:
   A secure base is a trusted person from whom one explores the world.

2. **Characteristics**:
   - **[[Trust]]**: confidence that the person will respond.
   - **Availability**: being reachable when needed.

#### Mechanisms

1. **[[Oxytocin]]**:
   - Closeness releases oxytocin.

### Related Concepts

- [[Attachment Theory]]
- [[Emotional Intimacy]]
"""

BROKEN = """**Broken Note** is a note with problems.

#### Key Aspects

1. **Definition**:
   It links to [[Trust and never closes the link.

2. **Characteristics**:
   - **Trust**: listed once.
   - **Trust**: listed twice.
"""


def _backend_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    store = tmp_path_factory.mktemp("writes") / "store"
    if request.param == "oxigraph":
        with run_server(store) as handle:
            yield handle
        return
    from tests.backends import require_virtuoso, start_virtuoso, stop_virtuoso

    require_virtuoso()
    folder = tmp_path_factory.mktemp("virtuoso-writes")
    port = start_virtuoso(folder)
    args = ["--backend", "sparql", "--remote-flavour", "virtuoso", "--query-endpoint",
            f"http://127.0.0.1:{port}/sparql"]  # fmt: skip
    try:
        with run_server(store, args=args) as handle:
            handle.backend = "virtuoso"
            yield handle
    finally:
        stop_virtuoso(folder)


@pytest.fixture(
    scope="module",
    params=["oxigraph", pytest.param("virtuoso", marks=pytest.mark.virtuoso)],
)
def srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    yield from _backend_server(request, tmp_path_factory)


@pytest.fixture(scope="module")
def client(srv: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=srv.url, timeout=60) as c:
        yield c


def quads(client: httpx.Client) -> int:
    r = client.get(
        "/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def ask(client: httpx.Client, query: str) -> bool:
    r = client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200, r.text
    return bool(r.json()["boolean"])


# --- validate -------------------------------------------------------------------------------


def test_a_good_note_validates(client: httpx.Client) -> None:
    r = client.post("/api/v1/validate", content=GOOD, headers=MD)
    assert r.status_code == 200
    body = r.json()
    assert body["conforms"] is True and body["kind"] == "note" and body["slug"] == "secure-base"
    assert body["counts"]["error"] == 0


def test_a_broken_note_is_reported_with_lines(client: httpx.Client) -> None:
    r = client.post("/api/v1/validate", content=BROKEN, headers=MD)
    assert r.status_code == 200
    body = r.json()
    assert body["conforms"] is False
    by_code = {res["code"]: res for res in body["results"]}
    assert by_code["unclosed-wikilink"]["line"] == 6
    assert by_code["duplicate-item"]["line"] == 10
    assert all(res["severity"] in ("error", "warning", "info") for res in body["results"])


def test_the_report_in_turtle_is_a_shacl_validation_report(client: httpx.Client) -> None:
    r = client.post("/api/v1/validate", content=BROKEN, headers={**MD, "Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    rows = list(
        g.query(
            "PREFIX sh: <http://www.w3.org/ns/shacl#> SELECT ?line WHERE { ?r a "
            "sh:ValidationReport ; sh:conforms false ; sh:result ?x . ?x sh:resultSeverity "
            "sh:Violation ; <https://w3id.org/intimacy-graph/ontology#sourceLine> ?line }"
        )
    )
    assert {int(row[0]) for row in rows} >= {6, 10}  # type: ignore[index]


def test_an_rdf_entry_is_validated_in_context(client: httpx.Client) -> None:
    entry = (
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix concept: <https://w3id.org/intimacy-graph/concept/> .\n"
        'concept:secure-attachment skos:prefLabel "Secure Attachment"@en ;\n'
        '  skos:definition "A bond in which a child trusts the carer."@en ;\n'
        "  skos:related concept:trust, concept:nowhere-to-be-found .\n"
    )
    r = client.post("/api/v1/validate", content=entry, headers=TTL)
    body = r.json()
    assert body["conforms"] is False and body["kind"] == "rdf"
    unknown = [res for res in body["results"] if res["code"] == "unknown-concept"]
    assert [res["value"] for res in unknown] == [
        "https://w3id.org/intimacy-graph/concept/nowhere-to-be-found"
    ]  # concept:trust exists in the store, so only the other one is reported


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({"Content-Type": "application/pdf"}, b"%PDF-1.4", 415, "unsupported-media-type"),
        ({}, b"**X** y", 415, "unsupported-media-type"),
        (MD, b"", 400, "empty-body"),
        (MD, b"   \n", 400, "empty-body"),
        (MD, b"x" * (10 * 1024 * 1024), 413, "body-too-large"),
    ],
)
def test_bad_requests_get_clear_errors(
    client: httpx.Client, headers: dict[str, str], body: bytes, status: int, code: str
) -> None:
    r = client.post("/api/v1/validate", content=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code


@pytest.mark.parametrize(
    ("media", "body", "code"),
    [
        ("text/markdown", b"**Bad** \xff\xfe note", "invalid-utf8"),
        ("text/markdown", b"\x00\x01binary", "binary-file"),
        ("text/turtle", b"@prefix : <x#> . :a :b", "rdf-syntax"),
        (
            "application/ld+json",
            b'{"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "x"}',
            "remote-context-refused",
        ),
        (
            "application/rdf+xml",
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
            "xml-doctype-refused",
        ),
        (
            "text/turtle",
            b"<https://w3id.org/intimacy-graph/concept/a b> "
            b'<http://www.w3.org/2004/02/skos/core#prefLabel> "A" .',
            "invalid-iri",
        ),
        (
            "application/n-triples",
            b"<https://w3id.org/intimacy-graph/concept/{x}> "
            b'<http://www.w3.org/2004/02/skos/core#prefLabel> "A" .',
            "rdf-syntax",
        ),
    ],
)
def test_unusable_entries_are_reported_not_crashed_on(
    client: httpx.Client, media: str, body: bytes, code: str
) -> None:
    r = client.post("/api/v1/validate", content=body, headers={"Content-Type": media})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["conforms"] is False
    assert code in {res["code"] for res in result["results"]}, result


# --- writes ---------------------------------------------------------------------------------


def test_writes_need_an_editor_key(client: httpx.Client, srv: Server) -> None:
    r = client.put("/api/v1/notes/secure-base", content=GOOD, headers=MD)
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    reader = {"Authorization": f"Bearer {srv.reader_key}"}
    r = client.put("/api/v1/notes/secure-base", content=GOOD, headers={**MD, **reader})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    for method, url in [
        ("POST", "/api/v1/concepts"),
        ("DELETE", "/api/v1/concepts/trust"),
        ("POST", "/api/v1/notes/emotional-intimacy/versions/1/restore"),
    ]:
        assert client.request(method, url, content=GOOD, headers=MD).status_code == 401


def test_a_dry_run_shows_the_diff_and_writes_nothing(client: httpx.Client, srv: Server) -> None:
    before = quads(client)
    r = client.put(
        "/api/v1/notes/secure-base",
        params={"dry_run": "true"},
        content=GOOD,
        headers={**MD, **srv.editor()},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] is True and body["committed"] is False
    diff = body["diff"]
    assert diff["added"] == len(diff["triples_added"]) > 0 and diff["removed"] == 0
    assert {"secure-base", "availability"} <= set(diff["concepts_created"])
    assert {
        "subject": "https://w3id.org/intimacy-graph/concept/secure-base",
        "relation": "https://w3id.org/intimacy-graph/ontology#hasMechanism",
        "object": "https://w3id.org/intimacy-graph/concept/oxytocin",
    } in diff["relations_added"]
    assert quads(client) == before
    assert client.get("/api/v1/notes/secure-base/versions").status_code == 404


def test_a_note_that_does_not_conform_is_422_and_nothing_is_written(
    client: httpx.Client, srv: Server
) -> None:
    before = quads(client)
    r = client.put("/api/v1/notes/broken-note", content=BROKEN, headers={**MD, **srv.editor()})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "entry-does-not-conform" and body["report"]["conforms"] is False
    r = client.put("/api/v1/notes/trust", content=GOOD, headers={**MD, **srv.editor()})
    assert r.status_code == 422
    assert "slug-mismatch" in {res["code"] for res in r.json()["report"]["results"]}
    assert quads(client) == before


def test_put_a_note_then_see_it_everywhere(client: httpx.Client, srv: Server) -> None:
    r = client.put("/api/v1/notes/secure-base", content=GOOD, headers={**MD, **srv.editor()})
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/api/v1/notes/secure-base"
    etag = r.headers["etag"]
    assert r.json()["version"] == 1 and r.json()["etag"] == etag
    # the concept API, SPARQL (with inference: the inverse relation) and the feed
    card = client.get("/api/v1/concepts/secure-base")
    assert card.status_code == 200 and card.json()["prefLabel"] == "Secure Base"
    assert ask(
        client,
        "ASK { <https://w3id.org/intimacy-graph/concept/oxytocin> "
        "<https://w3id.org/intimacy-graph/ontology#isMechanismOf> "
        "<https://w3id.org/intimacy-graph/concept/secure-base> }",
    )
    feed = client.get("/api/v1/changes", params={"limit": 5}).json()
    assert feed["items"][0]["notes"] == ["secure-base"]
    assert "secure-base" in feed["items"][0]["concepts_created"]
    since = feed["items"][0]["time"]
    assert client.get("/api/v1/changes", params={"since": since}).json()["total"] >= 1
    page = client.get("/concept/secure-base", headers={"Accept": "text/turtle"})
    assert page.status_code == 200 and "Secure Base" in page.text
    # the same bytes again change nothing
    again = client.put("/api/v1/notes/secure-base", content=GOOD, headers={**MD, **srv.editor()})
    assert again.status_code == 200 and again.json()["unchanged"] is True
    assert again.headers["etag"] == etag


def test_cards_follow_every_write(client: httpx.Client, srv: Server) -> None:
    """Cards are served from a per-snapshot cache on the embedded store: a write must show at
    once in the card it changed and in the inverse view of the concepts it links to."""
    note = GOOD.replace("Secure Base", "Safe Haven").replace("secure base", "safe haven")

    def inverse_of_trust() -> list[str]:
        card = client.get("/api/v1/concepts/trust")
        assert card.status_code == 200, card.text
        return [c["slug"] for c in card.json()["inverse"]["characteristicOf"]]

    def found() -> tuple[list[str], list[str]]:
        search = client.get("/api/v1/search", params={"q": "safe haven"})
        suggest = client.get("/api/v1/suggest", params={"q": "safe h"})
        assert search.status_code == suggest.status_code == 200, (search.text, suggest.text)
        return (
            [hit["slug"] for hit in search.json()["items"]],
            [hit["slug"] for hit in suggest.json()["items"]],
        )

    assert "safe-haven" not in inverse_of_trust()
    assert inverse_of_trust() == inverse_of_trust()  # the second one from the cache
    assert found() == found() == ([], [])  # search and suggest answers are kept too
    r = client.put("/api/v1/notes/safe-haven", content=note, headers={**MD, **srv.editor()})
    assert r.status_code == 201, r.text
    assert "safe-haven" in inverse_of_trust()
    assert found() == (["safe-haven"], ["safe-haven"])
    first = client.get("/api/v1/concepts/safe-haven")
    assert first.json()["definition"].startswith("A safe haven is a trusted person")
    edited = note.replace("A safe haven is a trusted person", "A safe haven is a refuge")
    r = client.put("/api/v1/notes/safe-haven", content=edited, headers={**MD, **srv.editor()})
    assert r.status_code == 200, r.text
    second = client.get("/api/v1/concepts/safe-haven")
    assert second.json()["definition"].startswith("A safe haven is a refuge")
    assert second.headers["etag"] != first.headers["etag"]
    # a conditional request with the old tag gets the new card, with the current tag a 304
    again = client.get(
        "/api/v1/concepts/safe-haven", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 200
    same = client.get(
        "/api/v1/concepts/safe-haven", headers={"If-None-Match": second.headers["etag"]}
    )
    assert same.status_code == 304


def test_if_match_refuses_stale_writes_and_versions_restore(
    client: httpx.Client, srv: Server
) -> None:
    first = client.put("/api/v1/notes/secure-base", content=GOOD, headers={**MD, **srv.editor()})
    etag = first.headers["etag"]
    edited = GOOD.replace("being reachable when needed", "being there")
    stale = client.put(
        "/api/v1/notes/secure-base",
        content=edited,
        headers={**MD, **srv.editor(), "If-Match": '"0000"'},
    )
    assert stale.status_code == 412 and stale.json()["code"] == "precondition-failed"
    assert stale.json()["current_etag"] == etag
    ok = client.put(
        "/api/v1/notes/secure-base",
        content=edited,
        headers={**MD, **srv.editor(), "If-Match": etag},
    )
    assert ok.status_code == 200 and ok.json()["committed"] is True
    versions = client.get("/api/v1/notes/secure-base/versions").json()["versions"]
    assert [v["current"] for v in versions][-1] is True
    old = next(v for v in versions if v["etag"] == etag)
    text = client.get(
        f"/api/v1/notes/secure-base/versions/{old['version']}", headers={"Accept": "text/markdown"}
    )
    assert text.status_code == 200 and text.text == GOOD
    restored = client.post(
        f"/api/v1/notes/secure-base/versions/{old['version']}/restore", headers=srv.editor()
    )
    assert restored.status_code == 200 and restored.headers["etag"] == etag
    assert restored.json()["version"] == len(versions) + 1
    history = client.get("/api/v1/concepts/secure-base/history").json()["events"]
    assert [e["activity"] for e in history][-1].startswith("restore-version")
    assert client.get("/api/v1/notes/secure-base/versions/999").status_code == 404


def test_two_editors_on_one_note_cannot_overwrite_each_other(
    client: httpx.Client, srv: Server
) -> None:
    current = client.put(
        "/api/v1/notes/secure-base", content=GOOD, headers={**MD, **srv.editor()}
    ).headers["etag"]
    statuses: list[int] = []
    barrier = threading.Barrier(2, timeout=30)

    def edit(words: str) -> None:
        with httpx.Client(base_url=srv.url, timeout=60) as own:
            barrier.wait()
            r = own.put(
                "/api/v1/notes/secure-base",
                content=GOOD.replace("being reachable when needed", words),
                headers={**MD, **srv.editor(), "If-Match": current},
            )
            statuses.append(r.status_code)

    threads = [threading.Thread(target=edit, args=(w,)) for w in ("first edit", "second edit")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(statuses) == [200, 412]


def test_an_rdf_entry_adds_concepts(client: httpx.Client, srv: Server) -> None:
    entry = {
        "@context": "/context.jsonld",
        "@id": "https://w3id.org/intimacy-graph/concept/felt-security",
        "prefLabel": "Felt Security",
        "definition": "The feeling of being safe with another person.",
    }
    r = client.post(
        "/api/v1/concepts",
        content=json.dumps(entry),
        headers={"Content-Type": "application/ld+json", **srv.editor()},
    )
    assert r.status_code in (201, 422), r.text  # the published context must be accepted
    if r.status_code == 422:
        pytest.fail(f"the JSON-LD entry did not conform: {r.json()['report']['results']}")
    assert r.headers["location"] == "/api/v1/concepts/felt-security"
    card = client.get("/api/v1/concepts/felt-security").json()
    assert card["definition"] == "The feeling of being safe with another person."


def test_deleting_a_concept_deprecates_it(client: httpx.Client, srv: Server) -> None:
    bad = client.delete(
        "/api/v1/concepts/love", params={"replaced_by": "no-such-concept"}, headers=srv.editor()
    )
    assert bad.status_code == 400 and bad.json()["code"] == "unknown-concept"
    assert (
        client.delete("/api/v1/concepts/no-such-concept", headers=srv.editor()).status_code == 404
    )
    r = client.delete(
        "/api/v1/concepts/love", params={"replaced_by": "emotional-intimacy"}, headers=srv.editor()
    )
    assert r.status_code == 200 and r.json()["deprecated"] is True
    assert ask(
        client,
        "ASK { <https://w3id.org/intimacy-graph/concept/love> "
        "<http://www.w3.org/2002/07/owl#deprecated> true ; "
        "<http://purl.org/dc/terms/isReplacedBy> "
        "<https://w3id.org/intimacy-graph/concept/emotional-intimacy> }",
    )
    assert client.get("/api/v1/concepts/love").status_code == 200  # history is not erased
    events = client.get("/api/v1/concepts/love/history").json()["events"]
    assert events[-1]["activity"] == "deprecate"
