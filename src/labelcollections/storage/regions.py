"""Walking an array in slabs of whole chunk rows: bounded memory, C order, chunk-aligned."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

Region = tuple[int | slice, ...]


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


def copy_array(target: Any, source: Any) -> None:
    """Copy ``source`` into ``target`` (same shape) one slab at a time."""
    if isinstance(source, np.ndarray):
        target[...] = source
        return
    for region in chunk_row_regions(source.shape, getattr(target, "chunks", None)):
        target[region] = np.asarray(source[region])
