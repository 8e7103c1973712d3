"""Walking an array in slabs of whole chunk rows: bounded memory, C order, chunk-aligned."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

Region = tuple[int | slice, ...]
ChunkFilter = Callable[[np.ndarray], bool]
"""Whether a chunk's pixels need writing (False: leave the chunk out of the store)."""


def chunk_row_regions(shape: Sequence[int], chunks: Sequence[int] | None) -> Iterator[Region]:
    """Regions covering ``shape`` in C order: leading axes one index at a time, then rows of
    chunk height across the full last axis."""
    shape = tuple(shape)
    if len(shape) < 2:
        yield (slice(None),) * len(shape)
        return
    rows = max(1, int((chunks or shape)[-2]))
    for leading in itertools.product(*(range(n) for n in shape[:-2])):
        for start in range(0, shape[-2], rows):
            yield (*leading, slice(start, start + rows), slice(None))


def chunk_regions(shape: Sequence[int], chunks: Sequence[int]) -> Iterator[tuple[slice, ...]]:
    """The region of each chunk of ``shape`` in C order (edge chunks cut to the shape)."""
    starts = [range(0, n, max(1, c)) for n, c in zip(shape, chunks, strict=True)]
    for corner in itertools.product(*starts):
        yield tuple(
            slice(start, min(start + max(1, c), n))
            for start, c, n in zip(corner, chunks, shape, strict=True)
        )


def copy_array(target: Any, source: Any, keep: ChunkFilter | None = None) -> None:
    """Copy ``source`` into ``target`` (same shape) chunk by chunk, several chunks at a time.

    Each chunk of ``target`` is written once, from a contiguous block of exactly its region, so a
    chunked store encodes it without merging. A numpy ``source`` is read in place; anything else
    (a Zarr array) one slab of whole chunk rows at a time, which bounds memory. Chunks for which
    ``keep`` returns False are not written at all.
    """
    shape = tuple(source.shape)
    if not shape:
        target[...] = np.asarray(source[...])
        return
    chunks = tuple(getattr(target, "chunks", None) or shape)
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        try:
            if isinstance(source, np.ndarray):
                _copy_chunks(pool, target, source, (0,) * len(shape), chunks, keep)
                return
            slab_chunks = (*chunks[:-1], shape[-1])
            for slab_region in chunk_regions(shape, slab_chunks):
                slab = np.asarray(source[slab_region])
                origin = tuple(region.start for region in slab_region)
                _copy_chunks(pool, target, slab, origin, chunks, keep)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _copy_chunks(
    pool: ThreadPoolExecutor,
    target: Any,
    block: np.ndarray,
    origin: Sequence[int],
    chunks: Sequence[int],
    keep: ChunkFilter | None,
) -> None:
    """Write ``block`` (at ``origin`` in ``target``, chunk-aligned) one chunk per task."""
    futures: list[Future[None]] = []
    for local in chunk_regions(block.shape, chunks):
        region = tuple(
            slice(o + part.start, o + part.stop) for o, part in zip(origin, local, strict=True)
        )
        futures.append(pool.submit(_write_chunk, target, region, block, local, keep))
    for future in futures:
        future.result()


def _write_chunk(
    target: Any,
    region: tuple[slice, ...],
    block: np.ndarray,
    local: tuple[slice, ...],
    keep: ChunkFilter | None,
) -> None:
    pixels = np.ascontiguousarray(block[local])
    if keep is None or keep(pixels):
        target[region] = pixels


def _workers() -> int:
    """Chunks in flight: enough to keep every core encoding while others wait on storage."""
    return 2 * (os.cpu_count() or 1) + 2
