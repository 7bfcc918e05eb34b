"""Obsidian vaults in and out: ``intimacy-graph import VAULT`` and ``export --notes DIR``.

* :func:`import_vault` adds every note of a vault (``*.md``, recursively; hidden folders such
  as ``.obsidian/`` and ``.trash/``, hidden files and symbolic links are skipped) to a store
  without removing notes the vault does not have: it is :func:`intimacy_graph.build.build`
  with ``prune=False``, so it shares the build's validation, single transaction, inference and
  provenance record (a ``prov:Activity`` labelled ``import`` in ``graph:changes``).
* :func:`export_notes` writes every note graph back as a Markdown note in the seed's format,
  rendered from the graph (:mod:`intimacy_graph.notes.render`), and checks each rendered note
  by parsing and encoding it again: a note whose graph would not come back the same gets an
  ``export-lossy`` warning naming what differs.

What legitimately differs after a round trip (import → export → import) is listed in
:data:`ROUND_TRIP_EXCLUDED` and in docs/vault.md.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import RDF, Graph

from intimacy_graph import build as building
from intimacy_graph.diagnostics import Diagnostic, Report, Severity
from intimacy_graph.encode import encode_note
from intimacy_graph.namespaces import DCTERMS, IG, PROV, SKOS, Iris
from intimacy_graph.notes import parse_note
from intimacy_graph.notes.reader import DEFAULT_MAX_BYTES
from intimacy_graph.notes.render import RenderedNote, assign_spellings, render_note
from intimacy_graph.store import Store

#: Predicates whose values differ after a round trip for reasons that are not a loss:
#: the Markdown as written and its hash (the exported note is re-rendered), the time of the
#: import, the run that wrote it, the file path (the exported file is named after the title)
#: and source line numbers (the layout of the rendered note).
ROUND_TRIP_EXCLUDED = (
    IG.markdown,
    IG.contentHash,
    DCTERMS.modified,
    PROV.wasGeneratedBy,
    DCTERMS.source,
    IG.sourceLine,
)
_RESERVED = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|#^\[\]]')
_WINDOWS = {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(10)}
MAX_NAME_BYTES = 200


def vault_files(vault: Path) -> list[Path]:
    """Every ``*.md`` note under ``vault``, sorted; hidden folders/files and symlinks skipped."""
    found: list[Path] = []
    for root, dirs, files in os.walk(vault, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            path = Path(root) / name
            if name.startswith(".") or not name.lower().endswith(".md"):
                continue
            if path.is_symlink() or not path.is_file():
                continue
            found.append(path)
    return sorted(found)


def import_vault(
    store: Store,
    vault: Path,
    *,
    iris: Iris | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: building.Progress | None = None,
    now: datetime | None = None,
    exclusive: bool = False,
    run_qc: bool = True,
    workers: int | None = None,
) -> building.BuildResult:
    """Validate and add every note of ``vault`` to ``store``; keep the notes already there.

    ``exclusive`` (nobody else uses the store meanwhile), ``run_qc`` (run the QC checks over
    the whole store afterwards) and ``workers`` are :func:`intimacy_graph.build.build`'s.
    """
    return building.build(
        store,
        notes_dir=vault,
        iris=iris,
        max_bytes=max_bytes,
        prune=False,
        progress=progress,
        now=now,
        files=vault_files(vault),
        activity="import",
        exclusive=exclusive,
        run_qc=run_qc,
        workers=workers,
    )


def safe_file_name(title: str, fallback: str) -> str:
    """A file name for a note titled ``title``: ``{Title}.md`` with nothing unsafe in it.

    Path separators, characters Windows or Obsidian refuse and control characters become
    ``-``; leading dots and spaces are dropped (no hidden files, no ``..``); Windows device
    names get a ``_``; the name is cut at 200 bytes.

    >>> safe_file_name("Love", "love"), safe_file_name("../etc/passwd", "etcpasswd")
    ('Love.md', 'etc-passwd.md')
    >>> safe_file_name("CON", "con"), safe_file_name("...", "x")
    ('CON_.md', 'x.md')
    """
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFC", title))
    name = _RESERVED.sub("-", name).strip(" .")
    name = re.sub(r"-{2,}", "-", name).strip("-. ") or fallback
    if name.split(".")[0].casefold() in _WINDOWS:
        name += "_"
    while len(name.encode("utf-8")) > MAX_NAME_BYTES:
        name = name[:-1]
    return f"{name.rstrip(' .')}.md"


@dataclass
class ExportResult:
    """What one export wrote."""

    report: Report = field(default_factory=Report)
    files: dict[str, str] = field(default_factory=dict)  # slug → file name written
    lossy: list[str] = field(default_factory=list)  # slugs whose note would not round-trip


def registry_spellings(registry: Graph) -> dict[str, list[str]]:
    """Concept slug → its names, the preferred label first, then the other spellings."""
    out: dict[str, list[str]] = {}
    for concept in set(registry.subjects(RDF.type, IG.Concept)):
        pref = [str(o) for o in registry.objects(concept, SKOS.prefLabel)]
        alts = sorted(str(o) for o in registry.objects(concept, SKOS.altLabel))
        out[str(concept).rsplit("/", 1)[-1]] = pref[:1] + [a for a in alts if a not in pref[:1]]
    return out


def note_graphs(store: Store, iris: Iris) -> dict[str, Graph]:
    """slug → the named graph of every note in the store."""
    prefix = str(iris.note_graph(""))
    return {
        str(g)[len(prefix) :]: store.graph(g)
        for g in store.named_graphs()
        if str(g).startswith(prefix)
    }


def render_all(
    graphs: dict[str, Graph], registry: Graph, iris: Iris
) -> tuple[list[RenderedNote], list[Diagnostic]]:
    """Every note graph rendered, with link spellings chosen across all of them."""
    spellings = registry_spellings(registry)
    rendered: list[RenderedNote] = []
    problems: list[Diagnostic] = []
    for slug in sorted(graphs):
        try:
            rendered.append(render_note(graphs[slug], iris, spellings))
        except ValueError as exc:
            problems.append(
                Diagnostic("export-failed", Severity.ERROR, f"{slug}: {exc}", file=slug)
            )
    assign_spellings(rendered, spellings, {n.slug for n in rendered})
    return rendered, problems


def round_trip_graph(graph: Graph) -> set[tuple[object, object, object]]:
    """A note graph's triples without :data:`ROUND_TRIP_EXCLUDED`."""
    return {t for t in graph if t[1] not in ROUND_TRIP_EXCLUDED}


def check_rendered(markdown: str, file: str, original: Graph, iris: Iris) -> list[str]:
    """Triples (N-Triples-ish) that parsing ``markdown`` again would add or lose."""
    note = parse_note(markdown, file)
    now = datetime.now(UTC)
    again = encode_note(note, iris, run=iris.run("check"), modified=now).graph
    a, b = round_trip_graph(original), round_trip_graph(again)
    return [f"- {_nt(t)}" for t in sorted(a - b, key=str)] + [
        f"+ {_nt(t)}" for t in sorted(b - a, key=str)
    ]


def _nt(triple: tuple[object, object, object]) -> str:
    return " ".join(getattr(x, "n3", lambda x=x: str(x))() for x in triple)


def export_notes(store: Store, out_dir: Path, *, iris: Iris | None = None) -> ExportResult:
    """Write every note graph in ``store`` to ``out_dir`` as ``{Title}.md``.

    Names are made safe with :func:`safe_file_name`; two titles that give the same name
    (compared case-insensitively, for case-insensitive file systems) are told apart by the
    later one (by slug) getting `` ({slug})``. Existing files of the same name are replaced;
    nothing else in ``out_dir`` is touched.
    """
    iris = iris or Iris()
    result = ExportResult()
    graphs = note_graphs(store, iris)
    registry = store.graph(iris.registry_graph)
    rendered, problems = render_all(graphs, registry, iris)
    result.report.extend(problems)
    out_dir.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    for note in rendered:
        name = safe_file_name(note.title, note.slug)
        if name.casefold() in taken:
            name = safe_file_name(f"{note.title} ({note.slug})", note.slug)
        taken.add(name.casefold())
        markdown = note.markdown()
        target = out_dir / name
        if target.resolve().parent != out_dir.resolve():  # never outside out_dir
            raise ValueError(f"unsafe file name {name!r}")
        target.write_text(markdown, encoding="utf-8")
        result.files[note.slug] = name
        diff = check_rendered(markdown, name, graphs[note.slug], iris)
        if diff:
            result.lossy.append(note.slug)
            shown = "\n".join(diff[:6]) + ("\n…" if len(diff) > 6 else "")
            result.report.extend(
                [
                    Diagnostic(
                        "export-lossy",
                        Severity.WARNING,
                        f"Importing this note again would not give the same graph "
                        f"({len(diff)} triple(s) differ):\n{shown}",
                        file=name,
                    )
                ]
            )
    return result
