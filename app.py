"""WSGI entry point for scaled mode.

    flask --app app run
    gunicorn 'app:create_app()' --workers 2 --threads 8

Config from SMARTVIDEO_* variables (and SMARTVIDEO_CONFIG, a YAML file); see docs/delivery.md.
"""

from smartvideo.web.app_factory import create_app

__all__ = ["create_app"]


def __getattr__(name: str):  # noqa: ANN202
    # `gunicorn app:app` (and `flask --app app`) ask for `app`: build it on that first request for
    # it, not at import, so importing this module reads no configuration.
    if name in ("app", "application"):
        return create_app()
    raise AttributeError(name)
