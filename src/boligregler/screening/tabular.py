"""Tables of søknader (Parquet, CSV, a register export) as columnar batches, validated as columns.

The column mapping (docs/screening.md): one row per household, one column per søknad field,
named by its path (`søknadsdato`, `bolig.kjøpesum`, `skjønn.avslag_fra_banker`). A list field is
either one list column of structs (`inntekter`: list<struct<type, netto_per_måned>>, as Parquet
stores it) or indexed columns as in a CSV file (`inntekter[0].type`, `inntekter[0].netto_per_måned`,
`inntekter[1].type` …; an element exists when one of its cells is filled). An empty cell is an
absent field: its default applies, as when the key is left out of a JSON søknad. The column
`referanse` is copied to the output and never read as part of the søknad.

Values: money as integers, decimals (at most two decimals) or text («3 200 000,50»; a float
column is accepted where every value is whole øre); whole numbers as integers or text; sannhet as
booleans, 0/1 or ja/nei/sann/usann/true/false; valg as text; dates as dates or text ÅÅÅÅ-MM-DD.

Every bad cell is reported with its row and column, every problem at once; rows with a problem
are left out of the batch and the rest are decided.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Iterator

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from boligregler.diagnostics import BoligreglerError, suggest
from boligregler.evaluation import columnar as C
from boligregler.evaluation.runtime import given
from boligregler.evaluation.soknad import Run, SoknadError, converter, described_schema
from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy
from boligregler.syntax import ast

REFERENCE = "referanse"
TRUE_WORDS = ("sann", "ja", "true", "1")
FALSE_WORDS = ("usann", "nei", "false", "0")
INDEXED = re.compile(r"([^\W\d][\w]*)\[(\d+)\]")
MONEY_TEXT = r"^-?[0-9]+([.][0-9]{1,2})?$"
INTEGER_TEXT = r"^-?[0-9]+$"


class TableError(BoligreglerError):
    """A table whose columns cannot be read as søknader (unknown or duplicated columns)."""

    code = "ugyldig_tabell"


@attrs.frozen
class CellProblem:
    row: int  # 1-based data row in the file
    column: str
    message: str

    def __str__(self) -> str:
        return f"rad {self.row}, kolonne «{self.column}»: {self.message}"


@attrs.define
class Chunk:
    """A validated part of a table: the batch of good rows and every problem of the bad ones."""

    batch: C.Batch
    rows: np.ndarray  # 1-based file row of each batch row
    references: pa.Array | None  # the column `referanse` of the good rows (text), when the file has one
    problems: list[CellProblem]
    bad_rows: np.ndarray  # 1-based file rows left out


def check_columns(schema: T.Record, names: list[str], types: list | None = None) -> None:
    """Raise `TableError` naming every column that is not a søknad field (all at once)."""
    problems, seen = [], set()
    for j, name in enumerate(names):
        if name in seen:
            problems.append(f"  kolonne «{name}»: står to ganger")
        seen.add(name)
        if name == REFERENCE:
            continue
        problem = _column_problem(schema, name, None if types is None else types[j])
        if problem:
            problems.append(f"  kolonne «{name}»: {problem}")
    if problems:
        raise TableError("tabellen har kolonner som ikke er felt i søknaden:\n" + "\n".join(problems))


def _column_problem(schema: T.Record, name: str, typ=None) -> str | None:
    record: Any = schema
    parts = name.split(".")
    for i, part in enumerate(parts):
        m = INDEXED.fullmatch(part)
        field = m.group(1) if m else part
        if not isinstance(record, T.Record):
            return f"«{'.'.join(parts[:i])}» har ingen underfelt"
        spec = record.fields.get(field)
        if spec is None:
            guess = suggest(field, record.fields)
            return f"ukjent felt «{field}»" + (f"; mente du «{guess}»?" if guess else "")
        t = spec.type
        if m:
            if not isinstance(t, T.ListOf):
                return f"«{field}» er ikke en liste"
            t = t.element
        elif isinstance(t, T.ListOf):
            is_list = typ is not None and (pa.types.is_list(typ) or pa.types.is_large_list(typ)) and \
                pa.types.is_struct(typ.value_type)
            if i < len(parts) - 1 or not is_list:
                return (f"«{field}» er en liste; skriv {name}[0].felt, {name}[1].felt … "
                        "eller bruk en listekolonne av poster (list<struct>)")
            return None
        record = t
    if isinstance(record, T.Record):
        return "kolonnen må peke på et enkeltfelt, ikke en gruppe av felt"
    return None


class _Source:
    """The columns of one table chunk by name, with the problems found so far.

    `json`: the cells are JSON values read with the søknad's JSON types (`files.jsonl_chunks`), so a
    text is taken as written (no blanks trimmed) and an absent list is absent, not empty.
    """

    def __init__(self, table: pa.Table, first_row: int, json: bool = False):
        self.n = table.num_rows
        self.columns = {name: col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()  # no copy of one chunk
                        for name, col in zip(table.column_names, table.columns)}
        self.first_row = first_row
        self.json = json
        self.problem_rows: dict[int, list[CellProblem]] = {}
        # rows whose `påkrevd når` the columns cannot decide: row → the columns to check with the validator
        self.recheck: dict[int, set[str]] = {}
        # list path → (element offsets, element source, the row of each element)
        self.lists: dict[str, tuple[np.ndarray, "_Source", np.ndarray]] = {}

    def fail(self, rows: np.ndarray, column: str, messages) -> None:
        for i, message in zip(rows.tolist(), messages):
            self.problem_rows.setdefault(i, []).append(CellProblem(self.first_row + i, column, message))

    def check_later(self, rows: np.ndarray, columns) -> None:
        for i, column in zip(rows.tolist(), columns):
            self.recheck.setdefault(i, set()).add(column)

    def prefixed(self, prefix: str) -> list[str]:
        return [c for c in self.columns if c.startswith(prefix)]


def row_soknad(table: pa.Table, i: int) -> dict:
    """Row `i` of a table as a JSON-like søknad (paths nested, indexed columns as lists)."""
    row = table.slice(i, 1).to_pylist()[0]
    out: dict = {}
    for name, value in row.items():
        if value is None or name == REFERENCE:
            continue
        node, parts = out, name.split(".")
        for j, part in enumerate(parts):
            m = INDEXED.fullmatch(part)
            last = j == len(parts) - 1
            if m:
                items = node.setdefault(m.group(1), {})
                node = items.setdefault(int(m.group(2)), {})
            elif last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _as_lists(out)


def _as_lists(v):
    if isinstance(v, dict):
        if v and all(isinstance(k, int) for k in v):
            return [_as_lists(v[k]) for k in sorted(v)]
        return {k: _as_lists(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_as_lists(x) for x in v]
    if isinstance(v, float):
        return Decimal(repr(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def read_chunk(policy: CheckedPolicy, table: pa.Table, first_row: int = 1, validate=None,
               searched: frozenset[str] = frozenset()) -> Chunk:
    """Validate one table chunk against the policy's søknad schema; `first_row` numbers its first row.

    `validate` (`Policy.validate`) decides what the columns cannot: a `påkrevd når` the columnar
    backend cannot evaluate for a row, and the facts of rows with amounts too large for the arrays.
    `searched` names fields (by path) whose `påkrevd når` is not enforced because the caller
    fills them in itself (the kartlegging searches the kjøpesum).
    """
    batch, src = validate_table(policy, table, first_row, searched)
    n = batch.n
    if validate is not None:
        big = np.zeros(n, dtype=bool) if batch.bad is None else np.broadcast_to(batch.bad, (n,))
        for i in sorted(src.recheck):
            _validated(batch, table, i, validate, src, big[i], src.recheck[i])
        for i in np.flatnonzero(big).tolist():  # amounts too large for int64: exact facts from the row
            if i not in src.problem_rows:
                facts = _validated(batch, table, i, validate, src, True)
                if facts is not None:
                    batch.exact_facts[i] = facts
    bad = np.zeros(n, dtype=bool)
    if src.problem_rows:
        bad[list(src.problem_rows)] = True
    keep = np.flatnonzero(~bad)
    batch = batch if not bad.any() else batch.take(keep)
    refs = None
    if REFERENCE in src.columns:
        refs = src.columns[REFERENCE].cast(pa.string())
        refs = refs if len(keep) == n else refs.take(pa.array(keep))
    problems = [p for i in sorted(src.problem_rows) for p in src.problem_rows[i]]
    return Chunk(batch, keep + first_row, refs, problems, np.flatnonzero(bad) + first_row)


def _validated(batch: C.Batch, table: pa.Table, i: int, validate, src: "_Source", raw: bool,
               required: set[str] | None = None) -> dict | None:
    """Row `i` through the søknad validator: its facts, or None with its problems added to `src`.

    The row is given to the validator as its validated columns (`raw`: as its cells, for a row whose
    columns are clamped or bad). With `required`, only the validator's `påkrevd når` problems at
    those columns are taken: the columns have reported the rest already.
    """
    bad_row = i in src.problem_rows
    soknad = row_soknad(table, i) if raw or bad_row else _as_soknad(batch.rows_facts(np.array([i]))[0])
    try:
        return validate(soknad)
    except SoknadError as e:
        problems = [p for p in e.problems if required is None or (p.code == "paakrevd" and p.path in required)]
        for p in problems:
            src.problem_rows.setdefault(i, []).append(CellProblem(src.first_row + i, p.path, p.message))
        return None


def _as_soknad(facts):
    """Validated facts as the JSON søknad they came from: absent where no value is given, dates as text."""
    if isinstance(facts, dict):
        return {k: _as_soknad(v) for k, v in facts.items() if given(v)}
    if isinstance(facts, list):
        return [_as_soknad(v) for v in facts]
    if isinstance(facts, dt.date):
        return facts.isoformat()
    return facts


def validate_table(policy: CheckedPolicy, table: pa.Table, first_row: int = 1, searched: frozenset[str] = frozenset(),
                   json: bool = False) -> tuple[C.Batch, _Source]:
    """Every row of `table` as a batch, bad rows included, and the source with the problems by row index
    (`batch.bad` marks rows with amounts too large for the arrays); `read_chunk` leaves the bad rows out."""
    schema = policy.schema
    src = _Source(table, first_row, json)
    root = _record(schema, "", src, src.n, None)
    batch = C.Batch(src.n, root, described_schema(policy), None)
    _required_when(schema, root, "", batch, src, searched, _Conditions(policy, batch))
    batch.bad = _limits(root, src.n)
    return batch, src


def _limits(rec: C.Rec, n: int):
    """Rows holding an amount too large for exact int64 arithmetic (decided by the Decimal backend)."""
    out = None
    for f in rec.fields.values():
        v = f.value
        if isinstance(v, C.Num) and v.bad is not None:
            out = C._or(out, v.bad)
        elif isinstance(v, C.Rec):
            out = C._or(out, _limits(v, n))
        elif isinstance(v, C.Lst) and v.bad is not None:
            out = C._or(out, v.bad)
    return out


def _record(record: T.Record, prefix: str, src: _Source, n: int, parent_rows) -> C.Rec:
    fields = {}
    for name, spec in record.fields.items():
        path = prefix + name
        fields[name] = _field(spec, path, src, n, parent_rows)
    return C.Rec(fields)


def _field(spec: T.FieldSpec, path: str, src: _Source, n: int, rows) -> C.Field:
    """One field over `n` rows (or list elements, with `rows` their file rows)."""
    t = spec.type
    if isinstance(t, T.Record):
        return C.Field(_record(t, path + ".", src, n, rows))
    if isinstance(t, T.ListOf):
        return C.Field(_list(spec, path, src, n))
    array = src.columns.get(path)
    present = np.zeros(n, dtype=bool) if array is None else np.asarray(array.is_valid())
    value, invalid = _convert(t, spec, array, path, src, rows)
    absent = ~present
    missing = None
    if absent.any():
        if spec.required_when is not None or spec.provided_by is not None or (spec.has_default and spec.default is None):
            missing = absent.copy()
        elif spec.has_default:
            value = _fill_default(value, absent, spec.default, t)
        else:
            idx = np.flatnonzero(absent)
            src.fail(_rows(idx, rows), path, ["mangler"] * len(idx))
            missing = absent.copy()
    if invalid is not None:
        missing = invalid if missing is None else (missing | invalid)
    return C.Field(value, missing if missing is not None and missing.any() else None)


def _rows(idx: np.ndarray, rows) -> np.ndarray:
    return idx if rows is None else rows[idx]


def _fill_default(value, absent: np.ndarray, default, t: T.Type):
    match value:
        case C.Num():
            scale = value.scale
            dv = int(Decimal(default).scaleb(scale))
            return C.Num(np.where(absent, dv, value.data), scale, value.bad, max(value.bound, abs(dv)))
        case C.Bool():
            return C.Bool(np.where(absent, bool(default), value.data))
        case C.Cat():
            code = value.values.index(default)
            return C.Cat(np.where(absent, code, value.data).astype(value.data.dtype), value.values)
        case C.Day():
            return C.Day(np.where(absent, C._constant(default).data, value.data))
    raise AssertionError(value)


def _messages(t: T.Type, spec: T.FieldSpec, values: list) -> list[str]:
    """The søknad validator's own message for each bad cell value."""
    convert = converter(t, spec.low, spec.high)
    out = []
    for v in values:
        run = Run()
        convert(v, (), run)
        out.append(run.problems[0].message if run.problems else "ugyldig verdi")
    return out


def _convert(t: T.Type, spec: T.FieldSpec, array, path: str, src: _Source, rows):
    """(value over all cells, cells that are invalid) for a scalar field."""
    n = len(array) if array is not None else src.n if rows is None else len(rows)
    if array is None:
        return _blank(t, n), None
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    valid = np.asarray(array.is_valid())
    bad = np.zeros(n, dtype=bool)

    def report(mask: np.ndarray, message: str | None = None):
        """Cells in `mask` are bad: with `message`, or with the JSON validator's message for the value."""
        nonlocal bad
        mask = mask & valid & ~bad
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        if message is None:
            vals = array.take(pa.array(idx)).to_pylist()
            messages = _messages(t, spec, [_text_cell(v, t) for v in vals])
        else:
            messages = [message] * len(idx)
        src.fail(_rows(idx, rows), path, messages)
        bad |= mask

    match t:
        case T.Num():
            scale = C.number_scale(t)
            data = _numbers(array, t, report)
            limit = C.MAX_INTEGER if t.integer else C.MAX_MONEY_ORE
            if t.unit in ("kr", "kr/mnd") and not t.integer:
                report(data < 0, "kan ikke være negativt")
            low = spec.low if spec.low is not None else (Decimal(0) if t.integer and t.unit == "antall" else None)
            out_of_range = np.zeros(n, dtype=bool)
            if t.integer and low is not None:
                out_of_range |= data < int(low)
            if t.integer and spec.high is not None:
                out_of_range |= data > int(spec.high)
            report(out_of_range)
            big = np.abs(data) > limit
            data = np.where(big | bad | ~valid, 0, data)
            value = C.Num(data.astype(np.int64), scale, big if big.any() else None, limit)
        case T.Bool():
            if pa.types.is_boolean(array.type):
                data = np.asarray(array.fill_null(False))
            else:
                text = pc.utf8_lower(pc.utf8_trim_whitespace(array.cast(pa.string())))
                yes = np.asarray(pc.is_in(text, pa.array(TRUE_WORDS)).fill_null(False))
                no = np.asarray(pc.is_in(text, pa.array(FALSE_WORDS)).fill_null(False))
                report(~(yes | no), "må være true eller false (eller ja/nei)")
                data = yes
            value = C.Bool(data)
        case T.Enum(_, options):
            text = array.cast(pa.string())
            codes = pc.index_in(text, value_set=pa.array(options))
            report(np.asarray(codes.is_null()))
            value = C.Cat(np.asarray(codes.fill_null(0)).astype(np.int16), tuple(options))
        case T.Text():
            enc = array.cast(pa.string()).fill_null("").dictionary_encode()
            value = C.Cat(np.asarray(enc.indices).astype(np.int32), tuple(enc.dictionary.to_pylist()) or ("",))
        case T.Date():
            if pa.types.is_date(array.type) or pa.types.is_timestamp(array.type):
                days = array.cast(pa.date32())
            else:
                text = array.cast(pa.string()) if src.json else pc.utf8_trim_whitespace(array.cast(pa.string()))
                ok = pc.match_substring_regex(text, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$").fill_null(False)
                if src.json:  # year 0 is no date for the validator
                    ok = pc.and_(ok, pc.invert(pc.starts_with(text, "0000")).fill_null(False))
                given = pc.if_else(ok, text, pa.scalar("1970-01-01"))
                parsed = pc.strptime(given, format="%Y-%m-%d", unit="s", error_is_null=True)
                # strptime rolls a day that does not exist over (2026-02-30 → 2026-03-02): compare the day
                day = pc.cast(pc.utf8_slice_codeunits(given, 8, 10), pa.int64())
                rolled = pc.not_equal(pc.day(parsed), day).fill_null(True)
                report(np.asarray(pc.invert(ok)) | np.asarray(rolled))
                days = parsed.cast(pa.date32())
            value = C.Day(np.asarray(days.cast(pa.int32()).fill_null(0)).astype(np.int64))
        case _:
            raise TableError(f"kolonne «{path}»: felttypen {T.describe(t)} kan ikke leses fra en tabell")
    return value, (bad if bad.any() else None)


def _text_cell(v, t: T.Type):
    """A bad cell as the JSON validator would see it, for its message."""
    if isinstance(v, float) and isinstance(t, T.Num):
        return Decimal(repr(v))
    if isinstance(v, str) and isinstance(t, T.Num):
        return re.sub(r"[ \u00a0\u202f]", "", v).replace(",", ".")
    return v


def _numbers(array: pa.Array, t: T.Num, report) -> np.ndarray:
    """The cells as integers c = value · 10^places (places: 2, or 0 for whole numbers); bad cells reported.

    That is the fact's scaled integer at `number_scale(t)`: øre for money, and for a percentage
    (held as a fraction, 2.5 % as 0.025) the input's hundredths of a percent.
    """
    places = 0 if t.integer else 2
    f = 10**places
    limit = C.MAX_MONEY_ORE
    typ = array.type
    if pa.types.is_integer(typ):
        data = np.asarray(array.cast(pa.int64()).fill_null(0))
        if not len(data) or -(limit // f) <= data.min() and data.max() <= limit // f:  # the usual case: one pass each
            return data * f if f != 1 else data
        return np.where(np.abs(data) > limit // f, limit + 1, data * f)
    if pa.types.is_decimal128(typ) and 0 <= typ.scale <= places:  # the unscaled integers, from the buffer
        words = np.frombuffer(array.buffers()[1], dtype=np.int64)[2 * array.offset:2 * (array.offset + len(array))]
        low, high = words[0::2], words[1::2]
        up = 10**(places - typ.scale)
        valid = np.asarray(array.is_valid())
        big = (high != low >> 63) | (np.abs(low) > limit // up)
        return np.where(valid, np.where(big, limit + 1, low * up), 0)
    if pa.types.is_decimal(typ):
        out = np.zeros(len(array), dtype=np.int64)
        wrong = np.zeros(len(array), dtype=bool)
        for i, v in enumerate(array.to_pylist()):
            if v is not None:
                q = v.scaleb(places)
                if q != q.to_integral_value():
                    wrong[i] = True
                else:
                    out[i] = int(q) if abs(q) <= limit else limit + 1
        report(wrong)
        return out
    if pa.types.is_floating(typ):
        x = np.asarray(array.fill_null(0), dtype=np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            c = np.round(x * f)
            wrong = ~np.isfinite(x) | (c / f != x)
        report(wrong)
        c = np.where(wrong, 0, c)
        return np.where(np.abs(c) > limit, limit + 1, c).astype(np.int64)
    if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
        report(np.ones(len(array), dtype=bool))
        return np.zeros(len(array), dtype=np.int64)
    text = pc.replace_substring_regex(array.cast(pa.string()), "[ \u00a0\u202f]", "")
    text = pc.replace_substring(text, ",", ".")
    ok = np.asarray(pc.match_substring_regex(text, INTEGER_TEXT if t.integer else MONEY_TEXT).fill_null(False))
    report(~ok)
    x = np.asarray(pc.if_else(pa.array(ok), text, pa.scalar("0")).cast(pa.float64()), dtype=np.float64)
    big = np.abs(x) * f > limit
    return np.where(big, limit + 1, np.round(np.where(big, 0, x) * f)).astype(np.int64)


def _blank(t: T.Type, n: int):
    match t:
        case T.Num():
            return C.Num(np.zeros(n, dtype=np.int64), C.number_scale(t), None, 0)
        case T.Bool():
            return C.Bool(np.zeros(n, dtype=bool))
        case T.Enum(_, options):
            return C.Cat(np.zeros(n, dtype=np.int16), tuple(options))
        case T.Text():
            return C.Cat(np.zeros(n, dtype=np.int32), ("",))
        case T.Date():
            return C.Day(np.zeros(n, dtype=np.int64))
    raise TableError(f"felttypen {T.describe(t)} kan ikke leses fra en tabell")


def _list(spec: T.FieldSpec, path: str, src: _Source, n: int) -> C.Lst:
    """A list field: one list<struct> column, or indexed columns `path[i].felt`."""
    element = spec.type.element
    if not isinstance(element, T.Record):
        raise TableError(f"kolonne «{path}»: lister av enkeltverdier kan ikke leses fra en tabell")
    if path in src.columns:
        array = src.columns[path]
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        if not (pa.types.is_list(array.type) or pa.types.is_large_list(array.type)) or \
                not pa.types.is_struct(array.type.value_type):
            raise TableError(f"kolonne «{path}»: må være en liste av poster (list<struct>)")
        valid = np.asarray(array.is_valid())
        if src.json and not valid.all() and not (spec.has_default and spec.default == []):
            idx = np.flatnonzero(~valid)  # an absent list without the default []: the validator's to report
            src.fail(idx, path, ["mangler"] * len(idx))
        offsets = np.asarray(array.offsets).astype(np.int64)
        lengths = np.where(valid, np.diff(offsets), 0)
        values = array.flatten()
        if not valid.all() or offsets[0] != 0:
            take = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in np.flatnonzero(valid)]) \
                if lengths.sum() else np.zeros(0, dtype=np.int64)
            values = array.values.take(pa.array(take, type=pa.int64()))
        inner = {f"{path}.{name}": values.field(name) for name in values.type.names}
        unknown = [nm for nm in values.type.names if nm not in element.fields]
        if unknown:
            raise TableError(f"kolonne «{path}»: ukjent felt " + ", ".join(f"«{u}»" for u in unknown))
    else:
        indexed = {}
        pattern = re.compile(re.escape(path) + r"\[(\d+)\]\.(.+)")
        for name in src.prefixed(path + "["):
            m = pattern.fullmatch(name)
            if m:
                indexed.setdefault(int(m.group(1)), {})[m.group(2)] = src.columns[name]
        if not indexed:
            lengths = np.zeros(n, dtype=np.int64)
            inner = {}
        else:
            slots = sorted(indexed)
            present = np.stack([np.any([np.asarray(a.is_valid()) for a in indexed[k].values()], axis=0)
                                for k in slots], axis=1)
            lengths = present.sum(axis=1)
            flat = present.ravel()
            inner = {}
            for name in element.fields:
                parts = [indexed[k].get(name) for k in slots]
                if all(p is None for p in parts):
                    continue
                typ = next(p.type for p in parts if p is not None)
                cols = [p if p is not None else pa.nulls(n, typ) for p in parts]
                cols = [c if c.type == typ else c.cast(pa.string()) for c in cols]
                if any(c.type != cols[0].type for c in cols):
                    cols = [c.cast(pa.string()) for c in cols]
                stacked = pa.concat_arrays([pa.array(c) if not isinstance(c, pa.Array) else c for c in cols])
                order = (np.arange(len(slots))[None, :] * n + np.arange(n)[:, None]).ravel()[flat]
                inner[f"{path}.{name}"] = stacked.take(pa.array(order))
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    element_rows = np.repeat(np.arange(n), lengths)
    sub = _Source.__new__(_Source)
    sub.n, sub.columns, sub.first_row, sub.json, sub.problem_rows = int(offsets[-1]), inner, src.first_row, src.json, {}
    sub.recheck, sub.lists = {}, {}
    src.lists[path] = (offsets, sub, element_rows)
    rec = _record(element, path + ".", sub, int(offsets[-1]), None)
    for i, problems in sub.problem_rows.items():
        row = int(element_rows[i])
        k = i - int(offsets[row])
        for p in problems:
            column = p.column.replace(path + ".", f"{path}[{k}].", 1)
            src.problem_rows.setdefault(row, []).append(CellProblem(src.first_row + row, column, p.message))
    if spec.type.min_items and (lengths < spec.type.min_items).any():
        idx = np.flatnonzero(lengths < spec.type.min_items)
        word = "element" + ("er" if spec.type.min_items > 1 else "")
        src.fail(idx, path, [f"må ha minst {spec.type.min_items} {word}"] * len(idx))
    lst = C.Lst(offsets, rec)
    ebad = _limits(rec, int(offsets[-1]))
    if ebad is not None:
        lst.bad = C._segment_any(np.broadcast_to(ebad, (int(offsets[-1]),)), offsets)
    return lst


class _Conditions:
    """The `påkrevd når` conditions of one chunk as columns: one evaluator for the chunk, made on first use
    (most chunks have no absent conditional field), so the computations conditions share are computed once."""

    def __init__(self, policy: CheckedPolicy, batch: C.Batch):
        self.policy, self.batch = policy, batch
        self.evaluator: C.Evaluator | None = None

    def needed(self, condition: ast.Expr) -> tuple[np.ndarray, np.ndarray]:
        """(rows where the condition holds, rows where the columns cannot tell)."""
        n = self.batch.n
        try:
            if self.evaluator is None:
                self.evaluator = C.Evaluator(self.policy, self.policy.base_scheme, self.batch)
            with np.errstate(all="ignore"):
                need = self.evaluator.eval(condition, C._Scope())
        except C.Unsupported:
            return np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
        unsure = np.zeros(n, dtype=bool) if need.bad is None else np.broadcast_to(need.bad, (n,))
        return np.broadcast_to(np.asarray(need.data, dtype=bool), (n,)), unsure


def _required_when(record: T.Record, rec: C.Rec, prefix: str, batch: C.Batch, src: _Source, searched: frozenset[str],
                   conditions: _Conditions, elements=None):
    """`påkrevd når`: an absent field whose condition holds is a problem, as the søknad validator reports it.

    The condition (of the whole søknad) is evaluated as columns; a field in a list is required in
    every element of a row where it holds (`elements`: (list path, the element source, the row of
    each element, the list's offsets)). Rows where the columns cannot decide it (a condition the
    columnar backend does not support, or one unsure for the row) are left to the søknad validator
    (`_Source.recheck`, see `read_chunk`).
    """
    here = src if elements is None else elements[1]
    for name, spec in record.fields.items():
        path = prefix + name
        if isinstance(spec.type, T.Record):
            _required_when(spec.type, rec.fields[name].value, path + ".", batch, src, searched, conditions, elements)
        elif isinstance(spec.type, T.ListOf) and isinstance(spec.type.element, T.Record) and elements is None \
                and path in src.lists and _conditional(spec.type.element):
            offsets, sub, element_rows = src.lists[path]
            _required_when(spec.type.element, rec.fields[name].value.element, path + ".", batch, src, searched,
                           conditions, (path, sub, element_rows, offsets))
        if spec.required_when is None or path in searched or rec.fields[name].missing is None:
            continue
        column = here.columns.get(path)
        absent = ~np.asarray(column.is_valid()) if column is not None else np.ones(here.n, dtype=bool)
        if not absent.any():
            continue
        needed, unsure = conditions.needed(spec.required_when)
        if elements is None:
            rows, names = np.arange(batch.n), None
        else:
            list_path, _, rows, offsets = elements
            k = np.arange(here.n) - offsets[rows]
            names = [path.replace(list_path + ".", f"{list_path}[{j}].", 1) for j in k.tolist()]
        for mask, act in ((needed & ~unsure, "fail"), (unsure, "later")):
            idx = np.flatnonzero(mask[rows] & absent)
            columns = [path] * len(idx) if names is None else [names[i] for i in idx.tolist()]
            if act == "fail":
                for i, c in zip(rows[idx].tolist(), columns):
                    src.problem_rows.setdefault(i, []).append(
                        CellProblem(src.first_row + i, c, "mangler; feltet er påkrevd for denne søknaden"))
            else:
                src.check_later(rows[idx], columns)


def _conditional(record: T.Record) -> bool:
    """Whether a field of `record` (or of a record in it) has a `påkrevd når`."""
    return any(spec.required_when is not None or isinstance(spec.type, T.Record) and _conditional(spec.type)
               for spec in record.fields.values())


def chunks(policy: CheckedPolicy, tables: Iterator[pa.Table], validate=None,
           searched: frozenset[str] = frozenset(), first_row: int = 1) -> Iterator[Chunk]:
    """Validate a stream of table chunks, numbering rows across them (`validate`: `Policy.validate`)."""
    first = first_row
    checked = False
    for table in tables:
        if not checked:
            check_columns(policy.schema, table.column_names, table.schema.types)
            checked = True
        yield read_chunk(policy, table, first, validate, searched)
        first += table.num_rows
