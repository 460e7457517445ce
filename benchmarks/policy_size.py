"""Measure `boligregler sjekk` on large and hostile policy files: linear in the size, bounded by the limits.

    python benchmarks/policy_size.py            # median of 3 fresh processes per case
    python benchmarks/policy_size.py --raskt    # 1 run

Cases: the shipped nasjonal.pol (68 000 characters); the security campaign's 0.7 MB policy with a
100 000-term line (refused at once, S012); the same terms one per line (also 0.7 MB, refused at the
file limit); and the worst files the limits let through, 100 000 to 500 000 characters of one-term
lines of a sum (parsed, then refused by S009): the time per character should stay flat. Standard
library only; the machine is shared, so figures are noisy; record them with the load (`uptime`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = ('regelverk stor bygger på nasjonal { navn: "x" kommune: "x" vedtatt: 2024-01-01 kilde: "k" '
          'klageinstans: "k" }\n')


def sum_lines(chars: int) -> str:
    """A policy of about `chars` characters: one `beregn` whose sum has one term per line."""
    terms = (chars - len(HEADER) - 20) // 7
    return HEADER + "beregn x: kr = 1 kr\n" + "+ 1 kr\n" * terms


def fresh(path: Path, runs: int) -> tuple[float, str]:
    """Median wall time in s of `boligregler sjekk PATH` in a fresh process, and the first code reported."""
    times, first = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "boligregler", "sjekk", "--format", "json", str(path)],
                              capture_output=True, text=True, env={**os.environ, "BOLIGREGLER_CACHE_DIR": "", "PYTHONPATH": str(ROOT / "src")})
        times.append(time.perf_counter() - start)
        first = done.stdout.split('"code": "', 1)[1][:4] if '"code": "' in done.stdout else "ingen"
    return statistics.median(times), first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raskt", action="store_true")
    runs = 1 if parser.parse_args().raskt else 3
    cases = {
        "nasjonal.pol": (ROOT / "policies" / "nasjonal.pol").read_text(encoding="utf-8"),
        "0.7 MB, 100 000 ledd på én linje": HEADER + "beregn x: kr = " + " + ".join(["1 kr"] * 100_000) + "\n",
        "0.7 MB, ett ledd per linje": sum_lines(700_000),
        **{f"{n // 1000} 000 tegn, ett ledd per linje": sum_lines(n) for n in (100_000, 250_000, 490_000)},
    }
    print(f"boligregler sjekk in a fresh process (median of {runs}); load: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in cases.items():
            path = Path(tmp) / "stor.pol"
            path.write_text(text, encoding="utf-8")
            seconds, code = fresh(path, runs)
            print(f"  {name:<36} {len(text):>9} tegn {seconds:7.2f} s  {seconds / len(text) * 1e6:6.2f} µs/tegn  {code}")


if __name__ == "__main__":
    main()
