"""Exports that today's readers follow: flat ``labels/<slug>``, free display names, one reference
grammar, and zipped OME-Zarr (``.ozx``) — judged by ome-zarr-models, ngio and zarr-python."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import ngio
import numpy as np
import pytest
import zarr
from ome_zarr_models import open_ome_zarr
from ome_zarr_models.v04.image import Image as ImageV04
from ome_zarr_models.v04.image_label import ImageLabel as ImageLabelV04
from ome_zarr_models.v05.image import Image as ImageV05
from ome_zarr_models.v05.image_label import ImageLabel as ImageLabelV05
from skimage.measure import label as connected_components
from snapshots import snapshot

from labelcollections.errors import ConflictError, InputError
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.validation import validate_path

Run = Callable[..., tuple[int, str, str]]
GROUND_TRUTH = "Ground truth, curated"
MODEL_RUN = "Model output, cellpose 3 (night run)"
NUCLEI = "nuclei, all of them"


def blobs(seed: int) -> np.ndarray:
    """An instance label image of separate random blobs, 96 × 128."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((96, 128), dtype=bool)
    for y, x in rng.integers(8, 88, size=(12, 2)):
        mask[y - 5 : y + 5, x - 6 : x + 6] = True
    return connected_components(mask).astype(np.uint32)


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[Repository]:
    """One image; two label images in two collections whose names hold spaces and commas;
    a feature table."""
    rng = np.random.default_rng(0)
    with Repository.init(tmp_path / "repo") as repo:
        repo.add_image(rng.integers(0, 255, size=(96, 128), dtype=np.uint8), "img2d")
        manual = Provenance(method="manual", author="Ana")
        first = repo.add_labels(
            "img2d",
            blobs(1),
            collection=GROUND_TRUTH,
            name=NUCLEI,
            label_type="instance",
            provenance=manual,
            label_schema=LabelSchema(classes=(LabelClass(value=1, name="nucleus, large"),)),
        )
        repo.add_labels(
            "img2d",
            blobs(2),
            collection=MODEL_RUN,
            name=NUCLEI,
            version="v2",
            label_type="instance",
            provenance=Provenance(method="machine-learning", derived_from=first.id),
        )
        repo.add_to_collection(f"img2d/{NUCLEI}@v2", GROUND_TRUTH)
        features = repo.instance_table(first.id).select(["label", "area"])
        repo.add_table(first.id, features.rename_columns(["label", "size"]), name="shape")
        repo.compare(f"{NUCLEI}@v1", f"{NUCLEI}@v2")
        yield repo


def test_free_names_are_kept_and_paths_are_slugs(repository: Repository) -> None:
    assert sorted(c.name for c in repository.collections()) == [GROUND_TRUTH, MODEL_RUN]
    store = repository.store_location(repository.image("img2d"))
    labels = json.loads((store / "labels" / "zarr.json").read_text())["attributes"]["ome"]
    assert labels["labels"] == ["nuclei_all_of_them_v1", "nuclei_all_of_them_v2"]
    assert sorted(p.name for p in (store / "collections").iterdir()) == [
        "Ground_truth_curated.json",
        "Model_output_cellpose_3_night_run.json",
    ]
    assert repository.collection(f"img2d/{GROUND_TRUTH}").name == GROUND_TRUTH


@pytest.mark.parametrize("ngff", ["0.5", "0.4"])
def test_exports_open_in_ome_zarr_models_and_ngio(
    repository: Repository, tmp_path: Path, ngff: str
) -> None:
    exported = repository.export("img2d", tmp_path / "out.ome.zarr", ngff)  # type: ignore[arg-type]
    group = zarr.open_group(str(exported), mode="r")
    image = open_ome_zarr(group)
    assert isinstance(image, ImageV05 if ngff == "0.5" else ImageV04)
    listed = dict(group["labels"].attrs)
    paths = (listed["ome"] if ngff == "0.5" else listed)["labels"]
    assert paths == ["nuclei_all_of_them_v1", "nuclei_all_of_them_v2"]
    assert not any("/" in path for path in paths)
    for path in paths:
        label = open_ome_zarr(group[f"labels/{path}"])
        assert isinstance(label, ImageLabelV05 if ngff == "0.5" else ImageLabelV04)

    container = ngio.open_ome_zarr_container(str(exported))
    assert sorted(container.list_labels()) == paths
    for path in paths:
        pixels = container.get_label(path).get_array()
        stored = repository.label_levels(repository.label_image(f"img2d/{NUCLEI}@{path[-2:]}"))
        np.testing.assert_array_equal(np.asarray(pixels), stored[0][...])
    tables = container.list_tables()
    assert len(tables) == 4  # two instance tables, one feature table, one correspondence
    for name in tables:
        reference = container.get_table(name).reference_label
        assert reference in paths
        assert container.get_label(reference) is not None


def test_ambiguous_references_list_the_qualified_candidates(
    repository: Repository, run: Run
) -> None:
    rng = np.random.default_rng(1)
    repository.add_image(rng.integers(0, 255, size=(96, 128), dtype=np.uint8), "img-b")
    repository.add_labels(
        "img-b",
        blobs(3),
        collection=GROUND_TRUTH,
        name=NUCLEI,
        label_type="instance",
        provenance=Provenance(method="manual"),
    )
    code, out, err = run("compare", repository.root, f"{NUCLEI}@v1", f"{NUCLEI}@v2")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert f"img-b/{NUCLEI}@v1" in err and f"img2d/{NUCLEI}@v1" in err
    code, out, err = run("compare", repository.root, f"img2d/{NUCLEI}@v1", f"{NUCLEI}@v2")
    assert code == 0, err
    code, out, err = run("collection", "show", repository.root, GROUND_TRUTH)
    assert code == 2 and f"img-b/{GROUND_TRUTH}" in err and f"img2d/{GROUND_TRUTH}" in err
    code, out, err = run("collection", "show", repository.root, f"img-b/{GROUND_TRUTH}", "--json")
    assert code == 0 and json.loads(out)["image_id"] == repository.image("img-b").id
    assert repository.label_image(f"img2d/{NUCLEI}@v1").image_id == repository.image("img2d").id


def test_zipped_export_imports_without_loss(repository: Repository, tmp_path: Path) -> None:
    zipped = repository.export("img2d", tmp_path / "img2d.ozx")
    assert zipped.is_file() and not any(p.name.startswith(".") for p in tmp_path.iterdir())
    with zipfile.ZipFile(zipped) as archive:
        names = archive.namelist()
        assert json.loads(archive.comment)["ome"]["zipFile"]["centralDirectory"]["jsonFirst"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    metadata = [i for i, name in enumerate(names) if name.endswith("zarr.json")]
    assert metadata == list(range(len(metadata)))  # metadata first
    assert names[0] == "zarr.json"
    root = zarr.open_group(zarr.storage.ZipStore(zipped, mode="r"), mode="r")
    assert sorted(root["labels"].attrs["ome"]["labels"]) == [
        "nuclei_all_of_them_v1",
        "nuclei_all_of_them_v2",
    ]
    assert "OME-Zarr" in validate_path(str(zipped))
    with Repository.init(tmp_path / "other") as other:
        other.import_store(zipped)
        assert other.verify() == []
        assert snapshot(other) == snapshot(repository)
        assert {t.name for t in other.tables(f"{NUCLEI}@v1")} == {
            t.name for t in repository.tables(f"{NUCLEI}@v1")
        }


def test_export_refuses_to_replace_without_overwrite(
    repository: Repository, tmp_path: Path
) -> None:
    target = tmp_path / "out.ome.zarr"
    repository.export("img2d", target)
    with pytest.raises(ConflictError, match="--overwrite"):
        repository.export("img2d", target)
    before = content_hash(zarr.open_array(str(target / "labels/nuclei_all_of_them_v1/0"))[...])
    repository.export("img2d", target, overwrite=True)
    after = zarr.open_array(str(target / "labels/nuclei_all_of_them_v1/0"))
    assert content_hash(after[...]) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    unrelated = tmp_path / "notes"
    unrelated.mkdir()
    with pytest.raises(ConflictError, match="an earlier export to replace"):
        repository.export("img2d", unrelated, overwrite=True)
    with pytest.raises(InputError, match="outside the repository"):
        repository.export("img2d", repository.root / "images" / "copy.ome.zarr")
    with pytest.raises(InputError, match="a URL one can write to"):
        repository.export("img2d", "http://example.org/out.ome.zarr")


def test_nested_stores_of_earlier_exports_import_flat(
    repository: Repository, tmp_path: Path
) -> None:
    """Stores written with ``labels/<collection>/<name@version>`` keep importing."""
    exported = repository.export("img2d", tmp_path / "out.ome.zarr")
    labels = exported / "labels"
    (labels / "gt").mkdir()
    (labels / "gt" / "zarr.json").write_text(
        json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {}})
    )
    (labels / "nuclei_all_of_them_v1").rename(labels / "gt" / "nuclei@v1")
    listing = json.loads((labels / "zarr.json").read_text())
    listing["attributes"]["ome"]["labels"] = ["gt/nuclei@v1", "nuclei_all_of_them_v2"]
    (labels / "zarr.json").write_text(json.dumps(listing))
    for document in (exported / "collections").iterdir():
        text = document.read_text().replace("labels/nuclei_all_of_them_v1", "labels/gt/nuclei@v1")
        document.write_text(text)
    with Repository.init(tmp_path / "other") as other:
        other.import_store(exported)
        store = other.store_location(other.image("img2d"))
        listed = json.loads((store / "labels" / "zarr.json").read_text())["attributes"]["ome"]
        assert sorted(listed["labels"]) == ["nuclei_all_of_them_v1", "nuclei_all_of_them_v2"]
        assert snapshot(other) == snapshot(repository)
