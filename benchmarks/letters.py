"""Measure how long a decision letter takes: the path `boligregler forklar` runs, end to end.

    python benchmarks/letters.py             # 200 letters per case
    python benchmarks/letters.py --raskt     # 40 letters per case
    python benchmarks/letters.py --tell      # how many assessments, probes and gaps each letter's search runs
    python benchmarks/letters.py --instruksjoner   # instructions per letter, counted with callgrind

For each case (refusals and a case for manual assessment with their search for what would change
the outcome, a grant) it times `policy.evaluate(søknad).begrunnelse`: validation, assessment, the
counterfactual search and the letter as text, in one process after one warm-up. Prints the outcome,
p50 and p99 of the wall-clock time and p50 of the thread's CPU time in milliseconds (on a loaded
machine the CPU time is the steadier figure; both are upper bounds there). The target of the letters
issue: a refusal letter ≤ 2 ms p50. Standard library only; record figures, with the machine and its
load, in docs/ytelse.md.

`--instruksjoner` runs each case under `valgrind --tool=callgrind` (about a minute per case, as many at
once as the machine has cores): three letters to warm up, then ten counted, and prints the instructions
per letter in millions, split into the assessment (`policy.evaluate`), the search for what would change
the outcome (`explain.counterfactual.what_would_change`) and the rest of the letter. Each part runs
inside a C function that marks it (`functools.reduce` the ten letters, `operator.call` the assessment,
an `operator.methodcaller` the search), whose inclusive cost callgrind_annotate gives. Unlike the
times, the counts do not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import functools
import json
import operator
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
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
        ("to vilkår ikke oppfylt (drammen)", "drammen", refused),
        ("lav inntekt (drammen: tilskuddsgrensen)", "drammen", low_income),
        ("lav inntekt (nasjonal)", "nasjonal", low_income),
        ("familien (drammen)", "drammen", family),
        ("ikke folkeregistrert (drammen)", "drammen", manual),
    ]


def measure(policy, soknad: dict, n: int) -> tuple[list[float], list[float]]:
    """Wall-clock and thread CPU milliseconds of `n` letters, after one warm-up (compiled programs, analyses)."""
    policy.evaluate(soknad).begrunnelse
    wall, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.thread_time()
        policy.evaluate(soknad).begrunnelse
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return sorted(wall), sorted(cpu)


def count(policy, soknad: dict) -> dict[str, int]:
    """Whole assessments, single-criterion probes and gap evaluations (the compared amounts of the criteria
    a change must meet, which the thresholds are solved from) one letter runs, after a warm-up: load-free."""
    from boligregler.evaluation import decision
    from boligregler.explain import counterfactual, evaluate
    calls = {"vurderinger": 0, "vilkårsprøver": 0, "differanser": 0}
    assess, criterion, gap = decision.assess, counterfactual.criterion_result, counterfactual.Search.compare

    def counted(name, function):
        def run(*a, **k):
            calls[name] += 1
            return function(*a, **k)
        return run
    policy.evaluate(soknad).begrunnelse
    decision.assess = evaluate.assess = counted("vurderinger", assess)
    counterfactual.criterion_result = counted("vilkårsprøver", criterion)
    counterfactual.Search.compare = counted("differanser", gap)
    try:
        policy.evaluate(soknad).begrunnelse
    finally:
        decision.assess = evaluate.assess = assess
        counterfactual.criterion_result = criterion
        counterfactual.Search.compare = gap
    return calls


# the C functions that mark the counted parts (see the docstring), as callgrind_annotate names them
MARKS = {"brev": "functools_reduce", "vurdering": "_operator_call", "søk": "methodcaller_call"}
COUNTED = 10


def counted_letters(index: int) -> None:
    """The program callgrind runs for case `index`: three letters to warm up, then `COUNTED` inside the marks."""
    from boligregler.explain import letter
    _, pid, soknad = cases()[index]
    policy = load_policy(pid)
    for _ in range(3):
        policy.evaluate(soknad).begrunnelse
    search = letter.what_would_change
    letter.what_would_change = lambda *a: operator.methodcaller("__call__", *a)(search)

    def one(_, __):
        return operator.call(policy.evaluate, soknad).begrunnelse
    functools.reduce(one, range(COUNTED), None)


def instructions(index: int) -> dict[str, float]:
    """Millions of instructions per letter of case `index`: in all, in the assessment, the search and the rest."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no", f"--toggle-collect={MARKS['brev']}",
                        "--dump-instr=no", f"--callgrind-out-file={out}", sys.executable, __file__,
                        "--callgrind-tilfelle", str(index)],
                       check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        annotated = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out)],
                                   check=True, capture_output=True, text=True).stdout
    cost = {}
    for part, function in MARKS.items():  # a function's own line, not those of the headers inlined in it
        found = [int(n.replace(",", "")) for n in re.findall(rf"^\s*([\d,]+) .*:{function} \[", annotated, re.M)]
        cost[part] = max(found, default=0) / COUNTED / 1e6
    return {"instruksjoner": cost["brev"], "vurdering": cost["vurdering"], "søk": cost["søk"],
            "brevet": cost["brev"] - cost["vurdering"] - cost["søk"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raskt", action="store_true", help="40 letters per case instead of 200")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--tell", action="store_true", help="count the assessments each letter runs instead")
    parser.add_argument("--instruksjoner", action="store_true",
                        help="count the instructions per letter with callgrind instead (a minute per case)")
    parser.add_argument("--callgrind-tilfelle", type=int, help=argparse.SUPPRESS)  # the program callgrind runs
    args = parser.parse_args()
    if args.callgrind_tilfelle is not None:
        counted_letters(args.callgrind_tilfelle)
        return
    if args.instruksjoner:
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
            counts = list(pool.map(instructions, range(len(cases()))))
        rows = [{"case": name, **c} for (name, _, _), c in zip(cases(), counts)]
        if args.json:
            print(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        print(f"Python {platform.python_version()} on {platform.machine()}, callgrind, "
              f"M instructions per letter ({COUNTED} after 3 to warm up)")
        print(f"{'case':42} {'i alt':>8} {'vurdering':>10} {'søk':>8} {'brevet':>8}")
        for r in rows:
            print(f"{r['case']:42} {r['instruksjoner']:8.2f} {r['vurdering']:10.2f} {r['søk']:8.2f} {r['brevet']:8.2f}")
        return
    if args.tell:
        print(f"{'case':42} {'utfall':18} {'vurderinger':>12} {'vilkårsprøver':>14} {'differanser':>12}")
        for name, pid, soknad in cases():
            policy = load_policy(pid)
            c = count(policy, soknad)
            print(f"{name:42} {policy.evaluate(soknad, explain=False).utfall:18} {c['vurderinger']:12} "
                  f"{c['vilkårsprøver']:14} {c['differanser']:12}")
        return
    n = 40 if args.raskt else 200
    rows = []
    for name, pid, soknad in cases():
        policy = load_policy(pid)
        wall, cpu = measure(policy, soknad, n)
        rows.append({"case": name, "utfall": policy.evaluate(soknad, explain=False).utfall,
                     "p50_ms": statistics.median(wall), "p99_ms": wall[int(0.99 * (len(wall) - 1))],
                     "cpu_p50_ms": statistics.median(cpu)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"Python {platform.python_version()} on {platform.machine()}, {n} letters per case, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'case':42} {'utfall':18} {'p50 ms':>8} {'p99 ms':>8} {'cpu p50':>8}")
    for r in rows:
        mark = "" if r["utfall"] != "avslag" or r["p50_ms"] <= TARGET_MS else f"  (mål ≤ {TARGET_MS} ms)"
        print(f"{r['case']:42} {r['utfall']:18} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['cpu_p50_ms']:8.2f}{mark}")


if __name__ == "__main__":
    main()
