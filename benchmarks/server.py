"""Measure the decision service end to end: `boligregler serve` on localhost under load.

    python benchmarks/server.py               # concurrency 1, 8, 64, with and without the log; memory
    python benchmarks/server.py --raskt       # shorter runs, no memory run
    python benchmarks/server.py --minne 100000  # memory over N requests (the default)

For `POST /v1/regelverk/drammen/vurdering?begrunnelse=nei` (the vedtak record without the
letter) it reports throughput and p50/p99 latency at each concurrency, with the decision log
(SQLite, WAL, synchronous=FULL, group commit) and without it (`--uten-logg`), one row with the
letter, the server's resident memory (VmRSS) sampled over `--minne` requests, and the ratio
of the p50 at concurrency 1 to calling `Policy.evaluate(...).to_dict(letter=False)` in process.

The load generator is a small asyncio HTTP/1.1 client with keep-alive connections (standard
library only), run in this process; server and client share the machine's cores, so the
figures are a lower bound of what a dedicated server gives. Record figures in docs/ytelse.md.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOKNAD = json.loads((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))
PATH = "/v1/regelverk/drammen/vurdering"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="boligregler-bench-")
        self.proc = subprocess.Popen([sys.executable, "-m", "boligregler", "serve", "--port", str(self.port),
                                      "--data", self.data, "--intervall", "0", *args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/helse", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("serve did not start")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def bodies(n: int = 50) -> list[bytes]:
    out = []
    for i in range(n):
        s = copy.deepcopy(SOKNAD)
        s["egenkapital"] = 40000 + 997 * i
        out.append(json.dumps(s, ensure_ascii=False).encode("utf-8"))
    return out


async def client(port: int, path: str, payloads: list[bytes], count: int, latencies: list[float],
                 on_done=None) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for i in range(count):
            body = payloads[i % len(payloads)]
            request = (f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.split(b"\r\n")[0].decode())
            if on_done:
                on_done()
    finally:
        writer.close()


def load(port: int, concurrency: int, total: int, path: str = PATH + "?begrunnelse=nei", on_done=None) -> dict:
    payloads = bodies()
    latencies: list[float] = []

    async def main() -> float:
        started = time.perf_counter()
        per = max(1, total // concurrency)
        await asyncio.gather(*(client(port, path, payloads, per, latencies, on_done) for _ in range(concurrency)))
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    ordered = sorted(latencies)
    return {"antall": len(ordered), "per_s": len(ordered) / elapsed,
            "p50_ms": 1000 * ordered[len(ordered) // 2], "p99_ms": 1000 * ordered[int(len(ordered) * 0.99)]}


def in_process(n: int) -> float:
    """p50 in ms of Policy.evaluate(...).to_dict(letter=False) in this process."""
    from boligregler import load_policy
    from boligregler.money import load_json

    policy = load_policy("drammen")
    payloads = [load_json(b) for b in bodies()]
    times = []
    for i in range(n):
        s = copy.deepcopy(payloads[i % len(payloads)])
        t = time.perf_counter()
        policy.evaluate(s).to_dict(letter=False)
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--raskt", action="store_true", help="shorter runs, no memory run")
    parser.add_argument("--minne", type=int, default=100_000, help="requests for the memory run (0: none)")
    args = parser.parse_args()
    per_level = 600 if args.raskt else 3000
    print(f"# boligregler serve, {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} cores, {platform.machine()}")
    print(f"{'logg':<6} {'samtidige':>9} {'antall':>7} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    ratio_base = None
    for logged in (False, True):
        server = Served() if logged else Served("--uten-logg")
        try:
            load(server.port, 8, 200)  # warm up: programs compiled, connections open
            for concurrency in (1, 8, 64):
                r = load(server.port, concurrency, per_level)
                if concurrency == 1 and not logged:
                    ratio_base = r["p50_ms"]
                print(f"{'ja' if logged else 'nei':<6} {concurrency:>9} {r['antall']:>7} {r['per_s']:>8.0f} "
                      f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}", flush=True)
            if logged:
                r = load(server.port, 8, per_level // 5, path=PATH)
                print(f"{'ja':<6} {8:>9} {r['antall']:>7} {r['per_s']:>8.0f} {r['p50_ms']:>8.2f} "
                      f"{r['p99_ms']:>8.2f}   (med vedtaksbrev)", flush=True)
        finally:
            server.stop()
    local = in_process(2000)
    print(f"\nPolicy.evaluate(...).to_dict(letter=False) i prosessen: p50 {local:.3f} ms; "
          f"HTTP uten logg, 1 samtidig: {ratio_base:.2f} ms = {ratio_base / local:.1f} × i prosessen")
    if args.minne and not args.raskt:
        server = Served("--uten-logg")
        samples: list[tuple[int, int]] = []
        done = [0]

        def tick() -> None:
            done[0] += 1
            if done[0] % max(1, args.minne // 10) == 0:
                samples.append((done[0], server.rss_kib()))
        try:
            samples.append((0, server.rss_kib()))
            load(server.port, 8, args.minne, on_done=tick)
        finally:
            server.stop()
        print(f"\nMinne (VmRSS) over {args.minne} forespørsler, 8 samtidige, uten logg:")
        print("  " + ", ".join(f"{n}: {kib / 1024:.1f} MiB" for n, kib in samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
