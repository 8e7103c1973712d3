"""Catalog tables (SQLAlchemy Core), portable between SQLite and PostgreSQL.

Each row keeps the object's full JSON ``record`` beside the columns that queries filter on, so
the catalog can answer without opening stores, and ``reindex`` can compare it exactly.

This is the schema at the newest migration (``migrations/versions``); the migrations, not
``create_all``, build it in a database. ``find`` lists label images by (image name, name,
version), so each filter column has an index that continues with those columns and then
carries the provenance columns that filters combine: a page of a filtered listing is one
ordered index range, whatever the size of the catalog, and a combination of filters is checked
inside the index (``_filter_index``). Software, the provenance field with the fewest values
and so the longest ranges, has a second index narrowed by method, type and version. Class
names have their own table keyed in listing order (``label_class_names``), and each label
image also lists its class names (``class_names``, :func:`class_list`), which a class filter
checks on the candidates of another filter. Text that ``find`` compares case-insensitively
has a case-folded copy (``*_folded``, folded by Python, so both catalogs fold alike) that the
index holds: an index on ``lower(column)`` would serve the page but not an index-only count.
On PostgreSQL the ordering columns use the "C" collation, so both catalogs order text the same
way (by code point).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
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


def ordered_text(length: int) -> String:
    """Text that sorts by code point on both catalogs."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


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
    Column("omero_image_id", BigInteger),
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
    Index("ix_collections_name", "name", "image_id"),
)
"""A collection's name index carries its image, so a reference by name finds each
collection's image in the index (``catalog.lookups``)."""

label_images = Table(
    "label_images",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("image_id", String(64), ForeignKey("images.id"), nullable=False),
    Column("image_name", ordered_text(128), nullable=False),
    Column("name", ordered_text(128), nullable=False),
    Column("version", ordered_text(128), nullable=False),
    Column("store_path", Text, nullable=False),
    Column("label_type", String(16), nullable=False),
    Column("dtype", String(16)),
    Column("shape", Text),
    Column("method", String(32), nullable=False),
    Column("software", Text),
    Column("software_folded", Text),
    Column("software_version", Text),
    Column("author", Text),
    Column("author_folded", Text),
    Column("created", String(40)),
    Column("model_name", Text),
    Column("model_version", Text),
    Column("model_sha256", Text),
    Column("model_sha256_folded", Text),
    Column("training_data", Text),
    Column("reference_hash", String(80)),
    Column("content_hash", String(80)),
    Column("derived_from", String(64)),
    Column("record", Text, nullable=False),
    Column("class_names", Text),
    UniqueConstraint("image_id", "name", "version"),
)
_c = label_images.c
_ORDER = (_c.image_name, _c.name, _c.version)
_CARRIED = (_c.method, _c.label_type, _c.software_folded, _c.software_version, _c.author_folded)


def _filter_index(name: str, *leading: Column[Any], class_list: bool = True) -> Index:
    """An index of ``find``: the filter column(s), the listing order, then the provenance
    columns that filters combine most (``_CARRIED``), so that a combination of filters is
    checked inside the index whichever of them leads, without reading the table's rows.

    On PostgreSQL the index also carries the class list (``INCLUDE``) when a class with its
    filter is checked there (``queries.matching``): then the candidates' table rows, scattered
    over the table and evicted first from a busy server's buffers, are not read at all. (The
    listing key's filters, ``class_list=False``, join ``label_class_names`` instead; SQLite,
    whose indexes have no ``INCLUDE``, reads the rows.)"""
    keys = [*leading, *(column for column in _ORDER if column not in leading)]
    carried = [column for column in _CARRIED if column not in keys]
    include = ["class_names"] if class_list else []
    return Index(name, *keys, *carried, postgresql_include=include)


_filter_index("ix_label_images_order", class_list=False)
_filter_index("ix_label_images_method", _c.method)
_filter_index("ix_label_images_type", _c.label_type)
_filter_index("ix_label_images_version", _c.version, _c.image_name, _c.name, class_list=False)
_filter_index("ix_label_images_name", _c.name, _c.image_name, _c.version, class_list=False)
_filter_index("ix_label_images_software", _c.software_folded)
_filter_index(
    "ix_label_images_software_method_type", _c.software_folded, _c.method, _c.label_type, _c.version
)
_filter_index("ix_label_images_author", _c.author_folded)
_filter_index("ix_label_images_model_sha256", _c.model_sha256_folded)
Index("ix_label_images_derived_from", _c.derived_from)

CLASS_SEPARATOR = "\x1f"
"""Between the names of ``label_images.class_names`` (a control character: names hold it
only by mistake, and the list leaves such names out; see :func:`listable`)."""


def listable(folded_name: str) -> bool:
    """Whether ``class_names`` can hold the name; a filter on another name joins
    ``label_class_names`` instead."""
    return CLASS_SEPARATOR not in folded_name


def class_list(names: Iterable[str]) -> str | None:
    """``label_images.class_names``: the class names case-folded, sorted, each one between
    separators, so that ``contains(class_entry(name))`` matches whole names only; None
    without names."""
    folded = sorted(name for name in {n.casefold() for n in names} if listable(name))
    return CLASS_SEPARATOR + CLASS_SEPARATOR.join(folded) + CLASS_SEPARATOR if folded else None


def class_entry(folded_name: str) -> str:
    """A class name as ``class_names`` holds it."""
    return CLASS_SEPARATOR + folded_name + CLASS_SEPARATOR


label_class_names = Table(
    "label_class_names",
    metadata,
    Column("name_folded", Text, primary_key=True),
    Column("image_name", ordered_text(128), primary_key=True),
    Column("label_name", ordered_text(128), primary_key=True),
    Column("version", ordered_text(128), primary_key=True),
    Column("label_image_id", String(64), ForeignKey("label_images.id"), nullable=False),
    Index("ix_label_class_names_label_image", "label_image_id"),
    sqlite_with_rowid=False,
)
"""Which label images have a class of each (case-folded) name, keyed in listing order: the
label images with a class are one ordered range of the key, and a class with other filters
joins ``label_images`` on the listing order (image name, name, version)."""

memberships = Table(
    "memberships",
    metadata,
    Column("collection_id", String(64), ForeignKey("collections.id"), primary_key=True),
    Column("label_image_id", String(64), ForeignKey("label_images.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_memberships_label_image", "label_image_id"),
)

label_tables = Table(
    "label_tables",
    metadata,
    Column("label_image_id", String(64), ForeignKey("label_images.id"), primary_key=True),
    Column("name", String(256), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("record", Text, nullable=False),
)

instance_summaries = Table(
    "instance_summaries",
    metadata,
    Column("label_image_id", String(64), ForeignKey("label_images.id"), primary_key=True),
    Column("instances", BigInteger, nullable=False),
    Column("total_area", BigInteger, nullable=False),
    Column("min_area", BigInteger),
    Column("max_area", BigInteger),
    Column("mean_area", Float),
    Index("ix_instance_summaries_instances", "instances"),
    Index("ix_instance_summaries_mean_area", "mean_area"),
)

instance_matches = Table(
    "instance_matches",
    metadata,
    Column("a_id", String(64), ForeignKey("label_images.id"), primary_key=True),
    Column("b_id", String(64), ForeignKey("label_images.id"), primary_key=True),
    Column("threshold", Float, primary_key=True),
    Column("a_label", BigInteger, primary_key=True),
    Column("b_label", BigInteger, nullable=False),
    Column("iou", Float, nullable=False),
    Index("ix_instance_matches_b", "b_id", "b_label"),
)

catalog_info = Table(
    "catalog_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
"""Facts about the catalog itself: which repository it indexes."""

ALL_TABLES = (
    plates,
    images,
    collections,
    label_images,
    label_class_names,
    memberships,
    label_tables,
    instance_summaries,
    instance_matches,
)
