"""Load test of the patrol service: ``pilkada-nlp serve`` with the default model on 127.0.0.1, driven by an ``httpx``
client in this process, one phase after another, each bounded in time and in requests.

Phases: one-post ``/v1/classify`` requests from 1 client (latency without queueing) and from ``--clients`` concurrent
clients (target: p99 ≤ 50 ms at 50), then 100-post ``/v1/score`` requests from ``--score-clients`` clients (target:
≥ 2,000 posts/s). Reported per phase: requests, errors (any non-200 answer, failed request or short stream), p50 / p99
latency and throughput; and the server's RSS (``VmRSS``, sampled every 0.25 s) after warm-up, at the end of each phase
and at its peak. The client shares the machine's cores with the server, so on 2 cores the numbers are what is left
after the client's own work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import provenance, table
from pilkada_nlp.service.keys import add_key

SAMPLE = REPO / "data" / "samples" / "patrol_sample.csv"
TARGETS = {"p99_ms_at_50": 50.0, "score_posts_per_s": 2_000}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024


class RssSampler:
    """Samples a process's RSS every ``interval`` seconds in a thread; ``peak`` and ``now()`` in MB."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def now(self) -> float:
        value = rss_mb(self.pid)
        self.peak = max(self.peak, value)
        return value

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.now()
            except (OSError, StopIteration):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def start_server(folder: Path, port: int) -> tuple[subprocess.Popen, str]:
    """``pilkada-nlp serve`` as a child process (this checkout's package), rate limit out of the way; returns it and
    a reader key once ``/healthz`` answers."""
    keys = folder / "keys.json"
    key = add_key(keys, "load-test", "reader")
    command = [sys.executable, "-m", "pilkada_nlp.cli", "serve", "--keys", str(keys), "--db", str(folder / "db.sqlite3"),
               "--host", "127.0.0.1", "--port", str(port), "--rate", "1000000", "--burst", "1000000"]
    server = subprocess.Popen(command, cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server, key
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the service did not start within 60 s")


class Connection:
    """One keep-alive HTTP/1.1 connection that sends prepared POST requests and reads whole answers.

    Hand-written instead of ``httpx.AsyncClient``: at 50 concurrent requests httpx spent about 6 ms of CPU per request
    (measured), more than the server, and on 2 cores every millisecond the client spends is taken from the server.
    It reads only what the service sends: ``Content-Length`` bodies and ``chunked`` streams.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers = dict(line.split(b":", 1) for line in head.lower().split(b"\r\n")[1:] if b":" in line)
        if b"content-length" in headers:
            return status, await self.reader.readexactly(int(headers[b"content-length"]))
        body = bytearray()
        while True:  # chunked
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return status, bytes(body)
            body += (await self.reader.readexactly(size + 2))[:-2]

    def close(self) -> None:
        self.writer.close()


def request_bytes(path: str, key: str, body: dict) -> bytes:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
    return head.encode("ascii") + payload


async def phase(port: int, key: str, path: str, batches: list[list[str]], clients: int, seconds: float,
                max_requests: int, server_pid: int) -> dict:
    """``clients`` workers, one connection each, send ``batches`` round-robin to ``path`` until ``seconds`` or
    ``max_requests`` run out. An error is any answer but 200, a short ``/v1/score`` stream, or a failed connection."""
    requests = [request_bytes(path, key, {"texts": texts[0] if path == "/v1/classify" and len(texts) == 1 else texts})
                for texts in batches]
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    sent = 0
    posts = 0
    connections = [await Connection.open(port) for _ in range(clients)]
    server_cpu, client_cpu = cpu_seconds(server_pid), time.process_time()
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(connection: Connection) -> None:
        nonlocal sent, posts
        while sent < max_requests and time.perf_counter() < deadline:
            index = sent % len(requests)
            sent += 1
            begin = time.perf_counter()
            try:
                status, body = await connection.post(requests[index])
                problem = None if status == 200 else f"HTTP {status}"
                if not problem and path == "/v1/score" and body.count(b"\n") != len(batches[index]):
                    problem = "short stream"
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                problem = type(error).__name__
                connection = await Connection.open(port)
            latencies.append(time.perf_counter() - begin)
            if problem:
                errors[problem] += 1
            else:
                posts += len(batches[index])

    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - started
    server_cpu, client_cpu = cpu_seconds(server_pid) - server_cpu, time.process_time() - client_cpu
    for connection in connections:
        connection.close()
    milliseconds = np.array(latencies) * 1000
    return {"requests": len(latencies), "errors": sum(errors.values()), "error_kinds": dict(errors),
            "seconds": round(elapsed, 1), "p50_ms": round(float(np.percentile(milliseconds, 50)), 1),
            "p99_ms": round(float(np.percentile(milliseconds, 99)), 1),
            "requests_per_s": round(len(latencies) / elapsed), "posts_per_s": round(posts / elapsed),
            "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, len(latencies)), 2),
            "client_cpu_ms_per_request": round(client_cpu * 1000 / max(1, len(latencies)), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="longest time per phase")
    parser.add_argument("--max-requests", type=int, default=20_000, help="most requests per phase")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients of the one-post phase")
    parser.add_argument("--score-clients", type=int, default=4, help="concurrent clients of the 100-post phase")
    parser.add_argument("--quick", action="store_true", help="2 s and 200 requests per phase, 5 clients")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON instead of Markdown")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.max_requests, args.clients, args.score_clients = 2.0, 200, 5, 2
    texts = [t for t in pd.read_csv(SAMPLE, dtype=str, keep_default_na=False,
                                         encoding_errors="replace")["text"] if t.strip() and "\ufffd" not in t]
    singles = [[t] for t in texts]
    hundreds = [[texts[(i + j) % len(texts)] for j in range(100)] for i in range(0, len(texts), 7)]
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="service_load_") as folder:
        server, key = start_server(Path(folder), port)
        try:
            sampler = RssSampler(server.pid)
            asyncio.run(phase(port, key, "/v1/classify", singles, 4, args.seconds, 200, server.pid))  # warm-up, not reported
            rss = {"after warm-up": sampler.now()}
            runs = []
            for name, path, batches, clients in (
                ("classify, 1 post", "/v1/classify", singles, 1),
                ("classify, 1 post", "/v1/classify", singles, args.clients),
                ("score, 100 posts", "/v1/score", hundreds, args.score_clients),
            ):
                result = asyncio.run(phase(port, key, path, batches, clients, args.seconds, args.max_requests,
                                             server.pid))
                runs.append({"phase": name, "clients": clients, **result})
                rss[f"after {name}, {clients} clients"] = sampler.now()
            sampler.stop()
            rss["peak"] = sampler.peak
        finally:
            server.terminate()
            server.wait(timeout=30)
    if args.json:
        print(json.dumps({"runs": runs, "rss_mb": {k: round(v) for k, v in rss.items()}}))
        return 0
    print(provenance("Patrol service under load (uvicorn on 127.0.0.1, default model)"))
    print(table(["phase", "clients", "requests", "errors", "p50 ms", "p99 ms", "requests/s", "posts/s",
                 "server CPU ms/request", "client CPU ms/request"],
                [[r["phase"], r["clients"], f"{r['requests']:,}",
                  str(r["errors"]) + (f" ({', '.join(f'{k}: {n}' for k, n in r['error_kinds'].items())})"
                                 if r["errors"] else ""), r["p50_ms"], r["p99_ms"],
                  f"{r['requests_per_s']:,}", f"{r['posts_per_s']:,}", r["server_cpu_ms_per_request"],
                  r["client_cpu_ms_per_request"]] for r in runs]))
    print()
    print(table(["server RSS", "MB"], [[name, round(value)] for name, value in rss.items()]))
    print()
    one, score = runs[1], runs[2]
    print(table(["target", "measured", "verdict"], [
        [f"one-post p99 ≤ {TARGETS['p99_ms_at_50']:.0f} ms at {args.clients} clients", f"{one['p99_ms']} ms",
         "meets" if one["p99_ms"] <= TARGETS["p99_ms_at_50"] else "above"],
        [f"/v1/score ≥ {TARGETS['score_posts_per_s']:,} posts/s", f"{score['posts_per_s']:,} posts/s",
         "meets" if score["posts_per_s"] >= TARGETS["score_posts_per_s"] else "below"],
        ["zero errors", str(sum(r["errors"] for r in runs)), "meets" if not any(r["errors"] for r in runs) else "errors"],
    ]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
