"""The built policy site served on a free local port, for Debian's Chromium: shared by the browser
tests (`test_site_browser.py`) and `benchmarks/kalkulator.py`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
# Playwright launches Debian's Chromium headless itself; these keep it quiet and local.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    """Debian's Chromium (Playwright never downloads a browser here)."""
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


def build_site(out: Path, config: Path = ROOT / "mkdocs.yml") -> None:
    """`boligregler docs build` of `config` into `out` (strict, as CI builds it)."""
    from boligregler.cli import main

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    if main(["docs", "--konfig", str(config), "build", "--mappe", str(out)]) != 0:
        raise RuntimeError(f"the site {config} did not build")


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """`folder` served by `python -m http.server` on 127.0.0.1; yields the base URL (no trailing slash)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
