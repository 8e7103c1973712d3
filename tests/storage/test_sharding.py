"""Shards: the shapes ``--shards`` and the default rule choose, and sharded stores that other
readers (zarr-python, ome-zarr-py, ome-zarr-models) open."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import zarr
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader
from ome_zarr_models.v05.image_label import ImageLabel as ImageLabelV05

from labelcollections.errors import InputError
from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository
from labelcollections.storage.sharding import MAX_CHUNK_FILES, file_count, parse_shards, shard_shape
from labelcollections.storage.validation import validate_store

Run = Callable[..., tuple[int, str, str]]


def test_parse_shards_takes_one_edge_or_one_per_axis() -> None:
    assert parse_shards("8192") == 8192
    assert parse_shards("1,4096,4096") == (1, 4096, 4096)
    for bad in ("big", "-1", "1,,2"):
        with pytest.raises(InputError) as error:
            parse_shards(bad)
        assert (error.value.source, error.value.field) == ("--shards", "shards")


def test_an_edge_covers_each_spatial_axis_in_whole_chunks() -> None:
    chunks = (1, 1, 1024, 1024)
    assert shard_shape((3, 5, 32768, 32768), chunks, "czyx", 8192) == (1, 5, 8192, 8192)
    assert shard_shape((3, 5, 3000, 2500), chunks, "czyx", (2, 2048, 4096)) == (1, 2, 2048, 3072)
    assert shard_shape((600, 600), (600, 600), "yx", 8192) is None  # one chunk: nothing to pack
    assert shard_shape((32768, 32768), (1024, 1024), "yx", 0) is None
    assert file_count((32768, 32768), (8192, 8192)) == 16


@pytest.mark.parametrize(
    ("request_", "expected"),
    [(1000, "a multiple of the chunk edge 1024 along y"), ((2048,), "one positive edge per")],
)
def test_shards_that_do_not_fit_the_chunks_are_refused(
    request_: int | tuple[int, ...], expected: str
) -> None:
    with pytest.raises(InputError) as error:
        shard_shape((4096, 4096), (1024, 1024), "yx", request_)
    assert expected in error.value.expected


def test_by_default_levels_over_the_file_limit_are_sharded_in_y_and_x_first() -> None:
    assert shard_shape((30720, 30720), (1024, 1024), "yx", None) is None  # 900 files
    wide = shard_shape((32768, 32768), (1024, 1024), "yx", None)
    assert wide == (2048, 2048) and file_count((32768, 32768), wide) <= MAX_CHUNK_FILES
    deep = shard_shape((3000, 2048, 2048), (1, 1024, 1024), "zyx", None)
    assert deep == (4, 2048, 2048) and file_count((3000, 2048, 2048), deep) == 750


@pytest.fixture
def sharded_export(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(12)
    image = rng.integers(0, 255, (2, 2100, 2300), dtype=np.uint8)
    labels = np.zeros((2, 2100, 2300), np.uint32)
    labels[:, 100:1500, 200:2250] = rng.integers(1, 50, (2, 1, 1))
    labels[1, 1800:2090, 10:400] = 99
    with Repository.init(tmp_path / "repo") as repo:
        repo.add_image(image, "stack", axes=("z", "y", "x"), shards=(1, 2048, 2048))
        label = repo.add_labels(
            "stack",
            labels,
            collection="c",
            name="cells",
            label_type="instance",
            provenance=Provenance(method="manual"),
            shards=2048,
        )
        stored = repo.label_levels(label)[0]
        assert stored.shards == (2, 2048, 2048) and stored.chunks == (1, 1024, 1024)
        np.testing.assert_array_equal(stored[...], labels)
        assert repo.verify() == []
        repo.export("stack", tmp_path / "stack.ome.zarr", shards=(2, 2048, 2048))
    return tmp_path / "stack.ome.zarr", image, labels


def test_sharded_exports_open_in_other_readers(
    sharded_export: tuple[Path, np.ndarray, np.ndarray],
) -> None:
    export, image, labels = sharded_export
    group = zarr.open_group(str(export), mode="r")
    assert group["0"].shards == (2, 2048, 2048)
    shard_files = [p for p in (export / "0" / "c").rglob("*") if p.is_file()]
    assert len(shard_files) == 4  # 1 × 2 × 2 shards instead of 2 × 3 × 3 chunks
    np.testing.assert_array_equal(group["0"][...], image)
    assert validate_store(str(export)).startswith("OME-Zarr 0.5 image")  # ome-zarr-models inside
    ImageLabelV05.from_zarr(zarr.open_group(str(export / "labels" / "cells_v1"), mode="r"))
    image_node, *rest = Reader(parse_url(str(export)))()
    np.testing.assert_array_equal(np.asarray(image_node.data[0]), image)
    label_node = next(node for node in rest if node.data)
    np.testing.assert_array_equal(np.asarray(label_node.data[0]), labels)


def test_a_sharded_export_imports_back_equal(
    sharded_export: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    export, image, _ = sharded_export
    with Repository.init(tmp_path / "again") as repo:
        result = repo.import_store(export)
        np.testing.assert_array_equal(repo.image_levels(result.image)[0][...], image)


def test_shards_need_ngff_05(tmp_path: Path, run: Run) -> None:
    with Repository.init(tmp_path / "repo") as repo:
        repo.add_image(np.zeros((64, 64), np.uint8), "small")
    code, _, err = run(
        "export",
        tmp_path / "repo",
        "small",
        tmp_path / "x.zarr",
        "--ngff",
        "0.4",
        "--shards",
        "1024",
    )
    assert code == 2 and "shards" in err
    assert not (tmp_path / "x.zarr").exists()
