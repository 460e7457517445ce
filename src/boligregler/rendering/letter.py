"""The decision letter as plain text, Markdown or HTML.

Plain text is what `Decision.begrunnelse` holds: paragraphs on one line each, ready to paste
into a letter. Markdown and HTML escape every character that would otherwise be markup, so
text from the policy or the søknad can never change the document's structure.
"""

from __future__ import annotations

import html
import json

from boligregler.explain.letter import Letter
from boligregler.rendering.markup import escape_markdown

FORMATS = ("tekst", "markdown", "html", "json")


def _frame_text(letter: Letter) -> tuple[list[str], list[str]]:
    """The lines above the title (sender, recipient, case lines) and the signature below the text."""
    f = letter.frame
    if f is None:
        return [], []
    head = [*f.sender, ""]
    if f.recipient:
        head += [*f.recipient, ""]
    head += [f"{label}: {value}" for label, value in f.case_lines] + [""]
    return head, list(f.signature)


def render_text(letter: Letter) -> str:
    lines, signature = _frame_text(letter)
    if letter.title:
        lines += [letter.title, "=" * len(letter.title), ""]
    for section in letter.sections:
        if section.heading:
            lines += [section.heading, "-" * len(section.heading)]
        for p in section.paragraphs:
            lines += [p, ""]
        for item in section.items:
            lines.append(f"• {item.text}")
            lines += [f"    – {d}" for d in item.details]
        if section.items:
            lines.append("")
    lines += signature
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(letter: Letter) -> str:
    head, signature = _frame_text(letter)
    lines = [(escape_markdown(x) + "  " if x else "") for x in head]
    if letter.title:
        lines += [f"# {escape_markdown(letter.title)}", ""]
    for section in letter.sections:
        if section.heading:
            lines += [f"## {escape_markdown(section.heading)}", ""]
        for p in section.paragraphs:
            lines += [escape_markdown(p), ""]
        for item in section.items:
            lines.append(f"- {escape_markdown(item.text)}")
            lines += [f"  - {escape_markdown(d)}" for d in item.details]
        if section.items:
            lines.append("")
    lines += [(escape_markdown(x) + "  " if x else "") for x in signature]
    return "\n".join(line.rstrip() if not line.endswith("  ") else line for line in lines).rstrip() + "\n"


def render_html(letter: Letter) -> str:
    e = html.escape
    body: list[str] = []
    f = letter.frame
    if f is not None:
        body.append('<header class="ramme">')
        body.append('  <address class="avsender">' + "<br>".join(e(x) for x in f.sender) + "</address>")
        if f.recipient:
            body.append('  <address class="mottaker">' + "<br>".join(e(x) for x in f.recipient) + "</address>")
        body.append('  <dl class="saksopplysninger">' + "".join(
            f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in f.case_lines) + "</dl>")
        body.append("</header>")
    if letter.title:
        body.append(f"<h1>{e(letter.title)}</h1>")
    for section in letter.sections:
        body.append(f'<section class="{e(section.key)}">')
        if section.heading:
            body.append(f"  <h2>{e(section.heading)}</h2>")
        body += [f"  <p>{e(p)}</p>" for p in section.paragraphs]
        if section.items:
            body.append("  <ul>")
            for item in section.items:
                details = "".join(f"<li>{e(d)}</li>" for d in item.details)
                body.append(f"    <li>{e(item.text)}" + (f"<ul>{details}</ul>" if details else "") + "</li>")
            body.append("  </ul>")
        body.append("</section>")
    if f is not None and f.signature:
        body.append('<footer class="signatur"><p>' + "<br>".join(e(x) for x in f.signature) + "</p></footer>")
    lang = "nn" if letter.målform == "nynorsk" else "nb"
    return "\n".join([
        "<!DOCTYPE html>", f'<html lang="{lang}">', "<head>", '<meta charset="utf-8">',
        f"<title>{e(letter.title)}</title>", "</head>", "<body>", "<article>", *body, "</article>",
        "</body>", "</html>", ""])


def render_json(letter: Letter) -> str:
    return json.dumps(letter.to_dict(), ensure_ascii=False, indent=2) + "\n"


def render(letter: Letter, fmt: str) -> str:
    """The letter in one of `FORMATS`."""
    return {"tekst": render_text, "markdown": render_markdown, "html": render_html, "json": render_json}[fmt](letter)

