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
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from boligregler.diagnostics import BoligreglerError, file_problem
from boligregler.evaluation import columnar as C
from boligregler.records import open_input, read_jsonl
from boligregler.screening.tabular import REFERENCE, CellProblem, Chunk, chunks

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
    """JSON Lines (read by `boligregler.records`) as validated chunks, each line checked like a single søknad."""
    facts, numbers, refs, problems, bad = [], [], [], [], []

    def flush():
        batch = C.from_facts(policy.model.schema, facts)
        return Chunk(batch, np.array(numbers, dtype=np.int64), list(refs), list(problems), np.array(bad, dtype=np.int64))

    with open_input(path) as stream:
        for record in read_jsonl(stream):
            problem = record.problem
            if problem is None:
                try:
                    facts.append(policy.validate(record.soknad))
                except BoligreglerError as e:
                    problem = str(e)
                else:
                    numbers.append(record.line)
                    refs.append(record.reference)
            if problem is not None:
                problems.append(CellProblem(record.line, "", problem))
                bad.append(record.line)
            if len(facts) >= rows:
                yield flush()
                facts, numbers, refs, problems, bad = [], [], [], [], []
    if facts or problems:
        yield flush()


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
    if chunk.references is not None and any(r is not None for r in chunk.references):
        columns[REFERENCE] = pa.array(chunk.references, type=pa.string())
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
                self._writer = pq.ParquetWriter(self._target(binary=True), table.schema)
            self._writer.write_table(table)
        elif self.kind == "csv":
            import pyarrow.csv as pcsv
            table = plain_strings(table)
            if self._writer is None:
                self._writer = pcsv.CSVWriter(self._target(binary=True), table.schema)
            self._writer.write_table(table)
        else:
            out = self._target(binary=False)
            for row in _json_rows(table):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")

    def _target(self, binary: bool):
        import sys
        if self._file is None:
            if self.path in (None, "-"):
                self._file = sys.stdout.buffer if binary else sys.stdout
                self._owned = False
            else:
                try:
                    self._file = open(self.path, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": "\n"}))
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


def _json_rows(table: pa.Table) -> Iterator[dict]:
    columns = {}
    for name, col in zip(table.column_names, table.columns):
        if pa.types.is_decimal(col.type):
            columns[name] = [None if v is None else C.ore_text(int(v.scaleb(2))) for v in col.to_pylist()]
        else:
            columns[name] = col.to_pylist()
    names = list(columns)
    for values in zip(*columns.values()):
        yield {k: v for k, v in zip(names, values) if v != ""}
