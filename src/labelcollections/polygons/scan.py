"""Finding every corner of a label image in one pass, block by block, in bounded memory.

Blocks follow the array's chunks (Zarr ``chunks``, dask ``chunksize``; numpy arrays are cut
into planes of 1024 × 1024, as for instance tables), so each chunk is decoded once. A block
yields the corners at its interior grid points, plus its first and last rows and columns. The
grid points on the lines between blocks are found from those strips once both neighbours are
read: the vertical lines of a band of blocks when the band is done, the horizontal line between
two bands when the second is. At any time only the blocks being read and two bands of strips
are held.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelcollections.instances.blocks import block_shape
from labelcollections.model.geometry import chunk_regions
from labelcollections.polygons.corners import RIGHT, Corners, block_corners
from labelcollections.polygons.ordering import stable_order

Region = tuple[slice, ...]


@dataclass(frozen=True)
class _Tile:
    """What one block leaves for the lines around it, with its own corners."""

    corners: Corners
    first_row: np.ndarray
    last_row: np.ndarray
    first_column: np.ndarray
    last_column: np.ndarray


def scan_blocks(labels: Any) -> int:
    """How many blocks :func:`scan_corners` reads (for progress bars)."""
    return len(list(chunk_regions(labels.shape, block_shape(labels))))


def scan_corners(
    labels: Any,
    *,
    workers: int | None = None,
    advance: Callable[[int], None] | None = None,
) -> Corners:
    """Every corner of every object of ``labels`` (numpy, Zarr or dask; axes (..., y, x)).

    Leading axes are planes, numbered in C order; each plane is outlined on its own.
    """
    shape = tuple(int(n) for n in labels.shape)
    chunks = block_shape(labels)
    numbers = np.arange(int(np.prod(shape[:-2])), dtype=np.int64).reshape(shape[:-2])
    threads = workers or min(8, os.cpu_count() or 1)
    parts: list[Corners] = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for lead_region in chunk_regions(shape[:-2], chunks[:-2]):
            reader = _PlaneReader(pool, labels, lead_region, numbers[lead_region].reshape(-1))
            parts.extend(reader.corners(chunks[-2:], advance))
    return Corners.concatenate(parts, np.dtype(labels.dtype))


@dataclass(frozen=True)
class _PlaneReader:
    """Reads the blocks of some planes (one chunk of the leading axes) band by band."""

    pool: ThreadPoolExecutor
    labels: Any
    lead_region: Region
    planes: np.ndarray

    def corners(
        self, chunks: Sequence[int], advance: Callable[[int], None] | None
    ) -> list[Corners]:
        height, width = (int(n) for n in self.labels.shape[-2:])
        bands = [(row, min(row + chunks[0], height)) for row in range(0, height, chunks[0])]
        columns = [(col, min(col + chunks[1], width)) for col in range(0, width, chunks[1])]
        parts: list[Corners] = []
        above = np.zeros((self.planes.size, width), dtype=self.labels.dtype)
        pending = self._submit(bands[0], columns) if bands else []
        for index, rows in enumerate(bands):
            current = pending
            # The next band is read while this one's lines are found.
            pending = self._submit(bands[index + 1], columns) if index + 1 < len(bands) else []
            tiles = [future.result() for future in current]
            if advance:
                advance(len(tiles))
            below = np.concatenate([tile.first_row for tile in tiles], axis=1)
            band = [
                _horizontal_line(above, below, rows[0], self.planes),
                *(tile.corners for tile in tiles),
                *_vertical_lines(tiles, rows, columns, self.planes),
            ]
            parts.append(_by_line(Corners.concatenate(band, np.dtype(self.labels.dtype))))
            above = np.concatenate([tile.last_row for tile in tiles], axis=1)
        parts.append(_by_line(_horizontal_line(above, np.zeros_like(above), height, self.planes)))
        return parts

    def _submit(
        self, rows: tuple[int, int], columns: Sequence[tuple[int, int]]
    ) -> list[Future[_Tile]]:
        return [
            self.pool.submit(_read_tile, self.labels, self.lead_region, rows, span, self.planes)
            for span in columns
        ]


def _by_line(corners: Corners) -> Corners:
    """A band's corners line by line: by plane, y, then x, the corner whose horizontal edge
    lies left first (the order :func:`.rings.link_rings` needs; small and cache-resident here,
    so cheaper than ordering all corners at once)."""
    right = (corners.kinds & RIGHT) != 0
    order = stable_order([corners.planes, corners.ys, 2 * corners.xs + right])
    return Corners(*(getattr(corners, name)[order] for name in Corners.FIELDS))


def _read_tile(
    labels: Any,
    lead_region: Region,
    rows: tuple[int, int],
    columns: tuple[int, int],
    planes: np.ndarray,
) -> _Tile:
    region = (*lead_region, slice(*rows), slice(*columns))
    block = np.asarray(labels[region]).reshape(planes.size, rows[1] - rows[0], -1)
    return _Tile(
        corners=block_corners(block, (rows[0], columns[0]), planes),
        first_row=block[:, 0, :].copy(),
        last_row=block[:, -1, :].copy(),
        first_column=block[:, :, 0].copy(),
        last_column=block[:, :, -1].copy(),
    )


def _vertical_lines(
    tiles: Sequence[_Tile],
    rows: tuple[int, int],
    columns: Sequence[tuple[int, int]],
    planes: np.ndarray,
) -> list[Corners]:
    """Corners on the vertical lines at each block's left edge and the image's right edge,
    strictly between the band's first and last row of grid points."""
    found = []
    edges = [tile.first_column for tile in tiles]
    empty = np.zeros_like(edges[0])
    lefts = [empty, *(tile.last_column for tile in tiles)]
    rights = [*edges, empty]
    starts = [column for column, _ in columns] + [columns[-1][1]]
    for left, right, x in zip(lefts, rights, starts, strict=True):
        pair = np.stack([left, right], axis=2)
        found.append(block_corners(pair, (rows[0], x - 1), planes))
    return found


def _horizontal_line(above: np.ndarray, below: np.ndarray, y: int, planes: np.ndarray) -> Corners:
    """Corners on the horizontal grid line ``y`` between rows ``above`` and ``below``."""
    pair = np.zeros((planes.size, 2, above.shape[1] + 2), dtype=above.dtype)
    pair[:, 0, 1:-1] = above
    pair[:, 1, 1:-1] = below
    return block_corners(pair, (y - 1, -1), planes)
