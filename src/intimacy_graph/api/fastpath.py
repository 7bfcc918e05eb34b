"""``/sparql`` without the router: the endpoint's handlers called straight from the middleware
stack.

A lookup cost the main process ~0.65 ms of CPU, and a fifth to a quarter of it was FastAPI's
and Starlette's per-request machinery between our middleware and the handler — the exception
middleware, the exit stack, matching the path against about 40 routes, the route's
request/response wrapper (A/B at 10k concepts: 0.68/0.65 → 0.51/0.54 ms) — none of which
``/sparql`` uses (its handlers read the request themselves and take no
dependencies). :class:`SparqlFastPath` sits innermost among our middleware (after the body
limit, CORS, the rate limit and the security headers, which all still apply) and hands GET and
POST ``/sparql`` to the same two handler functions the router would call. Exceptions become
responses through the application's own exception handlers, looked up the way Starlette's
exception middleware looks them up, so every answer is the one the router would give;
anything else (HEAD, OPTIONS, other paths) goes down the ordinary stack. The routes stay
registered, for the OpenAPI document and for the ordinary path.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Handler = Callable[[Request], Awaitable[Response]]


class SparqlFastPath:
    """Serve GET and POST ``path`` with ``handlers`` (by method); pass the rest to ``app``."""

    def __init__(self, app: ASGIApp, *, path: str, handlers: dict[str, Handler]) -> None:
        self.app = app
        self.path = path
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = (
            self.handlers.get(scope["method"])
            if scope["type"] == "http" and scope["path"] == self.path
            else None
        )
        if handler is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except Exception as exc:  # noqa: BLE001 - answered by the app's handlers, or re-raised
            response = await _handled(scope["app"], request, exc)
        await response(scope, receive, send)


async def _handled(app: Any, request: Request, exc: Exception) -> Response:
    """The application's answer to ``exc``, as its exception middleware would give it (the
    handler of the nearest class in the exception's MRO); re-raised when it has none, so the
    server-error middleware answers as it would."""
    handlers: dict[Any, Callable[..., Any]] = getattr(app, "exception_handlers", {})
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            answer = handler(request, exc)
            if inspect.isawaitable(answer):
                answer = await answer
            if not isinstance(answer, Response):  # pragma: no cover - our handlers all answer
                raise exc
            return answer
    raise exc
