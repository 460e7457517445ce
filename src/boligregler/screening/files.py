"""Reading tables of søknader and writing tables of results, chunk by chunk in constant memory.

Inputs: Parquet (row groups read in batches), CSV (streamed with every cell as text, comma,
semicolon or tab detected from the header), XLSX (the first sheet, read-only) and JSON Lines
(one søknad per line, each validated like a single JSON søknad). Outputs: Parquet, CSV or JSON
Lines with one row per søknad: outcome, amounts, failed criteria, criteria not met by a main
rule, missing facts and how the row was decided (docs/screening.md lists the columns).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Iterator

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from boligregler.diagnostics import BoligreglerError, file_problem
from boligregler.evaluation import columnar as C
from boligregler.records import MAX_LINE_BYTES, jsonl_record, open_input
from boligregler.screening.tabular import REFERENCE, CellProblem, Chunk, chunks, validate_table

TABLE_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx",
                  ".jsonl": "jsonl", ".ndjson": "jsonl"}
CHUNK_ROWS = 65_536


def kind_of(path: str, given: str | None = None) -> str:
    if given:
        return given
    kind = TABLE_SUFFIXES.get(Path(path).suffix.lower())
    if kind is None:
        raise BoligreglerError(f"{path}: ukjent filtype; bruk .parquet, .csv, .xlsx eller .jsonl", code="ukjent_filtype",
                               params={"fil": str(path)})
    return kind


def read_tables(path: str, kind: str, rows: int = CHUNK_ROWS) -> Iterator[pa.Table]:
    """The file as a stream of tables of at most `rows` rows (not for JSON Lines: see `jsonl_chunks`)."""
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq
            parts = sorted(str(p) for p in Path(path).rglob("*.parquet")) if Path(path).is_dir() else [path]
            for part in parts:  # a partitioned dataset: its files in name order, as Dask reads them
                for batch in pq.ParquetFile(part).iter_batches(batch_size=rows):
                    yield pa.Table.from_batches([batch])
        elif kind == "csv":
            yield from _csv_tables(path, rows)
        elif kind == "xlsx":
            yield from _xlsx_tables(path, rows)
        else:
            raise AssertionError(kind)
    except OSError as e:
        raise file_problem(path, "lese", e) from None
    except (pa.ArrowInvalid, pa.ArrowException) as e:
        raise BoligreglerError(f"{path}: filen kan ikke leses som {kind}: {e}", code="ugyldig_tabell",
                               params={"fil": str(path), "format": kind}) from None


def _csv_tables(path: str, rows: int) -> Iterator[pa.Table]:
    import pyarrow.csv as pcsv
    with open(path, encoding="utf-8-sig", newline="") as f:
        header_line = f.readline()
    delimiter = max([",", ";", "\t"], key=header_line.count)
    names = [n.strip() for n in next(csv.reader([header_line], delimiter=delimiter), [])]
    reader = pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 22, encoding="utf8"),
        parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                            strings_can_be_null=True, null_values=[""]))
    for batch in reader:
        table = pa.Table.from_batches([batch])
        table = table.rename_columns(names)
        for start in range(0, table.num_rows, rows):
            yield _trim(table.slice(start, rows))


def _trim(table: pa.Table) -> pa.Table:
    """CSV cells without surrounding spaces; blank cells are empty (absent)."""
    cols = []
    for col in table.columns:
        text = pc.utf8_trim_whitespace(col)
        cols.append(pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text))
    return pa.table(cols, names=table.column_names)


def _xlsx_tables(path: str, rows: int) -> Iterator[pa.Table]:
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = wb.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(it, ())]
        while header and header[-1] == "":
            header.pop()
        buffer: list[tuple] = []
        for row in it:
            if row is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            buffer.append(row[:len(header)])
            if len(buffer) >= rows:
                yield _xlsx_table(header, buffer)
                buffer = []
        if buffer or not header:
            yield _xlsx_table(header, buffer)
    finally:
        wb.close()


def _xlsx_table(header: list[str], rows: list[tuple]) -> pa.Table:
    columns = []
    for j in range(len(header)):
        values = [r[j] if j < len(r) else None for r in rows]
        values = [None if v is None or (isinstance(v, str) and not v.strip()) else
                  v.strip() if isinstance(v, str) else str(v) if not isinstance(v, (bool, int, float)) else v
                  for v in values]
        kinds = {type(v) for v in values if v is not None}
        if kinds <= {bool}:
            columns.append(pa.array(values, type=pa.bool_()))
        elif kinds <= {int}:
            columns.append(pa.array(values, type=pa.int64()))
        elif kinds <= {int, float}:
            columns.append(pa.array([None if v is None else float(v) for v in values], type=pa.float64()))
        else:
            columns.append(pa.array([None if v is None else str(v) if not isinstance(v, bool) else
                                     ("ja" if v else "nei") for v in values], type=pa.string()))
    return pa.table(columns, names=header)


def jsonl_chunks(policy, path: str, rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """JSON Lines as validated chunks of up to `rows` lines; every line is decided or reported exactly as a
    single JSON søknad would be (`records.jsonl_record` and `Policy.validate`).

    The lines are read as columns: pyarrow's JSON reader with the søknad's JSON types (`JsonShape`;
    amounts first as whole kroner, and if a line has øre, as decimals), then the columnar validation. A
    line goes to the per-line validator instead whenever the columns might read it otherwise: a line the
    reader refuses (found by halving the lines), one holding null (absent to the reader, not to the
    validator), a \\u escape or an amount written as text, an absent record or list without a default,
    and every line the columnar validation finds a problem in. A line the validator accepts is then decided from its facts by the Decimal
    backend, in its place in the batch; a line it refuses is reported with the validator's own message.
    """
    shape = JsonShape.of(policy.model)
    with open_input(path) as stream:
        for first, lines in line_blocks(stream, rows):
            yield jsonl_chunk(policy, shape, first, lines)


PIECE_BYTES = 1 << 22


def line_blocks(stream, rows: int) -> Iterator[tuple[int, list[bytes | None]]]:
    """The lines of a stream as `records.read_lines` gives them, in blocks of up to `rows`: (number of
    the block's first line, each line's bytes without its end, None for a line over `MAX_LINE_BYTES`).

    Read in pieces of `PIECE_BYTES` and cut by `bytes.split`, not line by line: no Python work per line
    unless a piece holds a \\r or a line too long.
    """
    number, pending, carry, skipping = 1, [], b"", False
    piece = stream.read(PIECE_BYTES)
    if piece.startswith(b"\xef\xbb\xbf"):
        piece = piece[3:]
        if not piece:  # the rest of the file, or a file of only the mark: its first line then is blank
            piece = stream.read(PIECE_BYTES)
            carry = b"" if piece else None
    while piece:
        if skipping:  # the rest of a line too long to keep
            end = piece.find(b"\n")
            if end < 0:
                piece = stream.read(PIECE_BYTES)
                continue
            piece, skipping = piece[end + 1:], False
            pending.append(None)
        data = carry + piece if carry else piece
        parts = data.split(b"\n")
        carry = parts.pop()
        if b"\r" in data or len(data) > MAX_LINE_BYTES:
            parts = [None if len(line) > MAX_LINE_BYTES else line.removesuffix(b"\r") for line in parts]
        if len(carry) > MAX_LINE_BYTES:
            carry, skipping = b"", True
        pending.extend(parts)
        while len(pending) >= rows:
            yield number, pending[:rows]
            number += rows
            pending = pending[rows:]
        piece = stream.read(PIECE_BYTES)
    if skipping or carry or carry is None:
        pending.append(None if skipping else carry or b"")
    for k in range(0, len(pending), rows):
        yield number + k, pending[k:k + rows]


@attrs.frozen
class JsonShape:
    """The søknad's JSON types as an Arrow schema, and what in a line sends it to the per-line validator."""

    schema: pa.Schema  # amounts as decimal128(38, 2)
    whole: pa.Schema  # amounts as int64: whole kroner, as most registers write them
    guard: re.Pattern  # an amount written as text, which decimal128 would read (the validator's rules differ)
    records: tuple[str, ...]  # dotted paths of records that must be given (no default)

    @staticmethod
    def of(model) -> "JsonShape | None":
        amounts: set[str] = set()
        records: list[str] = []
        try:
            fields = [pa.field(k, _json_type(spec, k, amounts, records)) for k, spec in model.schema.fields.items()]
        except _NotColumnar:
            return None
        named = b"|".join(re.escape(n.encode()) for n in sorted(amounts)) or b"(?!)"
        schema = pa.schema([*fields, pa.field(REFERENCE, pa.string())])
        return JsonShape(schema, _whole(schema), re.compile(rb'"(?:' + named + rb')"\s*:\s*"'), tuple(records))


def _whole(value):
    """`value` (a schema or type) with every decimal as int64."""
    if isinstance(value, pa.Schema):
        return pa.schema([pa.field(f.name, _whole(f.type)) for f in value])
    if pa.types.is_decimal(value):
        return pa.int64()
    if pa.types.is_struct(value):
        return pa.struct([pa.field(f.name, _whole(f.type)) for f in value])
    if pa.types.is_list(value):
        return pa.list_(_whole(value.value_type))
    return value


class _NotColumnar(Exception):
    """A søknad field the JSON reader cannot give as a column."""


def _json_type(spec, path: str, amounts: set[str], records: list[str]) -> pa.DataType:
    from boligregler.model import types as T
    t = spec.type
    match t:
        case T.Num(integer=True):
            return pa.int64()
        case T.Num():
            amounts.add(path.rsplit(".", 1)[-1])
            return pa.decimal128(38, 2)
        case T.Bool():
            return pa.bool_()
        case T.Enum() | T.Text() | T.Date():
            return pa.string()
        case T.Record():
            if not (spec.has_default and spec.default == {} and spec.provided_by is None and spec.required_when is None):
                records.append(path)
            return pa.struct([pa.field(k, _json_type(s, f"{path}.{k}", amounts, records)) for k, s in t.fields.items()])
        case T.ListOf(element) if isinstance(element, T.Record) and not any(
                isinstance(s.type, (T.Record, T.ListOf, T.SetOf)) for s in element.fields.values()):
            inner: list[str] = []
            item = _json_type(T.FieldSpec(element, has_default=True, default={}), path, amounts, inner)
            return pa.list_(item)
    raise _NotColumnar(path)


_EMPTY = b"{}"


def _read_json(data: bytes, schema: pa.Schema) -> pa.Table:
    import pyarrow.json as pj
    return pj.read_json(pa.BufferReader(data),
                        read_options=pj.ReadOptions(use_threads=False, block_size=max(1 << 20, len(data) + 1)),
                        parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error",
                                                      newlines_in_values=False))


def _clean(lines: list[bytes | None]) -> bytes | None:
    """The lines joined when every line is one object `{…}` without null or a \\u escape, checked on the
    joined bytes; else None (the lines are then looked at one by one)."""
    if None in lines:
        return None
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    if not lengths.all():
        return None
    joined = b"\n".join(lines)
    data = np.frombuffer(joined, dtype=np.uint8)
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    if (data[starts] != ord("{")).any() or (data[starts + lengths - 1] != ord("}")).any():
        return None
    if b"null" in joined or b"\\" in joined and b"\\u" in joined:  # one byte first: memchr, far faster than two
        return None
    return joined


def jsonl_chunk(policy, shape: "JsonShape | None", first: int, lines: list[bytes | None]) -> Chunk:
    """The chunk of `lines` (a block of `line_blocks`), numbered from `first`; `shape`: `JsonShape.of(policy.model)`."""
    joined = _clean(lines) if shape is not None else None
    if joined is not None:
        return _jsonl_columns(policy, shape, list(range(first, first + len(lines))), lines, joined, list(lines), set())
    numbers: list[int] = []  # the line of each row
    originals: list[bytes | None] = []  # its bytes, for the per-line validator
    bodies: list[bytes] = []  # what the JSON reader reads for it ({} for a line the validator decides)
    slow: set[int] = set()
    for number, data in enumerate(lines, start=first):
        body = data.strip(b" \t\r") if data is not None else None
        if body == b"":
            continue  # blank, as `read_jsonl` skips it
        numbers.append(number)
        originals.append(data)
        if shape is None or body is None or body[:1] != b"{" or body[-1:] != b"}" or b"null" in body or b"\\u" in body:
            slow.add(len(bodies))
            bodies.append(_EMPTY)
        else:
            bodies.append(body)
    if shape is None or not bodies:
        return _by_line(policy, numbers, originals)
    return _jsonl_columns(policy, shape, numbers, originals, b"\n".join(bodies), bodies, slow)


def _jsonl_columns(policy, shape: JsonShape, numbers: list[int], originals: list, joined: bytes, bodies: list[bytes],
                   slow: set[int]) -> Chunk:
    """The chunk of the lines `numbers`: `bodies` (joined: `joined`) read as columns, the `slow` rows and every
    row the columns find a problem in through the per-line validator."""
    n = len(bodies)
    tables: list[pa.Table] = []

    def read(lo: int, hi: int) -> None:  # rows lo..hi, halved until the lines the reader refuses are found
        try:
            table = _read_json(b"\n".join(bodies[lo:hi]), shape.schema)
            if table.num_rows == hi - lo:  # one object per line (`{…} {…}` would be two rows)
                tables.append(table)
                return
        except (pa.ArrowException, UnicodeDecodeError):
            pass
        if hi - lo == 1:
            slow.add(lo)
            tables.append(_read_json(_EMPTY, shape.schema))
            return
        mid = (lo + hi) // 2
        read(lo, mid)
        read(mid, hi)

    try:
        whole = _read_json(joined, shape.whole)
        if whole.num_rows == n:
            tables.append(whole)
    except (pa.ArrowException, UnicodeDecodeError):
        pass
    if not tables:  # øre, or a line the reader refuses: amounts as decimals (not as text), halving
        starts = np.cumsum([0] + [len(b) + 1 for b in bodies[:-1]])
        for m in shape.guard.finditer(joined):
            row = int(np.searchsorted(starts, m.start(), side="right")) - 1
            slow.add(row)
            bodies[row] = _EMPTY
        read(0, n)

    table = pa.concat_tables(tables)
    for path in shape.records:  # an absent record without a default: the validator's «mangler»
        column = table.column(path.split(".")[0])
        for part in path.split(".")[1:]:
            column = pc.struct_field(column, part)
        slow.update(np.flatnonzero(~np.asarray(column.is_valid())).tolist())
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    batch, src = validate_table(policy.model, table.drop_columns([REFERENCE]), json=True)
    slow.update(src.problem_rows)
    slow.update(src.recheck)  # a `påkrevd når` the columns cannot decide: the validator's
    if batch.bad is not None:
        slow.update(np.flatnonzero(np.broadcast_to(batch.bad, (n,))).tolist())
    references = table.column(REFERENCE).combine_chunks()
    if slow:  # the validator's reference for its lines
        references = references.to_pylist()
    problems, exact, dropped = [], {}, []
    for i in sorted(slow):
        record = jsonl_record(numbers[i], originals[i])
        problem = None if record is None else record.problem
        if record is not None and problem is None:
            try:
                exact[i] = policy.validate(record.soknad)
                references[i] = record.reference
                continue
            except BoligreglerError as e:
                problem = str(e)
        dropped.append(i)
        if problem is not None:
            problems.append(CellProblem(numbers[i], "", problem))
    if exact:
        batch.bad = np.zeros(n, dtype=bool)
        batch.bad[list(exact)] = True
        batch.exact_facts = exact
    else:
        batch.bad = None
    keep = np.setdiff1d(np.arange(n), np.array(dropped, dtype=np.int64))
    if dropped:
        batch = batch.take(keep)
    lines = np.array(numbers, dtype=np.int64)
    if isinstance(references, list):
        references = pa.array([references[i] for i in keep.tolist()], type=pa.string())
    return Chunk(batch, lines[keep], references, problems,
                 np.array([p.row for p in problems], dtype=np.int64))


def _by_line(policy, numbers: list[int], originals: list[bytes | None]) -> Chunk:
    """A chunk validated line by line (a søknad the JSON reader cannot give as columns)."""
    facts, rows, refs, problems = [], [], [], []
    for number, data in zip(numbers, originals):
        record = jsonl_record(number, data)
        if record is None:
            continue
        problem = record.problem
        if problem is None:
            try:
                facts.append(policy.validate(record.soknad))
                rows.append(number)
                refs.append(record.reference)
                continue
            except BoligreglerError as e:
                problem = str(e)
        problems.append(CellProblem(number, "", problem))
    return Chunk(C.from_facts(policy.model.schema, facts), np.array(rows, dtype=np.int64), pa.array(refs, type=pa.string()),
                 problems,
                 np.array([p.row for p in problems], dtype=np.int64))


def table_chunks(policy, path: str, kind: str, rows: int = CHUNK_ROWS,
                 searched: frozenset[str] = frozenset()) -> Iterator[Chunk]:
    """Validated chunks of any supported file (`searched`: see `tabular.read_chunk`; tables only)."""
    if kind == "jsonl":
        return jsonl_chunks(policy, path, rows)
    return chunks(policy.model, read_tables(path, kind, rows), policy.validate, searched)


# ---- results as tables -----------------------------------------------------------------------

MONEY = pa.decimal128(18, 2)


def money_array(ore: np.ndarray, absent: np.ndarray | None = None) -> pa.Array:
    """Øre as an exact decimal128(18, 2) column (null where `absent`)."""
    ore = np.ascontiguousarray(ore, dtype=np.int64)
    words = np.empty((len(ore), 2), dtype=np.int64)
    words[:, 0] = ore
    words[:, 1] = ore >> 63
    validity = None
    if absent is not None and absent.any():
        validity = pa.py_buffer(np.packbits(~absent, bitorder="little").tobytes())
    return pa.Array.from_buffers(MONEY, len(ore), [validity, pa.py_buffer(words.tobytes())])


def _dictionary(codes: np.ndarray, labels: list[str]) -> pa.Array:
    """Codes into `labels` as a dictionary-encoded string column (no string per row is built)."""
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32)), pa.array(labels, type=pa.string()))


def _joined(parts: list[tuple[np.ndarray, str]], n: int) -> pa.Array:
    """Per row, the names whose mask is set, joined by «, » (one label per combination that occurs)."""
    if not parts:
        return _dictionary(np.zeros(n, dtype=np.int32), [""])
    bits = np.zeros(n, dtype=np.int64)
    for k, (mask, _) in enumerate(parts[:62]):
        bits |= np.asarray(mask, dtype=np.int64) << k
    combos, codes = np.unique(bits, return_inverse=True)
    labels = [", ".join(name for k, (_, name) in enumerate(parts[:62]) if int(c) >> k & 1) for c in combos.tolist()]
    return _dictionary(codes.reshape(-1), labels)


def result_table(result: C.BatchResult, chunk: Chunk, *, criteria: bool = True) -> pa.Table:
    """One row per decided søknad: the row in the file, outcome, amounts, criteria, missing facts."""
    n = result.n
    columns: dict[str, pa.Array] = {"rad": pa.array(chunk.rows)}
    if chunk.references is not None and chunk.references.null_count < len(chunk.references):
        columns[REFERENCE] = chunk.references
    codes = np.asarray(result.utfall)
    columns["utfall"] = _dictionary(np.where(codes < 0, len(result.outcomes), codes), list(result.outcomes) + [""])
    for key, values in result.amounts.items():
        columns[key] = money_array(values, result.absent.get(key))
    if result.rente is not None:
        columns["rente"] = money_array(result.rente, result.absent.get("rente"))
    if result.nedbetalingstid is not None:
        columns["nedbetalingstid_år"] = pa.array(result.nedbetalingstid, mask=result.absent.get("nedbetalingstid_år"))
    failed = [(c.results == C.IKKE_OPPFYLT, c.id) for c in result.criteria.values() if c.kind == "absolutt"]
    main = [(c.results == C.IKKE_OPPFYLT, c.id) for c in result.criteria.values() if c.kind != "absolutt"]
    columns["ikke_oppfylte_vilkår"] = _joined(failed, n)
    columns["hovedregler_ikke_oppfylt"] = _joined(main, n)
    exceptions = [(c.results == C.UNNTAK, f"{c.id} {c.exceptions[k]}")
                  for c in result.criteria.values() for k in range(len(c.exceptions))]
    exceptions = [(m & (c.letters == k), name) for (m, name), c, k in
                  zip(exceptions, [c for c in result.criteria.values() for _ in c.exceptions],
                      [k for c in result.criteria.values() for k in range(len(c.exceptions))])]
    columns["unntak"] = _joined(exceptions, n)
    if criteria:
        for c in result.criteria.values():
            columns[f"vilkår.{c.id}"] = _dictionary(np.where(c.results < 0, len(C.RESULTS), c.results),
                                                    list(C.RESULTS) + [""])
    columns["mangler"] = _dictionary_of(result.missing, n)
    columns["vurdert_med"] = _dictionary(result.fallback.astype(np.int32), ["kolonner", "desimal"])
    columns["feil"] = _dictionary_of(result.errors, n)
    return pa.table(columns)


def _dictionary_of(texts: dict[int, str], n: int) -> pa.Array:
    """A mostly empty text column from {row: text}."""
    labels = [""] + sorted(set(texts.values()))
    where = {t: i for i, t in enumerate(labels)}
    codes = np.zeros(n, dtype=np.int32)
    for i, text in texts.items():
        codes[i] = where[text]
    return _dictionary(codes, labels)


class TableWriter:
    """Write result tables to Parquet, CSV or JSON Lines (standard out for "-"), one chunk at a time."""

    def __init__(self, path: str | None, kind: str):
        self.path, self.kind = path, kind
        self._writer = None
        self._file = None

    def write(self, table: pa.Table) -> None:
        if self.kind == "parquet":
            import pyarrow.parquet as pq
            if self._writer is None:
                # dictionary pages only for the text columns (amounts are nearly all distinct); min/max statistics
                # only for the numbers (those of the texts cost a third of the writing); amounts as exact decimals
                # stored in 64-bit integers (precision 18), not 16-byte arrays
                texts = [f.name for f in table.schema if pa.types.is_dictionary(f.type) or pa.types.is_string(f.type)]
                numbers = [f.name for f in table.schema if f.name not in texts]
                self._writer = pq.ParquetWriter(self._target(), table.schema, use_dictionary=texts,
                                                write_statistics=numbers, store_decimal_as_integer=True)
            self._writer.write_table(table)
        elif self.kind == "csv":
            import pyarrow.csv as pcsv
            table = plain_strings(table)
            if self._writer is None:
                self._writer = pcsv.CSVWriter(self._target(), table.schema)
            self._writer.write_table(table)
        else:
            for start in range(0, table.num_rows, 8192):  # in slices: the texts of a whole chunk take much memory
                self._target().write(json_lines(table.slice(start, 8192)))

    def _target(self):
        import sys
        if self._file is None:
            if self.path in (None, "-"):
                sys.stdout.flush()
                self._file = sys.stdout.buffer
                self._owned = False
            else:
                try:
                    self._file = open(self.path, "wb")
                except OSError as e:
                    raise file_problem(self.path, "skrive", e) from None
                self._owned = True
        return self._file

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._file is not None:
            if getattr(self, "_owned", False):
                self._file.close()
            else:
                self._file.flush()


def plain_strings(table: pa.Table) -> pa.Table:
    """Dictionary-encoded columns as plain strings (for CSV)."""
    return pa.table([c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in table.columns],
                    names=table.column_names)


def json_lines(table: pa.Table) -> memoryview:
    """The table as JSON Lines, one object per row as `json.dumps` writes it (keys in column order, «: » and
    «, »), money as vedtak.md writes it ("2973590", "23932.50"), an empty text left out; built column by
    column with Arrow's string kernels, not a dict and a `json.dumps` per row."""
    if not table.num_rows:
        return memoryview(b"")
    pieces = [_json_pieces(json.dumps(name, ensure_ascii=False) + ": ", column.combine_chunks())
              for name, column in zip(table.column_names, table.columns)]
    body = pc.binary_join_element_wise(*pieces, ", ", null_handling="skip") if pieces else \
        pa.array([""] * table.num_rows)
    lines = pc.binary_join_element_wise("{", body, "}\n", "")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:lines.offset + len(lines) + 1]
    return memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]]


def _json_pieces(key: str, column: pa.Array) -> pa.Array:
    """`"navn": verdi` for each row of a column (null where the row leaves the key out)."""
    typ = column.type
    if pa.types.is_dictionary(typ):
        labels = [None if v == "" else key + json.dumps(v, ensure_ascii=False) for v in column.dictionary.to_pylist()]
        text = pa.array(labels, type=pa.string()).take(column.indices)
    elif pa.types.is_decimal(typ) and typ.scale == 2 and typ.precision <= 18:  # øre, as `C.ore_text` writes them
        words = np.frombuffer(column.buffers()[1], dtype=np.int64)[2 * column.offset:2 * (column.offset + len(column))]
        ore = words[0::2]
        whole, part = np.divmod(np.abs(ore), 100)
        text = pc.cast(pa.array(whole), pa.string())
        cents = pc.utf8_lpad(pc.cast(pa.array(part), pa.string()), 2, "0")
        text = pc.if_else(pa.array(part != 0), pc.binary_join_element_wise(text, cents, "."), text)
        text = pc.if_else(pa.array(ore < 0), pc.binary_join_element_wise("-", text, ""), text)
        text = pc.binary_join_element_wise(key + '"', text, '"', "")
    elif pa.types.is_integer(typ):
        text = pc.binary_join_element_wise(key, pc.cast(column, pa.string()), "")
    elif pa.types.is_string(typ) and not pc.any(pc.match_substring_regex(column, r'["\\\x00-\x1f]')).as_py():
        text = pc.binary_join_element_wise(key + '"', column, '"', "")  # nothing to escape
        text = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), text)
    else:
        return pa.array([None if v == "" else key + json.dumps(v, ensure_ascii=False) for v in column.to_pylist()],
                        type=pa.string())
    return text if not column.null_count else pc.if_else(column.is_valid(), text, pa.scalar(key + "null"))
