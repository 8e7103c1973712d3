"""Volumes and stacks end to end: a plain multi-page 3D TIFF and its 3D instance mask are added
with ``--axes zyx``, measured, compared and exported, and other tools read the export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import tifffile
import zarr
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader

from labelcollections.errors import InputError
from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository

Run = Callable[..., tuple[int, str, str]]
SHAPE = (9, 140, 120)


def write_stack(path: Path, data: np.ndarray) -> None:
    """A multi-page TIFF without metadata (tifffile reads its axes as 'IYX')."""
    with tifffile.TiffWriter(path) as tiff:
        for plane in data:
            tiff.write(plane, photometric="minisblack", metadata=None)


@pytest.fixture
def stacks(tmp_path: Path) -> dict[str, np.ndarray]:
    image = np.random.default_rng(4).integers(0, 4000, SHAPE, dtype=np.uint16)
    cells = np.zeros(SHAPE, dtype=np.uint16)
    cells[1:5, 10:40, 20:60] = 1
    cells[3:9, 70:130, 60:100] = 2
    cells[0:2, 100:140, 0:15] = 3
    revised = cells.copy()
    revised[revised == 3] = 0
    revised[5:8, 5:30, 90:118] = 4
    data = {"image": image, "cells": cells, "revised": revised}
    for name, array in data.items():
        write_stack(tmp_path / f"{name}.tif", array)
    return data


def test_a_multi_page_tiff_and_its_3d_mask_end_to_end(
    run: Run, tmp_path: Path, stacks: dict[str, np.ndarray]
) -> None:
    repo = tmp_path / "repo"
    assert run("init", repo)[0] == 0
    code, _, err = run("add-image", repo, tmp_path / "image.tif", "--name", "stack")
    assert code == 2 and "image.tif: axes:" in err and "--axes zyx" in err
    assert not (repo / "images/stack.ome.zarr").exists()
    assert (
        run("add-image", repo, tmp_path / "image.tif", "--name", "stack", "--axes", "zyx")[0] == 0
    )
    common = ["--collection", "cells", "--name", "cells", "--type", "instance", "--axes", "zyx"]
    code, _, err = run(
        "add-labels", repo, "stack", tmp_path / "cells.tif", *common[:-2], "--method", "manual"
    )
    assert code == 2 and "cells.tif: axes:" in err
    assert (
        run("add-labels", repo, "stack", tmp_path / "cells.tif", *common, "--method", "manual")[0]
        == 0
    )
    assert (
        run(
            "add-labels", repo, "stack", tmp_path / "revised.tif", *common,
            "--method", "manual", "--version", "v2", "--derived-from", "cells@v1",
        )[0]
        == 0
    )  # fmt: skip

    assert run("instance", "table", repo, "cells@v1", "--output", tmp_path / "t.parquet")[0] == 0
    table = pq.read_table(tmp_path / "t.parquet").to_pydict()
    assert table["label"] == [1, 2, 3]
    assert table["volume"] == [4 * 30 * 40, 6 * 60 * 40, 2 * 40 * 15]
    assert table["bbox_min_z"] == [1, 3, 0] and table["bbox_max_z"] == [5, 9, 2]
    assert table["centroid_z"] == [2.5, 5.5, 0.5]
    assert table["volume_physical"] == [float(v) for v in table["volume"]]
    assert table["touches_border"] == [False, True, True]

    with Repository.open(repo) as repository:
        result = repository.compare("cells@v1", "cells@v2").to_dict()
    assert result["metrics"]["matched"] == 2
    assert result["missed"] == [3] and result["extra"] == [4]

    export = tmp_path / "stack.ome.zarr"
    assert run("export", repo, "stack", export)[0] == 0
    image_node, *rest = Reader(parse_url(str(export)))()
    assert [axis["name"] for axis in image_node.metadata["axes"]] == ["z", "y", "x"]
    np.testing.assert_array_equal(np.asarray(image_node.data[0]), stacks["image"])
    labels = {node.zarr.path.rstrip("/").split("/")[-1]: node for node in rest if node.data}
    np.testing.assert_array_equal(np.asarray(labels["cells_v1"].data[0]), stacks["cells"])
    np.testing.assert_array_equal(np.asarray(labels["cells_v2"].data[0]), stacks["revised"])


def test_labels_of_a_channel_stack_get_size_one_in_c(tmp_path: Path) -> None:
    image = np.random.default_rng(5).integers(0, 255, (2, 3, 6, 40, 50), dtype=np.uint8)
    labels = np.zeros((2, 6, 40, 50), np.uint32)
    labels[1, 2:4, 5:20, 5:25] = 7
    with Repository.init(tmp_path / "repo") as repo:
        repo.add_image(image, "movie", axes=("t", "c", "z", "y", "x"))
        label = repo.add_labels(
            "movie",
            labels,
            collection="c",
            name="blob",
            label_type="instance",
            axes=("t", "z", "y", "x"),
            provenance=Provenance(method="manual"),
        )
        stored = repo.label_levels(label)[0]
        table = repo.instance_table(label.id).to_pydict()
    assert stored.shape == (2, 1, 6, 40, 50)
    np.testing.assert_array_equal(stored[:, 0], labels)
    assert table["bbox_min_t"] == [1] and table["volume"] == [2 * 15 * 20]
    assert "bbox_min_c" not in table


def test_an_exported_volume_opens_in_zarr_python(tmp_path: Path) -> None:
    volume = np.random.default_rng(6).integers(0, 9, (5, 64, 48), dtype=np.uint8)
    with Repository.init(tmp_path / "repo") as repo:
        repo.add_image(volume, "vol", axes=("z", "y", "x"))
        repo.export("vol", tmp_path / "vol.ome.zarr")
    group = zarr.open_group(str(tmp_path / "vol.ome.zarr"), mode="r")
    assert group["0"].metadata.dimension_names == ("z", "y", "x")
    np.testing.assert_array_equal(group["0"][...], volume)


@pytest.mark.parametrize("changed", ["0", "labels/blob_v1/0"])
def test_an_export_with_changed_pixels_is_refused_on_import(tmp_path: Path, changed: str) -> None:
    volume = np.random.default_rng(7).integers(0, 9, (3, 40, 30), dtype=np.uint8)
    with Repository.init(tmp_path / "repo") as repo:
        repo.add_image(volume, "vol", axes=("z", "y", "x"))
        repo.add_labels(
            "vol",
            (volume > 4).astype(np.uint8),
            collection="c",
            name="blob",
            label_type="semantic",
            provenance=Provenance(method="algorithm"),
        )
        exported = repo.export("vol", tmp_path / "vol.ome.zarr")
    array = zarr.open_array(str(exported / changed), mode="r+")
    array[1, 5, 5] = int(array[1, 5, 5]) ^ 1
    with Repository.init(tmp_path / "other") as other:
        with pytest.raises(InputError) as error:
            other.import_store(exported)
        assert "recorded hash" in error.value.expected
        assert other.images() == []
        assert not any((tmp_path / "other" / "images").iterdir())
