"""The policies a service serves: loaded from a folder, checked, and swapped in atomically on change.

Every `.pol` file in the folder is loaded with what it builds on (the same folder first, then
the shipped policies) and checked as `boligregler sjekk` checks it, legality lint included. A
policy with any error is not served. When a file changes, the folder is loaded again beside the
policies being served, and the new set replaces the old in one assignment: a request holds the
`Policy` it started with, and never sees a half-loaded one. A policy that now fails keeps its
previous version in service, and the reason is reported (in `/klar` and the server log).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import attrs

from boligregler.api import Policy, load_policy
from boligregler.diagnostics import PolicyError, Severity
from boligregler.model.loader import shipped_policies_dir

log = logging.getLogger("boligregler.server")


@attrs.frozen
class Failure:
    """A policy file that is not served (or whose previous version still is), and why."""

    fil: str  # the file name, never the folder
    regelverk: str | None  # the policy id, if the header could be read
    feil: tuple[str, ...]  # the diagnostics, as `CODE linje:kolonne: melding`
    beholdt: bool  # an earlier version of the policy is still served

    def to_dict(self) -> dict:
        return {"fil": self.fil, "regelverk": self.regelverk, "feil": list(self.feil),
                "tidligere_versjon_brukes": self.beholdt}


def _describe(error: PolicyError) -> tuple[str, ...]:
    out = []
    for d in error.diagnostics:
        if d.severity is not Severity.ERROR:
            continue
        where = f"{Path(d.file).name}:{d.span.line}:{d.span.column}" if d.span else Path(d.file).name
        out.append(f"{d.code} {where}: {d.message}")
    return tuple(out)


def load_checked(path: Path) -> Policy:
    """Load a policy as the service serves it: checked, legality included (never `tillat_ulovlig`)."""
    return load_policy(path)


class Registry:
    """The policies in `folder` (default: the shipped ones), reloaded when a file changes."""

    def __init__(self, folder: str | Path | None = None, interval: float = 1.0) -> None:
        self.folder = Path(folder) if folder is not None else shipped_policies_dir()
        self.interval = interval
        self.policies: dict[str, Policy] = {}
        self.failures: tuple[Failure, ...] = ()
        self.generation = 0
        self._signature: tuple = ()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def get(self, policy_id: str) -> Policy | None:
        return self.policies.get(policy_id)

    def _scan(self) -> tuple:
        """Names, sizes and modification times of the folder's policies (and of the shipped bases)."""
        out = []
        for folder in {self.folder, shipped_policies_dir()}:
            try:
                for p in sorted(folder.glob("*.pol")):
                    try:
                        st = p.stat()
                    except OSError:
                        continue
                    out.append((str(p), st.st_size, st.st_mtime_ns))
            except OSError:
                continue
        return tuple(sorted(out))

    def reload(self) -> bool:
        """Load the folder again if anything changed; swap in the result. True if it changed."""
        with self._lock:
            signature = self._scan()
            if signature == self._signature:
                return False
            new: dict[str, Policy] = {}
            failures: list[Failure] = []
            for path in sorted(self.folder.glob("*.pol")):
                try:
                    policy = load_checked(path)
                except PolicyError as e:
                    pid = path.stem
                    kept = pid in self.policies
                    if kept:
                        new[pid] = self.policies[pid]
                    failures.append(Failure(path.name, pid, _describe(e), kept))
                    continue
                if policy.id in new:
                    failures.append(Failure(path.name, policy.id, (f"regelverket «{policy.id}» finnes i to filer",),
                                            True))
                    continue
                old = self.policies.get(policy.id)
                new[policy.id] = old if old is not None and old.sha256 == policy.sha256 else policy
            changed = {k for k in new.keys() | self.policies.keys()
                       if new.get(k) is not self.policies.get(k)}
            self.policies = new  # the atomic swap: one assignment of a complete dict
            self.failures = tuple(failures)
            self._signature = signature
            self.generation += 1
        for pid in sorted(changed):
            if pid in new:
                log.info("regelverk lastet: id=%s sha256=%s", pid, new[pid].sha256[:16])
            else:
                log.info("regelverk fjernet: id=%s", pid)
        for f in failures:
            log.warning("regelverk ikke lastet: fil=%s (%s)%s", f.fil, "; ".join(f.feil[:3]),
                        " – forrige versjon brukes fortsatt" if f.beholdt else "")
        return True

    def start(self) -> None:
        """Load now and watch the folder in a background thread."""
        self.reload()
        if self.interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="boligregler-regelverk", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.reload()
            except Exception:  # a watcher that dies would silently stop reloading
                log.exception("feil under innlasting av regelverk")

    def stop(self) -> None:
        self._stop.set()
