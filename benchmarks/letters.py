"""Measure how long a decision letter takes: the path `boligregler forklar` runs, end to end.

    python benchmarks/letters.py             # 200 letters per case
    python benchmarks/letters.py --raskt     # 40 letters per case

For each case (a refusal with its search for what would change the outcome, a grant, and a
case for manual assessment) it times `policy.evaluate(søknad).begrunnelse`: validation,
assessment, the counterfactual search and the letter as text, in one process after one warm-up.
Prints p50 and p99 in milliseconds. The target of the letters issue: a refusal letter ≤ 2 ms p50.
Standard library only; record figures, with the machine, in docs/ytelse.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from boligregler import load_policy  # noqa: E402
from boligregler.money import load_json  # noqa: E402

TARGET_MS = 2.0


def cases() -> list[tuple[str, str, dict]]:
    family = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))
    refused = copy.deepcopy(family)
    refused["inntekter"][0]["netto_per_måned"] = 30000
    refused["skjønn"]["langvarige_finansieringsproblemer"] = False
    low_income = copy.deepcopy(family)
    low_income["inntekter"][0]["netto_per_måned"] = 30000
    manual = copy.deepcopy(family)
    manual["tilknytning"]["folkeregistrert_i_kommunen"] = False
    return [
        ("avslag, to vilkår (drammen)", "drammen", refused),
        ("avslag, betjeningsevne (drammen)", "drammen", low_income),
        ("avslag, betjeningsevne (nasjonal)", "nasjonal", low_income),
        ("innvilget (drammen)", "drammen", family),
        ("manuell vurdering (drammen)", "drammen", manual),
    ]


def measure(policy, soknad: dict, n: int) -> list[float]:
    policy.evaluate(soknad).begrunnelse  # warm-up: compiled programs and dependency analysis
    times = []
    for _ in range(n):
        start = time.perf_counter()
        policy.evaluate(soknad).begrunnelse
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raskt", action="store_true", help="40 letters per case instead of 200")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    n = 40 if args.raskt else 200
    rows = []
    for name, pid, soknad in cases():
        times = sorted(measure(load_policy(pid), soknad, n))
        rows.append({"case": name, "p50_ms": statistics.median(times), "p99_ms": times[int(0.99 * (len(times) - 1))]})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"Python {platform.python_version()} on {platform.machine()}, {n} letters per case")
    print(f"{'case':40} {'p50 ms':>8} {'p99 ms':>8}")
    for r in rows:
        mark = "" if not r["case"].startswith("avslag") or r["p50_ms"] <= TARGET_MS else f"  (mål ≤ {TARGET_MS} ms)"
        print(f"{r['case']:40} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f}{mark}")


if __name__ == "__main__":
    main()
