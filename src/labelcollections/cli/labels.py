"""``labelcollections add-labels``, ``find`` and ``lineage``: label images and their provenance."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from labelcollections.catalog import TOTAL_CAP, LabelImageFilter
from labelcollections.cli.options import (
    AREA,
    COUNT,
    LABEL_TYPES,
    PAGE_SIZE,
    axes_option,
    json_option,
    label_filter_options,
    open_repo,
    plate_options,
    provenance_options,
    repository_argument,
    shards_option,
)
from labelcollections.cli.output import console, counted, label_row, print_json, print_rows
from labelcollections.errors import InputError
from labelcollections.geojson_exchange import GEOJSON_SUFFIXES, add_annotations
from labelcollections.model.label_schema import LabelSchema, parse_label_schema
from labelcollections.model.provenance import merge_provenance, split_label_type
from labelcollections.model.records import to_record
from labelcollections.model.vocabulary import Downsampling
from labelcollections.storage.locations import read_json
from labelcollections.storage.sharding import Shards

__all__ = ["add_labels", "find", "lineage"]


@click.command("add-labels")
@repository_argument
@click.argument("image")
@click.argument("source", type=click.Path())
@click.option("--collection", required=True, help="Collection to add to (created if new).")
@click.option("--name", required=True, help="Label image name, e.g. nuclei.")
@click.option(
    "--type",
    "label_type",
    type=LABEL_TYPES,
    help="What label values mean. [required, here or as label_type in --provenance]",
)
@click.option("--version", "version", default="v1", show_default=True)
@provenance_options
@click.option("--classes", type=click.Path(dir_okay=False), help="JSON file: value → class.")
@click.option(
    "--provenance",
    "provenance_file",
    type=click.Path(dir_okay=False),
    help="JSON file with the whole provenance (options override it).",
)
@axes_option
@click.option(
    "--downsampling", type=click.Choice(["nearest", "mode"]), default="nearest", show_default=True
)
@click.option(
    "--value-property",
    help="GeoJSON SOURCE: the Feature property holding label values (default: numbered).",
)
@shards_option
def add_labels(
    repo: str,
    image: str,
    source: str,
    collection: str,
    name: str,
    label_type: str | None,
    version: str,
    parameters: str | None,
    classes: str | None,
    provenance_file: str | None,
    axes: list[str] | None,
    downsampling: str,
    value_property: str | None,
    shards: Shards,
    **provenance_fields: str | None,
) -> None:
    """Add a label image of IMAGE to a collection, with provenance.

    SOURCE is a TIFF / OME-TIFF / .npy file, a Zarr array (read chunk by chunk, so label
    images larger than memory work), or a GeoJSON FeatureCollection (a QuPath export, say),
    rasterised onto IMAGE's pixels.
    """
    document = read_json(provenance_file) if provenance_file else {}
    label_type, fields = split_label_type(document, provenance_file, label_type)
    options = {
        **provenance_fields,
        "parameters": read_parameters(parameters) if parameters else None,
    }
    provenance = merge_provenance(fields, provenance_file, options)
    schema = parse_label_schema(read_json(classes), classes) if classes else LabelSchema()
    mode: Downsampling = "mode" if downsampling == "mode" else "nearest"
    with open_repo(repo) as repository:
        # GeoJSON is rasterised onto the image; its classes come from the file unless given.
        add = (
            partial(
                add_annotations,
                repository,
                value_property=value_property,
                label_schema=schema if classes else None,
            )
            if Path(source).suffix.lower() in GEOJSON_SUFFIXES
            else partial(repository.add_labels, label_schema=schema, axes=axes)
        )
        label = add(
            image,
            source,
            collection=collection,
            name=name,
            label_type=label_type,
            version=version,
            provenance=provenance,
            downsampling=mode,
            shards=shards,
        )
    console.print(
        f"added label image [bold]{escape(label.key)}[/] ({label.id}) to {image} in"
        f" collection {escape(collection)}:"
        f" {label.label_type.value}, {counted(len(label.levels), 'level')},"
        f" {label.provenance.content_hash}"
    )


def read_parameters(path: str) -> dict[str, Any]:
    """The ``--parameters`` file: a JSON object."""
    parameters = read_json(path)
    if not isinstance(parameters, dict):
        raise InputError(path, "<root>", "a JSON object of parameters")
    return parameters


@click.command()
@repository_argument
@label_filter_options
@click.option("--class", "class_name", help="A class name in the label schema.")
@click.option("--image")
@plate_options
@click.option("--collection")
@click.option("--name")
@click.option("--derived-from")
@click.option("--model-sha256")
@click.option("--min-instances", type=COUNT, help="At least this many objects.")
@click.option("--max-instances", type=COUNT, help="At most this many objects.")
@click.option("--min-mean-area", type=AREA, help="Mean object size (pixels).")
@click.option("--max-mean-area", type=AREA, help="Mean object size (pixels).")
@click.option("--limit", type=PAGE_SIZE, help="Page size: list at most this many.")
@click.option("--cursor", help="Continue after the page that printed this cursor.")
@click.option(
    "--exact-total",
    is_flag=True,
    help=f"Count every match (slower); else the total stops at {TOTAL_CAP:,}.",
)
@json_option
def find(
    repo: str,
    as_json: bool,
    derived_from: str | None,
    limit: int | None,
    cursor: str | None,
    exact_total: bool,
    **conditions: Any,
) -> None:
    """Label images matching every given condition.

    With --limit, one page: the total number of matches and the --cursor of the next page are
    printed after it (with --json: an object with "total", "total_exact", "next_cursor" and
    "label_images"). Totals are exact up to 10,000 matches and read "10,000+" beyond
    ("total_exact": false), unless --exact-total counts every match.
    """
    with open_repo(repo) as repository:
        if derived_from:
            conditions["derived_from"] = repository.label_image(derived_from).id
        paged = limit is not None or cursor is not None
        page = repository.find_page(
            LabelImageFilter(**conditions), limit=limit, cursor=cursor, exact_total=exact_total
        )
        if as_json:
            records = [to_record(label) for label in page.labels]
            print_json(
                {
                    "total": page.total,
                    "total_exact": page.total_exact,
                    "next_cursor": page.next_cursor,
                    "label_images": records,
                }
                if paged
                else records
            )
            return
        print_rows([label_row(repository, label) for label in page.labels], "Label images")
        if paged:
            noun = "label image" if page.total == 1 and page.total_exact else "label images"
            console.print(f"{len(page.labels)} of {page.shown_total} {noun}")
            if page.next_cursor:
                console.print(f"next page: --cursor {page.next_cursor}", soft_wrap=True)


@click.command()
@repository_argument
@click.argument("label")
@json_option
def lineage(repo: str, label: str, as_json: bool) -> None:
    """The versions LABEL derives from and that derive from it, oldest first."""
    with open_repo(repo) as repository:
        chain = repository.lineage(label)
        if as_json:
            print_json([to_record(item) for item in chain])
        else:
            print_rows([label_row(repository, item) for item in chain], "Lineage")
