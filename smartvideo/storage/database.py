"""The SQL edge: engines, the shared MetaData, and schema migrations run with Alembic.

Each area keeps its tables in its own module on `metadata` (links, analytics, agents) and its own
migration in `migrations/versions`; `upgrade_schema` applies all heads.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event, text

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


# pg_advisory_xact_lock key: "smartvid" in ASCII, so other applications' locks do not collide.
MIGRATION_LOCK_KEY = 0x736D617274766964


@contextlib.contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """An exclusive lock file next to the SQLite database, held while it migrates."""
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    import fcntl

    lock_path = Path(database).with_name(Path(database).name + ".migrate.lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade_schema(engine: Engine) -> None:
    """Bring the database to the newest schema (every migration head), one process at a time.

    N web processes starting together on an empty database would otherwise each create the
    tables (SQLite: "table links already exists"; PostgreSQL: a UniqueViolation on
    alembic_version). PostgreSQL serialises them with a transaction-scoped advisory lock, SQLite
    with a lock file; whoever comes second finds the schema current and does nothing.
    """
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    postgres = engine.dialect.name == "postgresql"
    with contextlib.ExitStack() as stack:
        if engine.dialect.name == "sqlite":
            stack.enter_context(_sqlite_file_lock(engine))
        connection = stack.enter_context(engine.begin())
        if postgres:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
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
