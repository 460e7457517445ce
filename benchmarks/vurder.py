"""Measure `boligregler vurder` on the path a case worker runs: start-up, after start-up, end to end.

    python benchmarks/vurder.py            # 10^6 rows after start-up; end to end on 10^5 and 10^6 rows
    python benchmarks/vurder.py --raskt    # 10^5 rows after start-up; end to end on 10^5 rows
    python benchmarks/vurder.py --deler    # only the stages after start-up: Parquet → Parquet (10^6 rows) and
                                           # JSON Lines → vedtak lines, the default output (10^5 lines)
    python benchmarks/vurder.py --vedtak   # only the vedtak lines end to end (10^5 lines, to a file and to
                                           # standard output), for measuring before and after in turn

On synthetic households (boligregler.screening.population, seed 2026) and drammen.pol:

* start-up: fresh processes that only start Python, import numpy and pyarrow, or load the policy
  (from the per-user cache of checked policies, and without it), and `vurder` on a Parquet file of
  10 rows (interpreter, imports, the policy from the cache, reading and writing);
* after start-up: `screening.run.screen_file` in this process, Parquet → Parquet and JSON Lines → Parquet
  (reading, columnar validation, the columnar backend, writing);
* end to end: `vurder` in a fresh process on 10^5 and 10^6 rows from Parquet (to Parquet, and on 10^5 rows
  to JSON Lines on standard out, its default without --ut), on 10^5 lines from JSON Lines (tabular
  output), and on 10^5 lines with the default output, one full vedtak per line with its replay record
  (built from the columnar backend's arrays by `screening.vedtak`, in a process per core; the CPU time
  includes the worker processes), written to a file (`--ut`) and to standard output (here /dev/null, so the
  figure holds no reader's time; a regular file costs the kernel's page cache on top). The peak RSS of each
  run (of the main process) shows whether memory stays constant with the input's size (the files are
  streamed in chunks).

Every rate is given per second of wall time and per CPU-second of the process (or child process),
which other load on a shared machine disturbs less. Record new figures in docs/ytelse.md, with the
machine's load. Targets (issue 14): `vurder` on 10^5 rows ≥ 1 M/s from Parquet and ≥ 50 000/s from
JSON Lines.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import pyarrow.parquet as pq

from boligregler import load_policy
from boligregler.screening import files, population, tabular
from screening import best  # benchmarks/screening.py: best wall and CPU time of N runs


# `python -m boligregler ARGS…` that writes its peak RSS (VmHWM, which starts afresh at exec, unlike the
# rusage of a child forked from this large process) to the file $RSS_FILE when it ends.
MAIN = ("import atexit, os, runpy, sys\n"
        "def peak():\n"
        "    with open('/proc/self/status') as f, open(os.environ['RSS_FILE'], 'w') as out:\n"
        "        out.write(next(l for l in f if l.startswith('VmHWM')).split()[1])\n"
        "atexit.register(peak)\n"
        "sys.argv = ['boligregler', *sys.argv[1:]]\n"
        "runpy.run_module('boligregler', run_name='__main__')\n")


def child(args: list[str], cwd: str, env: dict) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of `boligregler ARGS…` in a fresh process."""
    rss = os.path.join(cwd, "rss.txt")
    t = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", MAIN, *args], cwd=cwd, env={**env, "RSS_FILE": rss},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - t
    process.returncode = 0
    with open(rss) as f:
        return wall, usage.ru_utime + usage.ru_stime, int(f.read()) / 1024


def write_inputs(folder: str, n: int, jsonl: bool) -> None:
    table = population.households(n)
    pq.write_table(table, f"{folder}/p{n}.parquet", row_group_size=files.CHUNK_ROWS)  # as a register export streams
    if jsonl:
        with open(f"{folder}/p{n}.jsonl", "w", encoding="utf-8") as f:
            for i in range(n):
                f.write(json.dumps(tabular.row_soknad(table, i), ensure_ascii=False, default=str) + "\n")


def end_to_end(sizes: list[int], vedtak_rows: int, only_vedtak: bool = False) -> list[tuple[str, int, float, float, float]]:
    """`boligregler vurder` in a fresh process: (what, rows, wall s, CPU s, peak RSS MB), best of two runs.

    As an installed package runs: with its bytecode cached (a first run writes it) and the policy checked
    and cached (boligregler.policy_cache), so the figure is the run a case worker repeats.
    """
    out = []
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        write_inputs(tmp, 10, True)
        for n in sorted(set(sizes) | {vedtak_rows}):
            write_inputs(tmp, n, jsonl=n <= 10**5)
        runs = [] if only_vedtak else [("oppstart: 10 rader Parquet → Parquet", 10, ["p10.parquet", "--ut", "ut.parquet"])]
        runs += [("Parquet → Parquet (tabell)", n, [f"p{n}.parquet", "--ut", "ut.parquet"]) for n in sizes]
        runs += [("Parquet → JSON-linjer på standard ut (tabell)", n, [f"p{n}.parquet"]) for n in sizes if n <= 10**5]
        runs += [("JSON-linjer → Parquet (tabell)", n, [f"p{n}.jsonl", "--utdata", "tabell", "--ut", "ut.parquet"])
                 for n in sizes if n <= 10**5]
        runs += [("JSON-linjer → JSON-linjer (vedtak per linje)", vedtak_rows, [f"p{vedtak_rows}.jsonl", "--ut", "ut.jsonl"]),
                 ("JSON-linjer → standard ut (vedtak per linje)", vedtak_rows, [f"p{vedtak_rows}.jsonl"])]
        for label, n, args in runs:
            command = ["vurder", "drammen", *args]
            child(command, tmp, env)  # bytecode and the policy cache written
            fastest = min((child(command, tmp, env) for _ in range(1 if n > 10**5 else 2)),
                          key=lambda r: r[0])
            out.append((label, n, *fastest))
    return out


STARTUP = [
    ("Python uten noe", "pass"),
    ("import numpy og pyarrow (parquet, compute)", "import numpy, pyarrow, pyarrow.parquet, pyarrow.compute"),
    ("load_policy('drammen') fra hurtigbufferen", "from boligregler import load_policy; load_policy('drammen')"),
]


def startup() -> list[tuple[str, float, float]]:
    """What a fresh process spends before the first row: (what, wall s, CPU s), best of three each; the
    policy also loaded without the cache (BOLIGREGLER_CACHE_DIR empty: parsed, checked and linted)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    runs = [(label, code, env) for label, code in STARTUP]
    runs.append(("load_policy('drammen') uten hurtigbuffer", STARTUP[-1][1], {**env, "BOLIGREGLER_CACHE_DIR": ""}))
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, code, run_env in runs:
            times = []
            for _ in range(4):  # the first run writes bytecode and the cache
                t = time.perf_counter()
                process = subprocess.Popen([sys.executable, "-c", code], cwd=tmp, env=run_env)
                _, _, usage = os.wait4(process.pid, 0)
                process.returncode = 0
                times.append((time.perf_counter() - t, usage.ru_utime + usage.ru_stime))
            out.append((label, min(w for w, _ in times[1:]), min(c for _, c in times[1:])))
    return out


def steady_state(policy, n: int, lines: int) -> list[tuple[str, int, float, float]]:
    """After start-up: `screen_file` in this process on `n` Parquet rows and `lines` JSON Lines
    (what, rows, rows/s of wall time, rows per CPU-second)."""
    from boligregler.screening.run import screen_file
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        write_inputs(tmp, n, jsonl=False)
        write_inputs(tmp, lines, jsonl=True)
        for label, rows, name, kind in [("Parquet → Parquet", n, f"p{n}.parquet", "parquet"),
                                        ("JSON-linjer → Parquet", lines, f"p{lines}.jsonl", "jsonl")]:
            screen_file(policy, f"{tmp}/{name}", kind, f"{tmp}/ut.parquet", "parquet", report=lambda text: None)  # warm
            seconds, cpu = best(lambda: screen_file(policy, f"{tmp}/{name}", kind, f"{tmp}/ut.parquet", "parquet",
                                                    report=lambda text: None), repeat=2)
            out.append((label, rows, rows / seconds, rows / cpu))
    return out


def stages(policy, n: int) -> list[tuple[str, float]]:
    """CPU seconds per million rows of each stage of Parquet → Parquet after start-up, on `n` rows."""
    with tempfile.TemporaryDirectory() as tmp:
        write_inputs(tmp, n, jsonl=False)
        path = f"{tmp}/p{n}.parquet"
        list(tabular.chunks(policy.model, files.read_tables(path, "parquet"), policy.validate))  # warm
        out = []

        def stage(label, fn):
            c = time.process_time()
            value = fn()
            out.append((label, (time.process_time() - c) * 10**6 / n))
            return value
        tables = stage("lese Parquet", lambda: list(files.read_tables(path, "parquet")))
        chunks = stage("kontrollere kolonnevis", lambda: list(tabular.chunks(policy.model, iter(tables), policy.validate)))
        results = stage("vurdere (kolonnevis motor)", lambda: [policy.evaluate_batch(c.batch) for c in chunks])
        outputs = stage("resultattabellen", lambda: [files.result_table(r, c) for r, c in zip(results, chunks)])

        def write():
            writer = files.TableWriter(f"{tmp}/ut.parquet", "parquet")
            for table in outputs:
                writer.write(table)
            writer.close()
        stage("skrive Parquet", write)
    return out


def vedtak_stages(policy, n: int) -> list[tuple[str, float]]:
    """CPU seconds per 100 000 lines of each stage of JSON Lines → vedtak lines (the default output) in one
    process, in blocks of `screening.vedtak.BLOCK` lines."""
    from boligregler.records import open_input
    from boligregler.screening import vedtak
    with tempfile.TemporaryDirectory() as tmp:
        write_inputs(tmp, n, jsonl=True)
        path = f"{tmp}/p{n}.jsonl"
        shape = files.JsonShape.of(policy.model)
        builder = vedtak.VedtakLines(policy)
        spent = dict.fromkeys(["lese og kontrollere kolonnevis", "vurdere (kolonnevis motor)",
                               "bygge linjene (forklaringer, sporbarhet, sha256)", "sette sammen og skrive"], 0.0)
        with open_input(path) as stream, open(f"{tmp}/ut.jsonl", "wb") as out:
            for first, block in files.line_blocks(stream, vedtak.BLOCK):
                steps = iter(spent)
                c = time.process_time()
                chunk = files.jsonl_chunk(policy, shape, first, block)
                c = _stage(spent, next(steps), c)
                result = policy.evaluate_batch(chunk.batch, mangler=False)
                c = _stage(spent, next(steps), c)
                lines = builder.build(chunk.batch, result, chunk.rows, chunk.references)
                c = _stage(spent, next(steps), c)
                lines.write(out, {})
                _stage(spent, next(steps), c)
    return [(label, seconds * 10**5 / n) for label, seconds in spent.items()]


def _stage(spent: dict, label: str, since: float) -> float:
    now = time.process_time()
    spent[label] += now - since
    return now


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--raskt", action="store_true")
    parser.add_argument("--deler", action="store_true", help="only the stages after start-up")
    parser.add_argument("--vedtak", action="store_true", help="only the vedtak lines end to end (10^5 lines)")
    args = parser.parse_args()
    policy = load_policy("drammen")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; drammen.pol; synthetic households")
    if args.vedtak:
        _end_to_end_table(args)
        return
    n = 10**5 if args.raskt else 10**6
    print(f"\nParquet → Parquet after start-up by stage ({n:,} rows; CPU seconds per million rows):".replace(",", " "))
    for label, seconds in stages(policy, n):
        print(f"  {label}: {seconds:.2f}".replace(".", ","))
    print("\nJSON Lines → vedtak lines (the default output) by stage, one process (100 000 lines; CPU seconds):")
    for label, seconds in vedtak_stages(policy, 10**5):
        print(f"  {label}: {seconds:.2f}".replace(".", ","))
    if args.deler:
        return
    print(f"\nstart-up, fresh processes (load average {os.getloadavg()[0]:.1f}):")
    for label, wall, cpu in startup():
        print(f"  {label}: {wall:.2f} s, {cpu:.2f} CPU-sekunder".replace(".", ","))
    print(f"\nvurder after start-up, in this process (load average {os.getloadavg()[0]:.1f}):")
    for label, rows, per_s, per_cpu_s in steady_state(policy, 10**5 if args.raskt else 10**6, 10**5):
        print(f"  {label}, {rows:,} rader: {per_s:,.0f} rader/s; {per_cpu_s:,.0f} rader per CPU-sekund".replace(",", " "))
    _end_to_end_table(args)


def _end_to_end_table(args) -> None:
    print(f"\nvurder end to end, a fresh process including start-up (load average {os.getloadavg()[0]:.1f}):")
    print("| kjøring | rader | sekunder | rader/s | CPU-sekunder | rader per CPU-sekund | største RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    sizes = [] if args.vedtak else [10**5] if args.raskt else [10**5, 10**6]
    for label, rows, wall, cpu, rss in end_to_end(sizes, 10**5, args.vedtak):
        print(f"| {label} | {rows:,} | {wall:.2f} | {rows / wall:,.0f} | {cpu:.2f} | {rows / cpu:,.0f} | {rss:,.0f} MB |"
              .replace(",", " ").replace(".", ","))


if __name__ == "__main__":
    main()
