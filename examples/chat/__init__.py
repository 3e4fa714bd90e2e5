"""A small chat app over WebSockets; see `examples/chat/app.py` and `docs/websockets.md`."""
