"""HCS plates: an NGFF plate written by ome-zarr-py (0.4 and 0.5) imports as one reference image
per field with its labels; export writes the plate back, which ome-zarr-py's plate reader
reads with the labels under every field, and import restores it exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zarr
from ome_zarr.format import FormatV04, FormatV05
from ome_zarr.io import parse_url
from ome_zarr.reader import Label, Reader
from ome_zarr.writer import write_image, write_labels, write_plate_metadata, write_well_metadata
from tests.conftest import Run

from labelcollections.catalog import LabelImageFilter
from labelcollections.repository import PlateImport, Repository

ROWS = ["A", "B"]
COLUMNS = ["1", "2", "3"]
FIELDS = 2


def write_plate(path: Path, version: str) -> dict[str, np.ndarray]:
    """A 2 × 3-well plate with 2 fields per well, each field with a label image ``cells``;
    returns the label pixels by field path."""
    fmt = FormatV05() if version == "0.5" else FormatV04()
    root = zarr.open_group(str(path), mode="w", zarr_format=3 if version == "0.5" else 2)
    wells = [f"{row}/{column}" for row in ROWS for column in COLUMNS]
    write_plate_metadata(root, ROWS, COLUMNS, wells, fmt=fmt, field_count=FIELDS, name="screen")
    rng = np.random.default_rng(8)
    labels = {}
    for well_path in wells:
        row, column = well_path.split("/")
        well = root.require_group(row).require_group(column)
        write_well_metadata(well, [{"path": str(f)} for f in range(FIELDS)], fmt=fmt)
        for field in range(FIELDS):
            image = well.require_group(str(field))
            write_image(rng.integers(0, 200, (64, 80), dtype=np.uint8), image, axes="yx", fmt=fmt)
            cells = np.zeros((64, 80), dtype=np.uint16)
            cells[5 : 20 + field, 10:30] = 1 + rng.integers(0, 50)
            write_labels(cells, image, name="cells", axes="yx", fmt=fmt)
            labels[f"{well_path}/{field}"] = cells
    return labels


def read_plate_labels(path: Path) -> dict[str, np.ndarray]:
    """The label images ome-zarr-py's reader finds under each field of a plate."""
    found = {}
    root = zarr.open_group(str(path), mode="r")
    plate = dict(root.attrs).get("ome", dict(root.attrs))["plate"]
    for well in plate["wells"]:
        well_group = root[well["path"]]
        images = dict(well_group.attrs).get("ome", dict(well_group.attrs))["well"]["images"]
        for entry in images:
            field = f"{well['path']}/{entry['path']}"
            nodes = Reader(parse_url(str(path / field / "labels" / "cells")))()
            (label,) = [n for n in nodes if any(isinstance(s, Label) for s in n.specs)]
            found[field] = np.asarray(label.data[0])
    return found


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_a_plate_imports_as_fields_and_exports_back(tmp_path: Path, version: str, run: Run) -> None:
    labels = write_plate(tmp_path / "plate.ome.zarr", version)
    with Repository.init(tmp_path / "repo") as repo:
        result = repo.import_store(tmp_path / "plate.ome.zarr", name="p1", collection="cells")
        assert isinstance(result, PlateImport)
        assert len(repo.images()) == 12
        assert len(repo.label_images()) == 12
        field = repo.image("p1_B2_1")
        assert field.plate is not None
        assert (field.plate.plate, field.plate.well, field.plate.field) == ("p1", "B/2", 1)
        assert [i.name for i in repo.images(plate="p1", well="B2")] == ["p1_B2_0", "p1_B2_1"]
        found = repo.find(LabelImageFilter(plate="p1", well="A/3"))
        assert len(found) == 2
        (plate_collection,) = repo.plate("p1").collections
        assert plate_collection.name == "cells"
        assert len(plate_collection.members) == 12
        assert repo.verify() == []
        repo.export("p1", tmp_path / "out.ome.zarr", version)  # type: ignore[arg-type]
    exported = read_plate_labels(tmp_path / "out.ome.zarr")
    assert sorted(exported) == sorted(labels)
    for path, pixels in labels.items():
        np.testing.assert_array_equal(exported[path], pixels)
    code, out, err = run("import", tmp_path / "copy", tmp_path / "out.ome.zarr")
    assert code == 2  # not a repository yet
    Repository.init(tmp_path / "copy").close()
    code, out, err = run("import", tmp_path / "copy", tmp_path / "out.ome.zarr")
    assert code == 0, err
    assert "imported plate p1: 12 fields with 12 label images, 1 plate collection" in out
    with Repository.open(tmp_path / "repo") as first, Repository.open(tmp_path / "copy") as copy:
        assert first.images() == copy.images()
        assert first.label_images() == copy.label_images()
        assert first.plates() == copy.plates()
    code, out, err = run("image", "list", tmp_path / "copy", "--plate", "p1", "--well", "A1")
    assert code == 0, err
    assert "p1_A1_0" in out and "p1_A1_1" in out and "p1_A2_0" not in out
