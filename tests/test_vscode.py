"""The VS Code extension (editors/vscode): its TextMate grammar agrees with the Pygments lexer, and
tokenises the shipped policies under node (CI runs the same script after `npm ci`)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from boligregler import pygments_lexer as lexer

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = ROOT / "editors" / "vscode"
GRAMMAR = json.loads((EXTENSION / "syntaxes" / "pol.tmLanguage.json").read_text(encoding="utf-8"))


def words_of(scope: str) -> set[str]:
    found = set()
    for p in GRAMMAR["patterns"]:
        if p.get("name") == scope:
            inner = re.search(r"\(\?:(.*?)\)\(\?!", p["match"]).group(1)
            found |= {w.replace("\\/", "/") for w in inner.split("|")}
    return found


def test_keyword_lists_are_the_pygments_lexers():
    assert words_of("keyword.control.pol") == set(lexer.KEYWORDS)
    assert words_of("storage.type.declaration.pol") == set(lexer.BLOCKS + lexer.DECLARATIONS)
    assert words_of("support.type.pol") == set(lexer.TYPES)
    assert words_of("constant.language.pol") == set(lexer.CONSTANTS)
    assert words_of("support.function.builtin.pol") == set(lexer.BUILTINS)


def test_the_extension_declares_the_language_the_grammar_and_the_server():
    package = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    language = package["contributes"]["languages"][0]
    assert language["extensions"] == [".pol"] and language["id"] == "boligregler"
    assert package["contributes"]["grammars"][0]["scopeName"] == GRAMMAR["scopeName"]
    assert package["contributes"]["configuration"]["properties"]["boligregler.server.args"]["default"] == ["lsp"]
    config = json.loads((EXTENSION / "language-configuration.json").read_text(encoding="utf-8"))
    assert config["comments"]["lineComment"] == "#"


@pytest.mark.skipif(shutil.which("node") is None or not (EXTENSION / "node_modules" / "vscode-textmate").exists(),
                    reason="needs node and `npm ci` in editors/vscode (CI does both)")
def test_textmate_grammar_tokenises_the_shipped_policies():
    result = subprocess.run(["node", "test/tokenize.js"], cwd=EXTENSION, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tokenised" in result.stdout
