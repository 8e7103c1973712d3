"""``labelcollections collection list | show | add``: label collections."""

from __future__ import annotations

import click
from rich.markup import escape

from labelcollections.cli.options import json_option, open_repo, repository_argument
from labelcollections.cli.output import console, counted, label_row, print_json, print_rows, show
from labelcollections.model.records import to_record

__all__ = ["collection"]


@click.group()
def collection() -> None:
    """List, show and extend label collections."""


@collection.command("list")
@repository_argument
@click.argument("image", required=False)
@json_option
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
@repository_argument
@click.argument("reference")
@json_option
def collection_show(repo: str, reference: str, as_json: bool) -> None:
    """One collection with its label images and their provenance.

    REFERENCE is the collection's <id>, <name> or <image>/<name>.
    """
    with open_repo(repo) as repository:
        found = repository.collection(reference)
        labels = [repository.label_image(member) for member in found.members]
        if as_json:
            print_json({**to_record(found), "label_images": [to_record(label) for label in labels]})
            return
        image = repository.image(found.image_id)
        console.print(f"[bold]{escape(found.name)}[/] ({found.id}) of image {image.name}")
        if found.description:
            console.print(found.description, markup=False)
        print_rows([label_row(repository, label) for label in labels], "Label images")


@collection.command("add")
@repository_argument
@click.argument("name")
@click.argument("label")
def collection_add(repo: str, name: str, label: str) -> None:
    """Make LABEL a member of collection NAME of its image too (created if new).

    LABEL is the label image's <id>, <name>@<version> or <image>/<name>@<version>.
    """
    with open_repo(repo) as repository:
        updated = repository.add_to_collection(label, name)
    console.print(
        f"collection {updated.name} now has {counted(len(updated.members), 'label image')}",
        markup=False,
    )
