"""The concept REST API over real HTTP against the served seed."""

from __future__ import annotations

import time

import httpx
import pytest
from rdflib import Graph, URIRef

from tests.servers import Server

C = "https://w3id.org/intimacy-graph/concept/"


def get(server: Server, path: str, **params: object) -> httpx.Response:
    return httpx.get(server.url + "/api/v1" + path, params=params, timeout=30)  # type: ignore[arg-type]


def test_concept_card(server: Server) -> None:
    r = get(server, "/concepts/emotional-intimacy")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/ld+json")
    card = r.json()
    assert card["@id"] == C + "emotional-intimacy"
    assert card["prefLabel"] == "Emotional Intimacy"
    assert card["definition"].startswith("Emotional intimacy is the ability")
    assert card["scopeNote"].startswith("Emotional Intimacy refers to")
    assert card["described"] is True
    rel = card["relations"]
    assert [s["label"] for s in sorted(rel["characteristics"], key=lambda s: s["position"])] == [
        "Trust",
        "Vulnerability",
        "Empathy",
        "Mutual Understanding",
        "Support",
    ]
    assert len(rel["types"]) == 4 and len(rel["benefits"]) == 4
    assert len(rel["mechanisms"]) == 8 and len(rel["implications"]) == 8
    oxytocin = next(s for s in rel["mechanisms"] if s["label"] == "Oxytocin")
    assert oxytocin["group"]["slug"] == "neurochemical-processes"
    assert oxytocin["position"] == 1 and oxytocin["sourceLine"] == 47
    teaching = next(s for s in rel["implications"] if s["label"] == "Teaching Practices")
    assert teaching["domain"]["slug"] == "education"
    aron = next(s for s in rel["evidence"] if s["work"]["slug"] == "aron-1997")
    assert aron["work"]["year"] == "1997" and "36 Questions" in aron["studySummary"]
    assert {link["slug"] for link in card["related"]} >= {"trust", "oxytocin", "resilience"}
    assert {link["slug"] for link in card["seeAlso"]} == {
        "attachment",
        "emotional-bond",
        "closeness",
        "love",
    }
    assert {link["slug"] for link in card["narrower"]} == {
        "romantic-intimacy",
        "familial-intimacy",
        "friendship-intimacy",
        "therapeutic-intimacy",
    }


def test_inverse_view(server: Server) -> None:
    card = get(server, "/concepts/empathy").json()
    assert card["roles"] == ["characteristic", "mechanism"]
    assert [x["slug"] for x in card["inverse"]["characteristicOf"]] == ["emotional-intimacy"]
    assert [x["slug"] for x in card["inverse"]["mechanismOf"]] == ["emotional-intimacy"]
    group = get(server, "/concepts/neurochemical-processes").json()
    assert len(group["inverse"]["mechanismGroupOf"]) == 2


def test_card_is_valid_json_ld(server: Server) -> None:
    """A generic JSON-LD processor (rdflib) reads the card with the published context."""
    card = get(server, "/concepts/trust").json()
    card["@context"] = httpx.get(server.url + "/context.jsonld").json()["@context"]
    g = Graph().parse(data=card, format="json-ld")
    trust = URIRef(C + "trust")
    skos = "http://www.w3.org/2004/02/skos/core#"
    assert str(g.value(trust, URIRef(skos + "prefLabel"))) == "Trust"
    assert (
        trust,
        URIRef("https://w3id.org/intimacy-graph/ontology#isCharacteristicOf"),
        URIRef(C + "emotional-intimacy"),
    ) in g
    # every property the card produces is one of the contract's vocabularies
    for _, p, _ in g:
        assert str(p).startswith(
            (
                "http://www.w3.org/",
                "https://w3id.org/intimacy-graph/",
                "https://schema.org/",
                "http://purl.org/",
            )
        )


def test_statements_read_back_as_rdf(server: Server) -> None:
    card = get(server, "/concepts/emotional-intimacy").json()
    card["@context"] = httpx.get(server.url + "/context.jsonld").json()["@context"]
    g = Graph().parse(data=card, format="json-ld")
    stmt = URIRef(
        "https://w3id.org/intimacy-graph/statement/emotional-intimacy/characteristic/trust"
    )
    ig = "https://w3id.org/intimacy-graph/ontology#"
    assert (stmt, URIRef(ig + "subject"), URIRef(C + "emotional-intimacy")) in g
    assert (stmt, URIRef(ig + "object"), URIRef(C + "trust")) in g


def test_list_concepts_paging_and_filters(server: Server) -> None:
    r = get(server, "/concepts", limit=10, offset=10)
    body = r.json()
    assert body["total"] == 33 and len(body["items"]) == 10
    assert 'rel="next"' in r.headers["link"] and 'rel="prev"' in r.headers["link"]
    assert r.headers["x-total-count"] == "33"
    mech = get(server, "/concepts", role="mechanism").json()
    assert {i["slug"] for i in mech["items"]} == {
        "attachment-theory",
        "neurochemical-processes",
        "oxytocin",
        "endorphins",
        "behavioral-processes",
        "self-disclosure",
        "active-listening",
        "empathy",
    }
    described = get(server, "/concepts", described="true").json()
    assert [i["slug"] for i in described["items"]] == ["emotional-intimacy"]
    stubs = get(server, "/concepts", described="false").json()
    assert stubs["total"] == 32
    in_note = get(server, "/concepts", note="emotional-intimacy").json()
    assert in_note["total"] >= 18


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "ten"}, {"described": "maybe"}],
)
def test_bad_paging_values(server: Server, params: dict[str, object]) -> None:
    r = get(server, "/concepts", **params)
    assert r.status_code == 400
    assert r.json()["code"] == "bad-parameter"


def test_unknown_role(server: Server) -> None:
    r = get(server, "/concepts", role="villain")
    assert r.status_code == 400 and r.json()["code"] == "bad-parameter"


def test_unknown_slug_suggests(server: Server) -> None:
    r = get(server, "/concepts/empaty")
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == "not-found"
    assert body["suggestions"][0]["slug"] == "empathy"
    assert "Did you mean" in body["message"]


@pytest.mark.parametrize(
    "slug",
    ['"', "a{b}", "x#y", "Trust", "trust%27%20OR%201", "a" * 300, "%00", "..%2F..%2Fetc", "tru st"],
)
def test_hostile_slugs_are_404(server: Server, slug: str) -> None:
    r = httpx.get(f"{server.url}/api/v1/concepts/{slug}", timeout=30)
    assert r.status_code in (400, 404)
    assert "code" in r.json()


def test_related_depth_and_relation(server: Server) -> None:
    one = get(server, "/concepts/oxytocin/related").json()["items"]
    assert {i["slug"] for i in one} == {"emotional-intimacy"}
    two = get(server, "/concepts/oxytocin/related", depth=2).json()["items"]
    assert {"trust", "education"} <= {i["slug"] for i in two}
    chars = get(server, "/concepts/emotional-intimacy/related", relation="characteristic").json()[
        "items"
    ]
    assert {i["slug"] for i in chars} == {
        "trust",
        "vulnerability",
        "empathy",
        "mutual-understanding",
        "support",
    }
    assert get(server, "/concepts/trust/related", depth=4).status_code == 400
    assert get(server, "/concepts/trust/related", relation="nope").status_code == 400


def test_hierarchy(server: Server) -> None:
    broader = get(server, "/concepts/romantic-intimacy/broader").json()["items"]
    assert [b["slug"] for b in broader] == ["emotional-intimacy"]
    ancestors = get(server, "/concepts/romantic-intimacy/ancestors").json()["items"]
    assert [a["slug"] for a in ancestors] == ["emotional-intimacy"]
    desc = get(server, "/concepts/emotional-intimacy/descendants").json()["items"]
    assert len(desc) == 4
    roots = get(server, "/roots").json()["items"]
    assert [r["slug"] for r in roots] == ["emotional-intimacy"]


def test_graph_for_a_viewer(server: Server) -> None:
    g = get(server, "/concepts/emotional-intimacy/graph").json()
    assert g["nodes"][0]["slug"] == "emotional-intimacy"
    assert len(g["nodes"]) == 1 + 32  # every concept the seed names is one hop away
    relations = {e["relation"] for e in g["edges"]}
    assert relations == {
        "characteristic",
        "type",
        "benefit",
        "mechanism",
        "implication",
        "related",
        "see-also",
    }
    assert all(e["source"] == g["center"] for e in g["edges"])


def test_path(server: Server) -> None:
    body = get(server, "/concepts/oxytocin/path/relationship-satisfaction").json()
    assert body["connected"] is True and body["length"] == 2
    shapes = {
        tuple((s["from"]["slug"], s["relation"], s["to"]["slug"], s["direction"]) for s in path)
        for path in body["paths"]
    }
    # Oxytocin is a mechanism OF emotional intimacy (walked backwards), which has the benefit
    # relationship satisfaction (walked forwards); "related" gives a second shortest path.
    assert (
        ("oxytocin", "mechanism", "emotional-intimacy", "backward"),
        ("emotional-intimacy", "benefit", "relationship-satisfaction", "forward"),
    ) in shapes
    # the most specific path first: typed steps before "related"
    assert [s["relation"] for s in body["paths"][0]] == ["mechanism", "benefit"]
    step = body["paths"][0][0]
    assert step["edge"]["subject"].endswith("/emotional-intimacy")
    assert get(server, "/concepts/trust/path/trust").json()["length"] == 0


def test_search_and_suggest(server: Server) -> None:
    hits = get(server, "/search", q="empathy").json()["items"]
    assert hits[0]["slug"] == "empathy" and hits[0]["match"] == "exact-preferred-label"
    hits = get(server, "/search", q="closeness").json()["items"]
    assert hits[0]["slug"] == "closeness"
    text = get(server, "/search", q="vulnerable").json()["items"]
    assert "emotional-intimacy" in [h["slug"] for h in text]
    assert (
        get(server, "/search", q="empathy", role="mechanism").json()["items"][0]["slug"]
        == "empathy"
    )
    sugg = get(server, "/suggest", q="emo").json()["items"]
    assert [s["slug"] for s in sugg][:3] == [
        "emotional-bond",
        "emotional-intimacy",
        "emotion-focused-therapy",
    ]


@pytest.mark.parametrize(
    "q", ['"}', "?s ?p ?o", "# comment", "' OR '1'='1", "\\u0022", "{{", "x" * 200]
)
def test_hostile_search_strings(server: Server, q: str) -> None:
    assert get(server, "/search", q=q).status_code == 200
    assert get(server, "/suggest", q=q[:100]).status_code == 200


def test_studies(server: Server) -> None:
    studies = get(server, "/studies").json()["items"]
    assert [s["slug"] for s in studies] == ["reis-1988", "aron-1997", "laurenceau-1998"]
    aron = get(server, "/studies/aron-1997").json()
    assert aron["label"] == "Aron et al. (1997)" and aron["authors"] == ["Aron"]
    assert aron["claims"][0]["concept"]["slug"] == "emotional-intimacy"
    assert get(server, "/studies/nobody-2020").status_code == 404


def test_notes(server: Server) -> None:
    notes = get(server, "/notes").json()["items"]
    assert [n["slug"] for n in notes] == ["emotional-intimacy"]
    note = get(server, "/notes/emotional-intimacy").json()
    assert note["markdown"].startswith("see also:")
    assert note["graph"]["triples"] > 300
    md = httpx.get(
        server.url + "/api/v1/notes/emotional-intimacy", headers={"Accept": "text/markdown"}
    )
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("see also:")


def test_stats(server: Server) -> None:
    stats = get(server, "/stats").json()
    assert stats["classes"]["ig:Concept"] == 33
    assert stats["classes"]["ig:Study"] == 3
    assert stats["relations"]["ig:hasCharacteristic"] == 5


@pytest.mark.parametrize(
    ("name", "ext", "fmt"),
    [
        ("ontology", "ttl", "turtle"),
        ("graph", "nq", "nquads"),
        ("graph", "jsonld", "json-ld"),
        ("ontology", "rdf", "xml"),
    ],
)
def test_downloads(server: Server, name: str, ext: str, fmt: str) -> None:
    r = httpx.get(f"{server.url}/api/v1/download/{name}.{ext}", timeout=60)
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    from rdflib import Dataset

    ds = Dataset()
    ds.parse(data=r.content, format=fmt)
    assert len(list(ds.quads((None, None, None, None)))) > 400


def test_etag_and_conditional_get(server: Server) -> None:
    r = get(server, "/concepts/trust")
    etag = r.headers["etag"]
    again = httpx.get(server.url + "/api/v1/concepts/trust", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_cards_are_gzipped_for_clients_that_ask(server: Server) -> None:
    url = server.url + "/api/v1/concepts/emotional-intimacy"
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    for asked in ("gzip", "br;q=1.0, gzip;q=0.5", "GZIP"):
        zipped = httpx.get(url, headers={"Accept-Encoding": asked})
        assert zipped.headers["content-encoding"] == "gzip", asked
        assert int(zipped.headers["content-length"]) < len(plain.content) / 2
        assert zipped.content == plain.content  # httpx decodes it
        assert zipped.headers["etag"] == plain.headers["etag"]
        assert "Accept-Encoding" in zipped.headers["vary"]
    for refused in ("gzip;q=0", "deflate", "*"):
        r = httpx.get(url, headers={"Accept-Encoding": refused})
        assert "content-encoding" not in r.headers and r.content == plain.content, refused


def test_context_document(server: Server) -> None:
    r = httpx.get(server.url + "/context.jsonld")
    assert r.status_code == 200
    ctx = r.json()["@context"]
    assert ctx["prefLabel"]["@id"] == "skos:prefLabel"
    assert httpx.get(server.url + "/context/v1.jsonld").json() == r.json()


def test_openapi_documents_every_route(server: Server) -> None:
    spec = httpx.get(server.url + "/openapi.json").json()
    for path in (
        "/api/v1/concepts",
        "/api/v1/concepts/{slug}",
        "/api/v1/search",
        "/api/v1/suggest",
        "/api/v1/concepts/{slug}/path/{other}",
        "/api/v1/studies",
        "/api/v1/notes/{slug}",
        "/api/v1/stats",
        "/sparql",
    ):
        assert path in spec["paths"], path


def test_readiness_tells_when_search_is_ready(server: Server) -> None:
    deadline = time.monotonic() + 60
    while True:  # the index is built in the background after start-up
        body = httpx.get(server.url + "/api/v1/ready", timeout=10).json()
        if body["search_ready"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert body["ready"] is True and body["workers"] >= 1
    assert body["search_ready"] is True
    assert body["search_generation"] == body["generation"]
    assert get(server, "/suggest", q="emo").status_code == 200
