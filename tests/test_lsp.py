"""`boligregler lsp` end to end: pygls' own client talks to the server over stdio."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsprotocol import types as L  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from boligregler.commands.sjekk import diagnostics_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SOURCE = (ROOT / "policies" / "drammen.pol").read_text(encoding="utf-8")


def position(text: str, needle: str, offset: int = 0, nth: int = 0) -> L.Position:
    """The LSP position of the `nth` occurrence of `needle` (plus `offset` characters; all BMP here)."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    index += offset
    line = text.count("\n", 0, index)
    return L.Position(line, index - (text.rfind("\n", 0, index) + 1))


class Session:
    def __init__(self, client: LanguageClient):
        self.client = client
        self.diagnostics: dict[str, asyncio.Queue] = {}

    def queue(self, uri: str) -> asyncio.Queue:
        return self.diagnostics.setdefault(uri, asyncio.Queue())

    async def next_diagnostics(self, uri: str) -> list[L.Diagnostic]:
        return await asyncio.wait_for(self.queue(uri).get(), 60)

    async def open(self, uri: str, text: str) -> list[L.Diagnostic]:
        """Open the document in the editor; its first diagnostics."""
        self.client.text_document_did_open(L.DidOpenTextDocumentParams(
            L.TextDocumentItem(uri=uri, language_id="boligregler", version=1, text=text)))
        return await self.next_diagnostics(uri)

    async def change(self, uri: str, version: int, text: str) -> list[L.Diagnostic]:
        """Replace the document's text; its next diagnostics."""
        self.client.text_document_did_change(L.DidChangeTextDocumentParams(
            text_document=L.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[L.TextDocumentContentChangeWholeDocument(text=text)]))
        return await self.next_diagnostics(uri)


async def start(root: Path | None = None) -> Session:
    client = LanguageClient("test", "1")
    session = Session(client)

    @client.feature(L.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: L.PublishDiagnosticsParams):
        session.queue(params.uri).put_nowait(params.diagnostics)

    await client.start_io(sys.executable, "-m", "boligregler", "lsp")
    folders = [L.WorkspaceFolder(uri=root.as_uri(), name=root.name)] if root is not None else None
    await client.initialize_async(L.InitializeParams(capabilities=L.ClientCapabilities(), workspace_folders=folders))
    client.initialized(L.InitializedParams())
    return session


async def stop(session: Session) -> None:
    server = session.client._server
    if server is not None and server.returncode is not None:  # it died: show why
        raise AssertionError((await server.stderr.read()).decode()[-4000:])
    await session.client.shutdown_async(None)
    session.client.exit(None)
    await session.client.stop()


def doc(uri: str) -> L.TextDocumentIdentifier:
    return L.TextDocumentIdentifier(uri=uri)


def test_language_server_end_to_end(tmp_path):
    path = tmp_path / "drammen.pol"
    broken = SOURCE.replace("oppfylt når bolig.i_kommunen", "oppfylt når bolig.i_kommunn")
    path.write_text(broken, encoding="utf-8")
    uri = path.as_uri()
    expected = [d for d in diagnostics_for(str(path))[0] if d.file == str(path)]

    async def scenario():
        s = await start()
        c = s.client
        try:
            diags = await s.open(uri, broken)
            # the same codes and positions as `boligregler sjekk`
            assert sorted((d.code, d.range.start.line + 1, d.range.start.character + 1) for d in diags) == \
                sorted((d.code, d.span.line, d.span.column) for d in expected)
            unknown = next(d for d in diags if d.code == "N001")
            assert "i_kommunn" in unknown.message and "mente du «i_kommunen»?" in unknown.message

            # code action for «mente du …?»
            actions = await c.text_document_code_action_async(L.CodeActionParams(
                text_document=doc(uri), range=unknown.range, context=L.CodeActionContext(diagnostics=[unknown])))
            edit = actions[0].edit.changes[uri][0]
            assert actions[0].title == "Bytt til «i_kommunen»" and edit.new_text == "i_kommunen"

            # as you type: fixing the text clears the diagnostic
            assert not [d for d in await s.change(uri, 2, SOURCE) if d.code == "N001"]

            # hover: a parameter's value today with its source and history
            hover = await c.text_document_hover_async(L.HoverParams(text_document=doc(uri), position=position(SOURCE, "krav_bankavslag", 2, nth=1)))
            assert "parameter krav_bankavslag" in hover.contents.value and "kilde:" in hover.contents.value
            assert "Historikk" in hover.contents.value
            # hover: a computation inherited from nasjonal, with its formula in Norwegian
            hover = await c.text_document_hover_async(L.HoverParams(text_document=doc(uri), position=position(SOURCE, "{lånebehov}", 2)))
            assert "beregn lånebehov" in hover.contents.value and "lånebehov =" in hover.contents.value
            # hover: a criterion's texts
            hover = await c.text_document_hover_async(L.HoverParams(text_document=doc(uri), position=position(SOURCE, "vilkår folkeregistrert", 9)))
            assert "Folkeregistrert i Drammen" in hover.contents.value

            # go to definition across `bygger på`
            where = await c.text_document_definition_async(L.DefinitionParams(text_document=doc(uri), position=position(SOURCE, "{lånebehov}", 2)))
            assert where[0].uri.endswith("nasjonal.pol")
            # an override is found before what it overrides
            where = await c.text_document_definition_async(L.DefinitionParams(text_document=doc(uri), position=position(SOURCE, "maks_tilskudd_andel", 2, nth=1)))
            assert where[0].uri == uri and where[1].uri.endswith("nasjonal.pol")

            # references across files
            refs = await c.text_document_references_async(L.ReferenceParams(
                text_document=doc(uri), position=position(SOURCE, "krav_bankavslag", 2),
                context=L.ReferenceContext(include_declaration=True)))
            assert {r.uri for r in refs} == {uri} and len(refs) == 4

            # completion: søknad paths and enum values
            items = await c.text_document_completion_async(L.CompletionParams(text_document=doc(uri), position=position(SOURCE, "bolig.i_kommunen", 6)))
            assert {"kjøpesum", "i_kommunen", "eierform"} <= {i.label for i in items.items}
            items = await c.text_document_completion_async(L.CompletionParams(text_document=doc(uri), position=position(SOURCE, "krav_bankavslag\n", 0)))
            labels = {i.label for i in items.items}
            assert {"krav_bankavslag", "lånebehov", "livsopphold_barn", "maks", "hvis"} <= labels

            # the outline
            symbols = await c.text_document_document_symbol_async(L.DocumentSymbolParams(text_document=doc(uri)))
            names = [sym.name for sym in symbols]
            assert "kalkulasjonsrente" in names and "folkeregistrert" in names and "ingen_bankavslag" in names

            # formatting through fmt
            messy = SOURCE.replace("    art: hovedregel", "  art:  hovedregel", 1)
            await s.change(uri, 3, messy)
            edits = await c.text_document_formatting_async(L.DocumentFormattingParams(
                text_document=doc(uri), options=L.FormattingOptions(tab_size=4, insert_spaces=True)))
            assert edits[0].new_text == SOURCE

            # rename: every use and the definition
            await s.change(uri, 4, SOURCE)
            edit = await c.text_document_rename_async(L.RenameParams(
                text_document=doc(uri), position=position(SOURCE, "krav_bankavslag", 2), new_name="antall_bankavslag"))
            assert len(edit.changes[uri]) == 4 and {e.new_text for e in edit.changes[uri]} == {"antall_bankavslag"}
        finally:
            await stop(s)

    asyncio.run(asyncio.wait_for(scenario(), 120))


def test_syntax_errors_are_published_with_the_codes_of_sjekk(tmp_path):
    path = tmp_path / "x.pol"
    text = SOURCE.replace("5 % fra 2015-01-01", "5 % fra 2015-13-01").replace("parameter krav_bankavslag: antall {",
                                                                              "parameter krav_bankavslag: antall {{")
    path.write_text(text, encoding="utf-8")
    expected = diagnostics_for(str(path))[0]

    async def scenario():
        s = await start()
        try:
            diags = await s.open(path.as_uri(), text)
            assert [(d.code, d.range.start.line + 1) for d in diags] == [(d.code, d.span.line) for d in expected]
            assert diags and all(d.code.startswith("S") for d in diags)
        finally:
            await stop(s)

    asyncio.run(asyncio.wait_for(scenario(), 120))


def test_completion_offers_enum_values_and_hover_explains_soknad_fields():
    from boligregler.lsp import analysis as A
    import attrs

    path = str(ROOT / "policies" / "drammen.pol")
    good = A.analyse(path, SOURCE)
    typing = SOURCE + '\nberegn kjøper: sannhet = formål = "'
    line = typing.split("\n")
    found = A.completions(attrs.evolve(good, text=typing), len(line), len(line[-1]) + 1)
    assert [label for label, kind, _ in found] == ["kjøp", "utbedring", "oppføring", "refinansiering"]
    at = position(SOURCE, "bolig.i_kommunen", 8)
    name = A.target(good, at.line + 1, at.character + 1)
    assert name == "bolig.i_kommunen"
    assert A.hover(good, A.Symbol(name)).startswith("**søknad: bolig.i_kommunen** (ja/nei)")
    assert "| 11–17 | 5\u00a0150 kr/mnd |" in A.hover(good, A.Symbol("livsopphold_barn"))


LOOPS = '''
## Summen av lønn.
beregn lønn_sum: kr/mnd = sum(inntekt.netto_per_måned for hver inntekt i inntekter der inntekt.type = "lønn")

## Antall inntekter over null.
beregn positive_inntekter: antall = antall(hver inntekt i inntekter der inntekt.netto_per_måned > 0 kr/mnd)
'''


def test_loop_variables_are_renamed_and_referenced_only_inside_their_loop(tmp_path):
    text = SOURCE + LOOPS
    path = tmp_path / "drammen.pol"
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()

    async def scenario():
        s = await start()
        c = s.client
        try:
            assert not [d for d in await s.open(uri, text) if d.severity == L.DiagnosticSeverity.Error]
            first = position(text, "inntekt.type")  # a use in the first loop
            edit = await c.text_document_rename_async(L.RenameParams(text_document=doc(uri), position=first,
                                                                     new_name="inn"))
            lines = text.split("\n")
            loop_line = text[:text.index("beregn lønn_sum")].count("\n")
            assert sorted((e.range.start.line, e.range.start.character) for e in edit.changes[uri]) == [
                (loop_line, lines[loop_line].index("inntekt.netto")), (loop_line, lines[loop_line].index("hver inntekt") + 5),
                (loop_line, lines[loop_line].index("inntekt.type"))]
            assert list(edit.changes) == [uri]  # nothing in nasjonal.pol, nothing in the other loop
            second = position(text, "hver inntekt", 5, nth=1)  # where the second loop binds it
            refs = await c.text_document_references_async(L.ReferenceParams(
                text_document=doc(uri), position=second, context=L.ReferenceContext(include_declaration=False)))
            other_line = text[:text.index("beregn positive_inntekter")].count("\n")
            assert [(r.range.start.line, r.range.start.character) for r in refs] == [
                (other_line, lines[other_line].index("inntekt.netto"))]
            where = await c.text_document_definition_async(L.DefinitionParams(text_document=doc(uri), position=first))
            assert [(w.range.start.line, w.range.start.character) for w in where] == [
                (loop_line, lines[loop_line].index("hver inntekt") + 5)]
            hover = await c.text_document_hover_async(L.HoverParams(text_document=doc(uri), position=first))
            assert hover.contents.value.startswith("**inntekt** (løkkevariabel): ett og ett element i `inntekter`")
            assert "`inntekt.netto_per_måned`" in hover.contents.value
            # a definition's name is still renamed everywhere, across the chain
            edit = await c.text_document_rename_async(L.RenameParams(
                text_document=doc(uri), position=position(text, "krav_bankavslag", 2), new_name="antall_bankavslag"))
            assert len(edit.changes[uri]) == 4
        finally:
            await stop(s)

    asyncio.run(asyncio.wait_for(scenario(), 120))


def test_workspace_policies_and_what_builds_on_a_changed_base_are_checked(tmp_path):
    """Diagnostics come for a policy of the workspace nobody opened, and typing in its base re-checks it."""
    base_text = (ROOT / "policies" / "nasjonal.pol").read_text(encoding="utf-8")
    (tmp_path / "nasjonal.pol").write_text(base_text, encoding="utf-8")
    kommune = tmp_path / "drammen.pol"
    kommune.write_text(SOURCE.replace("oppfylt når bolig.i_kommunen", "oppfylt når bolig.i_kommunn"), encoding="utf-8")
    hidden = tmp_path / ".skjult"
    hidden.mkdir()
    (hidden / "x.pol").write_text("regelverk x {", encoding="utf-8")
    base_uri, kommune_uri = (tmp_path / "nasjonal.pol").as_uri(), kommune.as_uri()

    async def scenario():
        s = await start(tmp_path)
        try:
            unopened = await s.next_diagnostics(kommune_uri)  # published without opening it
            assert [d.code for d in unopened if "i_kommunn" in d.message] == ["N001"]
            assert not [d for d in await s.open(base_uri, base_text) if d.severity == L.DiagnosticSeverity.Error]
            # the base loses a parameter the kommune overrides: the closed kommune hears of it
            broken = base_text.replace("parameter maks_tilskudd_andel:", "parameter maks_tilskot_andel:")
            await s.change(base_uri, 2, broken)
            while True:
                diags = await s.next_diagnostics(kommune_uri)
                if any("maks_tilskudd_andel" in d.message for d in diags):
                    break
            assert (ROOT / "policies" / "nasjonal.pol").read_text(encoding="utf-8") == base_text  # nothing saved
            # the kommune is fixed on disk (another program saved it): the watched-file event re-checks it
            kommune.write_text(SOURCE, encoding="utf-8")
            s.client.workspace_did_change_watched_files(L.DidChangeWatchedFilesParams(
                changes=[L.FileEvent(uri=kommune_uri, type=L.FileChangeType.Changed)]))
            fixed = await s.next_diagnostics(kommune_uri)
            assert not [d for d in fixed if "i_kommunn" in d.message]
            assert [d for d in fixed if "maks_tilskudd_andel" in d.message]  # still checked against the open base
            assert s.queue((hidden / "x.pol").as_uri()).empty()  # hidden folders are not searched
        finally:
            await stop(s)

    asyncio.run(asyncio.wait_for(scenario(), 120))
