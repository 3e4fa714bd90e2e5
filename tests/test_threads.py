"""Worker threads for sync callables: one per request, bounded, never deadlocking."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from typing import Any

import httpx
import pytest

from aioflask import Flask, current_app, g, request
from aioflask._threads import Worker, WorkerPool, default_pool
from aioflask.globals import _cv_request


def client_for(app: Flask) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


def wait_idle(pool: WorkerPool, count: int) -> None:
    """Releases are handed over through the loop; give them a moment to land."""
    deadline = time.monotonic() + 1
    while len(pool._idle) < count and time.monotonic() < deadline:
        time.sleep(0.001)


def busy(pool: WorkerPool) -> int:
    """Workers checked out right now (other tests may legitimately hold some)."""
    return pool._count - len(pool._idle)


async def test_pool_queues_more_jobs_than_workers() -> None:
    pool = WorkerPool(max_workers=2)
    running = 0
    peak = 0
    lock = threading.Lock()
    threads: set[int] = set()

    def job(i: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            threads.add(threading.get_ident())
        time.sleep(0.01)
        with lock:
            running -= 1
        return i * 10

    async def one(i: int) -> int:
        worker = await pool.acquire()
        try:
            return await worker.run(job, i)
        finally:
            pool.release(worker)

    results = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(6))), 2)
    assert results == [i * 10 for i in range(6)]
    assert peak <= 2
    assert len(threads) == 2
    assert pool._count == 2
    await asyncio.sleep(0.01)
    assert len(pool._idle) == 2
    for worker in pool._idle:
        worker.stop()


async def test_worker_runs_in_the_callers_context_and_raises() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var")
    var.set("outer")
    worker = Worker("test-worker")
    try:
        assert await worker.run(var.get) == "outer"
        assert await worker.run(lambda: threading.current_thread().name) == "test-worker"

        def fail() -> None:
            raise KeyError("inside")

        with pytest.raises(KeyError, match="inside"):
            await worker.run(fail)

        def setter() -> None:
            var.set("inner")

        await worker.run(setter)
        assert var.get() == "outer"  # the thread works on a copy of the context
        assert await worker.run(lambda a, b=0: a + b, 1, b=2) == 3
    finally:
        worker.stop()


def test_pool_rejects_zero_workers() -> None:
    with pytest.raises(ValueError):
        WorkerPool(max_workers=0)


async def test_cancelled_waiter_does_not_lose_a_worker() -> None:
    pool = WorkerPool(max_workers=1)
    held = await pool.acquire()
    waiter = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    pool.release(held)
    again = await asyncio.wait_for(pool.acquire(), 1)
    assert again is held
    pool.release(again)
    held.stop()


async def test_release_serves_waiters_in_order() -> None:
    pool = WorkerPool(max_workers=1)
    held = await pool.acquire()
    order: list[int] = []

    async def wait(i: int) -> None:
        worker = await pool.acquire()
        order.append(i)
        pool.release(worker)

    tasks = [asyncio.ensure_future(wait(i)) for i in range(3)]
    await asyncio.sleep(0)
    pool.release(held)
    await asyncio.wait_for(asyncio.gather(*tasks), 1)
    assert order == [0, 1, 2]
    held.stop()


async def test_pool_serves_several_event_loops() -> None:
    pool = WorkerPool(max_workers=1)

    def in_other_loop() -> str:
        async def main() -> str:
            worker = await pool.acquire()
            try:
                return await worker.run(lambda: "other")
            finally:
                pool.release(worker)

        return asyncio.run(main())

    worker = await pool.acquire()
    thread_result: list[str] = []
    thread = threading.Thread(target=lambda: thread_result.append(in_other_loop()))
    thread.start()
    await asyncio.sleep(0.01)
    pool.release(worker)  # handed over to the waiter on the other loop
    await asyncio.to_thread(thread.join, 2)
    assert thread_result == ["other"]
    for idle in pool._idle:
        idle.stop()


# -- through the app ------------------------------------------------------------------------


async def test_many_concurrent_sync_views_finish() -> None:
    app = Flask(__name__)

    @app.get("/<int:i>")
    def view(i: int) -> str:
        g.i = i
        time.sleep(0.02)
        return f"{g.i}:{request.path}"

    busy_before = busy(default_pool)
    start = time.monotonic()
    async with client_for(app) as client:
        rs = await asyncio.wait_for(asyncio.gather(*(client.get(f"/{i}") for i in range(50))), 10)
    assert [r.text for r in rs] == [f"{i}:/{i}" for i in range(50)]
    assert time.monotonic() - start < 5
    wait_idle(default_pool, default_pool._count - busy_before)
    assert busy(default_pool) == busy_before  # every worker came back


async def test_more_sync_views_than_workers_queue() -> None:
    app = Flask(__name__)
    app.config["WORKER_THREADS"] = 2
    small = app.worker_pool
    threads: set[int] = set()

    @app.before_request
    def before() -> None:
        g.thread = threading.get_ident()

    @app.get("/")
    def view() -> str:
        assert g.thread == threading.get_ident()
        threads.add(threading.get_ident())
        time.sleep(0.01)
        return "ok"

    async with client_for(app) as client:
        rs = await asyncio.wait_for(asyncio.gather(*(client.get("/") for _ in range(8))), 5)
    assert all(r.text == "ok" for r in rs)
    assert len(threads) <= 2
    wait_idle(small, 2)
    assert len(small._idle) == small._count <= 2
    for worker in small._idle:
        worker.stop()


async def test_worker_is_released_after_errors() -> None:
    app = Flask(__name__)
    app.config["WORKER_THREADS"] = 1
    small = app.worker_pool

    @app.get("/fail")
    def fail() -> str:
        raise RuntimeError("view failed")

    @app.get("/ok")
    def ok() -> str:
        return "ok"

    async with client_for(app) as client:
        for _ in range(3):
            assert (await client.get("/fail")).status_code == 500
        r = await asyncio.wait_for(client.get("/ok"), 2)
    assert r.text == "ok"
    wait_idle(small, 1)
    assert len(small._idle) == 1
    small._idle[0].stop()


async def test_task_outliving_its_request_borrows_a_worker() -> None:
    app = Flask(__name__)
    app.config["WORKER_THREADS"] = 1
    small = app.worker_pool
    tasks: list[asyncio.Task[Any]] = []

    def sync_work() -> str:
        return f"work for {request.path}"

    @app.get("/spawn")
    async def spawn() -> str:
        async def later() -> str:
            await asyncio.sleep(0.01)
            return str(await current_app.ensure_async_call(sync_work))

        tasks.append(asyncio.create_task(later()))
        return "spawned"

    @app.get("/sync")
    def sync_view() -> str:
        return "sync"

    async with client_for(app) as client:
        assert (await client.get("/spawn")).text == "spawned"
        assert await asyncio.wait_for(tasks[0], 1) == "work for /spawn"
        r = await asyncio.wait_for(client.get("/sync"), 1)  # the worker came back
    assert r.text == "sync"
    wait_idle(small, 1)
    assert len(small._idle) == small._count == 1
    small._idle[0].stop()


async def test_sync_callables_in_one_request_concurrently() -> None:
    app = Flask(__name__)
    app.config["WORKER_THREADS"] = 2
    small = app.worker_pool

    def work(i: int) -> int:
        time.sleep(0.005)
        return threading.get_ident()

    @app.get("/")
    async def view() -> dict[str, Any]:
        idents = await asyncio.gather(*(current_app.ensure_async_call(work, i) for i in range(4)))
        return {"threads": len(set(idents)), "has_ctx": _cv_request.get(None) is not None}

    async with client_for(app) as client:
        r = await asyncio.wait_for(client.get("/"), 2)
        assert r.json() == {"threads": 1, "has_ctx": True}
        r = await asyncio.wait_for(client.get("/"), 2)
    wait_idle(small, small._count)
    assert len(small._idle) == small._count
    for worker in small._idle:
        worker.stop()


def test_sync_client_requests_reuse_the_default_pool() -> None:
    app = Flask(__name__)

    @app.get("/")
    def view() -> str:
        return threading.current_thread().name

    busy_before = busy(default_pool)
    client = app.test_client()
    names = {client.get("/").text for _ in range(5)}
    assert all(name.startswith("aioflask-worker-") for name in names)
    wait_idle(default_pool, default_pool._count - busy_before)
    assert busy(default_pool) == busy_before
