"""The ingest manifest: one label image per row, as CSV or JSON Lines, or a directory glob.

Each column means what the ``add-image`` / ``add-labels`` option of the same name means:

==================  =================================================================
``image``           path or URL of the reference image (added once, if not there yet)
``image_name``      its name in the repository (default: from the file name)
``image_axes``      ``add-image --axes``
``labels``          path of the label image (TIFF, OME-TIFF, .npy, Zarr array)
``collection``      ``--collection`` (created if new)
``name``            ``--name``
``type``            ``--type`` (or ``label_type`` in the provenance file)
``version``         ``--version`` (default ``v1``)
``axes``            ``add-labels --axes``
``classes``         ``--classes``: a JSON file (in JSON Lines also the object itself)
``provenance``      ``--provenance``: a JSON file (in JSON Lines also the object itself)
``parameters``      ``--parameters``: a JSON file (in JSON Lines also the object itself)
``downsampling``    ``--downsampling``
others              provenance fields (``method``, ``software``, ``author``, ``model_name``,
                    ``model_version``, ``model_sha256``, ``training_data``, ``derived_from``)
==================  =================================================================

Relative paths are resolved against the manifest's folder. The whole manifest is read and
checked before anything is written: a mistake in it (an unknown column, a missing value, a
name or type that is not allowed, two rows for one label image) is an :class:`InputError`
naming the file, the row and the column. Whether the files exist and hold suitable pixels is
found out per row, while ingesting.
"""

from __future__ import annotations

import csv
import glob
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from labelcollections.errors import InputError, LabelCollectionsError
from labelcollections.model.label_schema import LabelSchema, parse_label_schema
from labelcollections.model.names import check_display_name, check_name, safe_name
from labelcollections.model.parsing import parse_json
from labelcollections.model.provenance import Provenance, merge_provenance, split_label_type
from labelcollections.model.vocabulary import Downsampling, LabelType
from labelcollections.storage.locations import is_url, read_json

__all__ = ["COLUMNS", "ManifestRow", "glob_rows", "read_manifest", "rows_from_records"]

PROVENANCE_COLUMNS = (
    "method",
    "software",
    "author",
    "model_name",
    "model_version",
    "model_sha256",
    "training_data",
    "derived_from",
)
COLUMNS = (
    "image",
    "image_name",
    "image_axes",
    "labels",
    "collection",
    "name",
    "type",
    "version",
    "axes",
    "classes",
    "provenance",
    "parameters",
    "downsampling",
    *PROVENANCE_COLUMNS,
)
REQUIRED = ("image", "labels", "collection", "name")
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class ManifestRow:
    """One label image to ingest, checked: what ``add-image`` and ``add-labels`` would get.

    ``number`` is the row's number in the manifest (1 for the first row after a CSV header);
    ``image`` and ``labels`` are absolute paths or URLs.
    """

    number: int
    image: str
    image_name: str
    labels: str
    collection: str
    name: str
    label_type: LabelType
    provenance: Provenance
    version: str = "v1"
    axes: tuple[str, ...] | None = None
    image_axes: tuple[str, ...] | None = None
    label_schema: LabelSchema = field(default_factory=LabelSchema)
    downsampling: Downsampling = "nearest"

    @property
    def key(self) -> str:
        """``image/name@version``: what the row adds, in the repository's reference grammar."""
        return f"{self.image_name}/{self.name}@{self.version}"


def read_manifest(path: str | Path) -> list[ManifestRow]:
    """The rows of a CSV (with a header line) or JSON Lines (``.jsonl``) manifest."""
    source = Path(path).expanduser()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "manifest", "an existing CSV or JSON Lines file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(path), "manifest", f"a readable UTF-8 file ({error})") from None
    if source.suffix.lower() in JSON_LINES_SUFFIXES:
        records = list(_json_lines(text, str(path)))
    else:
        records = list(_csv_records(text, str(path)))
    if not records:
        raise InputError(str(path), "rows", "at least one row")
    return rows_from_records(records, str(path), source.resolve().parent)


def glob_rows(
    images: str, labels: str, options: Mapping[str, Any], base: Path | None = None
) -> list[ManifestRow]:
    """Rows for every file matching the glob ``images``, each with the label image the
    template ``labels`` names (``{stem}``: the image file's name without its suffixes);
    ``options`` are the other columns, the same for every row."""
    root = (base or Path.cwd()).resolve()
    found = sorted(glob.glob(images, root_dir=root, recursive=True))
    if not found:
        raise InputError(images, "--images", "a pattern that matches at least one file")
    if "{stem}" not in labels:
        raise InputError(labels, "--labels", "a path template with {stem}, e.g. seg/{stem}.tif")
    records: list[tuple[int, dict[str, Any]]] = []
    for match in found:
        stem = _stem(match)
        record = {**options, "image": match, "labels": labels.replace("{stem}", stem)}
        record.setdefault("image_name", safe_name(stem))
        records.append((len(records) + 1, record))
    return rows_from_records(records, f"--images {images}", root)


def rows_from_records(
    records: Iterable[tuple[int, Mapping[str, Any]]], source: str, base: Path
) -> list[ManifestRow]:
    """Checked rows from ``(row number, {column: value})``; empty values are not given."""
    rows = []
    images: dict[str, tuple[str, tuple[str, ...] | None]] = {}
    keys: dict[str, int] = {}
    for number, record in records:
        row = _row(number, {k: v for k, v in record.items() if v not in (None, "")}, source, base)
        known = images.setdefault(row.image_name, (row.image, row.image_axes))
        if known != (row.image, row.image_axes):
            raise InputError(
                source,
                f"row {number}: image",
                f"one image (and image_axes) per image_name {row.image_name!r} (an earlier row"
                f" has {known[0]})",
            )
        first = keys.setdefault(row.key, number)
        if first != number:
            raise InputError(
                source, f"row {number}", f"one row per label image ({row.key} is in row {first})"
            )
        rows.append(row)
    return rows


def _row(number: int, record: Mapping[str, Any], source: str, base: Path) -> ManifestRow:
    where = f"row {number}"
    unknown = sorted(set(record) - set(COLUMNS))
    if unknown:
        raise InputError(source, f"{where}: {unknown[0]}", f"a known column ({', '.join(COLUMNS)})")
    for column in REQUIRED:
        if column not in record:
            raise InputError(source, f"{where}: {column}", "a value")
    values = {k: v for k, v in record.items() if k not in ("classes", "provenance", "parameters")}
    for column, value in values.items():
        if not isinstance(value, str):
            raise InputError(source, f"{where}: {column}", f"text (got {value!r})")
    try:
        image = _location(record["image"], base)
        document = _document(record.get("provenance"), base, source, f"{where}: provenance")
        label_type, fields = split_label_type(document or {}, source, record.get("type"))
        parameters = _document(record.get("parameters"), base, source, f"{where}: parameters")
        options = {c: record.get(c) for c in PROVENANCE_COLUMNS}
        provenance = merge_provenance(fields, source, {**options, "parameters": parameters})
        classes = _document(record.get("classes"), base, source, f"{where}: classes")
        downsampling = record.get("downsampling", "nearest")
        if downsampling not in ("nearest", "mode"):
            raise InputError(source, "downsampling", f"nearest or mode (got {downsampling!r})")
        return ManifestRow(
            number=number,
            image=image,
            image_name=check_name(
                record.get("image_name") or safe_name(_stem(image)), source, "image_name"
            ),
            labels=_location(record["labels"], base),
            collection=check_display_name(record["collection"], source, "collection"),
            name=check_display_name(record["name"], source, "name"),
            label_type=_label_type(label_type, source),
            provenance=provenance,
            version=check_name(record.get("version", "v1"), source, "version"),
            axes=_axes(record.get("axes")),
            image_axes=_axes(record.get("image_axes")),
            label_schema=parse_label_schema(classes, source) if classes else LabelSchema(),
            downsampling="mode" if downsampling == "mode" else "nearest",
        )
    except InputError as error:
        if error.field.startswith(where):
            raise
        raise InputError(source, f"{where}: {error.field}", error.expected) from None


def _label_type(value: str, source: str) -> LabelType:
    try:
        return LabelType(value)
    except ValueError:
        expected = ", ".join(t.value for t in LabelType)
        raise InputError(source, "type", f"one of {expected} (got {value!r})") from None


def _axes(value: str | None) -> tuple[str, ...] | None:
    return tuple(value) if value else None


def _location(value: str, base: Path) -> str:
    """An absolute path (relative ones from ``base``) or a URL, as given."""
    if is_url(value):
        return value
    return str((base / Path(value).expanduser()).resolve())


def _document(value: Any, base: Path, source: str, where: str) -> Any:
    """A JSON document given inline (JSON Lines) or as the path of a JSON file."""
    if value is None:
        return None
    if isinstance(value, str):
        return read_json(_location(value, base))
    if isinstance(value, Mapping | list):
        return value
    raise InputError(source, where, "the path of a JSON file, or a JSON object")


def _stem(location: str) -> str:
    """A file's name without its suffixes (``a.ome.tif`` → ``a``)."""
    return PurePosixPath(location.rstrip("/")).name.split(".")[0]


def _csv_records(text: str, source: str) -> Iterable[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if len(set(header)) != len(header):
        raise InputError(source, "header", "each column once")
    for number, record in enumerate(reader, start=1):
        if None in record or None in record.values():
            raise InputError(source, f"row {number}", f"{len(header)} values, one per column")
        yield number, {key.strip(): value.strip() for key, value in record.items()}


def _json_lines(text: str, source: str) -> Iterable[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = parse_json(line, source)
        except LabelCollectionsError as error:
            raise InputError(source, f"line {number}", f"a JSON object ({error})") from None
        if not isinstance(record, dict):
            raise InputError(source, f"line {number}", "a JSON object of columns")
        yield number, record
