"""A per-user cache of checked, lint-verified policies, so a fresh process need not parse, check or lint.

Loading a policy parses its chain, checks it and runs the legality lint (0.3–1 s of CPU); every
command does that at start-up. `checked` keeps the result (the `CheckedPolicy` and its legality
findings) in the user's cache folder (`syntax.cache.user_cache_dir`: `$BOLIGREGLER_CACHE_DIR`,
else `$XDG_CACHE_HOME/boligregler`, else `~/.cache/boligregler`).

Never stale: an entry's key is the sha256 of the cache format, the package version, the package's
own code (every module and the grammar) and the policy's name and text; the entry names each
policy the chain builds on, where it was found and the sha256 of its text, and it is used only
when every base is still found there with that text. A changed policy or base, a new release or
changed code means checking again.

Safe: an entry is a pickle, so it is read only from a folder this user owns and no one else may
write to (`private_dir`), only from a regular file owned by this user (`read_private_bytes`), only
when its HMAC-SHA256 under a per-user secret key (a file only this user can read, made on first
use) verifies, and only into the classes a checked policy is made of. Any problem with an entry
(missing, damaged, foreign, from other code) means checking again and replacing it; a folder that
is missing and cannot be made, or cannot be written, means no caching.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import os
import pickle
import secrets
import tempfile
from pathlib import Path
from typing import Any, Callable

import attrs

from boligregler import __version__
from boligregler.diagnostics import Diagnostic, Severity
from boligregler.model.policy import CheckedPolicy
from boligregler.syntax import ast
from boligregler.syntax.cache import private_dir, prune, read_private_bytes, touch, user_cache_dir
from boligregler.syntax.grammar import grammar_path

FORMAT = b"boligregler-regelverk-1\n"  # bump when the layout of an entry changes
KEY_FILE = "regelverk-nokkel"
# What a checked policy is made of: the classes of these modules, Decimal and date (nothing callable else).
CLASS_MODULES = frozenset({"boligregler.diagnostics", "boligregler.model.policy", "boligregler.model.types",
                           "boligregler.syntax.ast", "boligregler.evaluation.values"})
CLASSES = frozenset({("decimal", "Decimal"), ("datetime", "date")})

# (name of the file that builds on it, base id) → (name, text) of the base as the loader reads it, or None
FindBase = Callable[[str, str], "tuple[str, str] | None"]
Checked = tuple[list[Diagnostic], CheckedPolicy]


def checked(name: str, text: str, find_base: FindBase, build: Callable[[], tuple[list[ast.PolicyFile], Checked]]) -> Checked:
    """(legality findings, checked policy) of the policy `name` with `text`: from the cache when an entry for
    exactly this chain and this code exists, else `build()` (which parses the chain and checks it), stored
    when the policy has no errors."""
    folder = user_cache_dir()
    if folder is None or not private_dir(folder):
        return build()[1]
    key = hashlib.sha256(_code_fingerprint() + name.encode() + b"\0" + text.encode()).hexdigest()
    entry = folder / f"regelverk-{key[:40]}.pickle"
    secret = _secret(folder)
    if secret is not None:
        try:
            found = _read(entry, secret, key, name, find_base)
            touch(entry)
            return found
        except Exception:  # noqa: BLE001 - a missing, damaged or foreign entry is checked again and replaced
            pass
    files, result = build()
    findings, model = result
    # stored only under the text it was built from (a file edited between the key's read and the build is not)
    if secret is not None and files[-1].source == text and not any(d.severity is Severity.ERROR for d in model.diagnostics):
        _store(entry, secret, key, files, findings, model)
    return result


@functools.cache
def _code_fingerprint() -> bytes:
    """sha256 over the format, the version, every module of the package and the grammar."""
    h = hashlib.sha256(FORMAT + __version__.encode() + b"\0")
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
    h.update(grammar_path().read_bytes())
    return h.digest()


def _secret(folder: Path) -> bytes | None:
    """This user's key for the entries' HMAC, made on first use (readable by this user only); None if it cannot be."""
    path = folder / KEY_FILE
    for _ in range(2):
        try:
            key = read_private_bytes(path)
            return key if len(key) == 32 and not os.stat(path).st_mode & 0o077 else None
        except FileNotFoundError:
            pass
        except OSError:
            return None
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".nokkel-")  # mode 0600
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
            os.link(tmp, path)  # atomic and never over a key another process made meanwhile
        except FileExistsError:
            pass
        except OSError:
            return None
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
    return None


class _Unpickler(pickle.Unpickler):
    """Builds only the classes a checked policy is made of."""

    def find_class(self, module: str, name: str) -> Any:
        if module in CLASS_MODULES or (module, name) in CLASSES:
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} hører ikke hjemme i et sjekket regelverk")


def _read(entry: Path, secret: bytes, key: str, name: str, find_base: FindBase) -> Checked:
    data = read_private_bytes(entry)
    mac, payload = data[len(FORMAT):len(FORMAT) + 32], data[len(FORMAT) + 32:]
    if not data.startswith(FORMAT) or not hmac.compare_digest(mac, hmac.new(secret, payload, "sha256").digest()):
        raise ValueError("entry not made by this user's cache")
    stream = _Unpickler(io.BytesIO(payload))
    stored_key, bases = stream.load()
    if stored_key != key:
        raise ValueError("another policy")
    child = name
    for base_id, base_name, digest in bases:  # every base still found where it was, with the same text
        found = find_base(child, base_id)
        if found is None or found[0] != base_name or hashlib.sha256(found[1].encode()).hexdigest() != digest:
            raise ValueError("a base has changed")
        child = base_name
    model, findings = stream.load()
    typed = stream.load()  # (expression node, type): the model's expr_types are keyed by id(node)
    if not isinstance(model, CheckedPolicy) or not isinstance(findings, list):
        raise ValueError("not a checked policy")
    return findings, attrs.evolve(model, expr_types={id(node): t for node, t in typed})


def _store(entry: Path, secret: bytes, key: str, files: list[ast.PolicyFile], findings: list[Diagnostic],
           model: CheckedPolicy) -> None:
    """Write an entry atomically (mode 0600); an entry that cannot be written or read back is skipped."""
    bases = [(files[k].header.base, files[k - 1].path, hashlib.sha256(files[k - 1].source.encode()).hexdigest())
             for k in range(len(files) - 1, 0, -1)]
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    tmp = None
    try:
        pickler.dump((key, bases))
        pickler.dump((attrs.evolve(model, expr_types={}), findings))
        # the nodes are pickled once, in the model; the pairs refer to them, so their identity survives
        pickled = pickler.memo.copy()
        pickler.dump([(pickled[i][1], t) for i, t in model.expr_types.items() if i in pickled])
        payload = buffer.getvalue()
        stream = _Unpickler(io.BytesIO(payload))  # only what reads back is stored
        for _ in range(3):
            stream.load()
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=f".{entry.stem}-", suffix=".tmp")  # mode 0600
        with os.fdopen(fd, "wb") as f:
            f.write(FORMAT + hmac.new(secret, payload, "sha256").digest() + payload)
        os.replace(tmp, entry)
        tmp = None
        prune(entry.parent, "regelverk-")
    except (OSError, pickle.PicklingError, pickle.UnpicklingError, TypeError, AttributeError, RecursionError):
        pass
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
