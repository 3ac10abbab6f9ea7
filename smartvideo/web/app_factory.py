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
from smartvideo.web.services import Services

log = logging.getLogger(__name__)

# Areas of the site; other areas append theirs ("smartvideo.web.analytics:bp", ...).
BLUEPRINTS = ["smartvideo.web.player:bp", "smartvideo.web.agents:bp", "smartvideo.web.analytics:bp"]
# Always on, whatever the areas: the ops health check.
CORE_BLUEPRINTS = ["smartvideo.web.health:bp"]

STATIC = Path(__file__).resolve().parent / "static"


def _import_blueprint(spec: str) -> Any:
    module, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module), attribute or "bp")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    config = load_config(overrides=test_config)
    templates = config.render_settings().content_root / "templates"
    app = Flask("smartvideo", template_folder=str(templates), static_folder=str(STATIC),
                static_url_path="/static")
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
    services = app.extensions["smartvideo"]
    if services.mode == "embedded":  # scaled mode: the Celery workers learn (jobs/celery_app.py)
        from smartvideo.nba.outcomes import start_learner

        services.learner = start_learner(services.engine, services.renderer.library)
    log.info("SmartVideo web app (%s mode, %s)", app.extensions["smartvideo"].mode, config.env)
    return app
