"""``labelcollections add-table`` and ``table list | export``: tables stored with label images."""

from __future__ import annotations

import click

from labelcollections.cli.options import (
    json_option,
    open_repo,
    repository_argument,
    table_output_option,
)
from labelcollections.cli.output import console, counted, show, write_table_file

__all__ = ["add_table", "table_group"]


@click.command("add-table")
@repository_argument
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
    console.print(f"added table [bold]{record.name}[/] ({counted(record.rows, 'row')})")


@click.group("table")
def table_group() -> None:
    """Tables stored with label images (instances, features, correspondences)."""


@table_group.command("export")
@repository_argument
@click.argument("label")
@click.argument("name")
@table_output_option
def table_export(repo: str, label: str, name: str, output: str | None) -> None:
    """Table NAME of LABEL: printed as CSV, or written to --output."""
    with open_repo(repo) as repository:
        write_table_file(repository.table(label, name), output)


@table_group.command("list")
@repository_argument
@click.argument("label")
@json_option
def table_list(repo: str, label: str, as_json: bool) -> None:
    """The tables of LABEL."""
    with open_repo(repo) as repository:
        rows = [
            {"name": record.name, "kind": record.kind, "rows": record.rows}
            for record in repository.tables(label)
        ]
    show(rows, "Tables", as_json)
