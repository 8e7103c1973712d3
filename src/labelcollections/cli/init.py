"""``labelcollections init``: create a repository."""

from __future__ import annotations

import click

from labelcollections.cli.output import console
from labelcollections.repository import Repository

__all__ = ["init"]


@click.command()
@click.argument("path", type=click.Path(file_okay=False))
@click.option(
    "--store",
    metavar="URL",
    help="Keep the image stores under this URL (s3://bucket/prefix, any fsspec URL); the"
    " folder keeps the configuration and the catalog. S3 credentials and endpoint come from"
    " the AWS environment and configuration (AWS_ENDPOINT_URL, AWS_PROFILE).",
)
def init(path: str, store: str | None) -> None:
    """Create a repository in PATH (a new or empty folder)."""
    repository = Repository.init(path, store=store)
    where = f", image stores under {repository.layout.store_url}" if store else ""
    console.print(f"created repository {repository.root}{where}")
