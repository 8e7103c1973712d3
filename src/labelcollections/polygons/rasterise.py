"""Polygons to label pixels, block by block: the inverse of tracing.

A pixel belongs to a polygon when its centre lies inside (even-odd rule over the polygon's
rings), the rule rasterio, GDAL and scikit-image's ``polygon`` use, so pixel-edge outlines fill
exactly the pixels they were traced from. Each block scans its rows: the edges crossing a row's
centre line give sorted crossings, and every pair of crossings of one polygon is a run of
pixels. Objects are painted in order; where they overlap, the later one wins.

Hand-written rather than rasterio's ``rasterize``: it needs one pass per block over only the
edges that reach the block, works on any number of planes, and keeps label values of every
integer type exactly.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from labelcollections.model.geometry import chunk_regions, chunk_shape
from labelcollections.polygons.outlines import Outlines, owners

BLOCK_ROWS = 1024


@dataclass(frozen=True)
class _Edges:
    """The non-horizontal edges of all polygons, with the rows whose centres they cross."""

    x0: np.ndarray
    y0: np.ndarray
    slope: np.ndarray
    first_row: np.ndarray
    end_row: np.ndarray
    polygon: np.ndarray
    plane: np.ndarray
    left: np.ndarray
    right: np.ndarray


def _edges(outlines: Outlines) -> _Edges:
    coords = np.asarray(outlines.coords, dtype=np.float64)
    # Each vertex but the last of its ring starts an edge to the next vertex.
    starts = np.ones(len(coords), dtype=bool)
    starts[outlines.ring_offsets[1:] - 1] = False
    start = np.flatnonzero(starts)
    (x0, y0), (x1, y1) = coords[start].T, coords[start + 1].T
    polygon = owners(outlines.polygon_offsets)[owners(outlines.ring_offsets)[start]]
    polygons = outlines.polygon_offsets.size - 1
    left = np.full(polygons, np.inf)
    right = np.full(polygons, -np.inf)
    np.minimum.at(left, polygon, np.minimum(x0, x1))
    np.maximum.at(right, polygon, np.maximum(x0, x1))
    first_row = np.ceil(np.minimum(y0, y1) - 0.5).astype(np.int64)
    end_row = np.ceil(np.maximum(y0, y1) - 0.5).astype(np.int64)
    # Only edges crossing some row's centre line matter (never a horizontal one).
    # Sorted by their first row, so a block looks only at the edges that can reach it.
    keep = np.flatnonzero(end_row > first_row)
    keep = keep[np.argsort(first_row[keep], kind="stable")]
    x0, y0, x1, y1, polygon = x0[keep], y0[keep], x1[keep], y1[keep], polygon[keep]
    return _Edges(
        x0=x0,
        y0=y0,
        slope=(x1 - x0) / (y1 - y0),
        first_row=first_row[keep],
        end_row=end_row[keep],
        polygon=polygon,
        plane=np.asarray(outlines.planes, dtype=np.int64)[owners(outlines.object_offsets)[polygon]],
        left=left,
        right=right,
    )


class Rasteriser:
    """Fills the objects of ``outlines`` into label pixels of ``shape`` (planes..., y, x)."""

    def __init__(self, outlines: Outlines, shape: Sequence[int], dtype: npt.DTypeLike) -> None:
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(dtype)
        self.edges = _edges(outlines)
        spans = self.edges.end_row - self.edges.first_row
        self.longest = int(spans.max()) if spans.size else 0
        self.object_of_polygon = owners(outlines.object_offsets)
        self.values = np.asarray(outlines.labels).astype(self.dtype)

    def block(self, region: tuple[slice, ...]) -> np.ndarray:
        """The label pixels of ``region`` (one slice per axis, steps of 1)."""
        bounds = [s.indices(n)[:2] for s, n in zip(region, self.shape, strict=True)]
        (y0, y1), (x0, x1) = bounds[-2:]
        lead = self.shape[:-2]
        numbers = np.arange(int(np.prod(lead)), dtype=np.int64).reshape(lead)
        planes = numbers[tuple(slice(*b) for b in bounds[:-2])].reshape(-1)
        height, width = y1 - y0, x1 - x0
        owner = np.full(planes.size * height * width, -1, dtype=np.int64)
        edges = self.edges
        local_plane = np.full(int(np.prod(lead)) if lead else 1, -1, dtype=np.int64)
        local_plane[planes] = np.arange(planes.size)
        # No edge spans more rows than the longest, so earlier first rows cannot reach y0.
        reach = np.searchsorted(edges.first_row, [y0 - self.longest + 1, y1])
        window = np.arange(*reach)
        polygon = edges.polygon[window]
        chosen = window[
            (local_plane[edges.plane[window]] >= 0)
            & (edges.end_row[window] > y0)
            & (edges.left[polygon] < x1)
            & (edges.right[polygon] > x0)
        ]
        if chosen.size:
            self._paint(owner, chosen, local_plane, (y0, y1), (x0, x1))
        values = np.zeros(owner.size, dtype=self.dtype)
        painted = owner >= 0
        values[painted] = self.values[owner[painted]]
        return values.reshape(*(b[1] - b[0] for b in bounds))

    def _paint(
        self,
        owner: np.ndarray,
        chosen: np.ndarray,
        local_plane: np.ndarray,
        rows: tuple[int, int],
        columns: tuple[int, int],
    ) -> None:
        edges = self.edges
        first = np.maximum(edges.first_row[chosen], rows[0])
        count = np.minimum(edges.end_row[chosen], rows[1]) - first
        edge = np.repeat(chosen, count)
        row = np.repeat(first, count) + (
            np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        )
        x = edges.x0[edge] + (row + 0.5 - edges.y0[edge]) * edges.slope[edge]
        polygon = edges.polygon[edge]
        order = np.lexsort((x, row, polygon))
        x, row, polygon = x[order], row[order], polygon[order]
        # Crossings of one polygon on one row alternate in, out (even-odd rule).
        start = np.clip(np.ceil(x[0::2] - 0.5).astype(np.int64), *columns)
        end = np.clip(np.ceil(x[1::2] - 0.5).astype(np.int64), *columns)
        row, polygon = row[0::2], polygon[0::2]
        length = np.maximum(end - start, 0)
        width = columns[1] - columns[0]
        height = rows[1] - rows[0]
        base = (local_plane[edges.plane[edge[order][0::2]]] * height + (row - rows[0])) * width + (
            start - columns[0]
        )
        pixel = np.repeat(base, length) + (
            np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length)
        )
        np.maximum.at(owner, pixel, np.repeat(self.object_of_polygon[polygon], length))


def rasterise(outlines: Outlines, shape: Sequence[int], dtype: npt.DTypeLike) -> np.ndarray:
    """The label pixels of ``outlines`` in memory (see :class:`Rasteriser`)."""
    rasteriser = Rasteriser(outlines, shape, dtype)
    return rasteriser.block(tuple(slice(0, n) for n in rasteriser.shape))


def rasterise_into(outlines: Outlines, target: Any, *, workers: int | None = None) -> None:
    """Fill the writable array ``target`` (a Zarr array, say; axes (planes..., y, x)) with the
    label pixels of ``outlines``, chunk by chunk on a thread pool (each chunk written whole,
    once), so the label image is never held whole."""
    rasteriser = Rasteriser(outlines, target.shape, target.dtype)
    lead = rasteriser.shape[:-2]
    blocks = chunk_shape(target) or (*(1 for _ in lead), BLOCK_ROWS, BLOCK_ROWS)

    def fill(region: tuple[slice, ...]) -> None:
        target[region] = rasteriser.block(region)

    with ThreadPoolExecutor(max_workers=workers or min(8, os.cpu_count() or 1)) as pool:
        for _ in pool.map(fill, chunk_regions(rasteriser.shape, blocks)):
            pass
