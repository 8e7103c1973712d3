"""``labelcollections add-image`` and ``image list``: reference images."""

from __future__ import annotations

import click

from labelcollections.cli.options import json_option, open_repo, repository_argument
from labelcollections.cli.output import console, counted, show

__all__ = ["add_image", "image"]


@click.command("add-image")
@repository_argument
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
        f" {counted(len(image.levels), 'level')}, {how}"
    )


@click.group()
def image() -> None:
    """List reference images."""


@image.command("list")
@repository_argument
@json_option
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
