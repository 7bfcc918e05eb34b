"""``intimacy-graph``: a thin command line over the same functions the API calls.

Exit codes: 0 success / clean; 1 findings (errors, or warnings with ``--strict``); 2 unusable
input or a usage error; 3 the store or a component is unavailable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from intimacy_graph import __version__
from intimacy_graph.diagnostics import Diagnostic, Report, Severity
from intimacy_graph.errors import IntimacyGraphError, StoreError, UnusableInputError

if TYPE_CHECKING:
    from intimacy_graph.config import Settings
    from intimacy_graph.namespaces import Iris
    from intimacy_graph.store import OxigraphStore

# Heavier modules (rdflib, pydantic, pyoxigraph) load inside the commands that use them: each
# SPARQL worker process re-imports this module (it is ``__main__`` under ``-m``), and needs
# none of them.

EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2
EXIT_UNAVAILABLE = 3


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _store_dir(ctx: click.Context, store: Path | None) -> Path:
    return store if store is not None else _settings(ctx).store_dir


def _keys_file(ctx: click.Context, store: Path | None) -> Path:
    settings = _settings(ctx)
    if store is not None:
        settings = settings.model_copy(update={"store_path": store})
    return settings.keys_file


class StoreUnavailable(click.ClickException):
    """The store cannot be opened (exit status 3, as the module docstring says)."""

    exit_code = EXIT_UNAVAILABLE


def _iris(settings: Settings) -> Iris:
    from intimacy_graph.namespaces import Iris

    return Iris(settings.base_iri)


def _open_store(path: Path) -> OxigraphStore:
    from intimacy_graph.store import OxigraphStore

    try:
        return OxigraphStore(path)
    except StoreError as exc:
        raise StoreUnavailable(
            f"{exc.message}\nIs another intimacy-graph process (e.g. `serve`) using it?"
        ) from exc


def _exit_on_findings(result: Any, strict: bool) -> None:
    """Exit 1 when a build or import rejected notes, has errors, QC errors, or (``--strict``)
    warnings or any QC finding."""
    if result.rejected or not result.report.conforms:
        sys.exit(EXIT_FINDINGS)
    if any(f.severity is Severity.ERROR for f in result.qc):
        sys.exit(EXIT_FINDINGS)
    if strict and (result.report.has(Severity.WARNING) or result.qc):
        sys.exit(EXIT_FINDINGS)


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


store_option = click.option(
    "--store",
    "store",
    type=click.Path(path_type=Path, file_okay=False),
    help="Store directory (default: the configured data directory).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="intimacy-graph")
@click.pass_context
def main(ctx: click.Context) -> None:
    """A psychology concept ontology and knowledge graph: build, query, validate, serve."""
    from intimacy_graph.config import Settings

    ctx.obj = Settings()


def _progress(label: str) -> Any:
    def wrap(items: Iterable[Path]) -> Iterator[Path]:
        items = list(items)
        with click.progressbar(
            items, label=label, file=sys.stderr, item_show_func=lambda p: p.name if p else None
        ) as bar:
            yield from bar

    return wrap


def _print_report(report: Report, fmt: str, extra: dict[str, Any] | None = None) -> None:
    if fmt == "json":
        click.echo(json.dumps({**report.to_dict(), **(extra or {})}, indent=2, ensure_ascii=False))
        return
    for diag in report.sorted():
        click.echo(diag.to_text(), err=diag.severity is not Severity.INFO)


@main.command()
@click.option(
    "--notes",
    "notes_dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Folder of Markdown notes (default: the bundled notes).",
)
@store_option
@click.option("--strict", is_flag=True, help="Also exit non-zero on warnings.")
@click.option(
    "--prune/--no-prune",
    default=True,
    show_default=True,
    help="Remove notes from the store that are no longer in the folder.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def build(
    ctx: click.Context,
    notes_dir: Path | None,
    store: Path | None,
    strict: bool,
    prune: bool,
    fmt: str,
) -> None:
    """Compile, validate and load every note; recompute the registry, inference and QC."""
    from intimacy_graph.build import build as run_build

    settings = _settings(ctx)
    target = _open_store(_store_dir(ctx, store))
    try:
        result = run_build(
            target,
            notes_dir=notes_dir or settings.notes_dir,
            iris=_iris(settings),
            max_bytes=settings.max_note_bytes,
            prune=prune,
            progress=_progress("compiling notes"),
            exclusive=True,  # the CLI holds the store alone: bulk write, swapped in at the end
        )
    finally:
        target.close()
    summary = {
        "loaded": result.loaded,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
        "removed": result.removed,
        "stats": result.stats,
        "seconds": round(result.seconds, 3),
        "qc": [f.to_dict() for f in result.qc],
    }
    _print_report(result.report, fmt, summary if fmt == "json" else None)
    if fmt == "text":
        stats = result.stats
        click.echo(
            f"built in {result.seconds:.2f}s: {len(result.loaded)} note(s) written, "
            f"{len(result.unchanged)} unchanged, {len(result.removed)} removed, "
            f"{len(result.rejected)} rejected; {stats.get('triples', 0)} quads, "
            f"{stats.get('concepts', 0)} concepts, {stats.get('statements', 0)} statements, "
            f"{stats.get('works', 0)} works; QC: {len(result.qc)} finding(s)"
        )
        for finding in result.qc:
            click.echo(f"qc: {finding.severity}: {finding.message} ({finding.check})", err=True)
    _exit_on_findings(result, strict)


@main.command(name="import")
@click.argument(
    "vault", type=click.Path(path_type=Path, exists=True, file_okay=False, readable=True)
)
@store_option
@click.option("--strict", is_flag=True, help="Also exit non-zero on warnings (as `build`).")
@click.option(
    "--qc",
    "run_qc",
    is_flag=True,
    help="Also run the QC checks over the whole store afterwards (as `build` and "
    "`intimacy-graph qc` do); they read every quad, so they are off by default.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def import_command(
    ctx: click.Context, vault: Path, store: Path | None, strict: bool, run_qc: bool, fmt: str
) -> None:
    """Add every note of an Obsidian vault (*.md, recursively) to the store.

    Notes already in the store and not in the vault are kept (unlike `build`, which prunes).
    Hidden folders (.obsidian/, .trash/, ...) are skipped. Notes with errors are not loaded.
    All or nothing; inference re-applied; the run is recorded in graph:changes. The QC checks
    run only with --qc (or later: `intimacy-graph qc`). Exit codes as `build`: 0 clean, 1
    rejected notes or errors (with --strict also warnings or QC findings), 3 store busy.
    """
    from intimacy_graph.vault import import_vault

    settings = _settings(ctx)
    target = _open_store(_store_dir(ctx, store))
    try:
        result = import_vault(
            target,
            vault,
            iris=_iris(settings),
            max_bytes=settings.max_note_bytes,
            progress=_progress("importing notes") if sys.stderr.isatty() else None,
            exclusive=True,  # the CLI holds the store alone: bulk write, swapped in at the end
            run_qc=run_qc,
        )
    finally:
        target.close()
    notes = len(result.loaded) + len(result.unchanged) + len(result.rejected)
    rate = notes / result.seconds if result.seconds else 0.0
    warnings = sum(1 for d in result.report.results if d.severity is Severity.WARNING)
    summary = {
        "loaded": result.loaded,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
        "warnings": warnings,
        "stats": result.stats,
        "seconds": round(result.seconds, 3),
        "notes_per_second": round(rate, 1),
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "run": result.run,
        "qc": [f.to_dict() for f in result.qc] if result.qc_ran else None,
    }
    _print_report(result.report, fmt, summary if fmt == "json" else None)
    if fmt == "text":
        click.echo(
            f"imported {notes} note(s) in {result.seconds:.2f}s ({rate:.1f} notes/s): "
            f"{len(result.loaded)} loaded, {len(result.unchanged)} unchanged, "
            f"{len(result.rejected)} rejected, {warnings} warning(s); "
            f"{result.stats.get('triples', 0)} quads, {result.stats.get('concepts', 0)} "
            f"concepts; QC: "
            + (f"{len(result.qc)} finding(s)" if result.qc_ran else "not run (--qc)")
        )
        for finding in result.qc:
            click.echo(f"qc: {finding.severity}: {finding.message} ({finding.check})", err=True)
    _exit_on_findings(result, strict)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--strict", is_flag=True, help="Treat warnings as findings (the default).", hidden=True
)
@click.option(
    "--against-store",
    is_flag=True,
    help="Validate in context: with the store's records of the concepts each entry links to "
    "(as POST /api/v1/validate does).",
)
@store_option
@click.pass_context
def validate(
    ctx: click.Context,
    files: tuple[Path, ...],
    fmt: str,
    strict: bool,
    against_store: bool,
    store: Path | None,
) -> None:
    """Validate notes (.md) or RDF files against the parser's rules and the SHACL shapes.

    Exit 0 when clean (info only), 1 on errors or warnings, 2 when a file is unusable, 3 when
    --against-store cannot open the store.
    """
    from intimacy_graph.entries import validate_file

    settings = _settings(ctx)
    iris = _iris(settings)
    report = Report()
    unusable = False
    opened = _open_store(_store_dir(ctx, store)) if against_store else None
    try:
        for path in files:
            if opened is not None:
                results, bad = _validate_in_context(opened, path, iris, settings.max_note_bytes)
            else:
                outcome = validate_file(path, iris=iris, max_bytes=settings.max_note_bytes)
                results, bad = outcome.results, outcome.unusable
            report.extend(results)
            unusable = unusable or bad
    finally:
        if opened is not None:
            opened.close()
    _print_report(report, fmt)
    if unusable:
        sys.exit(EXIT_UNUSABLE)
    if report.has(Severity.ERROR, Severity.WARNING):
        sys.exit(EXIT_FINDINGS)


def _validate_in_context(
    store: OxigraphStore, path: Path, iris: Iris, max_bytes: int
) -> tuple[list[Diagnostic], bool]:
    """One file validated like ``POST /api/v1/validate``: ``(results, unusable)``."""
    import dataclasses

    from intimacy_graph import editing
    from intimacy_graph.entries import NOTE_SUFFIXES
    from intimacy_graph.rdfio import MEDIA_TYPES, format_of

    file = str(path)
    try:
        if path.stat().st_size > max_bytes:
            return [
                Diagnostic("file-too-large", Severity.ERROR,
                           f"The file is larger than {max_bytes:,} bytes.", file=file)
            ], True  # fmt: skip
        data = path.read_bytes()
    except OSError as exc:
        message = f"The file cannot be read: {exc.strerror}."
        return [Diagnostic("unreadable-file", Severity.ERROR, message, file=file)], True
    if path.suffix.lower() in NOTE_SUFFIXES:
        media = "text/markdown"
    else:
        try:
            media = MEDIA_TYPES[format_of(path.name)]
        except (UnusableInputError, KeyError):
            media = "text/markdown"
    try:
        check = editing.validate_entry(store, data, media, iris, max_bytes=max_bytes, file=file)
    except UnusableInputError as exc:  # a dataset syntax (N-Quads, TriG): not one entry
        return [Diagnostic(exc.code, Severity.ERROR, exc.message, file=file)], True
    results = [d if d.file else dataclasses.replace(d, file=file) for d in check.report.results]
    return results, check.unusable


QUERY_FORMATS = ["json", "xml", "csv", "tsv", "turtle", "ntriples", "rdfxml", "nquads", "trig"]


@main.command()
@click.argument("query")
@store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(QUERY_FORMATS),
    default=None,
    help="json (default for SELECT/ASK) or turtle (default for CONSTRUCT/DESCRIBE).",
)
@click.pass_context
def query(ctx: click.Context, query: str, store: Path | None, fmt: str | None) -> None:
    """Run a SPARQL query (text or a .rq file) over the union of all graphs."""
    from intimacy_graph.sparql_guard import inspect

    path = Path(query)
    if query.endswith(".rq") or (len(query) < 4096 and "\n" not in query and path.is_file()):
        try:
            query = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"{path}: cannot read the query file: {exc}", EXIT_UNUSABLE)
    target = _open_store(_store_dir(ctx, store))
    try:
        seen = inspect(query, known_graphs={str(g) for g in target.named_graphs()})
        if seen.is_update:
            _fail(
                "`query` runs queries only; updates go through the API with an editor key.",
                EXIT_UNUSABLE,
            )
        graph_form = seen.form in ("CONSTRUCT", "DESCRIBE")
        chosen = fmt or ("turtle" if graph_form else "json")
        data, _ = target.query_serialized(query, chosen)
    except IntimacyGraphError as exc:
        _fail(f"{exc.message} ({exc.code})", EXIT_UNUSABLE)
    finally:
        target.close()
    sys.stdout.buffer.write(data)
    if not data.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")


@main.command()
@store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "nt", "nq", "trig", "jsonld", "rdf"]),
    default="trig",
    show_default=True,
    help="nq and trig keep the named graphs; the others write their union.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write (default: standard output).",
)
@click.option(
    "--notes",
    "notes_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write every note as Markdown ({Title}.md) into this folder instead of RDF.",
)
@click.pass_context
def export(
    ctx: click.Context, store: Path | None, fmt: str, output: Path | None, notes_dir: Path | None
) -> None:
    """Export the whole graph (RDF), or with --notes DIR the notes as a Markdown vault.

    With --notes, each note is rendered from its graph in the seed's format and checked by
    parsing it again; exit 1 when a note would not import back to the same graph.
    """
    from intimacy_graph.namespaces import PREFIXES
    from intimacy_graph.rdfio import serialize

    if notes_dir is not None:
        _export_notes(ctx, store, notes_dir)
        return
    target = _open_store(_store_dir(ctx, store))
    try:
        data = serialize(target.dataset(), fmt, PREFIXES)
    finally:
        target.close()
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        click.echo(f"wrote {len(data):,} bytes to {output}", err=True)


def _export_notes(ctx: click.Context, store: Path | None, notes_dir: Path) -> None:
    from intimacy_graph.vault import export_notes

    settings = _settings(ctx)
    if notes_dir.exists() and not notes_dir.is_dir():
        _fail(f"{notes_dir} is not a folder", EXIT_UNUSABLE)
    target = _open_store(_store_dir(ctx, store))
    try:
        result = export_notes(target, notes_dir, iris=_iris(settings))
    except OSError as exc:
        _fail(f"cannot write to {notes_dir}: {exc.strerror}", EXIT_UNUSABLE)
    finally:
        target.close()
    _print_report(result.report, "text")
    click.echo(
        f"wrote {len(result.files)} note(s) to {notes_dir}; "
        f"{len(result.lossy)} would not round-trip",
        err=True,
    )
    if result.lossy or not result.report.conforms:
        sys.exit(EXIT_FINDINGS)


@main.command(name="qc")
@store_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--strict", is_flag=True, help="Also exit 1 on warning-level findings.")
@click.pass_context
def qc_command(ctx: click.Context, store: Path | None, fmt: str, strict: bool) -> None:
    """Run the quality checks (queries/qc/*-violation.rq).

    Exit 1 when an error-level check finds rows (with --strict, any check).
    """
    from intimacy_graph.qc import run_qc

    settings = _settings(ctx)
    target = _open_store(_store_dir(ctx, store))
    try:
        findings = run_qc(target, registry_graph_iri=str(_iris(settings).registry_graph))
    finally:
        target.close()
    if fmt == "json":
        click.echo(json.dumps([f.to_dict() for f in findings], indent=2, ensure_ascii=False))
    else:
        for f in findings:
            click.echo(f"{f.severity}: {f.message} ({f.check}) [{f.focus}]")
        click.echo(f"{len(findings)} finding(s)", err=True)
    if any(f.severity is Severity.ERROR or strict for f in findings):
        sys.exit(EXIT_FINDINGS)


@main.command()
@store_option
@click.pass_context
def reason(ctx: click.Context, store: Path | None) -> None:
    """Check the ontology and the data with HermiT (OWL 2 DL); exit 1 if inconsistent."""
    from intimacy_graph.reasoning import check_consistency

    settings = _settings(ctx)
    iris = _iris(settings)
    target = _open_store(_store_dir(ctx, store))
    try:
        graphs = [target.graph(g) for g in target.named_graphs() if g not in (iris.changes_graph,)]
    finally:
        target.close()
    try:
        result = check_consistency(graphs)
    except IntimacyGraphError as exc:
        _fail(f"{exc.message} ({exc.code})", EXIT_UNAVAILABLE)
    click.echo(result.message)
    for cls in result.unsatisfiable_classes:
        click.echo(f"unsatisfiable: {cls}", err=True)
    if not result.consistent or result.unsatisfiable_classes:
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@store_option
@click.option(
    "--notes",
    "notes_dir",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Notes to build from on first start (default: the bundled notes).",
)
@click.option(
    "--workers",
    "query_workers",
    type=click.IntRange(1, 64),
    default=None,
    help="SPARQL worker processes (default 2).",
)
@click.option(
    "--backend",
    type=click.Choice(["oxigraph", "sparql"]),
    default=None,
    help="oxigraph: the embedded store (default); sparql: a remote SPARQL 1.1 Query/Update "
    "endpoint (docs/deploy.md).",
)
@click.option("--query-endpoint", default=None, help="Remote SPARQL query endpoint URL.")
@click.option("--update-endpoint", default=None, help="Remote SPARQL update endpoint URL.")
@click.option(
    "--remote-flavour",
    type=click.Choice(["generic", "virtuoso"]),
    default=None,
    help="Server-specific settings for the remote store (default generic). Its password comes "
    "from INTIMACY_GRAPH_REMOTE_PASSWORD, never from the command line.",
)
@click.option(
    "--access-log/--no-access-log",
    default=None,
    help="Log one line per request (default on; INTIMACY_GRAPH_ACCESS_LOG). Off saves ~12 % of "
    "the main process's CPU per cheap request, for deployments that log at a proxy.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    store: Path | None,
    notes_dir: Path | None,
    query_workers: int | None,
    backend: str | None,
    query_endpoint: str | None,
    update_endpoint: str | None,
    remote_flavour: str | None,
    access_log: bool | None,
) -> None:
    """Serve SPARQL, the API and the web pages; builds the store on first start."""
    import uvicorn

    from intimacy_graph.api import create_app

    settings = _settings(ctx)
    updates: dict[str, Any] = {}
    if store is not None:
        updates["store_path"] = store
    if notes_dir is not None:
        updates["notes_dir"] = notes_dir
    if query_workers is not None:
        updates["query_workers"] = query_workers
    for name, value in (
        ("backend", backend),
        ("query_endpoint", query_endpoint),
        ("update_endpoint", update_endpoint),
        ("remote_flavour", remote_flavour),
        ("access_log", access_log),
    ):
        if value is not None:
            updates[name] = value
    if updates.get("backend", settings.backend) == "sparql" and not (
        updates.get("query_endpoint") or settings.query_endpoint
    ):
        _fail("--backend sparql needs --query-endpoint URL", EXIT_UNUSABLE)
    settings = settings.model_copy(update=updates)
    app = create_app(settings)
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        access_log=settings.access_log,
        proxy_headers=False,
        server_header=False,
        h11_max_incomplete_event_size=64 * 1024,
    )


@main.group()
def keys() -> None:
    """Manage API keys (stored as hashes; a key is shown once)."""


@keys.command(name="create")
@click.option("--role", type=click.Choice(["editor", "reader"]), required=True)
@click.option("--name", default="", help="Who or what the key is for.")
@store_option
@click.pass_context
def keys_create(ctx: click.Context, role: str, name: str, store: Path | None) -> None:
    """Create a key and print it once."""
    from intimacy_graph.keys import KeyRing, Role

    ring = KeyRing(_keys_file(ctx, store))
    secret, record = ring.create(Role(role), name)
    click.echo(secret)
    click.echo(f"created {record.role} key {record.id}; it is shown only now.", err=True)


@keys.command(name="list")
@store_option
@click.pass_context
def keys_list(ctx: click.Context, store: Path | None) -> None:
    """List keys (ids and roles, never secrets)."""
    from intimacy_graph.keys import KeyRing

    for record in KeyRing(_keys_file(ctx, store)).list():
        state = "revoked" if record.revoked else "active"
        click.echo(f"{record.id}\t{record.role}\t{state}\t{record.created}\t{record.name}")


@keys.command(name="revoke")
@click.argument("key_id")
@store_option
@click.pass_context
def keys_revoke(ctx: click.Context, key_id: str, store: Path | None) -> None:
    """Revoke a key by its id."""
    from intimacy_graph.keys import KeyRing

    if not KeyRing(_keys_file(ctx, store)).revoke(key_id):
        _fail(f"no key with id {key_id!r}", EXIT_UNUSABLE)
    click.echo(f"revoked {key_id}")


if __name__ == "__main__":  # pragma: no cover
    main()
