"""The Flask application factory: `create_app(test_config=None)`.

Config comes from `load_config` (defaults < SMARTVIDEO_CONFIG YAML < SMARTVIDEO_* environment <
test_config). Each area of the site is a blueprint listed in BLUEPRINTS as "module:attribute".
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from flask import Flask

from smartvideo.config import load_config
from smartvideo.web.request_bodies import StrictJSONProvider
from smartvideo.web.request_log import install_request_log
from smartvideo.web.security_headers import install_security_headers
from smartvideo.web.services import Services

log = logging.getLogger(__name__)

# Areas of the site; other areas append theirs ("smartvideo.web.analytics:bp", ...).
BLUEPRINTS = ["smartvideo.web.player:bp", "smartvideo.web.agents:bp", "smartvideo.web.analytics:bp",
              "smartvideo.web.brand:bp"]
# Always on, whatever the areas: the ops health check.
CORE_BLUEPRINTS = ["smartvideo.web.health:bp"]

STATIC = Path(__file__).resolve().parent / "static"


def _import_blueprint(spec: str) -> Any:
    module, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module), attribute or "bp")


def log_at_info() -> None:
    """Request and render lines at INFO by default, under `smartvideo serve`, gunicorn or flask.

    A level or handler the host already set (gunicorn's --log-config, `-v`, pytest) is kept.
    """
    package = logging.getLogger("smartvideo")
    if package.level == logging.NOTSET:
        package.setLevel(logging.INFO)
    if not logging.getLogger().handlers and not package.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        package.addHandler(handler)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    log_at_info()
    config = load_config(overrides=test_config)
    templates = config.render_settings().content_root / "templates"
    app = Flask("smartvideo", template_folder=str(templates), static_folder=str(STATIC),
                static_url_path="/static")
    app.json = StrictJSONProvider(app)
    app.config.update(SECRET_KEY=config.secret_key, SMARTVIDEO=config, JSON_SORT_KEYS=False,
                      SEND_FILE_MAX_AGE_DEFAULT=3600)
    app.extensions["smartvideo"] = Services(config)
    seen: set[str] = set()
    for spec in [*CORE_BLUEPRINTS, *BLUEPRINTS]:
        if spec in seen:  # tolerate an area listed twice while the list grows
            continue
        seen.add(spec)
        app.register_blueprint(_import_blueprint(spec))
    from smartvideo.web.error_pages import register_error_pages

    register_error_pages(app)
    install_security_headers(app, config.frame_ancestors)
    install_request_log(app)
    log.info("SmartVideo web app (%s mode, %s)", app.extensions["smartvideo"].mode, config.env)
    return app
