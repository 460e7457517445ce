"""Measure the policy-staff tools: `boligregler fmt` and the language server, as an editor uses them.

    python benchmarks/tooling.py            # 5 repetitions
    python benchmarks/tooling.py --raskt    # 2 repetitions

fmt: `boligregler fmt --sjekk policies` in a fresh process (import, grammar, parse and print every
shipped policy, the meaning verified), and `format_policy` per shipped policy in one warm process.

lsp: `boligregler lsp` started over stdio and driven by pygls' own client, as VS Code does: the
time from `didOpen` of drammen.pol to its first diagnostics (a fresh server: parse, check and the
legality lint of the chain), from a change to the new diagnostics, and the latency of hover and
completion requests (median over the repetitions). Needs the lsp extra. Record figures in
docs/ytelse.md with the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "policies").glob("*.pol"))
KOMMUNE = ROOT / "policies" / "drammen.pol"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.0f} ms"


def fmt_fresh(runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "boligregler", "fmt", "--sjekk", *map(str, SHIPPED)],
                              capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        times.append(time.perf_counter() - start)
        assert done.returncode == 0, done.stderr.decode()
    return statistics.median(times)


def fmt_warm(runs: int) -> list[tuple[str, float]]:
    from boligregler.syntax.printer import format_policy

    format_policy(SHIPPED[0].read_text(encoding="utf-8"))  # the grammar, built once per process
    out = []
    for path in SHIPPED:
        text = path.read_text(encoding="utf-8")
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            format_policy(text, str(path))
            times.append(time.perf_counter() - start)
        out.append((path.name, statistics.median(times)))
    return out


def position(text: str, needle: str, offset: int):
    from lsprotocol import types as L

    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return L.Position(line, index - (text.rfind("\n", 0, index) + 1))


async def lsp(runs: int) -> dict[str, float]:
    from lsprotocol import types as L
    from pygls.lsp.client import LanguageClient

    text = KOMMUNE.read_text(encoding="utf-8")
    uri = KOMMUNE.as_uri()
    client = LanguageClient("benchmark", "1")
    published: asyncio.Queue = asyncio.Queue()

    @client.feature(L.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: L.PublishDiagnosticsParams):
        if params.uri == uri:
            published.put_nowait(time.perf_counter())

    started = time.perf_counter()
    await client.start_io(sys.executable, "-m", "boligregler", "lsp")
    await client.initialize_async(L.InitializeParams(capabilities=L.ClientCapabilities()))
    client.initialized(L.InitializedParams())
    initialized = time.perf_counter()
    client.text_document_did_open(L.DidOpenTextDocumentParams(
        L.TextDocumentItem(uri=uri, language_id="boligregler", version=1, text=text)))
    opened = time.perf_counter()
    first = await asyncio.wait_for(published.get(), 120)
    changes, hovers, completions = [], [], []
    doc = L.TextDocumentIdentifier(uri=uri)
    for i in range(runs):
        edited = text + f"\n# endring {i}\n"
        sent = time.perf_counter()
        client.text_document_did_change(L.DidChangeTextDocumentParams(
            text_document=L.VersionedTextDocumentIdentifier(uri=uri, version=i + 2),
            content_changes=[L.TextDocumentContentChangeWholeDocument(text=edited)]))
        changes.append(await asyncio.wait_for(published.get(), 120) - sent)
        sent = time.perf_counter()
        hover = await client.text_document_hover_async(L.HoverParams(
            text_document=doc, position=position(text, "{lånebehov}", 2)))
        hovers.append(time.perf_counter() - sent)
        assert hover is not None
        sent = time.perf_counter()
        items = await client.text_document_completion_async(L.CompletionParams(
            text_document=doc, position=position(text, "bolig.i_kommunen", 6)))
        completions.append(time.perf_counter() - sent)
        assert items.items
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {"start og initialize": initialized - started, "didOpen → første diagnostikk": first - opened,
            "endring → ny diagnostikk (median)": statistics.median(changes),
            "hover (median)": statistics.median(hovers), "fullføring (median)": statistics.median(completions)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raskt", action="store_true", help="2 repetitions instead of 5")
    runs = 2 if parser.parse_args().raskt else 5
    print(f"Maskin: {os.cpu_count()} kjerner, belastning {os.getloadavg()[0]:.1f} (1 min) ved start")
    print(f"\nboligregler fmt --sjekk på {len(SHIPPED)} medfølgende regelverk, ny prosess (median av {runs}):"
          f"\n  {'alle':<28} {ms(fmt_fresh(runs))}")
    print(f"\nformat_policy i en varm prosess (median av {runs}):")
    for name, seconds in fmt_warm(runs):
        print(f"  {name:<28} {ms(seconds)}")
    print(f"\nboligregler lsp over stdio med pygls' klient, {KOMMUNE.name} ({runs} endringer og forespørsler):")
    for what, seconds in asyncio.run(lsp(runs)).items():
        print(f"  {what:<40} {ms(seconds)}")
    print(f"\nBelastning ved slutt: {os.getloadavg()[0]:.1f} (1 min)")


if __name__ == "__main__":
    main()
