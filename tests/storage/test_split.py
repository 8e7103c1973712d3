"""A split write (level 0 in bands of chunk rows, then each coarser level, as tasks) gives what
the streaming writer gives: the same arrays at every level, hash and instance statistics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from labelcollections.instances.statistics import StatisticsCollector, block_statistics
from labelcollections.model.geometry import image_levels
from labelcollections.model.images import Axis, Level
from labelcollections.storage.ome_zarr_store import LevelWriting, write_multiscale_group
from labelcollections.storage.split import Split


def threads(function: Callable[..., Any], items: Sequence[tuple[Any, ...]]) -> list[Any]:
    """A runner on a thread pool, tasks in any order."""
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda item: function(*item), reversed(items)))[::-1]


def stored(folder: Path, levels: Sequence[Level]) -> list[np.ndarray]:
    group = zarr.open_group(str(folder), mode="r")
    return [np.asarray(group[level.path][...]) for level in levels]


@pytest.mark.parametrize("reduction", ["nearest", "mode"])
@pytest.mark.parametrize("shape", [(2, 700, 530), (1, 2500, 1100)])
def test_a_split_write_equals_the_streaming_write(
    tmp_path: Path, reduction: str, shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(sum(shape))
    labels = rng.integers(0, 40, shape, dtype=np.uint16)
    labels[:, : shape[1] // 3] = 0  # some empty chunks stay absent
    axes = [Axis(name=n) for n in "zyx"]
    levels = image_levels(shape, ("z", "y", "x"), (1.0, 1.0, 1.0))
    sources = [labels, *(None for _ in levels[1:])]
    results = {}
    for name in ("streaming", "split"):
        statistics = StatisticsCollector(3, labels.dtype)
        split = Split(threads, partial(np.asarray, labels), block_statistics, statistics.add_part)
        writing = LevelWriting(
            reduction=reduction,  # type: ignore[arg-type]
            observers=(statistics.add,),
            split=split if name == "split" else None,
        )
        digest = write_multiscale_group(
            tmp_path / name, sources, axes, levels, "0.5", {}, None, "x", writing
        )
        results[name] = (digest, stored(tmp_path / name, levels), statistics.result())
    (digest, arrays, stats), (other_digest, other_arrays, other_stats) = results.values()
    assert digest == other_digest
    for array, other in zip(arrays, other_arrays, strict=True):
        np.testing.assert_array_equal(array, other)
    np.testing.assert_array_equal(arrays[0], labels)
    for field in ("values", "counts", "sums", "mins", "maxs"):
        np.testing.assert_array_equal(getattr(stats, field), getattr(other_stats, field))
