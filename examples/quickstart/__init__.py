"""Flask's quickstart, in two apps.

- `basics.py`: routing, variable rules, URL building, HTTP methods, the
  request object, responses, redirects, errors and JSON. Serve it with
  `uvicorn examples.quickstart.basics:app --port 5000`.
- `app.py`: templates, sessions (login/logout), message flashing, file
  uploads and a static stylesheet. Serve it with
  `uvicorn examples.quickstart.app:app --port 5000`.
"""
