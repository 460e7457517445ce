"""The checker: merge a `bygger på` chain and turn syntax trees into a `CheckedPolicy`.

Every problem is collected as a `Diagnostic` (never raised one at a time):
names are resolved with «mente du …?» hints, units and types are checked,
inheritance must be explicit (`overstyr`, `fjern`), computations may not form
cycles, parameter values must be dated in order and carry a source, and every
criterion needs a legal basis (hjemmel).
"""

from __future__ import annotations

import copy
from pathlib import Path
import datetime as dt
import hashlib
import itertools
import re
from decimal import Decimal
from typing import Any, Iterable

from boligregler.diagnostics import Diagnostic, PolicyError, Severity, Span, suggest
from boligregler.limits import MAX_HINTS
from boligregler.model import types as T
from boligregler.model.domains import set_number_domains
from boligregler.model.loader import shipped_base
from boligregler.model.policy import (
    KARTLEGGING_PRIORITY, CheckedPolicy, ComputeDef, ConditionDef, CriterionDef, DatedValue, ExampleDef, ExceptionDef,
    FactText, LetterSection, Lever, Origin, OutcomeRule, ParameterDef, SchemeDef, TableDef, TableVersion,
)
from boligregler.money import RoundingMode
from boligregler.norsk import MÅLFORMER, per_form, tall_med_enhet
from boligregler.syntax import ast
from boligregler.urls import is_web_address
from boligregler.syntax.template import KEYWORDS_IN_EXPRESSIONS, parse_template

HEADER_FIELDS = ("navn", "kommune", "vedtatt", "kilde", "klageinstans")
OPTIONAL_HEADER_FIELDS = ("versjon",)  # the policy's own version label, e.g. "2026.1"; shown in every vedtak
# The letterhead and language of the kommune's letters; a letter shows a visible gap for each one missing.
FRAME_FIELDS = ("enhet", "postadresse", "kontakt", "klageinstans_adresse", "automatisering_hjemmel", "målform",
                "ubekreftet")
# The letterhead fields `ubekreftet` may name: stated in the header, but not confirmed by the policy's sources.
LETTERHEAD = ("enhet", "postadresse", "kontakt", "klageinstans", "klageinstans_adresse", "automatisering_hjemmel")
# A letter text that shows what the policy does not know yet, «[mangler: …]» (nynorsk «[manglar: …]»).
VISIBLE_GAP = re.compile(r"\[mangl(?:er|ar): [^\]]*\]")


def shows_gap(template: ast.Template) -> bool:
    """Whether a letter text writes a visible gap a kommune is to fill by writing its own text."""
    return any(isinstance(part, str) and VISIBLE_GAP.search(part) for part in template.parts)
# The summary at the top of the kommune's public page (`kontakt` is shared with the letterhead);
# `vedtatt_antatt` says why «vedtatt» is an assumed date, which the page then says is not confirmed;
# `dokumentasjon_antatt` likewise why the list of documents is not the kommune's own.
PAGE_FIELDS = ("målgruppe", "slik_søker_du", "dokumentasjon", "dokumentasjon_antatt", "nettside", "vedtatt_antatt")
CRITERION_FIELDS = ("tittel", "art", "hjemmel", "lenke")
EXCEPTION_FIELDS = ("hjemmel", "forklaring", "gjelder_ikke", "lenke")
# Paragraphs of the decision letter (`begrunnelse { … }`), in the order the letter shows them. A name
# ending in «_punkt» is a point in the list of the part before it (`inntekt_punkt` in `inntekt`).
LETTER_SECTIONS = ("tittel", "innledning", "innvilget", "avslag", "manuell_vurdering", "ikke_avgjort", "lånevilkår",
                   "ordningsvilkår",
                   "grunnlag", "grunnlag_punkt", "inntekt", "inntektslinje", "inntekt_punkt", "utgifter",
                   "utgifter_punkt", "barnesats", "utgiftslinje", "betjeningsevne", "betjeningsevne_punkt",
                   "vurdering", "barn", "mangler", "svarfrist", "vurderes", "manuell", "endringer", "ingen_endring", "kombinasjoner", "klage",
                   "automatisering")
# Paragraphs written once per line of a søknad list: (the list's path, the name of the line, extra names).
LETTER_LINES = {
    "inntektslinje": (("inntekter",), "inn", {"medregnet": "kr/mnd"}),
    "barnesats": (("husstand", "barn"), "b", {}),
    "utgiftslinje": (("faste_utgifter",), "u", {}),
}
# Names every letter text may use besides the policy's own: texts from the header and the scheme.
LETTER_NAMES = ("kommune", "klageinstans", "klageinstans_adresse", "postadresse", "kontakt", "enhet",
                "automatisering_hjemmel", "regelverk_navn", "ordning_tittel", "barnas_alder")
KINDS = ("absolutt", "hovedregel", "informasjon")
RESULTS = ("oppfylt", "ikke_oppfylt", "unntak", "ikke_relevant", "ikke_vurdert")
OUTCOMES = ("innvilget", "avslag", "manuell_vurdering")
# `ikke_avgjort` is no outcome rule's: it is the outcome while facts a criterion depends on are missing.
OUTCOME_VALUES = (*OUTCOMES, "ikke_avgjort")
DECISION_SPECIAL = {"rente": "%", "nedbetalingstid_år": "år"}
RESERVED = KEYWORDS_IN_EXPRESSIONS | {"utfall", "tilbudte_ordninger"}

BUILTINS = {
    # name: (argument units, result unit)
    "annuitet": (("kr", "%", "år"), "kr/mnd"),
    "nåverdi": (("kr/mnd", "%", "år"), "kr"),
    "månedsrente": (("kr", "%"), "kr/mnd"),
    "lån_for_rente": (("kr/mnd", "%"), "kr"),
}
VARIADIC = ("maks", "min")
FUNCTIONS = (*BUILTINS, *VARIADIC, "avrund", "oppgitt", "antall_tekst")

CODES = {
    "S001": "uventet symbol", "S002": "blokk er ikke lukket", "S003": "mangler verdi",
    "S004": "feilstavet nøkkelord", "S005": "tekst uten avsluttende anførselstegn",
    "S006": "ugyldig tegn", "S007": "ugyldig dato", "S008": "navngitt type med «eller ingen»", "S009": "for dypt nestet uttrykk", "S011": "{…}-hull inne i en tekst i et {…}-hull",
    "S012": "for stor fil eller for lang linje",
    "N001": "ukjent navn", "N002": "dobbel definisjon", "N003": "overstyrer noe grunnlaget ikke har",
    "N004": "fjerner noe grunnlaget ikke har", "N005": "omdefinerer uten «overstyr»",
    "N006": "ukjent grunnlag", "N007": "ubrukt definisjon", "N008": "reservert ord", "N009": "parameter eller tabell i en ordning",
    "T001": "enheter som ikke passer sammen", "T002": "feil type", "T003": "beregnet type avviker fra den oppgitte",
    "T004": "feil argumenter til funksjon", "T005": "ugyldig valgverdi", "C001": "sirkulær beregning",
    "V001": "vilkår uten hjemmel", "V002": "ugyldig eller manglende art", "V003": "vilkår uten betingelse",
    "V004": "ugyldig felt i vilkår", "P001": "datoer i feil rekkefølge", "P002": "verdi uten kilde",
    "P003": "verdi med feil enhet", "P004": "parameter uten verdier", "P005": "tabell med hull eller overlapp",
    "T007": "tabellnøkkel uten rad",
    "H001": "mangler felt i regelverkshodet", "H002": "ukjent felt i regelverkshodet",
    "M001": "tekst i en annen målform enn regelverkets",
    "U001": "ugyldig utfallsregel", "E001": "ugyldig eksempel",
    "F001": "ugyldig «oppgis av»",
    "B001": "ugyldig avsnitt i begrunnelse", "B002": "ugyldig endring i begrunnelse",
    "B003": "overstyrt avsnitt i begrunnelsen faller bort",
    "B004": "vedtaksbrevet kan ikke signeres slik det er",
    # legality lint of municipal policies (boligregler.model.lint)
    "L001": "absolutt kommunalt vilkår", "L002": "aldersgrense", "L003": "statsborgerskap eller nasjonalitet",
    "L004": "rentepåslag over 0,25 prosentpoeng", "L005": "absolutt krav om botid",
    "L006": "absolutt inntektsgrense", "L007": "absolutt pristak", "L008": "absolutt krav om egenkapital",
    "L009": "nasjonalt vilkår fjernet", "L010": "nasjonalt vilkår ikke lenger absolutt",
    "L011": "nasjonalt vilkår lempet eller endret", "L012": "lokalt krav i et nasjonalt vilkår",
    "L013": "endret «relevant når» eller unntak i et nasjonalt vilkår",
    "L014": "utfallsregel som gir avslag uten absolutt vilkår", "L015": "livsopphold under statens satser",
    "L016": "nedbetalingstid kortere enn forskriften tillater", "L017": "inntektstype som ikke lenger regnes med",
    "L018": "vilkår på diskrimineringsgrunnlag", "L019": "prioritert gruppe brukt mot søkeren",
    "L020": "kommunal endring i det et absolutt vilkår bygger på",
    "L021": "søknad som får avslag bare etter kommunens regler", "K001": "søknadsfelt uten kategori",
}


# M001 in the policy's målform: read by the kommune's policy staff, who write the policy in it.
_MÅLFORM_WORDS = per_form({
    "texts": ("regelverket er på {form}, men {count} som leseren ser, kommer fra «{policy}», som er på {other}",
              "regelverket er på {form}, men {count} som lesaren ser, kjem frå «{policy}», som er på {other}"),
    "text_nouns": (("tekst", "tekster"), ("tekst", "tekstar")),
    "twin": ("bytt til «bygger på {twin}», som har de samme reglene med alle tekstene på {form}",
             "byt til «bygger på {twin}», som har dei same reglane med alle tekstane på {form}"),
    "texts_note": ("skriv dem på {form} med «overstyr»: {texts}", "skriv dei på {form} med «overstyr»: {texts}"),
    "facts": ("regelverket er på {form}, men {count} i søknaden har ingen tekst på {form} (beskrivelsen i brevet, "
              "eller ordet for et valg)",
              "regelverket er på {form}, men {count} i søknaden har ingen tekst på {form} (skildringa i brevet, "
              "eller ordet for eit val)"),
    "fact_nouns": (("opplysning", "opplysninger"), ("opplysning", "opplysningar")),
    "facts_note": ("skriv dem i begrunnelse med «opplysning sti: \"…\"» og «opplysning sti \"verdi\": \"…\"»: {facts}",
                   "skriv dei i begrunnelse med «opplysning sti: \"…\"» og «opplysning sti \"verdi\": \"…\"»: {facts}"),
})


def _case_split_of(condition: ast.Expr | None, candidates: list) -> tuple | None:
    """Two of `candidates` that split `condition` in two cases, `C og P` and `C og ikke P`, if any.

    `ikke P` may also be written as the opposite comparison (`x != v` for `x = v`, `x >= v` for `x < v`);
    an unconditional paragraph is split by `P` and `ikke P` alone.
    """
    if condition is None:
        cases = [(c, c) for c in candidates if c is not None]
    else:
        cases = [(c, c.right) for c in candidates if isinstance(c, ast.Logical) and c.op == "og" and c.left == condition]
    for i, (first, p) in enumerate(cases):
        for second, q in cases[i + 1:]:
            if _opposite(p, q):
                return first, second
    return None


_OPPOSITE_COMPARISONS = {"=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


def _opposite(p: ast.Expr, q: ast.Expr) -> bool:
    """Whether `q` holds exactly when `p` does not."""
    if isinstance(q, ast.Unary) and q.op == "ikke":
        return q.operand == p
    if isinstance(p, ast.Unary) and p.op == "ikke":
        return p.operand == q
    return (isinstance(p, ast.Compare) and isinstance(q, ast.Compare) and _OPPOSITE_COMPARISONS[p.op] == q.op
            and p.left == q.left and p.right == q.right)


class _Scope:
    """Names visible in one expression: the scheme's computations, parameters, tables and facts."""

    def __init__(self, checker: "Checker", computations: dict[str, ComputeDef], in_decision: bool = False):
        self.checker = checker
        self.computations = computations
        self.locals: dict[str, T.Type] = {}
        self.in_decision = in_decision
        self.nonzero: set[str] = set()  # names a surrounding `hvis X > 0 så …` guards

    def visible(self) -> Iterable[str]:
        c = self.checker
        return itertools.chain(self.locals, self.computations, c.parameters, c.tables, c.schema.fields)


class Checker:
    def __init__(self, files: list[ast.PolicyFile]):
        self.files = files
        self.leaf = files[-1]
        self.diagnostics: dict[Diagnostic, None] = {}  # in order of finding, each once
        self.hints: dict[str, list[str]] = {}  # the «mente du …?» note per name, for at most MAX_HINTS names
        self.types: dict[str, T.Type] = {}
        self.schema = T.Record({})
        self.parameters: dict[str, ParameterDef] = {}
        self.tables: dict[str, TableDef] = {}
        self.computations: dict[str, ComputeDef] = {}
        self.criteria: dict[str, CriterionDef] = {}
        self.conditions: dict[str, ConditionDef] = {}
        self.schemes: dict[str, tuple[ast.Scheme, str, str, str]] = {}  # id → (node, policy, file, doc)
        self.outcome: tuple[ast.Outcome, str] | None = None
        self.decision: tuple[ast.DecisionMap, str] | None = None
        self.examples: list[ExampleDef] = []
        self.expr_types: dict[int, T.Type] = {}
        self.removed: list[tuple[str, str]] = []
        self.pending_required: list[tuple[ast.Expr, str]] = []  # `påkrevd når` conditions, checked last
        self.list_depth = 0  # inside `liste av { … }` while resolving a schema type
        self.failed_overrides: set[str] = set()  # already reported as N003; not also reported as unused
        self.expressions = {f.path: f.expressions for f in files}  # pre-parsed template holes per file
        self.sources = {f.path: f.source for f in files}  # where holes are located after escapes
        self.letter_policy: str | None = None  # the policy that last wrote a `begrunnelse` block
        self.letter: list[LetterSection] = []
        self.pending_levers: dict[tuple[str, ...], tuple[ast.LetterChange, ast.Template, Origin]] = {}
        self.pending_fact_texts: dict[tuple, tuple[ast.LetterFact, Origin]] = {}
        self.file = ""
        self.policy = ""

    # ---- diagnostics
    def error(self, code: str, message: str, span: Span | None, notes: Iterable[str] = (),
              related: Iterable = (), severity: Severity = Severity.ERROR) -> None:
        d = Diagnostic(code, severity, message, self.file, span, tuple(n for n in notes if n), tuple(related))
        self.diagnostics.setdefault(d)

    def warn(self, code: str, message: str, span: Span | None, notes: Iterable[str] = ()) -> None:
        self.error(code, message, span, notes, severity=Severity.WARNING)

    def origin(self, span: Span | None) -> Origin:
        return Origin(self.policy, self.file, span)

    def _hint(self, name: str, candidates: Iterable[str]) -> list[str]:
        """A «mente du …?» note; each costs a pass over the candidates, so only the first MAX_HINTS names get one
        (a name reported again, say in another scheme, gets the same note)."""
        if name not in self.hints and len(self.hints) < MAX_HINTS:
            guess = suggest(name, candidates)
            self.hints[name] = [f"mente du «{guess}»?"] if guess else []
        return self.hints.get(name, [])

    # ---- merging the chain
    def run(self) -> CheckedPolicy:
        for f in self.files:
            self.file, self.policy = f.path, f.header.id
            self.check_header(f)
            for item in f.items:
                self.add_item(item)
        self.file, self.policy = self.leaf.path, self.leaf.header.id
        return self.finish()

    def _position(self, d: Diagnostic) -> tuple:
        order = {f.path: i for i, f in enumerate(self.files)}
        return (order.get(d.file, len(order)), d.span.line if d.span else 0, d.span.column if d.span else 0)

    def check_header(self, f: ast.PolicyFile) -> None:
        given = {fl.name: fl for fl in f.header.fields}
        for fl in f.header.fields:
            if fl.name not in (*HEADER_FIELDS, *OPTIONAL_HEADER_FIELDS, *FRAME_FIELDS, *PAGE_FIELDS):
                self.error("H002", f"ukjent felt «{fl.name}» i regelverkshodet", fl.span,
                           self._hint(fl.name, (*HEADER_FIELDS, *OPTIONAL_HEADER_FIELDS, *FRAME_FIELDS, *PAGE_FIELDS)))
            elif fl.name == "målform" and _word(fl.value) not in MÅLFORMER:
                self.error("T002", "«målform» må være bokmål eller nynorsk", fl.value_span)
            elif fl.name in FRAME_FIELDS and fl.name != "målform" and not isinstance(fl.value, str):
                self.error("T002", f"«{fl.name}» må være en tekst i anførselstegn", fl.value_span)
            elif fl.name in PAGE_FIELDS and not isinstance(fl.value, str):
                self.error("T002", f"«{fl.name}» må være en tekst i anførselstegn", fl.value_span)
            elif fl.name == "ubekreftet" and any(
                    n.strip() not in LETTERHEAD for n in fl.value.split(",")):
                self.error("T002", "«ubekreftet» må nevne felt i brevhodet, skilt med komma: "
                           + ", ".join(LETTERHEAD), fl.value_span)
            elif fl.name == "nettside" and not is_web_address(fl.value):
                self.error("T002", "«nettside» må være en http- eller https-adresse", fl.value_span)
        if "versjon" in given and not isinstance(given["versjon"].value, str):
            self.error("T002", "«versjon» må være en tekst i anførselstegn, f.eks. \"2026.1\"", given["versjon"].value_span)
        for name in HEADER_FIELDS:
            if name not in given:
                self.error("H001", f"regelverkshodet mangler «{name}»", f.header.span)
        if "vedtatt" in given and not isinstance(given["vedtatt"].value, dt.date):
            self.error("T002", "«vedtatt» må være en dato (ÅÅÅÅ-MM-DD)", given["vedtatt"].value_span)
        if f.header.id in RESERVED:
            self.error("N008", f"«{f.header.id}» er et reservert ord", f.header.span)

    def _existing(self, name: str) -> tuple[str, Origin] | None:
        for kind, table in (("parameter", self.parameters), ("tabell", self.tables), ("beregn", self.computations)):
            if name in table:
                return kind, table[name].origin
        return None

    def _redefinition(self, kind: str, name: str, span: Span | None, previous: Origin) -> None:
        if previous.policy == self.policy:
            self.error("N002", f"«{name}» er definert to ganger", span,
                       related=[(previous.file, previous.span, "først definert her")])
        else:
            self.error("N005", f"«{name}» er allerede definert i {previous.policy}", span,
                       [f"skriv «overstyr {kind} {name}» for å endre den, eller velg et annet navn"],
                       [(previous.file, previous.span, "definert her")])

    def add_item(self, item: ast.Item, scheme: dict | None = None) -> None:
        d = item.definition
        match d:
            case ast.TypeDef():
                if d.name in self.types:
                    self.error("N002", f"typen «{d.name}» er definert to ganger", d.span)
                self.types[d.name] = self.resolve_type(d.type, d.name)
            case ast.Schema():
                self.extend_schema(self.schema, d.fields, "")
            case ast.Parameter() | ast.Table() | ast.Compute() | ast.Criterion() | ast.ConditionText():
                self.define(d, item.doc, override=False, scheme=scheme)
            case ast.Letter():
                self.define_letter(d, override=False, scheme=scheme)
            case ast.Override() if isinstance(d.definition, ast.Letter):
                self.define_letter(d.definition, override=True, scheme=scheme)
            case ast.Override():
                self.define(d.definition, item.doc, override=True, scheme=scheme)
            case ast.Removal():
                self.remove(d, scheme)
            case ast.Outcome():
                if self.outcome:
                    self.error("N005", "utfallsregelen er allerede definert", d.span)
                self.outcome = (d, self.file)
            case ast.DecisionMap():
                if self.decision:
                    self.error("N005", "vedtak-blokken er allerede definert", d.span)
                self.decision = (d, self.file)
            case ast.Scheme():
                if d.name in self.schemes:
                    self.error("N002", f"ordningen «{d.name}» er definert to ganger", d.span)
                self.schemes[d.name] = (d, self.policy, self.file, item.doc)
            case ast.Example():
                self.add_example(d, item.doc)

    def _reserved(self, name: str, span: Span | None) -> None:
        if name in RESERVED or name in FUNCTIONS:
            self.error("N008", f"«{name}» er et reservert ord og kan ikke brukes som navn", span)

    def define(self, d: Any, doc: str, override: bool, scheme: dict | None) -> None:
        self._reserved(d.name, d.span)
        if scheme is not None and isinstance(d, (ast.Parameter, ast.Table)):
            self.error("N009", f"en ordning kan ikke {'overstyre' if override else 'definere'} {_kind_word(d)}e", d.span,
                       ["definer parameteren utenfor ordningen, og overstyr beregningen som bruker den i ordningen"])
            return
        if scheme is not None and isinstance(d, (ast.Compute, ast.Criterion, ast.ConditionText)):
            target = scheme[type(d)]
            exists = d.name in target or d.name in self._kind_table(type(d))
            if override and not exists:
                self.error("N003", f"kan ikke overstyre «{d.name}»: den finnes ikke fra før", d.span,
                           self._hint(d.name, self._kind_table(type(d))))
            elif not override and exists:
                self.error("N005", f"«{d.name}» finnes allerede", d.span,
                           [f"skriv «overstyr {_kind_word(d)} {d.name}» for å endre den i ordningen"])
            target[d.name] = self.build(d, doc)
            return
        kind = _kind_word(d)
        if isinstance(d, (ast.Parameter, ast.Table, ast.Compute)):
            prior = self._existing(d.name)
            if override:
                if prior is None:
                    self.failed_overrides.add(d.name)
                    self.error("N003", f"kan ikke overstyre {kind} «{d.name}»: grunnlaget definerer den ikke", d.span,
                               self._hint(d.name, [*self.parameters, *self.tables, *self.computations]))
                elif prior[0] != kind:
                    self.error("N003", f"«{d.name}» er en {prior[0]}, ikke en {kind}", d.span)
                for table in (self.parameters, self.tables, self.computations):
                    table.pop(d.name, None)
            elif prior is not None:
                self._redefinition(prior[0], d.name, d.span, prior[1])
            if d.name in self.schema.fields:
                self.error("N002", f"«{d.name}» er allerede et felt i søknaden", d.span)
        else:
            table = self._kind_table(type(d))
            if override and d.name not in table:
                self.error("N003", f"kan ikke overstyre {kind} «{d.name}»: grunnlaget definerer det ikke", d.span,
                           self._hint(d.name, table))
            elif not override and d.name in table:
                self._redefinition(kind, d.name, d.span, table[d.name].origin)
        built = self.build(d, doc)
        if built is not None:
            self._kind_table(type(d))[d.name] = built

    def _kind_table(self, node_type) -> dict:
        return {ast.Parameter: self.parameters, ast.Table: self.tables, ast.Compute: self.computations,
                ast.Criterion: self.criteria, ast.ConditionText: self.conditions}[node_type]

    def remove(self, d: ast.Removal, scheme: dict | None) -> None:
        node_type = {"parameter": ast.Parameter, "tabell": ast.Table, "beregn": ast.Compute,
                     "vilkår": ast.Criterion, "betingelse": ast.ConditionText}[d.kind]
        table = scheme[node_type] if scheme is not None and node_type in scheme else self._kind_table(node_type)
        if d.name not in table and d.name not in self._kind_table(node_type):
            self.error("N004", f"kan ikke fjerne {d.kind} «{d.name}»: den finnes ikke i grunnlaget", d.span,
                       self._hint(d.name, self._kind_table(node_type)))
            return
        if scheme is not None:
            scheme.setdefault("removed", set()).add((node_type, d.name))
        else:
            self._kind_table(node_type).pop(d.name, None)
            self.removed.append((d.kind, d.name))

    # ---- building definitions
    def build(self, d: Any, doc: str):
        match d:
            case ast.Parameter():
                return self.build_parameter(d, doc)
            case ast.Table():
                return self.build_table(d, doc)
            case ast.Compute():
                return ComputeDef(d.name, self.resolve_type(d.type, d.name), d.expr, doc, self.origin(d.span))
            case ast.Criterion():
                return self.build_criterion(d, doc)
            case ast.ConditionText():
                return ConditionDef(d.name, d.text, self.origin(d.span))

    def _values_in_order(self, name: str, dated: list[tuple[dt.date, Span | None]]) -> None:
        for (a, _), (b, span) in zip(dated, dated[1:]):
            if b <= a:
                self.error("P001", f"verdiene til «{name}» står ikke i datorekkefølge: {b} kommer etter {a}", span,
                           ["skriv verdiene med stigende «fra»-dato"])

    def build_parameter(self, d: ast.Parameter, doc: str) -> ParameterDef:
        type_ = self.resolve_type(d.type, d.name)
        values = []
        if not d.values:
            self.error("P004", f"parameteren «{d.name}» har ingen verdier", d.span,
                       ["skriv f.eks. «5 % fra 2025-01-01 kilde \"…\"»"])
        for v in d.values:
            if not v.source:
                self.error("P002", f"verdien fra {v.valid_from} av «{d.name}» mangler kilde", v.span,
                           ["legg til «kilde \"…\"» etter datoen"])
            values.append(DatedValue(v.valid_from, self.parameter_value(v.value, type_, d.name), v.source, v.span))
        self._values_in_order(d.name, [(v.valid_from, v.span) for v in d.values])
        fields = {f.name: f.value for f in d.fields}
        return ParameterDef(d.name, type_, tuple(values), doc, self.origin(d.span), fields)

    def parameter_value(self, value: Any, type_: T.Type, name: str):
        from boligregler.evaluation.values import Ratio  # runtime value classes live with the evaluator
        match value, type_:
            case ast.Quantity(), T.Num():
                self._unit_matches(value, type_.unit, name)
                return T.stored_value(value.value, type_.unit)
            case ast.Ratio(), T.Num(unit="andel"):
                if value.denominator == 0:
                    self.error("T002", "nevneren kan ikke være 0", value.span)
                    return Ratio(Decimal(0), Decimal(1))
                return Ratio(value.numerator, value.denominator)
            case ast.Boolean(), T.Bool():
                return value.value
            case ast.Text(), T.Text():
                return value.value
            case ast.SetValue(), T.SetOf():
                for v in value.values:
                    self._check_enum_value(v, type_.element, value.span)
                chosen = frozenset(value.values)
                return frozenset(type_.element.values) - chosen if value.complement else chosen
        self.error("T002", f"verdien passer ikke til typen {T.describe(type_)} for «{name}»",
                   getattr(value, "span", None))
        return None

    def _unit_matches(self, q: ast.Quantity, unit: str, name: str) -> None:
        if q.unit is not None and T.unit_of(q.unit) != unit:
            self.error("P003", f"verdien {_show(q)} har enheten {T.unit_of(q.unit)}, men «{name}» er i {unit}", q.span)

    def build_table(self, d: ast.Table, doc: str) -> TableDef | None:
        value_type = self.resolve_type(d.type, d.name)
        if not isinstance(value_type, T.Num):
            self.error("T002", "en tabell må ha tall eller beløp som verdier", d.type.span)
            return None
        dims = len(d.key_names)
        versions, text_keys = [], [None] * dims
        if not d.versions:
            self.error("P004", f"tabellen «{d.name}» har ingen verdier", d.span)
        for v in d.versions:
            if not v.source:
                self.error("P002", f"tabellen «{d.name}» fra {v.valid_from} mangler kilde", v.span)
            rows = []
            for row in v.rows:
                if len(row.keys) != dims:
                    self.error("T002", f"raden har {len(row.keys)} nøkler, men «{d.name}» er etter "
                               f"{', '.join(d.key_names)} og trenger {dims}", row.span)
                    continue
                for i, key in enumerate(row.keys):
                    is_text = isinstance(key, str)
                    if text_keys[i] is None:
                        text_keys[i] = is_text
                    elif text_keys[i] != is_text:
                        where = f" (nøkkelen «{d.key_names[i]}»)" if dims > 1 else ""
                        self.error("T002", f"en tabell kan ikke blande tekstnøkler og tallintervaller{where}", row.span)
                self._unit_matches(row.value, value_type.unit, d.name)
                rows.append((row.keys, T.stored_value(row.value.value, value_type.unit)))
            if dims == 1 and not text_keys[0]:
                self._check_ranges(d.name, v)
            elif dims > 1:
                self._check_grid(d, v)
            versions.append(TableVersion(v.valid_from, v.source, tuple(rows), v.span))
        self._values_in_order(d.name, [(v.valid_from, v.span) for v in d.versions])
        return TableDef(d.name, value_type, d.key_names, tuple(bool(t) for t in text_keys), tuple(versions), doc,
                        self.origin(d.span))

    def _check_ranges(self, name: str, version: ast.TableVersion) -> None:
        # only the integer ranges; a text key among them is reported as a type error elsewhere
        ranges = sorted(((row.keys[0], row.span) for row in version.rows if isinstance(row.keys[0], tuple)),
                        key=lambda r: (r[0][0], r[0][1] is None, r[0][1] or 0))
        for ((lo1, hi1), _), ((lo2, hi2), span) in zip(ranges, ranges[1:]):
            if hi1 is None or lo2 <= hi1:
                hi1 = "…" if hi1 is None else hi1
                self.error("P005", f"intervallene {lo1}–{hi1} og {lo2}–{hi2} i «{name}» overlapper", span)
            elif lo2 > hi1 + 1:
                self.error("P005", f"«{name}» har et hull mellom {hi1} og {lo2}", span,
                           ["hver mulig nøkkel må høre til nøyaktig ett intervall"])
        for (lo, hi), span in ranges:
            if hi is not None and lo > hi:
                self.error("P005", f"intervallet {lo}–{hi} i «{name}» er tomt", span)

    def _check_grid(self, d: ast.Table, version: ast.TableVersion) -> None:
        """P005 unless the rows of a table with several keys cover every combination exactly once.

        Each dimension is cut into the pieces its rows' keys mark (texts one by one, integer ranges
        at every start and end), and every combination of pieces must lie in exactly one row."""
        rows = [r for r in version.rows if len(r.keys) == len(d.key_names)]
        axes = []
        for i in range(len(d.key_names)):
            keys = [r.keys[i] for r in rows]
            if all(isinstance(k, str) for k in keys):
                axes.append(sorted(set(keys)))
                continue
            if not all(isinstance(k, tuple) for k in keys):
                return  # mixed text and integer keys: T002 above
            for r in rows:
                lo, hi = r.keys[i]
                if hi is not None and lo > hi:
                    self.error("P005", f"intervallet {lo}–{hi} for «{d.key_names[i]}» i «{d.name}» er tomt", r.span)
                    return
            cuts = sorted({lo for lo, _ in keys} | {hi + 1 for _, hi in keys if hi is not None})
            pieces = [(a, b - 1) for a, b in zip(cuts, cuts[1:])]
            if any(hi is None for _, hi in keys):
                pieces.append((cuts[-1], None))
            axes.append(pieces)
        holes, reported = [], set()
        for cell in itertools.product(*axes):
            covering = [r for r in rows if all(_key_holds(k, piece) for k, piece in zip(r.keys, cell))]
            if not covering:
                holes.append(cell)
            for r in covering[1:]:
                if id(r) not in reported:
                    reported.add(id(r))
                    self.error("P005", f"radene på linje {covering[0].span.line} og {r.span.line} i «{d.name}» "
                               f"gjelder begge for {_cell_words(d.key_names, cell)}", r.span,
                               ["hver kombinasjon av nøkler må høre til nøyaktig én rad"])
        if holes:
            shown = "; ".join(_cell_words(d.key_names, c) for c in holes[:5])
            more = f" og {len(holes) - 5} til" if len(holes) > 5 else ""
            self.error("P005", f"«{d.name}» fra {version.valid_from} har ingen rad for {shown}{more}", version.span,
                       ["hver kombinasjon av nøkler må høre til nøyaktig én rad; legg til radene, eller bruk "
                        "intervaller («0 til 2», «3 og over») som dekker dem"])

    def build_criterion(self, d: ast.Criterion, doc: str) -> CriterionDef:
        fields = {f.name: f for f in d.fields}
        for f in d.fields:
            if f.name not in CRITERION_FIELDS:
                self.error("V004", f"ukjent felt «{f.name}» i vilkår «{d.name}»", f.span,
                           self._hint(f.name, CRITERION_FIELDS))
        kind_field = fields.get("art")
        kind = kind_field.value.value if kind_field and isinstance(kind_field.value, ast.Word) else None
        if kind not in KINDS:
            span = kind_field.value_span if kind_field else d.span
            given = f"«{kind}» er ikke en gyldig art" if kind else f"vilkåret «{d.name}» mangler «art»"
            self.error("V002", given, span, self._hint(kind or "", KINDS) or [f"velg en av: {', '.join(KINDS)}"])
        if "hjemmel" not in fields or not str(fields["hjemmel"].value).strip():
            self.error("V001", f"vilkåret «{d.name}» mangler hjemmel", d.span,
                       ["oppgi regelen vilkåret bygger på, f.eks. hjemmel: \"Forskrift om lån fra Husbanken § 5-2\""])
        if d.condition is None:
            self.error("V003", f"vilkåret «{d.name}» mangler «oppfylt når …»", d.span)
        for f in [fields.get("lenke"), *(x for e in d.exceptions for x in e.fields if x.name == "lenke")]:
            if f is not None and not (isinstance(f.value, str) and is_web_address(f.value)):
                self.error("T002", "«lenke» må være en nettadresse som begynner med https:// (eller http://), "
                           "uten mellomrom", f.value_span)
        explanations = {}
        for f in d.explanations:
            if f.name not in RESULTS:
                self.error("V004", f"ukjent forklaring «{f.name}»", f.span, self._hint(f.name, RESULTS))
            explanations[f.name] = self.template(f)
        exceptions = []
        letters: set[str] = set()
        for e in d.exceptions:
            if e.letter in letters:
                self.error("N002", f"unntak «{e.letter}» er definert to ganger i «{d.name}»", e.span)
            letters.add(e.letter)
            efields = {f.name: f for f in e.fields}
            for f in e.fields:
                if f.name not in EXCEPTION_FIELDS:
                    self.error("V004", f"ukjent felt «{f.name}» i unntak", f.span, self._hint(f.name, EXCEPTION_FIELDS))
            if e.condition is None:
                self.error("V003", f"unntak «{e.letter}» mangler «når …»", e.span)
            exceptions.append(ExceptionDef(
                e.letter, e.title or e.letter,
                str(efields["hjemmel"].value) if "hjemmel" in efields else None,
                e.condition or ast.Boolean(False),
                self.template(efields["forklaring"]) if "forklaring" in efields else None, e.doc,
                self.template(efields["gjelder_ikke"]) if "gjelder_ikke" in efields else None))
        return CriterionDef(
            d.name, _text(fields.get("tittel"), d.name), kind or "absolutt",
            _text(fields.get("hjemmel"), ""), _text(fields.get("lenke"), None),
            d.condition or ast.Boolean(False), d.relevance, tuple(exceptions), explanations, doc,
            self.origin(d.span))

    def template(self, f: ast.Field) -> ast.Template | None:
        if not isinstance(f.value, str):
            self.error("T002", f"«{f.name}» må være en tekst i anførselstegn", f.value_span)
            return None
        return self.template_text(f.value, f.value_span)

    def template_text(self, text: str, span: Span | None) -> ast.Template | None:
        """`text` split into text and expressions; a hole that does not parse is reported, giving None."""
        try:
            return parse_template(text, span, self.file, self.expressions.get(self.file), self.sources.get(self.file))
        except PolicyError as e:
            self.diagnostics.update(dict.fromkeys(e.diagnostics))
            return None

    def add_example(self, d: ast.Example, doc: str) -> None:
        if any(e.name == d.name and e.origin.policy == self.policy for e in self.examples):
            self.error("N002", f"eksempelet «{d.name}» er definert to ganger", d.span)
        if d.input is None:
            self.error("E001", f"eksempelet «{d.name}» mangler «søknad: {{…}}»", d.span)
        if d.expected is None:
            self.error("E001", f"eksempelet «{d.name}» mangler «forventet: {{…}}»", d.span)
        self.examples.append(ExampleDef(d.name, d.title or d.name, d.input, d.expected, self.origin(d.span), doc))

    # ---- the decision letter
    def define_letter(self, d: ast.Letter, override: bool, scheme: dict | None) -> None:
        """`begrunnelse { … }`; `overstyr begrunnelse` replaces the paragraphs and changes it names."""
        if scheme is not None:
            self.error("B001", "begrunnelsen gjelder hele regelverket og kan ikke overstyres i en ordning", d.span)
            return
        if self.letter_policy is None and override:
            self.error("N003", "kan ikke overstyre begrunnelse: grunnlaget har ingen begrunnelse-blokk", d.span,
                       ["skriv «begrunnelse { … }» uten «overstyr»"])
        elif self.letter_policy == self.policy:
            self.error("N002", "begrunnelse-blokken er definert to ganger", d.span)
        elif self.letter_policy is not None and not override:
            self.error("N005", f"begrunnelse er allerede definert i {self.letter_policy}", d.span,
                       ["skriv «overstyr begrunnelse { … }» for å endre enkelte avsnitt"])
        self.letter_policy = self.policy
        replacing = [t for t in d.texts if not t.addition]
        replaced = {t.name for t in replacing}
        for name in dict.fromkeys(t.name for t in replacing):
            unused = [t.condition for t in replacing if t.name == name]
            dropped = []
            for s in self.letter:
                if s.name != name:
                    continue
                if s.condition in unused:
                    unused.remove(s.condition)  # replaced one for one, under the same condition
                elif (split := _case_split_of(s.condition, unused)) is not None:
                    for half in split:  # replaced by two texts, under `C og P` and `C og ikke P`
                        unused.remove(half)
                elif not shows_gap(s.template):  # a base's visible gap is there to be replaced
                    dropped.append(s)
            if dropped:
                where = ", ".join(f"{Path(s.origin.file).name}:{s.origin.span.line}" for s in dropped if s.origin.span)
                base = dropped[0].origin.policy
                self.warn("B003", f"«{name}» erstatter alle avsnitt med det navnet, og {len(dropped)} avsnitt fra "
                          f"{base} faller bort ({where})", next(t for t in replacing if t.name == name).span,
                          [f"skriv avsnittene (med samme «når») med her, eller legg til uten å erstatte: "
                           f"tillegg {name}: \"…\""])
        self.letter = [s for s in self.letter if s.name not in replaced]
        for t in d.texts:
            if t.name not in LETTER_SECTIONS:
                self.error("B001", f"ukjent avsnitt «{t.name}» i begrunnelse", t.span,
                           self._hint(t.name, LETTER_SECTIONS) or [f"gyldige avsnitt: {', '.join(LETTER_SECTIONS)}"])
                continue
            template = self.template_text(t.text, t.text_span)
            if template is not None:
                self.letter.append(LetterSection(t.name, t.condition, template, self.origin(t.span)))
        for c in d.changes:
            template = self.template_text(c.text, c.text_span)
            if template is not None:
                self.pending_levers[c.path] = (c, template, self.origin(c.span))
        for f in d.facts:
            self.pending_fact_texts[(f.path, f.value)] = (f, self.origin(f.span))

    def resolve_fact_texts(self) -> dict:
        """`opplysning sti [verdi]: "…"`: the path must name a søknad field, the value one of its choices."""
        out = {}
        for (path, value), (f, origin) in self.pending_fact_texts.items():
            self.file, self.policy = origin.file, origin.policy
            spec = T.field_at(self.schema, path)
            if spec is None:
                self.error("N001", f"ukjent søknadsfelt «{'.'.join(path)}» i «opplysning»", f.span)
                continue
            if value is not None:
                if not isinstance(spec.type, T.Enum):
                    self.error("T002", f"«{'.'.join(path)}» er ikke et valg, så «opplysning» kan ikke gi ord for "
                                       f"verdien «{value}»", f.span)
                    continue
                if value not in spec.type.values:
                    self._check_enum_value(value, spec.type, f.span)
                    continue
            out[(path, value)] = FactText(f.text, origin)
        return out

    def resolve_levers(self) -> tuple[Lever, ...]:
        levers = []
        for c, template, origin in self.pending_levers.values():
            self.file, self.policy = origin.file, origin.policy
            lever = self.resolve_lever(c, template, origin)
            if lever is not None:
                levers.append(lever)
        return tuple(levers)

    def resolve_lever(self, c: ast.LetterChange, template: ast.Template, origin: Origin) -> Lever | None:
        record: T.Type = self.schema
        spec = None
        for i, part in enumerate(c.path):
            if not isinstance(record, T.Record) or part not in record.fields:
                known = record.fields if isinstance(record, T.Record) else ()
                self.error("N001", f"ukjent søknadsfelt «{'.'.join(c.path[:i + 1])}»", c.span, self._hint(part, known))
                return None
            spec = record.fields[part]
            record = spec.type
        t, name = spec.type, ".".join(c.path)
        step, item, item_field = (c.step.value if c.step else Decimal(1)), None, None
        if isinstance(t, T.Num) and t.unit in ("kr", "kr/mnd") and not t.integer:
            kind, unit = "beløp", t.unit
        elif isinstance(t, T.Num) and t.integer:
            kind, unit = "heltall", t.unit
        elif isinstance(t, T.Bool):
            kind, unit = "sannhet", None
        elif isinstance(t, T.Enum):
            kind, unit = "valg", None
        elif isinstance(t, T.ListOf) and isinstance(t.element, T.Record):
            kind = "ny_linje"
            item, item_field = self.new_list_item(c, t.element)
            if item is None:
                return None
            unit = t.element.fields[item_field].type.unit
        else:
            self.error("B002", f"«{name}» er {T.describe(t)} og kan ikke foreslås endret", c.span,
                       ["en endring kan gjelde et beløp, et heltall, en sannhetsverdi, et valg eller en liste"])
            return None
        if c.new_item is not None and kind != "ny_linje":
            self.error("B002", f"«{name}» er ikke en liste; {{…}} brukes bare for å legge til en linje", c.span)
        target = None if c.target is None else c.target.value
        if target is not None:
            if kind == "sannhet" and not isinstance(target, bool):
                self.error("B002", f"«{name}» er en sannhetsverdi; skriv «til sann» eller «til usann»", c.target.span)
            elif kind == "valg" and isinstance(target, str):
                self._check_enum_value(target, t, c.target.span)
            elif kind == "valg":
                self.error("B002", f"«{name}» er et valg; skriv verdien i anførselstegn etter «til»", c.target.span)
            elif kind not in ("sannhet", "valg"):
                self.error("B002", f"«til …» brukes bare for sannhetsverdier og valg, ikke for «{name}»", c.target.span)
        if c.step is not None:
            if unit is None:
                self.error("B002", f"«{name}» endres ikke i trinn", c.step.span)
            elif c.step.value <= 0 or (c.step.unit is not None and T.unit_of(c.step.unit) != unit):
                self.error("B002", f"trinnet må være et positivt tall i {unit}", c.step.span)
        return Lever(c.path, kind, step, template, item, item_field, target, c.condition, origin)

    def new_list_item(self, c: ast.LetterChange, element: T.Record) -> tuple[dict | None, str | None]:
        """The line a list lever adds: the given fields, defaults, and one amount field left to vary."""
        given = c.new_item or {}
        for key, value in given.items():
            spec = element.fields.get(key)
            if spec is None:
                self.error("N001", f"ukjent felt «{key}»", c.span, self._hint(key, element.fields))
            elif isinstance(spec.type, T.Enum):
                if value not in spec.type.values:
                    self._check_enum_value(str(value), spec.type, c.span)
            elif isinstance(spec.type, T.Bool) != isinstance(value, bool) or (
                    isinstance(spec.type, T.Num) and not isinstance(value, Decimal)):
                self.error("T002", f"«{key}» må være {T.describe(spec.type)}", c.span)
        free = [k for k, spec in element.fields.items() if k not in given and not spec.has_default]
        if len(free) != 1 or not (isinstance(element.fields[free[0]].type, T.Num)
                                  and element.fields[free[0]].type.unit in ("kr", "kr/mnd")):
            self.error("B002", "den nye linjen må ha verdier for alle felt unntatt ett beløp, som er det som endres",
                       c.span, [f"felt uten verdi: {', '.join(free) or 'ingen'}"])
            return None, None
        item = {k: copy.deepcopy(spec.default) for k, spec in element.fields.items() if spec.has_default}
        return {**item, **given}, free[0]

    def check_letter(self, scheme: SchemeDef, levers: tuple[Lever, ...]) -> None:
        names = {n: T.TEXT for n in LETTER_NAMES}
        for section in self.letter:
            self.file = section.origin.file
            scope = _Scope(self, scheme.computations, in_decision=True)
            scope.locals.update(names)
            if section.name in LETTER_LINES:
                path, var, extra = LETTER_LINES[section.name]
                element = self._list_element(path)
                if element is None:
                    self.error("B001", f"avsnittet «{section.name}» krever listen «{'.'.join(path)}» i søknaden",
                               section.template.span)
                    continue
                if extra and "tellende_inntekt" not in scheme.computations:
                    self.error("B001", f"avsnittet «{section.name}» krever beregningen «tellende_inntekt»",
                               section.template.span)
                    continue
                scope.locals.update({var: element, **{k: T.Num(u) for k, u in extra.items()}})
            if section.condition is not None:
                self.infer_bool(section.condition, scope, "«når»")
            self.check_template(section.template, scope)
        for lever in levers:
            self.file = lever.origin.file
            scope = _Scope(self, scheme.computations, in_decision=True)
            value = self.lever_type(lever)
            if lever.condition is not None:
                condition_scope = _Scope(self, scheme.computations, in_decision=True)
                condition_scope.locals.update(names)
                self.infer_bool(lever.condition, condition_scope, "«når»")
            scope.locals.update({**names, "endring": value, "ny_verdi": value, "økning": T.BOOL})
            self.check_template(lever.template, scope)

    def check_målform(self, schemes: list[SchemeDef], levers: tuple[Lever, ...],
                      fact_texts: dict[tuple, FactText]) -> None:
        """M001 for a policy written in nynorsk (or bokmål) that inherits texts a reader sees in the other målform:
        the letter's paragraphs, the criteria (title, explanations, exceptions) and the suggested changes; and
        the søknad's facts (their descriptions and the words for their choices) that no `opplysning` text gives
        in the policy's målform."""
        forms = {f.header.id: next((_word(fl.value) for fl in f.header.fields if fl.name == "målform"), "bokmål")
                 for f in self.files}
        leaf = self.leaf.header.id
        form = forms[leaf]
        foreign: dict[str, list[str]] = {}

        def note(policy: str, what: str) -> None:
            if forms.get(policy, form) != form and what not in foreign.setdefault(policy, []):
                foreign[policy].append(what)
        for s in self.letter:
            note(s.origin.policy, f"begrunnelse: {s.name}")
        for scheme in schemes:
            for c in scheme.criteria:
                note(c.origin.policy if c.origin else leaf, f"vilkår {c.id}")
        for lever in levers:
            note(lever.origin.policy if lever.origin else leaf, f"endring {'.'.join(lever.path)}")
        self.file, self.policy = self.leaf.path, leaf
        w = _MÅLFORM_WORDS[form] if form in _MÅLFORM_WORDS else _MÅLFORM_WORDS["bokmål"]
        for policy, texts in foreign.items():
            if texts:
                twin = f"{policy}_{form}"  # the same rules restated in the policy's målform, if shipped
                notes = [w["twin"].format(twin=twin, form=form)] if shipped_base(twin) is not None else []
                self.warn("M001", w["texts"].format(form=form, count=tall_med_enhet(len(texts), *w["text_nouns"]),
                                                    policy=policy, other=forms[policy]), self.leaf.header.span,
                          [*notes, w["texts_note"].format(form=form, texts=", ".join(texts))])
        missing = []
        for path, spec in _fields(self.schema):
            if forms.get(spec.origin, form) == form:
                continue
            keys = [(path, None), *((path, v) for v in getattr(spec.type, "values", ()) if isinstance(spec.type, T.Enum))]
            for key in keys:
                text = fact_texts.get(key)
                if text is None or forms.get(text.origin.policy, form) != form:
                    missing.append(".".join(path) + (f" «{key[1]}»" if key[1] is not None else ""))
        if missing:
            twins = [f"{p}_{form}" for p in dict.fromkeys(spec.origin for _, spec in _fields(self.schema))
                     if forms.get(p, form) != form and shipped_base(f"{p}_{form}") is not None]
            self.warn("M001", w["facts"].format(form=form, count=tall_med_enhet(len(missing), *w["fact_nouns"])),
                      self.leaf.header.span, [*(w["twin"].format(twin=t, form=form) for t in twins),
                                              w["facts_note"].format(facts=", ".join(missing))])

    def _list_element(self, path: tuple[str, ...]) -> T.Type | None:
        t: T.Type = self.schema
        for part in path:
            if not isinstance(t, T.Record) or part not in t.fields:
                return None
            t = t.fields[part].type
        return t.element if isinstance(t, T.ListOf) else None

    def lever_type(self, lever: Lever) -> T.Type:
        t: T.Type = self.schema
        for part in lever.path:
            t = t.fields[part].type
        return t.element.fields[lever.item_field].type if lever.kind == "ny_linje" else t

    # ---- types and the søknad schema
    def resolve_type(self, t: ast.TypeExpr, name: str) -> T.Type:
        match t:
            case ast.UnitType(unit):
                return T.Num(T.unit_of(unit), integer=unit == "antall")
            case ast.BoolType():
                return T.BOOL
            case ast.TextType():
                return T.TEXT
            case ast.DateType():
                return T.DATE
            case ast.SetType(of):
                element = self.types.get(of)
                if not isinstance(element, T.Enum):
                    self.error("N001", f"ukjent valgtype «{of}»", t.span, self._hint(of, self.types))
                    return T.SetOf(T.Enum(of, ()))
                return T.SetOf(element)
            case ast.NamedType(n):
                if n not in self.types:
                    self.error("N001", f"ukjent type «{n}»", t.span, self._hint(n, self.types))
                    return T.TEXT
                return self.types[n]
            case ast.IntegerType(unit, _, _):
                return T.Num(T.unit_of(unit) if unit else "tall", integer=True)
            case ast.EnumType(values):
                return T.Enum(name, values)
            case ast.ListType(element, minimum):
                self.list_depth += 1
                try:
                    return T.ListOf(self.resolve_type(element, name), int(minimum or 0))
                finally:
                    self.list_depth -= 1
            case ast.RecordType(fields):
                record = T.Record({})
                self.extend_schema(record, fields, name + ".")
                return record
        raise AssertionError(t)

    def extend_schema(self, record: T.Record, fields: Iterable[ast.SchemaField], prefix: str) -> None:
        for f in fields:
            path = prefix + f.name
            type_ = self.resolve_type(f.type, f.name)
            existing = record.fields.get(f.name)
            if existing is not None:
                if isinstance(existing.type, T.Record) and isinstance(type_, T.Record) and existing.origin != self.policy:
                    self.extend_schema(existing.type, f.type.fields, path + ".")
                    continue
                self.error("N005" if existing.origin != self.policy else "N002",
                           f"søknadsfeltet «{path}» er allerede definert", f.span,
                           ["en policy kan legge til egne felt, men ikke endre feltene i grunnlaget"])
                continue
            low = getattr(f.type, "low", None)
            high = getattr(f.type, "high", None)
            default, has_default = None, f.default is not ast.MISSING
            if has_default:
                default = self.check_default(f.default, type_, f.nullable, path, f.span)
            elif isinstance(type_, T.Record) and all(s.has_default or s.provided_by for s in type_.fields.values()):
                default, has_default = {}, True
            provided_by = self.check_provided(f, type_, path, self.list_depth > 0) if f.provided_by is not None else None
            record.fields[f.name] = T.FieldSpec(type_, f.nullable, default, has_default, f.required_when,
                                                low, high, f.doc, self.policy, provided_by=provided_by)
            if f.required_when is not None:
                self.pending_required.append((f.required_when, self.file))

    def check_provided(self, f: ast.SchemaField, type_: T.Type, path: str, in_list: bool) -> str | None:
        """A fact that may be absent (`oppgis av …`): a plain value outside lists, without a default."""
        problem = None
        if f.provided_by not in T.PROVIDERS:
            problem = f"«oppgis av {f.provided_by}»: skriv «søker», «saksbehandler» eller «dokumentasjon»"
        elif f.default is not ast.MISSING or f.required_when is not None or f.nullable:
            problem = (f"«{path}» oppgis av {f.provided_by} og mangler til den er oppgitt; den kan ikke også "
                       "ha en standardverdi, «eller ingen» eller «påkrevd når»")
        elif isinstance(type_, (T.Record, T.ListOf)) or in_list:
            problem = f"«{path}»: bare enkeltverdier utenfor lister kan oppgis av noen og mangle til da"
        if problem:
            self.error("F001", problem, f.span)
            return None
        return f.provided_by

    def check_default(self, value: Any, type_: T.Type, nullable: bool, path: str, span: Span | None):
        if isinstance(value, ast.NoneLiteral):
            if not nullable:
                self.error("T002", f"«{path}» kan ikke være «ingen»; skriv «eller ingen» etter typen", span)
            return None
        if isinstance(value, ast.Quantity):
            if isinstance(type_, T.Num):
                self._unit_matches(value, type_.unit, path)
                return value.value
        elif isinstance(value, ast.Boolean) and isinstance(type_, T.Bool):
            return value.value
        elif isinstance(value, ast.Text) and isinstance(type_, (T.Enum, T.Text)):
            if isinstance(type_, T.Enum):
                self._check_enum_value(value.value, type_, span)
            return value.value
        elif isinstance(value, list) and isinstance(type_, T.ListOf) and not value:
            return []
        elif isinstance(value, dict) and isinstance(type_, T.Record) and not value:
            return {}
        self.error("T002", f"standardverdien passer ikke til typen {T.describe(type_)} for «{path}»", span)
        return None

    def _check_enum_value(self, value: str, enum: T.Enum, span: Span | None) -> None:
        if enum.values and value not in enum.values:
            self.error("T005", f"«{value}» er ikke en gyldig verdi for {enum.name}", span,
                       self._hint(value, enum.values) or [f"gyldige verdier: {', '.join(enum.values)}"])

    # ---- finishing: schemes, expressions, cycles, unused definitions
    def finish(self) -> CheckedPolicy:
        base_criteria = tuple(self.criteria.values())
        base_scheme = SchemeDef("", "", "", dict(self.computations), base_criteria,
                                tuple(self.conditions.values()))
        schemes = {sid: self.build_scheme(sid, node, policy, file, doc, base_scheme)
                   for sid, (node, policy, file, doc) in self.schemes.items()}
        ordning = self.schema.fields.get("ordning")
        choices = ordning.type if ordning and isinstance(ordning.type, T.Enum) else T.Enum("ordning", ())
        self.offered = T.SetOf(choices)
        for sid, (node, _policy, file, _doc) in self.schemes.items():
            self.file = file
            self._check_enum_value(sid, choices, node.span)
        for scheme in [base_scheme, *schemes.values()]:
            self.check_scheme(scheme)
        levers = self.resolve_levers()
        fact_texts = self.resolve_fact_texts()
        for scheme in [base_scheme, *schemes.values()]:
            self.check_letter(scheme, levers)
        self.file, self.policy = self.leaf.path, self.leaf.header.id
        for expr, file in self.pending_required:
            self.file = file
            self.infer_bool(expr, _Scope(self, base_scheme.computations), "«påkrevd når»")
        outcome_rules, outcome_default = self.check_outcome()
        decision = self.check_decision(base_scheme)
        self.check_examples(decision, schemes)
        self.report_unused(schemes)
        self.check_målform([base_scheme, *schemes.values()], levers, fact_texts)
        header = {f.name: (f.value.value if isinstance(f.value, ast.Word) else f.value) for f in self.leaf.header.fields}
        sources = {f.path: f.source for f in self.files}
        return CheckedPolicy(
            id=self.leaf.header.id, header=header, doc=self.leaf.doc,
            chain=tuple(f.header.id for f in self.files), sources=sources, types=self.types,
            schema=self.schema, parameters=self.parameters, tables=self.tables,
            conditions=tuple(self.conditions.values()), outcome_rules=outcome_rules,
            outcome_default=outcome_default, decision=decision, schemes=schemes, base_scheme=base_scheme,
            examples=tuple(e for e in self.examples if e.origin.policy == self.leaf.header.id),
            expr_types=self.expr_types, diagnostics=tuple(sorted(self.diagnostics, key=self._position)),
            removed=tuple(self.removed), letter=tuple(self.letter), levers=levers, fact_texts=fact_texts,
        )

    def build_scheme(self, sid, node: ast.Scheme, policy, file, doc, base: SchemeDef) -> SchemeDef:
        self.file, self.policy = file, policy
        overlay: dict = {ast.Compute: {}, ast.Criterion: {}, ast.ConditionText: {}}
        saved = (dict(self.computations), dict(self.criteria), dict(self.conditions))
        for item in node.items:
            self.add_item(item, scheme=overlay)
        self.computations, self.criteria, self.conditions = (dict(s) for s in saved)
        removed = overlay.get("removed", set())
        computations = {**base.computations, **overlay[ast.Compute]}
        criteria = [overlay[ast.Criterion].get(c.id, c) for c in base.criteria]
        criteria += [c for cid, c in overlay[ast.Criterion].items() if cid not in {x.id for x in base.criteria}]
        conditions = [*base.conditions, *overlay[ast.ConditionText].values()]
        for name in [n for node_type, n in removed if node_type is ast.Compute]:
            computations.pop(name, None)
        criteria = [c for c in criteria if (ast.Criterion, c.id) not in removed]
        conditions = [c for c in conditions if (ast.ConditionText, c.id) not in removed]
        title = next((f.value for f in node.fields if f.name == "tittel"), sid)
        own = frozenset(n for table in (overlay[ast.Compute], overlay[ast.Criterion], overlay[ast.ConditionText]) for n in table)
        return SchemeDef(sid, str(title), doc, computations, tuple(criteria), tuple(conditions), own,
                         Origin(policy, file, node.span))

    def check_scheme(self, scheme: SchemeDef) -> None:
        for c in scheme.computations.values():
            self.file = c.origin.file
            got = self.infer(c.expr, _Scope(self, scheme.computations))
            if got is not None and not _compatible(c.type, got):
                self.error("T003", f"«{c.name}» er oppgitt som {T.describe(c.type)}, men uttrykket gir {T.describe(got)}",
                           getattr(c.expr, "span", None) or c.origin.span)
        self.check_cycles(scheme)
        for crit in scheme.criteria:
            self.file = crit.origin.file if crit.origin else self.file
            scope = _Scope(self, scheme.computations)
            self.infer_bool(crit.condition, scope, "«oppfylt når»")
            if crit.relevance is not None:
                self.infer_bool(crit.relevance, scope, "«relevant når»")
            for e in crit.exceptions:
                self.infer_bool(e.condition, scope, f"unntak {e.letter}")
                for tpl in (e.explanation, e.not_applied):
                    if tpl is not None:
                        self.check_template(tpl, scope)
            for tpl in crit.explanations.values():
                if tpl is not None:
                    self.check_template(tpl, scope)

    def check_template(self, tpl: ast.Template, scope: _Scope) -> None:
        for part in tpl.parts:
            if not isinstance(part, str):
                self.infer(part, scope)

    def check_cycles(self, scheme: SchemeDef) -> None:
        graph = {name: names_in(c.expr) & scheme.computations.keys() for name, c in scheme.computations.items()}
        state: dict[str, int] = {}
        reported: set[frozenset] = set()

        def visit(node: str, path: list[str]) -> None:
            state[node] = 1
            for nxt in sorted(graph[node]):
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt):] + [nxt]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        c = scheme.computations[nxt]
                        self.file = c.origin.file
                        self.error("C001", "sirkulær beregning: " + " → ".join(cycle), c.origin.span,
                                   ["en beregning kan ikke avhenge av seg selv, direkte eller via andre"])
                elif state.get(nxt) is None:
                    visit(nxt, path + [nxt])
            state[node] = 2

        for name in sorted(graph):
            if name not in state:
                visit(name, [name])

    def check_outcome(self) -> tuple[tuple[OutcomeRule, ...], str]:
        if self.outcome is None:
            self.error("U001", "regelverket mangler en utfallsregel («utfall { … }»)", self.leaf.header.span)
            return (), "innvilget"
        node, self.file = self.outcome
        rules = []
        for r in node.rules:
            if r.outcome not in OUTCOMES:
                self.error("U001", f"ukjent utfall «{r.outcome}»", r.span, self._hint(r.outcome, OUTCOMES))
            if r.kind not in KINDS:
                self.error("U001", f"ukjent art «{r.kind}»", r.span, self._hint(r.kind, KINDS))
            rules.append(OutcomeRule(r.outcome, r.kind))
        if node.default not in OUTCOMES:
            self.error("U001", f"ukjent utfall «{node.default}»", node.default_span, self._hint(node.default, OUTCOMES))
        return tuple(rules), node.default

    def check_decision(self, base: SchemeDef) -> tuple[tuple[str, ast.Expr], ...]:
        if self.decision is None:
            self.error("U001", "regelverket mangler en vedtak-blokk («vedtak { … }»)", self.leaf.header.span)
            return ()
        node, self.file = self.decision
        entries = []
        for e in node.entries:
            got = self.infer(e.expr, _Scope(self, base.computations, in_decision=True))
            want = DECISION_SPECIAL.get(e.key)
            if got is not None:
                if want and not (isinstance(got, T.Num) and got.unit == want):
                    self.error("T002", f"«{e.key}» må være i {want}, men er {T.describe(got)}", e.span)
                elif not want and not (isinstance(got, T.Num) and got.unit in ("kr", "kr/mnd")):
                    self.error("T002", f"beløpet «{e.key}» må være i kr eller kr/mnd, men er {T.describe(got)}", e.span)
            entries.append((e.key, e.expr))
        return tuple(entries)

    def check_examples(self, decision, schemes: dict[str, SchemeDef]) -> None:
        keys = {k for k, _ in decision}
        criteria = set(self.criteria) | {c.id for scheme in schemes.values() for c in scheme.criteria}
        for ex in self.examples:
            if ex.origin.policy != self.leaf.header.id or not ex.expected:
                continue
            self.file = ex.origin.file
            for key, value in ex.expected.items():
                if key == "utfall":
                    if value not in OUTCOME_VALUES:
                        self.error("E001", f"ukjent utfall «{value}» i eksempelet «{ex.name}»", ex.origin.span,
                                   self._hint(str(value), OUTCOME_VALUES))
                elif key == "beløp":
                    for k in value if isinstance(value, dict) else ():
                        if k not in keys:
                            self.error("E001", f"eksempelet «{ex.name}» forventer beløpet «{k}», som vedtaket ikke har",
                                       ex.origin.span, self._hint(k, keys))
                elif key == "vilkår":
                    for k in value if isinstance(value, dict) else ():
                        if k not in criteria:
                            self.error("E001", f"eksempelet «{ex.name}» nevner vilkåret «{k}», som ikke finnes",
                                       ex.origin.span, self._hint(k, criteria))
                elif key not in ("rente", "nedbetalingstid_år", "betingelser", "ordning", "mangler"):
                    self.error("E001", f"ukjent nøkkel «{key}» under «forventet» i «{ex.name}»", ex.origin.span,
                               self._hint(key, ("utfall", "beløp", "vilkår", "rente", "nedbetalingstid_år", "betingelser")))

    def report_unused(self, schemes: dict[str, SchemeDef]) -> None:
        roots: set[str] = set()
        for crit in [*self.criteria.values(), *(c for scheme in schemes.values() for c in scheme.criteria)]:
            roots |= _names_in_criterion(crit)
        for scheme in schemes.values():  # the computations a scheme defines or overrides
            roots |= names_in([c.expr for name, c in scheme.computations.items() if c is not self.computations.get(name)])
        if self.decision:
            for e in self.decision[0].entries:
                roots |= names_in(e.expr)
        for expr, _ in self.pending_required:
            roots |= names_in(expr)
        roots |= names_in([(s.condition, s.template) for s in self.letter])
        roots |= names_in([(c.condition, template) for c, template, _ in self.pending_levers.values()])
        roots |= {name for name in self.computations if KARTLEGGING_PRIORITY.fullmatch(name)}
        reachable, todo = set(), list(roots)
        while todo:
            n = todo.pop()
            if n in reachable:
                continue
            reachable.add(n)
            if n in self.computations:
                todo.extend(names_in(self.computations[n].expr))
        leaf = self.leaf.header.id
        for table in (self.parameters, self.tables, self.computations):
            for name, d in table.items():
                if d.origin.policy == leaf and name not in reachable and name not in self.failed_overrides:
                    self.file = d.origin.file
                    self.warn("N007", f"«{name}» brukes ikke", d.origin.span,
                              ["fjern definisjonen, eller bruk den i en beregning eller et vilkår"])

    # ---- expressions
    def infer_bool(self, expr: ast.Expr, scope: _Scope, what: str) -> None:
        got = self.infer(expr, scope)
        if got is not None and not isinstance(got, T.Bool):
            self.error("T002", f"{what} må være en sannhetsverdi, men er {T.describe(got)}", expr.span)

    def infer(self, e: ast.Expr, scope: _Scope) -> T.Type | None:
        t = self._infer(e, scope)
        if t is not None:
            self.expr_types[id(e)] = t
        return t

    def _infer(self, e: ast.Expr, s: _Scope) -> T.Type | None:
        match e:
            case ast.Quantity(value, unit):
                return T.Num(T.unit_of(unit) if unit else "tall", integer=value == value.to_integral_value())
            case ast.Text():
                return T.TEXT
            case ast.DateLiteral():
                return T.DATE
            case ast.Boolean():
                return T.BOOL
            case ast.NoneLiteral():
                self.error("T002", "«ingen» kan ikke brukes i et uttrykk", e.span,
                           ["bruk oppgitt(felt) for å sjekke om et felt er fylt ut"])
                return None
            case ast.Name(name):
                return self.resolve_name(name, e.span, s)
            case ast.Attribute(obj, name):
                base = self.infer(obj, s)
                if base is None:
                    return None
                if not isinstance(base, T.Record):
                    self.error("T002", f"«{name}» kan bare hentes fra en post, ikke fra {T.describe(base)}", e.span)
                    return None
                if name not in base.fields:
                    self.error("N001", f"ukjent felt «{name}»", e.span, self._hint(name, base.fields))
                    return None
                return base.fields[name].type
            case ast.Lookup():
                return self.infer_lookup(e, s)
            case ast.Call():
                return self.infer_call(e, s)
            case ast.Unary("-", operand):
                t = self.infer(operand, s)
                if t is not None and not isinstance(t, T.Num):
                    self.error("T002", f"kan ikke gjøre {T.describe(t)} negativ", e.span)
                    return None
                return t
            case ast.Unary("ikke", operand):
                self.infer_bool(operand, s, "«ikke»")
                return T.BOOL
            case ast.Binary():
                return self.infer_arithmetic(e, s)
            case ast.Compare():
                self.infer_compare(e, s)
                return T.BOOL
            case ast.Logical(op, left, right):
                self.infer_bool(left, s, f"«{op}»")
                self.infer_bool(right, s, f"«{op}»")
                return T.BOOL
            case ast.Member():
                self.infer_member(e, s)
                return T.BOOL
            case ast.If(cond, then, otherwise):
                self.infer_bool(cond, s, "«hvis»")
                guarded = _guarded_nonzero(cond) - s.nonzero
                s.nonzero |= guarded
                a = self.infer(then, s)
                s.nonzero -= guarded
                b = self.infer(otherwise, s)
                if a is None or b is None:
                    return a or b
                if _compatible(a, b, then) or _compatible(b, a, otherwise):
                    return b if _is_zero(then) else a
                self.error("T001", f"grenene i «hvis» har ulike typer: {T.describe(a)} og {T.describe(b)}", e.span,
                           [T.hint(getattr(a, "unit", ""), getattr(b, "unit", ""))])
                return a
            case ast.ListLiteral():
                self.error("T002", "en liste kan bare brukes etter «i», f.eks. formål i [\"kjøp\", \"oppføring\"]", e.span)
                return None
            case ast.Aggregate():
                return self.infer_aggregate(e, s)
        raise AssertionError(e)

    def resolve_name(self, name: str, span: Span | None, s: _Scope) -> T.Type | None:
        if name in s.locals:
            return s.locals[name]
        if name in s.computations:
            return s.computations[name].type
        if name in self.parameters:
            return self.parameters[name].type
        if name in self.tables:
            self.error("T002", f"«{name}» er en tabell; slå opp en rad med {name}[nøkkel]", span)
            return None
        if name in self.schema.fields:
            return self.schema.fields[name].type
        if name == "tilbudte_ordninger":
            return self.offered
        if name == "utfall":
            if s.in_decision:
                return T.Outcome()
            self.error("N001", "«utfall» kan bare brukes i vedtak-blokken", span)
            return None
        self.error("N001", f"ukjent navn «{name}»", span, self._hint(name, s.visible()))
        return None

    def infer_lookup(self, e: ast.Lookup, s: _Scope) -> T.Type | None:
        if not isinstance(e.table, ast.Name) or e.table.name not in self.tables:
            name = getattr(e.table, "name", "")
            self.error("N001", f"ukjent tabell «{name}»", e.table.span, self._hint(name, self.tables))
            for k in e.keys:
                self.infer(k, s)
            return None
        table = self.tables[e.table.name]
        if len(e.keys) != len(table.key_names):
            self.error("T002", f"tabellen «{table.name}» er etter {', '.join(table.key_names)} og slås opp med "
                       f"{len(table.key_names)} nøkler, ikke {len(e.keys)}", e.span,
                       [f"skriv {table.name}[{', '.join(table.key_names)}]"])
            for k in e.keys:
                self.infer(k, s)
            return table.value_type
        for dim, (expr, text_keys) in enumerate(zip(e.keys, table.text_keys)):
            key = self.infer(expr, s)
            which = f" for «{table.key_names[dim]}»" if len(e.keys) > 1 else ""
            if key is None:
                continue
            if text_keys and not isinstance(key, (T.Enum, T.Text)):
                self.error("T002", f"tabellen «{table.name}» slås opp med tekst{which}, ikke {T.describe(key)}", expr.span)
            elif not text_keys and not (isinstance(key, T.Num) and key.integer):
                self.error("T002", f"tabellen «{table.name}» slås opp med et heltall{which}, ikke {T.describe(key)}",
                           expr.span)
            elif not text_keys:
                self._key_covered(table, e.keys, dim, s)
            elif isinstance(key, T.Enum):
                self._choices_covered(table, e.keys, dim, key)
        return table.value_type

    def _choices_covered(self, table: TableDef, keys: tuple[ast.Expr, ...], dim: int, key: T.Enum) -> None:
        """T007 unless every value of the choice the key is has a row in every version."""
        for version in table.versions:
            written = {k[dim] for k, _ in version.rows}
            missing = [v for v in key.values if v not in written]
            if missing:
                which = f" for «{table.key_names[dim]}»" if len(keys) > 1 else ""
                shown = ", ".join(f"«{v}»" for v in missing)
                self.error("T007", f"tabellen «{table.name}» fra {version.valid_from} har ingen rad{which} for {shown}, "
                           f"som «{_source_text(keys[dim])}» kan være", keys[dim].span,
                           [f"legg til en rad for {shown}"])
                return

    def _key_covered(self, table: TableDef, keys: tuple[ast.Expr, ...], dim: int, s: _Scope) -> None:
        """T007 unless every value key `dim` can take (from the søknad's ranges) has a row in every version."""
        key = keys[dim]
        low, high = self._key_range(key, s, 0)
        for version in table.versions:
            # integer ranges only: a text key among them is T002 already
            rows = sorted((k[dim] for k, _ in version.rows if isinstance(k[dim], tuple)), key=lambda k: k[0])
            if not rows:
                continue
            start = rows[0][0] if low is None else low
            missing = _first_missing(rows, start, high)
            if missing is None:
                continue
            top = max((k[1] for k in rows if k[1] is not None), default=rows[-1][0])
            which = f" for «{table.key_names[dim]}»" if len(keys) > 1 else ""
            if high is None and missing > top:
                what = (f"«{_source_text(key)}» har ingen øvre grense i søknaden, men tabellen «{table.name}» "
                        f"fra {version.valid_from} har ingen rad{which} over {top}")
            else:
                what = (f"tabellen «{table.name}» fra {version.valid_from} har ingen rad{which} for {missing}, "
                        f"som «{_source_text(key)}» kan være")
            if missing <= top:
                hint = f"legg til en rad for {missing}"
            else:
                capped = ", ".join(f"min({_source_text(k)}, {top})" if i == dim else _source_text(k)
                                   for i, k in enumerate(keys))
                rows_hint = f"«{missing} og over»" if high is None else f"for {missing} til {high} (eller «{missing} og over»)"
                hint = f"legg til en rad {rows_hint}, eller begrens nøkkelen: {table.name}[{capped}]"
            self.error("T007", what, key.span, [hint])
            return

    def _key_range(self, e: ast.Expr, s: _Scope, depth: int) -> tuple:
        """The least and greatest integer `e` can be (None: not known), from literals, søknad ranges and caps."""
        match e:
            case ast.Quantity(value):
                return value, value
            case ast.Name(name) if name in s.locals:
                return None, None
            case ast.Name(name) if name in s.computations and depth < 20:
                return self._key_range(s.computations[name].expr, s, depth + 1)
            case ast.Name(name) if name in self.parameters:
                values = [v.value for v in self.parameters[name].values if isinstance(v.value, Decimal)]
                return (min(values), max(values)) if values else (None, None)
            case ast.Name() | ast.Attribute():
                spec = self._spec_of(e, s)
                return (spec.low, spec.high) if spec is not None else (None, None)
            case ast.Call("min", args) if args:
                ranges = [self._key_range(a, s, depth + 1) for a in args]
                highs = [h for _, h in ranges if h is not None]
                lows = [lo for lo, _ in ranges]
                return (min(lows) if None not in lows else None), (min(highs) if highs else None)
            case ast.Call("maks", args) if args:
                ranges = [self._key_range(a, s, depth + 1) for a in args]
                lows = [lo for lo, _ in ranges if lo is not None]
                highs = [h for _, h in ranges]
                return (max(lows) if lows else None), (max(highs) if None not in highs else None)
            case ast.Aggregate("antall", None, source):
                spec_type = self._type_of_path(source, s)
                minimum = spec_type.min_items if isinstance(spec_type, T.ListOf) else 0
                return Decimal(minimum), None
            case ast.Aggregate("antall"):
                return Decimal(0), None
            case ast.Binary(op, left, right) if op in "+-":
                (a, b), (c, d) = self._key_range(left, s, depth + 1), self._key_range(right, s, depth + 1)
                if op == "+":
                    return (None if None in (a, c) else a + c), (None if None in (b, d) else b + d)
                return (None if None in (a, d) else a - d), (None if None in (b, c) else b - c)
            case ast.If(_, then, otherwise):
                (a, b), (c, d) = self._key_range(then, s, depth + 1), self._key_range(otherwise, s, depth + 1)
                return (None if None in (a, c) else min(a, c)), (None if None in (b, d) else max(b, d))
        return None, None

    def _spec_of(self, e: ast.Expr, s: _Scope) -> T.FieldSpec | None:
        """The søknad field a name or path reads (a loop variable stands for its list's element)."""
        if isinstance(e, ast.Name):
            return self.schema.fields.get(e.name) if e.name not in s.locals else None
        if isinstance(e, ast.Attribute):
            record = s.locals.get(e.obj.name) if isinstance(e.obj, ast.Name) and e.obj.name in s.locals else None
            if record is None:
                outer = self._spec_of(e.obj, s)
                record = outer.type if outer is not None else None
                if isinstance(record, T.ListOf):
                    record = record.element
            return record.fields.get(e.name) if isinstance(record, T.Record) else None
        return None

    def _type_of_path(self, e: ast.Expr, s: _Scope):
        spec = self._spec_of(e, s)
        return spec.type if spec is not None else None

    def infer_call(self, e: ast.Call, s: _Scope) -> T.Type | None:
        name, args = e.function, e.args
        if name == "oppgitt":
            if len(args) != 1 or not isinstance(args[0], (ast.Name, ast.Attribute)):
                self.error("T004", "oppgitt(…) tar ett søknadsfelt", e.span)
                return T.BOOL
            self.infer(args[0], s)
            return T.BOOL
        if name == "avrund":
            if len(args) != 3:
                self.error("T004", "avrund tar tre argumenter: avrund(beløp, 1000 kr, ned)", e.span)
                return None
            value = self.infer(args[0], s)
            unit, mode = args[1], args[2]
            modes = [m.value for m in RoundingMode]
            if not isinstance(mode, ast.Name) or mode.name not in modes:
                self.error("T004", "ukjent avrundingsmåte", mode.span,
                           self._hint(getattr(mode, "name", ""), modes) or [f"velg en av: {', '.join(modes)}"])
            if not isinstance(unit, ast.Quantity) or unit.value <= 0:
                self.error("T004", "avrundingsenheten må være et positivt tall med enhet, f.eks. 1000 kr", unit.span)
            elif isinstance(value, T.Num) and T.unit_of(unit.unit or "tall") != value.unit:
                self.error("T001", f"avrundingsenheten er i {unit.unit or 'tall'}, men beløpet er i {value.unit}", unit.span)
            return value
        if name == "antall_tekst":
            if len(args) != 3:
                self.error("T004", "antall_tekst tar tre argumenter: antall_tekst(antall_barn, \"ett barn\", \"barn\")",
                           e.span)
            for a, want in zip(args, ("count", T.TEXT, T.TEXT)):
                t = self.infer(a, s)
                if want == "count":
                    if t is not None and not (isinstance(t, T.Num) and t.unit in ("tall", "antall", "år", "måneder")):
                        self.error("T002", f"det første argumentet til antall_tekst må være et antall, ikke {T.describe(t)}",
                                   a.span)
                elif t is not None and not isinstance(t, T.Text):
                    self.error("T002", f"antall_tekst tar tekst som andre og tredje argument, ikke {T.describe(t)}", a.span)
            return T.TEXT
        if name in VARIADIC:
            if not args:
                self.error("T004", f"{name}(…) trenger minst ett argument", e.span)
                return None
            found = [(a, self.infer(a, s)) for a in args]
            units = [(a, t) for a, t in found if t is not None]
            for a, t in units:
                if not isinstance(t, T.Num):
                    self.error("T002", f"{name}(…) tar tall eller beløp, ikke {T.describe(t)}", a.span)
                    return None
            real = [(a, t) for a, t in units if not _is_zero(a)]
            if real:
                first = real[0][1]
                for a, t in real[1:]:
                    if not _compatible(first, t, a):
                        self.error("T001", f"{name}(…) kan ikke sammenligne {first.unit} med {t.unit}", a.span,
                                   [T.hint(first.unit, t.unit)])
                return first
            return units[0][1] if units else None
        if name in BUILTINS:
            want, result = BUILTINS[name]
            if len(args) != len(want):
                self.error("T004", f"{name} tar {len(want)} argumenter ({', '.join(want)}), ikke {len(args)}", e.span)
            for a, unit in zip(args, want):
                t = self.infer(a, s)
                if t is not None and not (isinstance(t, T.Num) and t.unit == unit):
                    self.error("T001", f"argumentet til {name} må være i {unit}, men er {T.describe(t)}", a.span,
                               [T.hint(unit, getattr(t, "unit", ""))])
            return T.Num(result)
        self.error("N001", f"ukjent funksjon «{name}»", e.span, self._hint(name, FUNCTIONS))
        for a in args:
            self.infer(a, s)
        return None

    def infer_arithmetic(self, e: ast.Binary, s: _Scope) -> T.Type | None:
        a, b = self.infer(e.left, s), self.infer(e.right, s)
        if a is None or b is None:
            return None
        for side, t in ((e.left, a), (e.right, b)):
            if not isinstance(t, T.Num):
                self.error("T002", f"kan ikke regne med {T.describe(t)}", side.span)
                return None
        if e.op in "+-":
            unit = T.add(e.op, a.unit, b.unit)
            if unit is None and _is_zero(e.right):
                unit = a.unit
            word = "legge sammen" if e.op == "+" else "trekke fra"
        elif e.op == "*":
            unit, word = T.multiply(a.unit, b.unit), "gange"
        else:
            unit, word = T.divide(a.unit, b.unit), "dele"
            if _is_zero(e.right):
                self.error("T006", "deling med null", e.right.span)
            elif not _cannot_be_zero(e.right, s.nonzero) and not self._positive_count(e.right, s):
                self.error("T006", "divisoren kan være null; da kan søknaden ikke vurderes", e.right.span, [
                    "skriv f.eks. «hvis antall_barn > 0 så lånebehov / antall_barn ellers 0 kr» eller "
                    "«lånebehov / maks(antall_barn, 1)»"], severity=Severity.WARNING)
        if unit is None:
            self.error("T001", f"kan ikke {word} {a.unit} og {b.unit}", e.span, [T.hint(a.unit, b.unit)])
            return None
        return T.Num(unit, integer=a.integer and b.integer and e.op != "/")

    def _positive_count(self, e: ast.Expr, s: _Scope) -> bool:
        """Whether `e` is a count of a list the søknad must give at least one element of (`antall_voksne` for
        `voksne: liste av … minst 1`), or a fact whose lower bound is above zero."""
        if isinstance(e, ast.Name) and e.name in s.computations:
            e = s.computations[e.name].expr
        if isinstance(e, ast.Aggregate) and e.kind == "antall" and e.var is None:
            source = self.infer(e.source, s)
            return isinstance(source, T.ListOf) and source.min_items >= 1
        if isinstance(e, ast.Name) and e.name in self.schema.fields:
            low = self.schema.fields[e.name].low
            return low is not None and low > 0
        return False

    def infer_compare(self, e: ast.Compare, s: _Scope) -> None:
        a, b = self.infer(e.left, s), self.infer(e.right, s)
        if a is None or b is None:
            return
        ordered = e.op in ("<", "<=", ">", ">=")
        if isinstance(a, T.Num) and isinstance(b, T.Num):
            if not (_compatible(a, b, e.right) or _compatible(b, a, e.left)):
                self.error("T001", f"kan ikke sammenligne {a.unit} med {b.unit}", e.span, [T.hint(a.unit, b.unit)])
            return
        if ordered and not (isinstance(a, T.Date) and isinstance(b, T.Date)):
            self.error("T002", f"«{e.op}» sammenligner tall, beløp eller datoer, ikke {T.describe(a)}", e.span)
            return
        for enum, other, lit in ((a, b, e.right), (b, a, e.left)):
            if isinstance(enum, (T.Enum, T.Outcome)) and isinstance(lit, ast.Text):
                values = enum.values if isinstance(enum, T.Enum) else OUTCOME_VALUES
                if lit.value not in values:
                    self.error("T005", f"«{lit.value}» er ikke en gyldig verdi", lit.span,
                               self._hint(lit.value, values) or [f"gyldige verdier: {', '.join(values)}"])
                return
        if type(a) is not type(b) or (isinstance(a, T.Enum) and a.values != b.values):
            self.error("T002", f"kan ikke sammenligne {T.describe(a)} med {T.describe(b)}", e.span)

    def infer_member(self, e: ast.Member, s: _Scope) -> None:
        item = self.infer(e.item, s)
        if isinstance(e.container, ast.ListLiteral):
            for x in e.container.items:
                if not isinstance(x, ast.Text):
                    self.error("T002", "listen etter «i» må bestå av verdier i anførselstegn", x.span)
                elif isinstance(item, T.Enum):
                    self._check_enum_value(x.value, item, x.span)
            return
        container = self.infer(e.container, s)
        if container is None or item is None:
            return
        if not isinstance(container, T.SetOf):
            self.error("T002", f"«i» krever en liste eller en mengde, ikke {T.describe(container)}", e.container.span)
        elif not isinstance(item, T.Enum) or item.values != container.element.values:
            self.error("T002", f"{T.describe(item)} kan ikke slås opp i {T.describe(container)}", e.span)

    def infer_aggregate(self, e: ast.Aggregate, s: _Scope) -> T.Type | None:
        source = self.infer(e.source, s)
        if source is None:
            return None
        if not isinstance(source, T.ListOf):
            self.error("T002", f"«{e.kind}» krever en liste, men fikk {T.describe(source)}", e.source.span)
            return None
        if e.var is None:
            return T.Num("antall", integer=True)
        if e.var in s.locals:
            self.error("N002", f"«{e.var}» er allerede løkkevariabel i en ytre «for hver»; velg et annet navn", e.span)
            return None
        s.locals[e.var] = source.element
        try:
            if e.where is not None:
                self.infer_bool(e.where, s, "«der»")
            if e.kind == "sum":
                body = self.infer(e.body, s)
                if body is not None and not isinstance(body, T.Num):
                    self.error("T002", f"«sum» krever tall eller beløp, ikke {T.describe(body)}", e.body.span)
                    return None
                return body
            if e.kind == "antall":
                return T.Num("antall", integer=True)
            return T.BOOL
        finally:
            del s.locals[e.var]


# ---- helpers -----------------------------------------------------------------------------


def _guarded_nonzero(cond: ast.Expr) -> set[str]:
    """Names a condition proves nonzero: `x > 0`, `x != 0`, `x >= 1` …, and both sides of an `og`."""
    match cond:
        case ast.Logical("og", left, right):
            return _guarded_nonzero(left) | _guarded_nonzero(right)
        case ast.Compare(op, ast.Name(name), ast.Quantity(value)) if (
                (op in (">", "!=") and value >= 0) or (op == ">=" and value > 0) or (op == "=" and value != 0)):
            return {name}
        case ast.Compare(op, ast.Quantity(value), ast.Name(name)) if (
                (op in ("<", "!=") and value >= 0) or (op == "<=" and value > 0) or (op == "=" and value != 0)):
            return {name}
    return set()


def _cannot_be_zero(e: ast.Expr, nonzero: set[str]) -> bool:
    """Whether a divisor is nonzero whatever the søknad: a nonzero number, a guarded name, or `maks` with one."""
    match e:
        case ast.Quantity(value):
            return value != 0
        case ast.Name(name):
            return name in nonzero
        case ast.Call("maks", args):
            return any(isinstance(a, ast.Quantity) and a.value > 0 for a in args)
        case ast.Unary("-", operand):
            return _cannot_be_zero(operand, nonzero)
    return False


def _kind_word(d: Any) -> str:
    return {ast.Parameter: "parameter", ast.Table: "tabell", ast.Compute: "beregn",
            ast.Criterion: "vilkår", ast.ConditionText: "betingelse"}[type(d)]


def _text(f: ast.Field | None, default):
    return f.value if f is not None and isinstance(f.value, str) else default


def _show(q: ast.Quantity) -> str:
    return f"{q.value} {q.unit}" if q.unit else str(q.value)



def _is_zero(e: Any) -> bool:
    return isinstance(e, ast.Quantity) and e.unit is None and e.value == 0


def _compatible(want: T.Type, got: T.Type, got_expr: Any = None) -> bool:
    if isinstance(want, T.Num) and isinstance(got, T.Num):
        if want.unit == got.unit or _is_zero(got_expr):
            return True
        return {want.unit, got.unit} <= {"tall", "antall"} or (got.unit == "tall" and want.unit in ("år", "måneder"))
    if isinstance(want, T.Enum) and isinstance(got, T.Enum):
        return want.values == got.values
    return type(want) is type(got)


def names_in(e: Any) -> set[str]:
    """Every bare name an expression mentions (aggregate variables included)."""
    found: set[str] = set()
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            found.add(node.name)
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif hasattr(node, "__attrs_attrs__") and not isinstance(node, Span):
            stack.extend(getattr(node, a.name) for a in node.__attrs_attrs__ if a.name != "span")
    return found


def _names_in_criterion(c: CriterionDef) -> set[str]:
    names = names_in(c.condition) | names_in(c.relevance) | names_in([e.condition for e in c.exceptions])
    names |= names_in([(e.explanation, e.not_applied) for e in c.exceptions]) | names_in(list(c.explanations.values()))
    return names


def policy_digest(sources: dict[str, str]) -> str:
    h = hashlib.sha256()
    for path, text in sources.items():
        h.update(path.encode())
        h.update(b"\0")
        h.update(text.encode())
        h.update(b"\0")
    return h.hexdigest()


def check(files: list[ast.PolicyFile]) -> CheckedPolicy:
    """Check a chain of parsed files (root baseline first); the result carries all diagnostics."""
    policy = Checker(files).run()
    if not any(d.severity is Severity.ERROR for d in policy.diagnostics):
        set_number_domains(policy)
    return policy


def _fields(record: T.Record, path: tuple[str, ...] = ()):
    """(path, spec) of every field of the søknad, list items under the list's path, records before their fields."""
    for key, spec in record.fields.items():
        yield (*path, key), spec
        inner = spec.type.element if isinstance(spec.type, T.ListOf) else spec.type
        if isinstance(inner, T.Record):
            yield from _fields(inner, (*path, key))


def _word(value) -> str:
    return value.value if isinstance(value, ast.Word) else str(value)


def _first_missing(rows: list, start, high):
    """The least integer from `start` up to `high` (None: without end) that no row covers, or None."""
    at = start
    for low, top in rows:
        if top is not None and top < at:
            continue
        if low > at:
            return at
        if top is None:
            return None
        at = top + 1
        if high is not None and at > high:
            return None
    return at if high is None or at <= high else None


def _key_holds(key, piece) -> bool:
    """Whether a row's key (a text, or an inclusive integer range) holds all of `piece` (same kind)."""
    if isinstance(key, str):
        return key == piece
    (lo, hi), (a, b) = key, piece
    return lo <= a and (hi is None or (b is not None and b <= hi))


def _cell_words(names: tuple[str, ...], cell: tuple) -> str:
    """`voksne 2, barn 0 til 1` for one combination of key pieces."""
    def words(piece) -> str:
        if isinstance(piece, str):
            return f"«{piece}»"
        lo, hi = piece
        return f"{lo} og over" if hi is None else str(lo) if lo == hi else f"{lo} til {hi}"
    return ", ".join(f"{name} {words(piece)}" for name, piece in zip(names, cell))


def _source_text(e: ast.Expr) -> str:
    match e:
        case ast.Name(name):
            return name
        case ast.Attribute(obj, name):
            return f"{_source_text(obj)}.{name}"
        case ast.Quantity(value):
            return str(value)
        case ast.Call(function, args):
            return f"{function}({', '.join(_source_text(a) for a in args)})"
    return "nøkkelen"
