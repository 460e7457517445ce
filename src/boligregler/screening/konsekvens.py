"""The impact of a rule change: the same households decided under policy A and policy B.

Every household is decided exactly under both (the columnar backend); the impact counts how
many change outcome and in which direction, by household type, the change in total startlån
and tilskudd granted, and keeps witness households for each kind of change (the first rows of
the file that show it), so a reader can check the change on a concrete case.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Iterator

import attrs
import numpy as np

from boligregler.evaluation import columnar as C
from boligregler.evaluation.decision import OUTCOME_NAMES, RESULT_LABELS
from boligregler.screening import HOUSEHOLD_LABELS
from boligregler.screening.population import HOUSEHOLDS, household_type
from boligregler.screening.tabular import Chunk

RANK = {"avslag": 0, "ikke_avgjort": 1, "manuell_vurdering": 1, "innvilget": 2}
WITNESSES = 5


def direction(a: str | None, b: str | None) -> str:
    if a == b:
        return "uendret"
    if a is None or b is None:
        return "kan ikke vurderes"
    return "bedre" if RANK.get(b, 1) > RANK.get(a, 1) else "verre" if RANK.get(b, 1) < RANK.get(a, 1) else "annet utfall"


@attrs.define
class Witness:
    row: int
    reference: str | None
    household: str
    before: dict
    after: dict
    criteria: list  # (criterion id, result under A, result under B) where they differ


@attrs.define
class Impact:
    """What changing from policy A to policy B does to a population."""

    name_a: str
    name_b: str
    households: int = 0
    transitions: Counter = attrs.field(factory=Counter)  # (utfall A, utfall B) → count
    by_type: dict = attrs.field(factory=lambda: defaultdict(Counter))  # type → direction → count
    totals_a: Counter = attrs.field(factory=Counter)  # "startlån"/"tilskudd" → øre in `innvilget` decisions
    totals_b: Counter = attrs.field(factory=Counter)
    titles: dict = attrs.field(factory=dict)  # criterion id → its title, for the reader
    witnesses: dict = attrs.field(factory=lambda: defaultdict(list))  # (A, B) → [Witness]
    skipped: list = attrs.field(factory=list)  # rows not valid under both policies
    fallback: int = 0

    @property
    def changed(self) -> int:
        return sum(c for (a, b), c in self.transitions.items() if a != b)

    def directions(self) -> Counter:
        out: Counter = Counter()
        for (a, b), c in self.transitions.items():
            out[direction(a, b)] += c
        return out


def _outcomes(result: C.BatchResult) -> np.ndarray:
    names = np.array(list(result.outcomes) + [None], dtype=object)
    return names[np.where(result.utfall < 0, len(result.outcomes), result.utfall)]


def _granted(result: C.BatchResult, key: str) -> np.ndarray:
    """The amount `key` in øre where the decision is `innvilget`, else 0: a refusal's or a manual
    assessment's computed amount is not a loan granted."""
    values = result.amounts.get(key)
    if values is None or "innvilget" not in result.outcomes:
        return np.zeros(result.n, dtype=np.int64)
    return np.where(result.utfall == result.outcomes.index("innvilget"), values, 0)


def add(impact: Impact, policy_a, policy_b, chunk_a: Chunk, chunk_b: Chunk) -> None:
    """Decide the rows both chunks could read under A and B and add them to `impact`."""
    common, ia, ib = np.intersect1d(chunk_a.rows, chunk_b.rows, return_indices=True)
    seen = np.union1d(np.union1d(chunk_a.rows, chunk_a.bad_rows), np.union1d(chunk_b.rows, chunk_b.bad_rows))
    impact.skipped.extend(int(r) for r in np.setdiff1d(seen, common))
    if not common.size:
        return
    batch_a = chunk_a.batch if ia.size == chunk_a.batch.n else chunk_a.batch.take(ia)
    batch_b = chunk_b.batch if ib.size == chunk_b.batch.n else chunk_b.batch.take(ib)
    ra, rb = policy_a.evaluate_batch(batch_a, mangler=False), policy_b.evaluate_batch(batch_b, mangler=False)
    impact.fallback += int(ra.fallback.sum() + rb.fallback.sum())
    oa, ob = _outcomes(ra), _outcomes(rb)
    husstand = batch_a.root.fields["husstand"].value.fields
    kinds = household_type(np.diff(husstand["voksne"].value.offsets), np.diff(husstand["barn"].value.offsets))
    impact.households += int(common.size)
    pairs = Counter(zip(oa.tolist(), ob.tolist()))
    impact.transitions.update(pairs)
    for kind, a, b in zip(kinds.tolist(), oa.tolist(), ob.tolist()):
        impact.by_type[kind][direction(a, b)] += 1
    for key in ("startlån", "tilskudd"):
        impact.totals_a[key] += int(_granted(ra, key).sum())
        impact.totals_b[key] += int(_granted(rb, key).sum())
    for c in (*ra.criteria.values(), *rb.criteria.values()):
        impact.titles.setdefault(c.id, c.title)
    refs = chunk_a.references
    for i in np.flatnonzero(oa != ob).tolist():
        pair = (oa[i], ob[i])
        if len(impact.witnesses[pair]) >= WITNESSES:
            continue
        criteria = []
        for cid, ca in ra.criteria.items():
            cb = rb.criteria.get(cid)
            res_a = C.RESULTS[ca.results[i]] if ca.results[i] >= 0 else None
            res_b = C.RESULTS[cb.results[i]] if cb is not None and cb.results[i] >= 0 else None
            if res_a != res_b:
                criteria.append((cid, res_a, res_b))
        for cid, cb in rb.criteria.items():
            if cid not in ra.criteria and cb.results[i] >= 0:
                criteria.append((cid, None, C.RESULTS[cb.results[i]]))
        impact.witnesses[pair].append(Witness(
            int(common[i]), None if refs is None else refs[int(ia[i])].as_py(), str(kinds[i]),
            {k: int(v[i]) for k, v in ra.amounts.items()}, {k: int(v[i]) for k, v in rb.amounts.items()}, criteria))


def impact_of(policy_a, policy_b, chunks_a: Iterator[Chunk], chunks_b: Iterator[Chunk]) -> Impact:
    """The impact over two streams of the same file, validated under A and under B."""
    impact = Impact(policy_a.navn, policy_b.navn)
    for chunk_a, chunk_b in zip(chunks_a, chunks_b):
        add(impact, policy_a, policy_b, chunk_a, chunk_b)
    return impact


OUTCOME_LABELS = {**OUTCOME_NAMES, None: "kunne ikke vurderes"}


def _type_order(kind: str) -> tuple[int, str]:
    """Household types in report order (enslig first), unknown ones last."""
    return (HOUSEHOLDS.index(kind) if kind in HOUSEHOLDS else len(HOUSEHOLDS), kind)


def text(impact: Impact) -> str:
    """A short Norwegian summary for the terminal."""
    d = impact.directions()
    lines = [f"Fra «{impact.name_a}» til «{impact.name_b}», {impact.households} husstander: "
             f"{impact.changed} får et annet utfall ({d['bedre']} bedre, {d['verre']} verre"
             + (f", {d['annet utfall']} annet utfall" if d["annet utfall"] else "") + ")."]
    for (a, b), count in sorted(impact.transitions.items(), key=lambda x: -x[1]):
        if a != b:
            lines.append(f"  {OUTCOME_LABELS.get(a, a)} → {OUTCOME_LABELS.get(b, b)}: {count}")
    for key in ("startlån", "tilskudd"):
        before, after = impact.totals_a[key] // 100, impact.totals_b[key] // 100
        lines.append(f"  Sum {key} innvilget: {_kr(before)} → {_kr(after)} ({'+' if after >= before else ''}{_kr(after - before)})")
    for kind, counts in sorted(impact.by_type.items(), key=lambda kv: _type_order(kv[0])):
        lines.append(f"  {HOUSEHOLD_LABELS.get(kind, kind)}: {counts['bedre']} bedre, {counts['verre']} verre, "
                     f"{counts['uendret']} uendret")
    if impact.skipped:
        lines.append(f"  {len(impact.skipped)} rader kunne ikke vurderes etter begge regelverkene.")
    return "\n".join(lines)


def _kr(v: int) -> str:
    from boligregler.screening.report import kr
    return kr(v)


def html(impact: Impact, synthetic: bool = False) -> str:
    """The impact as a self-contained HTML report with charts (also usable for a policy's version history)."""
    from boligregler.screening.report import bar_chart, esc, kr, page, table
    d = impact.directions()
    kinds = sorted(impact.by_type, key=_type_order)
    changes = [(a, b, c) for (a, b), c in sorted(impact.transitions.items(), key=lambda x: -x[1]) if a != b]
    sections = [
        ("Oppsummering", f"<p>{impact.households} husstander er vurdert etter begge regelverkene. "
                         f"{impact.changed} får et annet utfall: {d['bedre']} bedre og {d['verre']} verre.</p>"
         + table(["Fra", "Til", "Husstander"], [[OUTCOME_LABELS.get(a, a), OUTCOME_LABELS.get(b, b), c]
                                               for a, b, c in changes])),
        ("Endringer etter husstandstype", bar_chart(
            "Husstander med bedre og verre utfall, etter husstandstype", [HOUSEHOLD_LABELS.get(k, k) for k in kinds],
            {"bedre": [impact.by_type[k]["bedre"] for k in kinds], "verre": [impact.by_type[k]["verre"] for k in kinds]})),
        ("Lån og tilskudd", bar_chart(
            "Sum innvilget (kr)", ["startlån", "tilskudd"],
            {impact.name_a: [impact.totals_a["startlån"] / 100, impact.totals_a["tilskudd"] / 100],
             impact.name_b: [impact.totals_b["startlån"] / 100, impact.totals_b["tilskudd"] / 100]}, unit=" kr")
         + table(["", impact.name_a, impact.name_b, "Endring"],
                 [[k, kr(impact.totals_a[k] // 100), kr(impact.totals_b[k] // 100),
                   kr((impact.totals_b[k] - impact.totals_a[k]) // 100)] for k in ("startlån", "tilskudd")])),
    ]
    parts = []
    for (a, b), found in impact.witnesses.items():
        rows = []
        for w in found:
            crit = "; ".join(f"{impact.titles.get(cid, cid)}: {RESULT_LABELS.get(ra, '–')} → {RESULT_LABELS.get(rb, '–')}"
                             for cid, ra, rb in w.criteria)
            rows.append([w.row, w.reference or "", HOUSEHOLD_LABELS.get(w.household, w.household),
                         kr(w.before.get("maks_lån", 0) // 100), kr(w.after.get("maks_lån", 0) // 100), crit])
        parts.append(f"<h3>{esc(OUTCOME_LABELS.get(a, a))} → {esc(OUTCOME_LABELS.get(b, b))}</h3>" + table(
            ["Rad", "Referanse", "Husstandstype", "Maks lån før", "Maks lån etter", "Vilkår som endret seg"], rows))
    sections.append(("Eksempler på husstander", "".join(parts) or "<p>Ingen husstander får et annet utfall.</p>"))
    note = "Syntetiske data: husstandene er laget av boligregler og beskriver ingen ekte personer." if synthetic else None
    return page(f"Konsekvenser av å gå fra «{impact.name_a}» til «{impact.name_b}»", sections, note)
