"""The Pygments lexer for `.pol`, found through its entry point."""

from __future__ import annotations

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, Number, String

from boligregler.model.loader import shipped_policies_dir
from boligregler.pygments_lexer import PolLexer


def test_lexer_is_registered_for_name_and_file_extension():
    assert isinstance(get_lexer_by_name("pol"), PolLexer)
    assert isinstance(get_lexer_by_name("boligregler"), PolLexer)
    assert isinstance(get_lexer_for_filename("drammen.pol"), PolLexer)


@pytest.mark.parametrize("path", sorted(shipped_policies_dir().glob("*.pol")), ids=lambda p: p.stem)
def test_every_shipped_policy_lexes_without_errors(path):
    errors = [value for token, value in PolLexer().get_tokens(path.read_text(encoding="utf-8")) if token is Error]
    assert errors == []


def test_tokens_of_a_criterion():
    source = ('## Dok\nvilkår bolig { # merknad\n  art: hovedregel\n'
              '  oppfylt når maks(lånebehov, 2 900 000 kr) >= 1 og sann\n'
              '  forklaring { oppfylt: "Lån på {lånebehov} fra 2024-01-01" }\n}\n')
    tokens = [(t, v) for t, v in PolLexer().get_tokens(source) if v.strip()]
    assert (Comment.Special, "## Dok") in tokens
    assert (Comment.Single, "# merknad") in tokens
    assert tokens[1:3] == [(Keyword.Declaration, "vilkår"), (Name.Function, "bolig")]
    assert (Name.Attribute, "art") in tokens and (Keyword.Constant, "hovedregel") in tokens
    assert (Name.Builtin, "maks") in tokens and (Number, "2 900 000") in tokens
    assert (Keyword, "når") in tokens and (Keyword, "og") in tokens and (Keyword.Constant, "sann") in tokens
    assert (String.Interpol, "{lånebehov}") in tokens
    assert (String.Double, " fra 2024-01-01") in tokens
