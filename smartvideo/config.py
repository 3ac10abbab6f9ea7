"""Application configuration: defaults, then an optional YAML file, then the environment.

One explicit object handed to the web app, the worker and the CLI; nothing is read from module
globals at import time. A production deployment must set its secret; development generates one,
keeps it in the data folder (so links survive restarts) and says so loudly.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from smartvideo.errors import SmartVideoError
from smartvideo.settings import RenderSettings, default_cache_dir, default_data_dir, find_content_root

log = logging.getLogger(__name__)


class ConfigError(SmartVideoError):
    """The configuration is incomplete or wrong; the app refuses to start."""


@dataclass(frozen=True)
class AppConfig:
    env: str = "development"  # development | production
    secret_key: str = ""
    data_dir: Path = Path("smartvideo-data")  # database, rendered videos, outbox (set by load_config)
    content_root: Path | None = None
    cache_dir: Path | None = None
    database_url: str = ""  # default: SQLite file in data_dir
    broker_url: str = ""  # redis://... = scaled mode with Celery; empty = embedded runner
    redis_url: str = ""  # locks and job state; default: broker_url when it is Redis
    public_url: str = "http://127.0.0.1:8000"  # base of the links sent to customers
    link_ttl: str = "7d"
    retention_days: float = 30.0  # rendered videos hold personal data: deleted after this
    render_time_limit: int = 300  # hard limit per render job (seconds)
    analyst_key: str = ""  # key for /reports (header X-Analyst-Key or login)
    analytics_webhook_url: str = ""  # each finished or abandoned view is POSTed here (signed)
    analytics_webhook_secret: str = ""  # HMAC key of the webhook's X-SmartVideo-Signature
    analytics_folder: str = "thread"  # who folds the beacon inbox: a thread of each web process, or
    # "process": `smartvideo analytics-fold --watch` runs beside the web processes
    x264_preset: str = "ultrafast"
    frame_ancestors: str = "'self'"  # CSP sources allowed to embed the pages ("'none'", "https://portal.example")

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def videos_dir(self) -> Path:
        return self.data_dir / "videos"

    @property
    def sql_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'smartvideo.db'}"

    @property
    def lock_redis_url(self) -> str:
        if self.redis_url:
            return self.redis_url
        return self.broker_url if self.broker_url.startswith("redis") else ""

    def render_settings(self) -> RenderSettings:
        cache = self.cache_dir or default_cache_dir()
        return RenderSettings(content_root=find_content_root(self.content_root), cache_dir=cache,
                              work_dir=self.data_dir / "segments", preset=self.x264_preset)

    def with_changes(self, **changes: Any) -> AppConfig:
        return replace(self, **changes)


_ENV = {f.name: "SMARTVIDEO_" + f.name.upper() for f in fields(AppConfig)}


def _coerce(name: str, value: Any) -> Any:
    if name in ("data_dir", "content_root", "cache_dir"):
        return Path(value) if value else None
    if name in ("retention_days",):
        return float(value)
    if name in ("render_time_limit",):
        return int(value)
    return str(value)


def load_config(file: str | Path | None = None, overrides: dict[str, Any] | None = None) -> AppConfig:
    """Defaults < YAML file (SMARTVIDEO_CONFIG) < environment (SMARTVIDEO_*) < overrides."""
    values: dict[str, Any] = {}
    path = file or os.environ.get("SMARTVIDEO_CONFIG")
    if path:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from None
        unknown = set(loaded) - set(_ENV)
        if unknown:
            raise ConfigError(f"{path}: unknown settings {', '.join(sorted(unknown))}")
        values.update(loaded)
    for name, var in _ENV.items():
        if var in os.environ:
            values[name] = os.environ[var]
    values.update(overrides or {})
    values.setdefault("data_dir", default_data_dir())
    config = AppConfig(**{k: _coerce(k, v) for k, v in values.items() if v is not None or k == "content_root"})
    if config.env not in ("development", "production"):
        raise ConfigError(f"SMARTVIDEO_ENV must be development or production, not {config.env!r}")
    if config.analytics_folder not in ("thread", "process"):
        raise ConfigError(f"SMARTVIDEO_ANALYTICS_FOLDER must be thread or process, not {config.analytics_folder!r}")
    if config.analytics_webhook_url and not config.analytics_webhook_secret:
        raise ConfigError("SMARTVIDEO_ANALYTICS_WEBHOOK_SECRET must be set with SMARTVIDEO_ANALYTICS_WEBHOOK_URL "
                          "(the receiver checks the signature)")
    return ensure_secret(config)


def ensure_secret(config: AppConfig) -> AppConfig:
    """Production without a secret is a startup error; development keeps a generated one on disk."""
    if config.secret_key:
        if config.production and len(config.secret_key) < 32:
            raise ConfigError("SMARTVIDEO_SECRET_KEY must be at least 32 characters in production")
        return config
    if config.production:
        raise ConfigError("SMARTVIDEO_SECRET_KEY is not set; production mode refuses to start without it")
    key_file = config.data_dir / "dev-secret-key"
    if key_file.exists():
        key = key_file.read_text().strip()
    else:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
    log.warning("DEVELOPMENT MODE: using a generated secret key from %s; set SMARTVIDEO_SECRET_KEY "
                "(and SMARTVIDEO_ENV=production) before sending links to real customers", key_file)
    return replace(config, secret_key=key)
