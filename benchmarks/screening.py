"""Measure screening: the columnar backend against plain NumPy float64 and a loop over Policy.evaluate.

    python benchmarks/screening.py            # 10^4, 10^5 and 10^6 households, vurder on 10^5 rows
    python benchmarks/screening.py --raskt    # 10^4 and 10^5, vurder on 10^4 rows

On synthetic households (boligregler.screening.population, seed 2026) and drammen.pol, one core
(NumPy's element-wise operations run on one thread; the BLAS thread pools are pinned to one):

* columnar: `Policy.evaluate_batch` on a validated batch (best of 3), households/s, the share of
  rows decided by the Decimal fallback and the share re-checked in the guard band, and the peak
  memory it allocates per household (tracemalloc, which sees NumPy's buffers);
* validation: `tabular.read_chunk` from an Arrow table (the columnar validation);
* plain NumPy: the same national formula (beregning.md § 2) written directly in float64 for
  comparison (not exact: no øre, no rounding rules checked), in the same run on the same rows;
* the loop: `Policy.evaluate(søknad, explain=False)` over a sample of the same households;
* a register without the case workers' assessments and bank refusals (`assessed=False`): the arrays
  settle the facts not yet given (ikke_vurdert, ikke_avgjort) with `mangler=False` on a tenth of the
  largest size; with `mangler` (on 2 000) the undecided rows go to Decimal for the list of what is missing.

`boligregler vurder` end to end (start-up, after start-up, fresh processes) is measured by
benchmarks/vurder.py.

    python benchmarks/screening.py --sider    # fresh pages against reused ones (evaluation/heap.py)
    python benchmarks/screening.py --profil   # where one evaluate_batch on 10^6 rows spends its time
    python benchmarks/screening.py --fast     # the fixed work per chunk: CPU ms per evaluate_batch, many runs

`--sider` measures what a page fault costs on this machine (a NumPy operation writing into fresh
memory, against the same operation on memory freed and reused) and `evaluate_batch` on 10^6 rows
with and without `heap.keep_freed_memory` (each in a process of its own: the setting is for the
whole process), with the page faults per household. `--profil` prints cProfile's functions of
the columnar backend by their own time. `--fast` gives the minimum and median CPU time of one
`evaluate_batch` at 10^4 rows (300 runs, where the fixed work per chunk dominates) and 10^6 rows
(7 runs); the minimum is the figure least disturbed by other load.

Every rate is given twice: per second of wall time, and per second of this process's CPU time
which other load on a shared machine disturbs less; the targets are about an idle machine, where
the two agree.

Targets (issue 14): ≥ 5 M households/s on one core at 10^6 rows, at most 2× the plain NumPy
time, ≥ 50× the loop.
Record new figures in docs/ytelse.md, with the machine's load.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from boligregler import load_policy  # noqa: E402
from boligregler.screening import population, tabular  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def best(fn, repeat: int = 3) -> tuple[float, float]:
    """The best wall time and the best CPU time of this process (less disturbed by other load) of `repeat` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def plain_numpy(cols: dict) -> dict:
    """beregning.md § 2 for kjøp, in float64, written by hand (the comparison, not exact)."""
    adults, ages = cols["adults"], cols["child_age"]
    norm = np.where(adults == 1, 7850.0, 13100.0) + np.maximum(adults - 2, 0) * 6600.0
    rate = np.where(ages <= 5, 3850.0, np.where(ages <= 10, 3950.0, 5150.0))
    cs = np.concatenate([[0.0], np.cumsum(rate)])
    norm = norm + cs[cols["child_off"][1:]] - cs[cols["child_off"][:-1]]
    inc = np.where(cols["inc_type"] == 13, 0.0, np.where(cols["inc_type"] == 14, cols["inc"] * 10 / 12, cols["inc"]))
    ci = np.concatenate([[0.0], np.cumsum(inc)])
    income = ci[cols["inc_off"][1:]] - ci[cols["inc_off"][:-1]]
    ce = np.concatenate([[0.0], np.cumsum(cols["exp"])])
    expenses = ce[cols["exp_off"][1:]] - ce[cols["exp_off"][:-1]]
    available = income - norm - cols["housing"] - expenses
    costs = np.round(np.where(cols["selveier"], cols["price"] * 0.025, 0.0) + 2 * 545.0)
    equity = np.maximum(0.0, cols["equity"] - 2 * income)
    need = np.round(np.maximum(0.0, cols["price"] + costs - equity))
    i = 0.05 / 12
    factor = (1 - (1 + i) ** -360) / i
    max_loan = np.where(available <= 0, 0.0, np.floor(available * factor / 1000) * 1000)
    grant_need = np.where(need > max_loan, np.ceil((need - max_loan) / 1000) * 1000, 0.0)
    grant = np.where(grant_need <= 0.2 * cols["price"], grant_need, 0.0)
    loan = need - grant
    payment = np.round(loan * i / (1 - (1 + i) ** -360))
    return {"max_loan": max_loan, "loan": loan, "payment": payment, "margin": available - payment,
            "ok": need - grant <= max_loan}


def plain_columns(table) -> dict:
    def lst(name, field):
        col = table.column(name).combine_chunks()
        return np.asarray(col.offsets), np.asarray(col.flatten().field(field))
    child_off, child_age = lst("husstand.barn", "alder")
    adult_off, _ = lst("husstand.voksne", "alder")
    inc_off, inc = lst("inntekter", "netto_per_måned")
    types = table.column("inntekter").combine_chunks().flatten().field("type").to_numpy(zero_copy_only=False)
    codes = {"sosialhjelp": 13, "leieinntekt": 14}
    inc_type = np.array([codes.get(t, 0) for t in types])
    exp_off, exp = lst("faste_utgifter", "per_måned")
    return {"adults": np.diff(adult_off), "children": np.diff(child_off), "child_age": child_age,
            "child_off": child_off, "inc": inc.astype(float), "inc_off": inc_off, "inc_type": inc_type,
            "exp": exp.astype(float), "exp_off": exp_off,
            "housing": table.column("bolig.boutgifter_per_måned").to_numpy().astype(float),
            "price": table.column("bolig.kjøpesum").to_numpy().astype(float),
            "selveier": table.column("bolig.eierform").to_numpy(zero_copy_only=False) == "selveier",
            "equity": table.column("egenkapital").to_numpy().astype(float)}


def columnar_run(policy, n: int) -> dict:
    table = population.households(n)
    t = time.perf_counter()
    chunk = tabular.read_chunk(policy.model, table, 1, policy.validate)
    validate_s = time.perf_counter() - t
    batch = chunk.batch
    result = policy.evaluate_batch(batch)
    seconds, cpu = best(lambda: policy.evaluate_batch(batch))
    tracemalloc.start()
    policy.evaluate_batch(batch)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    cols = plain_columns(table)
    plain_s, plain_cpu = best(lambda: plain_numpy(cols))
    return {"n": n, "seconds": seconds, "per_s": n / seconds, "cpu_per_s": n / cpu, "plain_cpu_per_s": n / plain_cpu,
            "ratio_cpu": cpu / plain_cpu, "validate_per_s": n / validate_s,
            "fallback": float(result.fallback.mean()), "rechecked": float(result.rechecked.mean()),
            "bytes_per_household": peak / n, "plain_seconds": plain_s, "ratio_to_plain": seconds / plain_s}


def partial_run(policy, n: int, mangler: bool, share: float | None = None) -> dict:
    """A register without the case workers' assessments or the bank refusals (with `share`: each of them
    missing on that share of the rows, seeded): households/s (wall and per CPU-second), the share decided by
    Decimal, and of those the share sent there only to list what is missing (`mangler`; the kartlegging's
    price search skips it)."""
    table = population.households(n, seed=7, assessed=share is not None)
    if share is not None:
        rng = np.random.default_rng(7)
        for name in [c for c in table.column_names if c.startswith("skjønn.")]:
            column = table.column(name)
            kept = rng.random(n) >= share
            table = table.set_column(table.column_names.index(name), name, pa.array(
                [v if k else None for v, k in zip(column.to_pylist(), kept)], type=column.type))
    batch = tabular.read_chunk(policy.model, table, 1, policy.validate).batch
    t, c = time.perf_counter(), time.process_time()
    result = policy.evaluate_batch(batch, mangler=mangler)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    undecided = result.outcomes.index("ikke_avgjort") if "ikke_avgjort" in result.outcomes else -1
    return {"n": n, "per_s": n / wall, "cpu_per_s": n / cpu, "fallback": float(result.fallback.mean()),
            "for_mangler": float(result.for_mangler.mean()), "undecided": float((result.utfall == undecided).mean())}


def loop_run(policy, n: int) -> float:
    table = population.households(n, seed=99)
    soknader = [tabular.row_soknad(table, i) for i in range(n)]
    t = time.perf_counter()
    for s in soknader:
        policy.evaluate(s, explain=False)
    return n / (time.perf_counter() - t)


def faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def page_cost() -> tuple[float, float]:
    """ns per float64 element of np.floor into fresh memory (every result kept) and into reused memory."""
    x = np.random.default_rng(1).random(1 << 18)
    kept, t = [], time.process_time()
    for _ in range(100):
        kept.append(np.floor(x))
    fresh = (time.process_time() - t) / 100 / x.size * 1e9
    del kept
    t = time.process_time()
    for _ in range(100):
        np.floor(x)
    return fresh, (time.process_time() - t) / 100 / x.size * 1e9


def heap_run(n: int, keep: bool) -> None:
    """evaluate_batch on n rows (best CPU time of 3) and page faults per household, printed as one line."""
    from boligregler.evaluation import columnar
    if not keep:  # leave glibc's malloc as it is: freed memory goes back to the kernel
        columnar.heap.keep_freed_memory = lambda: False
    policy = load_policy("drammen")
    batch = tabular.read_chunk(policy.model, population.households(n), 1, policy.validate).batch
    policy.evaluate_batch(batch)
    before = faults()
    _, cpu = best(lambda: policy.evaluate_batch(batch))
    print(f"{n / cpu:.0f} {(faults() - before) * 4096 / 3 / n:.0f}")


def pages(n: int) -> None:
    fresh, reused = page_cost()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print(f"np.floor over 2^18 float64: {fresh:.2f} ns per element into fresh memory, {reused:.2f} ns reused")
    print("\n| frigitt minne | husstander per CPU-sekund | nye sider per husstand (byte) |\n|---|---:|---:|")
    for keep in (True, False):
        out = subprocess.run([sys.executable, __file__, "--heap-run", str(n), "1" if keep else "0"],
                             capture_output=True, text=True, check=True).stdout.split()
        print(f"| {'beholdes (heap.keep_freed_memory)' if keep else 'gis tilbake til kjernen'} | {int(out[0]):,} "
              f"| {out[1]} |".replace(",", " "))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


def profile(n: int) -> None:
    policy = load_policy("drammen")
    batch = tabular.read_chunk(policy.model, population.households(n), 1, policy.validate).batch
    policy.evaluate_batch(batch)
    profiler = cProfile.Profile()
    profiler.enable()
    policy.evaluate_batch(batch)
    profiler.disable()
    print(f"load average {os.getloadavg()[0]:.1f}; evaluate_batch on {n:,} rows of drammen.pol\n".replace(",", " "))
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def fixed_work() -> None:
    policy = load_policy("drammen")
    print(f"load average {os.getloadavg()[0]:.1f}; evaluate_batch on drammen.pol, CPU ms per call\n")
    print("| husstander | kjøringer | minste ms | median ms |")
    print("|---:|---:|---:|---:|")
    for n, runs in ((10**4, 300), (10**6, 7)):
        batch = tabular.read_chunk(policy.model, population.households(n), 1, policy.validate).batch
        for _ in range(3):
            policy.evaluate_batch(batch)
        times = []
        for _ in range(runs):
            c = time.process_time()
            policy.evaluate_batch(batch)
            times.append(time.process_time() - c)
        times.sort()
        print(f"| {n:,} | {runs} | {1000 * times[0]:.2f} | {1000 * times[len(times) // 2]:.2f} |".replace(",", " "))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--raskt", action="store_true")
    parser.add_argument("--sider", action="store_true", help="fresh pages against reused ones")
    parser.add_argument("--profil", action="store_true", help="cProfile of one evaluate_batch on 10^6 rows")
    parser.add_argument("--fast", action="store_true", help="CPU ms per evaluate_batch at 10^4 and 10^6 rows")
    parser.add_argument("--heap-run", nargs=2, type=int, help=argparse.SUPPRESS)  # a child of --sider
    args = parser.parse_args()
    if args.heap_run:
        return heap_run(args.heap_run[0], bool(args.heap_run[1]))
    if args.sider:
        return pages(10**5 if args.raskt else 10**6)
    if args.profil:
        return profile(10**5 if args.raskt else 10**6)
    if args.fast:
        return fixed_work()
    policy = load_policy("drammen")
    sizes = [10**4, 10**5] if args.raskt else [10**4, 10**5, 10**6]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; drammen.pol; synthetic households\n")
    print("| husstander | kolonnevis, husstander/s | ren NumPy float64, husstander/s | tid mot ren NumPy "
          "| kolonnevis per CPU-sekund | ren NumPy per CPU-sekund | CPU-tid mot ren NumPy "
          "| validering, rader/s | Decimal-reserve | kontrollert på nytt | minne per husstand |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for n in sizes:
        r = columnar_run(policy, n)
        rows.append(r)
        print(f"| {n:,} | {r['per_s']:,.0f} | {n / r['plain_seconds']:,.0f} | {r['ratio_to_plain']:.1f}× "
              f"| {r['cpu_per_s']:,.0f} | {r['plain_cpu_per_s']:,.0f} | {r['ratio_cpu']:.1f}× "
              f"| {r['validate_per_s']:,.0f} | {100 * r['fallback']:.2f} % | {100 * r['rechecked']:.3f} % "
              f"| {r['bytes_per_household']:,.0f} B |".replace(",", " "))
    loop = loop_run(policy, 2000)
    print(f"\nloop over Policy.evaluate(explain=False): {loop:,.0f} søknader/s; "
          f"columnar at {sizes[-1]:,}: {rows[-1]['per_s'] / loop:,.0f}× the loop".replace(",", " "))
    print("\nregister without the case workers' assessments and bank refusals:")
    print("| `mangler` | husstander | husstander/s | per CPU-sekund | ikke avgjort | Decimal-reserve | av den: bare for `mangler` |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for mangler, n, share in ((False, sizes[-1] // 10, None), (True, 2000, None), (True, 20000, 0.15)):
        r = partial_run(policy, n, mangler, share)
        case = ("ja" if mangler else "nei") + ("" if share is None else f", hver vurdering mangler for {share:.0%}")
        print(f"| {case} | {n:,} | {r['per_s']:,.0f} | {r['cpu_per_s']:,.0f} | {100 * r['undecided']:.1f} % "
              f"| {100 * r['fallback']:.2f} % | {100 * r['for_mangler']:.2f} % |".replace(",", " "))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
