"""`boligregler lsp`: the language server over stdio (pygls 2 / lsprotocol).

Each open document is analysed on open and on every change (`lsp.analysis`); the same
diagnostics as `boligregler sjekk` (codes, messages, positions) are published for it. The last
analysis that parsed is kept for navigation while the text has a syntax error.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types as L
from pygls.lsp.server import LanguageServer

from boligregler import __version__
from boligregler.diagnostics import Diagnostic, PolicyError, Severity, Span
from boligregler.lsp import analysis as A
from boligregler.syntax.printer import format_policy

SYMBOL_KINDS = {
    "regelverk": L.SymbolKind.Module, "søknad": L.SymbolKind.Object, "felt": L.SymbolKind.Field,
    "parameter": L.SymbolKind.Constant, "tabell": L.SymbolKind.Struct, "beregn": L.SymbolKind.Function,
    "vilkår": L.SymbolKind.Boolean, "unntak": L.SymbolKind.EnumMember, "betingelse": L.SymbolKind.String,
    "type": L.SymbolKind.TypeParameter, "ordning": L.SymbolKind.Namespace, "eksempel": L.SymbolKind.Method,
    "utfall": L.SymbolKind.Event, "vedtak": L.SymbolKind.Object, "begrunnelse": L.SymbolKind.Object,
}
COMPLETION_KINDS = {
    "parameter": L.CompletionItemKind.Constant, "tabell": L.CompletionItemKind.Struct,
    "beregn": L.CompletionItemKind.Function, "felt": L.CompletionItemKind.Field,
    "funksjon": L.CompletionItemKind.Function, "nøkkelord": L.CompletionItemKind.Keyword,
    "verdi": L.CompletionItemKind.EnumMember,
}


def path_of(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def uri_of(path: str) -> str:
    return Path(path).resolve().as_uri() if not path.startswith(("untitled:", "<")) else path


def _utf16(line: str, column: int) -> int:
    """1-based code-point column → 0-based UTF-16 offset in `line`."""
    prefix = line[:max(column - 1, 0)]
    return len(prefix.encode("utf-16-le")) // 2


def _codepoint(line: str, character: int) -> int:
    """0-based UTF-16 offset → 1-based code-point column."""
    units = 0
    for i, ch in enumerate(line):
        if units >= character:
            return i + 1
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(line) + 1


class PolServer(LanguageServer):
    def __init__(self):
        super().__init__("boligregler", __version__)
        self.analyses: dict[str, A.Analysis] = {}  # uri → the latest analysis
        self.navigable: dict[str, A.Analysis] = {}  # uri → the latest analysis that parsed

    def text(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source

    def open_texts(self) -> dict[str, str]:
        return {path_of(uri): doc.source for uri, doc in self.workspace.text_documents.items()}

    def refresh(self, uri: str) -> None:
        path = path_of(uri)
        result = A.analyse(path, self.text(uri), self.open_texts())
        self.analyses[uri] = result
        if result.files:
            self.navigable[uri] = result
        diagnostics = [self.diagnostic(d, result) for d in result.diagnostics if d.file in (path, "")]
        self.text_document_publish_diagnostics(L.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))

    def lines(self, path: str, a: A.Analysis) -> list[str]:
        for f in a.files:
            if f.path == path:
                return f.source.split("\n")
        if path == a.path:
            return a.text.split("\n")
        try:
            return Path(path).read_text(encoding="utf-8").split("\n")
        except OSError:
            return []

    def range(self, span: Span | None, path: str, a: A.Analysis) -> L.Range:
        if span is None:
            return L.Range(L.Position(0, 0), L.Position(0, 0))
        lines = self.lines(path, a)

        def pos(line: int, column: int) -> L.Position:
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            return L.Position(line - 1, _utf16(text, column))
        return L.Range(pos(span.line, span.column), pos(span.end_line, span.end_column))

    def diagnostic(self, d: Diagnostic, a: A.Analysis) -> L.Diagnostic:
        message = d.message + "".join(f"\n{note}" for note in d.notes)
        return L.Diagnostic(
            range=self.range(d.span, d.file or a.path, a), message=message, code=d.code, source="boligregler",
            severity=L.DiagnosticSeverity.Error if d.severity is Severity.ERROR else L.DiagnosticSeverity.Warning,
            data={"forslag": A.suggestions(d)})

    def at(self, uri: str, position: L.Position) -> tuple[A.Analysis, int, int] | None:
        a = self.navigable.get(uri)
        if a is None:
            return None
        current = self.analyses.get(uri)
        text = current.text if current is not None else a.text
        lines = text.split("\n")
        line = position.line + 1
        column = _codepoint(lines[position.line], position.character) if position.line < len(lines) else 1
        if current is not a:  # navigate with the last text that parsed, at the same place
            a = attrs_evolve_text(a, text)
        return a, line, column

    def location(self, path: str, span: Span | None, a: A.Analysis) -> L.Location:
        return L.Location(uri=uri_of(path), range=self.range(span, path, a))


def attrs_evolve_text(a: A.Analysis, text: str) -> A.Analysis:
    """`a` (which parsed) asked about the current text, for the word under the cursor."""
    copy = A.Analysis(a.path, text, a.diagnostics, a.files, a.model, a.definitions, a.uses)
    return copy


def build() -> PolServer:
    server = PolServer()

    @server.feature(L.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PolServer, params: L.DidOpenTextDocumentParams):
        ls.refresh(params.text_document.uri)

    @server.feature(L.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PolServer, params: L.DidChangeTextDocumentParams):
        ls.refresh(params.text_document.uri)

    @server.feature(L.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PolServer, params: L.DidSaveTextDocumentParams):
        for uri in list(ls.workspace.text_documents):
            ls.refresh(uri)  # a base that changed changes what builds on it

    @server.feature(L.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PolServer, params: L.DidCloseTextDocumentParams):
        ls.analyses.pop(params.text_document.uri, None)
        ls.navigable.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(L.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(L.TEXT_DOCUMENT_HOVER)
    def hover(ls: PolServer, params: L.HoverParams):
        found = ls.at(params.text_document.uri, params.position)
        if found is None:
            return None
        a, line, column = found
        name = A.target(a, line, column)
        text = A.hover(a, name) if name else None
        if not text:
            return None
        word = A.word_at(a.text, line, column)
        return L.Hover(contents=L.MarkupContent(kind=L.MarkupKind.Markdown, value=text),
                       range=ls.range(word[2], a.path, a) if word else None)

    @server.feature(L.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: PolServer, params: L.DefinitionParams):
        found = ls.at(params.text_document.uri, params.position)
        if found is None:
            return None
        a, line, column = found
        name = A.target(a, line, column)
        defs = a.definitions_of(name) if name else []
        return [ls.location(d.file, d.span, a) for d in defs] or None

    @server.feature(L.TEXT_DOCUMENT_REFERENCES)
    def references(ls: PolServer, params: L.ReferenceParams):
        found = ls.at(params.text_document.uri, params.position)
        if found is None:
            return None
        a, line, column = found
        name = A.target(a, line, column)
        if not name:
            return None
        return [ls.location(path, span, a)
                for path, span in A.references(a, name, params.context.include_declaration)]

    @server.feature(L.TEXT_DOCUMENT_RENAME)
    def rename(ls: PolServer, params: L.RenameParams):
        found = ls.at(params.text_document.uri, params.position)
        if found is None:
            return None
        a, line, column = found
        name = A.target(a, line, column)
        if not name or "." in name or not a.definitions_of(name):
            return None
        changes: dict[str, list[L.TextEdit]] = {}
        for path, span in A.references(a, name):
            changes.setdefault(uri_of(path), []).append(L.TextEdit(ls.range(span, path, a), params.new_name))
        return L.WorkspaceEdit(changes=changes)

    @server.feature(L.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: PolServer, params: L.DocumentSymbolParams):
        a = ls.navigable.get(params.text_document.uri)
        if a is None:
            return []

        def symbol(d: A.Definition) -> L.DocumentSymbol:
            extent = d.extent or d.span
            selection = ls.range(d.span, d.file, a)
            whole = ls.range(extent, d.file, a)
            if (whole.start.line, whole.start.character) > (selection.start.line, selection.start.character):
                whole = L.Range(selection.start, whole.end)
            return L.DocumentSymbol(
                name=d.name.rsplit(".", 1)[-1], detail=("overstyr " if d.override else "") + d.kind,
                kind=SYMBOL_KINDS.get(d.kind, L.SymbolKind.Variable), range=whole, selection_range=selection,
                children=[symbol(c) for c in d.children])
        return [symbol(d) for d in a.outline()]

    @server.feature(L.TEXT_DOCUMENT_COMPLETION, L.CompletionOptions(trigger_characters=[".", '"']))
    def completion(ls: PolServer, params: L.CompletionParams):
        uri = params.text_document.uri
        a = ls.navigable.get(uri) or ls.analyses.get(uri)
        if a is None:
            return []
        current = ls.text(uri)
        a = attrs_evolve_text(a, current)
        line = params.position.line + 1
        lines = current.split("\n")
        column = _codepoint(lines[params.position.line], params.position.character) if params.position.line < len(lines) else 1
        items = [L.CompletionItem(label=label, kind=COMPLETION_KINDS.get(kind), detail=f"{kind} {detail}".strip())
                 for label, kind, detail in A.completions(a, line, column)]
        return L.CompletionList(is_incomplete=False, items=items)

    @server.feature(L.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: PolServer, params: L.DocumentFormattingParams):
        uri = params.text_document.uri
        text = ls.text(uri)
        try:
            formatted = format_policy(text, path_of(uri))
        except PolicyError:
            return None  # the diagnostics already say why
        if formatted == text:
            return []
        lines = text.split("\n")
        end = L.Position(len(lines) - 1, _utf16(lines[-1], len(lines[-1]) + 1))
        return [L.TextEdit(L.Range(L.Position(0, 0), end), formatted)]

    @server.feature(L.TEXT_DOCUMENT_CODE_ACTION,
                    L.CodeActionOptions(code_action_kinds=[L.CodeActionKind.QuickFix]))
    def code_actions(ls: PolServer, params: L.CodeActionParams):
        actions = []
        for d in params.context.diagnostics:
            for guess in (d.data or {}).get("forslag", []) if isinstance(d.data, dict) else []:
                actions.append(L.CodeAction(
                    title=f"Bytt til «{guess}»", kind=L.CodeActionKind.QuickFix, diagnostics=[d],
                    is_preferred=True,
                    edit=L.WorkspaceEdit(changes={params.text_document.uri: [L.TextEdit(d.range, guess)]})))
        return actions

    return server


def main() -> None:
    build().start_io()
