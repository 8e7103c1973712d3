"""Catalog tables (SQLAlchemy Core), portable between SQLite and PostgreSQL.

Each row keeps the object's full JSON ``record`` beside the columns that queries filter on, so
the catalog can answer without opening stores, and ``reindex`` can compare it exactly.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

images = Table(
    "images",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("store", Text, nullable=False),
    Column("source", Text),
    Column("dtype", String(16)),
    Column("shape", Text),
    Column("axes", Text),
    Column("levels", Integer, nullable=False),
    Column("content_hash", String(80)),
    Column("omero_image_id", Integer),
    Column("plate", String(128)),
    Column("well", String(64)),
    Column("field", Integer),
    Column("record", Text, nullable=False),
    Index("ix_images_plate", "plate", "well", "field"),
)

plates = Table(
    "plates",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("record", Text, nullable=False),
)

collections = Table(
    "collections",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("image_id", String(64), ForeignKey("images.id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("description", Text),
    Column("method", String(32)),
    Column("author", Text),
    Column("created", String(40)),
    Column("record", Text, nullable=False),
    UniqueConstraint("image_id", "name"),
)

label_images = Table(
    "label_images",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("image_id", String(64), ForeignKey("images.id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("version", String(128), nullable=False),
    Column("store_path", Text, nullable=False),
    Column("label_type", String(16), nullable=False),
    Column("dtype", String(16)),
    Column("shape", Text),
    Column("method", String(32), nullable=False),
    Column("software", Text),
    Column("software_version", Text),
    Column("author", Text),
    Column("created", String(40)),
    Column("model_name", Text),
    Column("model_version", Text),
    Column("model_sha256", Text),
    Column("training_data", Text),
    Column("reference_hash", String(80)),
    Column("content_hash", String(80)),
    Column("derived_from", String(64)),
    Column("record", Text, nullable=False),
    UniqueConstraint("image_id", "name", "version"),
    Index("ix_label_images_method", "method"),
    Index("ix_label_images_software", "software"),
    Index("ix_label_images_derived_from", "derived_from"),
)

label_classes = Table(
    "label_classes",
    metadata,
    Column("label_image_id", String(64), ForeignKey("label_images.id"), primary_key=True),
    Column("value", Integer, primary_key=True),
    Column("name", Text),
    Index("ix_label_classes_name", "name"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("collection_id", String(64), ForeignKey("collections.id"), primary_key=True),
    Column("label_image_id", String(64), ForeignKey("label_images.id"), primary_key=True),
    Column("position", Integer, nullable=False),
)

label_tables = Table(
    "label_tables",
    metadata,
    Column("label_image_id", String(64), ForeignKey("label_images.id"), primary_key=True),
    Column("name", String(256), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("record", Text, nullable=False),
)

instance_summaries = Table(
    "instance_summaries",
    metadata,
    Column("label_image_id", String(64), ForeignKey("label_images.id"), primary_key=True),
    Column("instances", Integer, nullable=False),
    Column("total_area", Integer, nullable=False),
    Column("min_area", Integer),
    Column("max_area", Integer),
    Column("mean_area", Float),
    Index("ix_instance_summaries_instances", "instances"),
)

instance_matches = Table(
    "instance_matches",
    metadata,
    Column("a_id", String(64), ForeignKey("label_images.id"), primary_key=True),
    Column("b_id", String(64), ForeignKey("label_images.id"), primary_key=True),
    Column("threshold", Float, primary_key=True),
    Column("a_label", Integer, primary_key=True),
    Column("b_label", Integer, nullable=False),
    Column("iou", Float, nullable=False),
    Index("ix_instance_matches_b", "b_id", "b_label"),
)

ALL_TABLES = (
    plates,
    images,
    collections,
    label_images,
    label_classes,
    memberships,
    label_tables,
    instance_summaries,
    instance_matches,
)
