"""Walking arrays in bands of whole chunk rows, and writing chunks on a thread pool.

A band covers whole rows of one plane (one index of every axis before y), so bands in order
are the array in C order. Reading goes one band ahead on its own thread, so decoding the next
band overlaps the work on the current one; memory stays at two bands.

Writing goes one task per write unit (a chunk, or the part of a shard a band covers) on a
small thread pool: each task copies its region into a reusable contiguous buffer and stores it,
so a chunked store (Zarr) encodes it without merging it into a fresh one, and several units are
compressed at once.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

import dask.array as da
import numpy as np

from labelcollections.errors import InputError
from labelcollections.model.geometry import chunk_regions

T = TypeVar("T")
Region = tuple[slice, ...]
ChunkFilter = Callable[[np.ndarray], bool]
"""Whether a chunk's pixels need writing (False: leave the chunk out of the store)."""


def chunk_row_regions(shape: Sequence[int], rows: int) -> Iterator[Region]:
    """Bands covering ``shape`` in C order: leading axes one index at a time, then ``rows``
    rows across the full last axis."""
    shape = tuple(int(n) for n in shape)
    if len(shape) < 2:
        yield tuple(slice(0, n) for n in shape)
        return
    step = max(1, int(rows))
    for leading in itertools.product(*(range(n) for n in shape[:-2])):
        for start in range(0, shape[-2], step):
            yield (
                *(slice(i, i + 1) for i in leading),
                slice(start, min(start + step, shape[-2])),
                slice(0, shape[-1]),
            )


def band_rows(array: Any) -> int:
    """The height of the bands to read ``array`` in: its chunk height (Zarr ``chunks``, dask
    ``chunksize``), or 1024 rows for arrays without chunks."""
    chunks = getattr(array, "chunksize", None) or getattr(array, "chunks", None)
    if len(array.shape) >= 2 and chunks and isinstance(chunks[-2], int):
        return int(chunks[-2])
    return 1024


def read_ahead(array: Any, regions: Iterable[Region]) -> Iterator[tuple[Region, np.ndarray]]:
    """Each region's pixels (native byte order), the next read while the caller works."""
    iterator = iter(regions)
    with ThreadPoolExecutor(max_workers=1) as reader:
        region = next(iterator, None)
        ahead = reader.submit(read_region, array, region) if region is not None else None
        while ahead is not None and region is not None:
            block = ahead.result()
            current = region
            region = next(iterator, None)
            ahead = reader.submit(read_region, array, region) if region is not None else None
            yield current, block


def read_region(array: Any, region: Region) -> np.ndarray:
    """The pixels of ``region`` in native byte order. A dask array's part is computed here,
    by this thread: on a Dask worker the default scheduler may be the cluster's, which would
    ship the graph (and the open files of its source) elsewhere."""
    try:
        part = array[region]
        if isinstance(part, da.Array):
            part = part.compute(scheduler="synchronous")  # type: ignore[no-untyped-call]
        block = np.asarray(part)
    except Exception as error:  # corrupt or missing chunks fail inside their codecs
        where = ", ".join(f"{axis.start}:{axis.stop}" for axis in region)
        raise InputError(
            source_name(array), f"pixels [{where}]", f"readable chunks ({type(error).__name__})"
        ) from error
    if not block.dtype.isnative:
        block = block.astype(block.dtype.newbyteorder("="))
    return block


def write_unit(target: Any) -> tuple[int, ...]:
    """What one write task covers: a shard of a sharded Zarr array (never two tasks on one
    shard), else a chunk."""
    unit = getattr(target, "shards", None) or getattr(target, "chunks", None)
    return tuple(unit) if unit else tuple(target.shape)


class ChunkWriter:
    """A thread pool that writes chunks and runs other per-block work beside them.

    Use it as a context manager; leaving it on an error cancels whatever is still queued.
    """

    def __init__(self, workers: int | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers or _workers())
        self._buffers = threading.local()

    def __enter__(self) -> ChunkWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=error is not None)

    def submit(self, work: Callable[..., T], *args: Any) -> Future[T]:
        return self._pool.submit(work, *args)

    def write(
        self, target: Any, block: np.ndarray, origin: Sequence[int], keep: ChunkFilter | None
    ) -> list[Future[None]]:
        """One task per write unit of ``block``, which sits at ``origin`` in ``target``.

        ``block`` must stay unchanged until the tasks are done. Units for which ``keep``
        returns False are not written.
        """
        futures = []
        for local in chunk_regions(block.shape, write_unit(target)):
            region = tuple(
                slice(o + part.start, o + part.stop) for o, part in zip(origin, local, strict=True)
            )
            futures.append(self._pool.submit(self._write, target, region, block[local], keep))
        return futures

    def _write(
        self, target: Any, region: tuple[slice, ...], pixels: np.ndarray, keep: ChunkFilter | None
    ) -> None:
        # A shard's part is cut into its chunks by Zarr, which copies each: no buffer needed.
        sharded = getattr(target, "shards", None) is not None
        chunk = pixels if sharded else self._contiguous(pixels)
        if keep is None or keep(chunk):
            target[region] = chunk

    def _contiguous(self, pixels: np.ndarray) -> np.ndarray:
        """``pixels`` as a C-contiguous array, copied into this thread's reusable buffer when
        needed (a chunk is stored before its thread takes the next, so the buffer is free)."""
        if pixels.flags.c_contiguous:
            return pixels
        buffer: np.ndarray | None = getattr(self._buffers, "bytes", None)
        if buffer is None or buffer.nbytes < pixels.nbytes:
            buffer = self._buffers.bytes = np.empty(pixels.nbytes, dtype=np.uint8)
        chunk = buffer[: pixels.nbytes].view(pixels.dtype).reshape(pixels.shape)
        np.copyto(chunk, pixels)
        return chunk


def _workers() -> int:
    """Chunks in flight: enough to keep every core compressing while others wait on storage."""
    return 2 * (os.cpu_count() or 1) + 2


def source_name(array: Any) -> str:
    """Where an array's pixels come from, for error messages."""
    store_path = getattr(array, "store_path", None)
    return str(store_path) if store_path is not None else f"<{type(array).__name__}>"
