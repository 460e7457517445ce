"""Validate a søknad (a dict as in soknad.md) against the schema a policy declares.

Every problem is reported at once, each with its JSON path
(`husstand.barn[1].alder: må være et heltall mellom 0 og 17`). Defaults are
applied only where the schema writes one.

The schema is compiled once into small converter functions (one per field type), so a
valid søknad costs a few dict lookups per field; paths are formatted only on failure.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import attrs

from boligregler.diagnostics import BoligreglerError, Problem, format_path, suggest
from boligregler.evaluation.runtime import EvaluationError, NotAssessed, Unassessed
from boligregler.model import types as T
from boligregler.limits import MAX_INTEGER, grouped, magnitude_exceeds
from boligregler.money import parse_money


class SoknadError(BoligreglerError):
    """A søknad that does not match the policy's schema; `problems` lists every one (see `Problem`)."""

    code = "ugyldig_soknad"

    def __init__(self, problems: list[Problem]):
        self._problems = tuple(problems)
        super().__init__("søknaden er ugyldig:\n" + "\n".join(f"  {p}" for p in self._problems))

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self._problems


MAX_UNKNOWN_REPORTED = 100  # unknown keys listed one by one per object; the rest are counted (linear time)
Path = tuple  # JSON path segments: field names and list indexes, formatted only when a problem is found
Convert = Callable[[Any, Path, "Run"], Any]


class Run:
    """The state of one validation: problems found and `påkrevd når` checks still to do.

    `unknown` is None for a søknad that must be complete. For a partial one it holds the paths
    (as written, `husstand.barn[0].alder`) to leave unknown although they have a default; every
    required fact that is absent is then not yet given (an `Unassessed` value), not a problem.
    """

    __slots__ = ("problems", "conditional", "unknown")

    def __init__(self, unknown: frozenset[str] | None = None):
        self.problems: list[Problem] = []
        self.conditional: list[tuple[Path, T.FieldSpec]] = []
        self.unknown = unknown

    def fail(self, path: Path, code: str, message: str, **params: Any) -> None:
        self.problems.append(Problem(format_path(path), message, code, params, segments=tuple(path)))


def _integer(value: Any) -> Decimal | None:
    if type(value) is int:
        return Decimal(value)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        return None
    try:
        d = Decimal(value) if not isinstance(value, str) else Decimal(value.strip())
    except InvalidOperation:
        return None
    return d if d.is_finite() and (d.adjusted() > 40 or d == d.to_integral_value()) else None


def _integer_converter(unit: str, low, high) -> Convert:
    low = low if low is not None else (Decimal(0) if unit == "antall" else None)
    if low is not None and high is not None:
        message = f"må være et heltall mellom {low} og {high}"
    elif low is not None:
        message = f"må være et heltall på minst {low}"
    else:
        message = "må være et heltall"
    limits = {k: int(v) for k, v in (("min", low), ("maks", high)) if v is not None}
    too_large = f"er for stort; et heltall i søknaden kan være høyst {grouped(MAX_INTEGER)}"

    def convert(value, path, run):
        n = _integer(value)
        if n is None:
            run.fail(path, "heltall", message, **limits)
        elif magnitude_exceeds(n, MAX_INTEGER):
            run.fail(path, "utenfor_grenser", too_large, maks=MAX_INTEGER)
            return None
        elif (low is not None and n < low) or (high is not None and n > high):
            run.fail(path, "utenfor_grenser", message, verdi=n, **limits)
        return n
    return convert


def _money(value, path, run):
    try:
        money = parse_money(value)
    except ValueError as e:
        run.fail(path, "belop", str(e))
        return None
    if money < 0:
        run.fail(path, "negativt", "kan ikke være negativt", verdi=money)
    return money


def _number_converter(unit: str) -> Convert:
    percent = unit in ("%", "prosentpoeng")

    def convert(value, path, run):
        try:
            number = parse_money(value)
        except ValueError as e:
            run.fail(path, "tall", "må være et tall" + (f"; {e}" if "høyst" in str(e) else ""))
            return None
        return number / 100 if percent else number
    return convert


def _bool(value, path, run):
    if value is not True and value is not False:
        run.fail(path, "sannhetsverdi", "må være true eller false")
    return value


def _shown(text: str) -> str:
    """A text from the søknad as a message can show it: at most 60 characters, a lone surrogate escaped."""
    text = text if len(text) <= 60 else text[:60] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value, path, run):
    if not isinstance(value, str):
        run.fail(path, "tekst", "må være en tekst")
    elif not value.isascii() and not _encodable(value):
        run.fail(path, "tekst", "inneholder et ugyldig tegn (en enslig UTF-16-surrogat)")
    return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value, path, run):
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):  # fromisoformat also takes 20260301, 2026W101
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            run.fail(path, "dato", f"{value} er ikke en dato som finnes")
            return None
    run.fail(path, "dato", "må være en dato på formen ÅÅÅÅ-MM-DD")
    return None


def _enum_converter(values: tuple[str, ...]) -> Convert:
    allowed = frozenset(values)

    def convert(value, path, run):
        if value not in allowed if isinstance(value, str) else True:
            guess = suggest(value, values) if isinstance(value, str) and len(value) <= 100 else None
            hint = f"; mente du «{guess}»?" if guess else f"; gyldige verdier: {', '.join(values)}"
            shown = f"«{_shown(value)}»" if isinstance(value, str) else "verdien"
            run.fail(path, "ugyldig_verdi", f"{shown} er ikke en gyldig verdi{hint}",
                     gyldige=list(values), **({"forslag": guess} if guess else {}))
        return value
    return convert


def _list_converter(element: Convert, min_items: int) -> Convert:
    too_few = f"må ha minst {min_items} element" + ("er" if min_items > 1 else "")

    def convert(value, path, run):
        if not isinstance(value, list):
            run.fail(path, "liste", "må være en liste")
            return []
        if len(value) < min_items:
            run.fail(path, "for_faa_elementer", too_few, min_elementer=min_items, antall=len(value))
        return [element(v, (*path, i), run) for i, v in enumerate(value)]
    return convert


REASONS = "begrunnelse"  # beside a case worker's assessments: {fact: the case worker's short reason}
REASON_LENGTH = 2000


def _domain(spec: T.FieldSpec, optional: bool) -> tuple | None:
    """Every value that decides a fact not yet given: a yes/no or choice's, a compared number's;
    of a fact the søknad may leave out (`optional`), also `ingen` and its default."""
    if isinstance(spec.type, T.Bool):
        values: tuple | None = (False, True)
    elif isinstance(spec.type, T.Enum):
        values = spec.type.values
    else:
        values = spec.domain
    if values is None or not optional:
        return values
    absent = [v for v in ((None,) if spec.nullable else ()) + ((spec.default,) if spec.has_default else ())
              if v not in values]
    return (*values, *dict.fromkeys(absent))


CATEGORY = re.compile(r"\s*\bkategori:\s*\w+\.?")  # the legality lint's tag in a field's doc comment


def description(doc: str) -> str:
    """A field's doc comment as the Norwegian description of the fact, without its `kategori:` tag."""
    return CATEGORY.sub("", doc).strip()


def unassessed(path: Path, spec: T.FieldSpec, *, optional: bool = False,
               required: Callable[[Any], bool] | None = None) -> Unassessed:
    """The value of a fact at `path` that is not yet given or assessed.

    An `oppgis av` fact names who provides it; any other fact of the søknad is the applicant's.
    An `optional` fact may be left out (`ingen`, or its default) too: always, or where `required`
    (its `påkrevd når`, of the completed facts) does not hold.
    """
    return Unassessed(tuple(path), format_path(path), _domain(spec, optional or required is not None),
                      spec.provided_by or "søker", described(path, spec), spec.nullable, required)


def worded(record: T.Record, text: Callable[[tuple[str, ...]], str | None], path: tuple[str, ...] = (),
           lines: tuple[str | None, ...] = ()) -> T.Record:
    """The schema with each fact described as the policy words it (`opplysning` texts), where it does, and
    each list line named by the list's text: a nynorsk policy names every missing fact in nynorsk."""
    fields = {}
    for key, spec in record.fields.items():
        here, t = (*path, key), spec.type
        own = text(here)
        if isinstance(t, T.Record):
            t = worded(t, text, here, lines)
        elif isinstance(t, T.ListOf) and isinstance(t.element, T.Record):
            t = T.ListOf(worded(t.element, text, here, (*lines, line_label(own))), t.min_items)
        fields[key] = attrs.evolve(spec, type=t, doc=spec.doc if own is None else own, lines=lines)
    return T.Record(fields)


def described_schema(model) -> T.Record:
    """The schema a policy's søknader are validated against: its facts worded as the policy words them
    (`worded`), so a fact not yet given is described the same whether it comes from JSON or columns."""
    return worded(model.schema, model.fact_text) if model.fact_texts else model.schema


def line_label(text: str | None) -> str | None:
    """A list's text as the name of one of its lines: up to its first comma, parenthesis or full stop,
    in lower case («Borna i hushaldet ditt (under 18 år).» → «borna i hushaldet ditt»)."""
    if text is None:
        return None
    label = re.split(r"[(;,.]", text)[0].strip()
    return label[:1].lower() + label[1:] or None


def described(path: Path, spec: T.FieldSpec) -> str:
    """A fact in Norwegian: its doc comment, else its name in words; the line of a list it is in, named by the
    list's text where the policy gives one (`worded`), else by the list's name.

    `husstand.barn[1].alder` → «Barnets alder (barn nr. 2)»; with nasjonal_nynorsk's texts «Alderen til
    barnet (borna i hushaldet ditt, nr. 2)».
    """
    text = description(spec.doc).rstrip(".") or str(path[-1]).replace("_", " ").capitalize()
    labels = iter(spec.lines)
    lines = []
    for i, part in enumerate(path):
        if isinstance(part, int) and i > 0:
            label = next(labels, None)
            lines.append(f"{label}, nr. {part + 1}" if label else f"{str(path[i - 1]).replace('_', ' ')} nr. {part + 1}")
    return f"{text} ({'; '.join(lines)})" if lines else text


def _reasons(value: Any, assessed: frozenset[str], path: Path, run: Run) -> dict[str, str]:
    """The case worker's reasons beside the assessments of a record, checked."""
    if not isinstance(value, dict):
        run.fail(path, "objekt", "må være et objekt med saksbehandlers begrunnelse for hver vurdering")
        return {}
    out = {}
    for key, text in value.items():
        if key not in assessed:
            guess = suggest(str(key), sorted(assessed))
            run.fail((*path, str(key)), "ukjent_felt", "er ikke en vurdering saksbehandler gjør i denne delen av søknaden"
                     + (f"; mente du «{guess}»?" if guess else ""), **({"forslag": guess} if guess else {}))
        elif not isinstance(text, str) or not text.strip():
            run.fail((*path, key), "tekst", "må være en tekst som ikke er tom")
        elif len(text) > REASON_LENGTH:
            run.fail((*path, key), "for_lang", f"er for lang; skriv høyst {REASON_LENGTH} tegn", maks_tegn=REASON_LENGTH)
        else:
            out[key] = text.strip()
    return out


def _record_converter(record: T.Record) -> Convert:
    fields = [(key, spec, converter(spec.type, spec.low, spec.high)) for key, spec in record.fields.items()]
    assessed = frozenset(k for k, spec in record.fields.items() if spec.provided_by == "saksbehandler")
    names = tuple(record.fields) + ((REASONS,) if assessed else ())
    known = frozenset(names)
    absent: dict[Path, Unassessed] = {}  # one per path, so copies of the facts compare equal

    def not_assessed(path: Path, spec: T.FieldSpec, optional: bool = False) -> Unassessed:
        if path not in absent:
            absent[path] = unassessed(path, spec, optional=optional)
        return absent[path]

    def fill(data: dict, path: Path, run: Run) -> dict:
        out: dict[str, Any] = {}
        if not data.keys() <= known:
            unknown = [key for key in data if key not in known]
            for key in unknown[:MAX_UNKNOWN_REPORTED]:
                guess = suggest(str(key), names) if len(str(key)) <= 100 else None
                run.fail((*path, _shown(str(key))), "ukjent_felt",
                         "ukjent felt" + (f"; mente du «{guess}»?" if guess else ""),
                         **({"forslag": guess} if guess else {}))
            if len(unknown) > MAX_UNKNOWN_REPORTED:
                rest = len(unknown) - MAX_UNKNOWN_REPORTED
                run.fail(path, "ukjent_felt", f"og {rest} ukjente felt til i dette objektet", antall=rest)
        if assessed and REASONS in data:
            out[REASONS] = _reasons(data[REASONS], assessed, (*path, REASONS), run)
        for key, spec, convert in fields:
            if key in data:
                value = data[key]
                if value is None and spec.provided_by is not None:
                    out[key] = not_assessed((*path, key), spec)
                elif value is None:
                    if not spec.nullable:
                        run.fail((*path, key), "ikke_null", "kan ikke være null")
                    elif spec.required_when is not None:
                        run.conditional.append(((*path, key), spec))
                    out[key] = None
                else:
                    out[key] = convert(value, (*path, key), run)
            elif spec.provided_by is not None:
                out[key] = not_assessed((*path, key), spec)
            elif spec.required_when is not None:
                out[key] = copy.deepcopy(spec.default)
                run.conditional.append(((*path, key), spec))
            elif run.unknown is not None and not isinstance(spec.type, T.Record) and (
                    not spec.has_default or format_path((*path, key)) in run.unknown):
                out[key] = not_assessed((*path, key), spec, spec.has_default or spec.nullable)  # not given yet
            elif spec.has_default or run.unknown is not None:  # (a record a partial søknad lacks: each fact in it)
                default = spec.default if spec.has_default else {}
                if isinstance(spec.type, T.Record) and default == {}:
                    out[key] = convert({}, (*path, key), run)
                else:
                    out[key] = copy.deepcopy(default) if isinstance(default, (list, dict)) else default
            else:
                run.fail((*path, key), "mangler", "mangler")
        return out

    def convert(value, path, run):
        if not isinstance(value, dict):
            run.fail(path, "objekt", "må være et objekt")
            return {}
        return fill(value, path, run)
    return convert


def converter(t: T.Type, low=None, high=None) -> Convert:
    """The converter for one schema type: checks a JSON value and returns the fact."""
    match t:
        case T.Num(unit, integer=True):
            return _integer_converter(unit, low, high)
        case T.Num(unit) if unit in ("kr", "kr/mnd"):
            return _money
        case T.Num(unit):
            return _number_converter(unit)
        case T.Bool():
            return _bool
        case T.Text():
            return _text
        case T.Date():
            return _date
        case T.Enum(_, values):
            return _enum_converter(values)
        case T.ListOf(element, min_items):
            return _list_converter(converter(element), min_items)
        case T.Record():
            return _record_converter(t)
    raise AssertionError(t)


CASE_FIELD = "sak"


def _case_text(doc: str) -> T.FieldSpec:
    return T.FieldSpec(T.TEXT, nullable=True, has_default=True, doc=doc, origin="boligregler", case_metadata=True)


# Case metadata every søknad may carry for the letter's frame. The assessment never reads it (a policy
# cannot name it), and the søknad hash that decides replay leaves it out (explain.replay).
CASE_METADATA = T.FieldSpec(T.Record({
    "saksnummer": _case_text("Kommunens saksnummer."),
    "dato": T.FieldSpec(T.DATE, nullable=True, has_default=True, doc="Datoen brevet sendes.", origin="boligregler",
                        case_metadata=True),
    "søker_navn": _case_text("Navnet på søkeren eller søkerne, slik det står i brevet."),
    "søker_adresse": _case_text("Søkerens postadresse; linjeskift skiller linjene."),
    "saksbehandler": _case_text("Saksbehandleren som signerer brevet."),
    "enhet": _case_text("Enheten som behandler saken; går foran regelverkets «enhet»."),
    "postadresse": _case_text("Kommunens postadresse; går foran regelverkets. Linjeskift skiller linjene."),
    "kontakt": _case_text("Telefon eller e-post for spørsmål; går foran regelverkets «kontakt»."),
    "klageinstans": _case_text("Klageinstansen, navngitt; går foran regelverkets «klageinstans»."),
    "klageinstans_adresse": _case_text("Klageinstansens adresse; går foran regelverkets."),
    "automatisert": T.FieldSpec(T.BOOL, has_default=True, default=False, origin="boligregler", case_metadata=True,
                                doc="Vedtaket treffes automatisk, uten at en saksbehandler signerer det."),
}), has_default=True, default={}, origin="boligregler", case_metadata=True,
    doc="Saksopplysninger til brevet. De brukes aldri i vurderingen og er ikke med i søknadens sha256.")


def with_case_metadata(schema: T.Record) -> T.Record:
    """The policy's søknad schema with the case metadata (`sak`) every søknad may carry."""
    return T.Record({**schema.fields, CASE_FIELD: CASE_METADATA})


def compile_validator(schema: T.Record, required_check: Callable[[Any, dict], bool]) -> Callable[..., dict]:
    """A function that turns a søknad into facts (Decimal money, dates, defaults) or raises `SoknadError`.

    The facts include the case metadata under `sak` (see `CASE_METADATA`). `validate(data,
    unknown=paths)` reads a partial søknad: every required fact it lacks, every `påkrevd når`
    fact that is or may be required, and every path in `unknown` is not yet given (`Unassessed`),
    as an absent `oppgis av` fact is; only the other problems raise.
    """
    root = _record_converter(with_case_metadata(schema))

    def validate(data: Any, unknown: frozenset[str] | None = None) -> dict:
        run = Run(unknown)
        if not isinstance(data, dict):
            run.fail((), "objekt", "søknaden må være et JSON-objekt")
            raise SoknadError(run.problems)
        facts = root(data, (), run)
        for path, spec in run.conditional:
            value: Unassessed | None = None
            try:
                needed = required_check(spec.required_when, facts)
            except NotAssessed:  # it may be required, depending on a fact not yet given
                if unknown is not None:
                    value = unassessed(path, spec, required=lambda f, c=spec.required_when: required_check(c, f))
                needed = False
            except (KeyError, TypeError, EvaluationError):
                continue  # the condition reads a field that is itself invalid; that problem is reported already
            if needed and unknown is not None:
                value = unassessed(path, spec)
            elif needed:
                run.fail(path, "paakrevd", "mangler; feltet er påkrevd for denne søknaden")
            elif value is None and unknown is not None and format_path(path) in unknown:
                value = unassessed(path, spec, optional=True)  # marked not yet known, though not required
            if value is not None:
                parent = facts
                for part in path[:-1]:
                    parent = parent[part]
                parent[path[-1]] = value
        if run.problems:
            raise SoknadError(run.problems)
        return facts
    return validate
