"""The catalog: an SQL index of the repository's stores, for queries. Rebuildable from them.

SQLite (the embedded default) or PostgreSQL (a shared server), chosen by URL
(``catalog.engine``); schema versions kept by Alembic (``catalog.schema``); concurrent writers
serialised per image (``catalog.writer``); ``find`` pages by key (``catalog.queries``); label
values of the whole int64 and uint64 range in 64-bit columns (``catalog.label_values``).
"""

from labelcollections.catalog.catalog import Catalog
from labelcollections.catalog.engine import (
    ENVIRONMENT_VARIABLE,
    SQLITE_DEFAULT,
    located,
    parse_catalog_url,
    recorded_url,
    shown_url,
)
from labelcollections.catalog.queries import TOTAL_CAP, FindPage, LabelImageFilter
from labelcollections.catalog.reader import (
    CatalogReader,
    Correspondence,
    InstanceMatch,
    InstanceSummary,
    TableRecord,
)
from labelcollections.catalog.schema import SCHEMA_REVISION, SchemaState
from labelcollections.catalog.writer import CatalogEntry, CatalogWriter

__all__ = [
    "ENVIRONMENT_VARIABLE",
    "SCHEMA_REVISION",
    "SQLITE_DEFAULT",
    "TOTAL_CAP",
    "Catalog",
    "CatalogEntry",
    "CatalogReader",
    "CatalogWriter",
    "Correspondence",
    "FindPage",
    "InstanceMatch",
    "InstanceSummary",
    "LabelImageFilter",
    "SchemaState",
    "TableRecord",
    "located",
    "parse_catalog_url",
    "recorded_url",
    "shown_url",
]
