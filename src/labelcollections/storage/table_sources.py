"""Reading user tables (CSV or Parquet) to attach to a label image."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from labelcollections.errors import InputError, NotFoundError

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")


def read_feature_table(source: str | Path | pa.Table, instance_key: str) -> pa.Table:
    """A table whose ``instance_key`` column holds non-negative integer label values.

    The column is stored as ``label`` (uint64), the key of ngio / Fractal feature tables.
    """
    name = "<table>" if isinstance(source, pa.Table) else str(source)
    table = source if isinstance(source, pa.Table) else _read(Path(source))
    try:
        names = table.column_names
    except UnicodeDecodeError as error:  # the CSV reader decodes the header only when asked
        raise InputError(name, "header", f"column names in UTF-8 ({error.reason})") from None
    if len(set(names)) != len(names):
        repeated = sorted({c for c in names if names.count(c) > 1})
        raise InputError(name, repeated[0], "column names that appear once")
    if instance_key not in names:
        raise InputError(
            name, instance_key, f"a column of label values (columns: {', '.join(names)})"
        )
    column = table.column(instance_key)
    if not pa.types.is_integer(column.type) or column.null_count:
        raise InputError(name, instance_key, "integer label values in every row")
    if len(column) and pc.min(column).as_py() < 0:
        raise InputError(name, instance_key, "label values of 0 or more")
    if len(column) and pc.count_distinct(column).as_py() != len(column):
        raise InputError(name, instance_key, "each label value in one row only")
    others = [c for c in names if c != instance_key]
    if "label" in others:
        raise InputError(name, "label", f"no column named 'label' besides {instance_key!r}")
    columns = [column.cast(pa.uint64()), *(table.column(c) for c in others)]
    return pa.Table.from_arrays(columns, names=["label", *others])


def _read(path: Path) -> pa.Table:
    if not path.is_file():
        raise NotFoundError(str(path), "table", "an existing CSV or Parquet file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pq.read_table(path)
        if suffix in (".csv", ".tsv"):
            delimiter = "\t" if suffix == ".tsv" else ","
            return pa_csv.read_csv(path, parse_options=pa_csv.ParseOptions(delimiter=delimiter))
    except (pa.ArrowException, OSError, UnicodeDecodeError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(str(path), "table", f"a readable table ({first_line})") from None
    raise InputError(str(path), "suffix", f"one of {', '.join(TABLE_SUFFIXES)}")
