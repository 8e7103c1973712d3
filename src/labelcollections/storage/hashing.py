"""Content hashes of pixel arrays.

A hash is ``sha256:<hex>`` over the level-0 pixels as little-endian bytes in C order (last axis
fastest), so any copy of the same pixels gives the same hash whatever its chunking, codec or Zarr
version. An in-memory array is hashed in place when its bytes are already in that order, else in
bounded blocks; anything else (Zarr) is read in slabs of whole chunk rows, the next slab while the
current one is hashed, which bounds memory for images larger than RAM.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from labelcollections.storage.regions import band_rows, chunk_row_regions, read_ahead

BLOCK_BYTES = 32 * 1024 * 1024
"""Largest block converted at once when an in-memory array's bytes need reordering."""


def content_hash(array: Any) -> str:
    """``sha256:<hex>`` of an array's pixels (numpy array or anything sliceable like Zarr)."""
    digest = hashlib.sha256()
    blocks = _memory_blocks(array) if isinstance(array, np.ndarray) else _stored_blocks(array)
    for block in blocks:
        digest.update(little_endian_bytes(block))
    return f"sha256:{digest.hexdigest()}"


def little_endian_bytes(block: np.ndarray) -> memoryview:
    """The bytes a content hash reads: little-endian, C order."""
    little = block.astype(block.dtype.newbyteorder("<"), copy=False)
    return np.ascontiguousarray(little).data


def _memory_blocks(array: np.ndarray) -> Iterator[np.ndarray]:
    """The whole array when its bytes are already little-endian C order, else slices of the
    first axis of at most BLOCK_BYTES each (one index at a time if that is larger)."""
    if array.ndim == 0 or (array.flags.c_contiguous and _is_little_endian(array.dtype)):
        yield array
        return
    row_bytes = max(1, array.nbytes // max(1, array.shape[0]))
    rows = max(1, BLOCK_BYTES // row_bytes)
    for start in range(0, array.shape[0], rows):
        yield array[start : start + rows]


def _stored_blocks(array: Any) -> Iterator[np.ndarray]:
    """Bands of whole chunk rows, each read (decoded) while the previous one is hashed."""
    for _, block in read_ahead(array, chunk_row_regions(array.shape, band_rows(array))):
        yield block


def _is_little_endian(dtype: np.dtype[Any]) -> bool:
    order = dtype.byteorder
    return order in ("<", "|") or (order == "=" and sys.byteorder == "little")
