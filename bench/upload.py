"""Upload large bodies to a real uvicorn; measure the server's memory and its latency meanwhile.

    python bench/upload.py            # 100 MB multipart upload, 1 GB streamed upload
    python bench/upload.py --quick    # 20 MB and 100 MB, a few seconds

The server runs in a subprocess (this script with `--serve FD`) on a
127.0.0.1 socket the parent opened, so its resident memory can be sampled
from `/proc/<pid>/status` with nothing of the client's mixed in. Three runs:

1. **multipart**: a file sent as `multipart/form-data` to a `def` view that
   saves `request.files["file"]` to a temporary folder. aioflask parses the
   body as it arrives and spools the file to disk in a worker thread.
   Target: RSS growth of a few MB (not the size of the file).
2. **health latency** during that upload: a thread asks `GET /health` in a
   loop. Target: p99 below 100 ms.
3. **stream**: a body sent to a `stream_body=True` route whose `async def`
   view writes `request.stream()` to disk in 1 MiB batches. Target: RSS growth
   of a few MB.

Memory figures need Linux's `/proc`. The whole run is bounded by `--timeout`
seconds (default 90); the client sends with plain sockets so that it costs
little CPU.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

RSS_TARGET_MB = 16.0
P99_TARGET_MS = 100.0
BLOCK = 1024 * 1024
BOUNDARY = "aioflask-bench-boundary"


# -- the server ----------------------------------------------------------------------------------


def make_app(folder: str) -> Any:
    """The app under test; uploads are written below `folder` and deleted at once."""
    from starlette.concurrency import run_in_threadpool

    from aioflask import Flask, request
    from aioflask.utils import secure_filename

    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = None

    @app.get("/health")
    async def health() -> str:
        return "ok"

    @app.post("/upload")
    def upload() -> str:
        f = request.files["file"]
        path = os.path.join(folder, secure_filename(f.filename or "upload"))
        f.save(path)
        size = os.path.getsize(path)
        os.remove(path)
        return str(size)

    @app.post("/stream", stream_body=True)
    async def stream() -> str:
        path = os.path.join(folder, "streamed.bin")
        size = 0
        batch: list[bytes] = []
        batched = 0
        with open(path, "wb") as out:
            async for chunk in request.stream():
                batch.append(chunk)
                batched += len(chunk)
                if batched >= BLOCK:
                    await run_in_threadpool(out.write, b"".join(batch))
                    size += batched
                    batch, batched = [], 0
            await run_in_threadpool(out.write, b"".join(batch))
            size += batched
        os.remove(path)
        return str(size)

    return app


def serve(fd: int) -> None:
    """Run the app on the listening socket `fd` until killed (the `--serve` mode)."""
    import tempfile

    import uvicorn

    # `socket(fileno=...)` reads the protocol from the descriptor, so asyncio
    # sets TCP_NODELAY on accepted connections (uvicorn's `fd=` option does not,
    # and Nagle's algorithm then adds ~40 ms to every small response).
    sock = socket.socket(fileno=fd)
    with tempfile.TemporaryDirectory() as folder:
        config = uvicorn.Config(make_app(folder), log_level="warning", lifespan="off")
        uvicorn.Server(config).run(sockets=[sock])


# -- the client ----------------------------------------------------------------------------------


def rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class Run:
    """One upload and what was measured while it ran."""

    name: str
    size: int
    status: str = ""
    seconds: float = 0.0
    rss_before_kb: int | None = None
    rss_peak_kb: int | None = None
    latencies: list[float] = field(default_factory=list)

    @property
    def growth_mb(self) -> float | None:
        if self.rss_before_kb is None or self.rss_peak_kb is None:
            return None
        return (self.rss_peak_kb - self.rss_before_kb) / 1024

    def percentile(self, q: float) -> float | None:
        if len(self.latencies) < 2:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def send_upload(port: int, path: str, size: int, multipart: bool, deadline: float) -> str:
    """POST `size` bytes to `path` with a raw socket; return the response's first line and body."""
    block = os.urandom(BLOCK)
    if multipart:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        content_type = f"multipart/form-data; boundary={BOUNDARY}"
    else:
        head, tail, content_type = b"", b"", "application/octet-stream"
    length = len(head) + size + len(tail)
    request_head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(max(1.0, deadline - time.monotonic()))
        sock.sendall(request_head + head)
        left = size
        while left > 0:
            piece = block if left >= BLOCK else block[:left]
            sock.sendall(piece)
            left -= len(piece)
        sock.sendall(tail)
        response = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            response += data
    status_line = response.split(b"\r\n", 1)[0].decode("latin-1")
    body = response.split(b"\r\n\r\n", 1)[-1].decode("latin-1")
    return f"{status_line} body={body!r}"


def measure(run: Run, pid: int, port: int, multipart: bool, deadline: float) -> None:
    stop = threading.Event()

    def sample_memory() -> None:
        while not stop.is_set():
            value = rss_kb(pid)
            if value is not None and (run.rss_peak_kb is None or value > run.rss_peak_kb):
                run.rss_peak_kb = value
            stop.wait(0.01)

    def ping_health() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        while not stop.is_set() and time.monotonic() < deadline:
            start = time.perf_counter()
            conn.request("GET", "/health")
            conn.getresponse().read()
            run.latencies.append(time.perf_counter() - start)
            stop.wait(0.01)
        conn.close()

    run.rss_before_kb = rss_kb(pid)
    threads = [threading.Thread(target=sample_memory), threading.Thread(target=ping_health)]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    try:
        path = "/upload" if multipart else "/stream"
        run.status = send_upload(port, path, run.size, multipart, deadline)
    finally:
        run.seconds = time.perf_counter() - start
        stop.set()
        for thread in threads:
            thread.join(5)


def wait_ready(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("The benchmark server did not start in time.")


def run_all(multipart_mb: int, stream_mb: int, timeout: float = 90.0) -> list[Run]:
    """Start the server, run the multipart and the stream upload, stop the server."""
    deadline = time.monotonic() + timeout
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    fd = listener.fileno()
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    server = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--serve", str(fd)],
        pass_fds=(fd,),
        env=env,
    )
    listener.close()
    runs = [Run("multipart", multipart_mb * BLOCK), Run("stream", stream_mb * BLOCK)]
    try:
        wait_ready(port, deadline)
        # Warm up: import paths, the worker thread, the first temporary file.
        send_upload(port, "/upload", BLOCK * 2, True, deadline)
        send_upload(port, "/stream", BLOCK * 2, False, deadline)
        for run in runs:
            measure(run, server.pid, port, run.name == "multipart", deadline)
    finally:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
    return runs


def report(runs: list[Run]) -> list[str]:
    lines = []
    for run in runs:
        growth = run.growth_mb
        grown = "n/a" if growth is None else f"{growth:.1f} MB"
        verdict = "" if growth is None else ("PASS" if growth <= RSS_TARGET_MB else "FAIL")
        mb_s = run.size / BLOCK / run.seconds if run.seconds else 0.0
        lines.append(
            f"{run.name:<9} {run.size // BLOCK:>5} MB in {run.seconds:5.2f} s ({mb_s:6.0f} MB/s)"
            f"  RSS growth {grown:>8} (target <= {RSS_TARGET_MB:.0f} MB) {verdict}"
        )
        p50, p99 = run.percentile(0.5), run.percentile(0.99)
        if p50 is not None and p99 is not None:
            ok = "PASS" if p99 < P99_TARGET_MS else "FAIL"
            lines.append(
                f"{'':<9} /health during it: {len(run.latencies)} requests, p50 {p50:.1f} ms, "
                f"p99 {p99:.1f} ms, max {max(run.latencies) * 1000:.1f} ms "
                f"(target p99 < {P99_TARGET_MS:.0f} ms) {ok}"
            )
        lines.append(f"{'':<9} server answered: {run.status}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 MB and 100 MB uploads")
    parser.add_argument("--multipart-mb", type=int, default=None)
    parser.add_argument("--stream-mb", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve)
        return 0
    multipart_mb = args.multipart_mb or (20 if args.quick else 100)
    stream_mb = args.stream_mb or (100 if args.quick else 1024)
    started = time.perf_counter()
    runs = run_all(multipart_mb, stream_mb, args.timeout)
    for line in report(runs):
        print(line)
    print(f"(measured in {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
