"""`boligregler fmt`: the canonical layout printer (syntax/printer.py) and its command.

Properties: fmt(fmt(x)) == fmt(x) and the syntax tree of fmt(x) equals that of x, for shipped
policies laid out at random and for programs generated from the grammar. Every shipped policy,
every valid test fixture and every docs snippet is already formatted (CI also runs `fmt --sjekk`).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boligregler.cli import main
from boligregler.diagnostics import PolicyError
from boligregler.model.loader import shipped_policies_dir
from boligregler.syntax.parser import parse_policy
from boligregler.syntax.printer import format_policy, token_parser

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_docs_snippets import BLOCK, HEADER, POL  # noqa: E402
from test_lang_properties import PROGRAMS, SETTINGS  # noqa: E402

SHIPPED = sorted(shipped_policies_dir().glob("*.pol"))
FIXTURES = sorted((ROOT / "tests" / "fixtures").rglob("*.pol"))


def tree(text: str):
    parsed = parse_policy(text, "x.pol")
    return parsed.doc, parsed.header, parsed.items


def header(body: str) -> str:
    return 'regelverk x {\n    navn: "X"\n}\n' + body


@pytest.mark.parametrize("path", SHIPPED + FIXTURES, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_policies_and_fixtures_are_formatted(path):
    text = path.read_text(encoding="utf-8")
    assert format_policy(text, str(path)) == text, f"run: boligregler fmt {path.relative_to(ROOT)}"


def test_docs_snippets_are_formatted():
    checked = 0
    for s in POL:
        text = s.body if s.kind == "fil" else HEADER + s.body
        if "feil" in s.words and any(w.startswith("S") for w in s.words):
            continue  # a snippet that shows a syntax error
        assert format_policy(text) == text, f"{s} is not formatted"
        checked += 1
    assert checked > 20


@pytest.mark.parametrize("doc", sorted(p.name for p in (ROOT / "docs").glob("*.md") if p.name != "language.md"))
def test_snippets_in_other_docs_are_formatted(doc):
    for m in BLOCK.finditer((ROOT / "docs" / doc).read_text(encoding="utf-8")):
        if m["lang"] == "pol":
            text = HEADER + m["body"]
            assert format_policy(text) == text, f"docs/{doc}: a ```pol block is not formatted"


def test_indentation_spacing_and_blank_lines():
    messy = header(
        "\n\n\nparameter   sats :%{\n"
        "  5%  fra 2024-01-01   kilde \"K\"\n\n\n"
        "}\n"
        "beregn  b : kr =\n"
        "hvis sats>0 % så maks( 1 kr,2 kr ) ellers - 1 kr\n"
        "beregn c: kr = avrund(\n"
        "            b * 2,\n"
        "  1 kr, ned\n"
        "       )\n"
        "tabell t: kr etter alder {\n fra 2024-01-01 {\n 0 til 5 : 3 700 kr\n}}\n"
        "parameter brøk: andel { 10 / 12 fra 2024-01-01 }\n"
        "beregn d: kr = t [ antall_barn ]\n")
    assert format_policy(messy) == header(
        "\n"
        "parameter sats: % {\n"
        "    5 % fra 2024-01-01 kilde \"K\"\n"
        "}\n"
        "beregn b: kr =\n"
        "    hvis sats > 0 % så maks(1 kr, 2 kr) ellers -1 kr\n"
        "beregn c: kr = avrund(\n"
        "    b * 2,\n"
        "    1 kr, ned\n"
        ")\n"
        "tabell t: kr etter alder {\n    fra 2024-01-01 {\n        0 til 5: 3 700 kr\n    }\n}\n"
        "parameter brøk: andel { 10/12 fra 2024-01-01 }\n"
        "beregn d: kr = t[antall_barn]\n")


def test_comments_and_doc_comments_stay_where_they_belong():
    lines = [  # (as written, as formatted)
        ("# ─── Parametre ───", "# ─── Parametre ───"),
        ("", ""),
        ("##Satsen.", "## Satsen."),
        ("   ## Andre linje.", "## Andre linje."),
        ("parameter sats: % {   # etter klammen", "parameter sats: % {  # etter klammen"),
        ("        # før verdien", "    # før verdien"),
        ("    5 % fra 2024-01-01 # etter verdien", "    5 % fra 2024-01-01  # etter verdien"),
        ("    # sist i blokken", "    # sist i blokken"),
        ("}", "}"),
        ("søknad {", "søknad {"),
        ("  ## Alder.", "    ## Alder."),
        ("  alder: heltall år", "    alder: heltall år"),
        ("  liste: liste av { a: kr  b: kr }", "    liste: liste av { a: kr  b: kr }"),
        ("}", "}"),
    ]
    written, formatted = ("".join(pair[i] + "\n" for pair in lines) for i in (0, 1))
    assert format_policy(header(written)) == header(formatted)


def test_objects_have_no_padding_and_numbers_never_fuse():
    text = header('eksempel e {\n søknad: { a : [ 1  200 ] , b: { c: -2 } }\n}\n')
    out = format_policy(text)
    assert 'søknad: {a: [1  200], b: {c: -2}}' in out
    assert tree(out) == tree(text)


def test_a_file_with_syntax_errors_is_reported_not_formatted():
    with pytest.raises(PolicyError) as e:
        format_policy(header("parameter x: % {\n"), "x.pol")
    assert e.value.diagnostics[0].code.startswith("S")


# ---- properties ---------------------------------------------------------------------------------

SOURCES = {p.stem: p.read_text(encoding="utf-8") for p in SHIPPED}
SEPARATORS = [" ", "  ", "\t", "\n", "\n\n\n", "\n        ", " \n  "]


def relaid(text: str, rng: random.Random) -> str:
    """`text` with the whitespace between every two tokens replaced at random (comments kept)."""
    toks = sorted(token_parser().parse(text).scan_values(lambda v: hasattr(v, "start_pos")),
                  key=lambda t: t.start_pos)
    out, pos, previous = [], 0, None
    for tok in toks:
        gap = text[pos:tok.start_pos]
        if "#" in gap:
            out.append(gap)  # keep comments with their line ends
        elif previous == "DOC_COMMENT":
            out.append(rng.choice(["\n", "\n\n", "\n   "]))
        elif pos:
            out.append(rng.choice(SEPARATORS))
        out.append(tok.value)
        pos, previous = tok.end_pos, tok.type
    out.append(text[pos:])
    return "".join(out)


@settings(SETTINGS, max_examples=12)
@given(name=st.sampled_from(sorted(SOURCES)), seed=st.integers(0, 2**32))
def test_random_layouts_of_shipped_policies(name, seed):
    text = relaid(SOURCES[name], random.Random(seed))
    once = format_policy(text)
    assert format_policy(once) == once
    assert tree(once) == tree(text)


@settings(SETTINGS, max_examples=100)
@given(PROGRAMS)
def test_grammar_generated_programs_round_trip(text):
    try:
        original = tree(text)
    except PolicyError:
        return
    once = format_policy(text)
    assert format_policy(once) == once
    assert tree(once) == original


# ---- the command --------------------------------------------------------------------------------


def test_fmt_command_checks_diffs_and_rewrites(tmp_path, capsys):
    messy = tmp_path / "a.pol"
    messy.write_text(header("beregn b: kr =   1 kr\n"), encoding="utf-8")
    clean = tmp_path / "b.pol"
    clean.write_text(header("beregn b: kr = 1 kr\n"), encoding="utf-8")
    assert main(["fmt", "--sjekk", str(clean)]) == 0
    assert main(["fmt", "--sjekk", str(tmp_path)]) == 1
    assert "a.pol: ikke formatert" in capsys.readouterr().err
    assert main(["fmt", "--diff", str(messy)]) == 0
    assert "+beregn b: kr = 1 kr" in capsys.readouterr().out
    assert messy.read_text(encoding="utf-8") != clean.read_text(encoding="utf-8")  # --diff writes nothing
    assert main(["fmt", str(messy)]) == 0
    assert messy.read_text(encoding="utf-8") == clean.read_text(encoding="utf-8")


def test_fmt_command_reports_syntax_errors_and_missing_files(tmp_path, capsys):
    bad = tmp_path / "feil.pol"
    bad.write_text(header("parameter x: % {\n"), encoding="utf-8")
    assert main(["fmt", str(bad), str(tmp_path / "finnes_ikke.pol")]) == 1
    err = capsys.readouterr().err
    assert "feil[S002]" in err and "feil.pol:4" in err
    assert "finnes_ikke.pol: kan ikke lese filen (finnes ikke)" in err
    assert bad.read_text(encoding="utf-8") == header("parameter x: % {\n")


def test_fmt_and_sjekk_take_standard_input_and_folders(monkeypatch, capsys):
    import io

    text = (ROOT / "policies" / "skien.pol").read_text(encoding="utf-8")
    messy = text.replace("    art: hovedregel", "  art:   hovedregel", 1)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(messy.encode("utf-8")), encoding="utf-8"))
    assert main(["fmt", "-"]) == 0
    assert capsys.readouterr().out == text  # the formatted text on standard out, as an editor wants it
    folder = ROOT / "tests" / "fixtures" / "tabeller"
    assert main(["sjekk", "--format", "json", str(folder)]) == 0
    found = json.loads(capsys.readouterr().out)
    files = {Path(d["file"]).name for d in found}  # a folder is each of its policies: their letters lack a letterhead
    assert {d["code"] for d in found} == {"B004"} and files == {p.name for p in folder.glob("*.pol")}, found
