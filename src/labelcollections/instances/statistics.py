"""Per-object pixel statistics (count, coordinate sums, extent), exact and mergeable.

A block's statistics are computed from its runs; statistics of several blocks merge by exact
integer sums, minima and maxima, so any split of the image and any processing order give the
same numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from labelcollections.instances.runs import compact_values, encode_runs

BACKGROUND = 0
"""The NGFF label value for "no object"."""


@dataclass(frozen=True)
class ObjectStatistics:
    """One row per label value (sorted): pixel count and, per axis, the coordinate sum and the
    first and last coordinate."""

    values: np.ndarray
    counts: np.ndarray
    sums: np.ndarray
    mins: np.ndarray
    maxs: np.ndarray

    @classmethod
    def empty(cls, ndim: int, dtype: np.dtype[np.integer] | None = None) -> ObjectStatistics:
        matrix = np.zeros((0, ndim), dtype=np.int64)
        return cls(
            np.zeros(0, dtype=dtype or np.uint64),
            np.zeros(0, dtype=np.int64),
            matrix,
            matrix,
            matrix,
        )


def block_statistics(block: np.ndarray, origin: Sequence[int]) -> ObjectStatistics:
    """The statistics of the objects in ``block``, whose first pixel sits at ``origin``."""
    if block.ndim == 0 or block.size == 0:
        return ObjectStatistics.empty(block.ndim, block.dtype)
    runs = encode_runs(block, skip=BACKGROUND)
    values, lengths = runs.values, runs.lengths
    starts = runs.starts + np.asarray(origin, dtype=np.int64)
    ends = starts[:, -1] + lengths - 1
    labels, index = compact_values(values)
    size = labels.size

    def total(weights: np.ndarray) -> np.ndarray:
        # Per-block sums stay far below 2**53, so float64 bincount is exact here.
        return np.rint(np.bincount(index, weights=weights, minlength=size)).astype(np.int64)

    ndim = block.ndim
    sums = np.empty((size, ndim), dtype=np.int64)
    mins = np.full((size, ndim), np.iinfo(np.int64).max, dtype=np.int64)
    maxs = np.full((size, ndim), np.iinfo(np.int64).min, dtype=np.int64)
    for axis in range(ndim - 1):
        sums[:, axis] = total(lengths * starts[:, axis])
        np.minimum.at(mins[:, axis], index, starts[:, axis])
        np.maximum.at(maxs[:, axis], index, starts[:, axis])
    # Along the last axis a run covers start..end: its coordinate sum is arithmetic.
    sums[:, -1] = total(lengths * starts[:, -1] + lengths * (lengths - 1) // 2)
    np.minimum.at(mins[:, -1], index, starts[:, -1])
    np.maximum.at(maxs[:, -1], index, ends)
    return ObjectStatistics(labels, total(lengths), sums, mins, maxs)


def merge_statistics(parts: list[ObjectStatistics]) -> ObjectStatistics:
    """One row per label value over all ``parts`` (exact: integer sums, minima, maxima)."""
    if len(parts) == 1:
        return parts[0]
    labels, index = compact_values(np.concatenate([part.values for part in parts]))
    counts = np.zeros(labels.size, dtype=np.int64)
    np.add.at(counts, index, np.concatenate([part.counts for part in parts]))
    ndim = parts[0].sums.shape[1]
    sums = np.zeros((labels.size, ndim), dtype=np.int64)
    mins = np.full((labels.size, ndim), np.iinfo(np.int64).max, dtype=np.int64)
    maxs = np.full((labels.size, ndim), np.iinfo(np.int64).min, dtype=np.int64)
    np.add.at(sums, index, np.concatenate([part.sums for part in parts]))
    np.minimum.at(mins, index, np.concatenate([part.mins for part in parts]))
    np.maximum.at(maxs, index, np.concatenate([part.maxs for part in parts]))
    return ObjectStatistics(labels, counts, sums, mins, maxs)


class StatisticsCollector:
    """Statistics gathered from blocks that several threads hand over in any order (as a
    streaming write shows them), merged every ``batch`` blocks so that memory grows with the
    number of objects, not of blocks."""

    def __init__(self, ndim: int, dtype: np.dtype[np.integer], batch: int = 64) -> None:
        self._empty = ObjectStatistics.empty(ndim, dtype)
        self._parts: list[ObjectStatistics] = []
        self._batch = batch
        self._lock = threading.Lock()

    def add(self, block: np.ndarray, origin: Sequence[int]) -> None:
        self.add_part(block_statistics(block, origin))

    def add_part(self, part: ObjectStatistics) -> None:
        """Take the statistics of a block computed elsewhere (a task of a split write)."""
        with self._lock:
            self._parts.append(part)
            if len(self._parts) >= self._batch:
                self._parts = [merge_statistics(self._parts)]

    def result(self) -> ObjectStatistics:
        with self._lock:
            return merge_statistics(self._parts) if self._parts else self._empty
