"""``create_app(settings)``: the one place configuration enters and errors become HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intimacy_graph import __version__
from intimacy_graph.api.fastpath import SparqlFastPath
from intimacy_graph.api.models import install_openapi
from intimacy_graph.api.negotiation import NotAcceptableError
from intimacy_graph.api.ratelimit import Budget, RateLimit
from intimacy_graph.config import Settings
from intimacy_graph.errors import (
    IntimacyGraphError,
    NotFoundError,
    NotReadyError,
    PreconditionFailedError,
    QueryEvaluationError,
    QueryRefusedError,
    QuerySyntaxError,
    QueryTimeoutError,
    StoreError,
    StoreUnavailableError,
    UnsupportedMediaTypeError,
    UnusableInputError,
    ValidationFailedError,
)
from intimacy_graph.keys import AuthError, ForbiddenError
from intimacy_graph.service import Service
from intimacy_graph.sparql_workers import QueryCrashedError, ServiceBusyError
from intimacy_graph.web import STATIC_DIR
from intimacy_graph.web.sparql_page import CONTENT_SECURITY_POLICY

#: The one table that maps domain errors to HTTP statuses (most specific first).
STATUS: list[tuple[type[IntimacyGraphError], int]] = [
    (AuthError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (PreconditionFailedError, 412),
    (NotAcceptableError, 406),
    (ValidationFailedError, 422),
    (UnsupportedMediaTypeError, 415),
    (QueryTimeoutError, 503),
    (NotReadyError, 503),
    (ServiceBusyError, 503),
    (StoreUnavailableError, 503),
    (QueryCrashedError, 400),
    (QueryRefusedError, 400),
    (QuerySyntaxError, 400),
    (QueryEvaluationError, 400),
    (UnusableInputError, 400),
    (StoreError, 503),
]


def status_of(exc: IntimacyGraphError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def error_response(status: int, code: str, message: str, **extra: object) -> JSONResponse:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="intimacy-graph"'
    if status == 503 and code != "query-timeout":  # retrying the same query will not help
        headers["Retry-After"] = "1"
    return JSONResponse(
        {"code": code, "message": message, **extra}, status_code=status, headers=headers
    )


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            response = error_response(
                413, "body-too-large", f"The request body is larger than {self.limit:,} bytes."
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            response = error_response(
                413, "body-too-large", f"The request body is larger than {self.limit:,} bytes."
            )
            await response(scope, receive, send)


class _TooLarge(Exception):
    pass


#: Headers every HTTP answer carries unless the route set its own.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("latin-1")),
)


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS` to each response's start message, keeping a route's own.

    Pure ASGI: it touches only ``http.response.start``, so the body streams through untouched
    (``BaseHTTPMiddleware`` cost a task group and a re-streamed body per request).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None, *, service: Service | None = None) -> FastAPI:
    """The application; tests pass their own settings (and may share a started service)."""
    settings = settings or Settings()
    owned = service is None
    svc = service or Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if owned:
            await svc.start()
        try:
            yield
        finally:
            if owned:
                await svc.close()

    app = FastAPI(
        title="intimacy-graph",
        version=__version__,
        lifespan=lifespan,
        description="A psychology concept ontology and knowledge graph: SPARQL 1.1, "
        "concept API and Linked Data.",
    )
    app.state.service = svc
    app.state.settings = settings

    @app.exception_handler(IntimacyGraphError)
    async def domain_error(request: Request, exc: IntimacyGraphError) -> JSONResponse:
        return error_response(
            status_of(exc),
            exc.code,
            exc.message,
            **{
                k: v
                for k, v in exc.details.items()
                if isinstance(v, str | int | float | bool | list | dict)
            },
        )

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        ]
        return error_response(400, "bad-parameter", "; ".join(problems) or "Bad parameters.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "no-such-route", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return error_response(exc.status_code, code, str(exc.detail))

    from intimacy_graph.api.routes import (
        concepts,
        graph_store,
        health,
        linked_data,
        pages,
        sparql,
        writes,
    )

    # innermost of ours: /sparql skips the router, every policy below still applies
    app.add_middleware(
        SparqlFastPath,
        path="/sparql",
        handlers={"GET": sparql.sparql_get, "POST": sparql.sparql_post},
    )
    app.add_middleware(SecurityHeaders)

    app.include_router(sparql.router)
    app.include_router(graph_store.router)
    app.include_router(health.router)
    app.include_router(writes.router)
    app.include_router(concepts.router)
    app.include_router(concepts.root)
    app.include_router(linked_data.router)
    app.include_router(pages.router)
    install_openapi(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(
        RateLimit,
        expensive=Budget(
            settings.rate_limit_expensive_per_s,
            settings.rate_limit_expensive_burst,
            settings.rate_limit_expensive_concurrency,
        ),
        cheap=Budget(settings.rate_limit_cheap_per_s, settings.rate_limit_cheap_burst),
        keys=svc.keys,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", "Accept", "Authorization", "If-Match", "If-None-Match"],
        expose_headers=[
            "X-SPARQL-MaxRows",
            "X-Truncated",
            "ETag",
            "Link",
            "X-Total-Count",
            "Location",
        ],
    )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app
