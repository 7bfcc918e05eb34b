"""A Python client for an intimacy-graph service: the concept API and SPARQL 1.1.

REST calls use httpx. SPARQL Protocol requests are built by SPARQLWrapper and sent through the
same httpx pool, so one (float) timeout, one ``transport`` and one set of errors cover both;
SPARQLWrapper's own urllib sending would truncate timeouts to whole seconds and drop the status,
JSON error code and Retry-After of failures. Every failure is a :class:`ClientError` subclass;
httpx errors never escape.

>>> with Client("http://127.0.0.1:8000") as ig:  # doctest: +SKIP
...     ig.concept("trust")["prefLabel"]
'Trust'
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Any, cast
from urllib.parse import quote
from urllib.request import Request

import httpx
from rdflib import Graph
from SPARQLWrapper import CONSTRUCT, DESCRIBE, INSERT, JSON, POST, SELECT, TURTLE, SPARQLWrapper

from intimacy_graph import __version__

__all__ = [
    "BadRequest",
    "Client",
    "ClientError",
    "ConnectionFailed",
    "Forbidden",
    "NotFound",
    "NotSupportedByServer",
    "Page",
    "PreconditionFailed",
    "ServiceUnavailable",
    "TruncatedResultsWarning",
    "Unauthorized",
    "Unprocessable",
    "ValidationReport",
    "WriteResult",
]

USER_AGENT = f"intimacy-graph-client/{__version__}"
JSONObject = dict[str, Any]

# -- errors ------------------------------------------------------------------------------------


class ClientError(Exception):
    """Base of every error the client raises.

    ``status`` is the HTTP status (``None`` when no answer came), ``code`` and ``message`` come
    from the server's JSON error body, ``details`` holds the body's other fields.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "error",
        details: JSONObject | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details: JSONObject = details or {}
        self.url = url

    def __str__(self) -> str:
        where = f"HTTP {self.status}, " if self.status is not None else ""
        return f"{self.message} ({where}{self.code})"


class NotFound(ClientError):
    """404: no such concept, study, note or route."""

    @property
    def suggestions(self) -> list[JSONObject]:
        """The server's "did you mean" candidates (``slug``, ``prefLabel``), best first."""
        found = self.details.get("suggestions")
        return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []


class Unauthorized(ClientError):
    """401: the request needs an API key, or the key is not valid."""


class Forbidden(ClientError):
    """403: the key is valid but lacks the role (e.g. a reader key sent to update)."""


class BadRequest(ClientError):
    """400, 406, 413, 415 or 422: the server refused the request as sent."""


class PreconditionFailed(ClientError):
    """412: ``If-Match`` named a version of the note that is no longer the current one."""


class Unprocessable(BadRequest):
    """422 with a validation report: the entry does not conform and nothing was written.

    ``report`` is the :class:`ValidationReport` the server sent."""

    @property
    def report(self) -> ValidationReport:
        body = self.details.get("report")
        body = body if isinstance(body, dict) else {}
        results = body.get("results")
        return ValidationReport(
            body.get("conforms") is True,
            [r for r in results if isinstance(r, dict)] if isinstance(results, list) else [],
            body,
        )


class ServiceUnavailable(ClientError):
    """503: starting, busy or a query ran out of time; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ConnectionFailed(ClientError):
    """No HTTP answer: refused, reset, DNS, TLS, or no answer in time (``timed_out``)."""

    def __init__(self, message: str, *, timed_out: bool = False, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.timed_out = timed_out


class NotSupportedByServer(ClientError):
    """The server has no such route (404/405): it is older than this client."""


class TruncatedResultsWarning(UserWarning):
    """The server cut a SPARQL result at its row limit (``X-Truncated: true``)."""


_BY_STATUS: dict[int, type[ClientError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    406: BadRequest,
    412: PreconditionFailed,
    413: BadRequest,
    415: BadRequest,
    422: BadRequest,
    503: ServiceUnavailable,
}


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_from(response: httpx.Response) -> ClientError:
    """The typed error for a non-2xx answer, read from its JSON ``{code, message, ...}``."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        code = str(body.get("code") or f"http-{status}")
        message: str = body["message"]
        details = {k: v for k, v in body.items() if k not in ("code", "message")}
    else:
        code = f"http-{status}"
        message = response.text.strip()[:300] or response.reason_phrase or "HTTP error"
        details = body if isinstance(body, dict) else {}
    url = str(response.request.url)
    cls = _BY_STATUS.get(status, ClientError)
    if status == 422 and isinstance(details.get("report"), dict):
        cls = Unprocessable
    if cls is ServiceUnavailable:
        retry = _retry_after(response.headers.get("retry-after"))
        return ServiceUnavailable(
            message, retry_after=retry, status=status, code=code, details=details, url=url
        )
    return cls(message, status=status, code=code, details=details, url=url)


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of ``/api/v1/concepts``: ``items`` from ``offset``, out of ``total``."""

    items: list[JSONObject]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page, or ``None`` on the last one."""
        after = self.offset + len(self.items)
        return after if self.items and after < self.total else None


@dataclass(frozen=True)
class ValidationReport:
    """The answer of ``POST /api/v1/validate``; ``body`` is the whole JSON answer."""

    conforms: bool
    results: list[JSONObject]
    body: JSONObject = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class WriteResult:
    """The answer of a write (``put_note``, ``add_concepts``, ``restore``).

    ``status`` is 201 when something was created, else 200; ``etag`` and ``location`` come from
    the headers (``None`` for a dry run); ``report`` and ``diff`` from the body."""

    status: int
    slug: str | None
    version: int | None
    etag: str | None
    location: str | None
    dry_run: bool
    report: ValidationReport
    diff: JSONObject | None
    body: JSONObject = field(default_factory=dict, repr=False)

    @property
    def created(self) -> bool:
        return self.status == 201


#: Media types by file suffix, for :meth:`Client.validate` and :meth:`Client.add_concepts`.
MEDIA_BY_SUFFIX = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".json": "application/ld+json",
    ".nt": "application/n-triples",
    ".rdf": "application/rdf+xml",
    ".owl": "application/rdf+xml",
    ".xml": "application/rdf+xml",
}


def _report(body: object) -> ValidationReport:
    if not isinstance(body, dict) or not isinstance(body.get("conforms"), bool):
        raise _invalid("a validation report without a boolean 'conforms'")
    results = body.get("results", [])
    if not isinstance(results, list):
        raise _invalid("a validation report whose 'results' is not a list")
    return ValidationReport(body["conforms"], results, body)


def _entry_bytes(entry: str | bytes | Path, media_type: str | None) -> tuple[bytes, str]:
    """The body and media type of an entry given as text, bytes or a file path."""
    if isinstance(entry, Path):
        media = media_type or MEDIA_BY_SUFFIX.get(entry.suffix.lower())
        if media is None:
            raise ValueError(f"Cannot tell the media type of {entry.name!r}; pass media_type.")
        return entry.read_bytes(), media
    data = entry.encode("utf-8") if isinstance(entry, str) else entry
    return data, media_type or "text/markdown"


_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = frozenset(
    (
        *("integer", "int", "long", "short", "byte"),
        *("nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger"),
        *("unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"),
    )
)


def _literal(lexical: str, datatype: str | None) -> object:
    """A Python value for an XSD literal; the lexical form when the type is other or ill-formed.

    >>> _literal("42", _XSD + "integer"), _literal("0.5", _XSD + "decimal")
    (42, Decimal('0.5'))
    >>> _literal("true", _XSD + "boolean"), _literal("x", _XSD + "integer")
    (True, 'x')
    """
    name = datatype[len(_XSD) :] if datatype and datatype.startswith(_XSD) else None
    try:
        if name in _INTEGERS:
            return int(lexical)
        if name == "decimal":
            return Decimal(lexical)
        if name in ("double", "float"):
            return float(lexical)
        if name == "boolean" and lexical in ("true", "1", "false", "0"):
            return lexical in ("true", "1")
        if name == "date":
            return date.fromisoformat(lexical)
        if name == "dateTime":
            return datetime.fromisoformat(lexical)
    except (ValueError, ArithmeticError):
        pass
    return lexical


def _term(term: JSONObject) -> object:
    """A Python value for one SPARQL JSON term: IRI → str, blank node → ``"_:id"``, literal →
    :func:`_literal`, triple term → a 3-tuple."""
    kind, value = term.get("type"), term.get("value")
    if kind == "uri":
        return str(value)
    if kind == "bnode":
        return f"_:{value}"
    if kind in ("literal", "typed-literal"):
        return _literal(str(value), term.get("datatype"))
    if kind == "triple" and isinstance(value, dict):
        return tuple(_term(value[k]) for k in ("subject", "predicate", "object"))
    return term


# -- SPARQL through SPARQLWrapper --------------------------------------------------------------


def _protocol_request(endpoint: str, text: str, *, update: bool, accept: str) -> Request:
    """The SPARQL 1.1 Protocol request SPARQLWrapper builds for ``text`` (form-encoded POST).

    The server, not SPARQLWrapper's regex, decides what is an update: we only choose whether
    the text is sent as ``query`` or as ``update``, so a query method never changes the graph.
    """
    wrapper = SPARQLWrapper(endpoint, agent=USER_AGENT)
    wrapper.setOnlyConneg(True)
    wrapper.setMethod(POST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "not detected query type"
        wrapper.setQuery(text)
    if wrapper.isSparqlUpdateRequest() != update:
        wrapper.queryType = INSERT if update else SELECT
    # Our Accept header wins; the format only keeps SPARQLWrapper from warning about it.
    wrapper.setReturnFormat(TURTLE if wrapper.queryType in (CONSTRUCT, DESCRIBE) else JSON)
    wrapper.addCustomHttpHeader("Accept", accept)
    request: Request = wrapper._createRequest()
    return request


_SOLUTIONS = "application/sparql-results+json"
_TURTLE = "text/turtle"

# -- the client --------------------------------------------------------------------------------


def _segment(value: str) -> str:
    """One URL path segment; dots are escaped so ``..`` cannot climb."""
    if not value:
        raise ValueError("A slug or path segment must not be empty.")
    return quote(value, safe="").replace(".", "%2E")


class Client:
    """A client for one intimacy-graph deployment.

    ``api_key`` is sent as ``Authorization: Bearer`` (needed only for :meth:`update`);
    ``timeout`` (seconds) bounds connecting and each read and write of every call;
    ``transport`` replaces httpx's network transport (e.g. ``httpx.MockTransport`` in tests).
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        headers = {"User-Agent": USER_AGENT}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        try:
            self._http = httpx.Client(
                base_url=self.base_url,
                headers=headers,
                timeout=httpx.Timeout(timeout),
                transport=transport,
            )
        except httpx.InvalidURL as exc:
            raise ValueError(f"Not a usable base URL: {base_url!r} ({exc})") from exc

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- plumbing --

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        check: bool = True,
    ) -> httpx.Response:
        """Send one request; network trouble → :class:`ConnectionFailed`, non-2xx → typed error."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._http.request(
                method,
                url,
                params=query,
                content=content,
                headers=headers,
                follow_redirects=method == "GET",  # never turn a POST into a GET
            )
        except httpx.TimeoutException as exc:
            raise ConnectionFailed(
                f"No answer from {self.base_url} within the {self.timeout:g} s timeout.",
                timed_out=True,
                code="timeout",
                url=url,
            ) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise ConnectionFailed(
                f"Could not talk to {self.base_url}: {str(exc) or type(exc).__name__}.",
                code="connection-failed",
                url=url,
            ) from exc
        if check and not response.is_success:
            raise _error_from(response)
        return response

    def _get(self, path: str, **params: Any) -> JSONObject:
        response = self._send("GET", path, params=params)
        return _json_object(response)

    # -- concepts --

    def concept(self, slug: str) -> JSONObject:
        """The concept card: labels, definition, typed relations by role, evidence, inverses."""
        return self._get(f"/api/v1/concepts/{_segment(slug)}")

    def concepts(
        self,
        role: str | None = None,
        note: str | None = None,
        described: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page:
        """One page of concepts, sorted by slug, optionally filtered by role, note, described."""
        body = self._get(
            "/api/v1/concepts",
            role=role,
            note=note,
            described=described,
            limit=limit,
            offset=offset,
        )
        try:
            return Page(
                items=list(body["items"]),
                total=int(body["total"]),
                limit=int(body["limit"]),
                offset=int(body["offset"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _invalid(f"a concept page without {exc}") from exc

    def iter_concepts(
        self,
        role: str | None = None,
        note: str | None = None,
        described: bool | None = None,
        *,
        page_size: int = 200,
        max_items: int | None = None,
    ) -> Iterator[JSONObject]:
        """Every matching concept, page by page; stops at ``total``, at an empty page or after
        ``max_items``. Offsets only grow, so the walk always ends."""
        offset, seen = 0, 0
        while max_items is None or seen < max_items:
            size = page_size if max_items is None else min(page_size, max_items - seen)
            page = self.concepts(role, note, described, limit=size, offset=offset)
            items = page.items if max_items is None else page.items[: max_items - seen]
            yield from items
            seen += len(items)
            if page.next_offset is None:
                return
            offset = page.next_offset

    def related(self, slug: str, relation: str | None = None, depth: int = 1) -> list[JSONObject]:
        """Typed neighbours up to ``depth`` (1–3) hops, optionally along one ``relation``."""
        body = self._get(
            f"/api/v1/concepts/{_segment(slug)}/related", relation=relation, depth=depth
        )
        return _items(body, "items")

    def broader(self, slug: str) -> list[JSONObject]:
        """Broader concepts, one step."""
        return _items(self._get(f"/api/v1/concepts/{_segment(slug)}/broader"), "items")

    def narrower(self, slug: str) -> list[JSONObject]:
        """Narrower concepts, one step."""
        return _items(self._get(f"/api/v1/concepts/{_segment(slug)}/narrower"), "items")

    def ancestors(self, slug: str) -> list[JSONObject]:
        """All broader concepts, transitively."""
        return _items(self._get(f"/api/v1/concepts/{_segment(slug)}/ancestors"), "items")

    def descendants(self, slug: str) -> list[JSONObject]:
        """All narrower concepts, transitively."""
        body = self._get(f"/api/v1/concepts/{_segment(slug)}/descendants")
        return _items(body, "items")

    def roots(self) -> list[JSONObject]:
        """Top concepts: narrower concepts below, nothing above."""
        return _items(self._get("/api/v1/roots"), "items")

    def graph(self, slug: str, depth: int = 1) -> JSONObject:
        """The neighbourhood as ``nodes`` and typed ``edges`` around ``center``."""
        return self._get(f"/api/v1/concepts/{_segment(slug)}/graph", depth=depth)

    def path(self, a: str, b: str) -> JSONObject:
        """Shortest connections from ``a`` to ``b``: ``connected``, ``length``, ``paths``."""
        return self._get(f"/api/v1/concepts/{_segment(a)}/path/{_segment(b)}")

    def search(self, q: str, role: str | None = None, limit: int = 20) -> list[JSONObject]:
        """Ranked hits: labels first, then definitions."""
        return _items(self._get("/api/v1/search", q=q, role=role, limit=limit), "items")

    def suggest(self, q: str, limit: int = 10) -> list[JSONObject]:
        """Autocomplete: concepts with a label starting with ``q``."""
        return _items(self._get("/api/v1/suggest", q=q, limit=limit), "items")

    # -- studies, notes, service --

    def studies(self) -> list[JSONObject]:
        """Studies cited as evidence."""
        return _items(self._get("/api/v1/studies"), "items")

    def study(self, slug: str) -> JSONObject:
        """A study with the claims each note makes from it."""
        return self._get(f"/api/v1/studies/{_segment(slug)}")

    def notes(self) -> list[JSONObject]:
        """Notes in the graph."""
        return _items(self._get("/api/v1/notes"), "items")

    def note(self, slug: str) -> JSONObject:
        """A note: metadata, Markdown source and its compiled graph."""
        return self._get(f"/api/v1/notes/{_segment(slug)}")

    def note_markdown(self, slug: str) -> str:
        """A note's Markdown source."""
        response = self._send(
            "GET", f"/api/v1/notes/{_segment(slug)}", headers={"Accept": "text/markdown"}
        )
        if not response.headers.get("content-type", "").startswith("text/markdown"):
            raise _invalid("a note that is not text/markdown", response)
        return response.text

    def stats(self) -> JSONObject:
        """Counts per class and per relation, quads, snapshot generation."""
        return self._get("/api/v1/stats")

    def download(self, name: str, ext: str) -> bytes:
        """A dump: ``name`` is ``ontology`` or ``graph``; ``ext`` one of ttl, nt, nq, trig,
        jsonld, rdf."""
        return self._send("GET", f"/api/v1/download/{_segment(name)}.{_segment(ext)}").content

    def context(self) -> JSONObject:
        """The JSON-LD context document the API's JSON is written in."""
        return self._get("/context.jsonld")

    def health(self) -> bool:
        """True if the service answers that it is alive; False otherwise (never raises)."""
        try:
            return self._get("/api/v1/health").get("status") == "ok"
        except ClientError:
            return False

    def ready(self) -> bool:
        """True if the service is ready to answer queries; False otherwise (never raises)."""
        try:
            return self._get("/api/v1/ready").get("ready") is True
        except ClientError:
            return False

    def validate(
        self,
        entry: str | bytes | Path,
        media_type: str | None = None,
        *,
        slug: str | None = None,
        content_type: str | None = None,
    ) -> ValidationReport:
        """Validate a note (Markdown) or RDF against the shapes and the graph, storing nothing.

        ``entry`` is the text, its bytes, or a file path (the media type then follows the
        suffix: ``.md``, ``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``); ``media_type`` (alias
        ``content_type``) defaults to ``text/markdown``; ``slug`` is the note's expected slug.
        Needs no key. Raises :class:`NotSupportedByServer` if the server has no
        ``POST /api/v1/validate``; a 422 that carries a report is returned as a report.
        """
        data, media = _entry_bytes(entry, media_type or content_type)
        response = self._send(
            "POST",
            "/api/v1/validate",
            params={"slug": slug},
            content=data,
            headers={"Content-Type": media, "Accept": "application/json"},
            check=False,
        )
        if response.status_code in (404, 405):
            error = _error_from(response)
            raise NotSupportedByServer(
                f"This server does not offer POST /api/v1/validate ({error.message})",
                status=error.status,
                code=error.code,
                details=error.details,
                url=error.url,
            )
        if response.status_code == 422:
            body = _maybe_json(response)
            if not (isinstance(body, dict) and "conforms" in body):
                raise _error_from(response)
        elif not response.is_success:
            raise _error_from(response)
        body = _json_object(response)
        conforms = body.get("conforms")
        if not isinstance(conforms, bool):
            raise _invalid("a validation answer without a boolean 'conforms'", response)
        return ValidationReport(conforms, _items(body, "results"), body)

    # -- writes (need an editor api_key) --

    def _write(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> WriteResult:
        response = self._send(method, url, params=params, content=content, headers=headers)
        body = _json_object(response)
        diff = body.get("diff")
        version = body.get("version")
        return WriteResult(
            status=response.status_code,
            slug=body.get("slug") if isinstance(body.get("slug"), str) else None,
            version=version if isinstance(version, int) else None,
            etag=response.headers.get("etag") or body.get("etag"),
            location=response.headers.get("location"),
            dry_run=body.get("dry_run") is True,
            report=_report(body.get("report")),
            diff=diff if isinstance(diff, dict) else None,
            body=body,
        )

    def put_note(
        self,
        slug: str,
        markdown: str | bytes | Path,
        *,
        dry_run: bool = False,
        if_match: str | None = None,
    ) -> WriteResult:
        """Create or replace the note ``slug`` (validated, then written in one transaction).

        ``dry_run`` answers with the report and the diff and writes nothing; ``if_match`` (an
        ETag from an earlier answer) makes the write conditional. Raises :class:`Unprocessable`
        (with ``.report``) when the note does not conform, :class:`PreconditionFailed` when
        ``if_match`` is stale, :class:`Unauthorized`/:class:`Forbidden` without an editor key.
        """
        data, _ = _entry_bytes(markdown, "text/markdown")
        headers = {"Content-Type": "text/markdown; charset=utf-8", "Accept": "application/json"}
        if if_match is not None:
            headers["If-Match"] = if_match if if_match.startswith(("W/", '"')) else f'"{if_match}"'
        return self._write(
            "PUT",
            f"/api/v1/notes/{_segment(slug)}",
            params={"dry_run": "true" if dry_run else None},
            content=data,
            headers=headers,
        )

    def add_concepts(
        self, rdf: str | bytes | Path, media_type: str | None = None, dry_run: bool = False
    ) -> WriteResult:
        """Add concepts given as RDF (Turtle by default; a path's suffix names its format)."""
        if isinstance(rdf, Path):
            data, media = _entry_bytes(rdf, media_type)
        else:
            data, media = _entry_bytes(rdf, media_type or "text/turtle")
        return self._write(
            "POST",
            "/api/v1/concepts",
            params={"dry_run": "true" if dry_run else None},
            content=data,
            headers={"Content-Type": media, "Accept": "application/json"},
        )

    def deprecate(self, slug: str, replaced_by: str | None = None) -> JSONObject:
        """Mark a concept ``owl:deprecated`` (and ``dcterms:isReplacedBy`` ``replaced_by``)."""
        response = self._send(
            "DELETE", f"/api/v1/concepts/{_segment(slug)}", params={"replaced_by": replaced_by}
        )
        return _json_object(response)

    def restore(self, slug: str, version: int, *, dry_run: bool = False) -> WriteResult:
        """Make an earlier ``version`` of the note ``slug`` the current one."""
        return self._write(
            "POST",
            f"/api/v1/notes/{_segment(slug)}/versions/{int(version)}/restore",
            params={"dry_run": "true" if dry_run else None},
            headers={"Accept": "application/json"},
        )

    # -- history --

    def changes(
        self, since: str | datetime | None = None, limit: int = 50, offset: int = 0
    ) -> Page:
        """One page of the feed of writes, newest first; ``since`` is an aware date-time."""
        if isinstance(since, datetime):
            if since.tzinfo is None:
                raise ValueError("since needs a time zone")
            since = since.isoformat()
        body = self._get("/api/v1/changes", since=since, limit=limit, offset=offset)
        try:
            return Page(
                items=list(body["items"]),
                total=int(body["total"]),
                limit=int(body["limit"]),
                offset=int(body["offset"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _invalid(f"a change page without {exc}") from exc

    def history(self, slug: str) -> list[JSONObject]:
        """Every write that created, changed or deprecated the concept, as events."""
        return _items(self._get(f"/api/v1/concepts/{_segment(slug)}/history"), "events")

    def note_versions(self, slug: str) -> list[JSONObject]:
        """Every version of a note, oldest first (``version``, ``etag``, ``time``, ``current``)."""
        return _items(self._get(f"/api/v1/notes/{_segment(slug)}/versions"), "versions")

    def note_version(self, slug: str, version: int) -> JSONObject:
        """One version of a note, with its Markdown."""
        return self._get(f"/api/v1/notes/{_segment(slug)}/versions/{int(version)}")

    # -- SPARQL --

    def _sparql(self, text: str, accept: str, *, update: bool = False) -> httpx.Response:
        request = _protocol_request(self.base_url + "/sparql", text, update=update, accept=accept)
        answer = self._send(
            request.get_method(),
            request.full_url,
            content=cast(bytes | None, request.data),
            headers=dict(request.header_items()),
        )
        if answer.headers.get("x-truncated") == "true":
            limit = answer.headers.get("x-sparql-maxrows")
            warnings.warn(
                f"SPARQL results truncated to {limit} rows by the server",
                TruncatedResultsWarning,
                stacklevel=3,
            )
        return answer

    def sparql(self, query: str) -> list[dict[str, object]]:
        """Run a SELECT; each row maps every projected variable to a Python value (None if
        unbound): IRIs as str, numbers as int/float/Decimal, booleans, dates, else the lexical
        form (language tags are dropped; use :meth:`sparql_raw` to keep them)."""
        body = _json_object(self._sparql(query, _SOLUTIONS))
        if "boolean" in body:
            raise ValueError("sparql() runs SELECT queries; use ask() for ASK")
        head, results = body.get("head"), body.get("results")
        if not (isinstance(head, dict) and isinstance(results, dict)):
            raise _invalid("SELECT results without 'head' and 'results'")
        names = [str(v) for v in _items(head, "vars")]
        rows = _items(results, "bindings")
        return [{n: (_term(r[n]) if n in r else None) for n in names} for r in rows]

    def sparql_raw(self, query: str, accept: str = _SOLUTIONS) -> bytes:
        """Run any query and return the response body in the media type ``accept`` asks for."""
        return self._sparql(query, accept).content

    def ask(self, query: str) -> bool:
        """Run an ASK query."""
        body = _json_object(self._sparql(query, _SOLUTIONS))
        if "results" in body:
            raise ValueError("ask() runs ASK queries; use sparql() for SELECT")
        answer = body.get("boolean")
        if not isinstance(answer, bool):
            raise _invalid("an ASK result without a boolean")
        return answer

    def construct(self, query: str) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query and parse the answer into an rdflib Graph."""
        data = self._sparql(query, _TURTLE).content
        try:
            return Graph().parse(data=data, format="turtle")
        except (SyntaxError, ValueError) as exc:  # BadSyntax is a SyntaxError
            raise _invalid(f"Turtle that does not parse ({exc})") from exc

    def update(self, sparql_update: str) -> None:
        """Run a SPARQL Update; needs an editor ``api_key``."""
        self._sparql(sparql_update, _SOLUTIONS, update=True)


def _maybe_json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _json_object(response: httpx.Response) -> JSONObject:
    body = _maybe_json(response)
    if not isinstance(body, dict):
        raise _invalid("a body that is not a JSON object", response)
    return body


def _items(body: JSONObject, key: str) -> list[JSONObject]:
    items = body.get(key)
    if not isinstance(items, list):
        raise _invalid(f"an answer without a list {key!r}")
    return items


def _invalid(what: str, response: httpx.Response | None = None) -> ClientError:
    return ClientError(
        f"The server sent {what}.",
        status=None if response is None else response.status_code,
        code="invalid-response",
        url=None if response is None else str(response.request.url),
    )
