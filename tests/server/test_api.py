"""The JSON API on the demo repository: listings, provenance, instance lookup, find, errors."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from labelcollections.catalog import queries
from labelcollections.repository import Repository
from labelcollections.server import app as server_app
from labelcollections.server import create_app


def label_id(client: TestClient, key: str) -> str:
    found: str = client.get(f"/api/labels/{key}").json()["id"]
    return found


def level0(repository: Repository, key: str) -> np.ndarray:
    label = repository.label_image(f"ihc/{key}")
    return np.asarray(repository.label_levels(label)[0][...])[0]


def test_images_list_sizes_and_counts(client: TestClient) -> None:
    images = client.get("/api/images").json()
    assert [image["name"] for image in images] == ["ihc"]
    image = images[0]
    assert image["shape"] == [3, 512, 512]
    assert image["axis_names"] == ["c", "y", "x"]
    assert image["collection_count"] == 3
    assert image["label_image_count"] == 3
    thumbnail = client.get(image["thumbnail"])
    assert thumbnail.headers["content-type"] == "image/png"
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) <= 256


def test_image_groups_label_images_by_collection(client: TestClient) -> None:
    image = client.get("/api/images/ihc").json()
    groups = {c["name"]: [m["key"] for m in c["label_images"]] for c in image["collections"]}
    assert groups == {
        "nuclei": ["nuclei@v1", "nuclei@v2"],
        "reviewed": ["nuclei@v2"],
        "tissue_classes": ["stains@v1"],
    }
    assert [c["window"] for c in image["rendering"]] == [[0.0, 255.0]] * 3
    assert image["planes"] == {"z": 1, "t": 1}
    assert image["tile_size"] == 512


def test_legend_has_schema_colours(client: TestClient) -> None:
    legend = client.get("/api/labels/stains@v1").json()["legend"]
    assert legend == [
        {"value": 0, "name": "background", "color": [0, 0, 0, 0]},
        {"value": 1, "name": "haematoxylin", "color": [60, 60, 220, 160]},
        {"value": 2, "name": "dab-positive", "color": [160, 82, 45, 200]},
    ]


def test_provenance_has_lineage_and_collections(client: TestClient) -> None:
    v1 = label_id(client, "nuclei@v1")
    info = client.get("/api/labels/nuclei@v2/provenance").json()
    assert info["derived_from"] == {"id": v1, "key": "nuclei@v1"}
    assert [entry["key"] for entry in info["lineage"]] == ["nuclei@v1", "nuclei@v2"]
    assert sorted(info["collections"]) == ["nuclei", "reviewed"]
    provenance = info["provenance"]
    assert provenance["method"] == "algorithm"
    assert provenance["software"] == "scikit-image"
    assert provenance["author"] == "labelcollections demo"
    assert provenance["parameters"]["min_distance"] == 4
    lineage = client.get(f"/api/labels/{v1}/lineage").json()
    assert [entry["key"] for entry in lineage] == ["nuclei@v1", "nuclei@v2"]


def test_instance_at_a_position(client: TestClient, repository: Repository) -> None:
    pixels = level0(repository, "nuclei@v1")
    y, x = (int(i) for i in np.argwhere(pixels > 0)[len(np.argwhere(pixels > 0)) // 2])
    found = client.get("/api/labels/nuclei@v1/at", params={"x": x, "y": y}).json()
    ident = label_id(client, "nuclei@v1")
    assert found["value"] == int(pixels[y, x])
    assert found["instance_id"] == f"{ident}:{pixels[y, x]}"
    assert found["color"][3] == 255
    background = np.argwhere(pixels == 0)[0]
    empty = client.get(
        "/api/labels/nuclei@v1/at", params={"x": int(background[1]), "y": int(background[0])}
    ).json()
    assert (empty["value"], empty["instance_id"], empty["class"]) == (0, None, "background")
    by_id = client.get(f"/api/instances/{found['instance_id']}").json()
    assert by_id["value"] == found["value"]
    assert by_id["key"] == "nuclei@v1"
    assert by_id["row"] == found["row"]
    assert isinstance(by_id["matches"], list)
    missing = client.get(f"/api/instances/{found['instance_id'].split(':')[0]}:999999")
    assert missing.status_code == 404


def test_semantic_position_gives_the_class(client: TestClient, repository: Repository) -> None:
    pixels = level0(repository, "stains@v1")
    y, x = (int(i) for i in np.argwhere(pixels == 2)[0])
    found = client.get("/api/labels/stains@v1/at", params={"x": x, "y": y}).json()
    assert (found["value"], found["class"], found["instance_id"]) == (2, "dab-positive", None)
    assert found["color"] == [160, 82, 45, 200]


def test_find_by_type_and_class(client: TestClient) -> None:
    def keys(**params: Any) -> list[str]:
        return sorted(label["key"] for label in client.get("/api/find", params=params).json())

    assert keys(type="instance") == ["nuclei@v1", "nuclei@v2"]
    assert keys(**{"class": "haematoxylin"}) == ["stains@v1"]
    assert keys(derived_from="nuclei@v1") == ["nuclei@v2"]
    assert keys(collection="reviewed") == ["nuclei@v2"]
    assert keys(author="nobody") == []
    assert keys(min_instances=400) == ["nuclei@v2"]
    assert keys(type="instance", max_instances=400) == ["nuclei@v1"]
    assert client.get("/api/find", params={"min_instances": -1}).status_code == 422


def test_find_pages_with_a_cursor(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    everything = [label["key"] for label in client.get("/api/find").json()]
    first = client.get("/api/find", params={"limit": 2})
    assert first.headers["X-Total-Count"] == str(len(everything)) == "3"
    assert first.headers["X-Total-Count-Exact"] == "true"
    second = client.get("/api/find", params={"limit": 2, "cursor": first.headers["X-Next-Cursor"]})
    assert "X-Next-Cursor" not in second.headers
    assert [label["key"] for label in first.json() + second.json()] == everything
    assert client.get("/api/find", params={"cursor": "garbage"}).status_code == 422
    assert client.get("/api/find", params={"limit": 0}).status_code == 422
    monkeypatch.setattr(queries, "TOTAL_CAP", 2)
    capped = client.get("/api/find", params={"limit": 1}).headers
    assert (capped["X-Total-Count"], capped["X-Total-Count-Exact"]) == ("2", "false")
    exact = client.get("/api/find", params={"limit": 1, "exact_total": "true"}).headers
    assert (exact["X-Total-Count"], exact["X-Total-Count-Exact"]) == ("3", "true")


def test_collections(client: TestClient) -> None:
    listed = client.get("/api/collections", params={"image": "ihc"}).json()
    assert sorted(c["name"] for c in listed) == ["nuclei", "reviewed", "tissue_classes"]
    reviewed = client.get("/api/collections/reviewed").json()
    assert [label["key"] for label in reviewed["label_images"]] == ["nuclei@v2"]
    assert reviewed["image"] == "ihc"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/images/nope", 404),
        ("/api/labels/nope", 404),
        ("/api/collections/nope", 404),
        ("/api/instances/nope:3", 404),
        ("/api/instances/no-value", 422),
        ("/api/labels/nuclei@v1/at?x=5000&y=1", 422),
        ("/api/labels/nuclei@v1/at?x=-1&y=1", 422),
        ("/api/labels/nuclei@v1/at?x=1&y=1&z=1", 422),
        ("/api/labels/nuclei@v1/at?x=a&y=1", 422),
        ("/api/labels/nuclei", 404),
        ("/api/instances/x:1", 404),
        ("/api/labels/nuclei@v1/tiles/0/-1/0.png", 404),
        ("/api/labels/nuclei@v1/tiles/0/0/-1.png", 404),
        ("/api/images/ihc/tiles/0/-1/-1.png", 404),
        ("/api/nothing", 404),
    ],
)
def test_errors_are_json_with_status(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["detail"]


def test_openapi_describes_the_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/images",
        "/api/images/{image}/tiles/{level}/{x}/{y}.{fmt}",
        "/api/labels/{label}/tiles/{level}/{x}/{y}.{fmt}",
        "/api/labels/{label}/at",
        "/api/instances/{instance_id}",
        "/api/find",
        "/api/labels/{label}/provenance",
    ):
        assert "get" in paths[path], path


def test_hover_gives_the_instance_table_row(client: TestClient, repository: Repository) -> None:
    pixels = level0(repository, "nuclei@v2")
    y, x = (int(i) for i in np.argwhere(pixels > 0)[0])
    found = client.get("/api/labels/nuclei@v2/at", params={"x": x, "y": y}).json()
    value = int(pixels[y, x])
    row = found["row"]
    assert row["label"] == value
    assert row["instance_id"] == found["instance_id"]
    assert row["area"] == int((pixels == value).sum())
    ys, xs = np.nonzero(pixels == value)
    assert (row["bbox_min_y"], row["bbox_max_y"]) == (ys.min(), ys.max() + 1)
    assert (row["bbox_min_x"], row["bbox_max_x"]) == (xs.min(), xs.max() + 1)
    stain = client.get("/api/labels/stains@v1/at", params={"x": x, "y": y}).json()
    assert stain["row"] is None or stain["row"]["label"] == stain["value"]


def test_compare_instances(client: TestClient, repository: Repository) -> None:
    result = client.get("/api/compare", params={"a": "nuclei@v1", "b": "nuclei@v2"}).json()
    assert (result["a"]["key"], result["b"]["key"], result["kind"]) == (
        "nuclei@v1",
        "nuclei@v2",
        "instance",
    )
    metrics = result["metrics"]
    a_objects = np.unique(level0(repository, "nuclei@v1")).size - 1
    b_objects = np.unique(level0(repository, "nuclei@v2")).size - 1
    assert (metrics["objects_a"], metrics["objects_b"]) == (a_objects, b_objects)
    assert metrics["matched"] + metrics["missed"] == a_objects
    assert metrics["matched"] + metrics["extra"] == b_objects
    assert len(result["matches"]) == metrics["matched"]
    assert all(pair["iou"] >= 0.5 for pair in result["matches"])
    strict = client.get("/api/compare", params={"a": "nuclei@v1", "b": "nuclei@v2", "iou": 0.9})
    assert strict.json()["metrics"]["matched"] < metrics["matched"]


def test_compare_semantic_and_refusals(client: TestClient) -> None:
    same = client.get("/api/compare", params={"a": "stains@v1", "b": "stains@v1"}).json()
    assert [(c["name"], c["dice"]) for c in same["classes"]] == [
        ("haematoxylin", 1.0),
        ("dab-positive", 1.0),
    ]
    mixed = client.get("/api/compare", params={"a": "nuclei@v1", "b": "stains@v1"})
    assert mixed.status_code == 422
    assert client.get("/api/compare", params={"a": "nuclei@v1"}).status_code == 422
    bad_iou = client.get("/api/compare", params={"a": "nuclei@v1", "b": "nuclei@v2", "iou": 0})
    assert bad_iou.status_code == 422


def test_page_works_offline(client: TestClient) -> None:
    """The page loads only files of this server (no CDN): the bundled OpenSeadragon included."""
    html = client.get("/").text
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert "/static/vendor/openseadragon.min.js" in sources
    assert all(source.startswith(("/", "#", "data:")) for source in sources), sources
    for source in sources:
        if source.startswith("/"):
            assert client.get(source).status_code == 200, source


def test_missing_bundle_gives_a_clear_page(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(server_app, "VIEWER_LIBRARY", tmp_path / "openseadragon.min.js")
    response = client.get("/")
    assert response.status_code == 503
    assert "make bundle" in response.text
    assert client.get("/api/images").status_code == 200


def test_the_server_writes_nothing(client: TestClient, demo_repo: Path) -> None:
    def files() -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in demo_repo.rglob("*") if p.is_file()}

    before = files()
    v1 = label_id(client, "nuclei@v1")
    for path, params in [
        ("/api/images", {}),
        ("/api/labels/nuclei@v1/provenance", {}),
        ("/api/labels/nuclei@v2/at", {"x": 100, "y": 100}),
        (f"/api/instances/{v1}:1", {}),
        ("/api/compare", {"a": "nuclei@v1", "b": "nuclei@v2", "iou": 0.7}),
        ("/api/compare/tiles/0/0/0.png", {"a": "nuclei@v1", "b": "nuclei@v2", "iou": 0.7}),
        ("/api/labels/nuclei@v1/tiles/0/0/0.webp", {"mode": "outline"}),
        ("/api/find", {"min_instances": 1}),
    ]:
        assert client.get(path, params=params).status_code == 200, path
    assert files() == before


def test_qualified_references_reach_labels_and_collections(client: TestClient) -> None:
    label = client.get("/api/labels/ihc/nuclei@v1").json()
    assert label["key"] == "nuclei@v1"
    assert client.get("/api/labels/ihc/nuclei@v1/provenance").json()["key"] == "nuclei@v1"
    tile = client.get("/api/labels/ihc/nuclei@v1/tiles/0/0/0.png")
    assert tile.status_code == 200 and tile.headers["content-type"] == "image/png"
    assert client.get("/api/collections/ihc/nuclei").json()["name"] == "nuclei"
    assert client.get("/api/labels/other/nuclei@v1").status_code == 404


def test_out_of_range_label_values_are_not_found(
    client: TestClient, repository: Repository
) -> None:
    label = repository.label_image("nuclei@v1")
    for value in ("18446744073709551615", "1" + "0" * 20, "-1"):
        response = client.get(f"/api/instances/{label.id}:{value}")
        assert response.status_code == 404, value
        assert response.json()["field"] == "instance"
    assert client.get(f"/api/instances/{label.id}:1e23").status_code == 422


def test_internal_errors_answer_json_without_internals(demo_repo: Path) -> None:
    app = create_app(demo_repo)

    @app.get("/broken")
    def broken() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as client:
        response = client.get("/broken")
    assert response.status_code == 500
    assert "secret" not in response.text and response.json()["detail"].startswith("internal")
