"""Reading ``graph:changes``: the feed of writes, a concept's history and a note's versions.

Every write (:mod:`intimacy_graph.editing`) records a ``prov:Activity`` with its time, its
editor key id, the triples it added and removed, the note graphs it wrote (``prov:generated``),
the concepts it created (``prov:generated``) and changed (``prov:influenced``), and each note
version it made or replaced as a ``prov:Entity`` (``prov:specializationOf`` the note,
``dcterms:identifier`` its content hash, ``prov:value`` its Markdown).  A note loaded by a build
and never rewritten has one version: the one in its graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import XSD, Literal

from intimacy_graph import queries
from intimacy_graph.errors import NotFoundError
from intimacy_graph.namespaces import PROV, Iris

_EPOCH = Literal("0001-01-01T00:00:00Z", datatype=XSD.dateTime)


def _text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    return str(value) if value is not None else None


def _int(row: dict[str, Any], key: str) -> int | None:
    value = row.get(key)
    return int(str(value)) if value is not None else None


def changes(
    store: Any, iris: Iris, *, since: Literal | None, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """``(total, items)``: activities newest first, each with what it wrote."""
    bind = {"changes": iris.changes_graph, "since": since if since is not None else _EPOCH}
    total_rows = store.select(queries.load("count_changes"), bind)
    total = int(str(total_rows[0]["n"])) if total_rows else 0
    text = queries.load("list_changes") + f"\nLIMIT {int(limit)} OFFSET {int(offset)}\n"
    items = []
    concept_prefix = str(iris.concept(""))
    note_prefix = str(iris.note_graph(""))
    for row in store.select(text, bind):
        run = row["run"]
        notes: list[str] = []
        created: list[str] = []
        influenced: list[str] = []
        removed_notes: list[str] = []
        links = store.select(
            queries.load("list_change_links"), {"changes": iris.changes_graph, "run": run}
        )
        for link in links:
            p, o = link["p"], str(link["o"])
            if o.startswith(note_prefix):
                (removed_notes if p == PROV.invalidated else notes).append(o[len(note_prefix) :])
            elif o.startswith(concept_prefix):
                slug = o[len(concept_prefix) :]
                (created if p == PROV.generated else influenced).append(slug)
        items.append(
            {
                "id": str(run),
                "time": str(row["time"]),
                "activity": _text(row, "label"),
                "key": (_text(row, "creator") or "").removeprefix("key:") or None,
                "notes": sorted(notes),
                "notes_removed": sorted(removed_notes),
                "concepts_created": sorted(created),
                "concepts_modified": sorted(influenced),
                "added": _int(row, "added"),
                "removed": _int(row, "removed"),
            }
        )
    return total, items


def concept_history(store: Any, iris: Iris, slug: str) -> list[dict[str, Any]]:
    """Every activity that created, changed or deprecated ``slug`` or wrote its note, oldest
    first (an empty list for a concept no write ever named)."""
    rows = store.select(
        queries.load("list_concept_history"),
        {"changes": iris.changes_graph, "c": iris.concept(slug), "g": iris.note_graph(slug)},
    )
    events: dict[str, dict[str, Any]] = {}
    for row in rows:
        run = str(row["run"])
        event = events.setdefault(
            run,
            {
                "id": run,
                "time": str(row["time"]),
                "activity": _text(row, "label"),
                "key": (_text(row, "creator") or "").removeprefix("key:") or None,
                "what": [],
            },
        )
        how = str(row["how"])
        if how not in event["what"]:
            event["what"].append(how)
    return sorted(events.values(), key=lambda e: (e["time"], e["id"]))


@dataclass
class Version:
    number: int
    hash: str
    markdown: str
    time: str | None
    recorded_by: str | None
    current: bool

    def summary(self) -> dict[str, Any]:
        return {
            "version": self.number,
            "hash": self.hash,
            "etag": _etag_of(self.hash),
            "time": self.time,
            "recorded_by": self.recorded_by,
            "current": self.current,
        }


def note_versions(store: Any, iris: Iris, slug: str) -> list[Version]:
    """Every version of a note, oldest first, numbered from 1; the last is the current one.

    Raises :class:`NotFoundError` when the note has neither a graph nor an archived version.
    """
    rows = store.select(
        queries.load("list_note_versions"),
        {"changes": iris.changes_graph, "note": iris.note(slug)},
    )
    seen: dict[tuple[str, str], Version] = {}
    for row in rows:
        time = _text(row, "time") or ""
        key = (str(row["hash"]), time)
        if key not in seen:
            seen[key] = Version(0, key[0], str(row["markdown"]), time or None, None, False)
        if str(row.get("how")) == "generated":
            seen[key].recorded_by = str(row["run"])
    versions = sorted(seen.values(), key=lambda v: (v.time or "", v.hash))
    # The same bytes written again is a new version only when something came in between.
    merged: list[Version] = []
    for v in versions:
        if merged and merged[-1].hash == v.hash:
            merged[-1].recorded_by = merged[-1].recorded_by or v.recorded_by
            continue
        merged.append(v)
    from intimacy_graph.editing import stored_note  # the write path: loaded when needed

    current = stored_note(store, iris, slug)
    if current is not None and (not merged or merged[-1].hash != current.hash):
        merged.append(Version(0, current.hash, current.markdown, current.modified, None, False))
    if not merged:
        raise NotFoundError(f"There is no note {slug!r} and no earlier version of one.")
    for number, v in enumerate(merged, start=1):
        v.number = number
    if current is not None:
        merged[-1].current = True
    return merged


def note_version(store: Any, iris: Iris, slug: str, number: int) -> Version:
    versions = note_versions(store, iris, slug)
    if not 1 <= number <= len(versions):
        raise NotFoundError(
            f"Note {slug!r} has {len(versions)} version(s); there is no version {number}."
        )
    return versions[number - 1]


def _etag_of(hash_: str) -> str:
    from intimacy_graph.editing import etag_of  # the write path: loaded when needed

    return etag_of(hash_)
