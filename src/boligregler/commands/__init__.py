"""Subcommands of the `boligregler` CLI; each module defines `register(subparsers)`."""
