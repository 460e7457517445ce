"""Facts by path: reading and changing one fact, and which facts a criterion can depend on.

A path is a tuple of søknad keys, e.g. ("bolig", "kjøpesum"). Changing a fact copies only the
records along its path, so the original facts are never modified.
"""

from __future__ import annotations

from typing import Any

from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy, CriterionDef, SchemeDef
from boligregler.syntax import ast

Path = tuple[str, ...]


def get(facts: dict, path: Path) -> Any:
    value: Any = facts
    for key in path:
        value = value[key]
    return value


def with_value(facts: dict, path: Path, value: Any) -> dict:
    """A copy of `facts` where the fact at `path` is `value`."""
    head, *rest = path
    copy = dict(facts)
    copy[head] = with_value(facts[head], tuple(rest), value) if rest else value
    return copy


def with_line(facts: dict, path: Path, line: dict) -> dict:
    """A copy of `facts` with `line` added to the list at `path`."""
    return with_value(facts, path, [*get(facts, path), line])


def spec_of(schema: T.Record, path: Path) -> T.FieldSpec:
    record: Any = schema
    spec = None
    for key in path:
        spec = record.fields[key]
        record = spec.type
    return spec


def name(path: Path) -> str:
    return ".".join(path)


def overlaps(a: Path, b: Path) -> bool:
    """Whether one path lies inside the other (a change to one can change the other)."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


class Dependencies:
    """The søknad facts each criterion of a scheme reads, through computations, found statically.

    A criterion's result can only change when a fact in its set changes, so a search for what
    would change the outcome needs to try only those facts. Every criterion is analysed when the
    instance is made (a computation being analysed reads as empty to break cycles, so a lazily
    filled instance shared by threads could answer from a half-finished analysis).
    """

    def __init__(self, model: CheckedPolicy, scheme: SchemeDef, levers=()):
        self.model, self.scheme = model, scheme
        self._computed: dict[str, frozenset[Path]] = {}
        self._criteria: dict[str, frozenset[Path]] = {}
        self._affected: dict[frozenset[Path], frozenset[str]] = {}
        for c in scheme.criteria:  # all at once: a shared instance is only read, so threads may share it
            self.criterion(c)
        for n in scheme.computations:
            self.computation(n)
        # `ordning` picks the scheme, so changing it can change every criterion
        self._touched = {lever.path: frozenset(c.id for c in scheme.criteria if lever.path == ("ordning",)
                                               or any(overlaps(lever.path, p) for p in self._criteria[c.id]))
                         for lever in levers}
        self._levers = tuple(levers)
        self._touching_all: dict[frozenset[str], tuple] = {}

    def touching(self, lever) -> frozenset[str]:
        """The criteria a change of `lever` (one of the levers given when made) can change."""
        return self._touched[lever.path]

    def levers_touching(self, ids) -> tuple:
        """The levers given when made, in their order, that can change every criterion in `ids`; found once per set."""
        key = frozenset(ids)
        found = self._touching_all.get(key)
        if found is None:
            found = self._touching_all[key] = tuple(lever for lever in self._levers
                                                    if all(cid in self._touched[lever.path] for cid in key))
        return found

    def affected(self, paths: frozenset[Path]) -> frozenset[str]:
        """The memo keys ("c:name") of the computations that read one of `paths`: every other computation has
        for facts changed only at `paths` the value it had before the change. Found once per set of paths
        (a whole set is stored at once, so threads sharing the instance read either nothing or all of it)."""
        keys = self._affected.get(paths)
        if keys is None:
            keys = self._affected[paths] = frozenset(
                "c:" + n for n in self.scheme.computations
                if any(overlaps(p, q) for p in paths for q in self.computation(n)))
        return keys

    def criterion(self, c: CriterionDef) -> frozenset[Path]:
        if c.id not in self._criteria:
            found: set[Path] = set()
            for e in (c.condition, c.relevance, *(x.condition for x in c.exceptions)):
                if e is not None:
                    self._walk(e, {}, found)
            self._criteria[c.id] = frozenset(found)
        return self._criteria[c.id]

    def computation(self, name_: str) -> frozenset[Path]:
        if name_ not in self._computed:
            self._computed[name_] = frozenset()  # a cycle cannot occur in a checked policy; this ends recursion
            found: set[Path] = set()
            self._walk(self.scheme.computations[name_].expr, {}, found)
            self._computed[name_] = frozenset(found)
        return self._computed[name_]

    def _source(self, e: ast.Expr, local: dict[str, Path]) -> Path | None:
        """The fact path an expression reads directly (`bolig.kjøpesum`, a list variable), if any."""
        if isinstance(e, ast.Name):
            if e.name in local:
                return local[e.name]
            if e.name in self.scheme.computations or e.name in self.model.parameters:
                return None
            return (e.name,) if e.name in self.model.schema.fields else None
        if isinstance(e, ast.Attribute):
            base = self._source(e.obj, local)
            if base is None:
                return None
            return base if any(base == p for p in local.values()) else (*base, e.name)
        return None

    def _walk(self, e: Any, local: dict[str, Path], found: set[Path]) -> None:
        source = self._source(e, local) if isinstance(e, (ast.Name, ast.Attribute)) else None
        if source is not None:
            found.add(source)
            return
        match e:
            case ast.Name(n) if n in self.scheme.computations and n not in local:
                found |= self.computation(n)
            case ast.Aggregate(_, var, src, where, body):
                self._walk(src, local, found)
                inner = {**local, var: self._source(src, local) or ()} if var else local
                for part in (where, body):
                    if part is not None:
                        self._walk(part, inner, found)
            case _ if hasattr(e, "__attrs_attrs__"):
                for a in e.__attrs_attrs__:
                    if a.name != "span":
                        self._walk(getattr(e, a.name), local, found)
            case tuple() | list():
                for x in e:
                    self._walk(x, local, found)
