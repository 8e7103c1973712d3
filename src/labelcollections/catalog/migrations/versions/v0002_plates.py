"""HCS plates: where each field image sits (plate, well, field) and the plates' records."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("images") as images:
        images.add_column(sa.Column("plate", sa.String(128)))
        images.add_column(sa.Column("well", sa.String(64)))
        images.add_column(sa.Column("field", sa.Integer))
    op.create_index("ix_images_plate", "images", ["plate", "well", "field"])
    op.create_table(
        "plates",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("record", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("plates")
    op.drop_index("ix_images_plate", "images")
    with op.batch_alter_table("images") as images:
        for column in ("field", "well", "plate"):
            images.drop_column(column)
