"""SQL storage (SQLite by default, PostgreSQL by URL) and its schema migrations."""
