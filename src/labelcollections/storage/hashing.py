"""Content hashes of pixel arrays.

A hash is ``sha256:<hex>`` over the level-0 pixels as little-endian bytes in C order (last axis
fastest), so any copy of the same pixels gives the same hash whatever its chunking, codec or Zarr
version. The array is read in slabs of whole chunk rows, which bounds memory for images larger
than RAM.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from labelcollections.storage.regions import chunk_row_regions


def content_hash(array: Any) -> str:
    """``sha256:<hex>`` of an array's pixels (numpy array or anything sliceable like Zarr)."""
    digest = hashlib.sha256()
    for region in chunk_row_regions(array.shape, getattr(array, "chunks", None)):
        block = np.asarray(array[region])
        little = block.astype(block.dtype.newbyteorder("<"), copy=False)
        digest.update(np.ascontiguousarray(little).data)
    return f"sha256:{digest.hexdigest()}"
