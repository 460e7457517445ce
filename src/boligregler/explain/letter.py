"""The decision letter: the reasons forvaltningsloven §§ 24, 25 and 27 ask for, as a structure.

Every sentence comes from the policy: its `begrunnelse { … }` texts, the criteria's
explanations and legal bases, the exceptions' texts and the `endring` wording. This module
only decides the order and which parts apply; `rendering.letter` writes the structure as text,
Markdown, HTML or JSON. Section headings are the only fixed words.
"""

from __future__ import annotations

from typing import Any

import attrs

from boligregler.evaluation.decision import RESULT_WORDS, CriterionResult
from boligregler.evaluation.runtime import EvaluationError
from boligregler.explain.basis import Basis
from boligregler.explain.counterfactual import WhatIf, what_would_change
from boligregler.explain.evaluate import Texts

HEADINGS = {
    "vedtak": "Vedtak", "resultat": "Resultat av vurderingen", "betingelser": "Vilkår for lånet",
    "grunnlag": "Opplysninger vi har lagt til grunn", "vurdering": "Vurdering", "barn": "Barnets beste",
    "manuell": "Dette må saksbehandler vurdere", "endringer": "Hva som kan endre utfallet",
    "klage": "Klageadgang", "automatisering": "Automatisert saksbehandling",
}
NO_CHANGE = "Ingen enkelt endring av opplysningene er nok til å oppfylle vilkåret."
EXCEPTION_NOT_MET = "Vilkårene for unntaket er ikke oppfylt etter opplysningene i søknaden."


@attrs.frozen
class Item:
    """A point in a list, with indented details (the legal basis, exceptions considered)."""

    text: str
    details: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"tekst": self.text, "detaljer": list(self.details)}


@attrs.frozen
class Section:
    key: str
    heading: str | None
    paragraphs: tuple[str, ...] = ()
    items: tuple[Item, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.key, "overskrift": self.heading, "avsnitt": list(self.paragraphs),
                "punkter": [i.to_dict() for i in self.items]}


@attrs.frozen
class Letter:
    title: str
    utfall: str | None
    sections: tuple[Section, ...]
    what_if: WhatIf | None = None

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        out = {"tittel": self.title, "utfall": self.utfall, "deler": [s.to_dict() for s in self.sections]}
        if self.what_if is not None:
            out["hva_kan_endre_utfallet"] = self.what_if.to_dict()
        return out


class _Builder:
    def __init__(self, decision):
        self.decision = decision
        self.basis: Basis = decision.basis
        self.model = self.basis.policy.model
        self.texts = Texts(self.basis)

    def paragraphs(self, name: str) -> tuple[str, ...]:
        return tuple(self.texts.render(s.template) for s in self.model.letter
                     if s.name == name and self.texts.holds(s.condition))

    def decisive(self) -> list[CriterionResult]:
        """The criteria that decided a non-default outcome: those of the outcome rule that applied."""
        rule = next((r for r in self.model.outcome_rules if r.outcome == self.decision.utfall), None)
        if rule is None:
            return []
        return [r for r in self.decision.vilkår if r.art == rule.kind and r.resultat == "ikke_oppfylt"]

    def criterion_item(self, r: CriterionResult) -> Item:
        result = RESULT_WORDS[r.resultat] + (f" (bokstav {r.unntak})" if r.unntak else "")
        details = [f"Hjemmel: {r.hjemmel}"] if r.hjemmel else []
        if r.resultat in ("ikke_oppfylt", "unntak"):
            details += self.exceptions(r)
        return Item(f"{r.tittel}: {result}. {r.forklaring}".rstrip(), tuple(details))

    def exceptions(self, r: CriterionResult) -> list[str]:
        """The exceptions the assessment considered, in order, each with why it did or did not apply."""
        definition = next(c for c in self.basis.program.scheme.criteria if c.id == r.id)
        lines = []
        for e in definition.exceptions:
            basis = f"; {e.hjemmel}" if e.hjemmel else ""
            if e.letter == r.unntak:
                why = self.texts.render(e.explanation) if e.explanation else ""
                lines.append(f"Unntak {e.letter} ({e.title}{basis}) gjelder. {why}".rstrip())
                break
            why = self.texts.render(e.not_applied) if e.not_applied else EXCEPTION_NOT_MET
            lines.append(f"Unntak {e.letter} ({e.title}{basis}) gjelder ikke. {why}")
        return lines

    def build(self) -> Letter:
        d = self.decision
        decisive = self.decisive()
        failing = [r for r in d.vilkår if r.resultat == "ikke_oppfylt" and r not in decisive]
        others = [r for r in d.vilkår if r not in decisive and r not in failing]
        sections = [
            Section("innledning", None, self.paragraphs("innledning")),
            Section("vedtak", HEADINGS["resultat" if d.utfall == "manuell_vurdering" else "vedtak"],
                    self.paragraphs(d.utfall)),
            Section("betingelser", HEADINGS["betingelser"], (), tuple(Item(text) for _, text in d.betingelser)),
            Section("grunnlag", HEADINGS["grunnlag"], self.paragraphs("grunnlag")),
            Section("vurdering", HEADINGS["vurdering"], self.paragraphs("vurdering"),
                    tuple(self.criterion_item(r) for r in [*decisive, *failing, *others])),
            Section("barn", HEADINGS["barn"], self.paragraphs("barn")),
        ]
        if d.utfall == "manuell_vurdering":
            sections.append(Section("manuell", HEADINGS["manuell"], self.paragraphs("manuell"), tuple(
                Item(f"{r.tittel}: {r.forklaring}", (f"Hjemmel: {r.hjemmel}",)) for r in decisive)))
        what_if = what_would_change(d)
        if what_if.changes:
            sections.append(Section("endringer", HEADINGS["endringer"], self.paragraphs("endringer"),
                                    tuple(Item(c.text) for c in what_if.changes)))
        elif what_if.none_suffices:
            sections.append(Section("endringer", HEADINGS["endringer"], self.paragraphs("ingen_endring"), tuple(
                Item(f"{r.tittel}:", tuple(c.text for c in changes) or (NO_CHANGE,))
                for r, changes in what_if.per_criterion)))
        sections += [Section("klage", HEADINGS["klage"], self.paragraphs("klage")),
                     Section("automatisering", HEADINGS["automatisering"], self.paragraphs("automatisering"))]
        title = " ".join(self.paragraphs("tittel"))
        return Letter(title, d.utfall, tuple(s for s in sections if s.paragraphs or s.items), what_if)


def build_letter(decision) -> Letter:
    """The letter for a decision made by `Policy.evaluate` (it needs the decision's `basis`)."""
    if decision.basis is None:
        raise EvaluationError("vedtaket mangler grunnlaget brevet bygges fra; vurder søknaden med Policy.evaluate")
    return _Builder(decision).build()


def begrunnelse_text(decision) -> str:
    """The letter as plain text: what `Decision.begrunnelse` and the JSON record hold."""
    from boligregler.rendering.letter import render_text
    return render_text(build_letter(decision))
