"""Writing the levels of a multiscale in one streaming pass over its finest level.

Level 0 is read in bands of whole chunk rows, one plane at a time in C order, the next band
while the current one is processed. Each band is

- hashed in order (the content hash, see :mod:`.hashing`),
- handed to observers chunk by chunk on the thread pool (e.g. the instance statistics),
- written chunk by chunk on the thread pool, and
- reduced to the rows of the next level (:mod:`.pyramid`), which are gathered into whole chunk
  rows, written and reduced in turn.

So the source is read once whatever the number of levels, and memory holds about two bands of
level 0 and one chunk row per coarser level, whatever the image's size. A band's writes finish
before the next band's start, so a shard written in parts is never written by two tasks at
once. Levels the source brings (a pyramidal TIFF's own) are copied in a pass of their own, and
the levels after them are reduced from them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from labelcollections.storage.hashing import little_endian_bytes
from labelcollections.storage.pyramid import Reduction, reduce_band
from labelcollections.storage.regions import (
    ChunkFilter,
    ChunkWriter,
    chunk_row_regions,
    read_ahead,
)

Observer = Callable[[np.ndarray, tuple[int, ...]], None]
"""Sees every chunk of level 0 with its origin, on a worker thread (must be thread-safe)."""
Advance = Callable[[int], None]


def band_count(shape: Sequence[int], chunks: Sequence[int]) -> int:
    """How many bands a pass over an array of ``shape`` in ``chunks`` reads."""
    planes = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return planes * -(-int(shape[-2]) // max(1, int(chunks[-2])))


def pass_length(targets: Sequence[Any], sources: Sequence[Any | None]) -> int:
    """Bands read by :func:`write_levels` (for progress bars)."""
    return sum(
        band_count(target.shape, target.chunks)
        for target, source in zip(targets, sources, strict=True)
        if source is not None
    )


def write_levels(
    targets: Sequence[Any],
    sources: Sequence[Any | None],
    reduction: Reduction,
    *,
    keep: ChunkFilter | None = None,
    observers: Sequence[Observer] = (),
    advance: Advance | None = None,
) -> str:
    """Fill ``targets`` (level arrays, finest first) and return the content hash of level 0.

    ``sources[i]`` is the pixels of level i, or None for a level reduced from the one above
    (``sources[0]`` is required). ``keep`` filters chunks as :meth:`ChunkWriter.write` does.
    """
    if sources[0] is None:
        raise ValueError("level 0 needs a source")
    digest = hashlib.sha256()
    with ChunkWriter() as writer, ThreadPoolExecutor(max_workers=1) as hashing:
        for first, source in enumerate(sources):
            if source is None:
                continue
            last = next((i for i in range(first + 1, len(sources)) if sources[i] is not None), None)
            sink = _chain(targets[first : last or len(targets)], reduction, writer, keep)
            previous: list[Future[Any]] = []
            rows = int(targets[first].chunks[-2])
            for region, band in read_ahead(source, chunk_row_regions(source.shape, rows)):
                band = np.ascontiguousarray(band, dtype=targets[first].dtype)
                origin = tuple(part.start for part in region)
                current: list[Future[Any]] = []
                if first == 0:
                    current.append(hashing.submit(digest.update, little_endian_bytes(band)))
                    current.extend(_observe(writer, observers, band, origin, targets[0].chunks))
                _wait(previous)
                sink.push(band, origin, current)
                previous = current
                if advance is not None:
                    advance(1)
            _wait(previous)
    return f"sha256:{digest.hexdigest()}"


def _wait(futures: Sequence[Future[Any]]) -> None:
    for future in futures:
        future.result()


def _observe(
    writer: ChunkWriter,
    observers: Sequence[Observer],
    band: np.ndarray,
    origin: tuple[int, ...],
    chunks: Sequence[int],
) -> list[Future[None]]:
    futures: list[Future[None]] = []
    width = int(chunks[-1])
    for start in range(0, band.shape[-1], width):
        block = band[..., start : start + width]
        at = (*origin[:-1], origin[-1] + start)
        futures.extend(writer.submit(observer, block, at) for observer in observers)
    return futures


class _LevelSink:
    """One level: gathers rows into whole chunk rows, writes them and passes them on reduced."""

    def __init__(
        self,
        target: Any,
        child: _LevelSink | None,
        reduction: Reduction,
        writer: ChunkWriter,
        keep: ChunkFilter | None,
    ) -> None:
        self.target = target
        self.child = child
        self.reduction = reduction
        self.writer = writer
        self.keep = keep
        self.height, self.width = (int(n) for n in target.shape[-2:])
        self.rows = int(target.chunks[-2])
        self._pending: list[np.ndarray] = []
        self._origin: tuple[int, ...] = ()

    def push(self, rows: np.ndarray, origin: tuple[int, ...], futures: list[Future[Any]]) -> None:
        """Take rows of one plane starting at ``origin`` (bands arrive in C order); write and
        pass on every chunk row that is complete."""
        if rows.shape[-2] == 0:
            return
        if not self._pending:
            self._origin = origin
        self._pending.append(rows)
        block = self._pending[0] if len(self._pending) == 1 else np.concatenate(self._pending, -2)
        start = self._origin[-2]
        while block.shape[-2]:
            boundary = min((start // self.rows + 1) * self.rows, self.height)
            if start + block.shape[-2] < boundary:
                break
            self._emit(block[..., : boundary - start, :], (*self._origin[:-2], start, 0), futures)
            block = block[..., boundary - start :, :]
            start = boundary
        self._pending = [block] if block.shape[-2] else []
        self._origin = (*self._origin[:-2], start, 0)

    def _emit(self, block: np.ndarray, origin: tuple[int, ...], futures: list[Future[Any]]) -> None:
        """Write whole chunk rows, then hand them reduced to the next level."""
        futures.extend(self.writer.write(self.target, block, origin, self.keep))
        if self.child is not None:
            size = (self.height, self.width)
            target = (self.child.height, self.child.width)
            first, reduced = reduce_band(block, origin[-2], size, target, self.reduction)
            self.child.push(np.ascontiguousarray(reduced), (*origin[:-2], first, 0), futures)


def _chain(
    targets: Sequence[Any], reduction: Reduction, writer: ChunkWriter, keep: ChunkFilter | None
) -> _LevelSink:
    """Sinks for ``targets``, each passing its rows on to the next."""
    sink: _LevelSink | None = None
    for target in reversed(targets):
        sink = _LevelSink(target, sink, reduction, writer, keep)
    assert sink is not None
    return sink
