"""The CLI's fast write (``build(..., exclusive=True)`` → :meth:`OxigraphStore.bulk_replace`).

Two promises: the store it writes is exactly the one the transactional path writes (same
quads, same summary), and a crash at any point of it leaves the old store or the complete new
one, never a mix. The crash test kills a real ``import`` in a subprocess (SIGKILL) at named
points of the checkpoint-and-swap and at short delays inside the bulk load, then opens the
store as the CLI does (which finishes or undoes the swap) and compares it with both. A killed
import's worker processes hold its output pipes, so each run returns only once they are gone too.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
from bench import synth

from intimacy_graph import buildpool
from intimacy_graph.build import BuildResult, build
from intimacy_graph.resources import data_dir
from intimacy_graph.store import OxigraphStore
from intimacy_graph.vault import import_vault

from .conftest import DATA

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def synthetic_vault(root: Path, n_notes: int, seed: int = 7) -> Path:
    root.mkdir(parents=True)
    u = synth.universe(n_notes * synth.CONCEPTS_PER_NOTE, seed)
    for name, text in synth.notes(u):
        (root / name).write_text(text, encoding="utf-8")
    return root


def quads(path: Path) -> list[str]:
    """Every quad of the store at ``path`` (opened as the CLI opens it), sorted."""
    store = OxigraphStore(path)
    try:
        text = bytes(store.raw.dump(format=ox.RdfFormat.N_QUADS) or b"").decode()
    finally:
        store.close()
    return sorted(text.splitlines())


def summary(result: BuildResult) -> tuple[object, ...]:
    return (
        result.loaded,
        result.unchanged,
        result.rejected,
        result.removed,
        result.stats,
        result.qc,
        result.inference_rounds,
        result.run,
        result.report.results,
    )


def run_both(
    tmp_path: Path,
    steps: list[tuple[str, Path]],
    configs: tuple[dict[str, object], dict[str, object]] = (
        {"exclusive": False},
        {"exclusive": True},
    ),
) -> tuple[object, ...]:
    """Run the same builds/imports on two stores with two configurations; compare the stores
    and the summaries after each step; the last summary."""
    stores = [tmp_path / f"store-{i}" for i in range(2)]
    for i, (kind, folder) in enumerate(steps):
        outcome = []
        for config, path in zip(configs, stores, strict=True):
            store = OxigraphStore(path)
            try:
                when = NOW.replace(minute=i)
                if kind == "import":
                    result = import_vault(store, folder, now=when, **config)  # type: ignore[arg-type]
                else:
                    result = build(store, notes_dir=folder, now=when, **config)  # type: ignore[arg-type]
            finally:
                store.close()
            outcome.append(summary(result))
        assert outcome[0] == outcome[1], f"step {i} ({kind} {folder.name})"
        assert quads(stores[0]) == quads(stores[1]), f"step {i} ({kind} {folder.name})"
    return outcome[1]


def test_fast_write_matches_transactional_on_the_seed(tmp_path: Path) -> None:
    run_both(
        tmp_path,
        [
            ("build", data_dir("notes")),
            ("import", DATA / "notes" / "valid"),
            ("import", DATA / "notes" / "broken"),  # rejected notes: nothing of them loaded
            ("build", data_dir("notes")),  # prunes what the imports added
        ],
    )


@pytest.mark.slow
def test_fast_write_matches_transactional_on_200_notes(tmp_path: Path) -> None:
    vault = synthetic_vault(tmp_path / "vault", 200)
    run_both(tmp_path, [("build", data_dir("notes")), ("import", vault), ("import", vault)])


@pytest.mark.slow
def test_worker_processes_match_one_process(tmp_path: Path) -> None:
    vault = synthetic_vault(tmp_path / "vault", 120)
    mixed = tmp_path / "mixed"
    shutil.copytree(DATA / "notes" / "valid", mixed)
    for note in (DATA / "notes" / "broken").iterdir():
        shutil.copy(note, mixed / f"broken-{note.name}")
    for note in sorted(vault.iterdir())[:30]:  # changed notes, next to unchanged ones
        (mixed / note.name).write_text(note.read_text() + "\nOne more closing line.\n")
    # Two notes about one concept, far apart in file order (the workers compile the notes in
    # chunks, and the first file in order must win however the chunks come back)
    early, late = mixed / sorted(vault.iterdir())[3].name, mixed / sorted(vault.iterdir())[29].name
    shutil.copy(early, mixed / "zz-same-concept-as-an-early-note.md")
    shutil.copy(late, mixed / "aa-same-concept-as-a-late-note.md")
    order = sorted(p.name for p in mixed.iterdir())
    assert order.index(late.name) >= buildpool.CHUNK > order.index(early.name)
    last = run_both(
        tmp_path,
        [
            ("build", data_dir("notes")),
            ("import", vault),
            ("import", vault),  # nothing changed
            ("import", mixed),  # valid, rejected, changed notes
            ("build", mixed),  # prunes
        ],
        ({"exclusive": True, "workers": 0}, {"exclusive": True, "workers": 2}),
    )
    rejected = last[2]
    assert "zz-same-concept-as-an-early-note.md" in rejected  # type: ignore[operator]
    assert late.name in rejected  # type: ignore[operator]
    assert "aa-same-concept-as-a-late-note.md" not in rejected  # type: ignore[operator]


@pytest.mark.slow
def test_note_failing_shacl_in_a_worker_keeps_its_old_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A changed note rejected by SHACL (after the workers' notes were loaded into the
    checkpoint) keeps its stored graph; a new one leaves none. The test data's broken notes
    all fail in the parser, so SHACL is made to refuse some notes (the workers are forked:
    they see the patch)."""
    from intimacy_graph import build as building
    from intimacy_graph.diagnostics import Diagnostic, Severity

    real = building.validate_compiled

    def refusing(compiled, registry):  # type: ignore[no-untyped-def]
        diags = real(compiled, registry)
        if "Refuse me" in compiled.note.source:
            diags.append(Diagnostic("test-refused", Severity.ERROR, "refused", file="x"))
        return diags

    monkeypatch.setattr(building, "validate_compiled", refusing)
    vault = synthetic_vault(tmp_path / "vault", 60)
    edited = tmp_path / "edited"
    shutil.copytree(vault, edited)
    for i, note in enumerate(sorted(edited.iterdir())[:12]):
        mark = "Refuse me." if i % 2 else "Keep me."
        note.write_text(note.read_text() + f"\n{mark}\n")
    extra = synthetic_vault(tmp_path / "extra", 64)
    for note in sorted(extra.iterdir())[-3:]:  # new notes, refused
        (edited / f"new-{note.name}").write_text(note.read_text() + "\nRefuse me.\n")
    last = run_both(
        tmp_path,
        [("import", vault), ("import", edited)],
        ({"exclusive": True, "workers": 0}, {"exclusive": True, "workers": 2}),
    )
    loaded, unchanged, rejected = last[:3]
    assert (len(loaded), len(unchanged), len(rejected)) == (6, 48, 9)  # type: ignore[arg-type]


def test_bulk_replace_refuses_a_store_in_memory() -> None:
    from intimacy_graph.errors import StoreError

    with pytest.raises(StoreError):
        OxigraphStore().bulk_replace(b"", drop=[])


# --- crash test -----------------------------------------------------------------------------

# Runs one import into argv[1] from argv[2]; argv[3] names where to die and argv[4] after how
# many seconds from there (a killer process, so a call that holds the GIL is no shelter).
CRASHING_IMPORT = r"""
import os, subprocess, sys
from datetime import UTC, datetime
from pathlib import Path
from intimacy_graph.store import OxigraphStore
from intimacy_graph.store import oxigraph as oxm
from intimacy_graph.vault import import_vault

store_dir, vault, point, delay = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
workers = int(sys.argv[5])

def die():
    if float(delay) == 0:
        os.kill(os.getpid(), 9)
    subprocess.Popen(["sh", "-c", f"sleep {delay}; kill -9 {os.getpid()}"])

class Proxy:
    def __init__(self, inner):
        self.inner = inner
    def __getattr__(self, name):
        return getattr(self.inner, name)
    def __len__(self):
        return len(self.inner)
    def bulk_load(self, *args, **kwargs):
        if point == "bulk-load":
            die()
        return self.inner.bulk_load(*args, **kwargs)

class Ox:
    def __getattr__(self, name):
        return getattr(oxm.__dict__["_real_ox"], name)
    @staticmethod
    def Store(*args, **kwargs):
        return Proxy(oxm.__dict__["_real_ox"].Store(*args, **kwargs))

oxm._real_ox = oxm.ox
oxm.ox = Ox()
real_fsync, real_exchange, real_rename = oxm._fsync_dir, oxm._exchange, oxm.os.rename
fsyncs, renames = [], []

def fsync_dir(path):
    fsyncs.append(path)
    if point == "before-swap" and len(fsyncs) == 1:
        die()
    real_fsync(path)

def exchange(a, b):
    if point.startswith("fallback"):
        return False
    done = real_exchange(a, b)
    if point == "after-swap":
        die()
    return done

def rename(a, b):
    real_rename(a, b)
    renames.append(a)
    if point == "fallback-between" and len(renames) == 1:
        die()
    if point == "fallback-after" and len(renames) == 2:
        die()

oxm._fsync_dir, oxm._exchange = fsync_dir, exchange
oxm.os.rename = rename
store = OxigraphStore(store_dir)
import_vault(
    store, vault, now=datetime(2025, 6, 1, 12, 0, tzinfo=UTC), exclusive=True, workers=workers
)
store.close()
print("finished")
"""

# (where, seconds after, worker processes); with workers the notes are loaded in a thread
# while they are compiled and validated, then the registry beside the inferred graph
CRASH_POINTS = [
    ("bulk-load", "0", "0"),
    ("bulk-load", "0.02", "0"),
    ("bulk-load", "0.05", "0"),
    ("bulk-load", "0.1", "0"),
    ("bulk-load", "0.2", "0"),
    ("bulk-load", "0.5", "0"),
    ("before-swap", "0", "0"),
    ("after-swap", "0", "0"),
    ("fallback-between", "0", "0"),
    ("fallback-after", "0", "0"),
    ("none", "0", "0"),  # not killed: the new store
    ("bulk-load", "0", "2"),
    ("bulk-load", "0.1", "2"),
    ("bulk-load", "0.3", "2"),
    ("before-swap", "0", "2"),
    ("after-swap", "0", "2"),
    ("none", "0", "2"),
]


@pytest.mark.slow
def test_killed_import_leaves_the_old_store_or_the_new(tmp_path: Path) -> None:
    vault = synthetic_vault(tmp_path / "vault", 40)
    base = tmp_path / "base"
    store = OxigraphStore(base)
    build(store, notes_dir=data_dir("notes"), now=NOW)
    store.close()
    old = quads(base)
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    store = OxigraphStore(reference)
    import_vault(store, vault, now=NOW, exclusive=True)
    store.close()
    new = quads(reference)
    assert new != old
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    seen = {}
    for i, (point, delay, workers) in enumerate(CRASH_POINTS):
        target = tmp_path / f"crash-{i}" / "store"
        shutil.copytree(base, target)
        done = subprocess.run(
            [sys.executable, "-c", CRASHING_IMPORT, str(target), str(vault), point, delay, workers],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        killed = done.returncode == -signal.SIGKILL
        assert killed or (done.returncode == 0 and "finished" in done.stdout), done.stderr
        after = quads(target)  # opening finishes or undoes the swap
        assert after in (old, new), f"{point} +{delay}s ({workers}): neither old nor new store"
        assert sorted(p.name for p in target.parent.iterdir()) == [".store.lock", "store"]
        seen[(point, delay, workers)] = (
            "killed" if killed else "ran",
            "new" if after == new else "old",
        )
    # Each named point was reached, and the swap is the moment the store changes.
    for workers in ("0", "2"):
        assert seen[("before-swap", "0", workers)] == ("killed", "old")
        assert seen[("after-swap", "0", workers)] == ("killed", "new")
        assert seen[("bulk-load", "0", workers)] == ("killed", "old")
        assert seen[("none", "0", workers)] == ("ran", "new")
    assert seen[("fallback-between", "0", "0")] == ("killed", "old")
    assert seen[("fallback-after", "0", "0")] == ("killed", "new")


def test_opening_a_store_during_a_bulk_write_fails_at_once(tmp_path: Path) -> None:
    """Another opener gets the usual "in use" error (CLI exit 3), and does not wait for the
    write's swap lock."""
    import threading

    from intimacy_graph.errors import StoreError

    store = OxigraphStore(tmp_path / "store")
    outcome: list[object] = []

    def open_it() -> None:
        try:
            OxigraphStore(tmp_path / "store").close()
            outcome.append("opened")
        except StoreError as exc:
            outcome.append(exc)

    try:
        with store.bulk_write(drop=[]) as write:
            opener = threading.Thread(target=open_it, daemon=True)
            opener.start()
            opener.join(timeout=30)
            assert not opener.is_alive()
            write.load(b"<urn:a> <urn:p> <urn:b> <urn:g> .\n")
            write.commit()
        assert len(outcome) == 1 and isinstance(outcome[0], StoreError)
        assert len(store) == 1  # the write went through all the same
    finally:
        store.close()


def test_worker_processes_advance_the_progress_bar(tmp_path: Path) -> None:
    """The CLI's progress bar (a wrapper around the files) moves as the workers finish notes,
    every file once, and is run to its end."""
    vault = synthetic_vault(tmp_path / "vault", buildpool.CHUNK + 10)
    seen: list[str] = []
    finished: list[bool] = []

    def progress(files):  # type: ignore[no-untyped-def]
        for path in files:
            seen.append(path.name)
            yield path
        finished.append(True)

    store = OxigraphStore(tmp_path / "store")
    try:
        result = import_vault(store, vault, now=NOW, exclusive=True, workers=2, progress=progress)
    finally:
        store.close()
    assert result.ok and len(result.loaded) == buildpool.CHUNK + 10
    assert seen == sorted(p.name for p in vault.iterdir()) and finished == [True]
