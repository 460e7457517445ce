"""The durable, hash-chained decision log: the audit trail a kommune keeps of every decision.

Each entry holds the time, the policy (id, content sha256), the søknad (as canonical JSON, with
its sha256), the decision record and the hash of the entry before it. An entry's hash is
sha256 over all of that, so `verify` finds an entry that was changed, removed or moved: the
sequence numbers must run 1, 2, 3 … without a gap, each entry must name the hash of the one
before, and the stored head (last number and hash, written in the same transaction as the
entry) must match the last entry.

Two stores behind one interface: SQLite (the embedded default: WAL journal, `synchronous=FULL`,
so a committed entry survives a crash or power loss) and PostgreSQL through psycopg. Appends go
through one writer thread that commits what has queued up in one transaction (group commit);
`append` returns only after its entry is committed, so a decision is acknowledged only once
it is durably logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from boligregler.diagnostics import BoligreglerError

GENESIS = "0" * 64
MAX_BATCH = 256
CONNECT_TIMEOUT = 5  # seconds to reach PostgreSQL before a decision or readiness check gives up


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else ""


class LogError(BoligreglerError):
    """The decision log cannot be opened or written; no decision is acknowledged."""

    code = "logg_utilgjengelig"


@attrs.frozen
class Pending:
    """A decision waiting to be logged. `soknad` and `vedtak` are canonical JSON text."""

    regelverk: str
    regelverk_sha256: str
    soknad_sha256: str
    utfall: str
    soknad: str
    vedtak: str


@attrs.frozen
class Entry(Pending):
    """One logged decision: the decision, its number and time, and its place in the chain."""

    lopenummer: int
    tidspunkt: str
    forrige: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {"løpenummer": self.lopenummer, "tidspunkt": self.tidspunkt, "regelverk": self.regelverk,
                "regelverk_sha256": self.regelverk_sha256, "søknad_sha256": self.soknad_sha256,
                "utfall": self.utfall, "forrige": self.forrige, "hash": self.hash}


COLUMNS = tuple(a.name for a in attrs.fields(Entry))  # the tables' columns, in the order of Entry's fields


@attrs.frozen
class Receipt:
    """What `append` returns once the entry is committed."""

    lopenummer: int
    hash: str
    tidspunkt: str


def canonical(value: Any) -> str:
    """JSON with sorted keys and no spaces: the form that is hashed and stored."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(p: Pending, lopenummer: int, tidspunkt: str, forrige: str) -> str:
    """The chain hash of an entry: sha256 over its fields and the previous entry's hash."""
    fields = [str(lopenummer), tidspunkt, p.regelverk, p.regelverk_sha256, p.soknad_sha256, p.utfall, p.soknad,
              p.vedtak, forrige]
    h = hashlib.sha256(b"boligregler-logg-1")
    for f in fields:
        data = f.encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


class _Waiter:
    __slots__ = ("pending", "done", "receipt", "error")

    def __init__(self, pending: Pending):
        self.pending = pending
        self.done = threading.Event()
        self.receipt: Receipt | None = None
        self.error: BaseException | None = None


class DecisionLog:
    """The interface both stores share; `open_log(url)` picks one."""

    description = ""

    def __init__(self) -> None:
        self._queue: list[_Waiter] = []
        self._cond = threading.Condition()
        self._closed = False
        self._writer: threading.Thread | None = None

    # ---- appending (group commit) ----------------------------------------------------------

    def append(self, *, regelverk: str, regelverk_sha256: str, soknad: Any, soknad_sha256: str,
               vedtak: dict[str, Any], timeout: float = 30.0) -> Receipt:
        """Log one decision and return once it is committed; raises `LogError` if it cannot be."""
        waiter = _Waiter(Pending(regelverk, regelverk_sha256, soknad_sha256, str(vedtak.get("utfall", "")),
                                 canonical(soknad), canonical(vedtak)))
        with self._cond:
            if self._closed:
                raise LogError("beslutningsloggen er lukket")
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="boligregler-logg", daemon=True)
                self._writer.start()
            self._queue.append(waiter)
            self._cond.notify_all()
        if not waiter.done.wait(timeout):
            raise LogError("beslutningsloggen svarte ikke i tide; vedtaket er ikke bekreftet logget")
        if waiter.error is not None:
            raise LogError(f"vedtaket kunne ikke logges ({type(waiter.error).__name__})") from waiter.error
        assert waiter.receipt is not None
        return waiter.receipt

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue and self._closed:
                    return
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                receipts = self._commit([w.pending for w in batch])
            except BaseException as e:  # the whole transaction failed: nothing in it is acknowledged
                for w in batch:
                    w.error = e
                    w.done.set()
                continue
            for w, r in zip(batch, receipts):
                w.receipt = r
                w.done.set()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._writer is not None:
            self._writer.join(timeout=30)
        self._close_store()

    # ---- what each store implements --------------------------------------------------------

    def _commit(self, batch: list[Pending]) -> list[Receipt]:
        raise NotImplementedError

    def _close_store(self) -> None:
        raise NotImplementedError

    def entries(self) -> Iterator[Entry]:
        """Every entry in sequence-number order."""
        raise NotImplementedError

    def head(self) -> tuple[int, str] | None:
        """The stored head: the last sequence number and hash, or None for an empty log."""
        raise NotImplementedError

    def check(self) -> str | None:
        """None if the log can be reached and read now; else why not, in Norwegian, without paths or URLs."""
        raise NotImplementedError

    # ---- shared -------------------------------------------------------------------------------

    @staticmethod
    def _chain(batch: list[Pending], last: int, previous: str) -> list[Entry]:
        """The entries for `batch`, numbered and chained after (`last`, `previous`)."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
        entries = []
        for p in batch:
            last += 1
            entry = Entry(**attrs.asdict(p), lopenummer=last, tidspunkt=now, forrige=previous,
                          hash=entry_hash(p, last, now, previous))
            entries.append(entry)
            previous = entry.hash
        return entries


class SQLiteLog(DecisionLog):
    """The embedded store: one SQLite file, WAL journal, every commit synced to disk."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.description = f"SQLite ({self.path.name})"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = self._connect()
            self._db.executescript("""
                CREATE TABLE IF NOT EXISTS logg (
                    lopenummer INTEGER PRIMARY KEY, tidspunkt TEXT NOT NULL, regelverk TEXT NOT NULL,
                    regelverk_sha256 TEXT NOT NULL, soknad_sha256 TEXT NOT NULL, utfall TEXT NOT NULL,
                    soknad TEXT NOT NULL, vedtak TEXT NOT NULL, forrige TEXT NOT NULL, hash TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS hode (
                    id INTEGER PRIMARY KEY CHECK (id = 1), lopenummer INTEGER NOT NULL, hash TEXT NOT NULL);
            """)
        except (OSError, sqlite3.Error) as e:
            raise LogError(f"kan ikke åpne beslutningsloggen {self.path.name} ({e})") from None
        self._read_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        return db

    def _commit(self, batch: list[Pending]) -> list[Receipt]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT lopenummer, hash FROM hode WHERE id = 1").fetchone()
            last, previous = row if row else (0, GENESIS)
            entries = self._chain(batch, last, previous)
            db.executemany(f"INSERT INTO logg ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                           [attrs.astuple(e) for e in entries])
            db.execute("INSERT INTO hode (id, lopenummer, hash) VALUES (1, ?, ?) "
                       "ON CONFLICT (id) DO UPDATE SET lopenummer = excluded.lopenummer, hash = excluded.hash",
                       (entries[-1].lopenummer, entries[-1].hash))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return [Receipt(e.lopenummer, e.hash, e.tidspunkt) for e in entries]

    def _close_store(self) -> None:
        self._db.close()

    def check(self) -> str | None:
        # A new connection that may not create the file: a log file removed or moved under the service
        # (whose open connection would go on writing to the removed file) is found here.
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=5)
            try:
                db.execute("SELECT count(*) FROM hode").fetchone()
            finally:
                db.close()
        except sqlite3.Error as e:
            return f"beslutningsloggen {self.path.name} kan ikke leses ({type(e).__name__}: {_first_line(e)})"
        return None

    def entries(self) -> Iterator[Entry]:
        db = self._connect()
        try:
            for row in db.execute(f"SELECT {', '.join(COLUMNS)} FROM logg ORDER BY lopenummer"):
                yield Entry(*row)
        finally:
            db.close()

    def head(self) -> tuple[int, str] | None:
        db = self._connect()
        try:
            row = db.execute("SELECT lopenummer, hash FROM hode WHERE id = 1").fetchone()
        finally:
            db.close()
        return tuple(row) if row else None


class PostgresLog(DecisionLog):
    """The production store: PostgreSQL through psycopg; several service processes may share it."""

    def __init__(self, url: str) -> None:
        super().__init__()
        try:
            import psycopg
        except ImportError:
            raise LogError("PostgreSQL krever psycopg: pip install 'boligregler[server]'") from None
        self._psycopg = psycopg
        self.url = url
        self.description = "PostgreSQL"
        try:
            self._db = self._connect()
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(7356021)")  # two processes creating at once
                self._db.execute("""
                    CREATE TABLE IF NOT EXISTS boligregler_logg (
                        lopenummer BIGINT PRIMARY KEY, tidspunkt TEXT NOT NULL, regelverk TEXT NOT NULL,
                        regelverk_sha256 TEXT NOT NULL, soknad_sha256 TEXT NOT NULL, utfall TEXT NOT NULL,
                        soknad TEXT NOT NULL, vedtak TEXT NOT NULL, forrige TEXT NOT NULL, hash TEXT NOT NULL)""")
                self._db.execute("""
                    CREATE TABLE IF NOT EXISTS boligregler_hode (
                        id INTEGER PRIMARY KEY CHECK (id = 1), lopenummer BIGINT NOT NULL, hash TEXT NOT NULL)""")
                self._db.execute("INSERT INTO boligregler_hode (id, lopenummer, hash) VALUES (1, 0, %s) "
                                 "ON CONFLICT (id) DO NOTHING", (GENESIS,))
        except psycopg.Error as e:
            raise LogError(f"kan ikke åpne beslutningsloggen i PostgreSQL ({type(e).__name__})") from None

    def _connect(self):
        return self._psycopg.connect(self.url, autocommit=False, connect_timeout=CONNECT_TIMEOUT)

    def _commit(self, batch: list[Pending]) -> list[Receipt]:
        try:
            return self._commit_once(batch)
        except self._psycopg.OperationalError:
            self._db = self._connect()  # reconnect once; the batch was not committed
            return self._commit_once(batch)

    def _commit_once(self, batch: list[Pending]) -> list[Receipt]:
        with self._db.transaction():
            # The head row's lock orders appends across every process that shares the log.
            last, previous = self._db.execute(
                "SELECT lopenummer, hash FROM boligregler_hode WHERE id = 1 FOR UPDATE").fetchone()
            entries = self._chain(batch, last, previous)
            with self._db.cursor() as cur:
                cur.executemany(f"INSERT INTO boligregler_logg ({', '.join(COLUMNS)}) "
                                f"VALUES ({', '.join(['%s'] * len(COLUMNS))})", [attrs.astuple(e) for e in entries])
            self._db.execute("UPDATE boligregler_hode SET lopenummer = %s, hash = %s WHERE id = 1",
                             (entries[-1].lopenummer, entries[-1].hash))
        return [Receipt(e.lopenummer, e.hash, e.tidspunkt) for e in entries]

    def _close_store(self) -> None:
        self._db.close()

    def check(self) -> str | None:
        try:
            with self._connect() as db:
                db.execute("SELECT lopenummer FROM boligregler_hode WHERE id = 1").fetchone()
        except self._psycopg.Error as e:
            return f"beslutningsloggen i PostgreSQL svarer ikke ({type(e).__name__})"
        return None

    def entries(self) -> Iterator[Entry]:
        with self._psycopg.connect(self.url) as db, db.cursor(name="logg") as cur:
            cur.execute(f"SELECT {', '.join(COLUMNS)} FROM boligregler_logg ORDER BY lopenummer")
            for row in cur:
                yield Entry(*row)

    def head(self) -> tuple[int, str] | None:
        with self._psycopg.connect(self.url) as db:
            row = db.execute("SELECT lopenummer, hash FROM boligregler_hode WHERE id = 1").fetchone()
        return None if row is None or row[0] == 0 else tuple(row)


def default_data_dir() -> Path:
    """`$BOLIGREGLER_DATA`, else `$XDG_DATA_HOME/boligregler` (~/.local/share/boligregler)."""
    if os.environ.get("BOLIGREGLER_DATA"):
        return Path(os.environ["BOLIGREGLER_DATA"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "boligregler"


def open_log(database: str | None = None, data_dir: str | Path | None = None) -> DecisionLog:
    """The log `database` names: `postgresql://…`, `sqlite:///sti.db`, a file path, or None for
    `logg.sqlite` in the data folder."""
    if database and database.startswith(("postgresql://", "postgres://")):
        return PostgresLog(database)
    if database:
        return SQLiteLog(database.removeprefix("sqlite://") if database.startswith("sqlite:///") else database)
    return SQLiteLog(Path(data_dir or default_data_dir()) / "logg.sqlite")


# ---- verification ------------------------------------------------------------------------------


@attrs.frozen
class Finding:
    lopenummer: int | None
    message: str

    def __str__(self) -> str:
        return f"løpenummer {self.lopenummer}: {self.message}" if self.lopenummer is not None else self.message


@attrs.frozen
class Verification:
    entries: int
    head: str
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {"gyldig": self.ok, "antall": self.entries, "siste_hash": self.head,
                "funn": [{"løpenummer": f.lopenummer, "melding": f.message} for f in self.findings]}


def verify_log(log: DecisionLog) -> Verification:
    """Walk the chain: every entry's hash, its link to the one before, gap-free numbering, the head."""
    findings: list[Finding] = []
    expected, previous, count = 1, GENESIS, 0
    for e in log.entries():
        count += 1
        if e.lopenummer != expected:
            if e.lopenummer > expected:
                missing = f"{expected}" if e.lopenummer == expected + 1 else f"{expected}–{e.lopenummer - 1}"
                findings.append(Finding(e.lopenummer, f"oppføring {missing} mangler (fjernet)"))
            else:
                findings.append(Finding(e.lopenummer, "nummeret kommer ut av rekkefølge"))
        if e.forrige != previous:
            findings.append(Finding(e.lopenummer, "peker ikke på oppføringen før (flyttet, fjernet eller satt inn)"))
        if entry_hash(e, e.lopenummer, e.tidspunkt, e.forrige) != e.hash:
            findings.append(Finding(e.lopenummer, "innholdet er endret etter at oppføringen ble skrevet"))
        expected, previous = e.lopenummer + 1, e.hash
    head = log.head()
    if head is None and count:
        findings.append(Finding(None, "loggens hode mangler"))
    elif head is not None and (head[0] != expected - 1 or head[1] != previous):
        findings.append(Finding(None, f"loggens hode er løpenummer {head[0]}, men siste oppføring er "
                                      f"{expected - 1}: oppføringer på slutten er fjernet"))
    return Verification(count, previous, tuple(findings))
