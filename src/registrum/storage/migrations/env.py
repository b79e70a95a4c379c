"""Alembic environment: runs on the engine the application hands over."""

from __future__ import annotations

from alembic import context

from registrum.storage.tables import in_models, metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=in_models,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes may start at once (workers, replicas): one migrates, the
            # others wait and then find nothing to do. PostgreSQL's DDL is transactional.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7270104)")
        context.run_migrations()
    connection.commit()
