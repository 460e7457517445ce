"""`boligregler lsp`: the language server over stdio (pygls 2 / lsprotocol).

Each open document is analysed on open and on every change (`lsp.analysis`); the same
diagnostics as `boligregler sjekk` (codes, messages, positions) are published for it. The last
analysis that parsed is kept for navigation while the text has a syntax error.

The policies in the workspace folders that no editor has open are checked once at start, so
their diagnostics are there without opening them. When a document changes, every policy that
builds on it (open or not) is checked again with the changed text, shortly after typing stops
and in a worker thread, so typing in `nasjonal.pol` shows what it does to each kommune; a file
that changes on disk (the client's watched-file events) is checked again with what builds on it.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlparse

import attrs
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


RECHECK_DELAY = 0.3  # seconds without a change before what builds on a document is checked again
SKIPPED_FOLDERS = {"node_modules", "site", "build", "dist", "__pycache__"}  # and every hidden folder


def workspace_policies(roots: list[str], limit: int = 500) -> list[str]:
    """The `.pol` files under `roots` (not in hidden or build folders), at most `limit`."""
    found: list[str] = []
    for root in roots:
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in SKIPPED_FOLDERS)
            found += [os.path.join(folder, f) for f in sorted(files) if f.endswith(".pol")]
            if len(found) >= limit:
                return found[:limit]
    return found


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
        self.closed: dict[str, A.Analysis] = {}  # uri → analysis of a workspace policy no editor has open
        self.changed: set[str] = set()  # paths whose dependants wait to be checked again
        self.timer: asyncio.TimerHandle | None = None
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boligregler-sjekk")

    def text(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source

    def open_texts(self) -> dict[str, str]:
        return {path_of(uri): doc.source for uri, doc in self.workspace.text_documents.items()}

    def refresh(self, uri: str, changed: bool = True) -> None:
        """Analyse the open document `uri` now and publish; if its text `changed`, check what builds on it
        again soon."""
        self.store(uri, A.analyse(path_of(uri), self.text(uri), self.open_texts()))
        if not changed:
            return
        self.changed.add(path_of(uri))
        if self.timer is not None:
            self.timer.cancel()
        self.timer = asyncio.get_running_loop().call_later(RECHECK_DELAY, self.check_dependants)

    def store(self, uri: str, result: A.Analysis) -> None:
        """Keep `result` and publish its diagnostics (unless the document changed since it was analysed)."""
        if uri in self.workspace.text_documents:
            if result.text != self.text(uri):
                return
            self.analyses[uri] = result
            if result.files:
                self.navigable[uri] = result
            self.closed.pop(uri, None)
        else:
            self.closed[uri] = result
        path = path_of(uri)
        diagnostics = [self.diagnostic(d, result) for d in result.diagnostics if d.file in (path, "")]
        self.text_document_publish_diagnostics(L.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))

    def dependants(self, paths: set[str]) -> list[str]:
        """Documents (open, or policies of the workspace) whose `bygger på` chain holds one of `paths`."""
        out: dict[str, None] = {}
        for uri, a in [*self.analyses.items(), *self.navigable.items(), *self.closed.items()]:
            if path_of(uri) not in paths and any(f.path in paths for f in a.files[:-1]):
                out[uri] = None
        return list(out)

    def check_dependants(self) -> None:
        paths, self.changed, self.timer = self.changed, set(), None
        self.check_in_background(self.dependants(paths))

    def check_in_background(self, uris: list[str]) -> None:
        """Analyse `uris` in the worker thread (open ones with their editor text) and publish each."""
        texts = self.open_texts()
        jobs = []
        for uri in uris:
            path = path_of(uri)
            if path in texts:
                jobs.append((uri, path, texts[path]))
            else:
                try:
                    jobs.append((uri, path, Path(path).read_text(encoding="utf-8")))
                except (OSError, UnicodeDecodeError):
                    continue
        loop = asyncio.get_running_loop()

        def run() -> None:
            for uri, path, text in jobs:
                loop.call_soon_threadsafe(self.store, uri, A.analyse(path, text, texts))
        self.worker.submit(run)

    def workspace_roots(self) -> list[str]:
        roots = [path_of(f.uri) for f in self.workspace.folders.values()]
        return roots or ([self.workspace.root_path] if self.workspace.root_path else [])

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
            a = attrs.evolve(a, text=text)
        return a, line, column

    def symbol(self, params) -> tuple[A.Analysis, A.Symbol, int, int] | None:
        """The analysis and what is under the cursor of a hover, definition, references or rename request."""
        found = self.at(params.text_document.uri, params.position)
        if found is None:
            return None
        a, line, column = found
        symbol = A.symbol_at(a, line, column)
        return (a, symbol, line, column) if symbol is not None else None

    def location(self, path: str, span: Span | None, a: A.Analysis) -> L.Location:
        return L.Location(uri=uri_of(path), range=self.range(span, path, a))


def about_symbol(handler):
    """A request about what is under the cursor: `handler(ls, params, analysis, symbol, line, column)`;
    None when the document never parsed or the cursor is on nothing known."""
    def run(ls: PolServer, params):
        found = ls.symbol(params)
        return handler(ls, params, *found) if found is not None else None
    return run


def build() -> PolServer:
    server = PolServer()

    @server.feature(L.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PolServer, params: L.DidOpenTextDocumentParams):
        ls.refresh(params.text_document.uri, changed=False)

    @server.feature(L.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PolServer, params: L.DidChangeTextDocumentParams):
        ls.refresh(params.text_document.uri)

    @server.feature(L.INITIALIZED)
    def initialized(ls: PolServer, params: L.InitializedParams):
        """Diagnostics for the workspace's policies that are not open."""
        uris = [uri_of(p) for p in workspace_policies(ls.workspace_roots())]
        ls.check_in_background([u for u in uris if u not in ls.workspace.text_documents])

    @server.feature(L.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def files_changed(ls: PolServer, params: L.DidChangeWatchedFilesParams):
        """A policy changed on disk (saved elsewhere, a git checkout): check it, unless an editor has it
        open, and what builds on it; a deleted one loses its diagnostics."""
        changed = []
        for event in params.changes:
            if not event.uri.endswith(".pol"):
                continue
            if event.type == L.FileChangeType.Deleted:
                ls.closed.pop(event.uri, None)
                ls.text_document_publish_diagnostics(L.PublishDiagnosticsParams(uri=event.uri, diagnostics=[]))
            elif event.uri not in ls.workspace.text_documents:
                changed.append(event.uri)
        paths = {path_of(e.uri) for e in params.changes if e.uri.endswith(".pol")}
        ls.check_in_background(list(dict.fromkeys(changed + ls.dependants(paths))))

    @server.feature(L.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PolServer, params: L.DidCloseTextDocumentParams):
        """A workspace policy keeps its diagnostics (as saved on disk); any other file loses them."""
        uri = params.text_document.uri
        ls.analyses.pop(uri, None)
        ls.navigable.pop(uri, None)
        roots = [Path(r).resolve() for r in ls.workspace_roots()]
        path = Path(path_of(uri)).resolve()
        if path.suffix == ".pol" and path.is_file() and any(path.is_relative_to(r) for r in roots):
            ls.check_in_background([uri])
        else:
            ls.text_document_publish_diagnostics(L.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(L.TEXT_DOCUMENT_HOVER)
    @about_symbol
    def hover(ls: PolServer, params: L.HoverParams, a: A.Analysis, symbol: A.Symbol, line: int, column: int):
        text = A.hover(a, symbol)
        if not text:
            return None
        word = A.word_at(a.text, line, column)
        return L.Hover(contents=L.MarkupContent(kind=L.MarkupKind.Markdown, value=text),
                       range=ls.range(word[2], a.path, a) if word else None)

    @server.feature(L.TEXT_DOCUMENT_DEFINITION)
    @about_symbol
    def definition(ls: PolServer, params: L.DefinitionParams, a: A.Analysis, symbol: A.Symbol, *_):
        return [ls.location(path, span, a) for path, span in A.definitions(a, symbol)] or None

    @server.feature(L.TEXT_DOCUMENT_REFERENCES)
    @about_symbol
    def references(ls: PolServer, params: L.ReferenceParams, a: A.Analysis, symbol: A.Symbol, *_):
        return [ls.location(path, span, a)
                for path, span in A.references(a, symbol, params.context.include_declaration)]

    @server.feature(L.TEXT_DOCUMENT_RENAME)
    @about_symbol
    def rename(ls: PolServer, params: L.RenameParams, a: A.Analysis, symbol: A.Symbol, *_):
        if not A.renamable(a, symbol):
            return None
        changes: dict[str, list[L.TextEdit]] = {}
        for path, span in A.references(a, symbol):
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
        a = attrs.evolve(a, text=current)
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
