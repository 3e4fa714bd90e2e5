"""Start servers and commands as subprocesses on 127.0.0.1, bounded in time, for CLI tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

VENV_BIN = Path(sys.executable).parent
AIOFLASK = str(VENV_BIN / "aioflask")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without FLASK_*/AIOFLASK_* settings, plus `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "AIOFLASK_", "PYTEST_"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def run_command(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float = 15,
) -> subprocess.CompletedProcess[str]:
    """Run a short command to completion (bounded by `timeout`) and capture its output."""
    return subprocess.run(
        list(args),
        cwd=cwd,
        env=clean_env(env),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Server:
    """A server process started by `serving_process`: its base URL, process and output."""

    def __init__(self, process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
        self.process = process
        self.base_url = base_url
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serving_process(
    args: Sequence[str],
    cwd: Path,
    port: int,
    env: Mapping[str, str] | None = None,
    path: str = "/",
    timeout: float = 12,
) -> Iterator[Server]:
    """Start a server command, wait until `path` answers on `port`, and stop it afterwards.

    The process gets its own session, so the reloader's or the workers'
    children can be stopped with it: SIGTERM to the process first, then
    SIGKILL to its process group if anything is left.
    """
    log = cwd / f"server-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=clean_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited with {process.returncode}:\n{server.output()}")
            try:
                httpx.get(server.base_url + path, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"server did not answer in time:\n{server.output()}"
                    ) from None
                time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=8)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        try:
            os.killpg(process.pid, signal.SIGKILL)  # leftovers of the group we created
        except (ProcessLookupError, PermissionError):
            pass
