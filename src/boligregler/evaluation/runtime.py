"""Functions the compiled policy code calls at run time: dated parameters, tables, finance."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal, getcontext
from typing import Any, Callable

import attrs

from boligregler.diagnostics import BoligreglerError, Problem
from boligregler.evaluation.values import Ratio
from boligregler.model import types as T
from boligregler.model.policy import CheckedPolicy
from boligregler.syntax import ast
from boligregler.money import RoundingMode, format_kr, format_number, format_percent, round_with
from boligregler.norsk import tall_med_enhet

ZERO = Decimal(0)
TWELVE = Decimal(12)
DATE_KEY = "@dato"


class EvaluationError(BoligreglerError):
    """A søknad the policy cannot decide: a date before a parameter's first value, a missing fact."""

    code = "kan_ikke_vurderes"
    path = ""  # the søknad field involved, when known (see evaluation.locate)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (Problem(self.path, str(self), self.code, self.params),)


class MissingFact(EvaluationError):
    code = "mangler_faktum"

    def __init__(self, path: str):
        self.path = path
        super().__init__(f"søknadsfeltet «{path}» mangler, men trengs for vurderingen", params={"felt": path})

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (Problem(self.path, str(self), self.code, self.params),)


def divide(a, b, where: str):
    """a / b; a zero divisor is an `EvaluationError` naming the rule and line (`where`), not a crash."""
    if not b:
        raise EvaluationError(f"deling med null i {where}: divisoren er 0 for denne søknaden",
                              code="deling_med_null", params={"hvor": where})
    return a / b


def division_sites(scheme) -> dict[int, str]:
    """id of every `/` node in the scheme's computations and criteria → «navn» (fil:linje), for messages."""
    sites: dict[int, str] = {}
    definitions = [(name, c.origin, c.expr) for name, c in scheme.computations.items()]
    for crit in scheme.criteria:
        exprs = [crit.condition, crit.relevance, *(e.condition for e in crit.exceptions)]
        definitions += [(crit.id, crit.origin, x) for x in exprs if x is not None]
    for name, origin, expr in definitions:
        stack = [expr]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Binary) and node.op == "/":
                line = f":{node.span.line}" if node.span is not None else ""
                sites[id(node)] = f"«{name}» ({origin.file if origin else '?'}{line})"
            if attrs.has(type(node)):
                stack += [getattr(node, f.name) for f in attrs.fields(type(node))]
            elif isinstance(node, tuple):
                stack += list(node)
    return sites


class NotAssessed(MissingFact):
    """A fact that may be absent (`oppgis av …`) was read before anyone gave or assessed it."""

    def __init__(self, fact: "Unassessed"):
        self.fact = fact
        super().__init__(fact.text)


class Unassessed:
    """The value of a fact nobody has given or assessed yet. Every use of it raises `NotAssessed`.

    The validator puts one in place of each absent `oppgis av` fact, so a complete søknad costs
    nothing extra and a criterion that reads the fact says so by raising. `domain` lists values
    that decide every completion: every value of a yes/no or a choice, one per interval of a
    number the policy only compares with constants (`model.domains`), else None. One instance
    exists per policy and path, so copies of the facts keep it.
    """

    __slots__ = ("path", "text", "domain", "provided_by", "doc", "nullable", "required")

    def __init__(self, path: tuple, text: str, domain: tuple | None, provided_by: str, doc: str,
                 nullable: bool = False, required: Callable[[Any], bool] | None = None):
        self.path, self.text, self.domain, self.provided_by, self.doc = path, text, domain, provided_by, doc
        self.nullable = nullable  # a field that may be `ingen`: whether it is given is not known either
        # a field the søknad may leave out (`ingen`, None in `domain`) unless this `påkrevd når` holds of the facts
        self.required = required

    def _read(self, *_):
        raise NotAssessed(self)

    __bool__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _read
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _read
    __neg__ = __abs__ = __int__ = __float__ = __index__ = __format__ = __str__ = __len__ = __iter__ = _read
    __contains__ = __getitem__ = _read

    def __repr__(self) -> str:
        return f"<ikke vurdert: {self.text}>"

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def assessed(value):
    """Read a fact that may be absent: raises `NotAssessed` at once if nobody has given it yet."""
    if value.__class__ is Unassessed:
        raise NotAssessed(value)
    return value


def given(value) -> bool:
    """The fact is there (neither `ingen` nor not yet given or assessed)."""
    return value is not None and value.__class__ is not Unassessed


def stated(value) -> bool:
    """`oppgitt(…)` in a rule: `given`, except that of a field that may be `ingen` and is missing
    from a partial søknad, it is not known yet whether it will be given (raises `NotAssessed`)."""
    if value.__class__ is Unassessed and value.nullable:
        raise NotAssessed(value)
    return given(value)


def required(value, path: str):
    if value is None:
        raise MissingFact(path)
    return value


class DatedLookup:
    """Pick the value of a dated parameter or table in force on a date."""

    def __init__(self, policy: CheckedPolicy):
        self.params = {n: ([v.valid_from for v in p.values], [v.value for v in p.values])
                       for n, p in policy.parameters.items()}
        self.tables = {n: ([v.valid_from for v in t.versions], [v.rows for v in t.versions])
                       for n, t in policy.tables.items()}

    @staticmethod
    def _pick(name: str, dates: list[dt.date], values: list, on: dt.date, what: str):
        i = bisect.bisect_right(dates, on) - 1
        if i < 0:
            first = dates[0].isoformat() if dates else "–"
            raise EvaluationError(
                f"søknadsdatoen {on.isoformat()} er før første verdi av {what} «{name}», som gjelder fra {first}",
                code="dato_foer_foerste_verdi", params={"søknadsdato": on, "navn": name, "gyldig_fra": first})
        return values[i]

    def parameter(self, M: dict, name: str):
        dates, values = self.params[name]
        value = M["p:" + name] = self._pick(name, dates, values, M[DATE_KEY], "parameteren")
        return value

    def table(self, M: dict, name: str, *keys):
        version, row = self.row(M, name, keys)
        return self.tables[name][1][version][row][1]

    def row(self, M: dict, name: str, keys: tuple) -> tuple[int, int]:
        """The (version, row) of table `name` that `keys` (one per dimension) select on the søknadsdato."""
        dates, versions = self.tables[name]
        version = self._pick(name, dates, range(len(versions)), M[DATE_KEY], "tabellen")
        for row, (row_keys, _) in enumerate(versions[version]):
            if all(_holds(row_key, key) for row_key, key in zip(row_keys, keys)):
                return version, row
        shown = ", ".join(str(k) for k in keys)
        raise EvaluationError(f"tabellen «{name}» har ingen rad for {shown}", code="tabell_uten_rad",
                              params={"tabell": name, "nøkkel": keys[0] if len(keys) == 1 else list(keys)})


def _holds(row_key, key) -> bool:
    """Whether a row's key (a text, or an inclusive integer range) holds `key`."""
    if isinstance(row_key, tuple):
        return row_key[0] <= key and (row_key[1] is None or key <= row_key[1])
    return row_key == key


def _term(rate: Decimal, years: Decimal, at_least: int) -> tuple[Decimal, int]:
    """The monthly rate and the months of `annuitet`/`nåverdi`; a term they cannot use is an `EvaluationError`
    (located by the caller), never a `decimal` exception."""
    n = int(years * 12)
    if n < at_least:
        raise EvaluationError("nedbetalingstiden er kortere enn én måned, så en månedlig betaling kan ikke regnes ut"
                              if at_least else "nedbetalingstiden er negativ", code="ugyldig_nedbetalingstid")
    return rate / TWELVE, n


_DISCOUNTS: dict[tuple, Decimal] = {}  # (i, n, precision, rounding) → (1 + i)^−n: a policy has few rates and terms


def discount(i: Decimal, n: int) -> Decimal:
    """(1 + i)^−n, the present value of 1 kr paid after n months; an `EvaluationError` where it cannot be had.
    Remembered per rate, term and decimal context (a power costs as much as the rest of a `nåverdi`)."""
    context = getcontext()
    key = (i, n, context.prec, context.rounding)
    value = _DISCOUNTS.get(key)
    if value is not None:
        return value
    if 1 + i <= 0:
        raise EvaluationError("renten er −1 200 % eller lavere, så annuitet og nåverdi kan ikke regnes ut", code="ugyldig_rente")
    try:
        value = (1 + i) ** -n
    except ArithmeticError:  # Overflow: a negative rate over a very long term
        raise EvaluationError("beløpet blir for stort til å regnes ut (en negativ rente over svært lang tid)",
                              code="utenfor_tallomraadet") from None
    if len(_DISCOUNTS) >= 4096:  # bounded: rates and terms per row in a register would grow it without end
        _DISCOUNTS.clear()
    _DISCOUNTS[key] = value
    return value


# (id of the rate, id of the term, at_least, precision, rounding) → (rate, term, i, n, 1 − (1 + i)^−n or None for i = 0)
_SCHEDULES: dict[tuple, tuple] = {}


def _schedule(rate: Decimal, years: Decimal, at_least: int) -> tuple[Decimal, int, Decimal | None]:
    """`_term` and 1 − `discount` for `annuitet`/`nåverdi`, remembered per rate and term object and decimal context:
    the very objects (a parameter, a fact), so a rate written 0.05 and one written 0.050 are never confused.
    An entry keeps its objects, so their ids are not reused while it is there."""
    context = getcontext()
    key = (id(rate), id(years), at_least, context.prec, context.rounding)
    known = _SCHEDULES.get(key)
    if known is not None and known[0] is rate and known[1] is years:
        return known[2:]
    i, n = _term(rate, years, at_least)
    rest = None if i == 0 else 1 - discount(i, n)
    if len(_SCHEDULES) >= 4096:  # bounded, as `_DISCOUNTS`
        _SCHEDULES.clear()
    _SCHEDULES[key] = (rate, years, i, n, rest)
    return i, n, rest


def annuity(loan: Decimal, rate: Decimal, years: Decimal) -> Decimal:
    """Monthly payment on `loan` at yearly `rate` over `years`, unrounded (beregning.md § 2.9)."""
    i, n, rest = _schedule(rate, years, 1)
    if rest is None:
        return loan / n
    return loan * i / rest


def present_value(payment: Decimal, rate: Decimal, years: Decimal) -> Decimal:
    """The loan a monthly `payment` serves at yearly `rate` over `years` (inverse of `annuity`)."""
    i, n, rest = _schedule(rate, years, 0)
    if rest is None:
        return payment * n
    return payment * rest / i


def monthly_interest(loan: Decimal, rate: Decimal) -> Decimal:
    return loan * rate / TWELVE


def loan_for_interest(payment: Decimal, rate: Decimal) -> Decimal:
    if rate == 0:
        raise EvaluationError("renten er 0 %, så lånet som svarer til et rentebeløp er ubegrenset", code="rente_null")
    return payment * TWELVE / rate


_ROUNDINGS = {m.value: m.decimal_mode for m in RoundingMode}


def rounded(value: Decimal, unit: Decimal, mode: str) -> Decimal:
    if value.__class__ is Unassessed:
        raise NotAssessed(value)
    return round_with(value, unit, _ROUNDINGS[mode])


def formatter(t: T.Type, målform: str | None = "bokmål"):
    """How a value of type `t` is written inside a Norwegian explanation, in the policy's `målform` (bokmål
    or nynorsk; a fact not given raises)."""
    write = _writer(t, målform == "nynorsk")

    def written(value):
        if value.__class__ is Unassessed:  # `assessed`, without a call per hole
            raise NotAssessed(value)
        return write(value)
    return written


def _writer(t: T.Type, nynorsk: bool = False):
    match t:
        case T.Num("kr") | T.Num("kr/mnd"):
            return format_kr
        case T.Num("%"):
            return lambda v: format_percent(v, trimmed=True)
        case T.Num("prosentpoeng"):
            return lambda v: f"{format_number(v * 100)} prosentpoeng"
        case T.Num("år"):
            return lambda v: f"{format_number(v)} år"
        case T.Num("måneder"):
            return (lambda v: tall_med_enhet(v, "månad", "månader")) if nynorsk else \
                (lambda v: tall_med_enhet(v, "måned", "måneder"))
        case T.Num("andel"):
            return lambda v: str(v) if isinstance(v, Ratio) else format_number(v)
        case T.Num():
            return format_number
        case T.Bool():
            return lambda v: "ja" if v else "nei"
        case T.Date():
            return lambda v: v.strftime("%d.%m.%Y")
    return str
