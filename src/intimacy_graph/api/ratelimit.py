"""Per-client rate limiting: a token bucket per client and per cost class, as pure ASGI.

A client is the id of a valid API key when the request presents one, else the client's IP
address (an invalid key counts as no key, so made-up keys cannot mint fresh budgets).  Two
classes of request have separate budgets:

* **expensive** — ``/sparql`` (queries and updates), Graph Store Protocol writes, whole-graph
  downloads, ``/api/v1/validate`` and every other write under ``/api/v1``;
* **cheap** — everything else (concept cards, search, Linked Data pages, static files).

Liveness and readiness probes are never limited.  A request over budget gets ``429`` with
``Retry-After`` (whole seconds) and the usual error body ``{"code": "rate-limited", ...}``.
A rate of 0 switches a class off.  Pure ASGI, not ``BaseHTTPMiddleware``: it costs one dict
lookup per request and never touches the body.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from intimacy_graph.keys import AuthError, KeyRing

#: Paths that are never limited (health probes of load balancers and orchestrators).
EXEMPT = frozenset({"/api/v1/health", "/api/v1/ready"})
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Budget:
    """``rate`` tokens per second, at most ``burst`` saved up; ``rate <= 0`` is unlimited.

    ``concurrency`` > 0 also caps the requests one client may have in flight at once: a token
    bucket counts requests, not their cost, so this is what keeps one client's slow queries
    from holding every query worker.
    """

    rate: float
    burst: int
    concurrency: int = 0

    @property
    def enabled(self) -> bool:
        return self.rate > 0


def cost_class(method: str, path: str) -> str | None:
    """``"expensive"``, ``"cheap"`` or ``None`` (exempt) for a request.

    >>> cost_class("GET", "/sparql"), cost_class("GET", "/api/v1/concepts/trust")
    ('expensive', 'cheap')
    >>> cost_class("PUT", "/graph-store"), cost_class("GET", "/graph-store")
    ('expensive', 'cheap')
    >>> cost_class("GET", "/api/v1/health") is None
    True
    """
    if path in EXEMPT or method == "OPTIONS":
        return None
    if path == "/sparql" or path.startswith("/sparql/"):
        return "expensive"
    if path == "/graph-store":
        return "expensive" if method in _WRITE_METHODS else "cheap"
    if path.startswith("/api/v1/download/") or path == "/api/v1/validate":
        return "expensive"
    if path.startswith("/api/v1/") and method in _WRITE_METHODS:
        return "expensive"
    return "cheap"


class TokenBuckets:
    """Token buckets keyed by client, oldest forgotten first beyond ``max_clients``."""

    def __init__(
        self,
        budget: Budget,
        *,
        max_clients: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budget = budget
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str) -> float:
        """Spend one token; returns 0 if allowed, else the seconds until one is available."""
        now = self.clock()
        rate, burst = self.budget.rate, float(self.budget.burst)
        tokens, last = self._buckets.pop(client, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / rate
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait


class RateLimit:
    """ASGI middleware: refuse requests over their client's budget with 429 + Retry-After."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        expensive: Budget,
        cheap: Budget,
        keys: KeyRing | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.keys = keys
        self.buckets = {
            name: TokenBuckets(budget, clock=clock)
            for name, budget in (("expensive", expensive), ("cheap", cheap))
            if budget.enabled
        }
        self.in_flight: dict[str, int] = {}

    def client_of(self, scope: Scope) -> str:
        """``key:<id>`` for a valid API key, else ``ip:<address>``."""
        if self.keys is not None:
            for name, value in scope.get("headers") or []:
                if name == b"authorization":
                    scheme, _, secret = value.decode("latin-1").partition(" ")
                    if scheme.lower() == "bearer" and secret.strip():
                        try:
                            return "key:" + self.keys.verify(secret.strip()).id
                        except AuthError:
                            pass
                    break
        client = scope.get("client")
        return "ip:" + (client[0] if client else "unknown")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.buckets:
            await self.app(scope, receive, send)
            return
        kind = cost_class(scope.get("method", "GET"), scope.get("path", ""))
        buckets = self.buckets.get(kind) if kind is not None else None
        if buckets is None:
            await self.app(scope, receive, send)
            return
        budget = buckets.budget
        client = self.client_of(scope)
        running = self.in_flight.get(client, 0)
        if budget.concurrency and running >= budget.concurrency:
            await self._refuse(
                scope,
                receive,
                send,
                1,
                f"Too many {kind} requests from this client at once (at most "
                f"{budget.concurrency} in flight); retry after 1 s.",
            )
            return
        wait = buckets.take(client)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            await self._refuse(
                scope,
                receive,
                send,
                retry,
                f"Too many {kind} requests from this client (budget: {budget.rate:g} per "
                f"second, bursts of {budget.burst}); retry after {retry} s.",
            )
            return
        if not budget.concurrency:
            await self.app(scope, receive, send)
            return
        self.in_flight[client] = running + 1
        try:
            await self.app(scope, receive, send)
        finally:
            left = self.in_flight.get(client, 1) - 1
            if left > 0:
                self.in_flight[client] = left
            else:
                self.in_flight.pop(client, None)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, retry: int, message: str
    ) -> None:
        from intimacy_graph.api.app import error_response  # the one error shape

        response = error_response(429, "rate-limited", message, retry_after_s=retry)
        response.headers["Retry-After"] = str(retry)
        await response(scope, receive, send)
