"""intimacy-graph: a psychology concept ontology and knowledge-graph service."""

__version__ = "0.1.0"
