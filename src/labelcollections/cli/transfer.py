"""``labelcollections export``, ``import`` and ``validate``: OME-Zarr stores in and out."""

from __future__ import annotations

import click

from labelcollections.cli.options import LABEL_TYPES, open_repo, repository_argument, shards_option
from labelcollections.cli.output import console, counted
from labelcollections.repository import PlateImport
from labelcollections.storage.sharding import Shards
from labelcollections.storage.validation import validate_path

__all__ = ["export", "import_", "validate"]


@click.command()
@click.argument("path")
def validate(path: str) -> None:
    """Validate an RFC-8 collection document (.json) or an OME-Zarr store; exit 0 or 2."""
    summary = validate_path(path)
    console.print(f"valid: {summary}")


@click.command()
@repository_argument
@click.argument("image")
@click.argument("destination", type=click.Path())
@click.option("--ngff", type=click.Choice(["0.5", "0.4"]), default="0.5", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an earlier export at DESTINATION.")
@shards_option
def export(
    repo: str, image: str, destination: str, ngff: str, overwrite: bool, shards: Shards
) -> None:
    """Write IMAGE (or a plate) with its labels, collections and tables to a new OME-Zarr
    store (a plate in the NGFF plate layout, labels under every field).

    A DESTINATION ending in .ozx gets one zipped file (NGFF RFC-9) instead of a folder.
    """
    with open_repo(repo) as repository:
        target = repository.export(
            image,
            destination,
            "0.4" if ngff == "0.4" else "0.5",
            overwrite=overwrite,
            shards=shards,
        )
    console.print(f"exported {image} to {target} (NGFF {ngff})")
    console.print(f"open it with: napari --plugin napari-ome-zarr {target}")


@click.command("import")
@repository_argument
@click.argument("source")
@click.option("--name", help="Image name (default: from the store, or its folder name).")
@click.option(
    "--collection", default="imported", show_default=True, help="Collection for third-party labels."
)
@click.option(
    "--type",
    "label_type",
    type=LABEL_TYPES,
    default="instance",
    show_default=True,
    help="Type of third-party labels.",
)
def import_(repo: str, source: str, name: str | None, collection: str, label_type: str) -> None:
    """Import an OME-Zarr store (ours, or any with a labels group; a folder, a zipped .ozx
    file or a URL) into the repository."""
    with open_repo(repo) as repository:
        result = repository.import_store(
            source, name=name, collection=collection, label_type=label_type
        )
    if isinstance(result, PlateImport):
        labels = sum(len(field.labels) for field in result.fields)
        console.print(
            f"imported plate {result.plate.name}: {counted(len(result.fields), 'field')} with"
            f" {counted(labels, 'label image')}, "
            f"{counted(len(result.plate.collections), 'plate collection')}"
        )
        return
    console.print(
        f"imported image {result.image.name} with {counted(len(result.labels), 'label image')}"
        f" in {counted(len(result.collections), 'collection')}"
    )
