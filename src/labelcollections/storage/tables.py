"""Tables stored beside the labels: ``tables/<name>/`` groups holding ``table.parquet``.

The layout and attributes follow the Fractal / ngio table specification, so ngio-based tools
find our instance and feature tables::

    tables/                      group, attributes {"tables": ["nuclei@v1.instances", …]}
      nuclei@v1.instances/       group, attributes {"type": "feature_table",
                                   "region": {"path": "../labels/<label path>"},
                                   "instance_key": "label", "backend": "parquet", …}
        table.parquet

A table is written aside and published by listing it, like a label image; published tables are
never rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from labelcollections.errors import ConflictError, InputError, NotFoundError
from labelcollections.formats.ngff.multiscales import NgffVersion
from labelcollections.storage.locations import child_folders, is_url, join
from labelcollections.storage.ome_zarr_store import (
    OUR_KEY,
    ImageStore,
    join_key,
    write_plain_group,
)
from labelcollections.storage.publish import staged_directory, withdraw

TABLES_GROUP = "tables"
TABLE_FILE = "table.parquet"
FEATURE_TABLE = "feature_table"
INSTANCE_KEY = "label"


def feature_table_attributes(label_path: str, ours: Mapping[str, Any]) -> dict[str, Any]:
    """The ngio / Fractal ``feature_table`` attributes of a table keyed by label value."""
    return {
        "type": FEATURE_TABLE,
        "table_version": "1",
        "fractal_table_version": "1",
        "region": {"path": f"../labels/{label_path}"},
        "backend": "parquet",
        "index_key": INSTANCE_KEY,
        "index_type": "int",
        "instance_key": INSTANCE_KEY,
        OUR_KEY: dict(ours),
    }


def table_names(store: ImageStore) -> list[str]:
    """The tables listed in the store's ``tables`` group (published ones only)."""
    if TABLES_GROUP not in store.group:
        return []
    listed = store.group_attributes(TABLES_GROUP).get("tables", [])
    return [name for name in listed if isinstance(name, str)]


def table_attributes(store: ImageStore, name: str) -> dict[str, Any]:
    if name not in table_names(store):
        raise NotFoundError(name, "table", f"a table of {store.location}")
    return store.group_attributes(join_key(TABLES_GROUP, name))


def read_table(store: ImageStore, name: str) -> pa.Table:
    """A stored table as a pyarrow Table (``.to_pandas()`` for pandas)."""
    if name not in table_names(store):
        raise NotFoundError(name, "table", f"a table of {store.location}")
    location = join(store.location, TABLES_GROUP, name, TABLE_FILE)
    try:
        if is_url(location):
            with fsspec.open(location, "rb") as handle:
                return pq.read_table(handle)
        return pq.read_table(location)
    except (pa.ArrowException, OSError) as error:
        first_line = (str(error).splitlines() or [type(error).__name__])[0]
        raise InputError(location, "table", f"a readable Parquet table ({first_line})") from None


def write_table(
    store: ImageStore,
    name: str,
    table: pa.Table,
    attributes: Mapping[str, Any],
    version: NgffVersion | None = None,
) -> None:
    """Write a new table aside, move it into place, then list it in ``tables``."""
    ngff = version or store.ngff_version
    root = join(store.location, TABLES_GROUP)
    destination = join(root, name)
    if name in table_names(store) or (not is_url(destination) and Path(destination).exists()):
        raise ConflictError(name, "table", f"a table name not yet used in {store.location}")
    with staged_directory(destination) as staging:
        write_plain_group(staging, attributes, ngff)
        with fsspec.open(join(str(staging), TABLE_FILE), "wb") as handle:
            pq.write_table(table, handle)
    listed = [*table_names(store), name]
    write_plain_group(root, {"tables": listed}, ngff)
    store.reopen()


def withdraw_tables(store: ImageStore, keep: set[str]) -> None:
    """Unlist and remove every table but those named in ``keep`` (rolling back what a writer
    published without committing it)."""
    listed = table_names(store)
    root = join(store.location, TABLES_GROUP)
    if any(name not in keep for name in listed):
        kept = [name for name in listed if name in keep]
        write_plain_group(root, {"tables": kept}, store.ngff_version)
    for name in child_folders(root):
        if name not in keep:
            withdraw(join(root, name))
    store.reopen()
