"""The second half of Flask's quickstart: templates, sessions, flashing, uploads, static files.

The app is in `app.py`; serve it with

    uvicorn examples.quickstart_app.app:app --port 5000
"""
