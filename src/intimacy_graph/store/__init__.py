"""Stores: the interface and its backends (DESIGN.md §3)."""

from intimacy_graph.store.base import Row, Store
from intimacy_graph.store.oxigraph import OxigraphStore

__all__ = ["OxigraphStore", "Row", "Store"]
