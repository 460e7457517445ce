"""The vedtak lines `vurder` builds from the columns (`screening.vedtak`) are byte for byte those of
`Policy.evaluate`: on every example of every shipped policy, on random batches, and end to end on the
synthetic population read from JSON Lines."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import threading
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boligregler import load_policy
from boligregler.evaluation import columnar
from boligregler.explain.replay import _number
from boligregler.money import format_kr, money_json
from boligregler.records import json_line
from boligregler.screening import population, tabular, vedtak
from test_conformance import POLICIES, partial_soknader, soknader, valid_facts


@pytest.fixture(scope="module", params=POLICIES)
def policy(request):
    return load_policy(request.param)


def decimal_line(policy, facts, line: int) -> str:
    return json_line(policy.evaluate_facts(facts).to_json(letter=False, head={"linje": line})) + "\n"


def assert_same_lines(policy, facts):
    """Build the lines of `facts` from the columns and compare each with the Decimal one; returns which rows were
    built, and which the columns could have built (decided by the arrays, every fact given, not ikke_avgjort)."""
    batch = columnar.from_facts(policy.model.schema, facts)
    result = policy.evaluate_batch(batch, mangler=False)
    builder = vedtak.VedtakLines(policy)
    lines = builder.build(batch, result, np.arange(1, len(facts) + 1), None)
    texts = lines.text_of_built()
    rows = np.flatnonzero(lines.built).tolist()
    assert len(texts) == len(rows)
    for i, text in zip(rows, texts):
        assert text == decimal_line(policy, facts[i], i + 1), f"rad {i + 1}"
    undecided = result.outcomes.index("ikke_avgjort") if "ikke_avgjort" in result.outcomes else -1
    buildable = (~result.fallback & (result.utfall != undecided)
                 & ~np.array([vedtak._unassessed_in(f) for f in facts], dtype=bool))
    assert builder.not_built == {}
    assert (lines.built == buildable).all()
    return lines.built


def test_every_example_of_every_policy(policy):
    facts = [policy.validate(copy.deepcopy(e.input)) for e in policy.model.examples if e.input is not None]
    assert_same_lines(policy, facts)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(soknader(), min_size=1, max_size=20))
def test_random_batches(policy, batch):
    assert_same_lines(policy, valid_facts(policy, batch))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(partial_soknader(), min_size=1, max_size=10))
def test_batches_with_facts_not_yet_assessed(batch):
    policy = load_policy("drammen")
    assert_same_lines(policy, valid_facts(policy, batch))


@pytest.mark.parametrize("assessed", [True, False])
def test_the_synthetic_population_end_to_end(tmp_path, assessed):
    """`screen_jsonl` on JSON Lines of the synthetic households: every line as `Policy.evaluate` writes it, in
    order; a line with a null (read by the per-line validator) and a bad line among them."""
    policy = load_policy("drammen")
    n = 400 if assessed else 12
    table = population.households(n, seed=11, assessed=assessed)
    soknader_ = [tabular.row_soknad(table, i) for i in range(n)]
    texts = [json.dumps(s, ensure_ascii=False, default=str) for s in soknader_]
    texts[3] = texts[3][:-1] + ', "livsopphold_per_måned": null, "referanse": "leietaker \\"4\\""}'
    texts[5] = '{"søknadsdato": "2026-03-01"'
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    out, reported = io.StringIO(), []
    done = vedtak.screen_jsonl(policy, str(path), out, reported.append)
    got = out.getvalue().splitlines(keepends=True)
    expected = []
    for i, text in enumerate(texts):
        if i == 5:
            continue
        s = json.loads(text)
        reference = s.pop("referanse", None)
        head = {"linje": i + 1} | ({"referanse": reference} if reference else {})
        expected.append(json_line(policy.evaluate(s).to_json(letter=False, head=head)) + "\n")
    assert got == expected
    assert done.bad == [6] and reported[0].startswith(f"{path}:6: ugyldig JSON")
    assert done.built + done.per_line == n - 1
    if assessed:
        assert done.per_line <= n // 20


@settings(max_examples=300, deadline=None)
@given(ore=st.lists(st.integers(-10**13, 10**13) | st.integers(-2000, 2000), min_size=1, max_size=30))
def test_amounts_are_written_as_the_decimal_formatters_write_them(ore):
    values = [Decimal(o).scaleb(-2) for o in ore]
    data = np.array(ore, dtype=np.int64)
    assert vedtak.kr_text(data).to_pylist() == [format_kr(v) for v in values]
    assert vedtak.ore_json(data).to_pylist() == [money_json(v) for v in values]
    for scale in (0, 2, 4):
        assert vedtak.number_json(data, scale).to_pylist() == [_number(Decimal(o).scaleb(-scale)) for o in ore]


def test_blocks_decided_in_processes_are_written_in_order(tmp_path, monkeypatch):
    """More than one block: the blocks are decided in a process per core and each written in its turn; the file
    is the same as decided in one process, line for line."""
    policy = load_policy("drammen")
    table = population.households(300, seed=13)
    texts = [json.dumps(tabular.row_soknad(table, i), ensure_ascii=False, default=str) for i in range(300)]
    texts[77] = "{"
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    monkeypatch.setattr(vedtak, "BLOCK", 40)
    results = []
    for workers in (1, 2):  # a regular file: each block written at its own offset
        target = tmp_path / f"ut{workers}.jsonl"
        reported = []
        with open(target, "w", encoding="utf-8") as out:
            out.write("først\n")
            done = vedtak.screen_jsonl(policy, str(path), out, reported.append, workers=workers)
            out.write("sist\n")
        results.append((target.read_bytes(), reported, done.bad, done.outcomes, done.built))
    read, write = os.pipe()  # a pipe: each block written in its turn
    received = []
    reader = threading.Thread(target=lambda: received.append(open(read, "rb").read()))
    reader.start()
    with open(write, "w", encoding="utf-8") as out:
        out.write("først\n")
        done = vedtak.screen_jsonl(policy, str(path), out, lambda text: None, workers=2)
        out.write("sist\n")
    reader.join()
    assert received[0] == results[0][0]
    assert results[0] == results[1]
    assert results[0][0].startswith(b"f\xc3\xb8rst\n{") and results[0][0].endswith(b"}\nsist\n")
    results[0] = (results[0][0][len("først\n".encode()):-len("sist\n")], *results[0][1:])
    lines = results[0][0].decode("utf-8").splitlines()
    assert [json.loads(line)["linje"] for line in lines] == [i for i in range(1, 301) if i != 78]
    assert results[0][2] == [78] and sum(results[0][3].values()) == 299


def _expected_lines(policy, texts, skip=()):
    expected = []
    for i, text in enumerate(texts):
        if i in skip:
            continue
        s = json.loads(text)
        reference = s.pop("referanse", None)
        head = {"linje": i + 1} | ({"referanse": reference} if reference else {})
        expected.append(json_line(policy.evaluate(s).to_json(letter=False, head=head)) + "\n")
    return expected


def test_lines_of_another_scheme_read_one_by_one(tmp_path):
    """Kongsvinger's «Eie først» only on lines with a null (read by the per-line validator, so the chunk's columns
    hold placeholders for them and no column of that scheme): each line's own scheme decides it."""
    policy = load_policy("kongsvinger")
    table = population.households(40, seed=5)
    texts = []
    for i in range(40):
        s = tabular.row_soknad(table, i)
        if i % 3 == 0:
            s["ordning"] = "eie_først"
        text = json.dumps(s, ensure_ascii=False, default=str)
        texts.append(text[:-1] + ', "livsopphold_per_måned": null}' if i % 3 == 0 else text)
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    out = io.StringIO()
    done = vedtak.screen_jsonl(policy, str(path), out, pytest.fail)
    assert out.getvalue().splitlines(keepends=True) == _expected_lines(policy, texts)
    assert done.bad == [] and sum(done.outcomes.values()) == 40


def test_a_defect_in_the_columns_decides_the_lines_one_by_one(tmp_path, monkeypatch):
    policy = load_policy("drammen")
    table = population.households(30, seed=8)
    texts = [json.dumps(tabular.row_soknad(table, i), ensure_ascii=False, default=str) for i in range(30)]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")

    def broken(*args, **kwargs):
        raise IndexError("a defect")
    monkeypatch.setattr(type(policy), "evaluate_batch", broken)
    out, reported = io.StringIO(), []
    done = vedtak.screen_jsonl(policy, str(path), out, reported.append)
    monkeypatch.undo()
    assert out.getvalue().splitlines(keepends=True) == _expected_lines(policy, texts)
    assert done.bad == [] and done.per_line == 30
    assert reported == [f"{path}:1–30: intern feil i den kolonnevise vurderingen (IndexError); linjene er vurdert "
                        "én for én. Meld fra om feilen."]


def test_a_reader_that_goes_away_stops_the_processes(tmp_path, monkeypatch):
    """`vurder … | head`: the pipe closes while blocks are still being decided; the run stops with
    BrokenPipeError (which the command line turns into exit code 141) instead of waiting for ever."""
    policy = load_policy("drammen")
    table = population.households(400, seed=17)
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(json.dumps(tabular.row_soknad(table, i), ensure_ascii=False, default=str)
                              for i in range(400)) + "\n", encoding="utf-8")
    monkeypatch.setattr(vedtak, "BLOCK", 20)
    head = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.buffer.read(100)"], stdin=subprocess.PIPE)
    with pytest.raises(BrokenPipeError):
        with io.TextIOWrapper(head.stdin, encoding="utf-8") as out:
            vedtak.screen_jsonl(policy, str(path), out, lambda text: None, workers=2)
    head.wait(timeout=60)
