"""The SPARQL query page: vendored YASGUI pointed at our endpoint, with the example queries.

The page runs under a strict Content-Security-Policy (:data:`CONTENT_SECURITY_POLICY`): no
inline script, so its own code is ``static/js/sparql-page.js`` and the examples travel as a
JSON data block.  Mount :data:`STATIC_DIR` at ``/static`` with Starlette's ``StaticFiles``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from intimacy_graph.namespaces import PREFIXES
from intimacy_graph.queries import folder

if TYPE_CHECKING:  # jinja2 loads with the first page, not at start-up
    from jinja2 import Environment

_HERE = Path(__file__).resolve().parent

#: The static assets (``vendor/yasgui/``, ``js/``, ``css/``), to mount at ``/static``.
STATIC_DIR = _HERE / "static"
TEMPLATES_DIR = _HERE / "templates"

#: The policy the page is tested under (the same value ``api/app.py`` sends).  Scripts come
#: from our own origin only.  ``style-src 'unsafe-inline'`` because YASGUI writes a ``<style>``
#: element (the table's column resizer) and ``style`` attributes (syntax-error tooltips);
#: ``img-src data:`` for CodeMirror's drag image.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


#: The query a new, empty tab starts with.
STARTER_QUERY = """\
PREFIX ig: <https://w3id.org/intimacy-graph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

# Every concept of the graph, with its preferred label.
SELECT ?concept ?label
WHERE {
  ?concept a ig:Concept ;
           skos:prefLabel ?label .
}
ORDER BY ?label
LIMIT 100
"""


@dataclass(frozen=True)
class Example:
    """One example query from ``queries/examples/``: its ``#`` title line, description, text."""

    name: str
    title: str
    description: str
    query: str


def load_examples() -> list[Example]:
    """The example queries in file-name order; the first header line is the title."""
    examples = []
    for file in folder("examples"):
        title, _, description = file.header.partition("\n")
        examples.append(
            Example(
                name=file.name,
                title=title.strip() or file.name,
                description=" ".join(description.split()),
                query=file.text,
            )
        )
    return examples


@cache
def _environment() -> Environment:
    from jinja2 import (  # loaded with the first page
        Environment,
        FileSystemLoader,
        select_autoescape,
    )

    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_sparql_page(
    endpoint_path: str = "/sparql",
    static_prefix: str = "/static",
    *,
    prefixes: Mapping[str, str] | None = None,
) -> str:
    """The full HTML of the query page for the endpoint at ``endpoint_path``.

    ``prefixes`` (default: :data:`~intimacy_graph.namespaces.PREFIXES`) abbreviate IRIs in
    the result table.

    >>> html = render_sparql_page()
    >>> '<script type="application/json" id="sparql-page-config">' in html
    True
    """
    examples = load_examples()
    config = {
        "endpoint": endpoint_path,
        "starterQuery": STARTER_QUERY,
        "prefixes": dict(PREFIXES if prefixes is None else prefixes),
        "examples": [asdict(example) for example in examples],
    }
    template = _environment().get_template("sparql.html")
    return template.render(
        endpoint_path=endpoint_path,
        static_prefix=static_prefix.rstrip("/"),
        examples=examples,
        config=config,
    )
