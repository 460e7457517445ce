"""Subcommands of the `boligregler` CLI; each module defines `register(subparsers)`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from boligregler.diagnostics import PolicyError

STDIN_NAME = "<standard inn>"


def color_wanted(choice: str, stream: TextIO) -> bool:
    """--farge alltid|aldri|auto; auto means a terminal, unless NO_COLOR is set or TERM is dumb."""
    if choice != "auto":
        return choice == "alltid"
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def add_policy_files(parser, what: str) -> None:
    """The FIL… argument of a command that takes policies: files, folders of `.pol` files, or - for standard input."""
    parser.add_argument("filer", nargs="+", metavar="FIL", help=f"{what} (filer, mapper med .pol-filer, eller - for standard inn)")


def policy_files(arguments: list[str]) -> list[str]:
    """The files that FIL… arguments name: a folder stands for every `.pol` file under it (sorted)."""
    out: list[str] = []
    for arg in arguments:
        path = Path(arg)
        out.extend(str(p) for p in sorted(path.rglob("*.pol"))) if arg != "-" and path.is_dir() else out.append(arg)
    return out


def live_terminal(stream: TextIO) -> bool:
    """Whether `stream` is a terminal that can redraw a line (for progress bars): not TERM=dumb."""
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def load_policy_argument(argument: str, args=None):
    """The policy a command-line argument names: a bare name is the shipped policy, `-` the text on standard
    input, anything else a path; honours `--tillat-ulovlig` (and warns when it is used). When a file or
    folder in the working folder has that bare name, say which one was used."""
    from boligregler.api import load_for_command, load_policy_text, unlawful_warning
    from boligregler.model.loader import local_shadow, resolve_policy_path

    if argument == "-":
        policy = load_policy_text(read_stdin(), name=STDIN_NAME,
                                  tillat_ulovlig=getattr(args, "tillat_ulovlig", False))
        if warning := unlawful_warning(policy):
            print(warning, file=sys.stderr)
        return policy
    shadow = local_shadow(argument)
    try:
        policy = load_for_command(argument, args)
    except PolicyError:
        if shadow is not None:
            print(f"merk: «{argument}» betyr et medfølgende regelverk; skriv ./{argument} for å bruke "
                  f"{'mappen' if shadow.is_dir() else 'filen'} i denne mappen", file=sys.stderr)
        raise
    if shadow is not None:
        print(f"merk: bruker det medfølgende regelverket «{argument}» ({resolve_policy_path(argument)}), ikke "
              f"{'mappen' if shadow.is_dir() else 'filen'} ./{argument}; skriv ./{argument} for å bruke den",
              file=sys.stderr)
    return policy


def read_stdin() -> str:
    """Standard input as UTF-8 text; a byte order mark is dropped, invalid UTF-8 is a clear error."""
    from boligregler.diagnostics import BoligreglerError

    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BoligreglerError(f"{STDIN_NAME}: ugyldig UTF-8 i byte {e.start + 1}; send teksten som UTF-8", code="ikke_utf8",
                               params={"fil": STDIN_NAME, "byte": e.start + 1}) from None
