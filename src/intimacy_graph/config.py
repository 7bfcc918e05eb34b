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
    remote_flavour: Literal["generic", "virtuoso"] = "generic"
    remote_user: str | None = None
    remote_password: str | None = None
    #: On the remote backend: seconds between two checks of the store for writes made by other
    #: replicas (the search index and the list of graphs then follow them); 0: never.
    remote_poll_s: float = Field(default=10.0, ge=0)
    max_note_bytes: int = DEFAULT_MAX_BYTES
    host: str = "127.0.0.1"
    port: int = 8000
    query_timeout_s: float = 10.0
    max_rows: int = 10_000
    query_workers: int = 2
    max_query_bytes: int = 100_000
    max_query_depth: int = 64
    max_body_bytes: int = 4 * 1024 * 1024
    #: Per-client token buckets (requests per second, burst); a rate of 0 switches one off.
    #: "expensive": /sparql, Graph Store writes, downloads, validate and writes; "cheap": the rest.
    rate_limit_expensive_per_s: float = 50.0
    rate_limit_expensive_burst: int = 500
    #: Expensive requests one client may have in flight at once (0: no cap).
    rate_limit_expensive_concurrency: int = 0
    rate_limit_cheap_per_s: float = 500.0
    rate_limit_cheap_burst: int = 2000
    #: One log line per request (uvicorn's access log).
    access_log: bool = True
    #: Concept cards kept encoded in memory for the current snapshot (0: no cache).
    card_cache_size: int = Field(default=4096, ge=0)
    #: Search and suggest answers kept per version of the search index (0: none).
    search_memo_size: int = Field(default=4096, ge=0)

    store_path: Path | None = None

    @property
    def store_dir(self) -> Path:
        """The Oxigraph store: ``store_path`` if set, else ``<data_dir>/store``."""
        return self.store_path if self.store_path is not None else self.data_dir / "store"

    @property
    def snapshots_dir(self) -> Path:
        """Read snapshots (hard-linked backups) beside the store, on the same file system."""
        return self.store_dir.with_name(self.store_dir.name + ".snapshots")

    @property
    def keys_file(self) -> Path:
        """API key hashes, kept beside the store they open."""
        return self.store_dir.with_name(self.store_dir.name + ".keys.json")
