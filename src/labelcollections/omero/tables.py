"""Arrow tables as OMERO.tables columns and back, with their arrow types kept.

OMERO.tables has 64-bit integer (``LongColumn``), double, boolean and fixed-width string
columns and no missing values. Every arrow integer type travels as a ``LongColumn`` (``uint64``
bit for bit), floats as doubles; a column with missing values gets a boolean column of which
values are present after the table's own columns. The arrow schema travels in the table's
metadata, so reading restores the exact types and the missing values.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import numpy as np
import omero.grid
import pyarrow as pa
from omero.rtypes import rstring, unwrap

from labelcollections.errors import InputError

__all__ = ["SCHEMA_KEY", "columns_of", "metadata_of", "table_of"]

SCHEMA_KEY = "labelcollections.arrow_schema"
"""Metadata key of the arrow schema (IPC, base64) of a table."""
PRESENT = "present:"
"""Name prefix of the boolean column telling which values of a column are present."""


def columns_of(table: pa.Table) -> list[Any]:
    """The OMERO.tables columns holding ``table`` (checked with
    :func:`~labelcollections.omero.gateway.check_table` first)."""
    columns = []
    present = []
    for column_field, column in zip(table.schema, table.columns, strict=True):
        kind, name = column_field.type, column_field.name
        if column.null_count:
            present.append(omero.grid.BoolColumn(PRESENT + name, "", column.is_valid().to_pylist()))
            column = column.fill_null(_placeholder(kind))
        if pa.types.is_integer(kind):
            values = np.asarray(column.to_numpy())
            longs = values.view(np.int64) if kind == pa.uint64() else values.astype(np.int64)
            columns.append(omero.grid.LongColumn(name, "", longs.tolist()))
        elif pa.types.is_floating(kind):
            columns.append(omero.grid.DoubleColumn(name, "", column.to_numpy().tolist()))
        elif pa.types.is_boolean(kind):
            columns.append(omero.grid.BoolColumn(name, "", column.to_pylist()))
        else:
            texts = [str(text) for text in column.to_pylist()]
            size = max([len(t.encode()) for t in texts] or [1]) or 1
            columns.append(omero.grid.StringColumn(name, "", size, texts))
    return columns + present


def _placeholder(kind: pa.DataType) -> Any:
    """What stands in a missing value's place (the boolean column says it is missing)."""
    if pa.types.is_boolean(kind):
        return False
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return 0
    return ""


def _int64(values: list[int], kind: pa.DataType) -> Any:
    """64-bit integers as they were written: wider types view back, narrower ones cast."""
    raw = np.asarray(values, dtype=np.int64)
    if kind == pa.uint64():
        return raw.view(np.uint64)
    return raw.astype(kind.to_pandas_dtype())


def metadata_of(table: pa.Table, metadata: Mapping[str, str]) -> dict[str, Any]:
    """The table's metadata as OMERO.tables stores it (rtypes), with its arrow schema."""
    schema = base64.b64encode(table.schema.serialize().to_pybytes()).decode()
    return {**{k: rstring(v) for k, v in metadata.items()}, SCHEMA_KEY: rstring(schema)}


def table_of(columns: list[Any], metadata: Mapping[str, Any]) -> tuple[pa.Table, dict[str, str]]:
    """An arrow table (with the types it was written with) and the rest of the metadata."""
    values = {k: str(unwrap(v)) for k, v in metadata.items()}
    encoded = values.pop(SCHEMA_KEY, None)
    if encoded is None:
        raise InputError("OMERO.table", SCHEMA_KEY, "a table written by labelcollections")
    schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(encoded)))
    present = {c.name.removeprefix(PRESENT): c.values for c in columns[len(schema) :]}
    arrays = []
    for column_field, column in zip(schema, columns, strict=False):
        kind = column_field.type
        data = _int64(column.values, kind) if pa.types.is_integer(kind) else column.values
        valid = present.get(column_field.name)
        mask = None if valid is None else ~np.asarray(valid, dtype=bool)
        arrays.append(pa.array(data, type=kind, mask=mask))
    return pa.Table.from_arrays(arrays, schema=schema), values
