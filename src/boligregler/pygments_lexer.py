"""Pygments lexer for the `.pol` policy language, registered under the `pygments.lexers` entry point.

Fenced code blocks with the language `pol` (MkDocs) and `.. code-block:: pol` (Sphinx) are highlighted with it.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

DECLARATIONS = ("regelverk", "parameter", "tabell", "beregn", "vilkår", "ordning", "betingelse", "eksempel",
                "type", "unntak")
BLOCKS = ("søknad", "utfall", "vedtak", "forklaring", "forventet", "overstyr", "fjern", "begrunnelse", "endring",
          "opplysning")
KEYWORDS = ("bygger", "på", "fra", "til", "kilde", "etter", "oppfylt", "relevant", "når", "hvis", "så", "ellers",
            "og", "eller", "ikke", "i", "sum", "antall", "for", "hver", "der", "finnes", "alle", "unntatt",
            "av", "minst", "påkrevd", "er", "et", "en", "trinn", "over", "tillegg")
TYPES = ("heltall", "sannhet", "tekst", "dato", "mengde", "liste", "valg", "andel", "tall", "kr/mnd", "kr",
         "prosentpoeng", "år", "måneder", "mnd")
CONSTANTS = ("sann", "usann", "ingen", "absolutt", "hovedregel", "informasjon")
BUILTINS = ("maks", "min", "annuitet", "nåverdi", "månedsrente", "lån_for_rente", "avrund", "oppgitt",
            "halv_opp", "halv_jevn", "ned", "opp")
_END = r"(?!\w)"


class PolLexer(RegexLexer):
    """The boligregler policy language (`.pol`)."""

    name = "Pol"
    aliases = ["pol", "boligregler"]
    filenames = ["*.pol"]
    mimetypes = ["text/x-pol"]
    url = "https://pypi.org/project/boligregler/"

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"##[^\n]*", Comment.Special),
            (r"#[^\n]*", Comment.Single),
            (r'"', String.Double, "string"),
            (r"\d{4}-\d{2}-\d{2}", Number.Other),
            (r"\d{1,3}(?:[ \u00a0]\d{3})+(?:\.\d+)?(?![\w-])|\d+(?:\.\d+)?", Number),
            (r"%", Keyword.Type),
            (r"(" + "|".join(DECLARATIONS) + r")(\s+)([^\W\d]\w*)(?=\s*[:{\"=])",
             bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (words(BLOCKS, suffix=_END), Keyword.Declaration),
            (words(DECLARATIONS, suffix=_END), Keyword.Declaration),
            (words(TYPES, suffix=_END), Keyword.Type),
            (words(CONSTANTS, suffix=_END), Keyword.Constant),
            (words(BUILTINS, suffix=_END), Name.Builtin),
            (words(KEYWORDS, suffix=_END), Keyword),
            (r"([^\W\d]\w*)(\s*)(:)", bygroups(Name.Attribute, Whitespace, Punctuation)),
            (r"[^\W\d]\w*", Name),
            (r"<=|>=|!=|[≤≥≠=<>+\-*/×]", Operator),
            (r"[{}()\[\],.:]", Punctuation),
        ],
        "string": [
            (r'\\.', String.Escape),
            (r"\{\{|\}\}", String.Escape),
            (r"\{[^{}\"\n]*\}", String.Interpol),
            (r'[^"\\{}\n]+', String.Double),
            (r"[{}]", String.Double),
            (r'"', String.Double, "#pop"),
            (r"\n", String.Double, "#pop"),
        ],
    }
