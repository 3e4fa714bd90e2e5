"""Streaming and server-sent events: a clock that ticks in the browser.

    uvicorn examples.streaming:app --port 5000
    open http://127.0.0.1:5000/

`/` is a page whose script opens an `EventSource` on `/clock`; the server
pushes the time every `CLOCK_INTERVAL` seconds. If the connection drops,
the browser reconnects by itself and sends the id of the last event it got
(`Last-Event-ID`), so the tick counter carries on instead of restarting.
`/count` streams plain text from a `def` generator, one line at a time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone

from aioflask import Flask, Response, ServerSentEvent, current_app, request, sse_response, url_for

app = Flask(__name__)
app.config["CLOCK_INTERVAL"] = 1.0

PAGE = """<!doctype html>
<html lang="en">
<title>aioflask clock</title>
<h1>The server's clock: <span id="time">waiting...</span></h1>
<p>Tick <span id="tick">0</span>, sent as a server-sent event.</p>
<script>
  const source = new EventSource("{url}");
  source.addEventListener("tick", (event) => {{
    const data = JSON.parse(event.data);
    document.getElementById("time").textContent = data.time;
    document.getElementById("tick").textContent = event.lastEventId;
  }});
</script>
"""


@app.get("/")
async def index() -> str:
    """The page with the `EventSource` script."""
    return PAGE.format(url=url_for("clock"))


@app.get("/clock")
async def clock() -> Response:
    """An endless event stream; it ends when the browser closes the page."""
    interval = float(current_app.config["CLOCK_INTERVAL"])
    last = request.headers.get("Last-Event-ID", "0")
    start = int(last) if last.isdigit() else 0

    async def ticks() -> AsyncIterator[ServerSentEvent]:
        tick = start
        while True:
            tick += 1
            now = datetime.now(timezone.utc).strftime("%H:%M:%S")
            yield ServerSentEvent({"time": now}, event="tick", id=tick)
            await asyncio.sleep(interval)

    return sse_response(ticks())


@app.get("/count")
def count() -> Response:
    """A plain-text stream from a `def` generator, run on the request's worker thread."""
    upto = request.args.get("to", 5, type=int)

    def numbers() -> Iterator[str]:
        for n in range(1, min(upto, 100) + 1):
            yield f"{n}\n"
            time.sleep(0.05)  # blocking is fine here: this is not the event loop

    return Response(numbers(), mimetype="text/plain")
