"""The full vedtak record of every row of a batch, built from the columnar backend's arrays.

`boligregler vurder POLICY søknader.jsonl` writes one vedtak per line, byte for byte what
`Decision.to_json(letter=False, head={"linje": …})` writes. Here the lines are built as Arrow
string columns instead of one `Policy.evaluate` per line: a line is a sequence of slots, each a
text fixed for the policy, a text per row from a few that occur (a criterion's fields before its
explanation, the parameters and tables the assessment read), or a text per row computed from the
arrays (amounts, the numbers in each explanation, the søknad's sha256); the slots are joined by
one Arrow kernel, a slice of rows at a time (`_compact` first merges the slots of few texts).

- The explanations: every `{uttrykk}` of a criterion's text is evaluated as a column by the
  columnar `Evaluator` and written by the same formatter the Decimal backend uses, applied once
  per distinct value (amounts in kroner are written byte by byte with array operations, as
  `money.format_kr` writes them).
- What the assessment read (`sporbarhet.parametre`, `tabeller`): the memo keys the Decimal
  backend sets depend on the branches it takes; `_Reach` follows them as masks (`hvis`, `og` and
  `eller` short-circuit, a criterion's exceptions tried in turn, a list's body only for elements
  that are summed, `finnes`/`alle` until the first hit), so each row gets exactly the parameters
  and computations its evaluation would have read.
- The søknad's sha256: its canonical JSON (`explain.replay.canonical_json`) built column by column.

A row this cannot build exactly (decided by the Decimal backend, `ikke_avgjort`, a fact not yet
given, a value the arrays cannot give) is left to `Policy.evaluate_facts` (`Lines.per_line`),
counted. `screen_jsonl` runs a JSON Lines file in blocks, in a process per core. The tests compare
both ways on every example of every shipped policy, on random batches and end to end.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
from decimal import Decimal, localcontext
from typing import Any, Callable

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from boligregler.evaluation import columnar as C
from boligregler.evaluation import runtime
from boligregler.evaluation.decision import default_explanation
from boligregler.evaluation.soknad import CASE_FIELD, REASONS
from boligregler.explain import replay
from boligregler.model import types as T
from boligregler.money import CONTEXT
from boligregler.norsk import antall_tekst
from boligregler.records import REFERENCE, json_line
from boligregler.syntax import ast

NBSP, MINUS = "\u00a0", "\u2212"
SLICE = 4096  # rows joined into lines at a time: the joined texts of a slice are what memory holds


class _NotBuilt(Exception):
    """Something in the policy this module does not build from columns; its rows are built one by one."""


def _esc(text: str) -> str:
    """`text` as it stands inside a JSON string of a vedtak line (json.dumps, ensure_ascii=False, `json_line`)."""
    return json_line(json.dumps(text, ensure_ascii=False)[1:-1])


def _rows_bad(bad, n: int) -> np.ndarray:
    if bad is None:
        return np.zeros(n, dtype=bool)
    return np.array(np.broadcast_to(bad, (n,)), dtype=bool)


def _strings(values) -> pa.Array:
    return pa.array(values, type=pa.string())


def _by_code(codes: np.ndarray, labels: list[str]) -> pa.Array:
    return _strings(labels).take(pa.array(np.asarray(codes, dtype=np.int32)))


def _lpad(x: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(x), pa.string()), width, "0")


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def kr_text(ore: np.ndarray) -> pa.Array:
    """Øre as `money.format_kr` writes them: «2 973 590 kr», «−23 932,50 kr».

    Each row's UTF-8 bytes are laid out right-aligned in a matrix (no byte of the text is 0) and read back row
    by row where they are not 0: a few array operations for any number of rows.
    """
    ore = np.asarray(ore, dtype=np.int64)
    n = ore.size
    a = np.abs(ore)
    if n and int(a.max()) >= 10**15:
        raise _NotBuilt("et tall med mer enn femten sifre")
    kr, part = np.divmod(a, 100)
    digits = np.ones(n, dtype=np.int64)
    for j in range(1, 16):
        digits += kr >= 10**j
    most = int(digits.max()) if n else 1
    tail = b" kr"
    width = 3 + most + 2 * ((most - 1) // 3) + 3 + len(tail)
    m = np.zeros((n, width), dtype=np.uint8)
    units = width - 1 - len(tail) - 3  # the column of the last digit
    for j in range(most):
        column = units - (j + 2 * (j // 3))
        m[:, column] = np.where(j < digits, 48 + (kr // 10**j) % 10, 0)
        if j % 3 == 0 and j:  # a no-break space (c2 a0) before a group of three
            grouped_here = digits > j
            m[:, column + 1] = np.where(grouped_here, 0xC2, 0)
            m[:, column + 2] = np.where(grouped_here, 0xA0, 0)
    cents = part != 0
    m[:, units + 1] = np.where(cents, ord(","), 0)
    m[:, units + 2] = np.where(cents, 48 + part // 10, 0)
    m[:, units + 3] = np.where(cents, 48 + part % 10, 0)
    for k, byte in enumerate(tail):
        m[:, units + 4 + k] = byte
    negative = np.flatnonzero(ore < 0)
    if negative.size:  # U+2212 (e2 88 92) before the first digit
        first = units - (digits[negative] - 1 + 2 * ((digits[negative] - 1) // 3))
        for k, byte in enumerate((0xE2, 0x88, 0x92)):
            m[negative, first - 3 + k] = byte
    keep = m != 0
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(keep.sum(axis=1), out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(m[keep].tobytes())])


def ore_json(ore: np.ndarray) -> pa.Array:
    """Øre as vedtak.md writes money (`money.money_json`): "2973590", "23932.50", "-5"."""
    a = np.abs(ore)
    kr, part = np.divmod(a, 100)
    text = pc.cast(pa.array(kr), pa.string())
    if (part != 0).any():
        text = pc.if_else(pa.array(part != 0), _join(text, ".", _lpad(part, 2)), text)
    if (ore < 0).any():
        text = pc.if_else(pa.array(ore < 0), _join("-", text), text)
    return text


def number_json(data: np.ndarray, scale: int) -> pa.Array:
    """Exact scaled integers as `replay._number` writes the Decimal: 48500, 3800.5, 0 (the canonical JSON
    quotes them)."""
    data = np.asarray(data, dtype=np.int64)
    if scale == 0:
        return pc.cast(pa.array(data), pa.string())
    a = np.abs(data)
    whole, part = np.divmod(a, 10**scale)
    text = pc.cast(pa.array(whole), pa.string())
    if (part != 0).any():
        fraction = pc.utf8_rtrim(_lpad(part, scale), "0")
        text = pc.if_else(pa.array(part != 0), _join(text, ".", fraction), text)
    if (data < 0).any():
        text = pc.if_else(pa.array(data < 0), _join("-", text), text)
    return text


def _decimal(x: int, scale: int) -> Decimal:
    unit = 10**scale
    return Decimal(x // unit) if x % unit == 0 else Decimal(x).scaleb(-scale)


def _distinct(codes: np.ndarray, below: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of non-negative integer codes (all `< below` when given) and each one's index among
    them, as `np.unique(…, return_inverse=True)`; by counting when the codes are few, not sorting."""
    codes = np.asarray(codes, dtype=np.int64)
    if below is not None and below <= 4 * codes.size + 4096:
        present = np.bincount(codes, minlength=below) > 0
        index = np.cumsum(present) - 1
        return np.flatnonzero(present), index[codes]
    values, inverse = np.unique(codes, return_inverse=True)
    return values, inverse.reshape(-1)


def _distinct_rows(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(key, axis=0, return_inverse=True)` of a matrix of integers, through one code per row when the
    combinations fit in one integer (the rows sorted by that code, the order `np.unique` gives too)."""
    key = np.asarray(key, dtype=np.int64)
    if not key.size:
        return np.zeros((0, key.shape[1]), dtype=np.int64), np.zeros(key.shape[0], dtype=np.int64)
    low = key.min(axis=0)
    sizes = (key.max(axis=0) - low + 1).tolist()
    total = 1
    for size in sizes:
        total *= size
    if total >= 1 << 62:
        combos, inverse = np.unique(key, axis=0, return_inverse=True)
        return combos, inverse.reshape(-1)
    code = np.zeros(key.shape[0], dtype=np.int64)
    for j, size in enumerate(sizes):
        code = code * size + (key[:, j] - low[j])
    values, inverse = _distinct(code, total)
    combos = np.empty((values.size, len(sizes)), dtype=np.int64)
    for j in reversed(range(len(sizes))):
        values, combos[:, j] = np.divmod(values, sizes[j])
        combos[:, j] += low[j]
    return combos, inverse


def _per_value(codes: np.ndarray, write: Callable[[Any], str]) -> tuple[list[str], np.ndarray]:
    """`write` of each distinct value of an array, and each row's (a piece of `_compact`)."""
    if codes.size and codes.min() == codes.max():
        return [write(codes.flat[0].item())], np.zeros(codes.size, dtype=np.int64)
    values, inverse = np.unique(codes, return_inverse=True)
    return [write(v) for v in values.tolist()], inverse.reshape(-1)


LONG = 128  # a fixed text this long is joined as it is, not copied into the texts of a merged piece


def _compact(pieces: list, materialize: bool = True) -> list:
    """Pieces of a text per row, with every run of fixed texts and (labels, codes) pieces merged into one piece
    of the combinations that occur; a piece is a text, (labels, codes) or a string array (one per row). Fewer
    pieces make the join faster: it pays per piece and row."""
    out: list = []
    run: list = []

    def flush():
        if not run:
            return
        if all(isinstance(p, str) for p in run):
            out.append("".join(run))
        else:
            out.append(_merged(run))
        run.clear()
    for p in pieces:
        if isinstance(p, pa.Array) or (isinstance(p, str) and len(p) >= LONG) or (  # long texts stay apart
                isinstance(p, tuple) and max(map(len, p[0])) >= LONG):
            flush()
            out.append(p)
        else:
            run.append(p)
    flush()
    return [_by_code(p[1], p[0]) if materialize and isinstance(p, tuple) else p for p in out]


def _merged(run: list) -> tuple[list[str], np.ndarray]:
    """Fixed texts and (labels, codes) pieces as one (labels, codes) piece."""
    code, radix, coded = None, 1, []
    for k, p in enumerate(run):
        if isinstance(p, str):
            continue
        labels, codes = p
        if radix * len(labels) >= 1 << 62:  # too many combinations for one code: in two
            return _merged([_merged(run[:k]), _merged(run[k:])])
        codes = np.asarray(codes, dtype=np.int64)
        code = codes if code is None else code * len(labels) + codes
        radix *= len(labels)
        coded.append(labels)
    values, inverse = _distinct(code, radix)
    texts = []
    for value in values.tolist():
        picks = []
        for labels in reversed(coded):
            value, k = divmod(value, len(labels))
            picks.append(labels[k])
        it = reversed(picks)
        texts.append("".join(p if isinstance(p, str) else next(it) for p in run))
    return texts, inverse.reshape(-1)


def _in_row_order(parts: list, n: int):
    """One piece over all `n` rows from pieces over disjoint sets of rows ((rows, piece) each)."""
    if all(isinstance(p, tuple) for _, p in parts):
        labels, codes = [], np.zeros(n, dtype=np.int64)
        for rows, (texts, piece_codes) in parts:
            codes[rows] = np.asarray(piece_codes) + len(labels)
            labels += texts
        return labels, codes
    order = np.concatenate([rows for rows, _ in parts])
    text = pa.concat_arrays([_by_code(p[1], p[0]) if isinstance(p, tuple) else p for _, p in parts])
    if len(parts) > 1:
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n)
        text = text.take(pa.array(position))
    return text


def _nulled(pieces: list, missing: np.ndarray) -> list:
    """`null` where `missing`, else the value's pieces."""
    if len(pieces) == 1 and isinstance(pieces[0], tuple):
        labels, codes = pieces[0]
        return [([*labels, "null"], np.where(missing, len(labels), codes))]
    return [pc.if_else(pa.array(missing), "null", _join(*_compact(pieces)))]


# ---- what the assessment read, row by row ------------------------------------------------------


class _Reach:
    """The rows on which the Decimal backend reads each computation and parameter (`c:…`, `p:…` in its memo).

    `walk(expr, mask, scope)` follows an expression as the compiled code runs it, on the rows (or list
    elements) of `mask`: both operands of arithmetic, one branch of `hvis`, the right side of `og`
    and `eller` only where the left does not settle it, and a computation's own expression once per
    row on which it is first read. Branch conditions are evaluated as columns; rows where one cannot
    be given exactly are marked in `bad`.
    """

    def __init__(self, ev: C.Evaluator, n: int):
        self.ev, self.n = ev, n
        self.read: dict[str, np.ndarray] = {}  # "c:navn" / "p:navn" → rows
        self.bad = np.zeros(n, dtype=bool)

    def _value(self, e, scope, mask) -> np.ndarray:
        v = self.ev.eval(e, scope)
        if not isinstance(v, C.Bool):
            raise _NotBuilt("en betingelse som ikke er en sannhetsverdi")
        shape = mask.shape
        if v.bad is not None:
            self._mark_bad(np.logical_and(mask, np.broadcast_to(v.bad, shape)), scope)
        return np.broadcast_to(np.asarray(v.data, dtype=bool), shape)

    def _mark_bad(self, mask, scope) -> None:
        self.bad |= self._rows(mask, scope)

    def _rows(self, mask, scope) -> np.ndarray:
        """A mask over the scope's elements as a mask over the batch's rows."""
        if scope.lst is None:
            return mask
        rows = np.zeros(self.n, dtype=bool)
        rows[scope.parent[mask]] = True
        return rows

    def name(self, name: str, mask, scope) -> None:
        s = scope
        while s is not None:
            if name in s.names:
                return
            s = s.outer
        scheme, policy = self.ev.scheme, self.ev.policy
        if name in scheme.computations:
            key = "c:" + name
        elif name in policy.parameters:
            key = "p:" + name
        else:
            return
        rows = self._rows(mask, scope)
        seen = self.read.get(key)
        new = rows if seen is None else rows & ~seen
        if not new.any():
            return
        self.read[key] = new if seen is None else seen | new
        if key[0] == "c":
            self.walk(scheme.computations[name].expr, new, C._Scope())

    def walk(self, e, mask, scope) -> None:
        if not mask.any():
            return
        match e:
            case ast.Quantity() | ast.Text() | ast.Boolean() | ast.DateLiteral():
                return
            case ast.Name(name):
                self.name(name, mask, scope)
            case ast.Attribute(obj, _):
                self.walk(obj, mask, scope)
            case ast.Lookup(_, keys):
                for k in keys:
                    self.walk(k, mask, scope)
            case ast.Call("avrund", args):
                self.walk(args[0], mask, scope)
            case ast.Call("oppgitt", args):
                if isinstance(args[0], ast.Attribute):
                    self.walk(args[0].obj, mask, scope)
            case ast.Call(_, args):
                for a in args:
                    self.walk(a, mask, scope)
            case ast.Unary(_, operand):
                self.walk(operand, mask, scope)
            case ast.Binary(_, left, right) | ast.Compare(_, left, right):
                self.walk(left, mask, scope)
                self.walk(right, mask, scope)
            case ast.Logical(op, left, right):
                self.walk(left, mask, scope)
                held = self._value(left, scope, mask)
                self.walk(right, mask & (held if op == "og" else ~held), scope)
            case ast.Member(item, container):
                self.walk(item, mask, scope)
                if not isinstance(container, ast.ListLiteral):
                    self.walk(container, mask, scope)
            case ast.If(cond, then, otherwise):
                self.walk(cond, mask, scope)
                held = self._value(cond, scope, mask)
                self.walk(then, mask & held, scope)
                self.walk(otherwise, mask & ~held, scope)
            case ast.Aggregate():
                self.aggregate(e, mask, scope)
            case _:
                raise _NotBuilt(type(e).__name__)

    def aggregate(self, e: ast.Aggregate, mask, scope) -> None:
        if scope.lst is not None:
            raise _NotBuilt("en liste i en liste")
        self.walk(e.source, mask, scope)
        if e.var is None:
            return
        src = self.ev.eval(e.source, scope)
        if not isinstance(src, C.Lst):
            raise _NotBuilt("aggregat over noe annet enn en liste")
        inner = C._Scope(src, {e.var: src.element}, scope)
        elements = mask[src.parent] if src.shape[0] else np.zeros(0, dtype=bool)
        if e.kind in ("finnes", "alle"):  # any()/all(): elements up to the first that settles the row
            held = self._value(e.where, inner, elements)
            settles = held if e.kind == "finnes" else ~held
            running = np.cumsum(settles, dtype=np.int64)
            before_row = np.concatenate([[0], running])[src.offsets[:-1]]
            earlier = running - settles - before_row[src.parent]
            self.walk(e.where, elements & (earlier == 0), inner)
            return
        if e.where is not None:
            self.walk(e.where, elements, inner)
            elements = elements & self._value(e.where, inner, elements)
        if e.kind == "sum":
            self.walk(e.body, elements, inner)


# ---- the lines -------------------------------------------------------------------------------


@attrs.define
class _Plan:
    """Lines of some rows of a chunk not joined yet: `rows` (sorted, into the chunk) and the slots of each
    (see `VedtakLines._slots`; the arrays hold one entry per row of `rows`)."""

    rows: np.ndarray
    slots: list

    def size(self) -> int:
        """The bytes of the lines of all `rows` (UTF-8)."""
        total, n = 0, len(self.rows)
        for slot in self.slots:
            if isinstance(slot, str):
                total += len(slot.encode("utf-8")) * n
            elif isinstance(slot, tuple):
                labels, codes = slot
                total += int(np.diff(_offsets(labels))[codes].sum())
            else:
                offsets = _offsets(slot)
                total += int(offsets[-1] - offsets[0])
        return total

    def join(self, lo: int, hi: int) -> pa.Array:
        """The lines of `rows[lo:hi]`, each ending in "\\n"."""
        parts = []
        for slot in self.slots:
            if isinstance(slot, str):
                parts.append(slot)
            elif isinstance(slot, tuple):
                labels, codes = slot
                here = codes[lo:hi]
                if here.size and here.min() == here.max():  # one text for the slice: no copy per row
                    parts.append(labels[int(here[0])].as_py())
                else:
                    parts.append(labels.take(pa.array(here)))
            else:
                parts.append(slot.slice(lo, hi - lo))
        return _join(*parts)


@attrs.define
class Lines:
    """The vedtak lines of a chunk: built for the rows in `built`; the others (`per_line`) are for the caller
    to build one by one with `Policy.evaluate_facts`."""

    n: int
    built: np.ndarray  # bool per row of the chunk
    plans: list

    @property
    def per_line(self) -> np.ndarray:
        return np.flatnonzero(~self.built)

    def size(self, per_line: dict[int, str]) -> int:
        """The bytes `write` writes."""
        return sum(plan.size() for plan in self.plans) + sum(len(t.encode("utf-8")) for t in per_line.values())

    def text_of_built(self) -> list[str]:
        """The built lines (with their "\\n") as texts, in row order."""
        out: list[tuple[int, str]] = []
        for plan in self.plans:
            out += zip(plan.rows.tolist(), plan.join(0, len(plan.rows)).to_pylist())
        return [text for _, text in sorted(out)]

    def write(self, out, per_line: dict[int, str]) -> None:
        """Every line in row order to the binary stream `out`: the built ones a slice of rows at a time (their
        texts are joined only then), and `per_line` (row → line with its "\\n") in their places."""
        cursors = [0] * len(self.plans)
        waiting = sorted(per_line)
        w = 0
        for start in range(0, self.n, SLICE):
            stop = min(self.n, start + SLICE)
            pieces = []  # (first row, memoryview of the lines of consecutive rows)
            for k, plan in enumerate(self.plans):
                lo = cursors[k]
                hi = lo + int(np.searchsorted(plan.rows[lo:], stop))
                cursors[k] = hi
                if hi > lo:
                    pieces.append((plan.rows[lo:hi], plan.join(lo, hi)))
            mine = []
            while w < len(waiting) and waiting[w] < stop:
                mine.append(waiting[w])
                w += 1
            if len(pieces) == 1 and not mine:
                out.write(_buffer(pieces[0][1]))
                continue
            lines = [(int(r), per_line[r].encode("utf-8")) for r in mine]
            for rows, text in pieces:
                data, offsets = _buffer(text), _offsets(text)
                lines += [(r, data[a - offsets[0]:b - offsets[0]])
                          for r, a, b in zip(rows.tolist(), offsets[:-1].tolist(), offsets[1:].tolist())]
            lines.sort(key=lambda x: x[0])
            for _, line in lines:
                out.write(line)


def _beyond_columns(facts: dict) -> bool:
    """Whether validated facts hold what the columns do not: a case worker's reasons for an assessment."""
    stack = [facts]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if REASONS in value:
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _unassessed_in(value) -> bool:
    """Whether validated facts hold a fact not yet given or assessed (`runtime.Unassessed`)."""
    if isinstance(value, dict):
        return any(_unassessed_in(v) for v in value.values())
    if isinstance(value, list):
        return any(_unassessed_in(v) for v in value)
    return isinstance(value, runtime.Unassessed)


def _offsets(text: pa.Array) -> np.ndarray:
    return np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset:text.offset + len(text) + 1]


def _buffer(text: pa.Array) -> memoryview:
    """The UTF-8 bytes of a string array's values, end to end."""
    offsets = _offsets(text)
    data = text.buffers()[2]
    return memoryview(data)[offsets[0]:offsets[-1]] if data is not None else memoryview(b"")


class VedtakLines:
    """Builds the default vedtak lines of `boligregler vurder` for a policy, chunk by chunk."""

    def __init__(self, policy):
        self.policy = policy
        self.model = policy.model
        self.form = str(self.model.header.get("målform", "bokmål"))
        self.record = policy.record()
        self.head = replay.record_head_json(policy, explain=True, with_letter=False)
        self.not_built: dict[str, str] = {}  # scheme → why its rows were left to the Decimal path
        self._static_tables: dict[tuple[str, str], set] = {}  # (scheme, computation) → the tables it reads

    # -- one chunk
    def build(self, batch: C.Batch, result: C.BatchResult, lines: np.ndarray, references) -> Lines:
        """The lines of the rows of `batch` (decided in `result`; `lines`: each row's line number)."""
        n = batch.n
        candidate = ~np.asarray(result.fallback, dtype=bool) & (np.asarray(result.utfall) >= 0)
        if "ikke_avgjort" in result.outcomes:
            candidate &= np.asarray(result.utfall) != result.outcomes.index("ikke_avgjort")
        for gone in result.absent.values():
            candidate &= ~gone
        if batch.bad is not None:
            candidate &= ~np.broadcast_to(batch.bad, (n,))
        if batch.facts is not None:  # validated line by line: a case worker's reasons are not in the columns
            candidate &= np.array([not _beyond_columns(f) for f in batch.facts], dtype=bool)
        candidate &= ~self._open(batch, n)  # their evaluation settles completions of the facts not yet there
        built = np.zeros(n, dtype=bool)
        plans = []
        for code in range(len(result.scheme_names)):
            rows = np.flatnonzero(candidate & (np.asarray(result.scheme_index) == code))
            if not rows.size:
                continue
            scheme = self._scheme(batch, int(rows[0]))
            for start in range(0, rows.size, 8 * SLICE):
                part = rows[start:start + 8 * SLICE]
                try:
                    ok, slots = self._scheme_lines(scheme, batch.take(part), result, part, lines, references)
                except _NotBuilt as e:
                    self.not_built.setdefault(scheme.id, str(e))
                    continue
                built[part[ok]] = True
                plans.append(_Plan(part[ok], slots))
        return Lines(n, built, plans)

    def _scheme(self, batch: C.Batch, row: int):
        """The scheme of a row, as `columnar.evaluate` picks it (by its `ordning`)."""
        ordning = batch.root.fields.get("ordning")
        if ordning is None:
            return self.model.scheme_for("")
        v = ordning.value
        return self.model.scheme_for(v.values[int(np.broadcast_to(v.data, (batch.n,))[row])])

    def _scheme_lines(self, scheme, sub: C.Batch, result: C.BatchResult, rows: np.ndarray, lines, references):
        """(which of `rows` were built, their lines) for rows of one scheme."""
        n = sub.n
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"), localcontext(CONTEXT):
            try:
                ev = C.Evaluator(self.model, scheme, sub)
            except C.Unsupported as e:
                raise _NotBuilt(str(e)) from None
            ok = np.ones(n, dtype=bool)
            utfall = np.asarray(result.utfall)[rows]
            ev.memo["utfall"] = C.Cat(utfall, result.outcomes)
            reach = _Reach(ev, n)
            crits = [(crit, np.asarray(result.criteria[crit.id].results)[rows],
                      np.asarray(result.criteria[crit.id].letters)[rows]) for crit in scheme.criteria]
            explanations = []
            try:
                for crit, res, letters in crits:
                    self._walk_criterion(reach, crit, res, letters)
                    explanations.append(self._explanations(ev, reach, crit, res, letters, n))
                for _, expr in self.model.decision:
                    reach.walk(expr, np.ones(n, dtype=bool), C._Scope())
                canonical, cbad = self._canonical(sub.root, sub.schema, n, top=True)
            except C.Unsupported as e:
                raise _NotBuilt(str(e)) from None
            ok &= ~reach.bad & ~cbad
            for _, bad in explanations:
                ok &= ~bad
        keep = np.flatnonzero(ok)
        slots = self._slots(sub, result, rows, utfall, explanations, reach, lines, references)
        sha = self._sha256(canonical, keep)
        index = pa.array(keep)
        out = []
        for slot in slots:  # only the rows built
            if isinstance(slot, tuple):
                out.append((slot[0], np.asarray(slot[1])[keep]))
            elif slot is None:
                out.append(sha)
            elif isinstance(slot, str):
                out.append(slot)
            else:
                out.append(slot if keep.size == n else slot.take(index))
        return ok, [(_strings(p[0]), p[1]) if isinstance(p, tuple) else p for p in _compact(out, materialize=False)]

    @staticmethod
    def _open(sub: C.Batch, n: int) -> np.ndarray:
        """Rows with a fact not yet given or assessed anywhere (their evaluation settles completions). In columns
        read from a table, such a fact is missing; built from facts, a missing one may also be `ingen`."""
        if sub.facts is not None:
            return np.array([_unassessed_in(f) for f in sub.facts], dtype=bool)
        out = np.zeros(n, dtype=bool)

        def visit(rec: C.Rec, record: T.Record, parent):
            for name, spec in record.fields.items():
                f = rec.fields.get(name)
                if f is None:
                    continue
                if spec.provided_by is not None and f.missing is not None:
                    m = np.broadcast_to(f.missing, (len(parent) if parent is not None else n,))
                    if parent is None:
                        out[m] = True
                    else:
                        out[parent[m]] = True
                if isinstance(spec.type, T.Record) and isinstance(f.value, C.Rec):
                    visit(f.value, spec.type, parent)
                elif isinstance(spec.type, T.ListOf) and isinstance(f.value, C.Lst) and parent is None:
                    if isinstance(spec.type.element, T.Record):
                        visit(f.value.element, spec.type.element, f.value.parent)
        visit(sub.root, sub.schema, None)
        return out

    # -- criteria
    @staticmethod
    def _walk_criterion(reach: _Reach, crit, res, letters) -> None:
        everywhere = np.ones(res.shape, dtype=bool)
        if crit.relevance is not None:
            reach.walk(crit.relevance, everywhere, C._Scope())
        reach.walk(crit.condition, res != C.IKKE_RELEVANT, C._Scope())
        for j, e in enumerate(crit.exceptions):  # tried in turn until one holds
            tried = (res == C.IKKE_OPPFYLT) | ((res == C.UNNTAK) & (letters >= j))
            reach.walk(e.condition, tried, C._Scope())

    def _variants(self, crit, res, letters):
        """(rows, template or default text) for each explanation a criterion's rows get (`decision._text`)."""
        out = []
        for r in np.unique(res).tolist():
            result = C.RESULTS[r]
            if r == C.UNNTAK:
                for k in np.unique(letters[res == r]).tolist():
                    rows = np.flatnonzero((res == r) & (letters == k))
                    e = crit.exceptions[k]
                    tpl = e.explanation if e.explanation is not None else crit.explanations.get(result)
                    out.append((rows, result, e.letter, tpl))
            else:
                out.append((np.flatnonzero(res == r), result, None, crit.explanations.get(result)))
        return out

    def _explanations(self, ev, reach: _Reach, crit, res, letters, n):
        """Per row, the criterion's JSON from `"resultat"` to its end, and rows it cannot build; and the
        codes of its head (id … lenke, unntak) for the slots."""
        bad = np.zeros(n, dtype=bool)
        fields = {"id": crit.id, "tittel": crit.title, "resultat": "oppfylt", "art": crit.kind, "hjemmel": crit.hjemmel}
        if crit.lenke is not None:
            fields["lenke"] = crit.lenke
        before, after = json_line(json.dumps(fields, ensure_ascii=False)[:-1]).split('"resultat": "oppfylt"')
        head = [before + '"resultat": "', (list(C.RESULTS), np.asarray(res, dtype=np.int64)), '"' + after,
                ([""] + [f', "unntak": {json.dumps(e.letter, ensure_ascii=False)}' for e in crit.exceptions],
                 np.where(res == C.UNNTAK, np.asarray(letters, dtype=np.int64) + 1, 0)), ', "forklaring": "']
        texts: list[tuple[np.ndarray, Any]] = []  # (rows, a piece over them: (labels, codes) or an array)
        for rows, result, letter, tpl in self._variants(crit, res, letters):
            if tpl is None:
                texts.append((rows, ([_esc(default_explanation(crit.title, result, self.form))],
                                     np.zeros(rows.size, dtype=np.int64))))
                continue
            mask = np.zeros(n, dtype=bool)
            mask[rows] = True
            parts = []
            for part in tpl.parts:
                if isinstance(part, str):
                    parts.append(_esc(part))
                    continue
                reach.walk(part, mask, C._Scope())
                text, pbad = self._hole(ev, part, rows)
                bad[rows[pbad]] = True
                parts.append(text)
            merged = _compact(parts + [([""], np.zeros(rows.size, dtype=np.int64))], materialize=False)
            texts.append((rows, merged[0] if len(merged) == 1 else _join(*_compact(merged))))
        return (head, _in_row_order(texts, n)), bad
    def _hole(self, ev, expr, rows, t: T.Type | None = None) -> tuple[Any, np.ndarray]:
        """An explanation's `{uttrykk}` on `rows`, written as the Decimal backend writes it (escaped for JSON) as a
        piece of `_compact`, and which of those rows it cannot give; `t`: the hole's type (the whole hole's, for a
        branch of it)."""
        t = t or self.model.expr_types.get(id(expr), T.TEXT)
        if isinstance(expr, ast.If):
            c = ev.eval(expr.condition, C._Scope())
            if not isinstance(c, C.Bool):
                raise _NotBuilt("hvis med en betingelse som ikke er en sannhetsverdi")
            held = np.broadcast_to(np.asarray(c.data, dtype=bool), (ev.batch.n,))[rows]
            a, abad = self._hole(ev, expr.then, rows, t)
            b, bbad = self._hole(ev, expr.otherwise, rows, t)
            bad = _rows_bad(c.bad, ev.batch.n)[rows] | np.where(held, abad, bbad)
            if isinstance(a, tuple) and isinstance(b, tuple):
                return (a[0] + b[0], np.where(held, a[1], b[1] + len(a[0]))), bad
            a, b = (_by_code(x[1], x[0]) if isinstance(x, tuple) else x for x in (a, b))
            return pc.if_else(pa.array(held), a, b), bad
        if isinstance(expr, ast.Call) and expr.function == "antall_tekst":
            count, one, many = expr.args
            if not (isinstance(one, ast.Text) and isinstance(many, ast.Text)):
                raise _NotBuilt("antall_tekst med tekster som ikke er faste")
            v = C.exact(ev.eval(count, C._Scope()))
            data = np.broadcast_to(np.asarray(v.data, dtype=np.int64), (ev.batch.n,))[rows]
            return (_per_value(data, lambda x: _esc(antall_tekst(_decimal(x, v.scale), one.value, many.value))),
                    _rows_bad(v.bad, ev.batch.n)[rows])
        v = ev.eval(expr, C._Scope())
        write = runtime.formatter(t, self.model.header.get("målform"))
        n = ev.batch.n
        match v:
            case C.Rat() | C.Num() if isinstance(t, T.Num) and t.unit in ("kr", "kr/mnd"):
                # to øre, half up, as `money._cents` rounds (a fraction as the columns round it: the Decimal
                # value, rounded to 34 digits, rounds the same except exactly at a boundary, where it is exact)
                v = C.round_value(v, Decimal("0.01"), "halv_opp")
                text = kr_text(np.broadcast_to(np.asarray(v.data, dtype=np.int64), (n,))[rows])
            case C.Rat() | C.Num():
                v = C.exact(v)
                data = np.broadcast_to(np.asarray(v.data, dtype=np.int64), (n,))[rows]
                text = _per_value(data, lambda x: _esc(write(_decimal(x, v.scale))))
            case C.Bool():
                data = np.broadcast_to(np.asarray(v.data, dtype=np.int64), (n,))[rows]
                text = ([_esc(write(False)), _esc(write(True))], data)
            case C.Cat():
                data = np.broadcast_to(np.asarray(v.data, dtype=np.int64), (n,))[rows]
                text = ([_esc(write(x)) for x in v.values], data)
            case C.Day():
                data = np.broadcast_to(np.asarray(v.data, dtype=np.int64), (n,))[rows]
                text = _per_value(data, lambda d: _esc(write(dt.date.fromordinal(d + C.EPOCH))))
            case _:
                raise _NotBuilt(f"en verdi av typen {type(v).__name__} i en forklaring")
        return text, _rows_bad(v.bad, n)[rows]

    # -- the søknad's sha256
    def _canonical(self, rec: C.Rec, record: T.Record, n: int, top: bool = False):
        """The canonical JSON (`replay.canonical_json`) of each row's facts, and the rows that have a value it
        cannot write."""
        bad = np.zeros(n, dtype=bool)
        pieces = self._canonical_record(rec, record, n, bad, top)
        return _join(*_compact(pieces)), bad

    def _canonical_record(self, rec: C.Rec, record: T.Record, n: int, bad: np.ndarray, top: bool = False) -> list:
        """The pieces (see `_compact`) of the canonical JSON of a record, each row's or list element's."""
        pieces: list = ["{"]
        names = sorted(k for k in record.fields if not (top and k == CASE_FIELD))
        for name in names:
            spec, f = record.fields[name], rec.fields[name]
            pieces.append(("," if len(pieces) > 1 else "") + json.dumps(name, ensure_ascii=False) + ":")
            value = self._canonical_value(f.value, spec.type, n, bad)
            if f.missing is not None:  # `ingen` (a row with a fact not yet given is not built: `_open`)
                missing = np.broadcast_to(f.missing, (n,))
                if missing.any():
                    value = _nulled(value, missing)
            pieces += value
        return pieces + ["}"]

    def _canonical_value(self, v, t: T.Type, n: int, bad: np.ndarray) -> list:
        match t:
            case T.Num():
                bad |= _rows_bad(v.bad, n)
                return ['"', number_json(np.broadcast_to(v.data, (n,)), v.scale), '"']
            case T.Bool():
                return [(["false", "true"], np.broadcast_to(np.asarray(v.data, dtype=np.int64), (n,)))]
            case T.Enum() | T.Text():
                return [([json.dumps(x, ensure_ascii=False) for x in v.values], np.broadcast_to(v.data, (n,)))]
            case T.Date():
                values, inverse = np.unique(np.broadcast_to(v.data, (n,)), return_inverse=True)
                return [([f'"{dt.date.fromordinal(d + C.EPOCH).isoformat()}"' for d in values.tolist()],
                         inverse.reshape(-1))]
            case T.Record():
                return self._canonical_record(v, t, n, bad)
            case T.ListOf(element) if isinstance(element, T.Record):
                count = int(v.offsets[-1])
                ibad = np.zeros(count, dtype=bool)
                items = _join(*_compact(self._canonical_record(v.element, element, count, ibad)))
                if ibad.any():
                    bad[v.parent[ibad]] = True
                listed = pa.ListArray.from_arrays(pa.array(v.offsets.astype(np.int32)), items)
                return ["[", pc.binary_join(listed, ","), "]"]
        raise _NotBuilt(f"felttypen {T.describe(t)} i søknadens sha256")

    @staticmethod
    def _sha256(canonical: pa.Array, keep: np.ndarray) -> pa.Array:
        data = canonical.take(pa.array(keep)) if keep.size != len(canonical) else canonical
        offsets = np.frombuffer(data.buffers()[1], dtype=np.int32)[data.offset:data.offset + len(data) + 1].tolist()
        body = memoryview(data.buffers()[2]) if data.buffers()[2] is not None else memoryview(b"")
        sha = hashlib.sha256
        return _strings([sha(body[a:b]).hexdigest() for a, b in zip(offsets, offsets[1:])])

    # -- the slots of a line
    def _slots(self, sub: C.Batch, result: C.BatchResult, rows, utfall, explanations, reach, lines,
               references) -> list:
        """The line as slots: a text, (labels, codes), an array per row of `sub`, or None for the sha256."""
        n = sub.n
        slots: list = [_join('{"linje": ', pc.cast(pa.array(np.asarray(lines)[rows]), pa.string()))]
        if references is not None and references.null_count < len(references):
            refs = references.take(pa.array(rows)).to_pylist()
            slots.append(_strings(["" if not r else f', "referanse": {json_line(json.dumps(r, ensure_ascii=False))}'
                                   for r in refs]))
        # utfall, ordning, policy, søknadsdato, "beløp": {
        ordning = sub.root.fields.get("ordning")
        ocodes = np.broadcast_to(ordning.value.data, (n,)) if ordning is not None else np.zeros(n, dtype=np.int64)
        ovalues = ordning.value.values if ordning is not None else ("",)
        days = np.broadcast_to(sub.root.fields["søknadsdato"].value.data, (n,))
        key = np.stack([utfall.astype(np.int64), np.asarray(ocodes, dtype=np.int64), days.astype(np.int64)], axis=1)
        combos, codes = _distinct_rows(key)
        labels = []
        for u, o, d in combos.tolist():
            first = {"utfall": result.outcomes[u], "ordning": ovalues[o], "policy": self.record,
                     "søknadsdato": dt.date.fromordinal(d + C.EPOCH).isoformat()}
            labels.append(", " + json_line(json.dumps(first, ensure_ascii=False))[1:-1] + ', "beløp": {')
        slots.append((labels, codes.reshape(-1)))
        amounts = [(k, v) for k, v in result.amounts.items()]
        for i, (k, v) in enumerate(amounts):
            slots += [("" if i == 0 else ", ") + json.dumps(k, ensure_ascii=False) + ': "', ore_json(v[rows]), '"']
        slots.append("}")
        if result.rente is not None:
            r = np.asarray(result.rente)[rows]
            slots += [', "rente": "', _per_value(r, C.hundredths_text), '"']
        if result.nedbetalingstid is not None:
            slots += [', "nedbetalingstid_år": ', pc.cast(pa.array(np.asarray(result.nedbetalingstid)[rows]), pa.string())]
        slots.append(', "vilkår": [')
        for i, ((head, text), _) in enumerate(explanations):
            slots += [*head, text, '"}' if i == len(explanations) - 1 else '"}, ']
        granted = result.conditions[result.scheme_names[int(np.asarray(result.scheme_index)[rows[0]])]]
        avslag = result.outcomes.index("avslag") if "avslag" in result.outcomes else -1
        conditions = [json_line(json.dumps({"betingelser": [{"id": i, "tekst": t} for i, t in c]},
                                           ensure_ascii=False))[1:-1] for c in ((), granted)]
        slots += ["], ", (conditions, (utfall != avslag).astype(np.int64)), ', "sporbarhet": ' + self.head]
        slots += [', "søknad_sha256": "', None, '", ']
        slots += self._read_slot(sub, reach, days, n)
        slots.append("}}\n")
        return slots

    def _read_slot(self, sub: C.Batch, reach: _Reach, days, n) -> list:
        """`"parametre": […], "tabeller": […]` per row: the parameters and tables its assessment read, as pieces:
        one per parameter (absent, first or after another), so that a parameter every row of a slice read is
        joined as one text (`_Plan.join`)."""
        scheme = reach.ev.scheme
        dates, date_codes = _distinct(days)
        on = [dt.date.fromordinal(int(d) + C.EPOCH) for d in dates.tolist()]
        pieces: list = ['"parametre": [']
        seen = np.zeros(n, dtype=bool)
        for key in sorted(k for k in reach.read if k.startswith("p:")):
            present = reach.read[key]
            state = np.where(present, np.where(seen, 2, 1), 0)
            labels = []
            for d in on:
                entry = json_line(replay.entry_json(self.policy, "parametre", key[2:], d))
                labels += ["", entry, ", " + entry]
            pieces.append((labels, date_codes * 3 + state))
            seen |= present
        pieces.append('], "tabeller": [')
        comps = [k for k in reach.read if k.startswith("c:") and self._tables_of(scheme, k[2:])]
        bits = np.stack([reach.read[k] for k in comps], axis=1) if comps else np.zeros((n, 0), dtype=bool)
        key = np.concatenate([np.packbits(bits, axis=1).astype(np.int64), date_codes[:, None]], axis=1)
        combos, codes = _distinct_rows(key)
        labels = []
        for combo in combos.tolist():
            read = np.unpackbits(np.array(combo[:-1], dtype=np.uint8))[:len(comps)] if comps else []
            tables = set(self._criteria_tables(scheme))
            for k, b in zip(comps, read):
                if b:
                    tables |= self._tables_of(scheme, k[2:])
            labels.append(", ".join(json_line(replay.entry_json(self.policy, "tabeller", t, on[combo[-1]]))
                                    for t in sorted(tables)))
        return pieces + [(labels, codes.reshape(-1)), "]"]

    def _tables_of(self, scheme, name: str) -> set:
        key = (scheme.id, name)
        if key not in self._static_tables:
            self._static_tables[key] = replay.tables_in([scheme.computations[name].expr])
        return self._static_tables[key]

    def _criteria_tables(self, scheme) -> set:
        key = (scheme.id, None)
        if key not in self._static_tables:
            self._static_tables[key] = replay.tables_in(
                [(c.condition, c.relevance, [e.condition for e in c.exceptions]) for c in scheme.criteria])
        return self._static_tables[key]


# ---- a JSON Lines file -------------------------------------------------------------------------


@attrs.define
class Screened:
    """What `screen_jsonl` decided: outcomes, the bad lines (numbers), and how many lines were built how."""

    outcomes: dict = attrs.field(factory=dict)
    bad: list = attrs.field(factory=list)
    built: int = 0
    per_line: int = 0
    problems: list = attrs.field(factory=list)  # (line, message) of a block, until reported
    notes: list = attrs.field(factory=list)  # warnings of a block that name no single bad line, until reported
    last: int = 0  # the last line of a block

    def add(self, other: "Screened") -> None:
        for k, v in other.outcomes.items():
            self.outcomes[k] = self.outcomes.get(k, 0) + v
        self.built += other.built
        self.per_line += other.per_line
        self.bad += [line for line, _ in other.problems]

    def count(self, result: C.BatchResult, rows: np.ndarray) -> None:
        codes = np.asarray(result.utfall)[rows]
        for code, n in zip(*np.unique(codes, return_counts=True)):
            outcome = result.outcomes[int(code)]
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + int(n)


class _Binary:
    """A text stream written as UTF-8 bytes: through its buffer when it has one."""

    def __init__(self, stream):
        self.stream = stream
        self.buffer = getattr(stream, "buffer", None)
        stream.flush()

    def write(self, data) -> None:
        if self.buffer is not None:
            self.buffer.write(data)
        else:
            self.stream.write(bytes(data).decode("utf-8"))

    def flush(self) -> None:
        (self.buffer or self.stream).flush()


class _Descriptor:
    """Bytes written straight to a file descriptor (shared with the processes forked from this one), at its
    offset or from `at` on (`os.pwrite`, a regular file)."""

    def __init__(self, fd: int | None, at: int | None = None):
        self.fd, self.at = fd, at

    def write(self, data) -> None:
        view = memoryview(data).cast("B")
        while view.nbytes and self.fd is not None:  # (None: written nowhere)
            if self.at is None:
                view = view[os.write(self.fd, view):]
            else:
                n = os.pwrite(self.fd, view, self.at)
                self.at += n
                view = view[n:]

    def flush(self) -> None:
        pass


BLOCK = 8192  # lines read, decided and built at a time (smaller blocks stay in the processor's caches)


class _Run:
    """Decides and writes blocks of lines; in a process pool, each block waits for its turn to write (`turn`)."""

    def __init__(self, policy, target, turn=None, at=None):
        """`turn`: (the block whose turn it is to write, a condition) shared by the processes; `at`: with a regular
        file, the offset after the blocks written so far (each block then writes at its own offset)."""
        from boligregler.screening import files
        self.policy, self.target, self.turn, self.at = policy, target, turn, at
        self.lines = VedtakLines(policy)
        self.shape = files.JsonShape.of(policy.model)

    def block(self, k: int, first: int, block: list) -> Screened:
        """Block `k` (its lines from line `first`), decided and written after blocks 0 … k − 1."""
        from boligregler.diagnostics import BoligreglerError
        from boligregler.records import jsonl_record
        from boligregler.screening import files
        policy, lines, done = self.policy, self.lines, Screened()
        try:
            chunk = files.jsonl_chunk(policy, self.shape, first, block)
            problems = done.problems = [(p.row, p.message) for p in chunk.problems]
            try:
                result = policy.evaluate_batch(chunk.batch, mangler=False)
                built = lines.build(chunk.batch, result, chunk.rows, chunk.references)
            except Exception as e:  # noqa: BLE001 - a defect in the columns must not lose the block: line by line
                result, built = None, Lines(chunk.batch.n, np.zeros(chunk.batch.n, dtype=bool), [])
                if chunk.rows.size:
                    done.notes.append(f"{int(chunk.rows.min())}–{int(chunk.rows.max())}: intern feil i den "
                                      f"kolonnevise vurderingen ({type(e).__name__}); linjene er vurdert én for én. "
                                      "Meld fra om feilen.")
            per_line: dict[int, str] = {}
            rows, records, facts = [], [], []
            for i in built.per_line.tolist():  # validated again from the line, as a line alone is
                record = jsonl_record(int(chunk.rows[i]), block[int(chunk.rows[i]) - first])
                try:
                    facts.append(policy.validate(record.soknad))
                except BoligreglerError as e:
                    problems.append((record.line, str(e)))
                    continue
                rows.append(i)
                records.append(record)
            if rows:  # lines validated one by one (a null, a \u escape): their facts as columns of their own
                try:
                    again = C.from_facts(chunk.batch.schema, facts)
                    decided = policy.evaluate_batch(again, mangler=False)
                    more = lines.build(again, decided, chunk.rows[rows],
                                       pa.array([r.reference for r in records], pa.string()))
                    texts = more.text_of_built()
                except Exception:  # noqa: BLE001 - as above: these lines are then decided one by one below
                    more, texts = None, []
                if more is not None:
                    for j, text in zip(np.flatnonzero(more.built).tolist(), texts):
                        per_line[rows[j]] = text
                    done.count(decided, more.built)
                    done.built += int(more.built.sum())
            for i, record, f in zip(rows, records, facts):
                if i in per_line:
                    continue
                done.per_line += 1
                head = {"linje": record.line} | ({REFERENCE: record.reference} if record.reference else {})
                try:
                    decision = policy.evaluate_facts(f)
                    per_line[i] = json_line(decision.to_json(letter=False, head=head)) + "\n"
                except BoligreglerError as e:
                    problems.append((record.line, str(e)))
                except Exception as e:  # noqa: BLE001 - a defect must not lose the rest of the batch
                    problems.append((record.line,
                                     f"intern feil under vurderingen ({type(e).__name__}); meld fra om feilen"))
                else:
                    done.outcomes[decision.utfall] = done.outcomes.get(decision.utfall, 0) + 1
            if result is not None:
                done.count(result, built.built)
                done.built += int(built.built.sum())
            problems.sort()
            done.last = max([int(chunk.rows.max()) if chunk.rows.size else 0] + [line for line, _ in problems])
            if self.at is not None:  # a regular file: the block's place in it claimed in turn, written at once
                size = built.size(per_line)
                self._wait(k)
                start = self.at.value
                self.at.value = start + size
                self._done(k)
                built.write(_Descriptor(self.target.fd, start), per_line)
            else:
                self._wait(k)
                built.write(self.target, per_line)
                self.target.flush()
        finally:
            self._done(k)
        return done

    def warm(self, first: int, block: list) -> None:
        """Decide the first lines of a block without writing them: what that builds once (compiled programs, the
        modules it imports, the builder's caches) is then shared by the processes forked from this one."""
        target, turn, at = self.target, self.turn, self.at
        self.target, self.turn, self.at = _Descriptor(None), None, None
        try:
            self.block(0, first, block[:256])
        finally:
            self.target, self.turn, self.at = target, turn, at

    def _wait(self, k: int) -> None:
        if self.turn is not None:
            value, condition = self.turn
            with condition:
                condition.wait_for(lambda: value.value == k)

    def _done(self, k: int) -> None:
        if self.turn is not None:
            value, condition = self.turn
            with condition:
                if value.value == k:
                    value.value = k + 1
                    condition.notify_all()


_RUN: _Run | None = None  # the run a forked worker process inherits


def _work(task) -> Screened:
    return _RUN.block(*task)


def _workers(out) -> int:
    """Processes to decide blocks in: one per core the process may run on, when `out` is a file descriptor the
    processes can share (not a stream in memory)."""
    try:
        out.fileno()
    except (AttributeError, OSError, ValueError):
        return 1
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)


def screen_jsonl(policy, path: str, out, report: Callable[[str], None],
                 progress: Callable[[int], None] = lambda line: None, workers: int | None = None) -> Screened:
    """`boligregler vurder POLICY FIL.jsonl`: every line's vedtak to the text stream `out`, in line order, as
    `Decision.to_json(letter=False, head={"linje": …})` writes it; every bad line reported (`FIL:N: …`).

    The lines are read and decided as columns, `BLOCK` lines at a time (`files.jsonl_chunk`,
    `Policy.evaluate_batch`), and built by `VedtakLines`; a line it cannot build is validated again and decided
    by `Policy.evaluate_facts`, as a line alone is. A file of more than one block is decided in a process per
    core (`workers`), each block written in its turn, so the lines stay in order and memory stays constant.
    """
    from boligregler.records import open_input
    from boligregler.screening import files
    global _RUN
    done = Screened()

    def take(result: Screened) -> None:
        done.add(result)
        for line, message in result.problems:
            report(f"{path}:{line}: {message}")
        for note in result.notes:
            report(f"{path}:{note}")
        if result.last:
            progress(result.last)

    with open_input(path) as stream:
        blocks = files.line_blocks(stream, BLOCK)
        head = [b for b in (next(blocks, None), next(blocks, None)) if b is not None]
        workers = _workers(out) if workers is None else workers
        if len(head) < 2 or workers < 2:  # a few lines (or one core): no processes to start
            run = _Run(policy, _Binary(out))
            for k, (first, block) in enumerate(itertools.chain(head, blocks)):
                take(run.block(k, first, block))
            run.target.flush()
            return done
        import multiprocessing
        import threading
        out.flush()
        context = multiprocessing.get_context("fork")
        fd = out.fileno()
        start = _positional(fd)
        at = None if start is None else context.Value("q", start, lock=False)
        _RUN = _Run(policy, _Descriptor(fd), (context.Value("q", 0, lock=False), context.Condition()), at)
        _RUN.warm(*head[0])
        ahead = threading.BoundedSemaphore(2 * workers)  # blocks read before their result is taken: memory stays bounded
        stop = threading.Event()  # the run ended early (an error, a reader that went away): read no more blocks

        def tasks():
            for k, (first, block) in enumerate(itertools.chain(head, blocks)):
                while not ahead.acquire(timeout=0.05):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                yield k, first, block
        try:
            with context.Pool(workers) as pool:
                try:
                    for result in pool.imap(_work, tasks()):
                        ahead.release()
                        take(result)
                finally:
                    stop.set()  # before the pool is terminated, which waits for the thread that reads the blocks
            if at is not None:
                os.lseek(fd, at.value, os.SEEK_SET)  # after the lines, as if written in turn
        finally:
            _RUN = None
    return done


def _positional(fd: int) -> int | None:
    """The offset to write a regular file from with `os.pwrite` (None for a pipe, a terminal, or a file opened to
    append, where writes go in turn)."""
    import fcntl
    import stat
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode) or fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
            return None
        return os.lseek(fd, 0, os.SEEK_CUR)
    except OSError:
        return None
