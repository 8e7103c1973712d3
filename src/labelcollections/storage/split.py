"""Writing the levels of a big multiscale as tasks, so a cluster shares the work chunk by chunk.

Where :mod:`.streaming` makes every level in one pass on one machine, this hands the work out
in waves of tasks through a *runner* (a parallel map, e.g. Dask tasks; see ``ingest``):

1. level 0 in bands of whole chunk rows (whole shards when sharded): each task opens the
   source where it runs, writes its band chunk by chunk and returns a summary of each chunk
   (e.g. the instance statistics, which merge exactly in any order);
2. each coarser level in bands of its own chunk rows, each task reading the rows of the level
   above that it reduces, beside one task that computes the content hash of level 0 (SHA-256
   reads the pixels in order, so it is one task).

Tasks write disjoint whole chunks (or shards), so no chunk is written by two at once. The
result equals the streaming writer's: same arrays, same hash, same summaries.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelcollections.storage.hashing import content_hash
from labelcollections.storage.pyramid import Reduction, reduce_band
from labelcollections.storage.regions import (
    ChunkFilter,
    ChunkWriter,
    chunk_row_regions,
    read_region,
    write_unit,
)

Runner = Callable[[Callable[..., Any], Sequence[tuple[Any, ...]]], list[Any]]
"""Computes ``function(*item)`` for each item (anywhere: threads, processes, a cluster)."""
Summarise = Callable[[np.ndarray, tuple[int, ...]], Any]
"""A chunk's summary from its pixels and origin (a plain function, so it runs anywhere)."""
BAND_CHUNK_ROWS = 2
"""Chunk rows per level-0 task: enough work per task, many tasks per image."""


@dataclass(frozen=True)
class Split:
    """How to split a write: the runner, a function opening the level-0 pixels where a task
    runs (plain and picklable), and an optional per-chunk summary with where summaries go."""

    run: Runner
    source: Callable[[], Any]
    summarise: Summarise | None = None
    collect: Callable[[Any], None] | None = None


def write_split(
    targets: Sequence[Any], split: Split, reduction: Reduction, keep: ChunkFilter | None
) -> str:
    """Fill ``targets`` (level arrays, finest first) by waves of tasks; return the content hash
    of level 0."""
    level0 = targets[0]
    rows = int(write_unit(level0)[-2]) * BAND_CHUNK_ROWS
    items = [
        (level0, split.source, region, keep, split.summarise)
        for region in chunk_row_regions(level0.shape, rows)
    ]
    for summaries in split.run(_write_band, items):
        for summary in summaries:
            if split.collect is not None:
                split.collect(summary)
    digest = ""
    for index, (parent, child) in enumerate(itertools.pairwise(targets)):
        reductions: list[tuple[Any, ...]] = [
            ("reduce", parent, child, region, reduction, keep)
            for region in chunk_row_regions(child.shape, int(write_unit(child)[-2]))
        ]
        work = [("hash", level0), *reductions] if index == 0 else reductions
        results = split.run(_level_task, work)
        digest = results[0] if index == 0 else digest
    return digest or content_hash(level0)


def _write_band(
    target: Any,
    source: Callable[[], Any],
    region: tuple[slice, ...],
    keep: ChunkFilter | None,
    summarise: Summarise | None,
) -> list[Any]:
    """Write one band of level 0 from the source; return the summary of each chunk."""
    band = np.ascontiguousarray(read_region(source(), region), dtype=target.dtype)
    origin = tuple(part.start for part in region)
    with ChunkWriter() as writer:
        for future in writer.write(target, band, origin, keep):
            future.result()
    if summarise is None:
        return []
    width = int(target.chunks[-1])
    return [
        summarise(band[..., start : start + width], (*origin[:-1], origin[-1] + start))
        for start in range(0, band.shape[-1], width)
    ]


def _level_task(kind: str, *arguments: Any) -> Any:
    """One task of a coarser level's wave: the content hash of level 0, or a band reduced."""
    if kind == "hash":
        return content_hash(arguments[0])
    parent, child, region, reduction, keep = arguments
    rows = region[-2]
    size = (int(parent.shape[-2]), int(parent.shape[-1]))
    target = (int(child.shape[-2]), int(child.shape[-1]))
    first = 2 * rows.start if target[0] != size[0] else rows.start
    last = min(size[0], 2 * rows.stop if target[0] != size[0] else rows.stop)
    block = np.asarray(parent[(*region[:-2], slice(first, last), slice(0, size[1]))])
    start, reduced = reduce_band(block, first, size, target, reduction)
    reduced = np.ascontiguousarray(reduced[..., : rows.stop - start, :])
    origin = (*(part.start for part in region[:-2]), start, 0)
    with ChunkWriter() as writer:
        for future in writer.write(child, reduced, origin, keep):
            future.result()
    return None
