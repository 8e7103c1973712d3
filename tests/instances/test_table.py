"""Instance tables equal scikit-image's regionprops_table, whatever the source and block order."""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import dask.array as da
import numpy as np
import pyarrow as pa
import pytest
import tifffile
import zarr
from skimage.measure import regionprops_table

from labelcollections.instances.blocks import block_regions
from labelcollections.instances.statistics import ObjectStatistics
from labelcollections.instances.table import instance_table, object_statistics, statistics_table
from labelcollections.model.images import Axis, Level
from labelcollections.model.label_schema import LabelClass, LabelSchema

YX = (Axis(name="y", type="space", unit="micrometer"), Axis(name="x", type="space"))
ZYX = (Axis(name="z", type="space"), *YX)
Blobs = Callable[..., np.ndarray]


def level(shape: tuple[int, ...], scale: tuple[float, ...] | None = None) -> Level:
    return Level(path="0", shape=shape, scale=scale or (1.0,) * len(shape))


def assert_matches_regionprops(table: pa.Table, labels: np.ndarray, axes: tuple[Axis, ...]) -> None:
    expected = regionprops_table(labels, properties=("label", "area", "bbox", "centroid"))
    got = table.to_pydict()
    np.testing.assert_array_equal(got["label"], expected["label"])
    np.testing.assert_array_equal(got["area"], expected["area"])
    for i, axis in enumerate(axes):
        np.testing.assert_array_equal(got[f"bbox_min_{axis.name}"], expected[f"bbox-{i}"])
        np.testing.assert_array_equal(
            got[f"bbox_max_{axis.name}"], expected[f"bbox-{i + labels.ndim}"]
        )
        np.testing.assert_allclose(got[f"centroid_{axis.name}"], expected[f"centroid-{i}"])


def test_denbi_labels_equal_regionprops(conformance_dir: Path) -> None:
    labels = tifffile.imread(conformance_dir / "biohackathon/denbi/labels.tiff")
    table = instance_table(labels, label_image_id="denbi", axes=YX, level=level(labels.shape))
    assert table.num_rows > 100
    assert_matches_regionprops(table, labels, YX)


def test_3d_labels_read_from_zarr_in_shuffled_blocks_equal_regionprops(
    tmp_path: Path, make_blobs: Blobs
) -> None:
    labels = make_blobs((7, 90, 110), 60)
    stored = zarr.create_array(
        str(tmp_path / "l.zarr"), shape=labels.shape, chunks=(2, 32, 40), dtype=labels.dtype
    )
    stored[...] = labels
    regions = block_regions(stored)
    random.Random(3).shuffle(regions)
    statistics = object_statistics(stored, regions=regions)
    table = statistics_table(statistics, "vol", ZYX, level(labels.shape))
    assert_matches_regionprops(table, labels, ZYX)
    in_order = instance_table(labels, label_image_id="vol", axes=ZYX, level=level(labels.shape))
    assert table.equals(in_order)


def test_ids_border_classes_and_physical_centroids() -> None:
    labels = np.zeros((10, 12), dtype=np.uint16)
    labels[0:3, 2:5] = 7  # touches the top edge
    labels[4:6, 4:8] = 9  # inside
    labels[8:10, 10:12] = 300  # bottom right corner
    schema = LabelSchema(classes=(LabelClass(value=9, name="nucleus"),))
    table = instance_table(
        labels,
        label_image_id="abc",
        axes=YX,
        level=Level(path="0", shape=labels.shape, scale=(0.5, 2.0), translation=(10.0, -1.0)),
        label_schema=schema,
    ).to_pydict()
    assert table["instance_id"] == ["abc:7", "abc:9", "abc:300"]
    assert table["touches_border"] == [True, False, True]
    assert table["class"] == [None, "nucleus", None]
    assert table["centroid_y"] == [1.0, 4.5, 8.5]
    assert table["centroid_y_physical"] == [10.5, 12.25, 14.25]
    assert table["centroid_x_physical"] == [5.0, 10.0, 20.0]


def test_signed_labels_keep_negative_values() -> None:
    labels = np.array([[-3, -3, 0, 5], [0, 0, 0, 5]], dtype=np.int16)
    table = instance_table(labels, label_image_id="s", axes=YX, level=level(labels.shape))
    assert table.schema.field("label").type == pa.int64()
    assert table.column("label").to_pylist() == [-3, 5]
    assert table.column("instance_id").to_pylist() == ["s:-3", "s:5"]


def test_empty_labels_give_an_empty_table() -> None:
    table = instance_table(
        np.zeros((5, 5), np.uint8), label_image_id="e", axes=YX, level=level((5, 5))
    )
    assert table.num_rows == 0
    assert "centroid_x_physical" in table.column_names


def test_a_label_image_larger_than_the_memory_allowed_is_measured_in_blocks(
    make_blobs: Blobs,
) -> None:
    """A lazy 4096² uint32 dask image (64 MiB, never materialised) is measured while Python
    allocates at most an eighth of that."""
    tile = make_blobs((512, 512), 40, seed=5)

    def block(block_id: tuple[int, int]) -> np.ndarray:
        offset = (block_id[0] * 8 + block_id[1]) * 1000
        return np.where(tile > 0, tile + offset, 0).astype(np.uint32)

    lazy = da.map_blocks(
        lambda _, block_info=None: block(block_info[None]["chunk-location"]),
        da.zeros((4096, 4096), chunks=512, dtype=np.uint32),
        dtype=np.uint32,
    )
    budget = lazy.nbytes // 8
    tracemalloc.start()
    try:
        statistics = object_statistics(lazy)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < budget, f"peak {peak} bytes, allowed {budget}"
    tile_objects = np.unique(tile[tile > 0]).size
    assert statistics.values.size == 64 * tile_objects
    assert int(statistics.counts.sum()) == 64 * int((tile > 0).sum())


def test_statistics_of_no_blocks_merge_to_empty() -> None:
    empty = ObjectStatistics.empty(2)
    assert empty.values.size == 0 and empty.sums.shape == (0, 2)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "uint64", "int64"])
def test_every_label_dtype_is_measured(dtype: str, make_blobs: Blobs) -> None:
    labels = make_blobs((40, 50), 12, seed=2).astype(dtype)
    table = instance_table(labels, label_image_id="t", axes=YX, level=level(labels.shape))
    assert_matches_regionprops(table, labels, YX)
