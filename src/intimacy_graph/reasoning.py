"""OWL 2 DL consistency checks with HermiT, through owlready2 (DESIGN.md §6).

This is the only module that imports owlready2. It runs in the build and in CI, never in a
request. What it guards against (DESIGN.md §8):

- owlready2 follows ``owl:imports`` over the network and imports any Python module that an
  ontology names with its ``python_module`` annotation. Both kinds of triples are removed
  before anything is loaded, so the reasoner only ever sees the graphs it was given.
- The graphs are loaded into a fresh, in-memory ``owlready2.World``, never ``default_world``,
  so one check cannot see another's triples.
- HermiT is run with a deadline and killed when it passes it.

owlready2 0.51's ``sync_reasoner`` cannot do the last point: it calls HermiT without a
timeout, leaves its temporary file behind when HermiT fails, and writes the inferences back
into the world. So :func:`check_consistency` saves the world the way ``sync_reasoner`` does
(N-Triples without ``owl:imports``) and runs the HermiT jar that owlready2 ships with the same
command-line class, classifying classes only (``-c``): classification checks the whole
graph's consistency first, and lists the unsatisfiable classes as equivalent to
``owl:Nothing`` (which ``sync_reasoner`` would record for ``World.inconsistent_classes()``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import owlready2
import owlready2.reasoning
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from intimacy_graph.errors import ReasonerError, ReasonerUnavailableError

__all__ = ["ReasoningReport", "check_consistency"]

#: owlready2's own annotations; ``python_module`` makes owlready2 import a Python module.
OWLREADY_NAMESPACE = "http://www.lesfleursdunormal.fr/static/_downloads/owlready_ontology.owl#"

_HERMIT_DIR = Path(owlready2.__file__).resolve().parent / "hermit"
_HERMIT_JAR = _HERMIT_DIR / "HermiT.jar"
_HERMIT_MAIN = "org.semanticweb.HermiT.cli.CommandLine"
_INPUT_ONTOLOGY = "urn:intimacy-graph:reasoning-input#"
_NOTHING = "http://www.w3.org/2002/07/owl#Nothing"
_EQUIVALENT_CLASSES = re.compile(r"^EquivalentClasses\( ((?:<[^>]+>\s*)+)\)$", re.MULTILINE)
_INCONSISTENT = "Inconsistent ontology"
_MESSAGE_TAIL = 2000
_BUILT_IN = (str(RDF), str(RDFS), str(OWL))


@dataclass(frozen=True)
class ReasoningReport:
    """What HermiT said about a set of graphs.

    ``triples`` counts what was loaded, after ``stripped_triples`` (``owl:imports`` and
    owlready2 annotations) were removed. ``classes`` and ``properties`` count declarations
    (``owl:Class``; object, datatype and annotation properties); ``individuals`` counts IRIs
    typed with a class outside RDF, RDFS and OWL. ``reasoner_s`` is HermiT's share of
    ``elapsed_s`` (Java start-up included).
    """

    consistent: bool
    unsatisfiable_classes: list[str]
    message: str
    triples: int
    stripped_triples: int
    classes: int
    properties: int
    individuals: int
    elapsed_s: float
    reasoner_s: float

    @property
    def ok(self) -> bool:
        """Consistent, with no unsatisfiable class."""
        return self.consistent and not self.unsatisfiable_classes

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_consistency(
    graphs: Iterable[Graph],
    *,
    timeout_s: float = 300,
    java: str | None = None,
) -> ReasoningReport:
    """Check the union of ``graphs`` with HermiT; report consistency and unsatisfiable classes.

    Pass each named graph of a dataset as its own :class:`rdflib.Graph` (for example
    ``dataset.graphs()``). ``java`` is the Java executable to run (default: owlready2's
    ``JAVA_EXE``, looked up on ``PATH``).

    Raises :class:`ReasonerUnavailableError` when Java or HermiT is missing, and
    :class:`ReasonerError` when HermiT refuses the input (code ``reasoner-failed``, e.g. a
    literal whose datatype is not in the OWL 2 datatype map) or passes ``timeout_s``
    (code ``reasoner-timeout``). An inconsistent graph is a report, not an error.
    """
    started = time.perf_counter()
    java_exe = _find_java(java)
    merged, stripped = _merge_without_imports(graphs)
    with tempfile.TemporaryDirectory(prefix="intimacy-graph-reasoning-") as tmp:
        source = Path(tmp) / "input.nt"
        merged.serialize(destination=source, format="nt", encoding="utf-8")
        hermit_input = Path(tmp) / "hermit-input.nt"
        _load_and_save(source, hermit_input)
        reasoner_started = time.perf_counter()
        consistent, unsatisfiable, message = _run_hermit(java_exe, hermit_input, timeout_s)
        reasoner_s = time.perf_counter() - reasoner_started
    return ReasoningReport(
        consistent=consistent,
        unsatisfiable_classes=unsatisfiable,
        message=message,
        triples=len(merged),
        stripped_triples=stripped,
        **_count_entities(merged),
        elapsed_s=time.perf_counter() - started,
        reasoner_s=reasoner_s,
    )


def _find_java(java: str | None) -> str:
    name = java or str(owlready2.JAVA_EXE)
    found = shutil.which(name)
    if found is None:
        raise ReasonerUnavailableError(
            f"Java was not found ({name!r}); HermiT needs a Java runtime (8 or later) on PATH",
            java=name,
        )
    if not _HERMIT_JAR.is_file():
        raise ReasonerUnavailableError(
            f"HermiT is missing from the owlready2 installation ({_HERMIT_JAR})",
            hermit=str(_HERMIT_JAR),
        )
    return found


def _merge_without_imports(graphs: Iterable[Graph]) -> tuple[Graph, int]:
    """Union of ``graphs`` without ``owl:imports`` and owlready2 annotations; and how many went."""
    merged = Graph()
    stripped = 0
    for graph in graphs:
        for s, p, o in graph:
            if _is_stripped(p):
                stripped += 1
            else:
                merged.add((s, p, o))
    return merged, stripped


def _count_entities(graph: Graph) -> dict[str, int]:
    """Declared classes and properties, and individuals (IRIs typed with a non-OWL class)."""
    classes: set[Node] = set(graph.subjects(RDF.type, OWL.Class))
    properties: set[Node] = set()
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty):
        properties.update(graph.subjects(RDF.type, kind))
    individuals: set[Node] = set()
    for s, o in graph.subject_objects(RDF.type):
        if isinstance(s, URIRef) and not str(o).startswith(_BUILT_IN):
            individuals.add(s)
    return {"classes": len(classes), "properties": len(properties), "individuals": len(individuals)}


def _is_stripped(predicate: object) -> bool:
    return predicate == OWL.imports or (
        isinstance(predicate, URIRef) and str(predicate).startswith(OWLREADY_NAMESPACE)
    )


def _load_and_save(source: Path, target: Path) -> None:
    """Load ``source`` into a fresh owlready2 world, offline; save what it read to ``target``."""
    world = owlready2.World()
    try:
        ontology = world.get_ontology(_INPUT_ONTOLOGY)
        try:
            # A file object: owlready2 reads it and fetches nothing (there are no imports left).
            ontology.load(fileobj=source.open("rb"), format="ntriples")
        except (owlready2.OwlReadyOntologyParsingError, TypeError) as error:
            # TypeError: owlready2 refuses an IRI that is both a property and a class.
            raise ReasonerError(f"owlready2 could not load the graphs: {error}") from error
        with target.open("wb") as out:
            world.save(out, format="ntriples", filter=_keep_triple)
    finally:
        world.close()


def _keep_triple(graph: object, s: object, p: int, o: object, d: object) -> bool:
    """owlready2 save filter: drop ``owl:imports`` (as ``sync_reasoner`` does)."""
    return bool(p != owlready2.owl_imports)


def _run_hermit(java: str, source: Path, timeout_s: float) -> tuple[bool, list[str], str]:
    classpath = os.pathsep.join((str(_HERMIT_DIR), str(_HERMIT_JAR)))
    command = [
        java,
        f"-Xmx{owlready2.reasoning.JAVA_MEMORY}M",
        "-cp",
        classpath,
        _HERMIT_MAIN,
        "-c",
        source.as_uri(),
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as error:
        raise ReasonerError(
            f"HermiT did not finish within {timeout_s:g} s and was stopped",
            code="reasoner-timeout",
            timeout_s=timeout_s,
        ) from error
    stdout = done.stdout.decode("utf-8", errors="replace")
    stderr = done.stderr.decode("utf-8", errors="replace")
    if done.returncode != 0:
        if _INCONSISTENT in stdout or _INCONSISTENT in stderr:
            return False, [], "inconsistent: no interpretation satisfies every axiom and fact"
        raise ReasonerError(
            "HermiT failed: " + _tail(stderr or stdout),
            returncode=done.returncode,
        )
    unsatisfiable = _unsatisfiable_classes(stdout)
    if unsatisfiable:
        message = f"consistent; {len(unsatisfiable)} unsatisfiable class(es)"
    else:
        message = "consistent; no unsatisfiable classes"
    return True, unsatisfiable, message


def _unsatisfiable_classes(hermit_output: str) -> list[str]:
    """Classes that HermiT's classification puts in one equivalence set with owl:Nothing."""
    found: set[str] = set()
    for match in _EQUIVALENT_CLASSES.finditer(hermit_output):
        iris = re.findall(r"<([^>]+)>", match.group(1))
        if _NOTHING in iris:
            found.update(iri for iri in iris if iri != _NOTHING)
    return sorted(found)


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MESSAGE_TAIL else "…" + text[-_MESSAGE_TAIL:]
