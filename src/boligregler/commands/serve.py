"""`boligregler serve`: the HTTP decision service (Starlette on uvicorn), see docs/integrasjon.md."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from pathlib import Path

from boligregler.diagnostics import BoligreglerError, file_problem


def register(sub) -> None:
    p = sub.add_parser("serve", help="kjør vedtakstjenesten (HTTP)", description=(
        "Kjører vedtakstjenesten: et JSON-API over HTTP for saksbehandlingssystemer (se docs/integrasjon.md). "
        "Regelverkene lastes fra MAPPE (standard: de medfølgende) og lastes på nytt når en fil endres; et "
        "regelverk med feil tas ikke i bruk, og forrige versjon brukes videre. Hvert vedtak logges varig "
        "(SQLite i datamappen, eller PostgreSQL med --database) før svaret sendes."))
    p.add_argument("--host", default="127.0.0.1", help="adressen tjenesten lytter på (standard: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="porten (standard: 8000)")
    p.add_argument("--regelverk", metavar="MAPPE", help="mappen med .pol-filer (standard: de medfølgende)")
    p.add_argument("--database", metavar="URL",
                   help="beslutningsloggen: postgresql://…, sqlite:///sti.db eller en filsti "
                        "(standard: logg.sqlite i datamappen)")
    p.add_argument("--data", metavar="MAPPE",
                   help="datamappen (standard: $BOLIGREGLER_DATA, ellers ~/.local/share/boligregler)")
    p.add_argument("--uten-logg", action="store_true", help="ikke logg vedtakene (bare for test og ytelsesmåling)")
    p.add_argument("--token-fil", metavar="FIL",
                   help="fil med gyldige nøkler (bearer-tokens), én per linje; også $BOLIGREGLER_TOKENS. "
                        "Påkrevd når tjenesten lytter på en annen adresse enn loopback")
    p.add_argument("--maks-bytes", type=positive_int, default=1 << 20, help="største forespørsel i byte (standard: 1 MiB)")
    p.add_argument("--tidsgrense", type=float, default=30.0,
                   help="sekunder en vurdering (med logging) kan ta (standard: 30)")
    p.add_argument("--tidsgrense-innsending", type=float, default=10.0,
                   help="sekunder en klient har til å sende hele forespørselen (standard: 10)")
    p.add_argument("--maks-samtidige", type=positive_int, default=1000,
                   help="forespørsler som kan behandles samtidig; flere får 503 «overbelastet» (standard: 1000)")
    p.add_argument("--intervall", type=float, default=1.0,
                   help="sekunder mellom hver sjekk av om regelverksfilene er endret (0: aldri)")
    p.set_defaults(handler=run)


def read_tokens(path: str | None) -> tuple[str, ...]:
    tokens = os.environ.get("BOLIGREGLER_TOKENS", "").replace(",", " ").split()
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise file_problem(path, "lese", e) from None
        tokens += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    short = [t for t in tokens if len(t) < 16]
    if short:
        raise BoligreglerError(f"{len(short)} nøkkel(er) er kortere enn 16 tegn; bruk lange, tilfeldige nøkler")
    return tuple(tokens)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def positive_int(text: str) -> int:
    """An argument that must be a whole number above 0."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"må være et helt tall større enn 0, ikke «{text}»")
    return value


def run(args) -> int:
    import uvicorn

    from boligregler.server.app import Settings, create_app
    from boligregler.server.log import open_log
    from boligregler.server.registry import Registry

    tokens = read_tokens(args.token_fil)
    if not tokens and not is_loopback(args.host):
        print(f"boligregler serve: tjenesten lytter på {args.host}, som ikke er loopback: oppgi nøkler med "
              "--token-fil eller $BOLIGREGLER_TOKENS", file=sys.stderr)
        return 2
    if args.regelverk is not None and not Path(args.regelverk).is_dir():
        raise BoligreglerError(f"{args.regelverk}: er ikke en mappe med regelverk")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    decision_log = None if args.uten_logg else open_log(args.database, args.data)  # before anything starts
    registry = Registry(args.regelverk, interval=args.intervall)
    registry.start()
    settings = Settings(tokens=tokens, max_body=args.maks_bytes, request_timeout=args.tidsgrense,
                        body_timeout=args.tidsgrense_innsending, max_concurrent=args.maks_samtidige)
    app = create_app(registry, decision_log, settings)
    logging.getLogger("boligregler.server").info(
        "lytter på http://%s:%d, %d regelverk, logg: %s, nøkler: %s", args.host, args.port, len(registry.policies),
        decision_log.description if decision_log else "ingen", "påkrevd" if tokens else "ingen (bare loopback)")
    config = uvicorn.Config(app, host=args.host, port=args.port, access_log=False, log_level="warning",
                            server_header=False, timeout_keep_alive=5,
                            h11_max_incomplete_event_size=64 * 1024)
    try:
        uvicorn.Server(config).run()
    finally:
        registry.stop()
        if decision_log is not None:
            decision_log.close()
    return 0
