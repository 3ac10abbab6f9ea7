"""The agents migration sits beside the other areas' on 0001 and is applied with every head."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from smartvideo.storage.database import engine_for


def test_agent_tables_are_created_with_every_migration_head(tmp_path: Path) -> None:
    engine = engine_for(f"sqlite:///{tmp_path / 'fresh.db'}")
    tables = set(inspect(engine).get_table_names())
    assert {"links", "renders", "agent_keys", "agent_audit_log"} <= tables
    audit_columns = {c["name"] for c in inspect(engine).get_columns("agent_audit_log")}
    assert audit_columns == {
        "id",
        "at",
        "actor",
        "key_id",
        "source",
        "customer_id",
        "story",
        "channel",
        "link_id",
        "outcome",
        "detail",
    }  # ids and outcome only: no record data


def test_the_schema_also_builds_on_postgresql(postgres_url: str) -> None:
    from smartvideo.storage.database import make_engine, upgrade_schema

    engine = make_engine(postgres_url)
    upgrade_schema(engine)
    assert {"agent_keys", "agent_audit_log"} <= set(inspect(engine).get_table_names())
    engine.dispose()
