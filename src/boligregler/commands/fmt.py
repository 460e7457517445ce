"""`boligregler fmt [--sjekk] [--diff] FIL…`: give policies the canonical layout."""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path

from boligregler.diagnostics import PolicyError, file_reason, render_text
from boligregler.syntax.printer import format_policy


def register(sub) -> None:
    p = sub.add_parser("fmt", help="formater regelverk", description=(
        "Gir regelverk (.pol) den faste oppsettet: innrykk, mellomrom og tomme linjer. Linjeskift, "
        "kommentarer og dokumentasjonskommentarer beholdes der de står, og innholdet endres aldri. "
        "Uten valg skrives filene om; med --sjekk meldes bare filer som ikke er formatert."))
    p.add_argument("filer", nargs="+", metavar="FIL", help="regelverk (filer eller mapper med .pol-filer)")
    p.add_argument("--sjekk", action="store_true", help="ikke skriv filene; avslutt med 1 hvis noen ikke er formatert")
    p.add_argument("--diff", action="store_true", help="vis endringene som en diff i stedet for å skrive filene")
    p.set_defaults(handler=run)


def _files(args: list[str]) -> list[Path]:
    out = []
    for arg in args:
        path = Path(arg)
        out.extend(sorted(path.rglob("*.pol")) if path.is_dir() else [path])
    return out


def run(args) -> int:
    problems = unformatted = 0
    for path in _files(args.filer):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            print(f"feil: {path}: kan ikke lese filen ({file_reason(e)})", file=sys.stderr)
            problems += 1
            continue
        except UnicodeDecodeError:
            print(f"feil: {path}: filen er ikke UTF-8", file=sys.stderr)
            problems += 1
            continue
        try:
            result = format_policy(text, str(path))
        except PolicyError as e:
            print(render_text(e.diagnostics, e.sources), file=sys.stderr)
            problems += 1
            continue
        if result == text:
            continue
        unformatted += 1
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(
                text.splitlines(keepends=True), result.splitlines(keepends=True), f"{path}", f"{path} (formatert)"))
        if args.sjekk:
            print(f"{path}: ikke formatert", file=sys.stderr)
        elif not args.diff:
            _write(path, result)
            print(f"formaterte {path}", file=sys.stderr)
    if args.sjekk and not problems:
        print(f"{unformatted} av {len(_files(args.filer))} filer er ikke formatert" if unformatted
              else "Alle filene er formatert.", file=sys.stderr)
    return 1 if problems or (args.sjekk and unformatted) else 0


def _write(path: Path, text: str) -> None:
    """Replace the file atomically, keeping its permissions."""
    tmp = path.with_name(f".{path.name}.fmt-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    try:
        os.chmod(tmp, path.stat().st_mode & 0o7777)
    except OSError:
        pass
    os.replace(tmp, path)
