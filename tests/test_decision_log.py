"""The hash-chained decision log on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from service import Server, fresh_postgres, postgres_url  # noqa: F401 - fixtures

from boligregler import load_policy
from boligregler.money import load_json
from boligregler.server.log import open_log, verify_log

ROOT = Path(__file__).resolve().parents[1]
FAMILY_TEXT = (ROOT / "examples" / "familie.json").read_text(encoding="utf-8")
FAMILY = load_json(FAMILY_TEXT)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "logg.sqlite")
    return request.getfixturevalue("fresh_postgres")


def decide(policy, i: int):
    soknad = copy.deepcopy(FAMILY)
    soknad["egenkapital"] = 50000 + i
    return soknad, policy.evaluate(soknad, explain=False).to_dict(letter=False)


def fill(database: str, n: int = 20) -> None:
    policy = load_policy("drammen")
    log = open_log(database)
    receipts = []

    def work(start: int) -> None:
        for i in range(start, n, 4):
            soknad, record = decide(policy, i)
            receipts.append(log.append(regelverk=policy.id, regelverk_sha256=policy.sha256, soknad=soknad,
                                       soknad_sha256=record["sporbarhet"]["søknad_sha256"], vedtak=record))
    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    assert sorted(r.lopenummer for r in receipts) == list(range(1, n + 1))


def execute(database: str, sql: str) -> None:
    if database.startswith("postgresql://"):
        import psycopg
        with psycopg.connect(database, autocommit=True) as db:
            db.execute(sql.replace("FROM logg", "FROM boligregler_logg").replace("UPDATE logg", "UPDATE boligregler_logg"))
    else:
        import sqlite3
        db = sqlite3.connect(database)
        db.execute(sql)
        db.commit()
        db.close()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "boligregler", *args], capture_output=True, text=True, timeout=300)


def test_concurrent_appends_chain_and_verify(database):
    fill(database)
    log = open_log(database)
    result = verify_log(log)
    entries = list(log.entries())
    log.close()
    assert result.ok and result.entries == 20 and result.head == entries[-1].hash
    assert [e.forrige for e in entries[1:]] == [e.hash for e in entries[:-1]]
    report = json.loads(cli("logg", "verifiser", "--database", database, "--format", "json").stdout)
    assert report["gyldig"] is True and report["antall"] == 20
    replayed = cli("logg", "etterprøv", "--database", database)
    assert replayed.returncode == 0 and "20 gir det samme vedtaket, 0 avviker" in replayed.stdout


@pytest.mark.parametrize("tamper, expected", [
    ("UPDATE logg SET vedtak = replace(vedtak, 'innvilget', 'avslag') WHERE lopenummer = 5", "5: innholdet er endret"),
    ("DELETE FROM logg WHERE lopenummer = 7", "8: oppføring 7 mangler"),
    ("swap 3 and 4", "løpenummer 3: peker ikke på oppføringen før"),
    ("DELETE FROM logg WHERE lopenummer > 18", "oppføringer på slutten er fjernet"),
])
def test_a_changed_removed_or_reordered_entry_is_found(database, tamper, expected):
    fill(database)
    # a swap goes through a free number: both databases check the primary key row by row
    swap = ("UPDATE logg SET lopenummer = -3 WHERE lopenummer = 3", "UPDATE logg SET lopenummer = 3 WHERE lopenummer = 4",
            "UPDATE logg SET lopenummer = 4 WHERE lopenummer = -3")
    for sql in swap if tamper == "swap 3 and 4" else (tamper,):
        execute(database, sql)
    result = cli("logg", "verifiser", "--database", database)
    assert result.returncode == 1 and expected in result.stderr, result.stderr


def test_vurder_logg_appends_and_the_log_replays(tmp_path):
    database = str(tmp_path / "logg.sqlite")
    for _ in range(2):
        assert cli("vurder", "skien", str(ROOT / "examples" / "familie.json"), "--logg", "--database", database,
                   "--format", "json").returncode == 0
    lines = [json.dumps({**FAMILY_JSON_LINE, "egenkapital": 50000 + i}) for i in range(3)]
    (tmp_path / "s.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli("vurder", "drammen", str(tmp_path / "s.jsonl"), "--logg", "--database", database).returncode == 0
    log = open_log(database)
    assert verify_log(log).entries == 5
    log.close()
    assert cli("logg", "etterprøv", "--database", database).returncode == 0


FAMILY_JSON_LINE = json.loads(FAMILY_TEXT)


def test_kill_9_during_a_burst_loses_no_acknowledged_decision(database, tmp_path):
    server = Server("--database", database, "--intervall", "0")
    acknowledged: list[tuple[int, str, dict]] = []
    stop = threading.Event()

    def burst(worker: int) -> None:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            i = 0
            while not stop.is_set():
                i += 1
                body = {**FAMILY_JSON_LINE, "egenkapital": 1000 * worker + i}
                try:
                    r = c.post("/v1/regelverk/drammen/vurdering?begrunnelse=nei", json=body)
                except httpx.HTTPError:
                    return  # the server is gone: this one was never acknowledged
                if r.status_code == 200:
                    acknowledged.append((int(r.headers["Boligregler-Logg-Lopenummer"]),
                                         r.headers["Boligregler-Logg-Hash"], r.json()))

    workers = [threading.Thread(target=burst, args=(w,)) for w in range(8)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for w in workers:
        w.join()
    server.stop()
    assert len(acknowledged) >= 40
    log = open_log(database)
    entries = {e.lopenummer: e for e in log.entries()}
    result = verify_log(log)
    log.close()
    assert result.ok, result.findings
    for number, digest, record in acknowledged:
        assert entries[number].hash == digest
        assert json.loads(entries[number].vedtak) == record
    assert cli("logg", "verifiser", "--database", database).returncode == 0
