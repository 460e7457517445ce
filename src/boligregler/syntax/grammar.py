"""Where the grammar of the policy language is: inside an installed wheel, else the repository."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

GRAMMAR_NAME = "boligregler.lark"


def grammar_path() -> Path:
    """The grammar file: inside an installed wheel, else the repository's `grammar/`."""
    packaged = resources.files("boligregler") / "_grammar" / GRAMMAR_NAME
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "grammar" / GRAMMAR_NAME
