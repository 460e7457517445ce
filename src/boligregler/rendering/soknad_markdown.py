"""The søknad format as a Markdown page (docs/soknad.md), generated from a policy's checked schema.

`python -m boligregler.rendering.soknad_markdown [POLICY] > docs/soknad.md` writes it; a test
checks that the committed page is what the national schema gives today.
"""

from __future__ import annotations

import sys
from typing import Any

from boligregler.model import types as T
from boligregler.evaluation.decision import PROVIDER_WORDS
from boligregler.model.policy import CheckedPolicy
from boligregler.rendering.policy_markdown import Describer, esc, format_value, strip_markup, type_words

INTRO = """# Søknadsformatet

En søknad er et JSON-objekt. Denne siden er laget fra søknaden (`søknad { … }`) i den nasjonale
grunnmodellen (`policies/nasjonal.pol`); et kommunalt regelverk kan legge til felt, og siden for
hvert regelverk viser dem. Felt med standardverdi kan utelates. Beløp er kroner, med øre om det
trengs (høyst to desimaler), som tall (`3532.50`) eller tekst (`"3532.50"`); datoer skrives
`ÅÅÅÅ-MM-DD`. Ukjente felt avvises, og alle feil meldes på én gang med feltets sti
(`husstand.barn[1].alder`).

| felt | type | standard | beskrivelse |
|---|---|---|---|
"""


def _type(spec: T.FieldSpec) -> str:
    t = spec.type
    if isinstance(t, T.ListOf):
        words = "liste av poster" if isinstance(t.element, T.Record) else f"liste av {_plain(t.element)}"
        if t.min_items:
            words += f", minst {t.min_items}"
    elif isinstance(t, T.Record):
        words = "post"
    else:
        words = _plain(t)
    if spec.low is not None or spec.high is not None:
        words += f", fra {spec.low} til {spec.high}"
    if spec.nullable:
        words += ", eller ingen"
    return words


def _plain(t) -> str:
    if isinstance(t, T.Enum):
        return "én av " + ", ".join(f"«{v}»" for v in t.values)
    return type_words(t)


def _rows(model: CheckedPolicy, record: T.Record, prefix: str) -> list[str]:
    out = []
    describe = Describer(model, paths=True)
    for name, spec in record.fields.items():
        path = f"{prefix}{name}"
        if spec.has_default:
            default: Any = "[]" if spec.default == [] else format_value(spec.default, spec.type)
        elif spec.provided_by is not None:  # absent until given: not assessed yet, never a default
            default = f"ikke vurdert til den er oppgitt ({PROVIDER_WORDS.get(spec.provided_by, spec.provided_by)})"
        else:
            default = "påkrevd"
        if spec.required_when is not None:
            default += f"; påkrevd når {strip_markup(describe.describe(spec.required_when))}"
        out.append(f"| `{path}` | {esc(_type(spec))} | {esc(default)} | {esc(' '.join(spec.doc.split()))} |")
        inner = spec.type.element if isinstance(spec.type, T.ListOf) else spec.type
        if isinstance(inner, T.Record):
            out += _rows(model, inner, f"{path}[]." if isinstance(spec.type, T.ListOf) else f"{path}.")
    return out


def soknad_page(model: CheckedPolicy) -> str:
    return INTRO + "\n".join(_rows(model, model.schema, "")) + "\n"


if __name__ == "__main__":  # pragma: no cover - the command that writes docs/soknad.md
    from boligregler.api import check_policy
    sys.stdout.write(soknad_page(check_policy(sys.argv[1] if len(sys.argv) > 1 else "nasjonal")))
