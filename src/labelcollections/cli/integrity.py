"""``labelcollections verify`` and ``reindex``: check the pixels, rebuild the catalog."""

from __future__ import annotations

import sys

import click

from labelcollections.cli.options import open_repo, repository_argument, scheduler_option
from labelcollections.cli.output import RichProgress, console, counted, report_error
from labelcollections.errors import DamagedError
from labelcollections.ingest import connected, mapped_on
from labelcollections.repository import rebuild_catalog

__all__ = ["reindex", "verify"]


@click.command()
@repository_argument
@scheduler_option
def verify(repo: str, scheduler: str | None) -> None:
    """Check REPO: every store readable and indexed as it is, every pixel hash as recorded;
    exit 1 on any problem.

    With --scheduler each hash is a task on that Dask cluster.
    """
    try:
        repository = open_repo(repo)
    except DamagedError as error:
        report_error(f"damaged: {error}")
        sys.exit(1)
    with repository:
        if scheduler is None:
            problems = repository.verify()
        else:
            with connected(scheduler) as client:
                problems = repository.verify(mapped_on(client))
        checked = len(repository.images()) + len(repository.label_images())
    for problem in problems:
        report_error(problem.describe())
    if problems:
        sys.exit(1)
    verb = "matches" if checked == 1 else "match"
    console.print(f"ok: {counted(checked, 'pixel hash', 'pixel hashes')} {verb}")


@click.command()
@repository_argument
def reindex(repo: str) -> None:
    """Rebuild the catalog from the stores, whatever state it is in."""
    notes = rebuild_catalog(repo, RichProgress())
    for note in notes:
        report_error(f"note: {note}")
    with open_repo(repo) as repository:
        count = len(repository.label_images())
    console.print(f"reindexed: {counted(count, 'label image')}")
