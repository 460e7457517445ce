"""Every snippet in docs/language.md is checked, so the language reference cannot drift from the code.

Convention (explained in the document itself): each ```pol block is preceded by an HTML comment

* `<!-- fil -->`: a complete policy file; it is loaded with what it builds on (the shipped
  `nasjonal`), checked, and its examples are run;
* `<!-- fragment -->`: definitions that are appended to a policy header building on `nasjonal`;
* `fortsetter`: the fragment is checked together with the fragments just before it;
* `feil KODE …` / `advarsel KODE …`: the snippet illustrates a diagnostic, which must be reported.

Fragments may produce the warning N007 (an unused definition), which is natural out of context;
complete files may produce no diagnostic that is not announced.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import attrs
import pytest

from boligregler.api import load_policy
from boligregler.cli import build_parser
from boligregler.commands.sjekk import diagnostics_for
from boligregler.diagnostics import Severity, render_text
from boligregler.model.checker import CODES, FUNCTIONS
from boligregler.money import RoundingMode
from boligregler.syntax.parser import lark_parser
from boligregler.testing import run_examples

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "language.md"
BLOCK = re.compile(r"(?:<!--(?P<mark>[^>]*)-->[ \t]*\n)?```(?P<lang>[\w-]*)[ \t]*\n(?P<body>.*?)^```", re.S | re.M)
CODE = re.compile(r"^[A-Z]\d{3}$")
HEADER = """regelverk dokumentasjon bygger på nasjonal {
    navn: "Eksempler i språkreferansen"
    kommune: "Dokumentasjon"
    vedtatt: 2025-01-01
    kilde: "docs/language.md"
    klageinstans: "kommunens klagenemnd"
}
"""


@attrs.frozen
class Snippet:
    line: int
    lang: str
    mark: str
    body: str

    @property
    def words(self) -> list[str]:
        return [w for part in self.mark.split(",") for w in part.split()]

    @property
    def kind(self) -> str:
        return self.words[0] if self.words else ""

    @property
    def continues(self) -> bool:
        return "fortsetter" in self.words

    def announced(self, label: str) -> set[str]:
        """Codes written after `feil` or `advarsel` in the mark."""
        words = self.words
        if label not in words:
            return set()
        codes = set()
        for w in words[words.index(label) + 1:]:
            if not CODE.match(w):
                break
            codes.add(w)
        return codes

    def __str__(self) -> str:
        return f"docs/language.md:{self.line} ({self.mark or self.lang})"


def snippets() -> list[Snippet]:
    text = DOC.read_text(encoding="utf-8")
    return [Snippet(text.count("\n", 0, m.start("body")) + 1, m["lang"], (m["mark"] or "").strip(), m["body"])
            for m in BLOCK.finditer(text)]


POL = [s for s in snippets() if s.lang == "pol"]


def with_context(index: int) -> str:
    """A fragment with the fragments it continues, after the documentation header."""
    group = [POL[index]]
    i = index
    while POL[i].continues and i > 0 and POL[i - 1].kind == "fragment":
        i -= 1
        group.insert(0, POL[i])
    return HEADER + "\n".join(s.body for s in group)


def test_every_pol_snippet_is_marked():
    assert POL, "docs/language.md has no ```pol blocks"
    for s in POL:
        assert s.kind in ("fil", "fragment"), f"{s}: mark the block with <!-- fil --> or <!-- fragment -->"
        unknown = [w for w in s.words[1:] if w not in ("fortsetter", "feil", "advarsel") and not CODE.match(w)]
        assert not unknown, f"{s}: unknown words in the mark: {unknown}"


@pytest.mark.parametrize("index", range(len(POL)), ids=[f"linje{s.line}" for s in POL])
def test_pol_snippet_checks(index, tmp_path):
    s = POL[index]
    if s.kind == "fil":
        header = re.search(r"^regelverk\s+(\w+)", s.body, re.M)
        assert header, f"{s}: a whole file must start with «regelverk navn …»"
        path = tmp_path / f"{header.group(1)}.pol"
        path.write_text(s.body, encoding="utf-8")
    else:
        path = tmp_path / "dokumentasjon.pol"
        path.write_text(with_context(index), encoding="utf-8")
    found, sources = diagnostics_for(str(path))  # exactly what «boligregler sjekk» reports
    shown = render_text(found, sources) if found else ""
    errors = {d.code for d in found if d.severity is Severity.ERROR}
    warnings = {d.code for d in found if d.severity is Severity.WARNING}
    assert errors == s.announced("feil"), f"{s}: unexpected errors\n{shown}"
    tolerated = {"N007", "B004"} if s.kind == "fragment" else set()  # B004: a fragment has no letterhead
    assert s.announced("advarsel") <= warnings, f"{s}: the announced warning is missing\n{shown}"
    assert warnings <= s.announced("advarsel") | tolerated, f"{s}: unexpected warnings\n{shown}"
    if s.kind == "fil" and not errors:
        failed = [f"{r.example.name}: {'; '.join(r.mismatches)}" for r in run_examples(load_policy(path))
                  if not r.passed]
        assert not failed, f"{s}: failing examples:\n" + "\n".join(failed)


def test_every_language_keyword_and_operator_is_shown():
    shown = "\n".join(s.body for s in POL)
    missing = []
    for t in lark_parser().terminals:
        if t.pattern.type != "str":
            continue
        word = t.pattern.value
        pattern = rf"(?<!\w){re.escape(word)}(?!\w)" if word[0].isalpha() else re.escape(word)
        if not re.search(pattern, shown):
            missing.append(word)
    assert not missing, f"no snippet in docs/language.md shows: {', '.join(sorted(missing))}"


def test_every_function_and_rounding_mode_is_shown():
    shown = "\n".join(s.body for s in POL)
    missing = [f for f in FUNCTIONS if not re.search(rf"(?<!\w){f}\(", shown)]
    missing += [m.value for m in RoundingMode if not re.search(rf"(?<!\w){m.value}(?!\w)", shown)]
    assert not missing, f"no snippet in docs/language.md shows: {', '.join(missing)}"


def test_every_diagnostic_code_is_listed():
    text = DOC.read_text(encoding="utf-8")
    missing = [code for code in CODES if f"| `{code}` |" not in text]
    assert not missing, f"docs/language.md does not list the codes {', '.join(missing)}"


def test_command_lines_match_the_cli():
    parser = build_parser()
    lines = [line[2:] for s in snippets() if s.lang in ("console", "sh")
             for line in s.body.splitlines() if line.startswith("$ boligregler")]
    assert lines, "docs/language.md shows no command lines"
    for line in lines:
        args = shlex.split(line)[1:]
        try:
            parser.parse_args(args)
        except SystemExit as e:
            assert e.code == 0, f"«{line}» is not accepted by boligregler"


def test_json_snippets_are_valid():
    for s in snippets():
        if s.lang == "json":
            json.loads(s.body)


def test_links_within_the_document_have_anchors():
    text = DOC.read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    missing = sorted({link for link in re.findall(r"\]\(#([^)]+)\)", text) if link not in anchors})
    assert not missing, f"links without an <a id=…> in docs/language.md: {', '.join(missing)}"


README = ROOT / "README.md"


def test_readme_starts_with_the_two_commands_ci_runs():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[:4] == [
        "```sh",
        "pip install -e . && boligregler vurder drammen examples/familie.json",
        "pip install -e '.[test]' && python -m pytest -q",
        "```",
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]'" in ci and "pytest -q" in ci
    assert (ROOT / "policies" / "drammen.pol").exists() and (ROOT / "examples" / "familie.json").exists()


def test_readme_python_example_runs(monkeypatch, capsys):
    block = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    monkeypatch.chdir(ROOT)
    exec(compile(block.group(1), "README.md", "exec"), {})
    assert capsys.readouterr().out.split() == ["innvilget", "2973590"]
