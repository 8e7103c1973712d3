"""The catalog: images, label images, classes, collections, tables, instance summaries.

Revision 0001 creates the tables of ``catalog/tables.py`` as they are at this revision. The
next revision that changes the schema writes its changes as operations here (``op.add_column``,
``op.create_index`` …) and freezes this one into explicit ``op.create_table`` calls first; the
migration tests fail until it does, since a fresh database would get the change twice.
"""

from __future__ import annotations

from alembic import op

from labelcollections.catalog.tables import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
