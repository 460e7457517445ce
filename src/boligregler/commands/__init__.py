"""Subcommands of the `boligregler` CLI; each module defines `register(subparsers)`."""

from __future__ import annotations

import sys

from boligregler.diagnostics import PolicyError


def load_policy_argument(argument: str, **options):
    """The policy a command-line argument names: a bare name is the shipped policy, anything else a path.
    When a file or folder in the working folder has that bare name, say which one was used."""
    from boligregler.api import load_policy
    from boligregler.model.loader import local_shadow, resolve_policy_path

    shadow = local_shadow(argument)
    try:
        policy = load_policy(argument, **options)
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
