"""Alembic's entry point: migrate the connection that ``catalog.schema`` hands over.

The catalog opens the connection itself (with its SQLite settings and locks) and runs the
migrations inside its own transaction, so this file only configures Alembic with it.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
