"""`boligregler fmt [--sjekk] [--diff] FIL…`: give policies the canonical layout."""

from __future__ import annotations

import difflib
import json
import os
import sys
from pathlib import Path

from boligregler.commands import STDIN_NAME, add_policy_files, policy_files, read_stdin
from boligregler.diagnostics import BoligreglerError, PolicyError, file_problem, file_reason, render_text
from boligregler.syntax.printer import format_policy


def register(sub) -> None:
    p = sub.add_parser("fmt", help="formater regelverk", description=(
        "Gir regelverk (.pol) den faste oppsettet: innrykk, mellomrom og tomme linjer. Linjeskift, "
        "kommentarer og dokumentasjonskommentarer beholdes der de står, og innholdet endres aldri. "
        "Uten valg skrives filene om; med --sjekk meldes bare filer som ikke er formatert. "
        "FIL - leser standard inn og skriver den formaterte teksten til standard ut."))
    add_policy_files(p, "regelverk som skal formateres")
    p.add_argument("--sjekk", action="store_true", help="ikke skriv filene; avslutt med 1 hvis noen ikke er formatert")
    p.add_argument("--diff", action="store_true", help="vis endringene som en diff i stedet for å skrive filene")
    p.add_argument("--format", choices=["tekst", "json"], default="tekst",
                   help="json: hver fil med om den var formatert, og feilene som data")
    p.set_defaults(handler=run)


def run(args) -> int:
    problems = unformatted = 0
    report: list[dict] = []  # --format json: one entry per file
    as_json = args.format == "json"

    def failed(path: Path, message: str, error: BoligreglerError) -> None:
        nonlocal problems
        problems += 1
        if as_json:
            report.append({"fil": str(path), "formatert": None, **error.to_dict()})
        else:
            print(message, file=sys.stderr)

    files = [Path(f) for f in policy_files(args.filer)]
    for path in files:
        stdin = str(path) == "-"
        try:
            text = read_stdin() if stdin else path.read_text(encoding="utf-8")
        except BoligreglerError as e:
            failed(path, f"feil: {e}", e)
            continue
        except OSError as e:
            failed(path, f"feil: {path}: kan ikke lese filen ({file_reason(e)})", file_problem(path, "lese", e))
            continue
        except UnicodeDecodeError:
            failed(path, f"feil: {path}: filen er ikke UTF-8",
                   BoligreglerError(f"{path}: filen er ikke UTF-8", code="ikke_utf8", params={"fil": str(path)}))
            continue
        try:
            result = format_policy(text, STDIN_NAME if stdin else str(path))
        except PolicyError as e:
            failed(path, render_text(e.diagnostics, e.sources), e)
            continue
        if as_json:
            report.append({"fil": STDIN_NAME if stdin else str(path), "formatert": result == text})
        if stdin and not (args.sjekk or args.diff):
            if as_json:
                report[-1]["tekst"] = result
            else:
                sys.stdout.write(result)  # formatted text to standard out, as editors expect
            continue
        if result == text:
            continue
        unformatted += 1
        if args.diff:
            diff = difflib.unified_diff(text.splitlines(keepends=True), result.splitlines(keepends=True), f"{path}",
                                        f"{path} (formatert)")
            if as_json:
                report[-1]["diff"] = "".join(diff)
            else:
                sys.stdout.writelines(diff)
        if args.sjekk:
            if not as_json:
                print(f"{path}: ikke formatert", file=sys.stderr)
        elif not args.diff:
            _write(path, result)
            if not as_json:
                print(f"formaterte {path}", file=sys.stderr)
    if as_json:
        print(json.dumps({"filer": report, "ikke_formatert": unformatted, "feil": problems,
                          "skrevet": not (args.sjekk or args.diff)}, ensure_ascii=False, indent=2))
    elif args.sjekk and not problems:
        print(f"{unformatted} av {len(files)} filer er ikke formatert" if unformatted
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
