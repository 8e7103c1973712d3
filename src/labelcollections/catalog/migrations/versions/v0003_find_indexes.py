"""Faster ``find`` on large catalogs: class names keyed in listing order, covering indexes.

- ``label_class_names`` (folded class name, image name, label name, version → label image)
  replaces ``label_classes``: the label images with a class are one ordered range of its key,
  so the first page of a class is an index walk, and a class joins ``label_images`` on the
  listing order. Its rows are those of ``label_classes``, each folded name once per label
  image (the class values and names stay in the label images' records).
- Every ``find`` index of ``label_images`` continues with the provenance columns that filters
  combine most (method, type, software and its version, author), so a combination of filters is
  checked inside the index that leads, without reading table rows.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ORDER = ["image_name", "name", "version"]
CARRIED = ["method", "label_type", "software_folded", "software_version", "author_folded"]
FIND_INDEXES = {
    "order": [],
    "method": ["method"],
    "type": ["label_type"],
    "version": ["version", "image_name", "name"],
    "name": ["name", "image_name", "version"],
    "software": ["software_folded"],
    "author": ["author_folded"],
    "model_sha256": ["model_sha256_folded"],
}
"""The leading columns of each ``ix_label_images_<name>``."""


def _ordered(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _listing(leading: list[str]) -> list[str]:
    """The leading columns, then the listing order (as revision 0001 made the indexes)."""
    return leading + [column for column in ORDER if column not in leading]


def _covering(leading: list[str]) -> list[str]:
    keys = _listing(leading)
    return keys + [column for column in CARRIED if column not in keys]


def _int64(value: int) -> int:
    """A label value as a signed 64-bit column holds it: uint64 values from 2**63 wrap."""
    return value - 2**64 if value >= 2**63 else value


def upgrade() -> None:
    op.create_table(
        "label_class_names",
        sa.Column("name_folded", sa.Text, primary_key=True),
        sa.Column("image_name", _ordered(128), primary_key=True),
        sa.Column("label_name", _ordered(128), primary_key=True),
        sa.Column("version", _ordered(128), primary_key=True),
        sa.Column(
            "label_image_id", sa.String(64), sa.ForeignKey("label_images.id"), nullable=False
        ),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_label_class_names_label_image", "label_class_names", ["label_image_id"])
    op.execute(
        "INSERT INTO label_class_names (name_folded, image_name, label_name, version,"
        " label_image_id) SELECT DISTINCT c.name_folded, l.image_name, l.name, l.version, l.id"
        " FROM label_classes c JOIN label_images l ON l.id = c.label_image_id"
        " WHERE c.name_folded IS NOT NULL"
    )
    op.drop_table("label_classes")
    for name, leading in FIND_INDEXES.items():
        op.drop_index(f"ix_label_images_{name}", "label_images")
        op.create_index(f"ix_label_images_{name}", "label_images", _covering(leading))
    for table in ("label_images", "label_class_names"):  # the planners learn the new indexes
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    """Back to revision 0002: ``label_classes`` is filled again from the label images'
    records (class values and names), folded as the writer folds them."""
    for name, leading in FIND_INDEXES.items():
        op.drop_index(f"ix_label_images_{name}", "label_images")
        columns = leading if name == "model_sha256" else _listing(leading)
        op.create_index(f"ix_label_images_{name}", "label_images", columns)
    classes = op.create_table(
        "label_classes",
        sa.Column("label_image_id", sa.String(64), sa.ForeignKey("label_images.id"),
                  primary_key=True),
        sa.Column("value", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("name_folded", sa.Text),
    )  # fmt: skip
    op.create_index("ix_label_classes_name", "label_classes", ["name_folded", "label_image_id"])
    records = op.get_bind().execute(sa.text("SELECT id, record FROM label_images"))
    rows = [
        {"label_image_id": identifier, "value": _int64(c["value"]), "name": c.get("name"),
         "name_folded": c["name"].casefold() if c.get("name") is not None else None}
        for identifier, record in records
        for c in json.loads(record).get("label_schema", {}).get("classes", [])
    ]  # fmt: skip
    if rows:
        op.bulk_insert(classes, rows)
    op.drop_table("label_class_names")
