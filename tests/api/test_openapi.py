"""The OpenAPI contract at ``/openapi.json``: every route has a 200 schema and an example, the
examples hold to their schemas, and so do the real server's answers and errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from intimacy_graph.api.app import create_app
from intimacy_graph.api.models import document_protocols, install_openapi
from intimacy_graph.config import Settings
from tests.servers import Server

#: One real request per documented /api/v1 route (and the context), answered by the seed.
SAMPLES = {
    "/api/v1/health": ["/api/v1/health"],
    "/api/v1/ready": ["/api/v1/ready"],
    "/api/v1/concepts": ["/api/v1/concepts?limit=3", "/api/v1/concepts?role=mechanism"],
    "/api/v1/concepts/{slug}": [
        "/api/v1/concepts/emotional-intimacy",
        "/api/v1/concepts/empathy",
        "/api/v1/concepts/neurochemical-processes",
    ],
    "/api/v1/concepts/{slug}/related": [
        "/api/v1/concepts/oxytocin/related?depth=2",
        "/api/v1/concepts/emotional-intimacy/related?relation=characteristic",
    ],
    "/api/v1/concepts/{slug}/broader": ["/api/v1/concepts/romantic-intimacy/broader"],
    "/api/v1/concepts/{slug}/narrower": ["/api/v1/concepts/emotional-intimacy/narrower"],
    "/api/v1/concepts/{slug}/ancestors": ["/api/v1/concepts/romantic-intimacy/ancestors"],
    "/api/v1/concepts/{slug}/descendants": ["/api/v1/concepts/emotional-intimacy/descendants"],
    "/api/v1/roots": ["/api/v1/roots"],
    "/api/v1/concepts/{slug}/graph": ["/api/v1/concepts/emotional-intimacy/graph?depth=2"],
    "/api/v1/concepts/{slug}/path/{other}": [
        "/api/v1/concepts/oxytocin/path/relationship-satisfaction",
        "/api/v1/concepts/trust/path/trust",
    ],
    "/api/v1/search": ["/api/v1/search?q=intimacy", "/api/v1/search?q=%22%7D%23"],
    "/api/v1/suggest": ["/api/v1/suggest?q=emo"],
    "/api/v1/studies": ["/api/v1/studies"],
    "/api/v1/studies/{slug}": ["/api/v1/studies/aron-1997"],
    "/api/v1/notes": ["/api/v1/notes"],
    "/api/v1/notes/{slug}": ["/api/v1/notes/emotional-intimacy"],
    "/api/v1/stats": ["/api/v1/stats"],
    "/api/v1/download/{name}.{ext}": [
        "/api/v1/download/ontology.ttl",
        "/api/v1/download/ontology.jsonld",
    ],
    "/context.jsonld": ["/context.jsonld"],
    "/context/v1.jsonld": ["/context/v1.jsonld"],
}
#: Routes other modules own; their media types come from models.document_protocols.
PROTOCOL_ROUTES = re.compile(
    r"^/(sparql|graph-store|concept/|note/|work/|statement/|run/|ontology|graph/)"
)


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The OpenAPI document of an app (not started: generating it needs no store)."""
    app = create_app(Settings(store_path=tmp_path_factory.mktemp("openapi") / "store"))
    install_openapi(app)  # idempotent if create_app already installs it
    return app.openapi()


def validator(schema: dict[str, Any], part: dict[str, Any]) -> Any:
    """A JSON Schema validator for ``part``, its ``$ref``s resolved in ``schema``'s components."""
    return jsonschema_rs.validator_for({**part, "components": schema.get("components", {})})


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in ("get", "head", "post", "put", "delete", "patch")
    ]


def test_every_api_route_has_a_sample() -> None:
    """A new /api/v1 route without a sample here fails, so the contract cannot drift."""
    app = create_app(Settings(store_path=Path("/nonexistent/openapi-store")))
    documented = {
        path
        for path in app.openapi()["paths"]
        if path.startswith("/api/v1/") or path.startswith("/context")
    }
    writes = {p for p in documented if re.search(r"validate|changes|history|versions", p)}
    assert documented - writes <= set(SAMPLES), sorted(documented - writes - set(SAMPLES))


def test_every_route_has_a_200_schema_and_example(schema: dict[str, Any]) -> None:
    missing = []
    for path, method, op in operations(schema):
        ok = op["responses"].get("200")
        if ok is None:  # e.g. a POST that only creates: 201 is its success
            assert any(s.startswith("2") for s in op["responses"]), (method, path)
            continue
        content = ok.get("content") or {}
        if not content:
            missing.append(f"{method.upper()} {path}: no 200 content")
        for media, body in content.items():
            if "schema" not in body or not ("example" in body or "examples" in body):
                missing.append(f"{method.upper()} {path} {media}: schema or example missing")
    assert not missing, "\n".join(missing)


def test_examples_validate_against_their_schemas(schema: dict[str, Any]) -> None:
    checked = 0
    for path, method, op in operations(schema):
        for status, response in op["responses"].items():
            for media, body in (response.get("content") or {}).items():
                if "example" not in body:
                    continue
                errors = [
                    e.message
                    for e in validator(schema, body["schema"]).iter_errors(body["example"])
                ]
                assert not errors, f"{method.upper()} {path} {status} {media}: {errors}"
                checked += 1
    assert checked >= 60


def test_json_ld_keys_are_documented_by_alias(schema: dict[str, Any]) -> None:
    card = schema["components"]["schemas"]["ConceptCard"]
    assert {"@context", "@id", "@type"} <= set(card["required"])
    assert "id" not in card["properties"]
    path = schema["components"]["schemas"]["PathResult"]
    assert "from" in path["properties"] and "from_" not in path["properties"]


def test_errors_are_documented_in_one_shape(schema: dict[str, Any]) -> None:
    for path, _method, op in operations(schema):
        if not path.startswith("/api/v1/"):
            continue
        responses = op["responses"]
        assert "HTTPValidationError" not in str(responses.get("422")), (
            f"{path}: FastAPI's 422 body is never sent (bad parameters are 400)"
        )
        assert "4XX" in responses, path
        for status in ("400", "404", "4XX"):
            if status in responses:
                ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (path, status)


def test_protocol_routes_document_their_media_types(schema: dict[str, Any]) -> None:
    protocol = [(p, m, op) for p, m, op in operations(schema) if PROTOCOL_ROUTES.match(p)]
    assert len(protocol) >= 10
    for path, method, op in protocol:
        if path == "/graph-store" and method != "get":
            continue  # writes: 204, no content
        content = op["responses"]["200"]["content"]
        assert {"text/turtle", "application/ld+json"} <= set(content), path
        if path == "/sparql":
            assert "application/sparql-results+json" in content
        elif path != "/graph-store":
            assert "text/html" in content, path


def test_document_protocols_keeps_other_routes() -> None:
    before = {
        "paths": {
            "/api/v1/x": {"get": {"responses": {"200": {"content": {"a/b": {"schema": {}}}}}}},
            "/concept/{slug}": {"get": {"responses": {"200": {}, "422": {"$ref": "x"}}}},
        }
    }
    after = document_protocols(before)
    assert after["paths"]["/api/v1/x"]["get"]["responses"]["200"]["content"] == {
        "a/b": {"schema": {}}
    }
    concept = after["paths"]["/concept/{slug}"]["get"]["responses"]
    assert "text/html" in concept["200"]["content"]
    assert "422" in concept  # only FastAPI's own HTTPValidationError body is replaced


def test_served_schema_documents_protocol_media_types(server: Server) -> None:
    served = httpx.get(server.url + "/openapi.json", timeout=30).json()
    content = served["paths"]["/concept/{slug}"]["get"]["responses"]["200"]["content"]
    assert "text/turtle" in content


# -- the real server's answers hold to the schema ------------------------------------------------


def _schema_for(schema: dict[str, Any], template: str, status: str, media: str) -> dict[str, Any]:
    content = schema["paths"][template]["get"]["responses"][status]["content"]
    body: dict[str, Any] = content[media]["schema"]
    return body


@pytest.mark.parametrize(("template", "url"), [(t, u) for t, urls in SAMPLES.items() for u in urls])
def test_real_answers_validate(
    server: Server, schema: dict[str, Any], template: str, url: str
) -> None:
    r = httpx.get(server.url + url, timeout=60)
    assert r.status_code == 200, r.text
    media = r.headers["content-type"].split(";")[0].strip()
    part = _schema_for(schema, template, "200", media)
    if part.get("type") == "string":
        assert r.text
        return
    errors = [e.message for e in validator(schema, part).iter_errors(r.json())]
    assert not errors, f"{url}: {errors[:5]}"


@pytest.mark.parametrize(
    ("template", "url", "status"),
    [
        ("/api/v1/concepts/{slug}", "/api/v1/concepts/empaty", "404"),
        ("/api/v1/concepts", "/api/v1/concepts?limit=0", "400"),
        ("/api/v1/concepts/{slug}/related", "/api/v1/concepts/trust/related?depth=9", "400"),
        ("/api/v1/search", "/api/v1/search?q=", "400"),
        ("/api/v1/studies/{slug}", "/api/v1/studies/nobody-1900", "404"),
    ],
)
def test_real_errors_validate(
    server: Server, schema: dict[str, Any], template: str, url: str, status: str
) -> None:
    r = httpx.get(server.url + url, timeout=30)
    assert str(r.status_code) == status
    part = _schema_for(schema, template, status, "application/json")
    errors = [e.message for e in validator(schema, part).iter_errors(r.json())]
    assert not errors, errors
    assert r.json()["code"] in ("not-found", "bad-parameter")


def test_docs_page_is_served(server: Server) -> None:
    r = httpx.get(server.url + "/docs", timeout=30)
    assert r.status_code == 200 and "swagger" in r.text.lower()
    served = httpx.get(server.url + "/openapi.json", timeout=30).json()
    card = served["paths"]["/api/v1/concepts/{slug}"]["get"]["responses"]["200"]
    assert card["content"]["application/ld+json"]["example"]["slug"] == "emotional-intimacy"
