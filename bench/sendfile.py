"""Serve a large file to concurrent clients from a real uvicorn; measure memory and latency.

    python bench/sendfile.py                        # 200 MB to 5 clients (HOSTILE_INPUTS P7)
    python bench/sendfile.py --size-mb 50 --clients 3

The server runs in a subprocess (this script with `--serve FOLDER`), on
127.0.0.1 and a free port, so its memory can be read from
`/proc/<pid>/status` without the clients' memory mixed in. The file lives in
a temporary folder that is deleted afterwards. While the clients download
the file in full (over plain asyncio streams, which cost the client side
little CPU), a thread asks the server for `/health` in a loop and samples the
server's resident memory.

Reported: the growth of the server's RSS over its warmed-up baseline (target
below 50 MB) and the p50/p99/max latency of `/health` during the transfer
(target: p99 below 100 ms). Memory figures need Linux's `/proc`. The whole
run is bounded by `--timeout` seconds (default 60).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import select
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

RSS_TARGET_MB = 50.0
P99_TARGET_MS = 100.0
FILE_NAME = "big.bin"


@dataclass
class Result:
    """What one run measured."""

    size_mb: int
    clients: int
    bytes_per_client: int
    clients_ok: int = 0
    seconds: float = 0.0
    rss_baseline_kb: int | None = None
    rss_peak_kb: int | None = None
    health_latencies: list[float] = field(default_factory=list)

    @property
    def health_requests(self) -> int:
        return len(self.health_latencies)

    @property
    def rss_growth_mb(self) -> float | None:
        if self.rss_baseline_kb is None or self.rss_peak_kb is None:
            return None
        return max(self.rss_peak_kb - self.rss_baseline_kb, 0) / 1024

    def latency_ms(self, quantile: float) -> float:
        ordered = sorted(self.health_latencies)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, int(quantile * len(ordered)))
        return ordered[index] * 1000


# -- the server (child process) -----------------------------------------------------------


def serve(folder: str) -> None:
    """Serve `folder/big.bin` at `/file` and `/health`; print the port once listening."""
    import uvicorn

    from aioflask import Flask, Response, send_from_directory

    app = Flask(__name__, static_folder=None)

    @app.get("/file")
    async def file() -> Response:
        return await send_from_directory(folder, FILE_NAME)

    @app.get("/health")
    async def health() -> str:
        return "ok"

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)

    def announce() -> None:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        if server.started:
            print(server.servers[0].sockets[0].getsockname()[1], flush=True)

    threading.Thread(target=announce, daemon=True).start()
    server.run()


# -- the measuring side ---------------------------------------------------------------------


def read_rss_kb(pid: int, field_name: str = "VmRSS") -> int | None:
    """A memory figure of process `pid` in KiB, from `/proc` (None elsewhere)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def make_file(folder: Path, size_mb: int) -> int:
    block = os.urandom(1024 * 1024)
    with open(folder / FILE_NAME, "wb") as f:
        for _ in range(size_mb):
            f.write(block)
    return size_mb * 1024 * 1024


def start_server(folder: Path, timeout: float) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--serve", str(folder)],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else b""
    if not line.strip().isdigit():
        proc.kill()
        proc.wait(5)
        proc.stdout.close()
        raise RuntimeError("The benchmark server did not start; run with --serve to see why.")
    return proc, int(line)


async def download(port: int, expected: int) -> int:
    """GET /file on a fresh connection and read the body to the end; return its length."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /file HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        if not head.startswith("HTTP/1.1 200"):
            raise RuntimeError(f"Unexpected answer: {head.splitlines()[0]!r}")
        received = 0
        while received < expected:
            chunk = await reader.read(1024 * 1024)
            if not chunk:
                break
            received += len(chunk)
        return received
    finally:
        writer.close()


async def download_all(port: int, clients: int, expected: int, timeout: float) -> list[int]:
    jobs = [download(port, expected) for _ in range(clients)]
    return await asyncio.wait_for(asyncio.gather(*jobs), timeout)


def watch(port: int, pid: int, result: Result, stop: threading.Event) -> None:
    """Ask for /health every few milliseconds and sample the server's RSS until `stop`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    peak = result.rss_peak_kb or 0
    try:
        while not stop.is_set():
            started = time.perf_counter()
            conn.request("GET", "/health")
            response = conn.getresponse()
            response.read()
            result.health_latencies.append(time.perf_counter() - started)
            rss = read_rss_kb(pid)
            if rss is not None:
                peak = max(peak, rss)
            stop.wait(0.005)
    finally:
        conn.close()
        result.rss_peak_kb = peak or None


def run(size_mb: int = 200, clients: int = 5, timeout: float = 60.0) -> Result:
    """Run the whole measurement and return its figures (bounded by `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    with TemporaryDirectory(prefix="aioflask-sendfile-") as tmp:
        folder = Path(tmp)
        size = make_file(folder, size_mb)
        result = Result(size_mb=size_mb, clients=clients, bytes_per_client=size)
        proc, port = start_server(folder, timeout=min(20.0, timeout))
        try:
            # Warm up: connections, the worker threads, the MIME table.
            warm = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for path, headers in [("/health", {}), ("/file", {"Range": "bytes=0-0"})] * 5:
                warm.request("GET", path, headers=headers)
                warm.getresponse().read()
            warm.close()
            time.sleep(0.2)
            result.rss_baseline_kb = read_rss_kb(proc.pid)
            stop = threading.Event()
            watcher = threading.Thread(target=watch, args=(port, proc.pid, result, stop))
            watcher.start()
            started = time.perf_counter()
            try:
                remaining = max(deadline - time.monotonic(), 1.0)
                sizes = asyncio.run(download_all(port, clients, size, remaining))
            finally:
                result.seconds = time.perf_counter() - started
                stop.set()
                watcher.join(15)
            result.clients_ok = sum(1 for n in sizes if n == size)
            peak = read_rss_kb(proc.pid, "VmHWM")
            if peak is not None and result.rss_peak_kb is not None:
                result.rss_peak_kb = max(result.rss_peak_kb, peak)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            if proc.stdout is not None:
                proc.stdout.close()
    return result


def report(result: Result) -> bool:
    """Print the figures; return True when both targets are met."""
    growth = result.rss_growth_mb
    p99 = result.latency_ms(0.99)
    total_mb = result.size_mb * result.clients
    print(
        f"sendfile: {result.size_mb} MB x {result.clients} clients "
        f"({result.clients_ok} complete) in {result.seconds:.2f} s "
        f"= {total_mb / max(result.seconds, 1e-9):.0f} MB/s"
    )
    if growth is None:
        print("server RSS growth: n/a (needs /proc)")
        memory_ok = True
    else:
        memory_ok = growth < RSS_TARGET_MB
        print(
            f"server RSS growth: {growth:.1f} MB (baseline {result.rss_baseline_kb} KiB, "
            f"peak {result.rss_peak_kb} KiB; target < {RSS_TARGET_MB:.0f} MB) "
            f"{'OK' if memory_ok else 'MISSED'}"
        )
    median = statistics.median(result.health_latencies) * 1000 if result.health_latencies else 0
    latency_ok = p99 < P99_TARGET_MS
    print(
        f"/health during transfer: {result.health_requests} requests, p50 {median:.1f} ms, "
        f"p99 {p99:.1f} ms, max {result.latency_ms(1.0):.1f} ms "
        f"(target p99 < {P99_TARGET_MS:.0f} ms) {'OK' if latency_ok else 'MISSED'}"
    )
    return memory_ok and latency_ok and result.clients_ok == result.clients


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--serve", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return 0
    return 0 if report(run(args.size_mb, args.clients, args.timeout)) else 1


if __name__ == "__main__":
    sys.exit(main())
