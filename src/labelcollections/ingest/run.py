"""Running a manifest: each row as Dask tasks, progress as rows finish, one outcome per row.

Each reference image is one task (added once, whatever the number of its rows); each label
image is a task that waits for its image's. Task keys are derived from what a row adds, so a
run started again on the same scheduler while an interrupted one's tasks still run joins
them instead of repeating them. The repository's use cases do the writing: each publishes
and indexes its label image in one catalog write transaction on the image.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distributed import Client, as_completed

from labelcollections.ingest.manifest import ManifestRow
from labelcollections.ingest.tasks import RowOutcome, add_image_task, add_labels_task
from labelcollections.progress import Progress, SilentProgress
from labelcollections.repository import SPLIT_BYTES, Repository

__all__ = ["IngestReport", "ingest"]


@dataclass(frozen=True)
class IngestReport:
    """The outcome of every row, in manifest order."""

    outcomes: tuple[RowOutcome, ...]

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def failed(self) -> tuple[RowOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.status == "failed")


def ingest(
    repository: str | Path,
    rows: Sequence[ManifestRow],
    client: Client | None = None,
    progress: Progress | None = None,
    split_bytes: int | None = SPLIT_BYTES,
) -> IngestReport:
    """Add every row's image (once) and label image to the repository, on the cluster of
    ``client``, or here one row after another without one. On a cluster, a label image of
    more than ``split_bytes`` is itself split over the cluster chunk by chunk (None: never)."""
    location = str(Path(repository).expanduser().resolve())
    Repository.open(location).close()  # a mistake in the path stops the run before it starts
    shown = progress or SilentProgress()
    with shown.task("Ingesting", len(rows)) as advance:
        if client is None:
            outcomes = _run_here(location, rows, advance)
        else:
            outcomes = _run_on(client, location, rows, advance, split_bytes)
    return IngestReport(tuple(sorted(outcomes, key=lambda outcome: outcome.row)))


def _first_rows(rows: Sequence[ManifestRow]) -> dict[str, ManifestRow]:
    """The first row of each image: the one its image is added from."""
    first: dict[str, ManifestRow] = {}
    for row in rows:
        first.setdefault(row.image_name, row)
    return first


def _run_here(location: str, rows: Sequence[ManifestRow], advance: Any) -> list[RowOutcome]:
    images = {name: add_image_task(location, row) for name, row in _first_rows(rows).items()}
    outcomes = []
    for row in rows:
        outcomes.append(add_labels_task(location, row, images[row.image_name], None))
        advance(1)
    return outcomes


def _run_on(
    client: Client,
    location: str,
    rows: Sequence[ManifestRow],
    advance: Any,
    split_bytes: int | None,
) -> list[RowOutcome]:
    images = {
        name: client.submit(add_image_task, location, row, key=_key("image", location, row))
        for name, row in _first_rows(rows).items()
    }
    futures = []
    previous: dict[str, Any] = {}
    for row in rows:
        # Label images of one image are published one after another.
        after = [previous[row.image_name]] if row.image_name in previous else []
        future = client.submit(
            add_labels_task,
            location,
            row,
            images[row.image_name],
            split_bytes,
            *after,
            key=_key("labels", location, row),
        )
        previous[row.image_name] = future
        futures.append(future)
    outcomes: list[RowOutcome] = []
    for future in as_completed(futures, loop=client.loop):
        outcomes.append(future.result())
        advance(1)
    return outcomes


def _key(kind: str, location: str, row: ManifestRow) -> str:
    """A task key naming what the task adds (the same in every run of the same manifest)."""
    what = (location, row.image, row.image_name) if kind == "image" else (location, row.key)
    digest = hashlib.sha256(repr((*what, row.labels if kind == "labels" else "")).encode())
    return f"labelcollections-{kind}-{digest.hexdigest()[:24]}"
