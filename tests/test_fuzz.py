"""Bounded fuzzing, as the security campaign did it: mutated and generated policies, mutated søknader and
batches with hostile lines. Never a traceback, never a lost record, every reported position inside the input.

The example counts are small so the suite stays fast; `python benchmarks/fuzz.py` runs the same
properties with many more examples and a seed of your choice (BOLIGREGLER_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import copy
import io
import json
import os
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boligregler.api import load_policy, load_policy_text
from boligregler.diagnostics import BoligreglerError, PolicyError
from boligregler.model.loader import shipped_policies_dir
from boligregler.money import load_json
from boligregler.records import read_csv, read_jsonl

EXAMPLES = int(os.environ.get("BOLIGREGLER_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROOT = Path(__file__).resolve().parents[1]
FAMILIE_TEXT = (ROOT / "examples" / "familie.json").read_text(encoding="utf-8")
POLICIES = {p.stem: p.read_text(encoding="utf-8") for p in sorted(shipped_policies_dir().glob("*.pol"))}
PIECES = ["{", "}", "(", ")", "[", "]", '"', "\\", "\\n", "\\\"", ":", "=", "/", "0", "1" + "0" * 40, "-", "\n", " ",
          "\t", "\ufeff", "\u2028", "é", "sum(", " for hver x i inntekter)", "hvis ", " så ", " ellers ", "{lånebehov}",
          "kr", "%", "fjern ", "overstyr ", "<script>", "javascript:", "NaN", "2026-02-30", "ikke ", " og "]
HOSTILE_VALUES = [None, True, "", "x" * 1000, "\ud800", 10 ** 30, -1, Decimal("1e50"), Decimal("0.001"), [], {},
                  [None], {"a": 1}, "2026W101", "1" + "0" * 5000, 1.5]


def inside(text: str, line: int, column: int) -> bool:
    lines = text.split("\n")
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


@st.composite
def mutated_policy(draw) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(POLICIES)))
    text = POLICIES[name]
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 12))
        text = text[:at] + draw(st.sampled_from(PIECES)) + text[at + cut:]
    return name, text


@FUZZ
@given(mutated_policy())
def test_mutated_policies_give_located_diagnostics_never_a_traceback(case):
    name, text = case
    try:
        policy = load_policy_text(text, name=f"{name}.pol")
    except PolicyError as e:
        sources = e.sources
        for d in e.diagnostics:
            if d.span is not None and d.file in sources:
                assert inside(sources[d.file], d.span.line, d.span.column), (d, d.file)
        str(e)  # renders
        return
    except BoligreglerError:
        return
    try:
        policy.evaluate(load_json(FAMILIE_TEXT)).to_dict()
    except BoligreglerError:
        pass


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


FAMILIE_PATHS = [p for p in _paths(load_json(FAMILIE_TEXT)) if p]


@st.composite
def mutated_soknad(draw) -> dict:
    soknad = load_json(FAMILIE_TEXT)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(FAMILIE_PATHS))
        node = soknad
        try:
            for step in path[:-1]:
                node = node[step]
            if draw(st.booleans()) and isinstance(node, dict):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = copy.deepcopy(draw(st.sampled_from(HOSTILE_VALUES)))
        except (KeyError, IndexError, TypeError):
            continue
    return soknad


@FUZZ
@given(st.sampled_from(sorted(POLICIES)), mutated_soknad())
def test_mutated_soknader_are_decided_or_rejected_with_paths(name, soknad):
    policy = load_policy(name)
    try:
        decision = policy.evaluate(soknad)
    except BoligreglerError as e:
        str(e).encode("utf-8")  # a message that can be printed
        return
    json.dumps(decision.to_dict(), ensure_ascii=False, default=str).encode("utf-8")


LINE_KINDS = st.sampled_from([b"good", b"{", b"\xff\xfe", b"[]", b'{"a": NaN}', b'{"a":1,"a":2}', b"\x00",
                              b'"\\ud800"', b" ", b"1" * 5000, "{\"referanse\": \"\u2028\"}".encode()])


@FUZZ
@given(st.lists(LINE_KINDS, min_size=1, max_size=12))
def test_a_batch_reads_one_record_per_nonblank_line(kinds):
    good = json.dumps(load_json(FAMILIE_TEXT), ensure_ascii=False, default=str).encode()
    lines = [good if k == b"good" else k for k in kinds]
    records = list(read_jsonl(io.BytesIO(b"\n".join(lines) + b"\n")))
    expected = [i for i, line in enumerate(lines, 1) if line.strip()]
    assert [r.line for r in records] == expected
    assert all((r.problem is None) == (r.soknad is not None) for r in records)


CSV_KINDS = st.sampled_from(["2026-03-01,kjøp,40", '2026-03-01,"kjøp,40', '2026-03-01,kj"øp,40', '"2026-03-01",kjøp',
                             "2026-03-01,kjøp,40,9", "\ufeff2026-03-01,kjøp,40", "1" * 60 + ",kjøp,40", ",,",
                             '2026-03-01,"kj""øp",40', "2026-03-01;kjøp;40", "\udcff,kjøp,40", '"'])


@FUZZ
@given(st.lists(CSV_KINDS, min_size=1, max_size=12))
def test_a_csv_batch_reads_one_record_per_line_even_after_stray_quotes(kinds):
    schema = load_policy("nasjonal").model.schema
    data = ("søknadsdato,formål,husstand.voksne[0].alder\n" + "\n".join(kinds) + "\n").encode("utf-8", "surrogateescape")
    records = list(read_csv(data, schema, "s.csv"))
    expected = [i for i, line in enumerate(kinds, 2) if line.strip(",")]
    assert [r.line for r in records] == expected
    assert all((r.problem is None) == (r.soknad is not None) for r in records)
