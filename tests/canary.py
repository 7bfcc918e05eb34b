"""A loopback HTTP canary that counts every TCP connection made to it (and every request).

Any connection at all means something in the service reached out to a URL a user gave it.
Shared by tests/api/test_sparql_safety.py-style tests and the hostile-input corpus.
"""

from __future__ import annotations

import http.server
import threading
from typing import Any


class Canary:
    """A loopback HTTP server: ``connections`` counts accepted sockets, ``hits`` requests."""

    def __init__(self) -> None:
        self.hits = 0
        self.connections = 0
        self._lock = threading.Lock()
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with canary._lock:
                    canary.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/turtle")
                self.end_headers()
                self.wfile.write(b"<urn:a> <urn:b> <urn:c> .\n")

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                return None

        class CountingServer(http.server.ThreadingHTTPServer):
            def get_request(self) -> tuple[Any, Any]:
                request = super().get_request()
                with canary._lock:
                    canary.connections += 1
                return request

        self.httpd = CountingServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
