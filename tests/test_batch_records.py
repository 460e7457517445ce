"""Batches: every line of a JSON Lines or CSV file is decided or reported as `FIL:N: …`, read as a stream."""

from __future__ import annotations

import copy
import io
import itertools
import json
import re
from pathlib import Path

import pytest

from boligregler import records
from boligregler.cli import main
from boligregler.money import load_json
from boligregler.records import read_csv, read_jsonl

ROOT = Path(__file__).parent.parent
FAMILIE = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))
GOOD = json.dumps(FAMILIE, default=str, ensure_ascii=False)


def with_field(path: tuple, raw_json: str) -> str:
    """The example søknad as one JSON line with the value at `path` replaced by `raw_json` (as written)."""
    soknad = copy.deepcopy(FAMILIE)
    node = soknad
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = "@@VALUE@@"
    return json.dumps(soknad, default=str, ensure_ascii=False).replace('"@@VALUE@@"', raw_json)


def run_batch(tmp_path, capsys, data: bytes, name: str = "s.jsonl", policy: str = "drammen"):
    path = tmp_path / name
    path.write_bytes(data)
    code = main(["vurder", policy, str(path)])
    out, err = capsys.readouterr()
    decided = [json.loads(line)["linje"] for line in out.split("\n") if line]
    assert len(decided) == len(out.splitlines())  # no line separator inside an output line
    reported = [int(m.group(1)) for m in re.finditer(rf"^{re.escape(str(path))}:(\d+): ", err, re.M)]
    LAST_OUTPUT[:] = [json.loads(line) for line in out.split("\n") if line]
    return code, decided, reported, err


LAST_OUTPUT: list[dict] = []


HOSTILE_LINES = [
    with_field(("husstand", "voksne", 0, "navn"), '"\\ud800"'),  # a lone surrogate
    with_field(("inntekter", 0, "netto_per_måned"), "1" + "0" * 5000),  # over Python's int-string limit
    with_field(("inntekter", 0, "netto_per_måned"), "1e50"),
    with_field(("bolig", "kjøpesum"), "1" + "0" * 31),
    with_field(("skjønn", "avslag_fra_banker"), "1" + "0" * 34),
    with_field(("bolig", "kjøpesum"), "NaN"),
    '{"søknadsdato": "2026-03-01", "søknadsdato": 5}',  # duplicate key
    "[1, 2]",
    '{"a": ',
]


def test_every_line_is_decided_or_reported_and_the_summary_counts_both(tmp_path, capsys):
    lines = [GOOD]
    for bad in HOSTILE_LINES:
        lines += [bad, GOOD]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    code, decided, reported, err = run_batch(tmp_path, capsys, data)
    assert code == 1
    assert decided == list(range(1, len(lines) + 1, 2))
    assert reported == list(range(2, len(lines) + 1, 2))
    assert f"Vurderte {len(decided)} søknader" in err and f"{len(reported)} søknader kunne ikke vurderes" in err
    assert "intern feil" not in err and "Traceback" not in err


def test_line_separators_inside_a_line_do_not_split_it(tmp_path, capsys):
    odd_text = "a\u2028b\u2029c\x85d\x0be\x0cf\x1cg\x1dh\x1ei"
    odd = json.dumps({**json.loads(GOOD), "referanse": odd_text}, ensure_ascii=False)
    data = "\n".join([GOOD, odd, GOOD]).encode("utf-8")
    code, decided, reported, err = run_batch(tmp_path, capsys, data)
    assert (code, decided, reported) == (0, [1, 2, 3], []), err
    assert LAST_OUTPUT[1]["referanse"] == odd_text


def test_crlf_line_ends_and_a_byte_order_mark_are_accepted(tmp_path, capsys):
    data = b"\xef\xbb\xbf" + "\r\n".join([GOOD, GOOD]).encode("utf-8") + b"\r\n"
    assert run_batch(tmp_path, capsys, data)[:3] == (0, [1, 2], [])


def test_invalid_utf8_is_reported_on_its_line_and_the_rest_decided(tmp_path, capsys):
    data = GOOD.encode() + b"\n" + GOOD.encode().replace("kjøp".encode(), b"kj\xf8p", 1) + b"\n" + GOOD.encode() + b"\n"
    code, decided, reported, err = run_batch(tmp_path, capsys, data)
    assert (code, decided, reported) == (1, [1, 3], [2])
    assert re.search(r":2: ugyldig UTF-8 i byte \d+ på linjen \(0xf8\)", err)


def test_csv_rows_with_huge_numbers_or_bad_bytes_are_reported_per_row(tmp_path, capsys):
    header = "søknadsdato;formål;husstand.voksne[0].alder;inntekter[0].type;inntekter[0].netto_per_måned;" \
             "bolig.kjøpesum;bolig.eierform;bolig.boutgifter_per_måned;skjønn.avslag_fra_banker"
    row = "2026-03-01;kjøp;40;lønn;36000;{kjøpesum};selveier;4000;{avslag}"
    rows = [row.format(kjøpesum="2000000", avslag="2"), row.format(kjøpesum="1" + "0" * 40, avslag="2"),
            row.format(kjøpesum="2000000", avslag="9" * 40), row.format(kjøpesum="2000000", avslag="2")]
    data = "\n".join([header, *rows]).encode() + b"\n" + row.format(kjøpesum="2\xa0000\xa0000", avslag="2").encode(
        "latin-1") + b"\n" + rows[0].encode() + b"\n"
    code, decided, reported, err = run_batch(tmp_path, capsys, data, "s.csv")
    assert (code, decided, reported) == (1, [2, 5, 7], [3, 4, 6]), err
    assert ":6: ugyldig UTF-8 i celle 2" in err and "intern feil" not in err


def test_records_are_read_lazily_from_an_endless_stream():
    class Endless(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            line = (GOOD + "\n").encode()
            n = min(len(buffer), len(line))
            buffer[:n] = line[:n]
            return n

    first = list(itertools.islice(read_jsonl(io.BufferedReader(Endless())), 3))
    assert [r.line for r in first] == [1, 2, 3] and all(r.problem is None for r in first)


def test_an_overlong_line_is_reported_without_being_held(monkeypatch):
    monkeypatch.setattr(records, "MAX_LINE_BYTES", 100)
    recs = list(read_jsonl(b'{"a": 1}\n' + b"x" * 1000 + b"\n" + b'{"b": 2}\n'))
    assert [(r.line, r.problem is None) for r in recs] == [(1, True), (2, False), (3, True)]
    assert "lengre enn" in recs[1].problem


def test_a_csv_row_with_an_unterminated_quote_is_reported():
    from boligregler.api import load_policy
    recs = list(read_csv('søknadsdato,formål\n2026-03-01,kjøp\n"2026-03-01,kjøp\n', load_policy("nasjonal").model.schema,
                         "s.csv"))
    assert recs[0].problem is None and recs[1].line == 3 and "anførselstegn" in recs[1].problem


def test_a_stray_quote_swallows_no_rows_and_a_quoted_line_break_still_joins_lines():
    from boligregler.api import load_policy
    text = ('søknadsdato,formål,referanse\n2026-03-01,kjøp,a\n2026-03-01,kjøp,"b\n2026-03-01,kjøp,c\n'
            '2026-03-01,"kj""øp",d\n2026-03-01,kjøp,"e\nf"\n2026-03-01,kjøp,g\n')
    recs = list(read_csv(text, load_policy("nasjonal").model.schema, "s.csv"))
    assert [(r.line, r.problem is None, r.reference) for r in recs] == [
        (2, True, "a"), (3, False, None), (4, True, "c"), (5, True, "d"), (6, True, "e\nf"), (8, True, "g")]
    assert "anførselstegn" in recs[1].problem and "expected" not in recs[1].problem


@pytest.mark.parametrize("text, message", [
    ('{"a": }', "kolonne 7: forventet en verdi"),
    ('{"a": "x', "kolonne 7: teksten som starter her, er ikke avsluttet"),
    ('{"a": 1 "b": 2}', "kolonne 9: forventet «,» mellom elementene"),
    ('{"a": NaN}', "kolonne 7: NaN er ikke et tall i JSON"),
    ('{"a": 1, "a": 2}', "kolonne 10: nøkkelen «a» står to ganger i samme objekt"),
    ('{"a": "\\udc00"}', "kolonne 8: ugyldig tegn: \\udc00 er en enslig UTF-16-surrogat"),
])
def test_json_problems_are_norwegian_and_located(text, message):
    (record,) = read_jsonl(text)
    assert record.problem.startswith("ugyldig JSON i ") and record.problem.endswith(message) or message in record.problem
    assert not re.search(r"Expecting|Unterminated|float|str\b|int\b", record.problem)


def test_a_decision_as_json_text_is_json_dumps_of_its_record():
    """`Decision.to_json` (a batch line) gives the bytes `json.dumps` of `to_dict` gives: every example of every shipped
    policy, complete and with its assessments left out (ikke_avgjort, `venter_på`, `mangler`), with and without texts
    and the letter, read back with `from_dict`, on two dates either side of a new parameter version."""
    from boligregler import load_policy
    from boligregler.evaluation.decision import Decision
    from boligregler.model.loader import shipped_policies_dir

    names = sorted(p.stem for p in shipped_policies_dir().glob("*.pol"))
    names += [f"nynorsk/{p.stem}" for p in (shipped_policies_dir() / "nynorsk").glob("*.pol")]
    checked = 0
    for name in names:
        policy = load_policy(str(shipped_policies_dir() / f"{name}.pol"))
        for k, example in enumerate(e for e in policy.model.examples if e.input is not None):
            partial = copy.deepcopy(example.input)
            partial.pop("skjønn", None)
            for soknad, date in itertools.product((example.input, partial), ("2024-12-31", "2025-01-01")):
                for explain, letter in ((True, False), (False, False), (True, k == 0)):
                    decision = policy.evaluate({**copy.deepcopy(soknad), "søknadsdato": date}, explain=explain)
                    head = {"linje": k + 1} | ({"referanse": f"R-{k}"} if k % 2 else {})
                    want = json.dumps(head | decision.to_dict(letter=letter), ensure_ascii=False)
                    assert decision.to_json(letter=letter, head=head) == want, (name, example.name)
                    again = Decision.from_dict(decision.to_dict(letter=letter))
                    assert again.to_json(letter=letter) == json.dumps(again.to_dict(letter=letter), ensure_ascii=False)
                    checked += 1
    assert checked > 100
