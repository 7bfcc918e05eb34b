"""`serve --no-access-log` (or INTIMACY_GRAPH_ACCESS_LOG=false) stops the per-request log lines;
the default keeps them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.servers import run_server


@pytest.mark.parametrize(
    ("args", "env", "logged"),
    [
        ([], {}, True),
        (["--no-access-log"], {}, False),
        ([], {"INTIMACY_GRAPH_ACCESS_LOG": "false"}, False),
    ],
    ids=["default", "flag", "setting"],
)
def test_access_log_switch(
    tmp_path: Path, args: list[str], env: dict[str, str], logged: bool
) -> None:
    with run_server(tmp_path / "store", args=args, env=env) as server:
        assert httpx.get(server.url + "/api/v1/health?probe=access-log").status_code == 200
    text = server.log.read_text(encoding="utf-8", errors="replace")  # the server has stopped
    assert ("/api/v1/health?probe=access-log" in text) is logged
    assert "Uvicorn running" in text or "Application startup complete" in text
