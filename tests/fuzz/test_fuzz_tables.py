"""Fuzzing the readers of tabular input: the feature tables of ``add-table`` (CSV, TSV,
Parquet) and the manifests of ``ingest`` (CSV, JSON Lines). Any content gives rows or one
:class:`InputError`; tables and manifests written by the rules read back equal."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from labelcollections.errors import InputError
from labelcollections.ingest import read_manifest
from labelcollections.ingest.manifest import COLUMNS
from labelcollections.model.vocabulary import LabelType, Method
from labelcollections.storage.table_sources import read_feature_table

CSV_ALPHABET = st.sampled_from(list(',;\t"\n\r -.0123456789eElabelxyz_nNaAiIfF'))
csv_like_text = st.text(CSV_ALPHABET, max_size=120)
"""Text made of delimiters, quotes, digits and the letters of ``label``: more of it gets past
the header than arbitrary text does."""


@contextmanager
def file_holding(content: str | bytes, name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        yield path


def refused(error: InputError) -> None:
    assert "\n" not in str(error)


# -- add-table: feature tables ------------------------------------------------------------


@settings(max_examples=120)
@given(
    st.text() | csv_like_text | st.binary(max_size=200),
    st.sampled_from(["t.csv", "t.tsv", "t.parquet"]),
)
def test_any_table_file_reads_or_is_refused(content: str | bytes, name: str) -> None:
    with file_holding(content, name) as path:
        try:
            table = read_feature_table(path, "label")
        except InputError as error:
            refused(error)
            return
        assert table.column_names[0] == "label"
        assert table.column("label").type == pa.uint64()


column_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda name: name != "label"
)
feature_tables = st.integers(0, 12).flatmap(
    lambda rows: st.fixed_dictionaries(
        {
            "label": st.lists(st.integers(0, 2**63 - 1), min_size=rows, max_size=rows, unique=True),
            "columns": st.dictionaries(
                column_names,
                st.lists(
                    st.floats(allow_nan=False, allow_infinity=False, width=64),
                    min_size=rows,
                    max_size=rows,
                ),
                max_size=3,
            ),
        }
    )
)


@settings(max_examples=60)
@given(feature_tables, st.sampled_from([",", "\t"]))
def test_feature_tables_read_back_equal(table: dict[str, Any], delimiter: str) -> None:
    columns = {"label": table["label"], **table["columns"]}
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*columns.values(), strict=True))
    if not table["label"]:
        return  # a header alone holds no values to infer the column types from
    with file_holding(text.getvalue(), "t.csv" if delimiter == "," else "t.tsv") as path:
        read = read_feature_table(path, "label")
    assert read.column_names == list(columns)
    assert read.column("label").to_pylist() == table["label"]
    for name, values in table["columns"].items():
        assert read.column(name).to_pylist() == [float(value) for value in values]


# -- ingest: manifests --------------------------------------------------------------------

cell_text = st.text(max_size=12) | st.sampled_from(
    ["", "semantic", "instance", "manual", "v1", "..", "/", ".", "x.json", "a b", "nearest"]
)
safe_cells = cell_text.filter(lambda text: "://" not in text)
"""Cells without URLs: a manifest may name remote files, which these tests do not fetch."""
headers = st.lists(st.sampled_from([*COLUMNS, "bogus", ""]), min_size=1, max_size=8)


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


manifest_csvs = headers.flatmap(
    lambda header: st.lists(
        st.lists(safe_cells, min_size=len(header), max_size=len(header)), max_size=4
    ).map(lambda rows: csv_text(header, rows))
)
json_cells = st.recursive(
    st.none() | st.booleans() | st.integers() | safe_cells,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(safe_cells, children, max_size=3)
    ),
    max_leaves=8,
)
manifest_json_lines = st.lists(
    st.dictionaries(st.sampled_from([*COLUMNS, "bogus"]), json_cells, max_size=8).map(json.dumps)
    | safe_cells,
    max_size=4,
).map("\n".join)


def read_or_refuse(path: Path) -> None:
    try:
        rows = read_manifest(path)
    except InputError as error:
        refused(error)
        return
    assert rows and all(row.image and row.labels and row.name for row in rows)


@settings(max_examples=120)
@given(manifest_csvs | csv_like_text.filter(lambda text: "://" not in text))
def test_any_csv_manifest_reads_or_is_refused(content: str) -> None:
    with file_holding(content, "manifest.csv") as path:
        read_or_refuse(path)


@settings(max_examples=120)
@given(manifest_json_lines)
def test_any_json_lines_manifest_reads_or_is_refused(content: str) -> None:
    with file_holding(content, "manifest.jsonl") as path:
        read_or_refuse(path)


display_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _-]{0,10}[A-Za-z0-9]", fullmatch=True)
plain_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,10}", fullmatch=True)
manifest_rows = st.fixed_dictionaries(
    {
        "image_name": plain_names,
        "labels": plain_names.map(lambda stem: f"seg/{stem}.tif"),
        "collection": display_names,
        "name": display_names,
        "type": st.sampled_from([t.value for t in LabelType]),
        "version": plain_names,
        "method": st.sampled_from([m.value for m in Method]),
    }
)


@settings(max_examples=50)
@given(
    st.lists(
        manifest_rows,
        min_size=1,
        max_size=5,
        unique_by=lambda r: (r["image_name"], r["name"], r["version"]),
    )
)
def test_manifests_read_back_equal_as_csv_and_json_lines(records: list[dict[str, str]]) -> None:
    records = [{**record, "image": f"raw/{record['image_name']}.tif"} for record in records]
    header = list(records[0])
    as_csv = csv_text(header, [[record[column] for column in header] for record in records])
    as_json_lines = "\n".join(json.dumps(record) for record in records)
    for content, name in ((as_csv, "manifest.csv"), (as_json_lines, "manifest.jsonl")):
        with file_holding(content, name) as path:
            rows = read_manifest(path)
            folder = path.parent.resolve()
        assert [row.number for row in rows] == list(range(1, len(records) + 1))
        for row, record in zip(rows, records, strict=True):
            assert row.image == str(folder / record["image"])
            assert row.labels == str(folder / record["labels"])
            assert (row.image_name, row.collection, row.name, row.version) == (
                record["image_name"],
                record["collection"],
                record["name"],
                record["version"],
            )
            assert row.label_type.value == record["type"]
            assert row.provenance.method.value == record["method"]
