"""The built pages made accessible where Markdown cannot say it: table captions and header scope."""

from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path

_TABLE = re.compile(r"<table>(.*?)</table>", re.S)
_LABEL = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>|<p><strong>(.*?)</strong>", re.S)
_TAG = re.compile(r"<[^>]+>")
_ROW_HEADER = re.compile(r"<tr>(\s*)<td([^>]*)><strong>([^<]*)</strong></td>")


def _text(fragment: str) -> str:
    plain = html.unescape(_TAG.sub("", fragment)).replace("¶", "").strip().rstrip(":")
    return html.escape(" ".join(plain.split()), quote=False)


def accessible_tables(page: str) -> str:
    """Every Markdown table with a caption for screen readers (the heading or bold lead-in before it,
    which sighted readers see already) and `scope="col"` on its header cells; a first cell that is all
    bold (the first key of a two-dimensional table) is a row header, `scope="row"`."""
    out, pos = [], 0
    for m in _TABLE.finditer(page):
        before = page[pos:m.start()]
        labels = list(_LABEL.finditer(page, 0, m.start()))
        caption = _text(next(g for g in labels[-1].groups() if g is not None)) if labels else ""
        body = m.group(1).replace("<th>", '<th scope="col">')
        body = re.sub(r'<th style="([^"]*)">', r'<th scope="col" style="\1">', body)
        body = _ROW_HEADER.sub(r'<tr>\1<th scope="row"\2>\3</th>', body)
        table = "<table>" + (f'<caption class="bolig-skjult">{caption}</caption>' if caption else "") + body + "</table>"
        out += [before, table]
        pos = m.end()
    return "".join(out) + page[pos:]


# ---- the theme's own words ------------------------------------------------------------------------
# Material for MkDocs leaves a few landmark names in English in its Norwegian translations («Header»,
# «Footer»: a screen reader reads them out), and writes every page in the site's one language. A page
# in nynorsk gets the theme's nynorsk words (its own translation file), attributes, labels, buttons and
# the search's texts alike.
LANDMARKS = {"bokmål": {"Header": "Toppfelt", "Footer": "Bunnfelt"},
             "nynorsk": {"Header": "Toppfelt", "Footer": "Botnfelt"}}
_THEME_KEYS = ("action.skip", "clipboard.copy", "clipboard.copied", "footer.previous", "search.result.initializer",
               "search.result.placeholder", "search.result.more.one", "search.result.more.other",
               "search.result.term.missing", "toc", "top")
_CONFIG = re.compile(r'(<script id="__config" type="application/json">)(.*?)(</script>)', re.S)


@functools.lru_cache(maxsize=4)
def _theme_words(language: str) -> dict[str, str]:
    """The theme's translations for `language` ("nb", "nn"), key → text, from its own language file."""
    import material  # the theme is needed only for a page in nynorsk

    path = Path(material.__file__).parent / "templates" / "partials" / "languages" / f"{language}.html"
    try:
        return dict(re.findall(r'^\s*"([\w.]+)": "([^"]*)",?$', path.read_text(encoding="utf-8"), re.M))
    except OSError:
        return {}


def theme_in(page: str, form: str) -> str:
    """`page` (built with the theme in bokmål) with the theme's landmarks named in Norwegian and, for a
    page in nynorsk, the theme's words in nynorsk: in attributes, in its labels and buttons, in its search."""
    words: dict[str, str] = {}
    if form == "nynorsk":
        nb, nn = _theme_words("nb"), _theme_words("nn")
        words = {nb[k]: nn[k] for k in _THEME_KEYS if k in nb and k in nn and nb[k] != nn[k]}
    landmarks = LANDMARKS[form] | words

    def pattern(swaps: dict[str, str]) -> str:
        return "|".join(re.escape(w) for w in sorted(swaps, key=len, reverse=True))

    page = re.sub(rf'((?:aria-label|title|placeholder)=")({pattern(landmarks)})(")',
                  lambda m: m[1] + landmarks[m[2]] + m[3], page)
    if not words:
        return page
    page = re.sub(rf"(>\s*)({pattern(words)})(\s*<)", lambda m: m[1] + words[m[2]] + m[3], page)

    def config(m: re.Match) -> str:
        settings = json.loads(m[2])
        settings["translations"] = {k: words.get(v, v) for k, v in settings.get("translations", {}).items()}
        return m[1] + json.dumps(settings, ensure_ascii=False) + m[3]

    return _CONFIG.sub(config, page)
