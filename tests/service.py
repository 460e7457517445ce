"""Real parts for the service tests: `boligregler serve` as a subprocess, and a PostgreSQL server.

PostgreSQL: `$BOLIGREGLER_TEST_POSTGRES` (a URL, as `.ci/run` exports it, or your own server);
otherwise a throwaway cluster is started with the installed `initdb`/`pg_ctl` (Debian's
`postgresql` package; as root it runs as the `postgres` user). Without either the tests skip,
except under CI, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from boligregler.model.loader import shipped_policies_dir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`boligregler serve` in a child process on a free localhost port."""

    def __init__(self, *args: str, env: dict | None = None, log_path: Path | None = None, wait: bool = True) -> None:
        """Start the server; with `wait=False` call `wait()` before using it (several can start at once)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="boligregler-serve-", suffix=".log")[1])
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "boligregler", "serve", "--port", str(self.port), *args],
            stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        if wait:
            self.wait()

    def wait(self) -> "Server":
        """Until the server answers /helse."""
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/helse", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"serve did not start:\n{self.output()}")
            time.sleep(0.1)
        return self

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


@pytest.fixture(scope="session")
def postgres_url():
    url = os.environ.get("BOLIGREGLER_TEST_POSTGRES")
    if url:
        yield url
        return
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (CI installs it: apt-get install postgresql)")
        pytest.skip("PostgreSQL is not installed; set BOLIGREGLER_TEST_POSTGRES or apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="boligregler-pg-"))
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if run_as:
        shutil.chown(root, "postgres")
    data, port = root / "data", free_port()
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=on", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def new_database(postgres_url: str, template: str | None = None):
    """A database of its own on the server (a copy of `template`, a database URL, if given); dropped after."""
    import psycopg

    name = f"t{os.getpid()}_{time.monotonic_ns()}"
    with psycopg.connect(postgres_url, autocommit=True) as db:
        if template is None:
            db.execute(f"CREATE DATABASE {name}")
        else:
            source = template.rsplit("/", 1)[1]
            # a template may have no other session; a closed client's backend can take a moment to go
            db.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{source}'")
            db.execute(f"CREATE DATABASE {name} TEMPLATE {source}")
    base = postgres_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as db:
            db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def fresh_postgres(postgres_url):
    """A database of its own for one test."""
    with new_database(postgres_url) as url:
        yield url


def policies_folder(tmp: Path, names=("nasjonal", "drammen")) -> Path:
    """A folder with copies of shipped policies, for a server to serve (fewer policies start faster)."""
    folder = tmp / "regelverk"
    folder.mkdir()
    for name in names:
        shutil.copy(shipped_policies_dir() / f"{name}.pol", folder / f"{name}.pol")
    return folder
