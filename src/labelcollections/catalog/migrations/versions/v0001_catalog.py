"""The catalog: images, label images, classes, collections, tables, instance summaries.

Revision 0001 as it was released, frozen: later revisions change the tables of
``catalog/tables.py`` with operations of their own, so this one builds the first schema
explicitly.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ordered(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    key = sa.String(64)
    op.create_table(
        "images",
        sa.Column("id", key, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("store", sa.Text, nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("dtype", sa.String(16)),
        sa.Column("shape", sa.Text),
        sa.Column("axes", sa.Text),
        sa.Column("levels", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(80)),
        sa.Column("omero_image_id", sa.BigInteger),
        sa.Column("record", sa.Text, nullable=False),
    )
    op.create_table(
        "collections",
        sa.Column("id", key, primary_key=True),
        sa.Column("image_id", key, sa.ForeignKey("images.id"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("method", sa.String(32)),
        sa.Column("author", sa.Text),
        sa.Column("created", sa.String(40)),
        sa.Column("record", sa.Text, nullable=False),
        sa.UniqueConstraint("image_id", "name"),
    )
    op.create_index("ix_collections_name", "collections", ["name"])
    text = [
        "software", "software_folded", "software_version", "author", "author_folded",
        "model_name", "model_version", "model_sha256", "model_sha256_folded", "training_data",
    ]  # fmt: skip
    op.create_table(
        "label_images",
        sa.Column("id", key, primary_key=True),
        sa.Column("image_id", key, sa.ForeignKey("images.id"), nullable=False),
        sa.Column("image_name", _ordered(128), nullable=False),
        sa.Column("name", _ordered(128), nullable=False),
        sa.Column("version", _ordered(128), nullable=False),
        sa.Column("store_path", sa.Text, nullable=False),
        sa.Column("label_type", sa.String(16), nullable=False),
        sa.Column("dtype", sa.String(16)),
        sa.Column("shape", sa.Text),
        sa.Column("method", sa.String(32), nullable=False),
        *(sa.Column(name, sa.Text) for name in text[:5]),
        sa.Column("created", sa.String(40)),
        *(sa.Column(name, sa.Text) for name in text[5:]),
        sa.Column("reference_hash", sa.String(80)),
        sa.Column("content_hash", sa.String(80)),
        sa.Column("derived_from", key),
        sa.Column("record", sa.Text, nullable=False),
        sa.UniqueConstraint("image_id", "name", "version"),
    )
    order = ["image_name", "name", "version"]
    for name, columns in {
        "order": order,
        "method": ["method", *order],
        "type": ["label_type", *order],
        "version": ["version", "image_name", "name"],
        "name": ["name", "image_name", "version"],
        "software": ["software_folded", *order],
        "author": ["author_folded", *order],
        "model_sha256": ["model_sha256_folded"],
        "derived_from": ["derived_from"],
    }.items():
        op.create_index(f"ix_label_images_{name}", "label_images", columns)
    label = sa.ForeignKey("label_images.id")
    op.create_table(
        "label_classes",
        sa.Column("label_image_id", key, label, primary_key=True),
        sa.Column("value", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("name_folded", sa.Text),
    )
    op.create_index("ix_label_classes_name", "label_classes", ["name_folded", "label_image_id"])
    op.create_table(
        "memberships",
        sa.Column("collection_id", key, sa.ForeignKey("collections.id"), primary_key=True),
        sa.Column("label_image_id", key, sa.ForeignKey("label_images.id"), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_memberships_label_image", "memberships", ["label_image_id"])
    op.create_table(
        "label_tables",
        sa.Column("label_image_id", key, sa.ForeignKey("label_images.id"), primary_key=True),
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
    )
    op.create_table(
        "instance_summaries",
        sa.Column("label_image_id", key, sa.ForeignKey("label_images.id"), primary_key=True),
        sa.Column("instances", sa.BigInteger, nullable=False),
        sa.Column("total_area", sa.BigInteger, nullable=False),
        sa.Column("min_area", sa.BigInteger),
        sa.Column("max_area", sa.BigInteger),
        sa.Column("mean_area", sa.Float),
    )
    op.create_index("ix_instance_summaries_instances", "instance_summaries", ["instances"])
    op.create_index("ix_instance_summaries_mean_area", "instance_summaries", ["mean_area"])
    op.create_table(
        "instance_matches",
        sa.Column("a_id", key, sa.ForeignKey("label_images.id"), primary_key=True),
        sa.Column("b_id", key, sa.ForeignKey("label_images.id"), primary_key=True),
        sa.Column("threshold", sa.Float, primary_key=True),
        sa.Column("a_label", sa.BigInteger, primary_key=True),
        sa.Column("b_label", sa.BigInteger, nullable=False),
        sa.Column("iou", sa.Float, nullable=False),
    )
    op.create_index("ix_instance_matches_b", "instance_matches", ["b_id", "b_label"])
    if sa.inspect(op.get_bind()).has_table("catalog_info"):
        return  # kept when a catalog made before schema revisions is rebuilt: it names the owner
    op.create_table(
        "catalog_info",
        sa.Column("key", key, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "instance_matches", "instance_summaries", "label_tables", "memberships",
        "label_classes", "label_images", "collections", "images", "catalog_info",
    ):  # fmt: skip
        op.drop_table(table)
