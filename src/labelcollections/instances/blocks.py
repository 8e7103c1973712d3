"""Reading an array block by block on a thread pool, in bounded memory.

Blocks follow the array's own chunks (Zarr ``chunks``, dask ``chunksize``), so each block is
decoded once; numpy arrays are cut into planes of BLOCK_ROWS × BLOCK_ROWS. At most two blocks per
thread are in flight, which bounds memory whatever the array's size.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

from labelcollections.model.geometry import chunk_regions, chunk_shape

T = TypeVar("T")
Region = tuple[slice, ...]
BLOCK_ROWS = 1024


def block_shape(array: Any) -> tuple[int, ...]:
    """The shape of the blocks to read ``array`` in."""
    shape = tuple(int(n) for n in array.shape)
    chunks = chunk_shape(array)
    if chunks is None:
        return (*(1 for _ in shape[:-2]), *(min(n, BLOCK_ROWS) for n in shape[-2:]))
    return chunks


def block_regions(array: Any) -> list[Region]:
    """The regions of ``array``'s blocks in C order."""
    return list(chunk_regions(array.shape, block_shape(array)))


def reduce_blocks(
    arrays: Sequence[Any],
    regions: Iterable[Region],
    work: Callable[[Sequence[np.ndarray], Region], T],
    combine: Callable[[list[T]], T],
    *,
    advance: Callable[[int], None] | None = None,
    workers: int | None = None,
    batch: int = 64,
) -> T:
    """``combine`` of ``work(blocks, region)`` over all regions, where ``blocks`` are the
    arrays' pixels in that region.

    Partial results are combined every ``batch`` blocks, so memory grows with the number of
    distinct objects, not with the number of blocks. ``combine`` must be associative and
    commutative (exact sums, minima, maxima), which makes the result independent of the order
    of ``regions``. Reading and work run on ``workers`` threads (numpy, the codecs and Zarr
    release the GIL).
    """
    threads = workers or min(8, os.cpu_count() or 1)

    def task(region: Region) -> T:
        return work([np.asarray(array[region]) for array in arrays], region)

    partials: list[T] = []
    pending: list[Future[T]] = []

    def collect(future: Future[T]) -> None:
        partials.append(future.result())
        if advance:
            advance(1)
        if len(partials) >= batch:
            partials[:] = [combine(partials)]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for region in regions:
            pending.append(pool.submit(task, region))
            if len(pending) >= 2 * threads:
                collect(pending.pop(0))
        for future in pending:
            collect(future)
    return combine(partials)
