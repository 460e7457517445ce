"""Read a policy file and the policies it builds on (`bygger på`), root baseline first."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from boligregler.diagnostics import (Diagnostic, PolicyError, Severity, Span, UsageError, file_reason, suggest,
                                     utf8_position)
from boligregler.syntax import ast
from boligregler.syntax.cache import cached_parse


def shipped_policies_dir() -> Path:
    """The policies that come with the library: inside a wheel, else the repository's `policies/`."""
    packaged = resources.files("boligregler") / "_policies"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "policies"


POLICY_NAME = re.compile(r"[^\W\d]\w*")  # a shipped policy's name, as `regelverk NAME` writes it


def resolve_policy_path(name_or_path: str | Path) -> Path:
    """The shipped policy a bare name means (`drammen` → policies/drammen.pol, whatever the working folder
    holds), or the path as given: a `Path`, or a text with a folder or a suffix (`./drammen`, `drammen.pol`)."""
    if not isinstance(name_or_path, (str, Path)):
        raise UsageError(f"et regelverk oppgis som en sti eller et navn, ikke {type(name_or_path).__name__}; "
                         "bruk load_policy_text for regelverk som tekst")
    if isinstance(name_or_path, str) and POLICY_NAME.fullmatch(name_or_path):
        return shipped_base(name_or_path) or shipped_policies_dir() / f"{name_or_path}.pol"
    return Path(name_or_path)


def shipped_policy_path(name: str) -> Path:
    """The shipped policy called `name`; anything else (a path, `../x`, an unknown name) is an error. For names
    read from records, which must never lead outside the shipped policies."""
    if not isinstance(name, str) or not POLICY_NAME.fullmatch(name):
        shown = str(name)[:60].encode("unicode_escape").decode("ascii")
        raise UsageError(f"«{shown}» er ikke navnet på et medfølgende regelverk; oppgi regelverket med --regelverk")
    path = shipped_policies_dir() / f"{name}.pol"
    if not path.is_file():
        notes = _unknown_policy_notes(name, [shipped_policies_dir()])
        raise UsageError(f"finner ikke det medfølgende regelverket «{name}» ({'; '.join(notes)}); "
                         "oppgi regelverket med --regelverk")
    return path


def local_shadow(name_or_path: str | Path) -> Path | None:
    """A file or folder in the working folder with the bare name given (which means the shipped policy)."""
    if isinstance(name_or_path, str) and POLICY_NAME.fullmatch(name_or_path):
        try:
            return Path(name_or_path) if Path(name_or_path).exists() else None
        except OSError:
            return None
    return None


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
        return data.decode("utf-8-sig")  # a byte order mark (some Windows editors write one) is dropped
    except FileNotFoundError:
        notes = _unknown_policy_notes(path.stem, [shipped_policies_dir()])
        raise PolicyError((Diagnostic("N006", Severity.ERROR, "finner ikke regelverket", str(path), None, notes),), {}) from None
    except UnicodeDecodeError as e:
        line, column, message = utf8_position(data, e)
        raise PolicyError((Diagnostic("S006", Severity.ERROR, message, str(path), Span(line, column, line, column + 1),
                                      ("lagre filen som UTF-8",)),),
                          {str(path): data.decode("utf-8", "replace")}) from None
    except (OSError, ValueError) as e:
        reason = file_reason(e) if isinstance(e, OSError) else "ugyldig filnavn"
        shown = str(path) if len(str(path)) <= 100 and "\n" not in str(path) else str(path)[:60].split("\n")[0] + " …"
        notes = ("er dette teksten til et regelverk? bruk load_policy_text(tekst, name=…)",) \
            if "regelverk" in str(path) or "\n" in str(path) else ()
        raise PolicyError((Diagnostic("N006", Severity.ERROR, f"kan ikke lese filen ({reason})", shown, None, notes),),
                          {}) from None


Resolver = Callable[[str], "str | None"]  # policy id → its text, or None if unknown


def load_chain_text(text: str, name: str = "<tekst>", resolver: Resolver | None = None) -> list[ast.PolicyFile]:
    """Parse policy `text` (diagnostics name it `name`) and every policy it builds on, root first.

    `resolver(id)` gives the text of the policy `bygger på` names, or None; by default the
    shipped policies. A base named `id` is reported as the file «id.pol».
    """
    if not isinstance(text, str):
        raise UsageError(f"regelverksteksten må være en tekst (str), ikke {type(text).__name__}")
    resolve = resolver if resolver is not None else _shipped_text
    chain = [_parse(name, text.removeprefix("\ufeff"))]
    seen = {chain[0].header.id}
    while chain[0].header.base is not None:
        child = chain[0]
        base = child.header.base
        if base in seen:
            names = " → ".join([*(f.header.id for f in reversed(chain)), base])
            raise PolicyError((Diagnostic("N006", Severity.ERROR, f"regelverkene bygger på hverandre i ring: {names}",
                                          child.path, child.header.base_span),), {f.path: f.source for f in chain})
        found = resolve(base)
        if found is None:
            raise PolicyError((Diagnostic(
                "N006", Severity.ERROR, f"finner ikke regelverket «{base}» som dette bygger på",
                child.path, child.header.base_span),), {f.path: f.source for f in chain})
        seen.add(base)
        chain.insert(0, _parse(f"{base}.pol", found.removeprefix("\ufeff")))
    return chain


# Shipped bases that are not kommuner (the national rules in another målform): found by `bygger på`,
# but not listed among the shipped policies.
BASE_FOLDERS = ("nynorsk",)


def shipped_base(policy_id: str) -> Path | None:
    """The shipped policy or base (see `BASE_FOLDERS`) called `policy_id`, if there is one."""
    for folder in (shipped_policies_dir(), *(shipped_policies_dir() / f for f in BASE_FOLDERS)):
        path = folder / f"{policy_id}.pol"
        if path.is_file():
            return path
    return None


def _shipped_text(policy_id: str) -> str | None:
    path = shipped_base(policy_id)
    return read_text(path) if path is not None else None


def load_chain(path: str | Path) -> list[ast.PolicyFile]:
    """Parse `path` and every policy it builds on; the root baseline comes first."""
    chain: list[ast.PolicyFile] = []
    current = resolve_policy_path(path)
    seen: set[Path] = set()
    while True:
        resolved = current.resolve()
        if resolved in seen:
            names = " → ".join(f.header.id for f in reversed(chain))
            raise PolicyError((Diagnostic("N006", Severity.ERROR, f"regelverkene bygger på hverandre i ring: {names}",
                                          chain[0].path, chain[0].header.base_span),), {f.path: f.source for f in chain})
        seen.add(resolved)
        policy = _parse(str(current), read_text(current))
        chain.insert(0, policy)
        if policy.header.base is None:
            return chain
        base = _find_base(current, policy.header.base)
        if base is None:
            raise PolicyError((Diagnostic(
                "N006", Severity.ERROR, f"finner ikke regelverket «{policy.header.base}» som dette bygger på",
                policy.path, policy.header.base_span,
                _unknown_policy_notes(policy.header.base, [current.parent, shipped_policies_dir()])),),
                {f.path: f.source for f in chain})
        current = base


@functools.lru_cache(maxsize=64)
def _parse(path: str, text: str) -> ast.PolicyFile:
    """Parse once per process: a baseline shared by several policies is read once (trees are immutable)."""
    return cached_parse(text, path)


def _unknown_policy_notes(name: str, folders: list[Path]) -> tuple[str, ...]:
    """«mente du …?» for a policy that is not found, else the policies in `folders`."""
    known = sorted({p.stem for folder in folders for p in folder.glob("*.pol")})
    guess = suggest(name, known)
    return (f"mente du «{guess}»?",) if guess else (f"kjente regelverk: {', '.join(known)}",)


def base_source(child: str, base_id: str) -> tuple[str, str] | None:
    """(name, text) of the policy `base_id` that the file `child` builds on, as `load_chain` reads it."""
    path = _find_base(Path(child), base_id)
    return None if path is None else (str(path), read_text(path))


def text_base_source(resolver: Resolver | None) -> Callable[[str, str], tuple[str, str] | None]:
    """`base_source` for a chain read by `load_chain_text` with `resolver` (default: the shipped policies)."""
    resolve = resolver if resolver is not None else _shipped_text

    def source(child: str, base_id: str) -> tuple[str, str] | None:
        text = resolve(base_id)
        return None if text is None else (f"{base_id}.pol", text.removeprefix("\ufeff"))
    return source


def _find_base(child: Path, name: str) -> Path | None:
    candidate = child.parent / f"{name}.pol"
    return candidate if candidate.exists() else shipped_base(name)
