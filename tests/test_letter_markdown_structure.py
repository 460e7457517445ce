"""The Markdown letter keeps its structure whatever the texts hold: rendered with Python-Markdown, a letter
with hostile texts has the same elements as one with plain texts, and shows each text as written."""

from __future__ import annotations

import html.parser

import markdown
from hypothesis import given, settings
from hypothesis import strategies as st

from boligregler.explain.letter import Item, Letter, Section
from boligregler.rendering.letter import render_markdown

HOSTILE_PIECES = ["\n- punkt", "\n1. punkt", "\n2) punkt", "\n===", "\n---", "\n    kode", "\n\tkode", "\n> sitat",
                  "\n# overskrift", "\n| a | b |", "\n\n", "  \n", "<b>", "*", "_", "`", "[a](b)", "\\", "&amp;", "~~x~~",
                  "\n!!! note", "\n: def", "\n+ punkt", "{: #id }", "<!--", "a", " ", "æøå"]
texts = st.lists(st.sampled_from(HOSTILE_PIECES), min_size=1, max_size=8).map("".join).filter(str.strip)


class Structure(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        self.tags.append("/" + tag)

    def handle_data(self, data):
        self.text.append(data)


def structure(letter: Letter) -> Structure:
    s = Structure()
    s.feed(markdown.markdown(render_markdown(letter), extensions=["tables"]))
    return s


def letter_of(t: list[str]) -> Letter:
    return Letter(t[0], "avslag", (
        Section("a", t[1], (t[2], t[3]), (Item(t[4], (t[5], t[6])), Item(t[7]))),
        Section("b", None, (t[8],), ())))


@settings(max_examples=120, deadline=None)
@given(st.lists(texts, min_size=9, max_size=9))
def test_hostile_texts_do_not_change_the_letters_structure(hostile):
    plain = structure(letter_of(["tekst"] * 9))
    shown = structure(letter_of(hostile))
    assert shown.tags == plain.tags, hostile
    rendered = " ".join("".join(shown.text).split())
    for text in hostile:
        assert " ".join(text.split()) in rendered, (text, rendered)
