"""TIFF and OME-TIFF files arrive in NGFF axis order with their physical pixel sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile

from labelcollections.errors import InputError
from labelcollections.repository import Repository
from labelcollections.storage.sources import in_ngff_order, read_pixels
from labelcollections.storage.tiff import read_tiff


def test_ome_tiff_sizes_and_units_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "stack.ome.tif"
    data = np.arange(2 * 3 * 40 * 50, dtype=np.uint16).reshape(2, 3, 40, 50)
    tifffile.imwrite(
        path,
        data,
        ome=True,
        metadata={
            "axes": "ZCYX",
            "PhysicalSizeX": 0.25,
            "PhysicalSizeY": 0.5,
            "PhysicalSizeZ": 2.0,
            "PhysicalSizeXUnit": "µm",
        },
    )
    image = in_ngff_order(read_pixels(path))
    assert image.axes == ("c", "z", "y", "x")
    assert image.sizes == {"z": 2.0, "y": 0.5, "x": 0.25}
    assert image.units["x"] == "micrometer"
    np.testing.assert_array_equal(image.data, np.transpose(data, (1, 0, 2, 3)))


def test_rgb_samples_become_a_channel_axis(tmp_path: Path) -> None:
    path = tmp_path / "rgb.tif"
    tifffile.imwrite(path, np.zeros((10, 12, 3), dtype=np.uint8), photometric="rgb")
    image = in_ngff_order(read_pixels(path))
    assert image.axes == ("c", "y", "x")
    assert image.data.shape == (3, 10, 12)


def test_a_repository_image_keeps_the_physical_scale_per_level(tmp_path: Path) -> None:
    path = tmp_path / "big.ome.tif"
    tifffile.imwrite(
        path,
        np.zeros((600, 600), dtype=np.uint8),
        ome=True,
        metadata={"axes": "YX", "PhysicalSizeX": 0.25, "PhysicalSizeY": 0.25},
    )
    with Repository.init(tmp_path / "repo") as repo:
        image = repo.add_image(path, "big")
    assert [level.scale for level in image.levels] == [(0.25, 0.25), (0.5, 0.5), (1.0, 1.0)]
    assert [axis.unit for axis in image.axes] == ["micrometer", "micrometer"]


def test_a_file_that_is_not_a_tiff_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.tif"
    path.write_text("not a tiff")
    with pytest.raises(InputError) as error:
        read_tiff(path)
    assert (error.value.source, error.value.field) == (str(path), "file")
