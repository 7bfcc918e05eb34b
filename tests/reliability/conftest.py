"""Fault tests run shortened by default (CI) and in full with ``make reliability``
(``INTIMACY_GRAPH_RELIABILITY=full``). Their figures are printed at the end of the run."""

from __future__ import annotations

import json
import os

import pytest

FULL = os.environ.get("INTIMACY_GRAPH_RELIABILITY", "").lower() == "full"
#: Rate limits off: these tests load one server from one address on purpose.
NO_LIMITS = {
    "INTIMACY_GRAPH_RATE_LIMIT_EXPENSIVE_PER_S": "0",
    "INTIMACY_GRAPH_RATE_LIMIT_CHEAP_PER_S": "0",
}
FIGURES: dict[str, dict[str, object]] = {}


def length(ci: int, full: int) -> int:
    """The CI length of a loop, or the full one under ``make reliability``."""
    return full if FULL else ci


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures (" + ("full" if FULL else "ci") + " length)")
    terminalreporter.write_line(json.dumps(FIGURES, indent=1, sort_keys=True))
