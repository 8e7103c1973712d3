"""``labelcollections plate``: HCS plates and their plate-level collections."""

from __future__ import annotations

import click

from labelcollections.cli.options import json_option, open_repo, repository_argument
from labelcollections.cli.output import console, counted, show

__all__ = ["plate"]


@click.group()
def plate() -> None:
    """List plates; name a segmentation run over a plate once (a plate-level collection)."""


@plate.command("list")
@repository_argument
@json_option
def plate_list(repo: str, as_json: bool) -> None:
    """Every plate with its grid, fields and plate-level collections."""
    with open_repo(repo) as repository:
        rows = [
            {
                "id": item.id,
                "name": item.name,
                "grid": f"{len(item.rows)}×{len(item.columns)}",
                "wells": len(item.wells),
                "fields": len(item.field_ids),
                "collections": ", ".join(c.name for c in item.collections),
            }
            for item in repository.plates()
        ]
    show(rows, "Plates", as_json)


@plate.command("collect")
@repository_argument
@click.argument("plate_name", metavar="PLATE")
@click.argument("collection")
def plate_collect(repo: str, plate_name: str, collection: str) -> None:
    """Make the plate-level COLLECTION of PLATE: the collections of that name of its fields
    (an RFC-8 collection of collections; run again after adding fields' label images)."""
    with open_repo(repo) as repository:
        made = repository.collect_plate(plate_name, collection)
    console.print(
        f"plate collection {collection} of {plate_name}:"
        f" {counted(len(made.members), 'field collection')}"
    )
