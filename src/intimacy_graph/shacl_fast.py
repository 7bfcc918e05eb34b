"""A fast SHACL Core validator for the shapes this project writes (DESIGN.md §6, issue #5).

pySHACL spends ~50 ms on one note: it rebuilds its shape objects, constraint objects and report
graph on every call. Our shapes use a small part of SHACL Core, so :func:`compile_shapes` turns a
shapes graph once into plain Python checks, and :meth:`CompiledShapes.validate` runs them over an
index of the data graph built in one pass. Each check follows pySHACL 0.40's own code for that
constraint (which values fail, which result fields it fills), so both engines give the same
results; ``tests/test_shacl_fast.py`` proves it on every example, note and many mutations.

A shapes graph that uses anything else (sh:node, sh:or, sh:sparql, sequence paths, shapes
without sh:message, …) raises :class:`UnsupportedShapesError` at compile time, and the caller
falls back to pySHACL: never a silent pass.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from pyshacl.rdfutil import compare as _pyshacl_compare
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Node, URIRef
from rdflib.namespace import SH

__all__ = ["CompiledShapes", "RawResult", "UnsupportedShapesError", "compile_shapes"]


class UnsupportedShapesError(ValueError):
    """The shapes graph uses a SHACL feature the fast engine does not implement."""


@dataclass(frozen=True)
class RawResult:
    """One validation result, with the fields pySHACL puts in its report."""

    focus: Node
    path: Node | None  # the sh:path node in the shapes graph
    value: Node | None
    shape: Node
    component: URIRef
    severity: Node
    messages: tuple[Node, ...]


# A check takes a focus node, its value nodes and the index, and returns the failing values
# (``None`` for a result without sh:value); most calls find nothing, so nothing is built then.
_Values = set[Node] | frozenset[Node]
_Check = Callable[[Node, _Values, "_Index"], list[Node | None]]
_TYPE = RDF.type
_SUBCLASS = RDFS.subClassOf
_NONE: list[Node | None] = []
_Triple = tuple[Node, Node, Node]

# Constraint parameters the fast engine implements, with their component.
_COMPONENTS: dict[Node, URIRef] = {
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH["class"]: SH.ClassConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent,
    SH.uniqueLang: SH.UniqueLangConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.hasValue: SH.HasValueConstraintComponent,
    SH.equals: SH.EqualsConstraintComponent,
    SH.disjoint: SH.DisjointConstraintComponent,
}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
# Other sh: terms a shape may carry that change nothing in validation.
_PASSIVE = {
    SH.path,
    SH.property,
    SH.severity,
    SH.message,
    SH.deactivated,
    SH.flags,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.defaultValue,
    *_TARGETS,
}
_KINDS: dict[Node, tuple[type, ...]] = {
    SH.IRI: (URIRef,),
    SH.Literal: (Literal,),
    SH.BlankNode: (BNode,),
    SH.BlankNodeOrIRI: (BNode, URIRef),
    SH.BlankNodeOrLiteral: (BNode, Literal),
    SH.IRIOrLiteral: (URIRef, Literal),
}
_WHOLE = {
    XSD.integer,
    XSD.int,
    XSD.long,
    XSD.short,
    XSD.byte,
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
    XSD.unsignedInt,
    XSD.unsignedLong,
    XSD.unsignedShort,
    XSD.unsignedByte,
}


class _Index:
    """One pass over the data graph: subject → predicate → objects, plus what targets need."""

    __slots__ = ("_supers", "inv", "out", "typed")

    def __init__(
        self, graphs: Iterable[Iterable[_Triple]], inverse: frozenset[Node], canon: dict[Node, Node]
    ) -> None:
        out: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        inv: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        typed: dict[Node, set[Node]] = defaultdict(set)  # class → its direct instances
        seen: dict[Node, Node] = {}  # one object per data node, for the same reason
        for graph in graphs:
            for s, p, o in graph:
                # The shapes' own term objects as keys: a dict hit is then an identity check,
                # not rdflib's Python-level __eq__ (most of the time otherwise).
                p = canon.get(p, p)
                if p is _TYPE or p is _SUBCLASS:
                    o = canon.get(o, o)
                elif not isinstance(o, Literal):
                    o = seen.setdefault(o, o)
                s = seen.setdefault(s, s)
                out[s][p].add(o)
                if p in inverse:
                    inv[p][o].add(s)
                if p is _TYPE:
                    typed[o].add(s)
        self.out = out
        self.inv = inv
        self.typed = typed
        self._supers: dict[Node, set[Node]] = {}

    def objects(self, s: Node, p: Node) -> set[Node]:
        by_p = self.out.get(s)
        if by_p is None:
            return set()
        return by_p.get(p) or set()

    def subjects(self, p: Node, o: Node) -> set[Node]:
        by_o = self.inv.get(p)
        if by_o is None:
            return set()
        return by_o.get(o) or set()

    def supers(self, cls: Node) -> set[Node]:
        """``cls`` and all it is an ``rdfs:subClassOf*`` of (as pySHACL's transitive_objects)."""
        found = self._supers.get(cls)
        if found is None:
            found = {cls}
            todo = [cls]
            while todo:  # bounded: each class enters once
                for sup in self.objects(todo.pop(), _SUBCLASS):
                    if sup not in found:
                        found.add(sup)
                        todo.append(sup)
            self._supers[cls] = found
        return found

    def is_instance(self, node: Node, cls: Node) -> bool:
        return any(cls in self.supers(t) for t in self.objects(node, _TYPE))


@dataclass
class _Path:
    node: Node
    forward: tuple[Node, ...]
    backward: tuple[Node, ...]

    def values(self, focus: Node, index: _Index) -> set[Node]:
        if len(self.forward) == 1 and not self.backward:
            return index.objects(focus, self.forward[0])
        found: set[Node] = set()
        for p in self.forward:
            found |= index.objects(focus, p)
        for p in self.backward:
            found |= index.subjects(p, focus)
        return found


@dataclass
class _Shape:
    node: Node
    path: _Path | None
    severity: Node
    messages: tuple[Node, ...]
    checks: list[tuple[URIRef, _Check]] = field(default_factory=list)
    children: list[_Shape] = field(default_factory=list)
    deactivated: bool = False


@dataclass
class _Targets:
    classes: tuple[Node, ...]
    nodes: tuple[Node, ...]
    subjects_of: tuple[Node, ...]
    objects_of: tuple[Node, ...]


class CompiledShapes:
    """A shapes graph compiled into checks; :meth:`validate` is safe to call from many threads."""

    def __init__(
        self, top: list[tuple[_Shape, _Targets]], inverse: frozenset[Node], canon: dict[Node, Node]
    ) -> None:
        self._top = top
        self._inverse = inverse
        self._canon = canon

    def validate(self, data: Iterable[_Triple], *also: Iterable[_Triple]) -> list[RawResult]:
        """Every result of validating ``data`` together with the triples of ``also``, once each.

        ``also`` (graphs or lists of triples) is read as if mixed into a copy of ``data``, as
        pySHACL does with its ``ont_graph``; nothing is copied.
        """
        index = _Index((data, *also), self._inverse, self._canon)
        found: set[RawResult] = set()
        for shape, targets in self._top:
            if not shape.deactivated:
                _run(shape, _focus_nodes(targets, index), index, found)
        return list(found)


def _focus_nodes(targets: _Targets, index: _Index) -> set[Node]:
    found: set[Node] = set(targets.nodes)
    for cls, instances in index.typed.items():  # instances of a target class or a subclass
        if any(t in index.supers(cls) for t in targets.classes):
            found |= instances
    for p in targets.subjects_of:
        for subjects in index.inv[p].values():
            found |= subjects
    for p in targets.objects_of:
        found.update(index.inv[p])
    return found


def _run(shape: _Shape, foci: Iterable[Node], index: _Index, found: set[RawResult]) -> None:
    path = shape.path
    for focus in foci:
        values = {focus} if path is None else path.values(focus, index)
        for component, check in shape.checks:
            for value in check(focus, values, index):
                found.add(
                    RawResult(
                        focus=focus,
                        path=None if path is None else path.node,
                        value=value,
                        shape=shape.node,
                        component=component,
                        severity=shape.severity,
                        messages=shape.messages,
                    )
                )
        for child in shape.children:
            if not child.deactivated:
                _run(child, values, index, found)


# --- compiling ------------------------------------------------------------------------------------


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """Compile ``shapes``; raise :class:`UnsupportedShapesError` for anything not implemented."""
    compiler = _Compiler(shapes)
    return compiler.build()


class _Compiler:
    def __init__(self, graph: Graph) -> None:
        self.g = graph
        self.shapes: dict[Node, _Shape] = {}
        self.inverse: set[Node] = set()
        # rdflib's terms compare in Python (slow): key the index by the shapes' own term objects.
        self.canon: dict[Node, Node] = {_TYPE: _TYPE, _SUBCLASS: _SUBCLASS}

    def build(self) -> CompiledShapes:
        g = self.g
        for bad in (SH.node, SH["not"], SH["and"], SH["or"], SH.xone, SH.qualifiedValueShape):
            if any(True for _ in g.subject_objects(bad)):
                raise UnsupportedShapesError(f"{bad.n3()} is not implemented")
        for bad in (SH.closed, SH.sparql, SH.target, SH.lessThan, SH.lessThanOrEquals, SH.rule):
            if any(True for _ in g.subject_objects(bad)):
                raise UnsupportedShapesError(f"{bad.n3()} is not implemented")
        node_shapes = set(g.subjects(RDF.type, SH.NodeShape))
        prop_shapes = set(g.subjects(RDF.type, SH.PropertyShape))
        if node_shapes & prop_shapes:
            raise UnsupportedShapesError("a shape is both a node shape and a property shape")
        all_shapes = node_shapes | prop_shapes
        for t in _TARGETS:
            all_shapes.update(g.subjects(t, None))
        all_shapes.update(g.subjects(SH.property, None))
        all_shapes.update(g.objects(None, SH.property))
        rdfs_classes = set(g.subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class}
        top: list[tuple[_Shape, _Targets]] = []
        for node in sorted(all_shapes, key=str):
            is_property = bool(list(g.objects(node, SH.path)))
            if node in prop_shapes and not is_property:
                raise UnsupportedShapesError(f"property shape {node.n3()} has no sh:path")
            shape = self.shape(node, is_property=is_property)
            if node in node_shapes and shape.path is not None:
                raise UnsupportedShapesError(f"node shape {node.n3()} has a sh:path")
            implicit = (node,) if set(g.objects(node, RDF.type)) & rdfs_classes else ()
            targets = _Targets(
                classes=self.interned(g.objects(node, SH.targetClass)) + implicit,
                nodes=tuple(g.objects(node, SH.targetNode)),
                subjects_of=self.interned(g.objects(node, SH.targetSubjectsOf)),
                objects_of=self.interned(g.objects(node, SH.targetObjectsOf)),
            )
            if any((targets.classes, targets.nodes, targets.subjects_of, targets.objects_of)):
                top.append((shape, targets))
                self.inverse.update(targets.subjects_of + targets.objects_of)
        for node in all_shapes:  # wire sh:property after every shape exists
            self.shapes[node].children = [self.shapes[c] for c in g.objects(node, SH.property)]
        self._check_no_cycles()
        return CompiledShapes(top, frozenset(self.inverse), self.canon)

    def interned(self, nodes: Iterable[Node]) -> tuple[Node, ...]:
        """The one object per term that the index will use as key, so lookups hit by identity."""
        return tuple(self.canon.setdefault(n, n) for n in nodes)

    def _check_no_cycles(self) -> None:
        def visit(shape: _Shape, stack: set[Node]) -> None:
            if shape.node in stack:
                raise UnsupportedShapesError(f"sh:property cycle through {shape.node.n3()}")
            for child in shape.children:
                visit(child, stack | {shape.node})

        for shape in self.shapes.values():
            visit(shape, set())

    def one(self, node: Node, prop: URIRef) -> Node | None:
        values = list(self.g.objects(node, prop))
        if len(values) > 1:
            raise UnsupportedShapesError(f"{node.n3()} has more than one {prop.n3()}")
        return values[0] if values else None

    def shape(self, node: Node, *, is_property: bool) -> _Shape:
        g = self.g
        path_node = self.one(node, SH.path)
        messages = tuple(g.objects(node, SH.message))
        if not messages:  # pySHACL then writes a generic message of its own
            raise UnsupportedShapesError(f"shape {node.n3()} has no sh:message")
        severity = self.one(node, SH.severity)
        deactivated = self.one(node, SH.deactivated)
        if deactivated is not None and not isinstance(deactivated, Literal):
            raise UnsupportedShapesError("sh:deactivated must be a literal")
        shape = _Shape(
            node=node,
            path=None if path_node is None else self.path(path_node),
            severity=SH.Violation if severity is None else severity,
            messages=messages,
            deactivated=bool(deactivated is not None and deactivated.value),
        )
        params = {p for p in g.predicates(node, None) if str(p).startswith(str(SH))}
        unknown = params - _PASSIVE - set(_COMPONENTS)
        if unknown:
            raise UnsupportedShapesError(f"not implemented: {sorted(p.n3() for p in unknown)}")
        for param in sorted(params & set(_COMPONENTS), key=str):
            shape.checks.append((_COMPONENTS[param], self.check(node, param, is_property)))
        self.shapes[node] = shape
        return shape

    def path(self, node: Node) -> _Path:
        if isinstance(node, URIRef):
            return _Path(node, self.interned([node]), ())
        alternatives = self.one(node, SH.alternativePath)
        if alternatives is not None and len(list(self.g.predicate_objects(node))) == 1:
            items = list(self.g.items(alternatives))
            if len(items) < 2:
                raise UnsupportedShapesError("sh:alternativePath needs two paths or more")
            forward: list[Node] = []
            backward: list[Node] = []
            for item in items:
                part = self.path(item)
                if len(part.forward) + len(part.backward) != 1:
                    raise UnsupportedShapesError("nested alternative paths are not implemented")
                forward += part.forward
                backward += part.backward
            return _Path(node, tuple(forward), tuple(backward))
        inverse = self.one(node, SH.inversePath)
        if (
            isinstance(inverse, URIRef)
            and isinstance(node, BNode)
            and len(list(self.g.predicate_objects(node))) == 1
        ):
            self.inverse.add(inverse)
            return _Path(node, (), self.interned([inverse]))
        raise UnsupportedShapesError(f"path {node.n3()} is not implemented")

    def check(self, node: Node, param: Node, is_property: bool) -> _Check:
        g = self.g
        values = list(g.objects(node, param))
        single = values[0] if len(values) == 1 else None
        if param in (SH.minCount, SH.maxCount):
            if not (is_property and isinstance(single, Literal) and single.datatype == XSD.integer):
                raise UnsupportedShapesError(f"{param.n3()} on {node.n3()}")
            return _count(int(single.value), param == SH.minCount)
        if param == SH.nodeKind:
            if single is None or single not in _KINDS:
                raise UnsupportedShapesError(f"sh:nodeKind on {node.n3()}")
            return _node_kind(_KINDS[single])
        if param == SH.datatype:
            if single is None:
                raise UnsupportedShapesError(f"sh:datatype on {node.n3()}")
            return _datatype(single)
        if param == SH["class"]:
            return _class(self.interned(values))
        if param == SH.pattern:
            flags = list(g.objects(node, SH.flags))
            return _pattern([_regex(p, flags[0] if flags else None) for p in values])
        if param in (SH.minLength, SH.maxLength):
            if not (
                isinstance(single, Literal)
                and single.datatype in _WHOLE
                and not getattr(single, "ill_typed", False)
                and isinstance(single.value, int)
                and single.value >= 0
            ):
                raise UnsupportedShapesError(f"{param.n3()} on {node.n3()}")
            return _length(single.value, param == SH.minLength)
        if param == SH.languageIn:
            if single is None:
                raise UnsupportedShapesError(f"sh:languageIn on {node.n3()}")
            langs = [x.value for x in g.items(single) if isinstance(x, Literal)]
            if len(langs) != len(list(g.items(single))) or not all(
                isinstance(x, str) for x in langs
            ):
                raise UnsupportedShapesError("sh:languageIn must list strings")
            return _language_in({str(x).lower() for x in langs})
        if param == SH.uniqueLang:
            if not (is_property and isinstance(single, Literal) and isinstance(single.value, bool)):
                raise UnsupportedShapesError(f"sh:uniqueLang on {node.n3()}")
            return _unique_lang if single.value else _nothing
        if param in (SH.minInclusive, SH.minExclusive, SH.maxInclusive, SH.maxExclusive):
            if not values or not all(isinstance(v, Literal) for v in values):
                raise UnsupportedShapesError(f"{param.n3()} on {node.n3()}")
            return _range(values, param)  # type: ignore[arg-type]
        if param == SH["in"]:
            if single is None:
                raise UnsupportedShapesError(f"sh:in on {node.n3()}")
            allowed = frozenset(g.items(single))
            return _per_value(lambda v: v in allowed)
        if param == SH.hasValue:
            return _has_value(tuple(values))
        if param == SH.equals:
            return _equals(self.interned(values))
        if param == SH.disjoint:
            return _disjoint(self.interned(values))
        raise UnsupportedShapesError(f"{param.n3()} is not implemented")  # pragma: no cover


# --- checks (each mirrors pySHACL 0.40's evaluate() for its component) ---------------------------


def _per_value(ok: Callable[[Node], bool]) -> _Check:
    def check(focus: Node, values: _Values, index: _Index) -> list[Node | None]:
        return [v for v in values if not ok(v)]

    return check


def _node_kind(kinds: tuple[type, ...]) -> _Check:
    return _per_value(lambda v: isinstance(v, kinds))


def _datatype(rule: Node) -> _Check:
    return _per_value(lambda v: _datatype_ok(v, rule))


def _count(limit: int, is_min: bool) -> _Check:
    def check(focus: Node, values: _Values, index: _Index) -> list[Node | None]:
        failed = (len(values) < limit) if is_min else (len(values) > limit)
        return [None] if failed else _NONE

    return check


def _nothing(focus: Node, values: _Values, index: _Index) -> list[Node | None]:
    return _NONE  # pySHACL: sh:uniqueLang false reports nothing


def _class(classes: tuple[Node, ...]) -> _Check:
    def check(focus: Node, values: _Values, index: _Index) -> list[Node | None]:
        return [
            v
            for cls in classes
            for v in values
            if isinstance(v, Literal) or not index.is_instance(v, cls)
        ]

    return check


_RDFS_LITERAL, _RDFS_DATATYPE = RDFS.Literal, RDFS.Datatype
_XSD_STRING, _RDF_LANGSTRING = XSD.string, RDF.langString


def _datatype_ok(v: Node, rule: Node) -> bool:
    if not isinstance(v, Literal):
        return False
    datatype = v.datatype
    if datatype == rule:
        return getattr(v, "ill_typed", None) is not True and _actual_datatype(v, rule)
    if rule == _RDFS_LITERAL:
        return True
    if rule == _RDFS_DATATYPE and datatype:
        return True
    if datatype is None and v.language is None and rule == _XSD_STRING:
        return _actual_datatype(v, rule)
    if rule == _RDF_LANGSTRING and v.language:
        return _actual_datatype(v, rule)
    return False


_PY_TYPES: dict[Node, type | tuple[type, ...]] = {
    XSD.string: (str, bytes),
    RDF.langString: (str, bytes),
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: date,
    XSD.time: time,
    XSD.dateTime: datetime,
}


def _actual_datatype(v: Literal, rule: Node) -> bool:
    expected = _PY_TYPES.get(rule)
    return True if expected is None else isinstance(v.value, expected)


_STRINGY = (None, _RDF_LANGSTRING, _XSD_STRING)


def _string(v: Node) -> str:
    if isinstance(v, Literal) and v.value is not None and v.datatype in _STRINGY:
        return str(v.value)
    return str(v)


def _regex(pattern: Node, flags: Node | None) -> re.Pattern[str]:
    if not isinstance(pattern, Literal):
        raise UnsupportedShapesError("sh:pattern must be a literal")
    re_flags = 0
    if isinstance(flags, Literal):
        text = str(flags.value).lower()
        re_flags |= re.I if "i" in text else 0
        re_flags |= re.M if "m" in text else 0
    value = pattern.value
    source = str(value) if value is not None and len(value) > 1 else str(pattern)
    return re.compile(source, re_flags)


def _pattern(regexes: list[re.Pattern[str]]) -> _Check:
    def check(focus: Node, values: _Values, index: _Index) -> list[Node | None]:
        return [
            v
            for regex in regexes
            for v in values
            if isinstance(v, BNode) or not regex.search(_string(v))
        ]

    return check


def _length(limit: int, is_min: bool) -> _Check:
    def ok(v: Node) -> bool:
        if is_min and limit == 0:
            return True
        if isinstance(v, BNode):
            return False
        return len(_string(v)) >= limit if is_min else len(_string(v)) <= limit

    return _per_value(ok)


def _language_in(langs: set[str]) -> _Check:
    def ok(v: Node) -> bool:
        if not isinstance(v, Literal) or not v.language:
            return False
        lang = str(v.language).lower()
        return "*" in langs or lang in langs or lang.split("-")[0] in langs

    return _per_value(ok)


def _unique_lang(focus: Node, values: _Values, index: _Index) -> list[Node | None]:
    seen: set[str] = set()
    for v in values:
        if isinstance(v, Literal) and v.language:
            lang = str(v.language).lower()
            if lang in seen:
                return [None]  # pySHACL: one result per repeated language, without a value
            seen.add(lang)
    return _NONE


# pySHACL's own ordering of literals, so both engines compare them alike.
_compare_literal: Callable[[Literal, Literal], int] = _pyshacl_compare.compare_literal

_RANGE_OK: dict[Node, Callable[[int], bool]] = {
    SH.minInclusive: lambda c: c >= 0,
    SH.minExclusive: lambda c: c > 0,
    SH.maxInclusive: lambda c: c <= 0,
    SH.maxExclusive: lambda c: c < 0,
}


def _range(bounds: list[Literal], param: Node) -> _Check:
    accept = _RANGE_OK[param]

    def in_range(v: Node, bound: Literal) -> bool:
        if not isinstance(v, Literal):
            return False
        if isinstance(bound.value, str) != isinstance(v.value, str):
            return False
        try:
            return accept(_compare_literal(v, bound))
        except (TypeError, NotImplementedError):
            return False

    def check(focus: Node, values: _Values, index: _Index) -> list[Node | None]:
        return [v for bound in bounds for v in values if not in_range(v, bound)]

    return check


def _has_value(wanted: tuple[Node, ...]) -> _Check:
    def check(focus: Node, values: _Values, index: _Index) -> list[Node | None]:
        return [None for hv in wanted if not any(v == hv for v in values)]

    return check


def _equals(props: tuple[Node, ...]) -> _Check:
    def check(focus: Node, values: _Values, index: _Index) -> list[Node | None]:
        found: list[Node | None] = []
        for p in props:
            other = index.objects(focus, p)
            found += values - other
            found += other - values
        return found

    return check


def _disjoint(props: tuple[Node, ...]) -> _Check:
    def check(focus: Node, values: _Values, index: _Index) -> list[Node | None]:
        return [v for p in props for v in values & index.objects(focus, p)]

    return check
