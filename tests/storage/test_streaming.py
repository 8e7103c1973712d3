"""One streaming pass writes every level exactly as reducing whole arrays would, hashes level 0
as the content hash does, shows observers every pixel once and reads the source in bands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st

from labelcollections.model.geometry import level_shapes
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.pyramid import Reduction, downsample_image, downsample_labels
from labelcollections.storage.sharding import shard_shape
from labelcollections.storage.streaming import write_levels


def targets_for(
    shapes: list[tuple[int, ...]], dtype: Any, chunks: int, shard: int | None = None
) -> list[Any]:
    store = zarr.storage.MemoryStore()
    group = zarr.open_group(store, mode="w")
    made = []
    for index, shape in enumerate(shapes):
        chunk = tuple(1 if i < len(shape) - 2 else min(chunks, n) for i, n in enumerate(shape))
        shards = None
        if shard is not None:
            shards = shard_shape(shape, chunk, ["z", "y", "x"][-len(shape) :], shard)
        made.append(
            group.create_array(str(index), shape=shape, dtype=dtype, chunks=chunk, shards=shards)
        )
    return made


def reduced(source: np.ndarray, shapes: list[tuple[int, ...]], method: Reduction) -> list[Any]:
    levels = [source]
    for shape in shapes[1:]:
        if method == "mean":
            levels.append(downsample_image(levels[-1], shape))
        else:
            levels.append(downsample_labels(levels[-1], shape, method))
    return levels


@settings(max_examples=40)
@given(
    depth=st.integers(1, 3),
    height=st.integers(1, 70),
    width=st.integers(1, 70),
    chunks=st.sampled_from([4, 8, 16]),
    method=st.sampled_from(["mean", "nearest", "mode"]),
    seed=st.integers(0, 2**16),
)
def test_streamed_levels_equal_whole_array_reductions(
    depth: int, height: int, width: int, chunks: int, method: Reduction, seed: int
) -> None:
    source = np.random.default_rng(seed).integers(0, 5, (depth, height, width), dtype=np.uint16)
    shapes = level_shapes(source.shape, ("z", "y", "x"), min_size=4)
    targets = targets_for(shapes, source.dtype, chunks)
    digest = write_levels(targets, [source, *(None for _ in shapes[1:])], method)
    assert digest == content_hash(source)
    for target, expected in zip(targets, reduced(source, shapes, method), strict=True):
        np.testing.assert_array_equal(target[...], expected)


def test_given_levels_are_copied_and_the_next_reduced_from_them() -> None:
    source = np.arange(64 * 64, dtype=np.uint8).reshape(64, 64)
    own = np.full((32, 32), 7, dtype=np.uint8)  # not what reducing level 0 would give
    shapes = [(64, 64), (32, 32), (16, 16)]
    targets = targets_for(shapes, np.uint8, 16)
    write_levels(targets, [source, own, None], "mean")
    np.testing.assert_array_equal(targets[1][...], own)
    np.testing.assert_array_equal(targets[2][...], np.full((16, 16), 7))


def test_observers_see_every_chunk_of_level_zero_once() -> None:
    source = np.random.default_rng(1).integers(0, 9, (2, 40, 50), dtype=np.uint8)
    seen = np.zeros(source.shape, dtype=np.int64)

    def observe(block: np.ndarray, origin: tuple[int, ...]) -> None:
        seen[tuple(slice(o, o + n) for o, n in zip(origin, block.shape, strict=True))] += 1
        np.testing.assert_array_equal(
            block, source[tuple(slice(o, o + n) for o, n in zip(origin, block.shape, strict=True))]
        )

    targets = targets_for([(2, 40, 50), (2, 20, 25)], np.uint8, 16)
    write_levels(targets, [source, None], "nearest", observers=[observe])
    assert (seen == 1).all()


def test_the_source_is_read_in_bands_of_chunk_rows(tmp_path: Path) -> None:
    source = zarr.create_array(
        str(tmp_path / "s"), shape=(4, 64, 48), chunks=(1, 16, 16), dtype="u2"
    )
    source[...] = np.arange(4 * 64 * 48, dtype=np.uint16).reshape(4, 64, 48)
    reads: list[tuple[slice, ...]] = []

    class Counting:
        shape, dtype, chunks = source.shape, source.dtype, source.chunks

        def __getitem__(self, region: tuple[slice, ...]) -> np.ndarray:
            reads.append(region)
            return np.asarray(source[region])

    targets = targets_for([(4, 64, 48), (4, 32, 24)], np.uint16, 16)
    write_levels(targets, [Counting(), None], "nearest")
    assert len(reads) == 4 * 4
    assert {(r[-2].stop - r[-2].start, r[-1].stop - r[-1].start) for r in reads} == {(16, 48)}
    np.testing.assert_array_equal(targets[0][...], source[...])


def test_sharded_targets_written_band_by_band_hold_every_pixel() -> None:
    source = np.random.default_rng(3).integers(0, 2**31, (100, 90), dtype=np.uint32)
    targets = targets_for([(100, 90), (50, 45)], np.uint32, 8, shard=32)
    assert targets[0].shards == (32, 32)
    write_levels(targets, [source, None], "mode")
    np.testing.assert_array_equal(targets[0][...], source)
    np.testing.assert_array_equal(targets[1][...], downsample_labels(source, (50, 45), "mode"))
