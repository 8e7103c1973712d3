"""The catalog: an SQL index of the repository's stores, for queries. Rebuildable from them."""

from labelcollections.catalog.catalog import (
    Catalog,
    CatalogEntry,
    Correspondence,
    InstanceMatch,
    InstanceSummary,
    LabelImageFilter,
    TableRecord,
)

__all__ = [
    "Catalog",
    "CatalogEntry",
    "Correspondence",
    "InstanceMatch",
    "InstanceSummary",
    "LabelImageFilter",
    "TableRecord",
]
