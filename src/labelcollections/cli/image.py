"""``labelcollections add-image`` and ``image list``: reference images."""

from __future__ import annotations

import click

from labelcollections.cli.options import (
    axes_option,
    json_option,
    open_repo,
    plate_options,
    repository_argument,
    shards_option,
)
from labelcollections.cli.output import console, counted, show
from labelcollections.storage.sharding import Shards

__all__ = ["add_image", "image"]


@click.command("add-image")
@repository_argument
@click.argument("source")
@click.option("--name", required=True, help="Name of the image in the repository.")
@axes_option
@shards_option
def add_image(repo: str, source: str, name: str, axes: list[str] | None, shards: Shards) -> None:
    """Add a reference image: TIFF / OME-TIFF / .npy, or register an OME-Zarr (path or URL)."""
    with open_repo(repo) as repository:
        image = repository.add_image(source, name, axes=axes, shards=shards)
    how = f"registered read-only from {image.source}" if image.source else "stored"
    console.print(
        f"added image [bold]{image.name}[/] ({image.id}): shape {image.shape}, {image.dtype},"
        f" {counted(len(image.levels), 'level')}, {how}"
    )


@click.group()
def image() -> None:
    """List reference images."""


@image.command("list")
@repository_argument
@plate_options
@json_option
def image_list(repo: str, plate: str | None, well: str | None, as_json: bool) -> None:
    """Every reference image (or the fields of a plate, or of a well) with its size and
    number of collections."""
    with open_repo(repo) as repository:
        if plate is not None:
            repository.plate(plate)
        rows = [
            {
                "id": img.id,
                "name": img.name,
                "well": f"{img.plate.plate} {img.plate.well} field {img.plate.field}"
                if img.plate
                else "",
                "shape": "×".join(str(n) for n in img.shape),
                "axes": "".join(img.axis_names),
                "dtype": img.dtype or "",
                "levels": len(img.levels),
                "collections": len(repository.collections(img.name)),
                "source": img.source or "",
            }
            for img in repository.images(plate, well)
        ]
    show(rows, "Images", as_json)
