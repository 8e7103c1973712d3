"""Class filters combined with other filters, and software with method, type and version.

- ``label_images.class_names`` lists each label image's case-folded class names between
  separators (``tables.class_list``), filled here from ``label_class_names``. A class filter
  with other filters checks it on the label images those filters leave, instead of probing
  the class index once per candidate. On PostgreSQL the indexes of those filters carry it
  (``INCLUDE``), so the check reads no table rows.
- ``ix_label_images_software_method_type`` (software, method, type, version, then the
  listing order): a tool has many label images, so "cellpose, machine learning, instance, v2"
  is one range of this index rather than a walk through every label image of the tool.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SOFTWARE_INDEX = "ix_label_images_software_method_type"
SOFTWARE_COLUMNS = [
    "software_folded", "method", "label_type", "version", "image_name", "name",
    "software_version", "author_folded",
]  # fmt: skip
LISTING = ["image_name", "name", "version"]
CLASS_LIST_INDEXES = {
    "ix_label_images_method": ["method", *LISTING, "label_type", "software_folded",
                               "software_version", "author_folded"],
    "ix_label_images_type": ["label_type", *LISTING, "method", "software_folded",
                             "software_version", "author_folded"],
    "ix_label_images_software": ["software_folded", *LISTING, "method", "label_type",
                                 "software_version", "author_folded"],
    "ix_label_images_author": ["author_folded", *LISTING, "method", "label_type",
                               "software_folded", "software_version"],
    "ix_label_images_model_sha256": ["model_sha256_folded", *LISTING, "method", "label_type",
                                     "software_folded", "software_version", "author_folded"],
}  # fmt: skip
"""The find indexes (as revision 0003 made them) that carry the class list on PostgreSQL."""
INCLUDE = ["class_names"]
FILL = {
    "postgresql": """
        UPDATE label_images SET class_names = lists.names
        FROM (SELECT label_image_id,
                     chr(31) || string_agg(name_folded, chr(31) ORDER BY name_folded COLLATE "C")
                     || chr(31) AS names
              FROM label_class_names WHERE strpos(name_folded, chr(31)) = 0
              GROUP BY label_image_id) AS lists
        WHERE lists.label_image_id = label_images.id""",
    "sqlite": """
        UPDATE label_images SET class_names = (
            SELECT char(31) || group_concat(name_folded, char(31)) || char(31)
            FROM (SELECT name_folded FROM label_class_names
                  WHERE label_image_id = label_images.id AND instr(name_folded, char(31)) = 0
                  ORDER BY name_folded))
        WHERE id IN (SELECT label_image_id FROM label_class_names)""",
}
"""The lists as ``tables.class_list`` makes them: names between ``chr(31)`` separators (names
holding one left out), sorted by code point (SQLite's ``BINARY`` order is code point order;
its ``group_concat`` follows the ordered subquery)."""


def upgrade() -> None:
    op.add_column("label_images", sa.Column("class_names", sa.Text))
    dialect = op.get_bind().dialect.name
    op.execute(FILL[dialect])
    if dialect == "postgresql":
        for name, columns in CLASS_LIST_INDEXES.items():
            op.drop_index(name, "label_images")
            op.create_index(name, "label_images", columns, postgresql_include=INCLUDE)
    op.create_index(SOFTWARE_INDEX, "label_images", SOFTWARE_COLUMNS, postgresql_include=INCLUDE)
    op.execute("ANALYZE label_images")


def downgrade() -> None:
    op.drop_index(SOFTWARE_INDEX, "label_images")
    if op.get_bind().dialect.name == "postgresql":
        for name, columns in CLASS_LIST_INDEXES.items():
            op.drop_index(name, "label_images")
            op.create_index(name, "label_images", columns)
    op.drop_column("label_images", "class_names")
