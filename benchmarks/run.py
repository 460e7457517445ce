"""Measure boligregler's speed: one-decision latency and cold start.

    python benchmarks/run.py                # full run (a minute or two)
    python benchmarks/run.py --raskt        # fewer repetitions, for a quick look

Reports, as a table:

* decision latency (p50/p99 in µs) per shipped policy for the søknad in
  `examples/familie.json`: `Policy.evaluate` (validation + assessment, with the
  criteria's explanations) with and without explanations, `Policy.evaluate_facts`
  on already validated facts, and `evaluate(...).to_dict()`, the whole vedtak record
  including the decision letter;
* cold start in a fresh process (median of N runs): import, then reading and checking
  every shipped policy (obtaining the parser and parsing, unless the syntax trees come
  from the cache), the CPU time of all that, and the whole process's wall time, once
  with a warm per-user cache (parser and syntax trees) and once with no cache (the
  grammar is built and every file parsed), and whether Lark was imported at all.

Standard library only. The targets are those of the project issue:
≤ 100 µs p50 per decision with explanations, ≤ 150 ms to parse and check every
shipped policy in a fresh process. Record new figures in docs/ytelse.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOKNAD = ROOT / "examples" / "familie.json"
DECISION_TARGET_US = 100
COLD_TARGET_MS = 150

# Runs in a fresh interpreter; prints its timings (ns) as JSON.
CHILD = """
import json, sys, time
c0, t0 = time.process_time_ns(), time.perf_counter_ns()
from boligregler.api import check_policy
from boligregler.model.loader import shipped_policies_dir
t1 = time.perf_counter_ns()
paths = sorted(shipped_policies_dir().glob("*.pol"))
errors = sum(1 for p in paths for d in check_policy(p).diagnostics if d.severity.name == "ERROR")
t2, c2 = time.perf_counter_ns(), time.process_time_ns()
print(json.dumps({"import": t1 - t0, "check": t2 - t1, "cpu": c2 - c0, "lark": "lark" in sys.modules,
                  "policies": len(paths), "errors": errors}))
"""


def percentile(sorted_values: list[int], p: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    index = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def time_calls(fn, n: int, warmup: int) -> list[int]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - start)
    samples.sort()
    return samples


def decision_latency(n: int) -> list[tuple[str, str, int, int]]:
    """(policy, what, p50 ns, p99 ns) for every shipped policy."""
    from boligregler.api import load_policy
    from boligregler.model.loader import shipped_policies_dir
    from boligregler.money import load_json

    soknad = load_json(SOKNAD.read_text(encoding="utf-8"))
    rows = []
    for path in sorted(shipped_policies_dir().glob("*.pol")):
        policy = load_policy(path)
        facts = policy.validate(soknad)
        cases = {
            "evaluate, med forklaringer": lambda: policy.evaluate(soknad),
            "evaluate, uten forklaringer": lambda: policy.evaluate(soknad, explain=False),
            "evaluate_facts, med forklaringer": lambda: policy.evaluate_facts(facts),
            "evaluate + to_dict (hele vedtaket)": lambda: policy.evaluate(soknad).to_dict(),
        }
        for what, fn in cases.items():
            samples = time_calls(fn, n, warmup=max(50, n // 10))
            rows.append((path.stem, what, percentile(samples, 50), percentile(samples, 99)))
    return rows


def run_child(cache_dir: str) -> tuple[dict, int]:
    env = {**os.environ, "BOLIGREGLER_CACHE_DIR": cache_dir}
    start = time.perf_counter_ns()
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, check=True, capture_output=True, text=True)
    wall = time.perf_counter_ns() - start
    return json.loads(out.stdout), wall


def cold_start(runs: int) -> dict[str, dict[str, float]]:
    """Median timings (ms) of fresh processes, with a warm cache and with none."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache = str(Path(tmp) / "boligregler")
        run_child(cache)  # writes the cache and the .pyc files
        for label, cache_dir in (("med hurtigbuffer", cache), ("uten hurtigbuffer", "")):
            timings = [run_child(cache_dir) for _ in range(runs)]
            first = timings[0][0]
            results[label] = {
                "import": statistics.median(t["import"] for t, _ in timings) / 1e6,
                "lark": first["lark"],
                "parse+check": statistics.median(t["check"] for t, _ in timings) / 1e6,
                "i prosessen": statistics.median(t["import"] + t["check"] for t, _ in timings) / 1e6,
                "cpu": statistics.median(t["cpu"] for t, _ in timings) / 1e6,
                "hele prosessen": statistics.median(w for _, w in timings) / 1e6,
                "policies": first["policies"],
                "errors": first["errors"],
            }
    return results


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    import lark
    return (f"{cpu}, {os.cpu_count()} kjerner, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, lark {lark.__version__}")


def load_average() -> str:
    """The 1-minute load average: other work on the machine inflates every figure."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "ukjent"


def mark(value: float, target: float) -> str:
    return "✓" if value <= target else "✗"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raskt", action="store_true", help="færre gjentakelser, for en rask titt")
    parser.add_argument("--vedtak", type=int, help="vedtak per måling (standard 3000, med --raskt 300)")
    parser.add_argument("--kaldstart", type=int, help="ferske prosesser per kaldstartmåling (standard 11, med --raskt 3)")
    args = parser.parse_args()
    n = args.vedtak or (300 if args.raskt else 3000)
    runs = args.kaldstart or (3 if args.raskt else 11)

    print(f"Maskin: {machine()}; belastning ved start {load_average()}")
    print(f"Søknad: {SOKNAD.relative_to(ROOT)}; {n} vedtak per måling; {runs} ferske prosesser per kaldstart\n")

    print(f"{'regelverk':<12} {'måling':<34} {'p50 µs':>8} {'p99 µs':>8}")
    for policy, what, p50, p99 in decision_latency(n):
        target = f"  {mark(p50 / 1e3, DECISION_TARGET_US)} mål ≤ {DECISION_TARGET_US} µs" \
            if what == "evaluate, med forklaringer" else ""
        print(f"{policy:<12} {what:<34} {p50 / 1e3:8.1f} {p99 / 1e3:8.1f}{target}")

    print(f"\n{'kaldstart (median, ms)':<22} {'import':>7} {'lese+sjekke':>12} "
          f"{'i prosessen':>12} {'CPU-tid':>8} {'hele prosessen':>15}")
    for label, r in cold_start(runs).items():
        cold = mark(r["i prosessen"], COLD_TARGET_MS)
        print(f"{label:<22} {r['import']:7.1f} {r['parse+check']:12.1f} "
              f"{r['i prosessen']:12.1f} {r['cpu']:8.1f} {r['hele prosessen']:15.1f}  {cold}"
              f"   ({r['policies']} regelverk, {r['errors']} feil, Lark {'importert' if r['lark'] else 'ikke importert'})")
    print(f"\nBelastning ved slutt: {load_average()}")
    print(f"Mål: ≤ {COLD_TARGET_MS} ms for å lese og sjekke alle regelverk i en fersk prosess "
          "(kolonnen «i prosessen»: import + lese og sjekke; «CPU-tid» er det samme målt i "
          "prosessorens tid, som påvirkes mindre av annen last).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
