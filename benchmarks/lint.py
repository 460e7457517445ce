"""Measure the legality check: `boligregler sjekk` as a user runs it, and the check per policy in-process.

    python benchmarks/lint.py            # median of 5 fresh processes per case
    python benchmarks/lint.py --raskt    # 2 repetitions

Reports the wall time of `boligregler sjekk` in a fresh process (import, parse, check, static
lint and the evaluating checks) for each shipped municipal policy, for all of them at once, and
for the whole corpus in tests/fixtures/ulovlig and tests/fixtures/lovlig; then, in one process,
the time of `legality()` per policy of the corpus (first call, no result cache), the slowest
first. Standard library only; record figures in docs/ytelse.md with the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [p for p in sorted((ROOT / "policies").glob("*.pol")) if p.stem != "nasjonal"]
CORPUS = sorted((ROOT / "tests" / "fixtures" / "ulovlig").glob("*.pol")) + sorted(
    (ROOT / "tests" / "fixtures" / "lovlig").glob("*.pol"))


def fresh(args: list[str], runs: int) -> float:
    """Median wall time in ms of `boligregler sjekk ARGS` in a fresh process."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "boligregler", "sjekk", *args], capture_output=True,
                       env={**os.environ, "PYTHONHASHSEED": "0"})
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def in_process() -> list[tuple[float, str]]:
    from boligregler.evaluation.legality import legality
    from boligregler.model.checker import check
    from boligregler.model.loader import load_chain
    out = []
    for path in CORPUS:
        files = load_chain(path)
        model = check(files)
        start = time.perf_counter()
        legality(files, model)
        out.append(((time.perf_counter() - start) * 1000, path.name))
    return sorted(out, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raskt", action="store_true")
    runs = 2 if parser.parse_args().raskt else 5
    print(f"boligregler sjekk in a fresh process (median of {runs}):")
    for p in SHIPPED:
        print(f"  {p.name:<28} {fresh([str(p)], runs):8.0f} ms")
    print(f"  {'all shipped policies':<28} {fresh([str(p) for p in SHIPPED], runs):8.0f} ms")
    print(f"  {f'corpus ({len(CORPUS)} policies)':<28} {fresh([str(p) for p in CORPUS], runs):8.0f} ms")
    timings = in_process()
    total = sum(t for t, _ in timings)
    print(f"legality() in one process: {total:.0f} ms for {len(timings)} policies, "
          f"median {statistics.median(t for t, _ in timings):.0f} ms; slowest:")
    for t, name in timings[:5]:
        print(f"  {name:<36} {t:8.0f} ms")


if __name__ == "__main__":
    main()
