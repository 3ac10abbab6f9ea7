"""What the render task needs, built once per process from the AppConfig (web app or worker)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine

from smartvideo.config import AppConfig
from smartvideo.jobs.locks import JobLocks, LocalJobLocks, RedisJobLocks
from smartvideo.render.renderer import Renderer
from smartvideo.storage.database import engine_for


@dataclass
class JobContext:
    config: AppConfig
    engine: Engine
    locks: JobLocks
    _renderer: Renderer | None = field(default=None, repr=False)
    _renderer_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_config(cls, config: AppConfig) -> JobContext:
        url = config.lock_redis_url
        locks: JobLocks = RedisJobLocks(url) if url else LocalJobLocks()
        return cls(config=config, engine=engine_for(config.sql_url), locks=locks)

    @property
    def renderer(self) -> Renderer:
        """One renderer per process, made on first use (it loads the library and voice models)."""
        if self._renderer is None:
            with self._renderer_lock:
                if self._renderer is None:
                    self._renderer = Renderer(self.config.render_settings())
        return self._renderer
