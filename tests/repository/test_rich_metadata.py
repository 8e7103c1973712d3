"""An OME-TIFF's metadata travels: channel names and colours into NGFF ``omero``, physical sizes
into every level's scale, the OME-XML into ``OME/METADATA.ome.xml``, and import reads them back.
bioformats2raw-layout stores register in place with their OME-XML."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
import zarr
from ome_zarr_models.v05.image import Image as ImageV05

from labelcollections.model.images import Channel
from labelcollections.repository import Repository

BLUE, GREEN = 0x0000FFFF, 0x00FF00FF


@pytest.fixture
def ome_tiff(tmp_path: Path) -> Path:
    path = tmp_path / "cells.ome.tif"
    data = np.random.default_rng(8).integers(0, 4000, (3, 2, 600, 520), dtype=np.uint16)
    sizes = {"PhysicalSizeX": 0.325, "PhysicalSizeY": 0.325, "PhysicalSizeZ": 1.5}
    channels = {"Name": ["DAPI", "GFP"], "Color": [BLUE, GREEN]}
    tifffile.imwrite(path, data, ome=True, metadata={"axes": "ZCYX", **sizes, "Channel": channels})
    return path


def test_an_ome_tiff_exports_its_metadata_and_imports_back_equal(
    ome_tiff: Path, tmp_path: Path
) -> None:
    with Repository.init(tmp_path / "repo") as repo:
        image = repo.add_image(ome_tiff, "cells")
        repo.export("cells", tmp_path / "cells.ome.zarr")
        kept = repo.store(image).ome_xml()
    assert image.channels == (
        Channel(name="DAPI", color="0000FF"),
        Channel(name="GFP", color="00FF00"),
    )
    assert image.axis_names == ("c", "z", "y", "x")
    assert [axis.unit for axis in image.axes] == [None, "micrometer", "micrometer", "micrometer"]
    assert [level.scale for level in image.levels] == [
        (1.0, 1.5, 0.325 * 2**k, 0.325 * 2**k) for k in range(3)
    ]

    export = tmp_path / "cells.ome.zarr"
    xml = (export / "OME" / "METADATA.ome.xml").read_text()
    assert xml == kept and "<MetadataOnly" in xml and "TiffData" not in xml
    assert 'Name="DAPI"' in xml and 'PhysicalSizeZ="1.5"' in xml
    group = zarr.open_group(str(export), mode="r")
    ome = group.attrs["ome"]
    channels = ome["omero"]["channels"]
    assert [(c["label"], c["color"]) for c in channels] == [("DAPI", "0000FF"), ("GFP", "00FF00")]
    assert channels[0]["window"] == {"min": 0.0, "max": 65535.0, "start": 0.0, "end": 65535.0}
    scales = [d["coordinateTransformations"][0]["scale"] for d in ome["multiscales"][0]["datasets"]]
    assert scales == [list(level.scale) for level in image.levels]
    ImageV05.from_zarr(group)  # a valid NGFF 0.5 image for ome-zarr-models

    with Repository.init(tmp_path / "other") as other:
        imported = other.import_store(export).image
        assert imported == image
        assert other.store(imported).ome_xml() == kept
        again = other.export("cells", tmp_path / "again.ome.zarr")
    assert (again / "OME" / "METADATA.ome.xml").read_text() == xml


def write_bioformats2raw(root: Path, data: np.ndarray, xml: str) -> None:
    """A bioformats2raw-layout store with one series, as ``bioformats2raw`` writes it."""
    top = zarr.open_group(str(root), mode="w", zarr_format=3)
    top.attrs["ome"] = {"version": "0.5", "bioformats2raw.layout": 3}
    series = top.create_group("0")
    series.create_array("0", data=data, chunks=(1, 64, 64))
    series.attrs["ome"] = {
        "version": "0.5",
        "multiscales": [
            {
                "axes": [
                    {"name": "c", "type": "channel"},
                    {"name": "y", "type": "space", "unit": "micrometer"},
                    {"name": "x", "type": "space", "unit": "micrometer"},
                ],
                "datasets": [
                    {
                        "path": "0",
                        "coordinateTransformations": [{"type": "scale", "scale": [1, 0.5, 0.5]}],
                    }
                ],
            }
        ],
        "omero": {
            "channels": [
                {
                    "label": "DAPI",
                    "color": "0000ff",
                    "window": {"min": 0, "max": 255, "start": 0, "end": 255},
                }
            ]
        },
    }
    ome = top.create_group("OME")
    ome.attrs["ome"] = {"version": "0.5", "series": ["0"]}
    (root / "OME" / "METADATA.ome.xml").write_text(xml)


def test_a_bioformats2raw_store_registers_its_first_series_in_place(
    ome_tiff: Path, tmp_path: Path
) -> None:
    data = np.random.default_rng(9).integers(0, 255, (1, 100, 90), dtype=np.uint8)
    xml = tifffile.TiffFile(ome_tiff).ome_metadata
    root = tmp_path / "plate.ome.zarr"
    write_bioformats2raw(root, data, xml)
    with Repository.init(tmp_path / "repo") as repo:
        image = repo.add_image(root, "series0")
        assert image.source == str(root / "0")
        assert image.channels == (Channel(name="DAPI", color="0000FF"),)
        np.testing.assert_array_equal(repo.image_levels(image)[0][...], data)
        assert repo.store(image).ome_xml() == xml
        imported = repo.import_store(root, name="copy").image
        assert imported.channels == image.channels
        assert repo.store(imported).ome_xml() == xml
