"""The SQL edge: engines, the shared MetaData, and schema migrations run with Alembic.

Each area keeps its tables in its own module on `metadata` (links, analytics, agents) and its own
migration in `migrations/versions`; `upgrade_schema` applies all heads.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event

metadata = MetaData()
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    # WAL lets the web app read while a worker writes; a busy timeout instead of "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """A new engine for url (SQLite files get WAL and a busy timeout)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def upgrade_schema(engine: Engine) -> None:
    """Bring the database to the newest schema (every migration head)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")


def engine_for(url: str) -> Engine:
    """One migrated engine per URL per process."""
    with _lock:
        if url not in _engines:
            engine = make_engine(url)
            upgrade_schema(engine)
            _engines[url] = engine
        return _engines[url]
