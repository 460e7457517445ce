"""Measure what the three-valued evaluation costs on a partial søknad: the path `vurder` runs.

    python benchmarks/partial.py             # 300 decisions per case
    python benchmarks/partial.py --raskt     # 60 decisions per case

For each case it times `policy.evaluate(søknad, explain=False)` (validation, assessment and, for
an undecided outcome, finding which missing facts can change it, `mangler`), and for a søknad
that lacks a required fact `missing_facts(policy, søknad)` (what `boligregler forklar` runs
before it writes the letter), in one process after one warm-up. The complete søknad is the
baseline: a fact that is there costs nothing extra. Prints p50 and p99 in milliseconds and the
ratio of the p50 to the baseline's. Standard library only; record figures, with the machine and
its load, in docs/ytelse.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from boligregler import load_policy  # noqa: E402
from boligregler.explain.missing import missing_facts  # noqa: E402
from boligregler.money import load_json  # noqa: E402
from boligregler.testing import without as partial_soknad  # noqa: E402


def cases() -> list[tuple[str, str, dict, bool]]:
    """(name, policy, søknad, whether it lacks a required fact)."""
    family = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))

    def without(*paths: str) -> dict:
        return partial_soknad(family, *paths)

    assessments = [f"skjønn.{k}" for k in family["skjønn"] if k != "avslag_fra_banker"]
    return [
        ("fullstendig (drammen)", "drammen", family, False),
        ("én vurdering mangler (drammen)", "drammen", without("skjønn.boligen_egnet_og_nøktern"), False),
        ("antall bankavslag mangler (drammen)", "drammen", without("skjønn.avslag_fra_banker"), False),
        ("varig lav inntekt mangler (nasjonal)", "nasjonal", without("skjønn.varig_lav_inntekt"), False),
        ("alle vurderingene mangler (drammen)", "drammen", without(*assessments), False),
        ("alle vurderingene og bankavslag mangler (drammen)", "drammen",
         without(*assessments, "skjønn.avslag_fra_banker"), False),
        ("kjøpesum mangler, forklar (drammen)", "drammen", without("bolig.kjøpesum"), True),
        ("nesten tom søknad, forklar (drammen)", "drammen",
         {"søknadsdato": family["søknadsdato"], "husstand": {"voksne": [{}]}}, True),
    ]


def measure(run, n: int) -> list[float]:
    run()  # warm-up: compiled programs, validator
    times = []
    for _ in range(n):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raskt", action="store_true", help="60 decisions per case instead of 300")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    n = 60 if args.raskt else 300
    policies = {pid: load_policy(pid) for pid in ("drammen", "nasjonal")}
    rows = []
    for name, pid, soknad, lacks_required in cases():
        policy = policies[pid]
        if lacks_required:
            run = lambda p=policy, s=soknad: missing_facts(p, s)  # noqa: E731
        else:
            run = lambda p=policy, s=soknad: p.evaluate(s, explain=False)  # noqa: E731
        decision = run()
        decision = getattr(decision, "decision", decision)
        times = measure(run, n)
        rows.append({"case": name, "utfall": decision.utfall, "mangler": len(decision.mangler),
                     "p50_ms": statistics.median(times), "p99_ms": times[int(0.99 * (len(times) - 1))]})
    base = rows[0]["p50_ms"]
    for r in rows:
        r["ratio"] = r["p50_ms"] / base
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
          f"load {load}, {n} decisions per case")
    print(f"{'case':52} {'utfall':14} {'mangler':>7} {'p50 ms':>8} {'p99 ms':>8} {'× full':>7}")
    for r in rows:
        print(f"{r['case']:52} {r['utfall']:14} {r['mangler']:7d} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
              f"{r['ratio']:7.1f}")


if __name__ == "__main__":
    main()
