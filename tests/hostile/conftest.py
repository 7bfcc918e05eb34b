"""Fixtures of the hostile-input corpus: one tight server, one canary, and the summary."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import pytest

from tests.canary import Canary
from tests.servers import Server, run_server

#: The server's time budget for one query (seconds); the client waits at most CLIENT_TIMEOUT_S.
QUERY_BUDGET_S = 3
MAX_ROWS = 1000


@dataclass
class Outcome:
    id: str
    category: str
    status: int | None
    code: str | None
    seconds: float
    outbound: int
    store_changed: bool
    alive: bool


RESULTS: list[Outcome] = []


@pytest.fixture(scope="package")
def canary() -> Iterator[Canary]:
    c = Canary()
    yield c
    c.close()


@pytest.fixture(scope="package")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real service on loopback with a short time budget and row cap; rate limits off
    (they have their own tests), so every case reaches the code it attacks."""
    env = {
        "INTIMACY_GRAPH_QUERY_TIMEOUT_S": str(QUERY_BUDGET_S),
        "INTIMACY_GRAPH_MAX_ROWS": str(MAX_ROWS),
        "INTIMACY_GRAPH_RATE_LIMIT_EXPENSIVE_PER_S": "0",
        "INTIMACY_GRAPH_RATE_LIMIT_CHEAP_PER_S": "0",
    }
    with run_server(tmp_path_factory.mktemp("hostile") / "store", env=env) as handle:
        yield handle


def summary() -> dict[str, object]:
    statuses = Counter(str(r.status) for r in RESULTS)
    return {
        "cases": len(RESULTS),
        "statuses": dict(sorted(statuses.items())),
        "refused_4xx": sum(1 for r in RESULTS if r.status is not None and 400 <= r.status < 500),
        "stopped_by_time_budget_503": sum(1 for r in RESULTS if r.code == "query-timeout"),
        "answered_2xx": sum(1 for r in RESULTS if r.status is not None and r.status < 300),
        "server_errors_500": sum(1 for r in RESULTS if r.status is not None and r.status == 500),
        "outbound_connections": sum(r.outbound for r in RESULTS),
        "store_changed": sum(1 for r in RESULTS if r.store_changed),
        "server_died": sum(1 for r in RESULTS if not r.alive),
        "max_seconds": round(max((r.seconds for r in RESULTS), default=0.0), 2),
        "by_category": dict(sorted(Counter(r.category for r in RESULTS).items())),
    }


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    terminalreporter.section("hostile-input corpus")
    terminalreporter.write_line(json.dumps(summary(), indent=1))
    failed = [asdict(r) for r in RESULTS if r.status == 500 or not r.alive or r.outbound]
    for row in failed:
        terminalreporter.write_line(f"  unsafe: {row}")
