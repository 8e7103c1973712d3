"""``labelcollections verify`` and ``reindex``: check the pixels, rebuild the catalog."""

from __future__ import annotations

import sys

import click

from labelcollections.cli.options import open_repo, repository_argument, scheduler_option
from labelcollections.cli.output import console, counted, report_error
from labelcollections.ingest import connected, mapped_on

__all__ = ["reindex", "verify"]


@click.command()
@repository_argument
@scheduler_option
def verify(repo: str, scheduler: str | None) -> None:
    """Re-hash every image and label image against the recorded hashes; exit 1 on mismatch.

    With --scheduler each hash is a task on that Dask cluster.
    """
    with open_repo(repo) as repository:
        if scheduler is None:
            problems = repository.verify()
        else:
            with connected(scheduler) as client:
                problems = repository.verify(mapped_on(client))
        checked = len(repository.images()) + len(repository.label_images())
    for problem in problems:
        report_error(
            f"mismatch: {problem.what}: recorded {problem.recorded}, found {problem.actual}"
        )
    if problems:
        sys.exit(1)
    verb = "matches" if checked == 1 else "match"
    console.print(f"ok: {counted(checked, 'pixel hash', 'pixel hashes')} {verb}")


@click.command()
@repository_argument
def reindex(repo: str) -> None:
    """Rebuild the catalog from the stores."""
    with open_repo(repo) as repository:
        repository.reindex()
        count = len(repository.label_images())
    console.print(f"reindexed: {counted(count, 'label image')}")
