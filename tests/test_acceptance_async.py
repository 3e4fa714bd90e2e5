"""Acceptance criteria of issues 4 and 5 that other test files did not pin down on their own.

Each test is named after the criterion it checks. Where the network or the
process model matters, the app runs on a real uvicorn on 127.0.0.1: in a
thread (`tests.serving`) or as a subprocess (`tests.processes`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect

from aioflask import Flask, websocket
from aioflask._threads import default_pool
from tests.processes import AIOFLASK, free_port, run_command, serving_process
from tests.serving import serve


def write(path: Path, source: str) -> Path:
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


# -- issue 4: the command -----------------------------------------------------------------------

ENV_APP = """
    from aioflask import Flask

    app = Flask(__name__)

    @app.route("/")
    def index():
        return f"debug={app.debug}"

    @app.route("/boom")
    async def boom():
        raise ValueError("<b>bad</b>")
    """


def test_python_m_aioflask_run_honours_flask_app_and_flask_debug(tmp_path: Path) -> None:
    """`python -m aioflask run` finds the app by FLASK_APP and turns debug on by FLASK_DEBUG."""
    write(tmp_path / "envapp.py", ENV_APP)
    port = free_port()
    args = [sys.executable, "-m", "aioflask", "run", "--port", str(port), "--no-reload"]
    env = {"FLASK_APP": "envapp", "FLASK_DEBUG": "1"}
    with serving_process(args, tmp_path, port, env=env) as server:
        index = httpx.get(server.base_url + "/", timeout=5)
        page = httpx.get(server.base_url + "/boom", timeout=5)
    assert server.process.returncode is not None  # stopped
    assert (index.status_code, index.text) == (200, "debug=True")
    assert page.status_code == 500
    assert "ValueError" in page.text and "&lt;b&gt;bad&lt;/b&gt;" in page.text
    assert "<b>bad" not in page.text
    output = server.output()
    assert " * Serving aioflask app 'envapp'" in output
    assert " * Debug mode: on" in output


SCRIPT_APP = """
    import sys
    from aioflask import Flask

    app = Flask(__name__)

    @app.route("/")
    def index():
        return "version one"

    @app.route("/boom")
    def boom():
        raise KeyError("<i>missing</i>")

    if __name__ == "__main__":
        app.run(debug=True, port=int(sys.argv[1]), load_dotenv=False)
    """


def test_app_run_debug_shows_the_traceback_page_and_reloads_on_code_change(
    tmp_path: Path,
) -> None:
    """`python script.py` with `app.run(debug=True)`, as a subprocess on a real port."""
    script = write(tmp_path / "devscript.py", SCRIPT_APP)
    port = free_port()
    args = [sys.executable, str(script), str(port)]
    with serving_process(args, tmp_path, port) as server:
        page = httpx.get(server.base_url + "/boom", timeout=5)
        changed = script.read_text().replace("version one", "version two")
        seen = ""
        for attempt in range(100):  # bounded: about 10 s
            if attempt % 20 == 0:  # (re)write until the watcher has seen it
                script.write_text(changed)
            try:
                seen = httpx.get(server.base_url + "/", timeout=1).text
            except httpx.TransportError:
                seen = ""
            if seen == "version two":
                break
            time.sleep(0.1)
    assert page.status_code == 500
    assert "KeyError" in page.text and "&lt;i&gt;missing&lt;/i&gt;" in page.text
    assert "<i>missing" not in page.text
    assert seen == "version two"


# -- issue 5: lifespan --------------------------------------------------------------------------

FAILING_STARTUP = """
    from aioflask import Flask

    app = Flask(__name__)

    @app.before_serving
    async def connect():
        raise ConnectionError("database unreachable at db.internal:5432")

    @app.route("/")
    def index():
        return "never served"
    """


@pytest.mark.parametrize("command", ["uvicorn", "aioflask run"])
def test_failure_at_startup_makes_the_server_refuse_to_start_with_the_error_shown(
    tmp_path: Path, command: str
) -> None:
    write(tmp_path / "failing.py", FAILING_STARTUP)
    port = free_port()
    if command == "uvicorn":
        args = [sys.executable, "-m", "uvicorn", "failing:app", "--port", str(port)]
    else:
        args = [AIOFLASK, "--app", "failing", "run", "--port", str(port)]
    env = {"PYTHONPATH": str(tmp_path)}
    started = time.monotonic()
    result = run_command(args, tmp_path, env=env, timeout=15)
    assert time.monotonic() - started < 15
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "ConnectionError: database unreachable at db.internal:5432" in output
    assert "Application startup failed" in output
    assert "Uvicorn running on" not in output


WORKER_APP = """
    import os
    from aioflask import Flask, current_app

    app = Flask(__name__)
    LOG = os.environ["LIFESPAN_LOG"]

    def note(event):
        with open(LOG, "a") as f:
            f.write(f"{event} {os.getpid()} {current_app.name}\\n")

    @app.before_serving
    async def start():
        note("start")

    @app.after_serving
    def stop():
        note("stop")

    @app.route("/")
    def index():
        return str(os.getpid())
    """


def test_before_and_after_serving_run_once_per_worker_process(tmp_path: Path) -> None:
    write(tmp_path / "lifeapp.py", WORKER_APP)
    log = tmp_path / "lifespan.log"
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "lifeapp:app", "--workers", "2"]
    args += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    env = {"PYTHONPATH": str(tmp_path), "LIFESPAN_LOG": str(log)}
    with serving_process(args, tmp_path, port, env=env):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if log.exists() and log.read_text().count("start ") == 2:
                break
            time.sleep(0.05)
    lines = [line.split() for line in log.read_text().splitlines()]
    starts = sorted(pid for event, pid, _ in lines if event == "start")
    stops = sorted(pid for event, pid, _ in lines if event == "stop")
    assert len(starts) == 2 and len(set(starts)) == 2, lines  # once in each worker
    assert stops == starts, lines  # and once more at each worker's shutdown
    assert {name for _, _, name in lines} == {"lifeapp"}  # inside an app context


# -- issue 5: background tasks on a real server -------------------------------------------------


async def test_tasks_running_at_shutdown_are_awaited_up_to_the_timeout_then_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0.3
    events: list[str] = []

    async def quick() -> None:
        await asyncio.sleep(0.1)
        events.append("quick done")

    async def stuck() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            events.append("stuck cancelled")
            raise

    def failing() -> None:
        raise LookupError("task failed after the response")

    @app.after_serving
    def closing() -> None:
        events.append("after_serving")

    @app.get("/")
    async def view() -> str:
        app.add_background_task(quick)
        app.add_background_task(stuck)
        app.add_background_task(failing)
        return "ok"

    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            assert (await client.get("/")).text == "ok"
        stopping = time.monotonic()
    elapsed = time.monotonic() - stopping
    assert elapsed < 3, f"shutdown took {elapsed:.2f}s"
    assert events == ["quick done", "stuck cancelled", "after_serving"]
    assert not app.background_tasks
    errors = [r for r in caplog.records if r.name == app.logger.name and r.exc_info]
    assert len(errors) == 1  # logged once, with its traceback: never lost silently
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is LookupError
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("BACKGROUND_TASK_SHUTDOWN_TIMEOUT" in m for m in warnings)


# -- issue 5: concurrency -----------------------------------------------------------------------


async def test_more_concurrent_sync_views_than_worker_threads_queue_without_deadlock() -> None:
    """Half as many sync views again as the default pool has threads, on a real server."""
    workers = default_pool.max_workers
    count = workers + workers // 2
    app = Flask(__name__)
    inside = 0
    peak = 0
    lock = threading.Lock()

    @app.get("/slow/<int:n>")
    def slow(n: int) -> str:
        nonlocal inside, peak
        with lock:
            inside += 1
            peak = max(peak, inside)
        time.sleep(0.15)
        with lock:
            inside -= 1
        return str(n)

    @app.get("/health")
    async def health() -> str:
        return "ok"

    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
    with serve(app) as base:
        async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as client:
            slow_calls = asyncio.gather(*(client.get(f"/slow/{n}") for n in range(count)))
            slow_future = asyncio.ensure_future(slow_calls)
            await asyncio.sleep(0.05)
            latencies: list[float] = []
            for _ in range(3):
                t0 = time.perf_counter()
                assert (await client.get("/health")).text == "ok"
                latencies.append(time.perf_counter() - t0)
                await asyncio.sleep(0.02)
            responses = await asyncio.wait_for(slow_future, 10)
    assert [r.text for r in responses] == [str(n) for n in range(count)]
    # The loop stays free: the async view never waits for a thread.
    assert min(latencies) < 0.1, f"/health took {latencies} while sync views queued"
    assert peak <= workers  # the extra views queued for a thread ...
    assert peak >= workers // 2  # ... while the others ran side by side


# -- issue 5: websockets served by uvicorn[standard] --------------------------------------------


async def test_websockets_are_served_by_the_uvicorn_standard_implementation() -> None:
    app = Flask(__name__)
    # What `--ws auto` (the default) picks once `uvicorn[standard]` is installed.
    config = uvicorn.Config(app, ws="auto")
    config.load()
    assert config.ws_protocol_class is not None
    assert config.ws_protocol_class.__module__.startswith("uvicorn.protocols.websockets.websockets")

    @app.websocket("/ws/<int:room>")
    async def echo(room: int) -> None:
        await websocket.accept()
        data = await websocket.receive_json()
        await websocket.send_json({"room": room, "echo": data})
        await websocket.close(4000, "done")

    with serve(app, ws="websockets-sansio") as base:
        url = base.replace("http://", "ws://") + "/ws/7"
        async with connect(url, proxy=None, open_timeout=5, close_timeout=2) as ws:
            await ws.send(json.dumps({"x": 1}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            await asyncio.wait_for(ws.wait_closed(), 5)
    assert reply == {"room": 7, "echo": {"x": 1}}
    assert ws.close_code == 4000 and ws.close_reason == "done"


def test_uvicorn_standard_is_a_dependency() -> None:
    """The extra that brings the `websockets` implementation uvicorn serves them with."""
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    assert '"uvicorn[standard]' in pyproject.read_text(encoding="utf-8")
