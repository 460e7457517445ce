"""Reading JSON from people and case systems: exact numbers, Norwegian messages, nothing silently dropped.

`load_json` parses numbers as `Decimal` (never float; integers of any length stay exact, and the
søknad validation checks their range), reports duplicate keys and lone UTF-16 surrogates
(`"\\ud800"`, which no UTF-8 output can hold) as errors, and raises `JsonError`: a
`json.JSONDecodeError` whose `msg` is Norwegian and which is also a `BoligreglerError`.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from decimal import Decimal
from typing import Any

from boligregler.diagnostics import BoligreglerError

MAX_DEPTH_MESSAGE = "for dypt nestet"
_MESSAGES = [  # CPython's json messages, in Norwegian
    ("Expecting value", "forventet en verdi"),
    ("Expecting ',' delimiter", "forventet «,» mellom elementene"),
    ("Expecting ':' delimiter", "forventet «:» etter nøkkelen"),
    ("Expecting property name enclosed in double quotes", "forventet en nøkkel i doble anførselstegn"),
    ("Unterminated string starting at", "teksten som starter her, er ikke avsluttet med \""),
    ("Invalid control character at", "ugyldig kontrolltegn i tekst (skriv det som \\n, \\t eller \\uXXXX)"),
    ("Invalid control character", "ugyldig kontrolltegn i tekst (skriv det som \\n, \\t eller \\uXXXX)"),
    ("Invalid \\uXXXX escape", "ugyldig \\uXXXX-kode"),
    ("Invalid \\escape", "ugyldig kode etter \\"),
    ("Extra data", "mer tekst etter JSON-verdien"),
    ("Illegal trailing comma before end of object", "komma før }"),
    ("Illegal trailing comma before end of array", "komma før ]"),
]


class JsonError(json.JSONDecodeError, BoligreglerError):
    """Invalid JSON; `msg` is Norwegian, `lineno`/`colno` locate it (1-based)."""

    code = "ugyldig_json"

    @property
    def params(self) -> dict:
        return {"linje": self.lineno, "kolonne": self.colno}

    def __str__(self) -> str:
        return f"linje {self.lineno}, kolonne {self.colno}: {self.msg}"


def norwegian_message(message: str) -> str:
    """CPython's JSON error message in Norwegian."""
    for english, norwegian in _MESSAGES:
        if message.startswith(english):
            return norwegian
    return "ugyldig JSON"


class _Duplicate(Exception):
    def __init__(self, key: str):
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        raise _Duplicate(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return out


def _integer(text: str) -> int | Decimal:
    # Python refuses int() of more than 4 300 digits; a Decimal keeps any length exact.
    return int(text) if len(text) <= 18 else Decimal(text)


class _Constant(Exception):
    pass


def _constant(name: str):
    raise _Constant(name)


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_int=_integer, parse_constant=_constant,
                            object_pairs_hook=_pairs)
_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')
_SURROGATE_ESCAPE = re.compile(r"\\+u[dD][89a-fA-F][0-9a-fA-F]{2}")


def load_json(text: str | bytes) -> Any:
    """Parse JSON with exact numbers; raises `JsonError` (located, Norwegian) for anything that is not
    plain JSON: syntax errors, duplicate keys, lone surrogates, nesting too deep to read."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise JsonError(f"ugyldig UTF-8 (byte {e.start + 1})", "", 0) from None
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as e:
        raise JsonError(norwegian_message(e.msg), text, e.pos) from None
    except RecursionError:
        raise JsonError(MAX_DEPTH_MESSAGE, text, 0) from None
    except _Constant as c:
        at = next((m.start() for m in _CONSTANT.finditer(text) if m.group(1)), 0)
        raise JsonError(f"{c.args[0]} er ikke et tall i JSON; oppgi et tall eller null", text, at) from None
    except _Duplicate as d:
        raise JsonError(f"nøkkelen «{_printable(d.key)}» står to ganger i samme objekt", text,
                        _duplicate_position(text, d.key)) from None
    _check_surrogates(text)
    return value


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _duplicate_position(text: str, key: str) -> int:
    """Where the second `key` of one object starts, found by the pure-Python scanner (error path only)."""
    found: list[int] = []
    decoder = json.JSONDecoder(parse_float=Decimal, parse_int=_integer)

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        start = s_and_end[1]

        def pairs(items):
            if not found and sum(k == key for k, _ in items) > 1:
                encoded = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')
                hits = [m.start() for m in encoded.finditer(text, start) if json.loads(f'"{m.group(1)}"') == key]
                found.append(hits[1] if len(hits) > 1 else start - 1)
            return dict(items)
        return json.decoder.JSONObject(s_and_end, strict, scan_once, object_hook, pairs, memo)

    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    try:
        decoder.decode(text)
    except (ValueError, RecursionError):
        pass
    return found[0] if found else 0


def _check_surrogates(text: str) -> None:
    """A `\\ud800` escape that is not half of a pair decodes to a character UTF-8 cannot hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise JsonError("ugyldig tegn (en enslig UTF-16-surrogat)", text, e.start) from None
    if "\\u" not in text:
        return
    for m in _SURROGATE_ESCAPE.finditer(text):
        backslashes = len(m.group()) - 5
        if backslashes % 2 == 0:
            continue  # an escaped backslash followed by the letters «ud…»
        start = m.end() - 6
        code = int(text[m.end() - 4:m.end()], 16)
        if code <= 0xDBFF:
            after = text[m.end():m.end() + 6]
            if re.fullmatch(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}", after):
                continue
        else:
            before = text[max(0, start - 6):start]
            if re.fullmatch(r"\\u[dD][89abAB][0-9a-fA-F]{2}", before) and _is_escape(text, start - 6):
                continue
        raise JsonError(f"ugyldig tegn: {text[start:m.end()]} er en enslig UTF-16-surrogat, ikke et tegn", text,
                        start)


def _is_escape(text: str, backslash: int) -> bool:
    """Whether the backslash at `backslash` starts an escape (is preceded by an even number of backslashes)."""
    i = backslash
    while i > 0 and text[i - 1] == "\\":
        i -= 1
    return (backslash - i) % 2 == 0
