"""The kartlegging: which households in a register could buy a home, and at what price.

For each household (one row of a register): the outcome at the price in the register (when it
has one), the highest kjøpesum the household can finance in whole 1 000 kr, with and without
tilskudd (the exact finansieringsbevis: the price is verified to pass and 1 000 kr more to fail),
what stands in the way, the facts still missing (`mangler`: assessments not yet made), and its
place in the priority order the policy declares.

The price is found by bisection over the columnar backend: every row of the register is
decided at ~15 prices, each decision exact (`evaluation.columnar`). A price «passes» when no
absolute criterion or main rule that can depend on the price fails at it (found in the checked
model: criteria that read `bolig.kjøpesum` directly or through computations), so the household
is financed at that price without an exception from a main rule (such as a tilskudd above the
kommune's limit). Criteria that do not depend on the price, such as refusals from banks, are
reported under «hindrer».

A policy declares the priority order with computations named `kartleggingsprioritet`,
`kartleggingsprioritet_2`, …: households are sorted by each in turn, smallest first (a name
ending in `_synkende` sorts largest first). Without such computations the order is the
register's.
"""

from __future__ import annotations

import attrs
import numpy as np
import pyarrow as pa

from boligregler.evaluation import columnar as C
from boligregler.model.policy import KARTLEGGING_PRIORITY
from boligregler.screening.population import HOUSEHOLDS, household_type
from boligregler.screening.tabular import Chunk
from boligregler.syntax import ast

STEP_ORE = 1000 * 100
HIGHEST_STEPS = 30_000  # 30 000 000 kr: a price above this is reported as «minst» this
SEARCHED = frozenset({"bolig.kjøpesum", "bolig.eierform"})  # a register need not have them


def priority_names(policy) -> list[tuple[str, bool]]:
    """The policy's priority computations in order, each with whether it sorts largest first."""
    found = []
    for name in policy.model.computations:
        m = KARTLEGGING_PRIORITY.fullmatch(name)
        if m:
            found.append((int(m.group(1) or 1), name, m.group(2) is not None))
    return [(name, desc) for _, name, desc in sorted(found)]


def _with_price(batch: C.Batch, price_ore: np.ndarray) -> C.Batch:
    """The batch with formål «kjøp» and kjøpesum `price_ore` on every row."""
    root = batch.root.fields
    bolig = root["bolig"].value
    fields = dict(bolig.fields)
    fields["kjøpesum"] = C.Field(C.Num(np.asarray(price_ore, dtype=np.int64), 2, None, C.MAX_MONEY_ORE))
    if fields["eierform"].missing is not None:  # no form of ownership in the register: assume selveier
        form = fields["eierform"].value
        code = form.values.index("selveier")
        fields["eierform"] = C.Field(C.Cat(np.where(fields["eierform"].missing, code, form.data), form.values))
    formal = root["formål"].value
    new_root = dict(root)
    new_root["bolig"] = C.Field(C.Rec(fields))
    new_root["formål"] = C.Field(C.Cat(np.full(batch.n, formal.values.index("kjøp"), dtype=np.int16), formal.values))
    return C.Batch(batch.n, C.Rec(new_root), batch.schema, batch.bad)


def price_criteria(policy) -> set[str]:
    """Absolute criteria and main rules whose result can depend on the price (`bolig.kjøpesum`), found
    in the model: a price passes when none of them fails, so it is financed without an exception."""
    model = policy.model
    out = set()
    for scheme in [model.base_scheme, *model.schemes.values()]:
        memo: dict[str, bool] = {}

        def depends(e) -> bool:
            if isinstance(e, ast.Attribute):
                path = []
                node = e
                while isinstance(node, ast.Attribute):
                    path.append(node.name)
                    node = node.obj
                if isinstance(node, ast.Name) and [node.name, *reversed(path)] == ["bolig", "kjøpesum"]:
                    return True
            if isinstance(e, ast.Name) and e.name in scheme.computations:
                if e.name not in memo:
                    memo[e.name] = False  # a cycle is impossible in a checked model; guard anyway
                    memo[e.name] = depends(scheme.computations[e.name].expr)
                return memo[e.name]
            if attrs.has(type(e)):
                return any(depends(v) for v in _children(e))
            return False

        for crit in scheme.criteria:
            exprs = [crit.condition, crit.relevance, *(x.condition for x in crit.exceptions)]
            if crit.kind in ("absolutt", "hovedregel") and any(x is not None and depends(x) for x in exprs):
                out.add(crit.id)
    return out


def _children(e):
    for field in attrs.fields(type(e)):
        v = getattr(e, field.name)
        if isinstance(v, tuple):
            yield from (x for x in v if attrs.has(type(x)))
        elif attrs.has(type(v)):
            yield v


def _failures(result: C.BatchResult, ids: set[str]) -> np.ndarray:
    """Rows where one of the criteria `ids` is not met, or cannot be assessed yet."""
    failed = np.zeros(result.n, dtype=bool)
    for c in result.criteria.values():
        if c.id in ids:
            failed |= ~np.isin(c.results, (C.OPPFYLT, C.UNNTAK, C.IKKE_RELEVANT, -1))
    return failed


def _highest(policy, batch: C.Batch, ids: set[str], without_tilskudd: bool) -> np.ndarray:
    """Highest passing price in steps of 1 000 kr (-1: none), found by bisection and verified."""
    n = batch.n

    def passes(steps: np.ndarray) -> np.ndarray:
        r = policy.evaluate_batch(_with_price(batch, steps * STEP_ORE), mangler=False)
        ok = ~_failures(r, ids) & (r.utfall >= 0)
        if without_tilskudd and "tilskudd" in r.amounts:
            ok &= r.amounts["tilskudd"] == 0
        return ok

    lo = np.zeros(n, dtype=np.int64)
    hi = np.full(n, HIGHEST_STEPS, dtype=np.int64)
    ok_lo = passes(lo)
    ok_hi = passes(hi)
    active = ok_lo & ~ok_hi
    while active.any() and (hi - lo)[active].max() > 1:
        mid = np.where(active, (lo + hi) // 2, lo)
        ok = passes(mid)
        lo = np.where(active & ok, mid, lo)
        hi = np.where(active & ~ok, mid, hi)
    return np.where(ok_hi, HIGHEST_STEPS, np.where(ok_lo, lo, -1))


def map_chunk(policy, chunk: Chunk) -> pa.Table:
    """The kartlegging of one validated chunk of a register (rows in register order)."""
    batch = chunk.batch
    n = batch.n
    bolig = batch.root.fields["bolig"].value.fields
    has_price = np.ones(n, dtype=bool) if bolig["kjøpesum"].missing is None else ~bolig["kjøpesum"].missing
    now = policy.evaluate_batch(batch)
    zero = policy.evaluate_batch(_with_price(batch, np.zeros(n, dtype=np.int64)), mangler=not has_price.all())
    ids = price_criteria(policy)
    with_t = _highest(policy, batch, ids, without_tilskudd=False)
    without_t = _highest(policy, batch, ids, without_tilskudd=True)

    adults = np.diff(batch.root.fields["husstand"].value.fields["voksne"].value.offsets)
    children = np.diff(batch.root.fields["husstand"].value.fields["barn"].value.offsets)
    outcome_names = np.array(list(now.outcomes) + [None], dtype=object)
    utfall = outcome_names[np.where(now.utfall < 0, len(now.outcomes), now.utfall)]
    utfall = np.where(has_price, utfall, None)

    hindrer = []
    for i in range(n):
        found = [c.id for c in zero.criteria.values() if c.id not in ids and c.results[i] == C.IKKE_OPPFYLT]
        if has_price[i]:
            found += [c.id for c in now.criteria.values() if c.results[i] == C.IKKE_OPPFYLT and c.id not in found]
        hindrer.append(", ".join(found))

    def price(steps):
        return pa.array(np.where(steps >= 0, steps * STEP_ORE, 0) // 100, mask=steps < 0, type=pa.int64())

    current = bolig["kjøpesum"].value.data // 100
    columns = {
        "rad": pa.array(chunk.rows),
        "referanse": chunk.references if chunk.references is not None else pa.nulls(n, pa.string()),
        "husstandstype": pa.array(household_type(adults, children)),
        "voksne": pa.array(adults), "barn": pa.array(children),
        "kjøpesum": pa.array(current, mask=~has_price),
        "utfall": pa.array(utfall, type=pa.string()),
        "kan_kjøpe_nå": pa.array(np.where(has_price, utfall == "innvilget", False), mask=~has_price),
        "høyeste_kjøpesum": price(with_t),
        "høyeste_kjøpesum_uten_tilskudd": price(without_t),
        "høyeste_kjøpesum_er_minst": pa.array(with_t >= HIGHEST_STEPS),
        "maks_lån": _amount(now, "maks_lån"),
        "disponibelt_per_måned": _amount(now, "disponibelt_per_måned"),
        "ordning": pa.array(np.array([s or None for s in now.scheme_names], dtype=object)[now.scheme_index],
                            type=pa.string()),
        "hindrer": pa.array(hindrer, type=pa.string()),
        "mangler": pa.array([(now if has_price[i] else zero).missing.get(i, "") for i in range(n)], type=pa.string()),
        "vurdert_med": pa.array(np.where(now.fallback, "desimal", "kolonner").astype(object), type=pa.string()),
    }
    for name, _ in priority_names(policy):
        columns[name] = _computation(policy, batch, name)
    return pa.table(columns)


def _amount(result: C.BatchResult, key: str) -> pa.Array:
    """Whole kroner of an amount (null where the decision has none)."""
    if key not in result.amounts:
        return pa.nulls(result.n, pa.int64())
    return pa.array(result.amounts[key] // 100, mask=result.absent.get(key))


def _computation(policy, batch: C.Batch, name: str) -> pa.Array:
    """A computation's value per row as a float column (null where the arrays cannot give it)."""
    ordning = batch.root.fields.get("ordning")
    scheme = policy.model.scheme_for(ordning.value.values[int(np.bincount(ordning.value.data).argmax())]) \
        if ordning is not None and batch.n else policy.model.base_scheme
    ev = C.Evaluator(policy.model, scheme, batch)
    with np.errstate(all="ignore"):
        v = C.exact(ev.row_name(name))
    if isinstance(v, C.Bool):
        data = np.broadcast_to(np.asarray(v.data, dtype=np.float64), (batch.n,))
    else:
        data = np.broadcast_to(np.asarray(v.data, dtype=np.float64) / 10**v.scale, (batch.n,))
    bad = None if v.bad is None else np.broadcast_to(v.bad, (batch.n,))
    return pa.array(data, mask=bad)


def sort_by_priority(policy, table: pa.Table) -> pa.Table:
    """Rows in the policy's priority order (then the register's), with the rank as `prioritet`."""
    import pyarrow.compute as pc
    keys = [(name, "descending" if desc else "ascending", "at_end") for name, desc in priority_names(policy)]
    order = pc.sort_indices(table, sort_keys=keys + [("rad", "ascending", "at_end")]) \
        if table.num_rows else pa.array([], pa.int64())
    table = table.take(order)
    return table.add_column(0, "prioritet", pa.array(np.arange(1, table.num_rows + 1)))


def able_to_finance(table: pa.Table, level: int | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Households that can finance a home: the highest price (with tilskudd) reaches `level` (the
    kommune's lowest price level), or without a level the price in the register; and where that is
    known: without a level, a household without a price in the register is not known to be unable.
    None when it is known for no household (no level and a register without prices)."""
    best = table.column("høyeste_kjøpesum").to_pylist()
    if level is None and table.column("kjøpesum").null_count == table.num_rows:
        return None
    reach = [level] * table.num_rows if level is not None else table.column("kjøpesum").to_pylist()
    able = np.array([b is not None and r is not None and b >= r for b, r in zip(best, reach)], dtype=bool)
    return able, np.array([r is not None for r in reach], dtype=bool)


def select(table: pa.Table, count: int, level: int | None) -> pa.Table:
    """Mark as `utvalgt` the first `count` households in priority order that can finance a home
    (`able_to_finance`). Bærum's goal of 20 low-income families a year is `count=20` over a register
    in Bærum's priority order."""
    known = able_to_finance(table, level)
    chosen = np.zeros(table.num_rows, dtype=bool)
    if known is not None:
        chosen[np.flatnonzero(known[0])[:count]] = True
    return table.append_column("utvalgt", pa.array(chosen))


def summary_by_type(table: pa.Table, level: int | None = None) -> list[dict]:
    """Per household type: how many, how many could buy now, how many can finance a home and for how
    many that is not known (`able_to_finance`; both None when it cannot be told for any), and the
    median highest price."""
    known = able_to_finance(table, level)
    out = []
    types = table.column("husstandstype").to_numpy(zero_copy_only=False)
    now = table.column("kan_kjøpe_nå").fill_null(False).to_numpy(zero_copy_only=False)
    best = table.column("høyeste_kjøpesum")
    plain = table.column("høyeste_kjøpesum_uten_tilskudd")
    for kind in [*HOUSEHOLDS, None]:
        mask = np.ones(len(types), dtype=bool) if kind is None else types == kind
        if kind is not None and not mask.any():
            continue
        sel = pa.array(mask)
        b, p = best.filter(sel), plain.filter(sel)
        out.append({
            "husstandstype": kind or "alle",
            "husstander": int(mask.sum()),
            "kan_kjøpe_nå": int(now[mask].sum()),
            "kan_finansiere_en_bolig": None if known is None else int(known[0][mask].sum()),
            "finansiering_ukjent": None if known is None else int((~known[1])[mask].sum()),
            "median_høyeste_kjøpesum": _median(b),
            "median_uten_tilskudd": _median(p),
        })
    return out


def _median(col) -> int | None:
    values = col.drop_null().to_numpy(zero_copy_only=False)
    return int(np.median(values)) if values.size else None


def compare(previous: pa.Table, current: pa.Table) -> pa.Table:
    """Who became able to buy since the previous kartlegging, who fell out, who is new or gone (by referanse)."""
    def index(t):
        refs = t.column("referanse").to_pylist()
        can = t.column("kan_kjøpe_nå").to_pylist()
        best = t.column("høyeste_kjøpesum").to_pylist()
        return {r: (c, b) for r, c, b in zip(refs, can, best) if r is not None}
    before, after = index(previous), index(current)
    rows = []
    for ref in list(after) + [r for r in before if r not in after]:
        b, a = before.get(ref), after.get(ref)
        if b is None:
            status = "ny"
        elif a is None:
            status = "borte"
        elif bool(a[0]) and not bool(b[0]):
            status = "kan nå kjøpe"
        elif bool(b[0]) and not bool(a[0]):
            status = "falt ut"
        else:
            status = "uendret"
        rows.append((ref, status, None if b is None else b[1], None if a is None else a[1]))
    return pa.table({"referanse": [r[0] for r in rows], "endring": [r[1] for r in rows],
                     "høyeste_kjøpesum_før": pa.array([r[2] for r in rows], type=pa.int64()),
                     "høyeste_kjøpesum_nå": pa.array([r[3] for r in rows], type=pa.int64())})
