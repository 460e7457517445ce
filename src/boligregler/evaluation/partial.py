"""Three-valued facts: deciding a criterion while facts it may read are not yet given or assessed.

An absent `oppgis av` fact is an `Unassessed` value that raises `NotAssessed` when read, so a
criterion that never reads it is decided as usual and costs nothing extra. When a criterion
reads one, every completion of the facts it reads is tried: a yes/no or a choice with each of
its values, recursively for the next absent fact the completion reads, over a copy of the memo
(whatever the memo holds was computed without reading an absent fact, so it holds for every
completion). The criterion is decided only when every completion gives the same result; an
absent amount or count is never enumerated, so a criterion that reads one waits for it.
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


def completions(fn: Callable, M: dict, F: dict, budget: int = BUDGET
                ) -> tuple[list[tuple[tuple, Any]], list[Unassessed], bool]:
    """`fn(M, F)` over every completion of the absent facts it reads.

    Returns the leaves (each completion as ((fact, value), …) with fn's value), the absent facts
    read in the order first read, and whether it gave up (a fact that cannot be enumerated, or
    more completions than `budget`).
    """
    leaves: list[tuple[tuple, Any]] = []
    reads: list[Unassessed] = []
    gave_up = False
    stack: list[tuple[tuple, dict]] = [((), F)]
    while stack:
        assignment, facts = stack.pop()
        budget -= 1
        try:
            leaves.append((assignment, fn(dict(M) if assignment else M, facts)))
        except NotAssessed as e:
            fact = e.fact
            if not any(r is fact for r in reads):
                reads.append(fact)
            if fact.domain is None or budget <= 0:
                gave_up = True
                continue
            for value in reversed(fact.domain):
                stack.append(((*assignment, (fact, value)), filled(facts, fact.path, value)))
    return leaves, reads, gave_up


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
    return "ikke_vurdert", None, tuple(f for f in reads if _matters(f, leaves, criterion_result, c, M, F))


def _matters(fact: Unassessed, leaves, criterion_result: Callable, c: Any, M: dict, F: dict) -> bool:
    """Whether two completions that differ only in `fact` give different results."""
    for assignment, value in leaves:
        own = dict((id(f), v) for f, v in assignment)
        if id(fact) not in own:
            continue
        for other in fact.domain:
            if other == own[id(fact)]:
                continue
            facts = F
            for f, v in assignment:
                facts = filled(facts, f.path, other if f is fact else v)
            results, _, gave_up = completions(lambda m, f: criterion_result(c, m, f), M, facts)
            if gave_up or any(r != value for _, r in results):
                return True
    return False
