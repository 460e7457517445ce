"""A per-user cache of parsed policy files, so a fresh process need not parse (or import Lark).

Entries are JSON, never pickle, and they are only read from and written to a folder this user
owns and others cannot write to; an entry that is a symbolic link, not a regular file, not owned
by this user or writable by others is never read. A tree read from an entry is checked as
strictly as the parser's own output: every node of a known class with fields of the declared
types, operators and kinds from closed sets, names as the grammar writes them. (The compiler
never pastes a string from the tree into generated source either.) The key is the sha256 of the
file's path and text and of everything the tree depends on: the grammar, the syntax package's
source and the cache format. Any problem with an entry means parsing the file again.

Every kind of entry in the folder is bounded: a hit marks an entry as used (`touch`), and each
new entry prunes the least recently used of its kind beyond `KEEP` (`prune`), so editing a
policy for months, a hot-reloading service or a test suite never fills the disk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import stat
import tempfile
import types
import typing
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import attrs

from boligregler.diagnostics import Span
from boligregler.syntax import ast
from boligregler.syntax.grammar import grammar_path

CACHE_FORMAT = "2"  # bump when the layout of an entry changes
# How many entries of each kind (by file name prefix) the cache folder keeps, the most recently used.
KEEP = {"tre-": 2000, "regelverk-": 200, "parser-": 8, "nettleser-": 8, "minnebilde-": 4}
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


# What the parser can produce, beyond the field types ast.py declares.
_NAME = re.compile(r"[^\W\d]\w*")
_CLOSED = {
    ("Binary", "op"): {"+", "-", "*", "/"},
    ("Compare", "op"): {"=", "!=", "<", "<=", ">", ">="},
    ("Logical", "op"): {"og", "eller"},
    ("Unary", "op"): {"-", "ikke"},
    ("Aggregate", "kind"): {"sum", "antall", "finnes", "alle"},
}
_NAMES = {("Name", "name"), ("Attribute", "name"), ("Call", "function"), ("Aggregate", "var"), ("Parameter", "name"),
          ("Table", "name"), ("Table", "key_names"), ("Compute", "name"), ("Criterion", "name"), ("Scheme", "name"),
          ("TypeDef", "name"), ("SchemaField", "name"), ("Header", "id"), ("Header", "base"), ("Removal", "name"),
          ("SetType", "of"), ("NamedType", "name"), ("Example", "name"), ("DecisionEntry", "key")}


class InvalidTree(ValueError):
    """A cached tree the parser could not have produced."""


@cache
def _field_types(cls: type) -> tuple[tuple[str, Any], ...]:
    hints = typing.get_type_hints(cls, {**vars(ast), "Span": Span, "dt": dt, "Decimal": Decimal})
    return tuple((f.name, hints[f.name]) for f in attrs.fields(cls))


def _conforms(value: Any, hint: Any) -> bool:
    """Whether `value` has the declared type (nodes inside are checked on their own by `check_tree`)."""
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, h) for h in typing.get_args(hint))
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_conforms(v, args[0]) for v in value)
        return len(args) == len(value) and all(_conforms(v, h) for v, h in zip(value, args))
    if origin is not None:
        return isinstance(value, origin)
    if hint is type(None):
        return value is None
    if hint in (str, bool, int, dt.date):
        return type(value) is hint
    if hint is Decimal:
        return type(value) is Decimal and value.is_finite()
    return isinstance(value, hint)


def _names(field: Any) -> bool:
    """A name as the grammar writes it, or a non-empty tuple of them (`etter voksne, barn`)."""
    names = field if isinstance(field, tuple) else (field,)
    return bool(names) and all(isinstance(n, str) and _NAME.fullmatch(n) for n in names)


def check_tree(tree: Any) -> None:
    """Raise `InvalidTree` unless every node in `tree` is one the parser could have built."""
    stack = [tree]
    while stack:
        value = stack.pop()
        if isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif attrs.has(type(value)):
            cls = type(value)
            if NODES.get(cls.__name__) is not cls:
                raise InvalidTree(cls.__name__)
            for name, hint in _field_types(cls):
                field = getattr(value, name)
                if not _conforms(field, hint):
                    raise InvalidTree(f"{cls.__name__}.{name}")
                allowed = _CLOSED.get((cls.__name__, name))
                if allowed is not None and field not in allowed:
                    raise InvalidTree(f"{cls.__name__}.{name}")
                if (cls.__name__, name) in _NAMES and field is not None and not _names(field):
                    raise InvalidTree(f"{cls.__name__}.{name}")
                stack.append(field)
        elif value is not None and value is not ast.MISSING and type(value) not in (str, bool, int, Decimal, dt.date):
            raise InvalidTree(type(value).__name__)
        elif type(value) is Decimal and not value.is_finite():
            raise InvalidTree("Decimal")


def touch(entry: Path) -> None:
    """Mark a cache entry as just used, so `prune` keeps it."""
    try:
        os.utime(entry)
    except OSError:
        pass


PRUNE_EVERY = 64  # a process looks at the folder on its first new entry of a kind, then every 64th
_new_entries: dict[str, int] = {}


def prune(folder: Path, prefix: str) -> None:
    """Delete the least recently used entries named `prefix`… in `folder` beyond `KEEP[prefix]`.

    Called after each new entry; it reads the folder only every `PRUNE_EVERY`-th time in a process
    (a folder of 2 000 entries takes milliseconds to list), so the bound holds within that margin."""
    count = _new_entries[prefix] = _new_entries.get(prefix, 0) + 1
    if PRUNE_EVERY > 1 and count % PRUNE_EVERY != 1:
        return
    try:
        with os.scandir(folder) as it:
            entries = [e for e in it if e.name.startswith(prefix) and e.is_file(follow_symlinks=False)]
        if len(entries) <= KEEP[prefix]:
            return
        used = sorted(((e.stat(follow_symlinks=False).st_mtime, e.path) for e in entries), reverse=True)
    except OSError:
        return
    for _, path in used[KEEP[prefix]:]:
        try:
            os.unlink(path)
        except OSError:  # already gone (another process pruned it) or not ours to delete
            pass


def read_private(entry: Path) -> str:
    """The text of `entry` if it is a regular file (not a symbolic link) owned by this user and writable by
    no one else; raises OSError otherwise."""
    return read_private_bytes(entry).decode("utf-8")


def read_private_bytes(entry: Path) -> bytes:
    """The bytes of `entry` on the terms of `read_private`."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(entry, flags)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o022 or (
                hasattr(os, "getuid") and st.st_uid != os.getuid()):
            raise PermissionError(f"{entry}: ikke en privat cachefil")
        if entry.is_symlink():  # platforms without O_NOFOLLOW
            raise PermissionError(f"{entry}: symbolsk lenke")
        return f.read()


def cached_parse(text: str, path: str) -> ast.PolicyFile:
    """`parse_policy(text, path)`, from the cache when an entry for exactly this input exists."""
    folder = user_cache_dir()
    entry = None
    if folder is not None and private_dir(folder):
        key = hashlib.sha256("\0".join((_syntax_fingerprint(), path, text)).encode()).hexdigest()
        entry = folder / f"tre-{key[:40]}.json"
        try:
            stored = decode(read_private(entry))
            if (isinstance(stored, dict) and stored.get("key") == key and isinstance(stored.get("file"), ast.PolicyFile)
                    and stored["file"].path == path and stored["file"].source == text):
                check_tree(stored["file"])
                touch(entry)
                return stored["file"]
        except Exception:  # noqa: BLE001 - a missing, damaged or foreign entry is parsed again and replaced
            pass
    from boligregler.syntax.parser import parse_policy
    parsed = parse_policy(text, path)
    if entry is not None:
        store(entry, {"key": key, "file": encode(parsed)})
        prune(folder, "tre-")
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
