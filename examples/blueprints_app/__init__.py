"""A small blog built from blueprints: an app factory, `auth` and `blog` blueprints.

Run it with `uvicorn --factory examples.blueprints_app:create_app`. The
default settings come from `settings.json` beside this file; a `config.py` in
the instance folder (e.g. with a real `SECRET_KEY`) overrides them. Posts and
users live in a SQLite file in the instance folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from aioflask import Flask

from . import db


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: load the config, set up the database, register the blueprints.

    `test_config` replaces the instance `config.py`, so tests can point
    `DATABASE` at a temporary file and set `TESTING`.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_file(os.path.join(app.root_path, "settings.json"), load=json.load)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # relative to the instance folder
    else:
        app.config.from_mapping(test_config)
    app.config.setdefault("DATABASE", os.path.join(app.instance_path, app.config["DATABASE_NAME"]))

    db.init_app(app)

    from .auth import bp as auth_bp
    from .blog import bp as blog_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(blog_bp)
    # The blog is the front page: "/" is also known as "index".
    app.add_url_rule("/", endpoint="index")

    @app.get("/hello")
    async def hello() -> str:
        return "Hello, World!"

    return app
