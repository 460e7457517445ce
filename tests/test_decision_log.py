"""The hash-chained decision log on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import copy
import json
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest
from service import Server, fresh_postgres, new_database, policies_folder, postgres_url  # noqa: F401 - fixtures

from boligregler import load_policy
from boligregler.cli import main
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


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def filled(request, tmp_path_factory):
    """A log of 20 decisions appended by 4 threads at once, and a way to copy it for a test to tamper with."""
    folder = tmp_path_factory.mktemp("filled")
    if request.param == "sqlite":
        original = str(folder / "logg.sqlite")
        fill(original)
        copies = iter(range(1, 100))

        def copy_log() -> str:
            target = str(folder / f"kopi-{next(copies)}.sqlite")
            shutil.copy(original, target)  # closed, so the WAL is checkpointed into the file
            return target
        yield original, copy_log
        return
    url = request.getfixturevalue("postgres_url")
    with new_database(url) as original:
        fill(original)
        made: list = []

        def copy_log() -> str:
            made.append(new_database(url, template=original))
            return made[-1].__enter__()
        try:
            yield original, copy_log
        finally:
            for m in made:
                m.__exit__(None, None, None)


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


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """`boligregler ARGS` in this process (the command's own code; no interpreter start per call)."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_concurrent_appends_chain_and_verify(filled, capsys):
    database, _ = filled
    log = open_log(database)
    result = verify_log(log)
    entries = list(log.entries())
    log.close()
    assert result.ok and result.entries == 20 and result.head == entries[-1].hash
    assert [e.forrige for e in entries[1:]] == [e.hash for e in entries[:-1]]
    code, out, _ = cli(capsys, "logg", "verifiser", "--database", database, "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["gyldig"] is True and report["antall"] == 20
    code, out, _ = cli(capsys, "logg", "etterprøv", "--database", database)
    assert code == 0 and "20 gir det samme vedtaket, 0 avviker" in out


@pytest.mark.parametrize("tamper, expected", [
    ("UPDATE logg SET vedtak = replace(vedtak, 'innvilget', 'avslag') WHERE lopenummer = 5", "5: innholdet er endret"),
    ("DELETE FROM logg WHERE lopenummer = 7", "8: oppføring 7 mangler"),
    ("swap 3 and 4", "løpenummer 3: peker ikke på oppføringen før"),
    ("DELETE FROM logg WHERE lopenummer > 18", "oppføringer på slutten er fjernet"),
])
def test_a_changed_removed_or_reordered_entry_is_found(filled, tamper, expected, capsys):
    database = filled[1]()
    # a swap goes through a free number: both databases check the primary key row by row
    swap = ("UPDATE logg SET lopenummer = -3 WHERE lopenummer = 3", "UPDATE logg SET lopenummer = 3 WHERE lopenummer = 4",
            "UPDATE logg SET lopenummer = 4 WHERE lopenummer = -3")
    for sql in swap if tamper == "swap 3 and 4" else (tamper,):
        execute(database, sql)
    code, _, err = cli(capsys, "logg", "verifiser", "--database", database)
    assert code == 1 and expected in err, err


def test_vurder_logg_appends_and_the_log_replays(tmp_path, capsys):
    database = str(tmp_path / "logg.sqlite")
    for _ in range(2):
        assert cli(capsys, "vurder", "skien", str(ROOT / "examples" / "familie.json"), "--logg", "--database", database,
                   "--format", "json")[0] == 0
    lines = [json.dumps({**FAMILY_JSON_LINE, "egenkapital": 50000 + i}) for i in range(3)]
    (tmp_path / "s.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli(capsys, "vurder", "drammen", str(tmp_path / "s.jsonl"), "--logg", "--database", database)[0] == 0
    log = open_log(database)
    assert verify_log(log).entries == 5
    log.close()
    assert cli(capsys, "logg", "etterprøv", "--database", database)[0] == 0


FAMILY_JSON_LINE = json.loads(FAMILY_TEXT)


def test_kill_9_during_a_burst_loses_no_acknowledged_decision(database, tmp_path, capsys):
    server = Server("--database", database, "--intervall", "0", "--regelverk", str(policies_folder(tmp_path)))
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
    assert cli(capsys, "logg", "verifiser", "--database", database)[0] == 0


def test_klar_fails_while_postgresql_cannot_be_reached(fresh_postgres, postgres_url, tmp_path):
    import psycopg

    name = fresh_postgres.rsplit("/", 1)[1]
    server = Server("--database", fresh_postgres, "--intervall", "0", "--regelverk", str(policies_folder(tmp_path)))

    def admin(sql: str) -> None:
        with psycopg.connect(postgres_url, autocommit=True) as db:
            db.execute(sql)

    try:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            ready = c.get("/klar")
            assert ready.status_code == 200 and ready.json()["logg"] == {"lager": "PostgreSQL", "tilgjengelig": True}
            # the database goes away under the service: no new connections, the open ones cut
            admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            down = c.get("/klar")
            assert down.status_code == 503 and down.headers["content-type"].startswith("application/problem+json")
            body = down.json()
            assert body["kode"] == "logg_utilgjengelig" and body["klar"] is False
            assert body["logg"]["tilgjengelig"] is False and body["regelverk"]  # the policies are fine
            assert "postgresql://" not in down.text and name not in down.text and "127.0.0.1" not in down.text
            refused = c.post("/v1/regelverk/drammen/vurdering?begrunnelse=nei", json=FAMILY_JSON_LINE)
            assert refused.status_code == 503 and refused.json()["kode"] == "logg_utilgjengelig"
            admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
            assert c.get("/klar").status_code == 200
            assert c.post("/v1/regelverk/drammen/vurdering?begrunnelse=nei", json=FAMILY_JSON_LINE).status_code == 200
    finally:
        server.stop()
    log = open_log(fresh_postgres)
    assert verify_log(log).entries == 1, "the refused decision was not logged, the one after it was"
    log.close()


def test_a_removed_sqlite_log_is_not_ready_and_an_unreachable_database_refuses_to_start(tmp_path, capsys):
    from boligregler.cli import main

    path = tmp_path / "logg.sqlite"
    log = open_log(str(path))
    assert log.check() is None
    for p in tmp_path.glob("logg.sqlite*"):
        p.unlink()  # the open connection would go on writing to the removed file
    reason = log.check()
    log.close()
    assert reason is not None and "logg.sqlite" in reason and str(tmp_path) not in reason
    assert main(["serve", "--port", "1", "--database", "postgresql://hemmelig:passord@127.0.0.1:1/x"]) == 1
    err = capsys.readouterr().err
    assert "PostgreSQL" in err and "passord" not in err and "Traceback" not in err
