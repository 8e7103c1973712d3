"""The contingency table of two label images: how many pixels carry each pair of values.

Everything comparing two segmentations (intersections, object sizes, per-class overlaps)
follows from this table, computed in one pass over both images' pixels, block by block. Blocks
are run-length encoded on the pair of values, so the work is per run, not per pixel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelcollections.instances.blocks import Region, block_regions, reduce_blocks
from labelcollections.instances.runs import (
    change_points,
    compact_values,
    row_positions,
    rows_of,
    run_lengths,
)


@dataclass(frozen=True)
class Contingency:
    """Pixel counts per distinct pair ``(a, b)`` of values, sorted by ``a`` then ``b``."""

    a: np.ndarray
    b: np.ndarray
    counts: np.ndarray

    def sizes(self, side: str) -> tuple[np.ndarray, np.ndarray]:
        """The values of one side (``"a"`` or ``"b"``) and their pixel counts."""
        values, index = np.unique(self.a if side == "a" else self.b, return_inverse=True)
        counts = np.zeros(values.size, dtype=np.int64)
        np.add.at(counts, index, self.counts)
        return values, counts


def _grouped(a: np.ndarray, b: np.ndarray, counts: np.ndarray) -> Contingency:
    """Sum ``counts`` over equal ``(a, b)`` pairs."""
    a_values, a_index = compact_values(a)
    b_values, b_index = compact_values(b)
    keys = a_index.astype(np.int64) * b_values.size + b_index
    pairs, pair_index = compact_values(keys)
    summed = np.zeros(pairs.size, dtype=np.int64)
    np.add.at(summed, pair_index, counts)
    return Contingency(a_values[pairs // b_values.size], b_values[pairs % b_values.size], summed)


def block_contingency(a: np.ndarray, b: np.ndarray) -> Contingency:
    """The contingency table of two blocks of the same shape."""
    if a.size == 0:
        return Contingency(a.reshape(-1), b.reshape(-1), np.zeros(0, dtype=np.int64))
    points = change_points(a, b)
    lengths = run_lengths(points, a.size)
    where = row_positions(a, points)
    return _grouped(rows_of(a)[where], rows_of(b)[where], lengths)


def merge_contingency(parts: list[Contingency]) -> Contingency:
    if len(parts) == 1:
        return parts[0]
    return _grouped(
        np.concatenate([part.a for part in parts]),
        np.concatenate([part.b for part in parts]),
        np.concatenate([part.counts for part in parts]),
    )


def contingency(
    a: Any,
    b: Any,
    *,
    regions: Sequence[Region] | None = None,
    advance: Callable[[int], None] | None = None,
) -> Contingency:
    """The contingency table of two label arrays of one shape (numpy, Zarr or dask)."""

    def work(blocks: Sequence[np.ndarray], region: Region) -> Contingency:
        return block_contingency(blocks[0], blocks[1])

    return reduce_blocks(
        [a, b],
        block_regions(a) if regions is None else regions,
        work,
        merge_contingency,
        advance=advance,
    )
