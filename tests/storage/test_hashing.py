"""Content hashes depend on pixel values only: not on chunks, codecs, Zarr format or byte order."""

from __future__ import annotations

import numpy as np
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from labelcollections.storage.hashing import content_hash

pixel_arrays = arrays(
    dtype=st.sampled_from([np.uint8, np.uint16, np.int32, np.uint64]),
    shape=st.tuples(st.integers(1, 4), st.integers(1, 30), st.integers(1, 30)),
)


@settings(max_examples=30, deadline=None)
@given(pixel_arrays, st.integers(1, 9), st.sampled_from([2, 3]))
def test_hash_is_the_same_for_any_chunking_and_zarr_format(
    array: np.ndarray, chunk: int, zarr_format: int
) -> None:
    store = zarr.create_array(
        {}, shape=array.shape, dtype=array.dtype, chunks=(1, chunk, chunk), zarr_format=zarr_format
    )
    store[...] = array
    assert content_hash(store) == content_hash(array)


def test_hash_is_sha256_of_little_endian_c_order_bytes() -> None:
    import hashlib

    array = np.arange(12, dtype=">u2").reshape(3, 4)
    expected = hashlib.sha256(array.astype("<u2").tobytes(order="C")).hexdigest()
    assert content_hash(array) == f"sha256:{expected}"
    assert content_hash(array.astype("<u2")) == content_hash(array)


def test_hash_changes_with_one_pixel() -> None:
    array = np.zeros((64, 64), dtype=np.uint32)
    before = content_hash(array)
    array[63, 63] = 1
    assert content_hash(array) != before
