"""``labelcollections catalog upgrade``: bring the catalog's schema to this version's."""

from __future__ import annotations

import click

from labelcollections.catalog import SCHEMA_REVISION
from labelcollections.cli.options import repository_argument
from labelcollections.cli.output import RichProgress, console
from labelcollections.repository import upgrade_catalog

__all__ = ["catalog"]


@click.group()
def catalog() -> None:
    """The repository's catalog (the SQL index of its stores)."""


@catalog.command("upgrade")
@repository_argument
def upgrade(repo: str) -> None:
    """Apply the catalog's schema migrations (rebuilding it from the stores if it predates
    revisions or is empty)."""
    before = upgrade_catalog(repo, RichProgress())
    console.print(f"catalog at revision {SCHEMA_REVISION} (was {before.value})")
