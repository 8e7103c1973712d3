"""``labelcollections init``: create a repository, with its catalog on SQLite or PostgreSQL."""

from __future__ import annotations

import click

from labelcollections.catalog import ENVIRONMENT_VARIABLE
from labelcollections.cli.output import console
from labelcollections.repository import Repository

__all__ = ["init"]


@click.command()
@click.argument("path", type=click.Path(file_okay=False))
@click.option(
    "--catalog",
    envvar=ENVIRONMENT_VARIABLE,
    help="Catalog URL: sqlite:///catalog.sqlite (default, in PATH) or"
    f" postgresql://user@host:port/database (an empty database). Env {ENVIRONMENT_VARIABLE}.",
)
@click.option(
    "--store",
    metavar="URL",
    help="Keep the image stores under this URL (s3://bucket/prefix, any fsspec URL); the"
    " folder keeps the configuration and the catalog. S3 credentials and endpoint come from"
    " the AWS environment and configuration (AWS_ENDPOINT_URL, AWS_PROFILE).",
)
def init(path: str, catalog: str | None, store: str | None) -> None:
    """Create a repository in PATH (a new or empty folder)."""
    with Repository.init(path, catalog=catalog, store=store) as repository:
        where = f", image stores under {repository.layout.store_url}" if store else ""
        console.print(
            f"created repository {repository.root} (catalog {repository.catalog_name}){where}"
        )
