"""Schema versions of the catalog, kept by Alembic.

The migrations live in ``catalog/migrations/versions``. :func:`upgrade` applies those a database
lacks, inside the caller's write transaction (which holds the whole catalog). Commands work only
on a catalog at :data:`SCHEMA_REVISION`; ``labelcollections catalog upgrade`` brings an older
one there. Catalogs made before the migrations existed are *unversioned*: being an index of the
stores, they are dropped and rebuilt from them.
"""

from __future__ import annotations

from enum import Enum

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from labelcollections.catalog.tables import ALL_TABLES

SCHEMA_REVISION = "0005"
"""The revision this version of labelcollections reads and writes (the newest migration)."""
SCRIPT_LOCATION = "labelcollections.catalog:migrations"
RETIRED_TABLES = ("label_classes",)
"""Tables that earlier revisions had and later ones dropped: an unversioned catalog may hold
them (children of the current tables, so they go first)."""


class SchemaState(Enum):
    EMPTY = "empty"
    UNVERSIONED = "made before schema versions"
    BEHIND = "older"
    CURRENT = "current"
    AHEAD = "newer than this labelcollections"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def revisions() -> list[str]:
    """Every known revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def schema_state(connection: Connection) -> SchemaState:
    revision = current_revision(connection)
    if revision == SCHEMA_REVISION:
        return SchemaState.CURRENT
    if revision is None:
        known = inspect(connection).has_table(ALL_TABLES[0].name)
        return SchemaState.UNVERSIONED if known else SchemaState.EMPTY
    return SchemaState.BEHIND if revision in revisions() else SchemaState.AHEAD


def upgrade(connection: Connection) -> None:
    """Apply the migrations the database lacks (dropping an unversioned catalog first)."""
    if schema_state(connection) is SchemaState.UNVERSIONED:
        for name in (*RETIRED_TABLES, *(table.name for table in reversed(ALL_TABLES))):
            connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
    command.upgrade(alembic_config(connection), "head")
