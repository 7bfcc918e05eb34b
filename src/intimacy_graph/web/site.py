"""The shared machinery of the HTML pages: one Jinja2 environment, the site's navigation and
the colours and names of the relation types the graph pictures draw.

Every page extends ``templates/base.html`` (header with navigation and search, skip link,
landmarks).  Pages carry no inline script: their code is in ``static/js/`` and what a script
needs travels in ``data-*`` attributes, so the Content-Security-Policy can stay
``script-src 'self'``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from intimacy_graph.web.sparql_page import TEMPLATES_DIR

if TYPE_CHECKING:  # jinja2 loads with the first page, not at start-up
    from jinja2 import Environment


@dataclass(frozen=True)
class Relation:
    """One relation type as the graph and its legend show it."""

    name: str  # as in the API's edges (``relation``)
    label: str
    colour: str
    inverse: str  # how it reads from the other end


#: Edge types of ``/api/v1/concepts/{slug}/graph`` (``concepts.EDGE_NAMES``), legend order.
#: Colours are the Okabe–Ito palette (distinguishable with the common colour-vision
#: deficiencies) plus two greys for the generic SKOS links.
RELATIONS = (
    Relation("characteristic", "has characteristic", "#0072B2", "is a characteristic of"),
    Relation("type", "has type", "#009E73", "is a type of"),
    Relation("benefit", "has benefit", "#E69F00", "is a benefit of"),
    Relation("mechanism", "has mechanism", "#D55E00", "is a mechanism of"),
    Relation("implication", "has implication for", "#CC79A7", "is an implication domain of"),
    Relation("broader", "broader", "#56B4E9", "narrower"),
    Relation("related", "related", "#8a949e", "related"),
    Relation("see-also", "see also", "#5b6670", "see also (from)"),
)

RELATION_COLOURS = {r.name: r.colour for r in RELATIONS}


@cache
def environment() -> Environment:
    from jinja2 import (  # loaded with the first page
        Environment,
        FileSystemLoader,
        select_autoescape,
    )

    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["relations"] = RELATIONS
    env.globals["relation_colours"] = RELATION_COLOURS
    env.globals["relation_labels"] = {r.name: r.label for r in RELATIONS}
    return env


def render(template: str, *, root: str = "", sparql_path: str = "/sparql", **context: Any) -> str:
    """Render one page template with the site context (``root`` is the app's root path).

    >>> html = render("home.html", title="x", stats=None, described=[], roots=[], counts=[],
    ...               graph_slug=None)
    >>> html.count("<h1") == 1 and 'href="/sparql"' in html
    True
    """
    return (
        environment()
        .get_template(template)
        .render(root=root, sparql_path=root + sparql_path, **context)
    )
