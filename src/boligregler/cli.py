"""The `boligregler` command line. Each subcommand lives in `boligregler.commands.<navn>`.

Exit codes: 0 success, 1 the input has problems (a policy with errors, an invalid
søknad, a failing example), 2 wrong use of the command. With `--format json` an error is
written to standard out as JSON (`BoligreglerError.to_dict()`: code, message, problems).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import json
import pkgutil
import sys

from boligregler import __version__, commands
from boligregler.diagnostics import BoligreglerError


# argparse's own messages, in Norwegian (see `norwegian_argparse`).
ARGPARSE_NORWEGIAN = {
    "usage: ": "bruk: ",
    "positional arguments": "argumenter",
    "options": "valg",
    "show this help message and exit": "vis denne hjelpeteksten og avslutt",
    "show program's version number and exit": "vis versjonen og avslutt",
    "%(prog)s: error: %(message)s\n": "%(prog)s: feil: %(message)s\n",
    "the following arguments are required: %s": "disse argumentene mangler: %s",
    "unrecognized arguments: %s": "ukjente argumenter: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ugyldig valg: %(value)r (velg blant %(choices)s)",
    "argument %(argument_name)s: %(message)s": "argumentet %(argument_name)s: %(message)s",
    "expected one argument": "forventet én verdi",
    "expected at least one argument": "forventet minst én verdi",
    "invalid %(type)s value: %(value)r": "ugyldig %(type)s-verdi: %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "tvetydig valg: %(option)s kan bety %(matches)s",
    "not allowed with argument %s": "kan ikke brukes sammen med %s",
    "one of the arguments %s is required": "ett av argumentene %s må oppgis",
}


@contextlib.contextmanager
def norwegian_argparse():
    """argparse's own messages in Norwegian while the CLI builds and parses, restored afterwards
    (argparse looks them up through its module-level `_`; a program embedding boligregler keeps its own)."""
    saved = argparse._
    argparse._ = lambda text: ARGPARSE_NORWEGIAN.get(text, saved(text))
    try:
        yield
    finally:
        argparse._ = saved


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or with `command` only of that one (a start-up imports only what it runs)."""
    parser = argparse.ArgumentParser(
        prog="boligregler",
        description="Startlån som kjørbare regler: sjekk regelverk, vurder søknader og kjør eksempler.",
    )
    parser.add_argument("--versjon", "--version", action="version", version=f"boligregler {__version__}",
                        help="vis versjonen og avslutt")
    sub = parser.add_subparsers(dest="kommando", metavar="KOMMANDO")
    names = sorted(info.name for info in pkgutil.iter_modules(commands.__path__))
    for name in [command] if command in names else names:
        importlib.import_module(f"boligregler.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with norwegian_argparse():
        parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
        args = parser.parse_args(argv)  # exits (code 2) on wrong usage, in Norwegian
        if not getattr(args, "handler", None):
            parser.print_help()
            return 2
    try:
        return args.handler(args)
    except BoligreglerError as e:
        if getattr(args, "format", None) == "json":
            print(json.dumps(e.to_dict(), ensure_ascii=False, indent=2))  # errors as data, on standard out
        else:
            print(str(e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("avbrutt", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped (`… | head`): say nothing, and keep Python from failing on the final flush.
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a process the pipe ended


if __name__ == "__main__":
    sys.exit(main())
