"""``labelcollections instance show | table``: objects by their stable ids."""

from __future__ import annotations

import click

from labelcollections.cli.options import (
    json_option,
    open_repo,
    repository_argument,
    table_output_option,
)
from labelcollections.cli.output import print_json, print_rows, write_table_file

__all__ = ["instance"]


@click.group()
def instance() -> None:
    """Objects of label images, by stable id ``<label-image-id>:<label value>``."""


@instance.command("show")
@repository_argument
@click.argument("instance_id")
@json_option
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
@repository_argument
@click.argument("label")
@table_output_option
def instance_table_command(repo: str, label: str, output: str | None) -> None:
    """LABEL's instance table: printed as CSV, or written to --output."""
    with open_repo(repo) as repository:
        write_table_file(repository.instance_table(label), output)
