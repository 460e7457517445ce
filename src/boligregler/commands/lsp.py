"""`boligregler lsp`: the language server for editors, over standard in and out."""

from __future__ import annotations

from boligregler.diagnostics import UsageError


def register(sub) -> None:
    p = sub.add_parser("lsp", help="start språktjeneren for redigeringsprogrammer (LSP over stdio)", description=(
        "Starter språktjeneren (Language Server Protocol) over standard inn og ut: feil mens du skriver, "
        "forklaringer når du holder over et navn, gå til definisjon, finn bruk, fullføring, oversikt, "
        "formatering, hurtigretting av «mente du …?» og omdøping. Krever tillegget «lsp»: "
        "pip install 'boligregler[lsp]'."))
    p.set_defaults(handler=run)


def run(args) -> int:
    try:
        from boligregler.lsp.server import main
    except ImportError as e:
        raise UsageError(f"språktjeneren krever pygls: pip install 'boligregler[lsp]' ({e})") from None
    main()
    return 0
