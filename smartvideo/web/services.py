"""What the views share, made once per app: config, the job lifecycle, the link resolver.

The web layer only reads from below it: `jobs.lifecycle.RenderJobs` starts and follows renders
(the same object the CLI and campaigns use), `links.LinkResolver` turns tokens into links.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from smartvideo.config import AppConfig
from smartvideo.jobs.lifecycle import RenderJobs
from smartvideo.jobs.runners import JobRunner
from smartvideo.links import LinkResolver
from smartvideo.render.renderer import Renderer


class Services:
    def __init__(self, config: AppConfig, runner: JobRunner | None = None):
        self.config = config
        self.renders = RenderJobs.from_config(config, runner)
        self.engine = self.renders.engine
        self.links = LinkResolver(self.engine, config.secret_key)
        self.view_notifier = None
        if config.analytics_webhook_url:  # finished/abandoned views POSTed by a thread of their own
            from smartvideo.analytics.webhook import ViewNotifier, WebhookSettings

            settings = WebhookSettings(config.analytics_webhook_url, config.analytics_webhook_secret)
            self.view_notifier = ViewNotifier(self.engine, settings).start()

    @property
    def renderer(self) -> Renderer:
        """The process's renderer, made on first use (embedded jobs and previews share it)."""
        return self.renders.renderer

    @property
    def locks(self):  # noqa: ANN201 - JobLocks
        return self.renders.locks

    @property
    def runner(self) -> JobRunner:
        return self.renders.runner

    @property
    def mode(self) -> str:
        return self.renders.mode

    # ---- health -----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Each part answers or says why not: SQL, locks (Redis in scaled mode), the runner, disk."""
        from sqlalchemy import text

        checks: dict[str, Any] = {}
        for name, probe in (("database", lambda: self._probe_sql(text)), ("locks", self.locks.ping),
                            ("queue", self.runner.ping), ("media", self._probe_media)):
            try:
                checks[name] = "ok" if probe() else "failing"
            except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
                checks[name] = f"failing: {type(exc).__name__}"
        return {"status": "ok" if all(v == "ok" for v in checks.values()) else "failing", "mode": self.mode,
                "checks": checks}

    def _probe_sql(self, text: Any) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar_one() == 1

    def _probe_media(self) -> bool:
        self.config.videos_dir.mkdir(parents=True, exist_ok=True)
        return self.config.videos_dir.is_dir()

    def close(self) -> None:
        if self.view_notifier:
            self.view_notifier.stop()
        self.renders.close()


def services() -> Services:
    """The current app's Services."""
    return current_app.extensions["smartvideo"]
