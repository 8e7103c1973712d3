"""The largest uint64 label value, 2**64-1, goes through every layer unchanged: the model, the
catalog (SQLite and PostgreSQL, whose integers are signed 64-bit), the NGFF metadata of the
store, export and import, ``validate`` and ome-zarr-models, and the HTTP API."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository
from labelcollections.server import create_app
from labelcollections.storage.validation import validate_path

NewCatalog = Callable[[], str | None]
LARGEST = 2**64 - 1
SHAPE = (40, 56)
SCHEMA = LabelSchema(
    classes=(
        LabelClass(value=1, name="cell", color=(0, 200, 0, 255)),
        LabelClass(value=LARGEST, name="edge", color=(255, 0, 0, 255)),
    )
)


def pixels() -> np.ndarray:
    data = np.zeros(SHAPE, np.uint64)
    data[2:10, 3:20] = 1
    data[20:35, 30:50] = LARGEST
    return data


@pytest.fixture
def repo(tmp_path: Path, new_catalog: NewCatalog) -> Path:
    root = tmp_path / "repo"
    with Repository.init(root, catalog=new_catalog()) as repository:
        repository.add_image(np.zeros(SHAPE, np.uint8), "img")
        repository.add_labels(
            "img",
            pixels(),
            collection="c",
            name="edges",
            label_type="instance",
            label_schema=SCHEMA,
            provenance=Provenance(method="manual"),
        )
    return root


def test_model_and_catalog_keep_the_largest_value(repo: Path) -> None:
    with Repository.open(repo) as repository:
        label = repository.label_image("edges@v1")
        assert label.label_schema == SCHEMA
        edge = label.label_schema.get(LARGEST)
        assert edge is not None and edge.name == "edge"
        assert [found.id for found in repository.find(class_name="edge")] == [label.id]
        assert repository.find(min_instances=2, max_instances=2) == [label]
        instance = repository.instance(f"{label.id}:{LARGEST}")
        assert int(instance.row["label"]) == LARGEST
        assert instance.row["area"] == 15 * 20
        table = repository.instance_table(label.id)
        assert sorted(table.column("label").to_pylist()) == [1, LARGEST]
        before = repository.catalog.dump()
        repository.reindex()  # rebuilt from the store's metadata, the value survives again
        assert repository.catalog.dump() == before
        assert repository.verify() == []


def test_matches_of_the_largest_value_are_recorded_and_read_back(repo: Path) -> None:
    """A new version derived from the first: comparing records object correspondences in the
    catalog, keyed by label values on both sides."""
    with Repository.open(repo) as repository:
        first = repository.label_image("edges@v1")
        second = repository.add_labels(
            "img",
            pixels(),
            collection="c",
            name="edges",
            version="v2",
            label_type="instance",
            label_schema=SCHEMA,
            provenance=Provenance(method="manual", derived_from=first.id),
        )
        repository.compare("edges@v1", "edges@v2")
        [match] = repository.instance(f"{first.id}:{LARGEST}").matches
        assert (match.label_image_id, match.label, match.iou) == (second.id, LARGEST, 1.0)
        [back] = repository.instance(f"{second.id}:{LARGEST}").matches
        assert (back.label_image_id, back.label) == (first.id, LARGEST)
        before = repository.catalog.dump()
        repository.reindex()
        assert repository.catalog.dump() == before


def test_ngff_metadata_holds_the_exact_value_and_validates(repo: Path, tmp_path: Path) -> None:
    with Repository.open(repo) as repository:
        exported = Path(repository.export("img", tmp_path / "img.ome.zarr"))
    [label_path] = json.loads((exported / "labels" / "zarr.json").read_text())["attributes"]["ome"][
        "labels"
    ]
    metadata = json.loads((exported / "labels" / label_path / "zarr.json").read_text())
    image_label = metadata["attributes"]["ome"]["image-label"]
    assert {entry["label-value"] for entry in image_label["colors"]} == {1, LARGEST}
    assert {entry["label-value"] for entry in image_label["properties"]} == {1, LARGEST}
    validate_path(str(exported))  # ours, with ome-zarr-models' image and image-label models
    with Repository.init(tmp_path / "copy") as copy:
        copy.import_store(exported)
        [restored] = copy.label_images()
        with Repository.open(repo) as repository:
            assert restored == repository.label_image("edges@v1")
        np.testing.assert_array_equal(np.asarray(copy.label_levels(restored)[0]), pixels())


def test_http_api_answers_for_the_largest_value(repo: Path) -> None:
    with TestClient(create_app(repo), base_url="http://localhost") as client:
        label = client.get("/api/labels/edges@v1").json()
        assert {entry["value"] for entry in label["legend"]} == {1, LARGEST}
        found = client.get(f"/api/instances/{label['id']}:{LARGEST}")
        assert found.status_code == 200, found.text
        body = found.json()
        assert (body["value"], body["class"], body["instance_id"]) == (
            LARGEST,
            "edge",
            f"{label['id']}:{LARGEST}",
        )
        assert body["row"]["area"] == 15 * 20
        at = client.get("/api/labels/edges@v1/at", params={"x": 40, "y": 25}).json()
        assert (at["value"], at["class"]) == (LARGEST, "edge")
        assert [item["key"] for item in client.get("/api/find?class=edge").json()] == ["edges@v1"]
        tile = client.get("/api/labels/edges@v1/tiles/0/0/0.png")
        assert tile.status_code == 200 and tile.headers["content-type"] == "image/png"
