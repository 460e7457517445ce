"""Reading many søknader from JSON Lines or CSV, one `Record` at a time, in constant memory.

Every record carries the line it starts on and either the søknad or the reason it cannot be read
(invalid UTF-8, invalid JSON, a CSV row with the wrong number of cells), so a batch can decide or
report every record. Lines end at `\\n` only (a `\\r` before it is dropped): U+2028, U+0085 and the
other characters `str.splitlines` would break at are ordinary characters inside a line. A line is
at most `MAX_LINE_BYTES` long; a longer one is reported and skipped without being held in memory.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import io
import re
import sys
from typing import Any, BinaryIO, Iterator

import attrs

from boligregler.diagnostics import BoligreglerError, file_problem, suggest
from boligregler.json_input import load_json
from boligregler.model import types as T

REFERENCE = "referanse"  # an optional key or column copied to the output line, never part of the søknad
MAX_LINE_BYTES = 16 * 1024 * 1024  # one søknad; documented in docs/kommunale-regler.md
_CHUNK = 1024 * 1024


@attrs.frozen
class Record:
    """One søknad of a batch: the line it starts on, the søknad and its optional reference, or why it
    cannot be read (`problem`, Norwegian)."""

    line: int
    soknad: Any = None
    reference: str | None = None
    problem: str | None = None


@contextlib.contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    """The file `path` (or standard input for `-`) as bytes; a missing or unreadable file is a
    `BoligreglerError`."""
    if path == "-":  # a replaced sys.stdin without bytes underneath (an embedding program, a test) is read whole
        yield getattr(sys.stdin, "buffer", None) or io.BytesIO(sys.stdin.read().encode("utf-8", "surrogatepass"))
        return
    try:
        f = open(path, "rb")
    except OSError as e:
        raise file_problem(path, "lese", e) from None
    with f:
        yield f


def count_lines(path: str) -> int | None:
    """How many lines the file has (a last line without `\\n` counts), read in chunks; None for standard input."""
    if path == "-":
        return None
    count, last = 0, b"\n"
    with open_input(path) as f:
        while chunk := f.read(_CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def read_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes without the line end) for every line; None for a line over `MAX_LINE_BYTES`.
    A UTF-8 byte order mark at the start is dropped."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + (4 if number == 0 else 1))  # the first line: room for the mark
        if not raw:
            return
        number += 1
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        ended = raw.endswith(b"\n")
        line = raw[:-1] if ended else raw
        if len(line) > MAX_LINE_BYTES:
            if not ended:
                while (rest := stream.readline(_CHUNK)) and not rest.endswith(b"\n"):
                    pass
            yield number, None
            continue
        yield number, line.removesuffix(b"\r") if ended else line


_LINE_BREAKING = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_line(text: str) -> str:
    """JSON text as one JSON Lines line; the characters `str.splitlines` breaks at are escaped, so every reader
    sees one line.

    (`str.replace` where they occur: `str.translate` with a table costs about 2 ms on a vedtak record.)
    """
    for char, escaped in _LINE_BREAKING.items():
        if char in text:
            text = text.replace(char, escaped)
    return text


def _as_stream(source: str | bytes | BinaryIO) -> BinaryIO:
    if isinstance(source, str):
        return io.BytesIO(source.encode("utf-8", "surrogatepass"))
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return source


def line_too_long() -> str:
    return f"linjen er lengre enn {MAX_LINE_BYTES // (1024 * 1024)} MB og er ikke lest"


def utf8_problem(data: bytes, error: UnicodeDecodeError) -> str:
    return f"ugyldig UTF-8 i byte {error.start + 1} på linjen (0x{data[error.start]:02x}); lagre filen som UTF-8"


def read_jsonl(source: str | bytes | BinaryIO) -> Iterator[Record]:
    """JSON Lines: one søknad object per line; blank lines are skipped."""
    for number, data in read_lines(_as_stream(source)):
        record = jsonl_record(number, data)
        if record is not None:
            yield record


def jsonl_record(number: int, data: bytes | None) -> Record | None:
    """Line `number` of a JSON Lines file (its bytes as `read_lines` gives them) as a record; None if blank."""
    if data is None:
        return Record(number, problem=line_too_long())
    try:
        line = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return Record(number, problem=utf8_problem(data, e))
    if not line.strip():
        return None
    try:
        soknad = load_json(line)
    except ValueError as e:  # JsonError
        return Record(number, problem=f"ugyldig JSON i kolonne {e.colno}: {e.msg}")
    if not isinstance(soknad, dict):
        return Record(number, problem="linjen må være et JSON-objekt (én søknad)")
    reference = soknad.pop(REFERENCE, None)
    return Record(number, soknad, None if reference is None else str(reference))


# ---- CSV ------------------------------------------------------------------------------------------

# A CSV column names one søknad field by its JSON path: `bolig.kjøpesum`, `husstand.voksne[0].alder`.
COLUMN_STEP = re.compile(r"([^\W\d]\w*)(?:\[(\d+)\])?")
TRUE_WORDS = {"sann", "ja", "true", "1"}
FALSE_WORDS = {"usann", "nei", "false", "0"}
_BAD_BYTE = re.compile(r"[\udc80-\udcff]")
_CSV_MESSAGES = {
    "field larger than field limit": "en celle er lengre enn {limit} tegn",
    "unexpected end of data": "filen slutter inne i en celle i anførselstegn",
    "new-line character seen in unquoted field": "linjeskift inne i en celle uten anførselstegn",
    "expected after": "et anførselstegn avslutter cellen midt i teksten; skriv \"\" for et anførselstegn inne i en celle",
}


class _ResyncingReader:
    """`csv.reader` (strict) over lines that, after a malformed record spanning several lines (a stray
    quote), reports it at its first line and reads on from its second line, so the rows the quote
    swallowed are decided or reported one by one; `line_num` is the last line read for a record."""

    def __init__(self, lines: Iterator[str], delimiter: str):
        self._lines, self._delimiter = lines, delimiter
        self.width: int | None = None  # the header's number of fields, once read
        self._pending: collections.deque[str] = collections.deque()  # lines to read again after a malformed record
        self._record: list[str] = []  # the lines of the record being read
        self._reader = self._new()
        self.line_num = 0

    def _new(self):
        return csv.reader(self._feed(), delimiter=self._delimiter, strict=True)

    def _feed(self) -> Iterator[str]:
        while True:
            line = self._pending.popleft() if self._pending else next(self._lines, None)
            if line is None:
                return
            self._record.append(line)
            yield line

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        self._record = []
        try:
            row = next(self._reader)
        except csv.Error:
            self._resync()
            raise
        if self.width is not None and len(row) != self.width and len(self._record) > 1:
            self._resync()  # a quoted cell over several lines that breaks the row: most likely a stray quote
            raise _Malformed(f"raden har {len(row)} felt, men overskriften har {self.width}; et anførselstegn i "
                             f"linjen åpner en celle som fortsetter over {len(self._record) - 1} linje(r) til")
        self.line_num += len(self._record)
        return row

    def _resync(self) -> None:
        self.line_num += 1
        self._pending.extendleft(reversed(self._record[1:]))
        self._reader = self._new()


class _Malformed(csv.Error):
    """A record the csv module read but that cannot be a row; the message is Norwegian."""


class _Indexed(dict):
    """List elements by their column index while a row is assembled."""


def _decoded_lines(stream: BinaryIO, too_long: list[int]) -> Iterator[str]:
    """Lines as text for the csv module; invalid UTF-8 bytes are kept as lone surrogates (U+DC80–U+DCFF)
    so the row that holds them can be reported, and a line over the limit becomes an empty line."""
    for number, data in read_lines(stream):
        if data is None:
            too_long.append(number)
            yield "\n"
        else:
            yield data.decode("utf-8", "surrogateescape") + "\n"


def read_csv(source: str | bytes | BinaryIO, schema: T.Record, path: str) -> Iterator[Record]:
    """CSV with a header row of JSON paths; comma, semicolon or tab separated, detected from the header.

    Raises `BoligreglerError` for a header with invalid columns (before any row is read)."""
    too_long: list[int] = []
    lines = _decoded_lines(_as_stream(source), too_long)
    first = next(lines, None)
    if first is None:
        return iter(())
    if _BAD_BYTE.search(first):
        raise BoligreglerError(f"{path}:1: overskriftsraden er ikke gyldig UTF-8; lagre filen som UTF-8", code="ikke_utf8",
                               params={"fil": str(path), "linje": 1})
    delimiter = max([",", ";", "\t"], key=first.count)

    def all_lines() -> Iterator[str]:
        yield first
        yield from lines

    reader = _ResyncingReader(all_lines(), delimiter)
    header = next(reader, [])
    reader.width = len(header)
    columns, problems = [], []
    for number, name in enumerate(header, 1):
        name = name.strip()
        column = (name, None, None) if name == REFERENCE else (name, *_column(schema, name))
        if column[2] is not None:
            problems.append(f"  kolonne {number} «{name}»: {column[2]}")
        elif name in [c[0] for c in columns]:
            problems.append(f"  kolonne {number} «{name}»: står to ganger")
        columns.append(column)
    if problems:
        raise BoligreglerError(f"{path}:1: overskriftsraden har ugyldige kolonner:\n" + "\n".join(problems),
                               code="ugyldig_tabell", params={"fil": str(path), "linje": 1})
    return _rows(reader, columns, too_long)


def _rows(reader, columns, too_long: list[int]) -> Iterator[Record]:
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            end = reader.line_num
            yield Record(start, problem=_csv_message(e))
            continue
        end = reader.line_num
        if too_long and too_long[0] <= end:
            yield Record(too_long.pop(0), problem=line_too_long())
            continue
        if not any(cell.strip() for cell in row):
            continue
        bad = next((i for i, cell in enumerate(row) if _BAD_BYTE.search(cell)), None)
        if bad is not None:
            yield Record(start, problem=f"ugyldig UTF-8 i celle {bad + 1}; lagre filen som UTF-8")
            continue
        if len(row) != len(columns):
            yield Record(start, problem=f"raden har {len(row)} felt, men overskriften har {len(columns)}")
            continue
        soknad: dict = {}
        reference = None
        for (name, steps, _), cell in zip(columns, row):
            cell = cell.strip()
            if not cell:
                continue
            if steps is None:
                reference = cell
            else:
                _assign(soknad, steps, cell_value(cell, steps[-1][2]))
        yield Record(start, _lists(soknad), reference)


def _csv_message(e: csv.Error) -> str:
    text = str(e)
    if isinstance(e, _Malformed):
        return "ugyldig CSV: " + text
    for english, norwegian in _CSV_MESSAGES.items():
        if english in text:
            return "ugyldig CSV: " + norwegian.format(limit=csv.field_size_limit())
    return "ugyldig CSV-rad"


def _column(schema: T.Record, name: str):
    """(steps, None) for a column naming a søknad field, or (None, problem)."""
    steps, record, done = [], schema, ""
    parts = name.split(".")
    for i, part in enumerate(parts):
        m = COLUMN_STEP.fullmatch(part)
        if m is None:
            return None, "skriv feltets sti, f.eks. bolig.kjøpesum eller husstand.voksne[0].alder"
        field, index = m.group(1), m.group(2)
        if not isinstance(record, T.Record):
            return None, f"«{done}» har ingen underfelt"
        spec = record.fields.get(field)
        if spec is None:
            guess = suggest(field, record.fields)
            return None, f"ukjent felt «{field}»" + (f"; mente du «{guess}»?" if guess else "")
        t = spec.type
        if index is not None:
            if not isinstance(t, T.ListOf):
                return None, f"«{field}» er ikke en liste"
            if len(index) > 6:
                return None, f"indeksen {index[:12]}… er for stor"
            t = t.element
        elif isinstance(t, T.ListOf):
            return None, f"«{field}» er en liste; skriv {field}[0], {field}[1] …"
        done = ".".join(parts[:i + 1])
        steps.append((field, None if index is None else int(index), t))
        record = t
    if isinstance(record, (T.Record, T.ListOf)):
        return None, "kolonnen må peke på et enkeltfelt, ikke en gruppe av felt"
    return steps, None


def cell_value(cell: str, t: T.Type):
    """CSV text as the søknad value: ja/nei for sannheter, tall med mellomrom og desimalkomma."""
    if isinstance(t, T.Bool):
        word = cell.lower()
        return True if word in TRUE_WORDS else False if word in FALSE_WORDS else cell
    if isinstance(t, T.Num):
        return re.sub(r"[ \u00a0\u202f]", "", cell).replace(",", ".")
    return cell


def _assign(target: dict, steps, value) -> None:
    node: dict = target
    for i, (field, index, _) in enumerate(steps):
        last = i == len(steps) - 1
        if index is None:
            if last:
                node[field] = value
            else:
                node = node.setdefault(field, {})
            continue
        elements = node.setdefault(field, _Indexed())
        if last:
            elements[index] = value
        else:
            node = elements.setdefault(index, {})


def _lists(value):
    """Turn the indexed list elements of an assembled row into lists, in index order."""
    if isinstance(value, _Indexed):
        return [_lists(v) for _, v in sorted(value.items())]
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value


def read_records(path: str, kind: str, stream: BinaryIO, schema: T.Record) -> Iterator[Record]:
    """The records of a `jsonl` or `csv` stream."""
    return read_jsonl(stream) if kind == "jsonl" else read_csv(stream, schema, path)

