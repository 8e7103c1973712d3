"""``labelcollections init``: create a repository."""

from __future__ import annotations

import click

from labelcollections.cli.output import console
from labelcollections.repository import Repository

__all__ = ["init"]


@click.command()
@click.argument("path", type=click.Path(file_okay=False))
def init(path: str) -> None:
    """Create a repository in PATH (a new or empty folder)."""
    repository = Repository.init(path)
    console.print(f"created repository {repository.root}")
