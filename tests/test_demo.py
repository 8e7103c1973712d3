"""The demo builds competing segmentations with provenance and a lineage, and exports them."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader
from rich.console import Console

from labelcollections.demo import run_demo
from labelcollections.errors import ConflictError
from labelcollections.progress import SilentProgress
from labelcollections.storage.validation import validate_store


def test_demo_repository_holds_two_segmentations_a_second_version_and_an_export(
    tmp_path: Path,
) -> None:
    output = io.StringIO()
    repository = run_demo(tmp_path / "demo", SilentProgress(), Console(file=output, width=200))
    with repository:
        collections = {c.name: c for c in repository.collections("ihc")}
        assert sorted(collections) == ["nuclei", "reviewed", "tissue_classes"]
        v1, v2 = (repository.label_image(f"nuclei@{v}") for v in ("v1", "v2"))
        assert v2.provenance.derived_from == v1.id
        assert v1.provenance.parameters != v2.provenance.parameters
        assert [item.key for item in repository.lineage(v1.id)] == ["nuclei@v1", "nuclei@v2"]
        assert collections["reviewed"].members == (v2.id,)
        for label in (v1, v2):
            pixels = np.asarray(repository.label_levels(label)[0][...])
            assert pixels.shape == (1, 512, 512)
            assert len(np.unique(pixels)) > 100
        stains = repository.label_image("stains@v1")
        assert stains.label_type.value == "semantic"
        assert set(np.unique(np.asarray(repository.label_levels(stains)[0][...]))) == {0, 1, 2}
        assert repository.find(class_name="dab-positive") == [stains]
    exported = tmp_path / "demo" / "ihc.ome.zarr"
    assert "3 label images" in validate_store(str(exported))
    nodes = [node for node in Reader(parse_url(str(exported)))() if node.data]
    seen = {
        str(node.zarr.path).rstrip("/").split("ihc.ome.zarr")[-1]: node.data[0].shape
        for node in nodes
    }
    assert seen == {
        "": (3, 512, 512),
        "/labels/nuclei_v1": (1, 512, 512),
        "/labels/nuclei_v2": (1, 512, 512),
        "/labels/stains_v1": (1, 512, 512),
    }
    text = output.getvalue()
    assert "nuclei@v2" in text and "napari" in text


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ConflictError):
        run_demo(tmp_path, SilentProgress(), Console(file=io.StringIO()))
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
