"""Settings: the only reader of the environment (``INTIMACY_GRAPH_*`` variables)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from intimacy_graph.namespaces import DEFAULT_BASE
from intimacy_graph.notes.reader import DEFAULT_MAX_BYTES
from intimacy_graph.resources import data_dir


def _default_data_dir() -> Path:
    root = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(root) / "intimacy-graph"


class Settings(BaseSettings):
    """Everything configurable, with the defaults tests and the README use."""

    model_config = SettingsConfigDict(env_prefix="INTIMACY_GRAPH_", extra="ignore")

    base_iri: str = DEFAULT_BASE
    data_dir: Path = Field(default_factory=_default_data_dir)
    notes_dir: Path = Field(default_factory=lambda: data_dir("notes"))
    backend: Literal["oxigraph", "sparql"] = "oxigraph"
    query_endpoint: str | None = None
    update_endpoint: str | None = None
    max_note_bytes: int = DEFAULT_MAX_BYTES
    host: str = "127.0.0.1"
    port: int = 8000
    query_timeout_s: float = 10.0
    max_rows: int = 10_000
    max_body_bytes: int = 4 * 1024 * 1024

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"
