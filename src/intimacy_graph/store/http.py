"""Kept-alive HTTP connections for the remote store's queries.

SPARQLWrapper sends each request through ``urllib.request.urlopen``, which opens and closes a
connection every time: against Virtuoso on loopback that is ~0.6 ms of a 2–3 ms lookup, and
the remote backend's whole cost over a client asking the server directly is one such
exchange. So the remote store still lets SPARQLWrapper build every query request (endpoint,
parameters, headers, basic credentials) and sends it over a connection kept open between
requests. Measured per lookup against Virtuoso (``bench/remote_bench.py`` data, 10k concepts,
CPU of the client process): urlopen 1.10 ms, ``http.client`` kept alive 0.47 ms, urllib3's pool
1.00 ms, httpx 1.67 ms — hence the standard library's ``http.client`` and this small pool.

Only what ``urlopen`` would do the same way goes through here: no proxy applies to the
endpoint, and no digest authentication (a challenge round trip urllib's handlers perform).
A redirect is not followed here: the caller sends the request the ordinary way instead.
A connection that the server closed while idle fails on reuse; the request is then sent once
more on a new connection (queries are reads: sending one twice is harmless).
"""

from __future__ import annotations

import http.client
import threading
import urllib.error
import urllib.request
from email.message import Message
from io import BytesIO
from urllib.parse import urlsplit

#: Idle connections kept per pool (one pool per endpoint): more than the threads that query.
MAX_IDLE = 16
#: Statuses a plain ``urlopen`` would follow (the caller falls back to it for these).
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Redirected(Exception):
    """The server answered with a redirect, which only ``urlopen`` follows."""


def poolable(url: str) -> bool:
    """Whether ``url`` can be asked over a kept-alive connection as ``urlopen`` would ask it
    (http or https, and no proxy from the environment applies to it)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    proxies = urllib.request.getproxies()
    return parts.scheme not in proxies or bool(urllib.request.proxy_bypass(parts.hostname))


class ConnectionPool:
    """Idle connections to one endpoint's host, reused by whichever thread asks next."""

    def __init__(self, url: str, max_idle: int = MAX_IDLE) -> None:
        parts = urlsplit(url)
        self.scheme = parts.scheme
        self.host = parts.hostname or ""
        self.port = parts.port
        self.max_idle = max_idle
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connection(self, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                connection = self._idle.pop()
                if connection.sock is not None:
                    connection.sock.settimeout(timeout)
                connection.timeout = timeout
                return connection, True
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout), False
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout), False

    def _release(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self.max_idle:
                self._idle.append(connection)
                return
        connection.close()

    def send(self, request: urllib.request.Request, timeout: float) -> tuple[bytes, Message]:
        """The body and headers of the answer to ``request``; an answer of 400 or more raises
        ``urllib.error.HTTPError`` (as ``urlopen`` does), a redirect :class:`Redirected`."""
        parts = urlsplit(request.full_url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        headers = dict(request.header_items())
        headers.setdefault("Connection", "keep-alive")
        body = request.data
        if body is not None and not isinstance(body, bytes):
            raise TypeError("the request body must be bytes")
        for attempt in (1, 2):
            connection, reused = self._connection(timeout)
            try:
                connection.request(request.get_method(), target, body, headers)
                response = connection.getresponse()
                data = response.read()
            except _STALE:
                connection.close()
                if reused and attempt == 1:
                    continue  # closed by the server while idle: once more, on a new one
                raise
            except BaseException:
                connection.close()
                raise
            if response.will_close:
                connection.close()
            else:
                self._release(connection)
            if response.status in REDIRECTS:
                raise Redirected(response.status)
            if response.status >= 400:
                raise urllib.error.HTTPError(
                    request.full_url, response.status, response.reason, response.msg, BytesIO(data)
                )
            return data, response.msg
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
