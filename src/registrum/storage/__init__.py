"""Storage adapter: SQLAlchemy 2 on SQLite (default, WAL) and PostgreSQL."""
