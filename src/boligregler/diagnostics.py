"""Diagnostics reported by the parser, checker and linter, with text and JSON rendering."""

from __future__ import annotations

import difflib
import enum
import errno
import json
from collections.abc import Iterable, Mapping, Sequence

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
class Diagnostic:
    """One message about a policy file, optionally pointing at a span and related locations."""

    code: str
    severity: Severity
    message: str
    file: str
    span: Span | None
    notes: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    related: tuple[tuple[str, Span, str], ...] = attrs.field(default=(), converter=tuple)


class BoligreglerError(Exception):
    """Base class for all errors raised by the library."""


class PolicyError(BoligreglerError):
    """Raised when policy sources contain errors; ``str()`` renders the diagnostics."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: Mapping[str, str]) -> None:
        self.diagnostics = tuple(diagnostics)
        self.sources = dict(sources)
        super().__init__(self.diagnostics, self.sources)

    def __str__(self) -> str:
        return render_text(self.diagnostics, self.sources)


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
        }
        for d in diagnostics
    ]


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
                  errno.ENOSPC: "disken er full", errno.EROFS: "skrivebeskyttet filsystem"}


def file_reason(error: OSError) -> str:
    """Why a file cannot be used, in Norwegian: «finnes ikke», «mangler tilgang», …"""
    return _FILE_PROBLEMS.get(error.errno, error.strerror or "ukjent feil")


def file_problem(path: object, action: str, error: OSError) -> BoligreglerError:
    """A Norwegian message for a file that cannot be read or written, e.g. «x.json: kan ikke lese filen (finnes ikke)»."""
    return BoligreglerError(f"{path}: kan ikke {action} filen ({file_reason(error)})")
