"""What runs on a worker for each manifest row: adding its image (once per image) and its label
image, through the repository's own use cases (``add_image``, ``add_labels``).

Tasks never raise: each returns an outcome, so one bad row is reported and the others go on
(a task that raised would also fail every task that waits for it). A row whose label image is
already there with the same pixels is ``present``, which is what makes a run resumable: run
again after a crash, and what was published is skipped while the rest is added.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from distributed import get_worker, worker_client

from labelcollections.errors import ConflictError, LabelCollectionsError
from labelcollections.ingest.cluster import mapped_on
from labelcollections.ingest.manifest import ManifestRow
from labelcollections.repository import SPLIT_BYTES, Repository
from labelcollections.storage.split import Runner

__all__ = ["ImageOutcome", "RowOutcome", "add_image_task", "add_labels_task", "opened"]

Status = Literal["added", "present", "failed"]

_OPENED: dict[str, Repository] = {}
_OPENING = threading.Lock()


def opened(location: str) -> Repository:
    """The repository at ``location``, opened once per worker process and kept open: tasks
    of one run share its catalog connections instead of opening them per row."""
    with _OPENING:
        repository = _OPENED.get(location)
        if repository is None:
            repository = _OPENED[location] = Repository.open(location)
        return repository


@dataclass(frozen=True)
class ImageOutcome:
    """What became of a reference image: ``added``, ``present`` or ``failed`` (``error``)."""

    name: str
    source: str
    status: Status
    error: str = ""


@dataclass(frozen=True)
class RowOutcome:
    """What became of one manifest row; ``detail`` is the label image's id, or the error."""

    row: int
    input: str
    key: str
    status: Status
    detail: str


def add_image_task(location: str, row: ManifestRow) -> ImageOutcome:
    """Add the row's reference image unless the repository has it with the same pixels."""
    repository = opened(location)
    try:
        status = _add_image(repository, row)
    except LabelCollectionsError as error:
        return ImageOutcome(row.image_name, row.image, "failed", str(error))
    except Exception as error:  # reported in the summary: the run goes on
        return ImageOutcome(row.image_name, row.image, "failed", _internal(error))
    return ImageOutcome(row.image_name, row.image, status)


def _add_image(repository: Repository, row: ManifestRow) -> Status:
    axes = row.image_axes
    if repository.present_image(row.image, row.image_name, axes=axes) is not None:
        return "present"
    try:
        repository.add_image(row.image, row.image_name, axes=axes)
    except ConflictError:
        # Another writer (an earlier run still finishing) added it meanwhile.
        if repository.present_image(row.image, row.image_name, axes=axes) is None:
            raise
        return "present"
    return "added"


def add_labels_task(
    location: str,
    row: ManifestRow,
    image: ImageOutcome,
    split_bytes: int | None,
    *_after: object,
) -> RowOutcome:
    """Add the row's label image unless it is there with the same pixels (``_after``: tasks
    this one waits for). On a Dask worker, a label image of more than ``split_bytes`` is
    written by tasks of the cluster, chunk by chunk."""
    if image.status == "failed":
        return RowOutcome(row.number, row.labels, row.key, "failed", f"image: {image.error}")
    repository = opened(location)
    try:
        if split_bytes is not None and _on_worker():
            status, label_id = _add_labels(repository, row, _on_cluster, split_bytes)
        else:
            status, label_id = _add_labels(repository, row)
    except LabelCollectionsError as error:
        return RowOutcome(row.number, row.labels, row.key, "failed", str(error))
    except Exception as error:  # reported in the summary: the run goes on
        return RowOutcome(row.number, row.labels, row.key, "failed", _internal(error))
    return RowOutcome(row.number, row.labels, row.key, status, label_id)


def _on_cluster(function: Callable[..., Any], items: Sequence[tuple[Any, ...]]) -> list[Any]:
    """Run ``function(*item)`` for each item as tasks of the cluster this task runs on (the
    task leaves its worker's thread pool while it waits)."""
    with worker_client() as client:
        return mapped_on(client)(function, items)


def _on_worker() -> bool:
    try:
        get_worker()
    except ValueError:
        return False
    return True


def _add_labels(
    repository: Repository,
    row: ManifestRow,
    runner: Runner | None = None,
    split_bytes: int = SPLIT_BYTES,
) -> tuple[Status, str]:
    def present() -> str | None:
        found = repository.present_label(
            row.image_name, row.name, row.version, row.labels, row.axes
        )
        return None if found is None else found.id

    known = present()
    if known is not None:
        return "present", known
    try:
        label = repository.add_labels(
            row.image_name,
            row.labels,
            collection=row.collection,
            name=row.name,
            label_type=row.label_type,
            provenance=row.provenance,
            version=row.version,
            label_schema=row.label_schema,
            axes=row.axes,
            downsampling=row.downsampling,
            runner=runner,
            split_bytes=split_bytes,
        )
    except ConflictError:
        # Another writer (an earlier run still finishing) published it meanwhile.
        known = present()
        if known is None:
            raise
        return "present", known
    return "added", label.id


def _internal(error: Exception) -> str:
    text = str(error)
    return f"internal: {type(error).__name__}: {text}" if text else type(error).__name__
