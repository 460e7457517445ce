"""How soon the calculator answers after a kommune page loads, in Debian's Chromium.

    python benchmarks/kalkulator.py              # 5 cold page loads of Drammen's page
    python benchmarks/kalkulator.py --ganger 10 --kommune skien

Builds the site (mkdocs.yml) to a temporary folder, serves it on 127.0.0.1 and opens the page N
times, each in a new browser profile (a first visit: nothing cached). Reports, as medians and
extremes in ms from navigation start: the page's load event, the calculator ready (Pyodide
started, the library imported, the policy checked from its pre-parsed trees and run once), its
parts measured inside the worker, and the time from «Regn ut» to the answer shown. Needs the
test extra (Playwright) and Chromium. Record new figures, with the machine, in docs/ytelse.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ganger", type=int, default=5)
    parser.add_argument("--kommune", default="drammen")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(ROOT / "mkdocs.yml"), "-d", str(site)],
                       check=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                   "--directory", str(site)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/regler/{args.kommune}/"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(url, timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            rows = []
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
                for _ in range(args.ganger):
                    context = browser.new_context()
                    page = context.new_page()
                    page.goto(url)
                    page.wait_for_function("window.boligreglerKalkulator && window.boligreglerKalkulator.ready",
                                           timeout=120_000)
                    ready = page.evaluate("performance.now()")
                    loaded = page.evaluate("performance.timing.loadEventEnd - performance.timing.navigationStart")
                    worker = page.evaluate("window.boligreglerKalkulator.timings")
                    page.fill('[name="bolig.boutgifter_per_måned"]', "4000")
                    start = page.evaluate("performance.now()")
                    page.get_by_role("button", name="Regn ut").click()
                    page.wait_for_function("window.boligreglerKalkulator.answers > 0")
                    answer = page.evaluate("performance.now()") - start
                    rows.append({"last": loaded, "klar": ready, "klar etter last": ready - loaded,
                                 "pyodide": worker["pyodide"] - worker["start"],
                                 "import": worker["import"] - worker["pyodide"],
                                 "regelverk": worker["policy"] - worker["import"], "svar": answer})
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"Kalkulatoren på {args.kommune}s side, {args.ganger} første besøk; {platform.node()}, "
          f"{os.cpu_count()} kjerner, belastning {os.getloadavg()[0]:.1f}")
    print(f"{'ms':<18}{'median':>8}{'min':>8}{'maks':>8}")
    for key in rows[0]:
        values = [r[key] for r in rows]
        print(f"{key:<18}{statistics.median(values):>8.0f}{min(values):>8.0f}{max(values):>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
