"""Reading regions through the chunk cache gives what Zarr gives, for any region, budget and
storage layout (Zarr v2 and v3, codecs read from files or through Zarr, missing chunks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
from hypothesis import given
from hypothesis import strategies as st
from numcodecs import Blosc
from zarr.codecs import BloscCodec, GzipCodec, ZstdCodec

from labelcollections.server.chunks import ChunkCache, _file_codec

SHAPE = (3, 37, 45)
LAYOUTS: dict[str, dict[str, Any]] = {
    "v3 blosc": {"zarr_format": 3, "compressors": BloscCodec(cname="lz4"), "dtype": "<u4"},
    "v3 zstd": {"zarr_format": 3, "compressors": ZstdCodec(), "dtype": ">u4"},
    "v3 gzip (through zarr)": {"zarr_format": 3, "compressors": GzipCodec(), "dtype": "<u4"},
    "v2 blosc": {"zarr_format": 2, "compressors": Blosc(cname="lz4"), "dtype": ">u2"},
    "v3 blosc sharded": {
        "zarr_format": 3,
        "compressors": BloscCodec(cname="lz4"),
        "dtype": "<u4",
        "shards": (1, 20, 32),
    },
    "v3 zstd sharded, big-endian": {
        "zarr_format": 3,
        "compressors": ZstdCodec(),
        "dtype": ">u2",
        "shards": (3, 20, 48),
    },
}


@pytest.fixture(scope="module", params=list(LAYOUTS))
def array(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    path: Path = tmp_path_factory.mktemp("chunks") / "a.zarr"
    created = zarr.create_array(
        str(path), shape=SHAPE, chunks=(1, 10, 16), fill_value=7, **LAYOUTS[request.param]
    )
    values = np.arange(np.prod(SHAPE)).reshape(SHAPE) % 60000
    created[:, :25, :] = values[:, :25, :]  # the chunks of rows 30… stay unwritten
    return zarr.open_array(str(path), mode="r")


@st.composite
def selections(draw: st.DrawFn) -> tuple[int | slice, ...]:
    chosen: list[int | slice] = [draw(st.integers(0, SHAPE[0] - 1))]
    for size in SHAPE[1:]:
        start = draw(st.integers(0, size - 1))
        chosen.append(slice(start, draw(st.integers(start + 1, size))))
    if draw(st.booleans()):
        chosen[0] = slice(0, SHAPE[0])
    return tuple(chosen)


@given(selection=selections(), budget=st.sampled_from([0, 700, 1 << 20]))
def test_regions_equal_zarr(array: Any, selection: tuple[int | slice, ...], budget: int) -> None:
    cache = ChunkCache(budget)
    expected = np.asarray(array[selection])
    first = cache.read(array, selection)
    second = cache.read(array, selection)
    assert np.array_equal(first, expected)
    assert np.array_equal(second, expected)
    assert first.dtype == expected.dtype.newbyteorder("=")


def test_repository_codecs_are_read_from_files(array: Any) -> None:
    through_zarr = array.metadata.zarr_format == 3 and isinstance(
        array.metadata.codecs[-1], GzipCodec
    )
    assert (_file_codec(array) is None) == through_zarr


def test_memory_stays_within_budget(array: Any) -> None:
    chunk_bytes = 10 * 16 * array.dtype.itemsize
    cache = ChunkCache(3 * chunk_bytes)
    cache.read(array, (0, slice(0, 37), slice(0, 45)))
    assert 0 < len(cache._chunks) < 12
    assert cache._bytes <= cache.max_bytes
    assert list(cache._chunks)[-1][1] == (0, 3, 2)
