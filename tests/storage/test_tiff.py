"""TIFF and OME-TIFF files arrive in NGFF axis order with their physical pixel sizes."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import tifffile

from labelcollections.errors import InputError
from labelcollections.repository import Repository
from labelcollections.storage.pyramid import downsample_image
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


def write_plain_stack(path: Path, data: np.ndarray) -> None:
    """A multi-page TIFF without metadata, as many tools write z stacks (tifffile: 'IYX')."""
    with tifffile.TiffWriter(path) as tiff:
        for plane in data:
            tiff.write(plane, photometric="minisblack", metadata=None)


def test_a_plain_multi_page_tiff_needs_named_axes_and_stays_lazy(tmp_path: Path) -> None:
    path = tmp_path / "stack.tif"
    data = np.arange(5 * 30 * 40, dtype=np.uint16).reshape(5, 30, 40)
    write_plain_stack(path, data)
    with pytest.raises(InputError) as error:
        read_tiff(path)
    assert (error.value.source, error.value.field) == (str(path), "axes")
    assert "'IYX'" in error.value.expected and "--axes zyx" in error.value.expected
    image = read_tiff(path, ["z", "y", "x"])
    assert image.axes == ("z", "y", "x")
    assert isinstance(image.data, da.Array)
    np.testing.assert_array_equal(image.data.compute(), data)


@pytest.mark.parametrize(("letters", "given"), [("QYX", "zyx"), ("SYX", "zyx"), ("YX", "xy")])
def test_axes_name_or_rename_tifffile_axes(tmp_path: Path, letters: str, given: str) -> None:
    path = tmp_path / "named.tif"
    data = np.arange(3 * 20 * 10, dtype=np.uint8).reshape(3, 20, 10)
    if letters == "YX":
        data = data[0]
    tifffile.imwrite(path, data, photometric="minisblack" if letters != "SYX" else None)
    with tifffile.TiffFile(path) as tif:
        assert tif.series[0].axes == letters
    assert read_tiff(path, list(given)).axes == tuple(given)


def test_the_wrong_number_of_axes_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "stack.tif"
    write_plain_stack(path, np.zeros((2, 8, 8), np.uint8))
    with pytest.raises(InputError) as error:
        read_tiff(path, ["y", "x"])
    assert error.value.field == "axes"
    assert "3 axis names" in error.value.expected and "IYX" in error.value.expected


def test_an_imagej_hyperstack_arrives_in_ngff_order_with_its_spacing(tmp_path: Path) -> None:
    path = tmp_path / "hyper.tif"
    data = np.random.default_rng(0).integers(0, 200, (2, 3, 4, 16, 20), dtype=np.uint8)
    tifffile.imwrite(
        path,
        data,
        imagej=True,
        resolution=(2.0, 2.0),
        metadata={"axes": "TZCYX", "spacing": 1.5, "unit": "um"},
    )
    image = in_ngff_order(read_pixels(path))
    assert image.axes == ("t", "c", "z", "y", "x")
    assert image.sizes == {"z": 1.5, "y": 0.5, "x": 0.5}
    assert image.units == {"z": "micrometer", "y": "micrometer", "x": "micrometer"}
    np.testing.assert_array_equal(np.asarray(image.data), np.transpose(data, (0, 2, 1, 3, 4)))


def write_pyramid(path: Path, levels: list[np.ndarray]) -> None:
    with tifffile.TiffWriter(path, bigtiff=True) as tiff:
        tiff.write(
            levels[0],
            subifds=len(levels) - 1,
            tile=(128, 128),
            metadata={"axes": "YX", "PhysicalSizeX": 0.5, "PhysicalSizeY": 0.5},
        )
        for level in levels[1:]:
            tiff.write(level, subfiletype=1, tile=(128, 128))


def test_a_pyramidal_ome_tiff_brings_its_own_levels(tmp_path: Path) -> None:
    path = tmp_path / "slide.ome.tif"
    base = np.random.default_rng(1).integers(0, 255, (1100, 1030), dtype=np.uint8)
    # Levels that halve rounding up, with values no block mean would give.
    own = [base, np.full((550, 515), 3, np.uint8), np.full((275, 258), 9, np.uint8)]
    write_pyramid(path, own)
    with Repository.init(tmp_path / "repo") as repo:
        image = repo.add_image(path, "slide")
        stored = repo.image_levels(image)
    shapes = [(1100, 1030), (550, 515), (275, 258), (137, 129)]
    assert [level.shape for level in image.levels] == shapes
    assert image.levels[1].scale == (1100 / 550 * 0.5, 1030 / 515 * 0.5)
    for array, expected in zip(stored, [*own, np.full((137, 129), 9)], strict=True):
        np.testing.assert_array_equal(array[...], expected)


def test_levels_that_do_not_halve_are_made_again(tmp_path: Path) -> None:
    path = tmp_path / "odd.ome.tif"
    base = np.random.default_rng(2).integers(0, 255, (900, 900), dtype=np.uint8)
    write_pyramid(path, [base, np.zeros((300, 300), np.uint8)])
    with Repository.init(tmp_path / "repo") as repo:
        image = repo.add_image(path, "odd")
        stored = repo.image_levels(image)
    assert [level.shape for level in image.levels] == [(900, 900), (450, 450), (225, 225)]
    np.testing.assert_array_equal(stored[1][...], downsample_image(base, (450, 450)))
