"""How soon the calculator answers after a kommune page loads, in Debian's Chromium.

    python benchmarks/kalkulator.py              # 5 cold page loads of Drammen's page
    python benchmarks/kalkulator.py --ganger 10 --kommune skien
    python benchmarks/kalkulator.py --uten-minnebilde   # the cold start, for comparison

Builds the site (mkdocs.yml) to a temporary folder, serves it on 127.0.0.1 and opens the page N
times, each in a new browser profile (a first visit: nothing cached). Reports, as medians and
extremes in ms from navigation start: the page's load event, the calculator ready (Pyodide
restored from the site's memory snapshot, which has the library imported and the policies loaded),
its parts measured inside the worker (of Pyodide's part: the snapshot downloaded and unpacked), the
time from «Regn ut» to the answer shown, and the CPU time Chromium used from the visit's start until
the calculator was ready (all its processes together; the machine's load hardly changes it). Needs
the test extra (Playwright) and Chromium. Record new figures, with the machine, in docs/ytelse.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def browser_cpu() -> dict[int, int]:
    """CPU time (user + system, clock ticks) used so far by each of this run's Chromium processes (the
    descendants of this process whose name starts with «chrom»). Unlike the wall-clock figures it
    hardly depends on what else the machine runs, so it shows what the calculator costs an idle machine."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            name_end = text.rindex(")")
            fields = [text[text.index("(") + 1:name_end], *text[name_end + 2:].split()]
            stats[int(entry.name)] = fields
            children.setdefault(int(fields[2]), []).append(int(entry.name))
    used, todo = {}, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        fields = stats[pid]
        if fields[0].startswith("chrom"):
            used[pid] = int(fields[12]) + int(fields[13])  # utime, stime
    return used


def cpu_ms_since(before: dict[int, int]) -> float:
    """The CPU time Chromium's processes used since `before` (processes that ended meanwhile not counted)."""
    return sum(t - before.get(pid, 0) for pid, t in browser_cpu().items()) * 1000 / TICK
sys.path.insert(0, str(ROOT / "tests"))
from site_server import CHROMIUM_FLAGS, build_site, chromium_path, serving  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ganger", type=int, default=5)
    parser.add_argument("--kommune", default="drammen")
    parser.add_argument("--uten-minnebilde", action="store_true",
                        help="the snapshot answers 404, so Pyodide starts from scratch (the fallback)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        site = Path(tmp) / "site"
        build_site(site)
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        with serving(site) as base:
            for _ in range(args.ganger):
                context = browser.new_context()
                page = context.new_page()
                cpu = browser_cpu()
                if args.uten_minnebilde:
                    page.route("**/boligregler-minne.bin?*", lambda route: route.fulfill(status=404, body=""))
                page.goto(f"{base}/regler/{args.kommune}/")
                page.wait_for_function("window.boligreglerKalkulator && window.boligreglerKalkulator.ready",
                                       timeout=120_000)
                ready = page.evaluate("performance.now()")
                cpu = cpu_ms_since(cpu)
                loaded = page.evaluate("performance.timing.loadEventEnd - performance.timing.navigationStart")
                worker = page.evaluate("window.boligreglerKalkulator.timings")
                if worker.get("restored") == args.uten_minnebilde:
                    raise SystemExit(f"minnebildet ble {'brukt' if worker.get('restored') else 'ikke brukt'}: {worker.get('restoreError')}")
                page.fill('[name="bolig.boutgifter_per_måned"]', "4000")
                start = page.evaluate("performance.now()")
                page.get_by_role("button", name="Regn ut").click()
                page.wait_for_function("window.boligreglerKalkulator.answers > 0")
                answer = page.evaluate("performance.now()") - start
                rows.append({"last": loaded, "klar": ready, "klar etter last": ready - loaded,
                             "pyodide": worker["pyodide"] - worker["start"],
                             "av dette: minnebilde": worker.get("snapshot", worker["start"]) - worker["start"],
                             "import": worker["import"] - worker["pyodide"],
                             "regelverk": worker["policy"] - worker["import"], "svar": answer,
                             "CPU-tid til klar": cpu})
                context.close()
        browser.close()
    how = "uten minnebildet (kald start)" if args.uten_minnebilde else "med minnebildet"
    print(f"Kalkulatoren på {args.kommune}s side, {how}, {args.ganger} første besøk; {platform.node()}, "
          f"{os.cpu_count()} kjerner, belastning {os.getloadavg()[0]:.1f}")
    print(f"{'ms':<22}{'median':>8}{'min':>8}{'maks':>8}")
    for key in rows[0]:
        values = [r[key] for r in rows]
        print(f"{key:<22}{statistics.median(values):>8.0f}{min(values):>8.0f}{max(values):>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
