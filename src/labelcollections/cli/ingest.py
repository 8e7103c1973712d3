"""``labelcollections ingest``: many label images at once, on a Dask cluster."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from labelcollections.cli.options import (
    LABEL_TYPES,
    provenance_options,
    repository_argument,
    scheduler_option,
)
from labelcollections.cli.output import RichProgress, console, counted, print_rows
from labelcollections.errors import InputError
from labelcollections.ingest import connected, glob_rows, ingest, read_manifest

__all__ = ["ingest_command"]


@click.command("ingest")
@repository_argument
@click.argument("manifest", required=False, type=click.Path(dir_okay=False))
@click.option("--images", help="Glob of reference images instead of a manifest: 'raw/*.tif'.")
@click.option("--labels", help="Label image of each: a path with {stem}, 'seg/{stem}_masks.tif'.")
@click.option("--collection", help="With --images: the collection of every label image.")
@click.option("--name", help="With --images: the name of every label image.")
@click.option("--type", "label_type", type=LABEL_TYPES, help="With --images: the label type.")
@click.option("--version", help="With --images: the version (default v1).")
@click.option("--axes", help="With --images: axis names of the label images, e.g. 'yx'.")
@click.option("--image-axes", help="With --images: axis names of the reference images.")
@provenance_options
@scheduler_option
@click.option(
    "--workers",
    type=click.IntRange(1),
    help="Worker processes of the local cluster (no --scheduler). Default: one per core.",
)
def ingest_command(
    repo: str,
    manifest: str | None,
    images: str | None,
    labels: str | None,
    scheduler: str | None,
    workers: int | None,
    parameters: str | None,
    **columns: Any,
) -> None:
    """Add the label images of a MANIFEST (CSV or JSON Lines, one label image per row) or of
    --images / --labels, with their reference images, on a Dask cluster.

    Columns: image, image_name, image_axes, labels, collection, name, type, version, axes,
    classes, provenance, parameters, downsampling and provenance fields (method, software,
    author, model_name, model_version, model_sha256, training_data, derived_from): each means
    what the add-image / add-labels option of that name means. Rows already there with the
    same pixels are skipped, so an interrupted run is finished by running it again. Exit 1 if
    a row failed (the summary lists them), 2 if the manifest is invalid.
    """
    if (manifest is None) == (images is None):
        raise InputError("ingest", "MANIFEST", "a manifest file, or --images and --labels")
    if manifest is not None:
        given = [f"--{k.replace('_', '-')}" for k, v in columns.items() if v is not None]
        if given or labels is not None or parameters is not None:
            raise InputError(manifest, given[0] if given else "--labels", "a manifest alone")
        rows = read_manifest(manifest)
    else:
        if labels is None:
            raise InputError("--images", "--labels", "the label image of each, with {stem}")
        options = {"type" if k == "label_type" else k: v for k, v in columns.items()}
        if parameters is not None:
            options["parameters"] = str(Path(parameters).resolve())
        rows = glob_rows(str(images), labels, options)
    with connected(scheduler, workers) as client:
        report = ingest(repo, rows, client, RichProgress())
    failed = report.failed
    console.print(
        f"ingested {counted(len(report.outcomes), 'row')}: {report.count('added')} added,"
        f" {report.count('present')} already there, {len(failed)} failed"
    )
    if failed:
        print_rows(
            [{"row": o.row, "input": o.input, "error": o.detail} for o in failed], "Failed rows"
        )
        sys.exit(1)
