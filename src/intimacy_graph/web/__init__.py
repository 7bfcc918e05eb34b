"""HTML pages and their static assets (the SPARQL query page; YASGUI vendored, no CDN)."""

from intimacy_graph.web.sparql_page import STATIC_DIR, render_sparql_page

__all__ = ["STATIC_DIR", "render_sparql_page"]
