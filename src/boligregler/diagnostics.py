"""Diagnostics reported by the parser, checker and linter, with text and JSON rendering."""

from __future__ import annotations

import datetime
import difflib
import enum
import errno
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs


class Severity(enum.Enum):
    """How serious a diagnostic is; the value is the Norwegian label."""

    ERROR = "feil"
    WARNING = "advarsel"


@attrs.frozen
class Span:
    """A source range: 1-based lines and columns, ``end_column`` exclusive (Lark convention)."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def from_offsets(cls, text: str, start: int, end: int) -> Span:
        """Build a span from 0-based character offsets ``start`` (inclusive) and ``end`` (exclusive)."""
        line, column = _position(text, start)
        end_line, end_column = _position(text, end)
        return cls(line, column, end_line, end_column)


def _position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


@attrs.frozen
class LegalBasis:
    """The rule a legality finding relies on: the act or regulation, the provision and its words."""

    kilde: str  # «Forskrift om lån fra Husbanken», «Likestillings- og diskrimineringsloven», «Husbankens veileder …»
    paragraf: str  # «§ 8-2 tiende ledd»
    setning: str  # the sentence relied on, quoted or closely paraphrased

    def to_json(self) -> dict:
        return {"kilde": self.kilde, "paragraf": self.paragraf, "setning": self.setning}


@attrs.frozen
class Diagnostic:
    """One message about a policy file, optionally pointing at a span and related locations.

    Legality findings (`L` codes) also carry their legal basis, a fix and, when the finding was
    shown by evaluating the policy, the søknad that shows it (`witness`).
    """

    code: str
    severity: Severity
    message: str
    file: str
    span: Span | None
    notes: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    related: tuple[tuple[str, Span, str], ...] = attrs.field(default=(), converter=tuple)
    legal_basis: LegalBasis | None = None
    fix: str | None = None
    witness: dict | None = attrs.field(default=None, eq=False)


def format_path(path: Sequence[str | int]) -> str:
    """JSON path segments as text: ``("husstand", "barn", 1, "alder")`` → ``husstand.barn[1].alder``."""
    out = ""
    for segment in path:
        out += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if out else segment)
    return out


def parse_path(text: str) -> tuple[str | int, ...]:
    """The inverse of `format_path`: ``husstand.barn[1].alder`` → ``("husstand", "barn", 1, "alder")``."""
    return tuple(int(index) if index else name
                 for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text))


def json_pointer(path: Sequence[str | int]) -> str:
    """JSON path segments as an RFC 6901 JSON Pointer: ``/husstand/barn/1/alder``."""
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in path)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)  # Decimal, dates


@attrs.frozen
class Problem:
    """One problem as data: a stable code, where it is (JSON path), the Norwegian message and its parameters.

    `path` is the formatted JSON path (``husstand.barn[1].alder``, empty for the whole input);
    `segments` the same path as field names and list indexes, `pointer` as a JSON Pointer.
    `params` are the values the message is built from (limits, the offending key, a suggestion),
    so that a case system can write its own text.
    """

    path: str
    message: str
    code: str = "ugyldig"
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=lambda p: dict(p), eq=False)
    segments: tuple[str | int, ...] = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        if self.segments is None:
            object.__setattr__(self, "segments", parse_path(self.path))

    @property
    def pointer(self) -> str:
        return json_pointer(self.segments)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_dict(self) -> dict[str, Any]:
        """The problem as JSON: ``{"kode", "sti", "peker", "felt", "melding", "parametre"}``."""
        return {"kode": self.code, "sti": list(self.segments), "peker": self.pointer, "felt": self.path,
                "melding": self.message, "parametre": _plain(self.params)}


class BoligreglerError(Exception):
    """Base class for all errors raised by the library.

    Every error is also data: `code` (stable, for programs), `problems` (each with its code,
    location, Norwegian message and parameters) and `to_dict()` (the JSON the CLI's
    ``--format json`` and the HTTP service's problem responses carry).
    """

    code = "feil"

    def __init__(self, message: str = "", *, code: str | None = None, params: Mapping[str, Any] | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.params = dict(params or {})

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (Problem("", str(self), self.code, self.params),)

    def to_dict(self) -> dict[str, Any]:
        return {"kode": self.code, "melding": str(self), "problemer": [p.to_dict() for p in self.problems]}

    def __reduce__(self):
        return (_restore_error, (type(self), self.args, self.__dict__))


def _restore_error(cls: type, args: tuple, state: dict) -> BoligreglerError:
    error = Exception.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class UsageError(BoligreglerError, ValueError):
    """The library was called wrongly: an unknown backend, an argument of the wrong kind."""

    code = "feil_bruk"


class PolicyError(BoligreglerError):
    """Raised when policy sources contain errors; ``str()`` renders the diagnostics."""

    code = "ugyldig_regelverk"

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: Mapping[str, str]) -> None:
        self.diagnostics = tuple(diagnostics)
        self.sources = dict(sources)
        Exception.__init__(self, self.diagnostics, self.sources)
        self.params = {}

    def __str__(self) -> str:
        return render_text(self.diagnostics, self.sources)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """One problem per error diagnostic; warnings stay in `diagnostics`."""
        return tuple(diagnostic_problem(d) for d in self.diagnostics if d.severity is Severity.ERROR)

    def to_dict(self) -> dict[str, Any]:
        errors = sum(d.severity is Severity.ERROR for d in self.diagnostics)
        return {"kode": self.code, "melding": f"regelverket har {errors} feil",
                "problemer": [p.to_dict() for p in self.problems], "diagnostikk": to_json(self.diagnostics)}


def diagnostic_problem(d: Diagnostic) -> Problem:
    """A policy diagnostic as a `Problem`: its code and message; the file and span as parameters."""
    params: dict[str, Any] = {"fil": d.file}
    if d.span is not None:
        params |= {"linje": d.span.line, "kolonne": d.span.column,
                   "slutt_linje": d.span.end_line, "slutt_kolonne": d.span.end_column}
    if d.notes:
        params["hjelp"] = list(d.notes)
    return Problem("", d.message, d.code, params, segments=())


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to ``name`` for a «mente du …?» hint, or None."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_BLUE = "\x1b[1;34m"
_SEVERITY_COLOR = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m"}


def render_text(
    diagnostics: Sequence[Diagnostic], sources: Mapping[str, str], color: bool = False
) -> str:
    """Render diagnostics rustc-style with source excerpts and a Norwegian summary line."""
    if not diagnostics:
        return ""
    blocks = [_render_one(d, sources, color) for d in diagnostics]
    return "\n\n".join(blocks) + "\n\n" + _summary(diagnostics)


def _summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    parts = []
    if errors:
        parts.append(f"{errors} feil")
    if warnings:
        parts.append(f"{warnings} advarsel" if warnings == 1 else f"{warnings} advarsler")
    return ", ".join(parts)


def _render_one(diag: Diagnostic, sources: Mapping[str, str], color: bool) -> str:
    def paint(text: str, style: str) -> str:
        return f"{style}{text}{_RESET}" if color else text

    sev_style = _SEVERITY_COLOR[diag.severity]
    line_numbers = [span.line for _, span, _ in diag.related]
    if diag.span is not None:
        line_numbers.append(diag.span.line)
    width = len(str(max(line_numbers, default=1)))
    pad = " " * width
    gutter = paint(f"{pad} |", _BLUE)

    header = paint(f"{diag.severity.value}[{diag.code}]", sev_style)
    lines = [header + paint(f": {diag.message}", _BOLD)]

    def location(arrow: str, file: str, span: Span | None, mark: str, label: str, style: str) -> None:
        where = file if span is None else f"{file}:{span.line}:{span.column}"
        lines.append(f"{pad}{paint(arrow, _BLUE)} {where}")
        source_line = _source_line(sources, file, span)
        if span is None or source_line is None:
            return
        prefix = source_line[: span.column - 1].replace("\t", "    ")
        shown = source_line.replace("\t", "    ")
        last = span.end_column - 1 if span.end_line == span.line else len(source_line)
        marked = source_line[span.column - 1 : last].replace("\t", "    ")
        underline = paint(mark * max(len(marked), 1) + (f" {label}" if label else ""), style)
        lines.append(gutter)
        lines.append(f"{paint(str(span.line).rjust(width) + ' |', _BLUE)} {shown}".rstrip())
        lines.append(f"{gutter} {' ' * len(prefix)}{underline}".rstrip())

    location("-->", diag.file, diag.span, "^", "", sev_style)
    for file, span, label in diag.related:
        location(":::", file, span, "-", label, _BLUE)
    for note in diag.notes:
        lines.append(f"{pad} {paint('=', _BLUE)} {paint('hjelp', _BOLD)}: {note}")
    if diag.legal_basis is not None:
        b = diag.legal_basis
        lines.append(f"{pad} {paint('=', _BLUE)} {paint('hjemmel', _BOLD)}: {b.kilde} {b.paragraf}: «{b.setning}»")
    if diag.fix is not None:
        lines.append(f"{pad} {paint('=', _BLUE)} {paint('rettelse', _BOLD)}: {diag.fix}")
    if diag.witness is not None:
        shown = json.dumps(_jsonable(diag.witness), ensure_ascii=False)
        lines.append(f"{pad} {paint('=', _BLUE)} {paint('eksempel', _BOLD)}: {shown}")
    return "\n".join(lines)


def _source_line(sources: Mapping[str, str], file: str, span: Span | None) -> str | None:
    if span is None or file not in sources:
        return None
    source_lines = sources[file].split("\n")
    if not 1 <= span.line <= len(source_lines):
        return None
    return source_lines[span.line - 1].removesuffix("\r")


def to_json(diagnostics: Iterable[Diagnostic]) -> list[dict]:
    """Convert diagnostics to JSON-ready dicts with a stable key order."""
    return [
        {
            "code": d.code,
            "severity": d.severity.value,
            "message": d.message,
            "file": d.file,
            **_span_json(d.span),
            "notes": list(d.notes),
            "related": [
                {"file": file, **_span_json(span), "label": label} for file, span, label in d.related
            ],
            **_legal_json(d),
        }
        for d in diagnostics
    ]


def _legal_json(d: Diagnostic) -> dict:
    """The legal basis, fix and witness of a legality finding; nothing for other diagnostics."""
    out: dict = {}
    if d.legal_basis is not None:
        out["legal_basis"] = d.legal_basis.to_json()
    if d.fix is not None:
        out["fix"] = d.fix
    if d.witness is not None:
        out["witness"] = _jsonable(d.witness)
    return out


def _jsonable(value):
    """Decimals and dates in a witness søknad as exact JSON: whole numbers, else strings."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _span_json(span: Span | None) -> dict:
    if span is None:
        return {"line": None, "column": None, "end_line": None, "end_column": None}
    return {
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    """Render diagnostics as an indented JSON array."""
    return json.dumps(to_json(diagnostics), indent=2, ensure_ascii=False)


_FILE_PROBLEMS = {errno.ENOENT: "finnes ikke", errno.EACCES: "mangler tilgang", errno.EISDIR: "er en mappe",
                  errno.ENOSPC: "disken er full", errno.EROFS: "skrivebeskyttet filsystem",
                  errno.ENAMETOOLONG: "filnavnet er for langt", errno.ENOTDIR: "en del av stien er ikke en mappe",
                  errno.EPERM: "ikke tillatt", errno.ELOOP: "for mange symbolske lenker etter hverandre",
                  errno.EMFILE: "for mange åpne filer", errno.EBUSY: "filen er i bruk", errno.EEXIST: "finnes fra før",
                  errno.EIO: "lese- eller skrivefeil på disken", errno.EINVAL: "ugyldig filnavn",
                  errno.EDQUOT: "diskkvoten er brukt opp", errno.EFBIG: "filen er for stor"}


def file_reason(error: OSError) -> str:
    """Why a file cannot be used, in Norwegian: «finnes ikke», «mangler tilgang», … (the system's own text
    is English, so an error without a Norwegian text is named by its code: «systemfeil EXDEV»)."""
    if error.errno in _FILE_PROBLEMS:
        return _FILE_PROBLEMS[error.errno]
    return f"systemfeil {errno.errorcode.get(error.errno, error.errno)}" if error.errno else "ukjent feil"


def utf8_position(data: bytes, error: UnicodeDecodeError) -> tuple[int, int, str]:
    """Line and column (1-based, in characters) of the first byte that is not UTF-8, and the message
    «ugyldig UTF-8 (byte 0xff)»."""
    start = error.start
    line_start = data.rfind(b"\n", 0, start) + 1
    column = len(data[line_start:start].decode("utf-8", "replace")) + 1
    return data.count(b"\n", 0, start) + 1, column, f"ugyldig UTF-8 (byte 0x{data[start]:02x})"


def file_problem(path: object, action: str, error: OSError) -> BoligreglerError:
    """A Norwegian message for a file that cannot be read or written, e.g. «x.json: kan ikke lese filen (finnes ikke)»."""
    return BoligreglerError(f"{path}: kan ikke {action} filen ({file_reason(error)})", code="fil",
                            params={"fil": str(path), "handling": action, "grunn": file_reason(error)})
