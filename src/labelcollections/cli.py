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
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from labelcollections import __version__
from labelcollections.catalog import LabelImageFilter
from labelcollections.errors import InputError, LabelCollectionsError
from labelcollections.model.images import LabelImage
from labelcollections.model.label_schema import LabelSchema, parse_label_schema
from labelcollections.model.parsing import validate_model
from labelcollections.model.provenance import Provenance, parse_software
from labelcollections.model.records import to_record
from labelcollections.model.vocabulary import LabelType, Method
from labelcollections.progress import Advance
from labelcollections.repository import Repository
from labelcollections.storage.locations import read_json
from labelcollections.validation import validate_path

F = TypeVar("F", bound=Callable[..., Any])
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
) -> None:
    """Add a label image (TIFF / OME-TIFF / .npy) of IMAGE to a collection, with provenance."""
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
    with open_repo(repo) as repository:
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
            downsampling="mode" if downsampling == "mode" else "nearest",
        )
    console.print(
        f"added label image [bold]{collection}/{label.key}[/] ({label.id}) to {image}:"
        f" {label.label_type.value}, {len(label.levels)} levels, {label.provenance.content_hash}"
    )


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
