"""Worker threads for sync (`def`) views, hooks and handlers.

Flask code assumes that everything one request runs happens on one thread: a
`sqlite3` connection opened in a view and kept in `g` is closed by a
`teardown_appcontext` function, and sqlite refuses to be used from another
thread. So a request checks out one worker thread the first time it needs one,
runs all of its sync callables there, and gives it back when it ends. Requests
made only of `async def` functions never touch this module.

The pool is not bound to an event loop: results are handed back with
`loop.call_soon_threadsafe`, so it serves the server's loop and the private
loops of the sync test client alike.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import queue
import threading
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

T = TypeVar("T")

_Job = tuple[
    "asyncio.Future[Any]",
    asyncio.AbstractEventLoop,
    contextvars.Context,
    Callable[..., Any],
    tuple[Any, ...],
    dict[str, Any],
]


#: What a worker thread is running now: the job's event loop and the worker.
_current = threading.local()

#: Put on a worker's queue to wake it while it waits in `serve_until`.
_WAKE: Any = object()


def current_job() -> tuple[asyncio.AbstractEventLoop, Worker] | None:
    """The loop and worker of the job this thread runs, when it is a worker thread."""
    return getattr(_current, "job", None)


def _deliver(fut: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if fut.done():  # the waiting request was cancelled meanwhile
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


class Worker:
    """One daemon thread that runs submitted callables in order."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._main, name=name, daemon=True)
        self.thread.start()

    def _main(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if job is not _WAKE:
                self._run_job(job)
            del job

    def _run_job(self, job: _Job) -> None:
        fut, loop, ctx, func, args, kwargs = job
        outer = getattr(_current, "job", None)
        _current.job = (loop, self)
        try:
            result = ctx.run(func, *args, **kwargs)
        except BaseException as exc:  # handed to the awaiting request
            ok, value = False, exc
        else:
            ok, value = True, result
        finally:
            _current.job = outer
        try:
            loop.call_soon_threadsafe(_deliver, fut, ok, value)
        except RuntimeError:  # the loop was closed while we worked
            pass

    def serve_until(self, done: concurrent.futures.Future[Any]) -> None:
        """Run jobs sent to this worker until `done` completes (called on its own thread).

        Sync code on this thread that waits for a coroutine on the loop calls
        this instead of blocking: the coroutine may need this very thread (a
        `def` handler of the same request), and it gets it.
        """
        done.add_done_callback(lambda _: self._jobs.put(_WAKE))
        while not done.done():
            job = self._jobs.get()
            if job is None:  # stopping: let the main loop see it after this wait
                self._jobs.put(None)
                done.result()
                return
            if job is not _WAKE:
                self._run_job(job)

    async def run(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `func(*args, **kwargs)` on this thread in a copy of the current context."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._jobs.put((fut, loop, contextvars.copy_context(), func, args, kwargs))
        return await fut

    def stop(self) -> None:
        self._jobs.put(None)


class WorkerPool:
    """A bounded set of `Worker` threads, checked out one per request.

    When all `max_workers` threads are taken, `acquire` waits (without blocking
    the event loop) until a request gives one back, so more concurrent sync
    views than threads queue instead of deadlocking.
    """

    def __init__(self, max_workers: int = 100) -> None:
        if max_workers < 1:
            raise ValueError("WorkerPool needs max_workers >= 1.")
        self.max_workers = max_workers
        self._lock = threading.Lock()
        self._idle: list[Worker] = []
        self._count = 0
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[Worker]]] = deque()

    async def acquire(self) -> Worker:
        """Return an idle worker, start a new one, or wait for one to be released."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
            if self._count < self.max_workers:
                self._count += 1
                return Worker(f"aioflask-worker-{self._count}")
            loop = asyncio.get_running_loop()
            fut: asyncio.Future[Worker] = loop.create_future()
            self._waiters.append((loop, fut))
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release(fut.result())
            raise

    def release(self, worker: Worker) -> None:
        """Give `worker` back: to the longest waiting request, or to the idle set."""
        with self._lock:
            while self._waiters:
                loop, fut = self._waiters.popleft()
                if fut.done():
                    continue
                try:
                    loop.call_soon_threadsafe(self._hand_over, fut, worker)
                except RuntimeError:  # that loop is closed; try the next waiter
                    continue
                return
            self._idle.append(worker)

    def _hand_over(self, fut: asyncio.Future[Worker], worker: Worker) -> None:
        if fut.done():
            self.release(worker)
        else:
            fut.set_result(worker)


default_pool = WorkerPool()


def _run_coro_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code (a `with` block, a `def` view).

    On a worker thread the coroutine runs on the loop of the request that
    sent the job, in the caller's context, and the thread keeps serving that
    request's sync calls meanwhile (`Worker.serve_until`).
    """
    job = current_job()
    if job is not None:
        loop, worker = job
        if not loop.is_closed():
            done = asyncio.run_coroutine_threadsafe(coro, loop)
            worker.serve_until(done)
            return done.result()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from sync code inside a running loop: use a private loop on a thread.
    import threading

    box: dict[str, Any] = {}
    # A new thread starts with empty context variables: run the private loop in
    # a copy of the caller's, so the coroutine sees `current_app`, `g`, `request`.
    context = contextvars.copy_context()

    def target() -> None:
        try:
            box["value"] = context.run(asyncio.run, coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return cast(T, box["value"])
