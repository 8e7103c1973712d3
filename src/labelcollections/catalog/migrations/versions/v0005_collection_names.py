"""References to collections by name: the collection name index carries the image.

``ix_collections_name`` was (name); it becomes (name, image id), so resolving a collection
reference by ``<name>`` reads the image of each collection of that name from the index and
joins the images by their key, without reading the collections' rows. With the planner's
statistics of a large catalog (a few names shared by every image), SQLite preferred scanning
the whole (image, name) key to a search of an index that lacked the image.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_collections_name", "collections")
    op.create_index("ix_collections_name", "collections", ["name", "image_id"])
    op.execute("ANALYZE collections")  # the planners learn the new index


def downgrade() -> None:
    op.drop_index("ix_collections_name", "collections")
    op.create_index("ix_collections_name", "collections", ["name"])
