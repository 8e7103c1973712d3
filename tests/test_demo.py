"""The demo builds competing segmentations with provenance and a lineage, and exports them."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import ome_zarr_models
import pytest
import zarr
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader
from ome_zarr_models.v05.image import Image as ImageV05
from ome_zarr_models.v05.image_label import ImageLabel as ImageLabelV05
from rich.console import Console
from tests.conftest import Run

from labelcollections.demo import run_demo
from labelcollections.errors import ConflictError
from labelcollections.progress import SilentProgress
from labelcollections.repository import Repository
from labelcollections.storage.validation import validate_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The folder the demo wrote (its repository and export) and what it printed."""
    folder = tmp_path_factory.mktemp("demo") / "demo"
    output = io.StringIO()
    run_demo(folder, SilentProgress(), Console(file=output, width=200)).close()
    return folder, output.getvalue()


def test_demo_repository_holds_two_segmentations_a_second_version_and_an_export(
    demo: tuple[Path, str],
) -> None:
    folder, text = demo
    with Repository.open(folder / "repo") as repository:
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
    exported = folder / "ihc.ome.zarr"
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
    assert "nuclei@v2" in text and "napari" in text


def test_every_store_the_demo_writes_passes_validate_and_ome_zarr_models(
    demo: tuple[Path, str], run: Run
) -> None:
    folder, _ = demo
    stores = sorted(folder.rglob("*.ome.zarr"))
    assert [store.relative_to(folder) for store in stores] == [
        Path("ihc.ome.zarr"),
        Path("repo/images/ihc.ome.zarr"),
    ]
    for store in stores:
        code, out, err = run("validate", store)
        assert (code, err) == (0, ""), err
        assert out.startswith("valid: OME-Zarr 0.5 image") and "3 label images" in out
        group = zarr.open_group(str(store), mode="r")
        assert isinstance(ome_zarr_models.open_ome_zarr(group), ImageV05)
        labels = group["labels"]
        assert isinstance(labels, zarr.Group)
        listed = labels.attrs.asdict()["ome"]["labels"]
        assert len(listed) == 3
        for path in listed:
            assert isinstance(ome_zarr_models.open_ome_zarr(labels[path]), ImageLabelV05), path


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ConflictError):
        run_demo(tmp_path, SilentProgress(), Console(file=io.StringIO()))
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
