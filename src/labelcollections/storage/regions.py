"""Walking an array in slabs of whole chunk rows: bounded memory, C order, chunk-aligned.

Writing goes one chunk per task on a small thread pool: each task copies exactly one chunk's
region into a reusable contiguous buffer and stores it, so a chunked store (Zarr) encodes the
chunk without merging it into a fresh one, and several chunks are compressed at once. Memory
stays bounded: the source's slabs (an in-memory source is read in place) plus one chunk buffer
per thread.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any

import numpy as np

from labelcollections.model.geometry import chunk_regions

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


class PendingCopy:
    """A copy handed to a :class:`ChunkWriter`; :meth:`wait` returns once all of it is stored."""

    def __init__(self, futures: Sequence[Future[None]] = ()) -> None:
        self._futures = list(futures)

    def wait(self) -> None:
        for future in self._futures:
            future.result()
        self._futures.clear()


class ChunkWriter:
    """A thread pool that writes chunks; copies queued one after another share its threads, so
    small arrays (one chunk) are written while a large one still has chunks in flight.

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

    def copy(self, target: Any, source: Any, keep: ChunkFilter | None = None) -> PendingCopy:
        """Queue ``source`` (same shape as ``target``) chunk by chunk.

        A numpy ``source`` is queued whole and read in place by the tasks; anything else (a Zarr
        array) is read one slab of whole chunk rows at a time, the next slab while the previous
        one is written (two slabs in memory at most), and is complete when this returns. Chunks
        for which ``keep`` returns False are not written.
        """
        shape = tuple(source.shape)
        if not shape:
            target[...] = np.asarray(source[...])
            return PendingCopy()
        # A sharded Zarr array stores whole shards: one task per shard, never two on one shard.
        chunks = tuple(getattr(target, "shards", None) or getattr(target, "chunks", None) or shape)
        if isinstance(source, np.ndarray):
            return PendingCopy(self._queue(target, source, (0,) * len(shape), chunks, keep))
        previous = PendingCopy()
        for slab_region in chunk_regions(shape, (*chunks[:-1], shape[-1])):
            slab = np.asarray(source[slab_region])
            previous.wait()
            origin = tuple(part.start for part in slab_region)
            previous = PendingCopy(self._queue(target, slab, origin, chunks, keep))
        previous.wait()
        return PendingCopy()

    def _queue(
        self,
        target: Any,
        block: np.ndarray,
        origin: Sequence[int],
        chunks: Sequence[int],
        keep: ChunkFilter | None,
    ) -> list[Future[None]]:
        """One task per chunk of ``block``, which sits at ``origin`` (chunk-aligned) in target."""
        futures = []
        for local in chunk_regions(block.shape, chunks):
            region = tuple(
                slice(o + part.start, o + part.stop) for o, part in zip(origin, local, strict=True)
            )
            futures.append(self._pool.submit(self._write, target, region, block[local], keep))
        return futures

    def _write(
        self, target: Any, region: tuple[slice, ...], pixels: np.ndarray, keep: ChunkFilter | None
    ) -> None:
        chunk = self._contiguous(pixels)
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


def copy_array(
    target: Any,
    source: Any,
    keep: ChunkFilter | None = None,
    writer: ChunkWriter | None = None,
) -> PendingCopy:
    """Copy ``source`` into ``target`` (same shape) chunk by chunk, several chunks at a time.

    With a ``writer`` the copy may still be running on return (wait on the result); without one,
    it is complete. See :meth:`ChunkWriter.copy` for ``keep``.
    """
    if writer is not None:
        return writer.copy(target, source, keep)
    with ChunkWriter() as own:
        own.copy(target, source, keep).wait()
    return PendingCopy()


def _workers() -> int:
    """Chunks in flight: enough to keep every core compressing while others wait on storage."""
    return 2 * (os.cpu_count() or 1) + 2
