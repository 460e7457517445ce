"""A per-user cache of parsed policy files, so a fresh process need not parse (or import Lark).

Entries are JSON, never pickle, so a planted file cannot run code, and they are only read from
and written to a folder this user owns and others cannot write to. The key is the sha256 of the
file's path and text and of everything the tree depends on: the grammar, the syntax package's
source and the cache format. Any problem with an entry means parsing the file again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import attrs

from boligregler.diagnostics import Span
from boligregler.syntax import ast
from boligregler.syntax.grammar import grammar_path

CACHE_FORMAT = "1"  # bump when the layout of an entry changes
NODES = {name: cls for name, cls in vars(ast).items() if isinstance(cls, type) and attrs.has(cls)} | {"Span": Span}


def user_cache_dir() -> Path | None:
    """`$BOLIGREGLER_CACHE_DIR` (empty: no cache), else the platform's per-user cache folder."""
    override = os.environ.get("BOLIGREGLER_CACHE_DIR")
    if override is not None:
        return Path(override) if override else None
    base = os.environ.get("XDG_CACHE_HOME") or (os.environ.get("LOCALAPPDATA") if os.name == "nt" else None)
    if base:
        return Path(base) / "boligregler"
    try:
        return Path.home() / ".cache" / "boligregler"
    except RuntimeError:  # no home directory
        return None


def private_dir(folder: Path) -> bool:
    """Create `folder` for this user only; False if it cannot be, or others may write to it."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
    except OSError:
        return False
    if hasattr(os, "getuid"):
        return st.st_uid == os.getuid() and not st.st_mode & 0o022
    return True


@cache
def _syntax_fingerprint() -> str:
    """sha256 over the grammar and the code that builds syntax trees from it."""
    h = hashlib.sha256(CACHE_FORMAT.encode())
    here = Path(__file__).parent
    for source in (grammar_path(), here / "ast.py", here / "parser.py", here / "template.py"):
        h.update(source.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def encode(value: Any) -> Any:
    """A syntax tree as plain JSON values (nodes, spans, Decimals, dates, tuples and dicts tagged)."""
    if attrs.has(type(value)):
        return {"@": type(value).__name__, **{f.name: encode(getattr(value, f.name)) for f in attrs.fields(type(value))}}
    if value is ast.MISSING:
        return {"$missing": 1}
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, dt.date):
        return {"$t": value.isoformat()}
    if isinstance(value, tuple):
        return {"$p": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"$m": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    return value


def _decode(obj: dict) -> Any:
    """Undo `encode` for one JSON object (`json.loads` calls it innermost first)."""
    if "@" in obj:
        cls = NODES[obj.pop("@")]
        return cls(**obj)
    if "$d" in obj:
        return Decimal(obj["$d"])
    if "$t" in obj:
        return dt.date.fromisoformat(obj["$t"])
    if "$p" in obj:
        return tuple(obj["$p"])
    if "$m" in obj:
        return {tuple(k) if isinstance(k, list) else k: v for k, v in obj["$m"]}
    if "$missing" in obj:
        return ast.MISSING
    return obj


def decode(text: str) -> Any:
    return json.loads(text, object_hook=_decode)


def cached_parse(text: str, path: str) -> ast.PolicyFile:
    """`parse_policy(text, path)`, from the cache when an entry for exactly this input exists."""
    folder = user_cache_dir()
    entry = None
    if folder is not None and private_dir(folder):
        key = hashlib.sha256("\0".join((_syntax_fingerprint(), path, text)).encode()).hexdigest()
        entry = folder / f"tre-{key[:40]}.json"
        try:
            stored = decode(entry.read_text(encoding="utf-8"))
            if isinstance(stored, dict) and stored.get("key") == key and isinstance(stored.get("file"), ast.PolicyFile):
                return stored["file"]
        except Exception:  # noqa: BLE001 - a missing, damaged or foreign entry is parsed again and replaced
            pass
    from boligregler.syntax.parser import parse_policy
    parsed = parse_policy(text, path)
    if entry is not None:
        store(entry, {"key": key, "file": encode(parsed)})
    return parsed


def store(entry: Path, content: dict) -> None:
    """Write an entry (plain JSON values) atomically; an entry that cannot be written is skipped."""
    tmp = None
    try:
        data = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=entry.parent, prefix=f".{entry.stem}-",
                                         suffix=".tmp", delete=False) as f:
            tmp = f.name
            f.write(data)
        os.replace(tmp, entry)
    except (OSError, TypeError, ValueError):
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
