"""The ``labelcollections`` command line: parse arguments, call the repository, print results.

User mistakes print one line (``error: <input>: <field>: <expected>``) and exit with code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import tifffile
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from labelcollections import __version__
from labelcollections.catalog import LabelImageFilter
from labelcollections.errors import InputError, LabelCollectionsError
from labelcollections.geojson_exchange import OBJECT_TYPES, add_annotations, export_polygons
from labelcollections.model.images import LabelImage
from labelcollections.model.label_schema import LabelSchema, parse_label_schema
from labelcollections.model.parsing import validate_model
from labelcollections.model.provenance import Provenance, parse_software
from labelcollections.model.records import to_record
from labelcollections.model.vocabulary import Downsampling, LabelType, Method
from labelcollections.omero.gateway import OmeroGateway
from labelcollections.omero_sync import OmeroSync, PixelMode
from labelcollections.progress import Advance
from labelcollections.repository import Repository
from labelcollections.storage.locations import read_json
from labelcollections.storage.validation import validate_path

F = TypeVar("F", bound=Callable[..., Any])
GEOJSON_SUFFIXES = (".geojson", ".json")
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)


class RichProgress:
    """Progress bars on the terminal (hidden when output is not a terminal)."""

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=errors,
            transient=True,
            disable=not errors.is_terminal,
        ) as bar:
            task = bar.add_task(description, total=total)

            def advance(steps: int = 1) -> None:
                bar.advance(task, steps)

            yield advance


def open_repo(path: str) -> Repository:
    return Repository.open(path, RichProgress())


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def label_row(repository: Repository, label: LabelImage) -> dict[str, Any]:
    provenance = label.provenance
    software = provenance.software or ""
    if provenance.software_version:
        software += f"=={provenance.software_version}"
    return {
        "id": label.id,
        "image": repository.image(label.image_id).name,
        "label": label.key,
        "type": label.label_type.value,
        "method": provenance.method.value,
        "software": software,
        "author": provenance.author or "",
        "created": provenance.created.isoformat(timespec="seconds"),
        "classes": ", ".join(label.label_schema.class_names()),
    }


def show(rows: Sequence[dict[str, Any]], title: str, as_json: bool) -> None:
    """Rows as JSON for programs, or as a table for people."""
    if as_json:
        print_json(list(rows))
    else:
        print_rows(rows, title)


def print_rows(rows: Sequence[dict[str, Any]], title: str) -> None:
    if not rows:
        console.print(f"no {title.lower()}")
        return
    table = Table(title=title)
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(value) for value in row.values()))
    console.print(table)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labelcollections")
def cli() -> None:
    """Label images with provenance, versions and collections, in OME-Zarr and OMERO."""


@cli.command()
@click.argument("path", type=click.Path(file_okay=False))
def init(path: str) -> None:
    """Create a repository in PATH (a new or empty folder)."""
    repository = Repository.init(path)
    console.print(f"created repository {repository.root}")


@cli.command("add-image")
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("source")
@click.option("--name", required=True, help="Name of the image in the repository.")
@click.option("--axes", help="Axis names of an array without metadata, e.g. 'zyx'.")
def add_image(repo: str, source: str, name: str, axes: str | None) -> None:
    """Add a reference image: TIFF / OME-TIFF / .npy, or register an OME-Zarr (path or URL)."""
    with open_repo(repo) as repository:
        image = repository.add_image(source, name, axes=list(axes) if axes else None)
    how = f"registered read-only from {image.source}" if image.source else "stored"
    console.print(
        f"added image [bold]{image.name}[/] ({image.id}): shape {image.shape}, {image.dtype},"
        f" {len(image.levels)} levels, {how}"
    )


@cli.command("add-labels")
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("image")
@click.argument("source", type=click.Path())
@click.option("--collection", required=True, help="Collection to add to (created if new).")
@click.option("--name", required=True, help="Label image name, e.g. nuclei.")
@click.option("--type", "label_type", type=click.Choice([t.value for t in LabelType]))
@click.option("--version", "version", default="v1", show_default=True)
@click.option("--method", type=click.Choice([m.value for m in Method]))
@click.option("--software", help="name or name==version of the software that made the labels.")
@click.option("--author")
@click.option("--model-name")
@click.option("--model-version")
@click.option("--model-sha256")
@click.option("--training-data", help="What the model was trained on.")
@click.option("--parameters", type=click.Path(dir_okay=False), help="JSON file of parameters.")
@click.option(
    "--derived-from", help="Label image this one is a new version of (id or name@version)."
)
@click.option("--classes", type=click.Path(dir_okay=False), help="JSON file: value → class.")
@click.option(
    "--provenance",
    "provenance_file",
    type=click.Path(dir_okay=False),
    help="JSON file with the whole provenance (options override it).",
)
@click.option("--axes", help="Axis names of the label array, e.g. 'yx'.")
@click.option(
    "--downsampling", type=click.Choice(["nearest", "mode"]), default="nearest", show_default=True
)
@click.option(
    "--value-property",
    help="GeoJSON SOURCE: the Feature property holding label values (default: numbered).",
)
def add_labels(
    repo: str,
    image: str,
    source: str,
    collection: str,
    name: str,
    label_type: str | None,
    version: str,
    method: str | None,
    software: str | None,
    author: str | None,
    model_name: str | None,
    model_version: str | None,
    model_sha256: str | None,
    training_data: str | None,
    parameters: str | None,
    derived_from: str | None,
    classes: str | None,
    provenance_file: str | None,
    axes: str | None,
    downsampling: str,
    value_property: str | None,
) -> None:
    """Add a label image of IMAGE to a collection, with provenance.

    SOURCE is a TIFF / OME-TIFF / .npy file, a Zarr array (read chunk by chunk, so label
    images larger than memory work), or a GeoJSON FeatureCollection (a QuPath export, say),
    rasterised onto IMAGE's pixels.
    """
    base: dict[str, Any] = read_json(provenance_file) if provenance_file else {}
    if not isinstance(base, dict):
        raise InputError(str(provenance_file), "<root>", "a JSON object of provenance fields")
    label_type = label_type or base.pop("label_type", None)
    if label_type is None:
        raise InputError("--type", "type", "one of semantic, instance, panoptic")
    overrides: dict[str, Any] = {
        "method": method,
        "author": author,
        "model_name": model_name,
        "model_version": model_version,
        "model_sha256": model_sha256,
        "training_data": training_data,
        "derived_from": derived_from,
    }
    if software:
        overrides["software"], overrides["software_version"] = parse_software(software)
    if parameters:
        overrides["parameters"] = read_json(parameters)
    fields = {**base, **{k: v for k, v in overrides.items() if v is not None}}
    if "method" not in fields:
        raise InputError("--method", "method", f"one of {', '.join(m.value for m in Method)}")
    provenance = validate_model(Provenance, fields, provenance_file or "provenance options")
    schema = parse_label_schema(read_json(classes), classes) if classes else LabelSchema()
    mode: Downsampling = "mode" if downsampling == "mode" else "nearest"
    with open_repo(repo) as repository:
        if Path(source).suffix.lower() in GEOJSON_SUFFIXES:
            label = add_annotations(
                repository,
                image,
                source,
                collection=collection,
                name=name,
                label_type=label_type,
                provenance=provenance,
                version=version,
                value_property=value_property,
                label_schema=schema if classes else None,
                downsampling=mode,
            )
        else:
            label = repository.add_labels(
                image,
                source,
                collection=collection,
                name=name,
                label_type=label_type,
                version=version,
                provenance=provenance,
                label_schema=schema,
                axes=list(axes) if axes else None,
                downsampling=mode,
            )
    console.print(
        f"added label image [bold]{collection}/{label.key}[/] ({label.id}) to {image}:"
        f" {label.label_type.value}, {len(label.levels)} levels, {label.provenance.content_hash}"
    )


@cli.command()
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("label")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="A new .geojson.")
@click.option(
    "--simplify",
    type=click.FloatRange(0, min_open=True),
    help="Simplify outlines by up to this many pixels (smaller files; no longer exact).",
)
@click.option("--measurements", is_flag=True, help="Add the instance-table row (QuPath).")
@click.option(
    "--object-type", type=click.Choice(OBJECT_TYPES), default="annotation", show_default=True
)
def polygons(
    repo: str,
    label: str,
    output: str,
    simplify: float | None,
    measurements: bool,
    object_type: str,
) -> None:
    """LABEL's objects as GeoJSON for QuPath: exact pixel-edge polygons, one file per plane."""
    with open_repo(repo) as repository:
        written = export_polygons(
            repository,
            label,
            output,
            simplify=simplify,
            measurements=measurements,
            object_type=object_type,
        )
    for plane_file in written:
        where = " ".join(f"{axis}={index}" for axis, index in plane_file.plane.items())
        console.print(f"wrote {plane_file.features} features to {plane_file.path} {where}".strip())
    if simplify is not None:
        console.print(f"simplified by {simplify:g} px: the polygons no longer give the pixels back")


@cli.group()
def image() -> None:
    """List reference images."""


@image.command("list")
@click.argument("repo", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True)
def image_list(repo: str, as_json: bool) -> None:
    """Every reference image with its size and number of collections."""
    with open_repo(repo) as repository:
        rows = [
            {
                "id": img.id,
                "name": img.name,
                "shape": "×".join(str(n) for n in img.shape),
                "axes": "".join(img.axis_names),
                "dtype": img.dtype or "",
                "levels": len(img.levels),
                "collections": len(repository.collections(img.name)),
                "source": img.source or "",
            }
            for img in repository.images()
        ]
    show(rows, "Images", as_json)


@cli.group()
def collection() -> None:
    """List, show and extend label collections."""


@collection.command("list")
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("image", required=False)
@click.option("--json", "as_json", is_flag=True)
def collection_list(repo: str, image: str | None, as_json: bool) -> None:
    """Collections of the repository, or of one IMAGE."""
    with open_repo(repo) as repository:
        rows = [
            {
                "id": c.id,
                "image": repository.image(c.image_id).name,
                "collection": c.name,
                "label images": len(c.members),
                "members": ", ".join(repository.label_image(m).key for m in c.members),
            }
            for c in repository.collections(image)
        ]
    show(rows, "Collections", as_json)


@collection.command("show")
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("name")
@click.option("--image", help="Image the collection belongs to (when the name is ambiguous).")
@click.option("--json", "as_json", is_flag=True)
def collection_show(repo: str, name: str, image: str | None, as_json: bool) -> None:
    """One collection with its label images and their provenance."""
    with open_repo(repo) as repository:
        found = repository.collection(name, image)
        labels = [repository.label_image(member) for member in found.members]
        if as_json:
            print_json({**to_record(found), "label_images": [to_record(label) for label in labels]})
            return
        reference = repository.image(found.image_id)
        console.print(f"[bold]{found.name}[/] ({found.id}) of image {reference.name}")
        if found.description:
            console.print(found.description)
        print_rows([label_row(repository, label) for label in labels], "Label images")


@collection.command("add")
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("name")
@click.argument("label")
def collection_add(repo: str, name: str, label: str) -> None:
    """Make LABEL (id or image/name@version) a member of collection NAME too."""
    with open_repo(repo) as repository:
        updated = repository.add_to_collection(label, name)
    console.print(f"collection {updated.name} now has {len(updated.members)} label images")


@cli.command()
@click.argument("repo", type=click.Path(file_okay=False))
@click.option("--method", type=click.Choice([m.value for m in Method]))
@click.option("--software", help="name or name==version")
@click.option("--author")
@click.option("--type", "label_type", type=click.Choice([t.value for t in LabelType]))
@click.option("--version")
@click.option("--class", "class_name", help="A class name in the label schema.")
@click.option("--image")
@click.option("--collection")
@click.option("--name")
@click.option("--derived-from")
@click.option("--model-sha256")
@click.option("--min-instances", type=click.IntRange(0), help="At least this many objects.")
@click.option("--max-instances", type=click.IntRange(0), help="At most this many objects.")
@click.option("--min-mean-area", type=click.FloatRange(0), help="Mean object size (pixels).")
@click.option("--max-mean-area", type=click.FloatRange(0), help="Mean object size (pixels).")
@click.option("--json", "as_json", is_flag=True)
def find(repo: str, as_json: bool, derived_from: str | None, **conditions: Any) -> None:
    """Label images matching every given condition."""
    with open_repo(repo) as repository:
        if derived_from:
            conditions["derived_from"] = repository.label_image(derived_from).id
        found = repository.find(LabelImageFilter(**conditions))
        if as_json:
            print_json([to_record(label) for label in found])
        else:
            print_rows([label_row(repository, label) for label in found], "Label images")


@cli.command()
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("label")
@click.option("--json", "as_json", is_flag=True)
def lineage(repo: str, label: str, as_json: bool) -> None:
    """The versions LABEL derives from and that derive from it, oldest first."""
    with open_repo(repo) as repository:
        chain = repository.lineage(label)
        if as_json:
            print_json([to_record(item) for item in chain])
        else:
            print_rows([label_row(repository, item) for item in chain], "Lineage")


@cli.group()
def instance() -> None:
    """Objects of label images, by stable id ``<label-image-id>:<label value>``."""


@instance.command("show")
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("instance_id")
@click.option("--json", "as_json", is_flag=True)
def instance_show(repo: str, instance_id: str, as_json: bool) -> None:
    """An object's instance-table row and the objects of other versions matched with it."""
    with open_repo(repo) as repository:
        found = repository.instance(instance_id)
        matches = [
            {
                "instance": f"{match.label_image_id}:{match.label}",
                "label image": repository.label_image(match.label_image_id).key,
                "iou": round(match.iou, 4),
                "threshold": match.threshold,
            }
            for match in found.matches
        ]
        if as_json:
            print_json(
                {
                    "id": found.id,
                    "label_image": found.label_image.id,
                    "row": found.row,
                    "matches": matches,
                }
            )
            return
        title = f"{found.id} ({repository.image(found.label_image.image_id).name}/"
        print_rows(
            [{"column": k, "value": v} for k, v in found.row.items()],
            title + f"{found.label_image.key})",
        )
        if matches:
            print_rows(matches, "Same object in other versions")


@instance.command("table")
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("label")
@click.option("--output", type=click.Path(dir_okay=False), help="Write to .csv or .parquet.")
def instance_table_command(repo: str, label: str, output: str | None) -> None:
    """LABEL's instance table: printed as CSV, or written to --output."""
    with open_repo(repo) as repository:
        write_table_file(repository.instance_table(label), output)


@cli.command("add-table")
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("label")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--name", help="Table name (default: the file name without suffix).")
@click.option(
    "--instance-key", default="label", show_default=True, help="Column holding label values."
)
def add_table(repo: str, label: str, source: str, name: str | None, instance_key: str) -> None:
    """Attach a table of measurements (CSV or Parquet, one row per object) to LABEL."""
    with open_repo(repo) as repository:
        record = repository.add_table(label, source, name=name, instance_key=instance_key)
    console.print(f"added table [bold]{record.name}[/] ({record.rows} rows)")


@cli.group("table")
def table_group() -> None:
    """Tables stored with label images (instances, features, correspondences)."""


@table_group.command("list")
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("label")
@click.option("--json", "as_json", is_flag=True)
def table_list(repo: str, label: str, as_json: bool) -> None:
    """The tables of LABEL."""
    with open_repo(repo) as repository:
        rows = [
            {"name": record.name, "kind": record.kind, "rows": record.rows}
            for record in repository.tables(label)
        ]
    show(rows, "Tables", as_json)


@table_group.command("export")
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("label")
@click.argument("name")
@click.option("--output", type=click.Path(dir_okay=False), help="Write to .csv or .parquet.")
def table_export(repo: str, label: str, name: str, output: str | None) -> None:
    """Table NAME of LABEL: printed as CSV, or written to --output."""
    with open_repo(repo) as repository:
        write_table_file(repository.table(label, name), output)


def write_table_file(table: pa.Table, output: str | None) -> None:
    """A table as CSV on standard output, or as a .csv / .parquet file (never overwritten)."""
    if output is None:
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(table, sink)
        click.echo(sink.getvalue().to_pybytes().decode(), nl=False)
        return
    target = Path(output)
    if target.exists():
        raise InputError(output, "--output", "a file that does not exist yet")
    if target.suffix.lower() not in (".csv", ".parquet"):
        raise InputError(output, "--output", "a .csv or .parquet file name")
    if target.suffix.lower() == ".csv":
        pa_csv.write_csv(table, target)
    else:
        pq.write_table(table, target)
    console.print(f"wrote {table.num_rows} rows to {target}")


@cli.command()
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("a")
@click.argument("b")
@click.option(
    "--iou",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True),
    help="IoU at which two objects match.",
)
@click.option("--json", "as_json", is_flag=True)
def compare(repo: str, a: str, b: str, iou: float, as_json: bool) -> None:
    """Compare label image B with A (the reference) of the same image."""
    with open_repo(repo) as repository:
        result = repository.compare(a, b, iou)
    summary = result.to_dict()
    if as_json:
        print_json(summary)
        return
    if "metrics" in summary:
        metrics = summary["metrics"]
        rows = [
            {"metric": key, "value": value if not isinstance(value, float) else f"{value:.4f}"}
            for key, value in metrics.items()
            if key != "precision_at"
        ]
        rows.append({"metric": "splits (objects of A)", "value": len(summary["splits"])})
        rows.append({"metric": "merges (objects of B)", "value": len(summary["merges"])})
        print_rows(rows, f"{b} against {a} at IoU {iou:g}")
    if "classes" in summary:
        print_rows(
            [
                {
                    "value": c["value"],
                    "class": c["name"] or "",
                    "pixels A": c["pixels_a"],
                    "pixels B": c["pixels_b"],
                    "dice": f"{c['dice']:.4f}",
                    "iou": f"{c['iou']:.4f}",
                }
                for c in summary["classes"]
            ],
            f"{b} against {a}, per class",
        )


@cli.command()
@click.argument("path")
def validate(path: str) -> None:
    """Validate an RFC-8 collection document (.json) or an OME-Zarr store; exit 0 or 2."""
    summary = validate_path(path)
    console.print(f"valid: {summary}")


@cli.command()
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("image")
@click.argument("destination", type=click.Path())
@click.option("--ngff", type=click.Choice(["0.5", "0.4"]), default="0.5", show_default=True)
def export(repo: str, image: str, destination: str, ngff: str) -> None:
    """Write IMAGE with its labels and collections to a new OME-Zarr store."""
    with open_repo(repo) as repository:
        target = repository.export(image, destination, "0.4" if ngff == "0.4" else "0.5")
    console.print(f"exported {image} to {target} (NGFF {ngff})")
    console.print(f"open it with: napari --plugin napari-ome-zarr {target}")


@cli.command("import")
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("source")
@click.option("--name", help="Image name (default: from the store, or its folder name).")
@click.option(
    "--collection", default="imported", show_default=True, help="Collection for third-party labels."
)
@click.option(
    "--type",
    "label_type",
    type=click.Choice([t.value for t in LabelType]),
    default="instance",
    show_default=True,
    help="Type of third-party labels.",
)
def import_(repo: str, source: str, name: str | None, collection: str, label_type: str) -> None:
    """Import an OME-Zarr store (ours, or any with a labels group) into the repository."""
    with open_repo(repo) as repository:
        result = repository.import_store(
            source, name=name, collection=collection, label_type=label_type
        )
    console.print(
        f"imported image {result.image.name} with {len(result.labels)} label images in"
        f" {len(result.collections)} collections"
    )


@cli.command()
@click.argument("repo", type=click.Path(file_okay=False))
def verify(repo: str) -> None:
    """Re-hash every image and label image against the recorded hashes; exit 1 on mismatch."""
    with open_repo(repo) as repository:
        problems = repository.verify()
        checked = len(repository.images()) + len(repository.label_images())
    for problem in problems:
        errors.print(
            f"mismatch: {problem.what}: recorded {problem.recorded}, found {problem.actual}"
        )
    if problems:
        sys.exit(1)
    console.print(f"ok: {checked} pixel hashes match")


@cli.command()
@click.argument("repo", type=click.Path(file_okay=False))
def reindex(repo: str) -> None:
    """Rebuild the catalog from the stores."""
    with open_repo(repo) as repository:
        repository.reindex()
        count = len(repository.label_images())
    console.print(f"reindexed: {count} label images")


@cli.command()
@click.argument(
    "directory", required=False, default="demo-output", type=click.Path(file_okay=False)
)
def demo(directory: str) -> None:
    """Build a demo repository from a real microscopy image with competing segmentations."""
    from labelcollections.demo import run_demo

    run_demo(Path(directory), RichProgress(), console)


@cli.command()
@click.argument("repo", type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
def serve(repo: str, host: str, port: int) -> None:
    """Serve the HTTP API and the web viewer of REPO (read-only)."""
    import uvicorn

    from labelcollections.server import create_app

    app = create_app(repo)
    console.print(f"serving {Path(repo).resolve()} at http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


# -- OMERO ------------------------------------------------------------------------------------


@cli.group()
@click.option("--host", envvar="OMERO_HOST", help="OMERO server (env OMERO_HOST).")
@click.option("--port", envvar="OMERO_PORT", default=4064, show_default=True, type=int)
@click.option("--user", envvar="OMERO_USER", help="User name (env OMERO_USER).")
@click.option("--password", envvar="OMERO_PASSWORD", help="Password (env OMERO_PASSWORD).")
@click.option("--session-key", envvar="OMERO_SESSION_KEY", help="Join an existing session.")
@click.pass_context
def omero(
    ctx: click.Context,
    host: str | None,
    port: int,
    user: str | None,
    password: str | None,
    session_key: str | None,
) -> None:
    """Push, pull, list, find and convert label collections on an OMERO server."""
    ctx.ensure_object(dict)
    ctx.obj.setdefault("login", (host, port, user, password, session_key))


@contextmanager
def omero_gateway(ctx: click.Context) -> Iterator[OmeroGateway]:
    """The gateway given by the caller (tests), else a session on the server (omero-py)."""
    given = ctx.find_object(dict) or {}
    if "gateway" in given:
        yield given["gateway"]
        return
    host, port, user, password, session_key = given["login"]
    if not host:
        raise InputError("--host", "OMERO_HOST", "the OMERO server to connect to")
    try:
        from labelcollections.omero.blitz import BlitzOmeroGateway
    except ImportError:
        raise InputError(
            "omero",
            "omero-py",
            "omero-py installed: pip install 'labelcollections[omero]' (see README.md)",
        ) from None
    if not session_key:
        user = user or click.prompt("OMERO user")
        password = password or click.prompt("OMERO password", hide_input=True)
    with BlitzOmeroGateway.connect(
        host, port, username=user, password=password, session_key=session_key
    ) as gateway:
        yield gateway


@omero.command("push")
@click.argument("repo", type=click.Path(file_okay=False))
@click.argument("image")
@click.option("--image", "omero_image", required=True, type=int, help="OMERO Image id.")
@click.option("--collection", help="Push one collection (default: all of IMAGE).")
@click.option(
    "--pixels", type=click.Choice(["upload", "zarr"]), default="upload", show_default=True
)
@click.option("--zarr-base", help="Where IMAGE's OME-Zarr is published (for --pixels zarr).")
@click.pass_context
def omero_push(
    ctx: click.Context,
    repo: str,
    image: str,
    omero_image: int,
    collection: str | None,
    pixels: str,
    zarr_base: str | None,
) -> None:
    """Push IMAGE's collections onto an OMERO Image (again: update, never duplicate)."""
    mode: PixelMode = "zarr" if pixels == "zarr" else "upload"
    with open_repo(repo) as repository, omero_gateway(ctx) as gateway:
        result = OmeroSync(repository, gateway).push(
            image, omero_image, collection, mode, zarr_base
        )
    for pushed in result.collections:
        console.print(
            f"collection {pushed.name}: OMERO id {pushed.omero_collection_id} on Image:"
            f"{omero_image}"
        )
    console.print(
        f"label images: {len(result.created)} added ({', '.join(result.created) or '-'}), "
        f"{len(result.kept)} already there"
    )


@omero.command("pull")
@click.argument("omero_image", type=int)
@click.argument("repo", type=click.Path(file_okay=False))
@click.option("--collection", help="Pull one collection (default: all).")
@click.pass_context
def omero_pull(ctx: click.Context, omero_image: int, repo: str, collection: str | None) -> None:
    """Copy the collections of an OMERO Image into REPO (created if new)."""
    exists = (Path(repo) / "labelcollections.json").is_file()
    repository = open_repo(repo) if exists else Repository.init(repo, RichProgress())
    with repository, omero_gateway(ctx) as gateway:
        result = OmeroSync(repository, gateway).pull(omero_image, collection)
    for note in result.notes:
        errors.print(f"note: {note}", markup=False, highlight=False)
    console.print(
        f"pulled {len(result.collections)} collections with {len(result.labels)} label images"
        f" into {repository.root}"
    )


@omero.command("list")
@click.argument("omero_image", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def omero_list(ctx: click.Context, omero_image: int, as_json: bool) -> None:
    """Collections, label images, versions and provenance on an OMERO Image."""
    with omero_gateway(ctx) as gateway:
        found = OmeroSync(None, gateway).read(omero_image)
    for item in found:
        for note in item.notes:
            errors.print(f"note: {note}", markup=False, highlight=False)
    rows = [
        {
            "collection": item.collection.name,
            "collection id": item.collection.omero_collection_id,
            "label": label.key,
            "type": label.label_type.value,
            "omero": f"{item.locations[label.id].kind}:{item.locations[label.id].object_id}",
            "method": label.provenance.method.value,
            "software": " ".join(
                filter(None, [label.provenance.software, label.provenance.software_version])
            ),
            "author": label.provenance.author or "",
            "created": label.provenance.created.isoformat(timespec="seconds"),
        }
        for item in found
        for label in item.labels
    ]
    show(rows, f"Label images on Image:{omero_image}", as_json)


FIND_KEYS = {
    "method": "provenance.method",
    "author": "provenance.author",
    "label_type": "label.type",
    "version": "label.version",
    "name": "label.name",
    "model_sha256": "provenance.model_sha256",
    "collection_id": "omero.collection_id",
    "ref_image": "omero.ref_image_id",
}


@omero.command("find")
@click.option("--method", type=click.Choice([m.value for m in Method]))
@click.option("--software", help="name or name==version")
@click.option("--author")
@click.option("--type", "label_type", type=click.Choice([t.value for t in LabelType]))
@click.option("--version")
@click.option("--name")
@click.option("--model-sha256")
@click.option("--collection-id", type=int, help="OMERO id of a collection.")
@click.option("--ref-image", type=int, help="OMERO id of the reference image.")
@click.option("--where", multiple=True, help="KEY=VALUE of any key of the schema (repeatable).")
@click.option("--group", help="Only this group (name or id); default: all your groups.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def omero_find(
    ctx: click.Context,
    /,
    software: str | None,
    where: tuple[str, ...],
    group: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Label images in OMERO whose key-value pairs match every condition."""
    conditions = [(FIND_KEYS[k], str(v)) for k, v in options.items() if v is not None]
    if software:
        name, version = parse_software(software)
        conditions.append(("provenance.software", name))
        if version:
            conditions.append(("provenance.software_version", version))
    for item in where:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise InputError("--where", item, "KEY=VALUE, e.g. provenance.model_name=cyto3")
        conditions.append((key, value))
    if not conditions:
        raise InputError("find", "conditions", "at least one condition (see --help)")
    with omero_gateway(ctx) as gateway:
        found = OmeroSync(None, gateway).find(conditions, group)
    if as_json:
        print_json(
            [
                {
                    "omero": f"{f.kind}:{f.object_id}",
                    "group_id": f.group_id,
                    "ref_image_id": f.ref_image_id,
                    "label_image": to_record(f.label),
                }
                for f in found
            ]
        )
        return
    rows = [
        {
            "omero": f"{f.kind}:{f.object_id}",
            "group": f.group_id,
            "image": f.ref_image_id or "",
            "label": f.label.key,
            "type": f.label.label_type.value,
            "method": f.label.provenance.method.value,
            "software": f.label.provenance.software or "",
        }
        for f in found
    ]
    print_rows(rows, "Label images")


@omero.command("register-zarr")
@click.argument("omero_image", type=int)
@click.argument("zarr_path")
@click.option("--ngff-version", help="Default: read from the store.")
@click.option("--conversion-date", help="ISO date of the conversion (default: today).")
@click.pass_context
def omero_register_zarr(
    ctx: click.Context,
    omero_image: int,
    zarr_path: str,
    ngff_version: str | None,
    conversion_date: str | None,
) -> None:
    """Record the OME-Zarr (path or URL) an OMERO Image is published as."""
    with omero_gateway(ctx) as gateway:
        annotation = OmeroSync(None, gateway).register_zarr(
            omero_image, zarr_path, ngff_version, conversion_date
        )
    pairs = ", ".join(f"{k}={v}" for k, v in annotation.pairs)
    console.print(f"Image:{omero_image}: {pairs}", markup=False, highlight=False)


@omero.command("migrate")
@click.argument("omero_image", type=int)
@click.pass_context
def omero_migrate(ctx: click.Context, omero_image: int) -> None:
    """Rewrite BioHackathon-prototype collections of an OMERO Image in our schema."""
    with omero_gateway(ctx) as gateway:
        migrated = OmeroSync(None, gateway).migrate(omero_image)
    for item in migrated:
        console.print(
            f"migrated collection {item.collection.name} (OMERO id "
            f"{item.collection.omero_collection_id}) with {len(item.labels)} label images"
        )
    if not migrated:
        console.print(f"nothing to migrate on Image:{omero_image}")


@omero.command("masks")
@click.argument("omero_image", type=int)
@click.argument("label_image")
@click.option(
    "--to-masks/--from-masks",
    default=True,
    help="LABEL_IMAGE (pushed) → Mask ROIs, or Mask ROIs → LABEL_IMAGE, a .npy/.tif file.",
)
@click.pass_context
def omero_masks(ctx: click.Context, omero_image: int, label_image: str, to_masks: bool) -> None:
    """Convert a label image to classic Mask ROIs, or Mask ROIs to a label image file."""
    target = Path(label_image)
    if not to_masks and (target.suffix not in (".npy", ".tif", ".tiff") or target.exists()):
        raise InputError(label_image, "output", "a new .npy, .tif or .tiff file")
    with omero_gateway(ctx) as gateway:
        sync = OmeroSync(None, gateway)
        if to_masks:
            rois = sync.to_masks(omero_image, label_image)
            console.print(f"created {len(rois)} Mask ROIs on Image:{omero_image}")
            return
        pixels = sync.from_masks(omero_image)
    keep = tuple(i for i, n in enumerate(pixels.shape) if n > 1 or i >= 3)
    axes = "".join("tczyx"[i] for i in keep)
    data = pixels.reshape([pixels.shape[i] for i in keep])
    if target.suffix == ".npy":
        np.save(target, data)
    else:
        tifffile.imwrite(target, data, ome=True, metadata={"axes": axes.upper()})
    console.print(f"wrote {target}: axes {axes}, shape {data.shape}, {int(data.max())} objects max")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the CLI, turning our errors into one line and exit code 2."""
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Abort:
        errors.print("aborted")
        sys.exit(130)
    except click.ClickException as error:
        context = getattr(error, "ctx", None)
        where = f"{context.command_path}: " if context is not None else ""
        errors.print(f"error: {where}{error.format_message()}", markup=False, highlight=False)
        sys.exit(2)
    except LabelCollectionsError as error:
        errors.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
