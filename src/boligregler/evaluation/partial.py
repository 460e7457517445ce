"""Three-valued facts: deciding a criterion while facts it may read are not yet given or assessed.

An absent `oppgis av` fact is an `Unassessed` value that raises `NotAssessed` when read, so a
criterion that never reads it is decided as usual and costs nothing extra. When a criterion
reads one, every completion of the facts it reads is tried: a yes/no or a choice with each of
its values, recursively for the next absent fact the completion reads, over a copy of the memo
(whatever the memo holds was computed without reading an absent fact, so it holds for every
completion). The criterion is decided only when every completion gives the same result. A
number is tried with the values that decide every use of it when the policy only compares it
with constants (`model.domains`); any other absent number is never enumerated, so a criterion
that reads one waits for it. A fact the søknad may leave out (`eller ingen`, or `påkrevd når` a
condition that reads facts not yet given) is tried absent too, but only where its condition lets
it be absent (`choices`): the completions are exactly the valid søknader.
"""

from __future__ import annotations

from typing import Any, Callable

from boligregler.evaluation.runtime import NotAssessed, Unassessed

BUDGET = 256  # completions tried per criterion before it is left waiting


def filled(facts: Any, path: tuple, value: Any) -> Any:
    """A copy of `facts` with `value` at `path`, copying only the records along the path."""
    if not path:
        return value
    out = list(facts) if isinstance(facts, list) else dict(facts)
    out[path[0]] = filled(facts[path[0]], path[1:], value)
    return out


def absent_facts(facts: Any) -> list[Unassessed]:
    """Every fact not yet given or assessed in the facts, in søknad order."""
    if facts.__class__ is Unassessed:
        return [facts]
    values = facts.values() if isinstance(facts, dict) else facts if isinstance(facts, list) else ()
    return [f for v in values for f in absent_facts(v)]


def at(facts: Any, path: tuple) -> Any:
    """The fact at `path`."""
    for part in path:
        facts = facts[part]
    return facts


def choices(fact: Unassessed, facts: Any) -> tuple[Unassessed, tuple | None]:
    """The fact to branch on and its values, for a completion of `facts` that reads `fact`.

    A fact that may be absent only where its `påkrevd når` condition does not hold is tried absent
    only there; when that condition reads a fact not yet given, that fact is branched on first.
    """
    while fact.required is not None:
        try:
            needed = fact.required(facts)
        except NotAssessed as e:
            fact = e.fact
            continue
        if not needed or fact.domain is None:
            return fact, fact.domain
        return fact, tuple(v for v in fact.domain if v is not None)
    return fact, fact.domain


def completions(fn: Callable, M: dict, F: dict, budget: int = BUDGET
                ) -> tuple[list[tuple[tuple, Any]], list[Unassessed], bool]:
    """`fn(M, F)` over every completion of the absent facts it reads.

    `fn` runs on `M` itself only with `F` as given (what it memoises then holds for every
    completion); each completion runs on a copy. So `F` must be the facts `M` was computed from.

    Returns the leaves (each completion as ((fact, value), …) with fn's value), the absent facts
    it waits for, and whether it gave up (a fact that cannot be enumerated, or more completions
    than `budget`). The facts waited for are those read, in the order first read; when it gave
    up on facts that cannot be enumerated, just those (by path): what else is read depends on
    their value and on the order a backend evaluates in, so only they are sure to be needed.
    """
    leaves: list[tuple[tuple, Any]] = []
    reads: list[Unassessed] = []
    blockers: dict[str, Unassessed] = {}
    gave_up = False
    stack: list[tuple[tuple, dict]] = [((), F)]
    while stack:
        assignment, facts = stack.pop()
        budget -= 1
        try:
            leaves.append((assignment, fn(dict(M) if assignment else M, facts)))
        except NotAssessed as e:
            fact, domain = choices(e.fact, facts)
            if not any(r is fact for r in reads):
                reads.append(fact)
            if domain is None:
                blockers[fact.text] = fact
            if domain is None or budget <= 0:
                gave_up = True
                continue
            for value in reversed(domain):
                stack.append(((*assignment, (fact, value)), filled(facts, fact.path, value)))
    return leaves, [blockers[t] for t in sorted(blockers)] if blockers else reads, gave_up


def settle(criterion_result: Callable, c: Any, M: dict, F: dict) -> tuple[str, str | None, tuple[Unassessed, ...]]:
    """A criterion's (result, exception letter, facts it waits for) when it reads an absent fact.

    Decided when every completion gives the same result; met whichever way (some completions
    `oppfylt`, others `unntak`) is decided too: `unntak` with the letter of an exception that
    holds in every completion, else `oppfylt`. Otherwise `ikke_vurdert`, waiting for the facts
    whose value changes the result.
    """
    leaves, reads, gave_up = completions(lambda m, f: criterion_result(c, m, f), M, F)
    if gave_up:
        return "ikke_vurdert", None, tuple(reads)
    outcomes = {value for _, value in leaves}
    if len(outcomes) == 1:
        result, letter = outcomes.pop()
        return result, letter, ()
    if {r for r, _ in outcomes} <= {"oppfylt", "unntak"}:
        for letter, condition in c.exceptions:
            held, _, unsure = completions(condition, M, F)
            if not unsure and all(v for _, v in held):
                return "unntak", letter, ()
        return "oppfylt", None, ()
    return "ikke_vurdert", None, tuple(f for f in reads if _matters(f, leaves))


def _matters(fact: Unassessed, leaves) -> bool:
    """Whether two completions that differ only in `fact` give different results.

    The leaves partition every completion (each leaf fixes the facts its path read), so the
    completions of a leaf with `fact` changed are the leaves that agree with it on every other
    fact both read: no criterion is run again.
    """
    for assignment, value in leaves:
        own = {id(f): v for f, v in assignment}
        if id(fact) not in own:
            continue
        for other in fact.domain:
            if other == own[id(fact)]:
                continue
            flipped = {**own, id(fact): other}
            if any(result != value and all(flipped.get(id(g), w) == w for g, w in path) for path, result in leaves):
                return True
    return False
