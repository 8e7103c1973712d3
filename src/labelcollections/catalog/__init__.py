"""The catalog: an SQL index of the repository's stores, for queries. Rebuildable from them."""

from labelcollections.catalog.catalog import Catalog, LabelImageFilter

__all__ = ["Catalog", "LabelImageFilter"]
