"""Alembic migrations of the catalog schema (run through ``labelcollections.catalog.schema``)."""
