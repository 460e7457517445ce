"""JSON Lines read as columns (screening.files.jsonl_chunks) decide and report every line exactly as the
per-line validator does: the same lines refused with the same messages (line number and JSON path), the
same decisions for the rest, on generated good and bad lines."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boligregler import load_policy
from boligregler.diagnostics import BoligreglerError
from boligregler.evaluation import columnar as C
from boligregler.records import read_jsonl
from boligregler.screening import files, population, tabular

POLICY = load_policy("drammen")
TABLE = population.households(40, seed=11)
TABLE_UNASSESSED = population.households(10, seed=12, assessed=False)
BASES = [tabular.row_soknad(TABLE, i) for i in range(TABLE.num_rows)] + \
        [tabular.row_soknad(TABLE_UNASSESSED, i) for i in range(TABLE_UNASSESSED.num_rows)] + \
        [e.input for e in POLICY.model.examples if isinstance(e.input, dict)]


def reference(path) -> tuple[list[tuple[int, str]], list[tuple[int, dict]]]:
    """Every line through `read_jsonl` and `Policy.validate`, the good ones decided as one batch of facts."""
    facts, lines, problems = [], [], []
    with open(path, "rb") as f:
        for record in read_jsonl(f):
            problem = record.problem
            if problem is None:
                try:
                    facts.append(POLICY.validate(record.soknad))
                    lines.append(record.line)
                    continue
                except BoligreglerError as e:
                    problem = str(e)
            problems.append((record.line, problem))
    result = POLICY.evaluate_batch(C.from_facts(POLICY.model.schema, facts)) if facts else None
    return problems, [(lines[i], result.record(i)) for i in range(len(lines))]


def columnar(path, rows: int) -> tuple[list[tuple[int, str]], list[tuple[int, dict]], list]:
    problems, decided, references = [], [], []
    for chunk in files.jsonl_chunks(POLICY, str(path), rows):
        problems += [(p.row, p.message) for p in chunk.problems]
        result = POLICY.evaluate_batch(chunk.batch)
        decided += [(int(chunk.rows[i]), result.record(i)) for i in range(result.n)]
        references += chunk.references.to_pylist()
    return problems, decided, references


class Raw(str):
    """A JSON number written as is (`1.005`, `1e3`)."""


def dumped(value) -> str:
    raws: list[str] = []

    def default(v):
        raise TypeError(type(v))

    def mark(v):
        if isinstance(v, Raw):
            raws.append(str(v))
            return f"@@{len(raws) - 1}@@"
        if isinstance(v, dict):
            return {k: mark(x) for k, x in v.items()}
        if isinstance(v, list):
            return [mark(x) for x in v]
        if hasattr(v, "is_finite"):  # Decimal
            return mark(Raw(str(v)))
        return v
    text = json.dumps(mark(value), ensure_ascii=False, default=default)
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@{i}@@"', raw)
    return text


VALUES = [None, True, False, 0, -1, 1, 17, 120, 10**12, "x", "", "2026-03-01", " 2026-03-01", "2026-02-30",
          "0000-01-01", "20260301", Raw("1.5"), Raw("1.005"), Raw("1e3"), Raw("1.0"), Raw("-0"), Raw("1.50"),
          Raw("12345678901234567890"), Raw("99999999999"), "12", "12.5", "12,5", [], {}, [{}], "selveier",
          "borettslag", "lønn", "sosialhjelp", "startlån", "kjøp", "refinansiering", [{"alder": 30}],
          [{"type": "lønn", "netto_per_måned": Raw("20000.50")}]]


def leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*path, k)
            yield from leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield (*path, i)
            yield from leaves(v, (*path, i))


def parent_of(value, path):
    for part in path[:-1]:
        value = value[part]
    return value


@st.composite
def line(draw) -> bytes:
    soknad = json.loads(dumped(draw(st.sampled_from(BASES))), parse_float=Raw, parse_int=int)
    for _ in range(draw(st.integers(0, 2))):
        paths = list(leaves(soknad))
        kind = draw(st.sampled_from(["drop", "set", "set", "add", "reference"]))
        if kind == "reference":
            soknad["referanse"] = draw(st.sampled_from(["R-1", 7, None, "æøå"]))
        elif kind == "add":
            records = [p for p in paths if isinstance(parent_of(soknad, p)[p[-1]], dict)] + [()]
            target = draw(st.sampled_from(records))
            node = parent_of(soknad, (*target, None)) if target else soknad
            node[draw(st.sampled_from(["ukjent", "begrunnelse", "alder", "sak"]))] = draw(st.sampled_from(VALUES))
        elif paths:
            path = draw(st.sampled_from(paths))
            node = parent_of(soknad, path)
            if kind == "drop" and isinstance(node, dict):
                del node[path[-1]]
            else:
                node[path[-1]] = draw(st.sampled_from(VALUES))
    text = dumped(soknad)
    shape = draw(st.sampled_from(["plain"] * 8 + ["garbage", "array", "two", "blank", "duplicate", "escape",
                                                  "utf8", "crlf", "spaces"]))
    if shape == "garbage":
        text += " x"
    elif shape == "array":
        text = "[" + text + "]"
    elif shape == "two":
        text = text + " " + text
    elif shape == "blank":
        text = draw(st.sampled_from(["", "   ", "\t", "\u00a0"]))
    elif shape == "duplicate":
        text = text.replace('{"søknadsdato"', '{"formål": "kjøp", "søknadsdato"', 1)
    elif shape == "escape":
        text = text.replace('"formål"', '"form\\u00e5l"', 1)
    elif shape == "utf8":
        return text.encode() + b"\xff"
    elif shape == "crlf":
        return text.encode() + b"\r"
    elif shape == "spaces":
        text = "  " + text + "\t"
    return text.encode()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=st.lists(line(), min_size=1, max_size=9), rows=st.sampled_from([3, 64]))
def test_columns_decide_and_report_every_line_as_the_validator_does(tmp_path_factory, lines, rows):
    path = tmp_path_factory.mktemp("jsonl") / "s.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    expected_problems, expected = reference(path)
    problems, decided, _ = columnar(path, rows)
    assert problems == expected_problems
    assert decided == expected


def test_a_clean_register_is_read_as_columns(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text("".join(dumped(s) + "\n" for s in BASES), encoding="utf-8")
    chunks = list(files.jsonl_chunks(POLICY, str(path)))
    assert sum(int(c.batch.bad.sum()) for c in chunks if c.batch.bad is not None) == 0  # no line went per line
    assert columnar(path, 64)[:2] == reference(path)


def test_amounts_with_ore_lines_with_null_and_bad_lines_keep_their_place(tmp_path):
    good = [dumped(s) for s in BASES[:6]]
    good[1] = good[1].replace('"egenkapital": 0', '"egenkapital": 1250.5')
    good[2] = good[2].replace('{', '{"livsopphold_per_måned": null, ', 1)  # nullable: null is given as «ingen»
    lines = [good[0], good[1], "{", good[2], json.dumps({"søknadsdato": "2026-13-01"}), good[3], "", good[4]]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems, decided, _ = columnar(path, 64)
    expected_problems, expected = reference(path)
    assert [p[0] for p in problems] == [3, 5] and problems == expected_problems
    assert [d[0] for d in decided] == [1, 2, 4, 6, 8] and decided == expected


def test_references_are_kept(tmp_path):
    lines = [dict(BASES[0], referanse="A-1"), dict(BASES[1], referanse=17), dict(BASES[2])]
    path = tmp_path / "s.jsonl"
    path.write_text("".join(dumped(s) + "\n" for s in lines), encoding="utf-8")
    assert columnar(path, 64)[2] == ["A-1", "17", None]


@pytest.mark.parametrize("rows", [1, 2])
def test_tiny_chunks(tmp_path, rows):
    path = tmp_path / "s.jsonl"
    path.write_text("".join(dumped(s) + "\n" for s in BASES[:5]) + "[]\n", encoding="utf-8")
    assert columnar(path, rows)[:2] == reference(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([b"{}", b"", b"\r", b"{\"a\": 1}\r", b"x\ry", b"\xef\xbb\xbf{}", b"0123456789abcdef",
                                 b"0123456789abcdefghij", b"a" * 45]), max_size=14),
       st.booleans(), st.booleans(), st.sampled_from([1, 3, 7, 64]), st.sampled_from([4, 16, 1 << 10]))
def test_line_blocks_are_the_lines_read_lines_gives(monkeypatch, lines, bom, final_newline, rows, piece):
    """Numbered alike, \\r\\n ends, a byte order mark, a last line without an end, lines too long (over 16 bytes here)."""
    import io
    from boligregler import records
    monkeypatch.setattr(records, "MAX_LINE_BYTES", 16)
    monkeypatch.setattr(files, "MAX_LINE_BYTES", 16)
    monkeypatch.setattr(files, "PIECE_BYTES", piece)
    data = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    want = list(records.read_lines(io.BytesIO(data)))
    got = [(first + k, line) for first, block in files.line_blocks(io.BytesIO(data), rows) for k, line in enumerate(block)]
    assert got == want
    assert all(0 < len(block) <= rows for _, block in files.line_blocks(io.BytesIO(data), rows))
