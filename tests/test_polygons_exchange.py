"""Label images to GeoJSON (QuPath) and back through ``polygons`` and ``add-labels``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labelcollections.geojson_exchange import FEATURE_NAMESPACE, add_annotations, export_polygons
from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository
from labelcollections.storage.hashing import content_hash

Run = Callable[..., tuple[int, str, str]]


def instance_labels() -> np.ndarray:
    """Touching objects, holes, an object inside a hole and objects in several pieces."""
    labels = np.zeros((40, 50), np.uint32)
    labels[1:16, 1:16] = 1
    labels[5:8, 5:8] = 0
    labels[6, 6] = 7  # inside 1's hole
    labels[1:16, 16:30] = 2  # touches 1
    labels[20:30, 2:6] = 2  # a second piece of 2
    labels[30:39, 30:49] = 3
    labels[33, 33:40] = 0
    labels[16, 16] = 4
    labels[17, 17] = 4  # diagonal pieces
    return labels


@pytest.fixture
def repo(tmp_path: Path, run: Run) -> Path:
    path = tmp_path / "repo"
    np.save(tmp_path / "image.npy", np.zeros((40, 50), np.uint8))
    np.save(tmp_path / "labels.npy", instance_labels())
    (tmp_path / "classes.json").write_text(
        json.dumps({"1": {"name": "nucleus", "color": [255, 0, 0, 255]}, "2": "cell"})
    )
    assert run("init", path)[0] == 0
    assert run("add-image", path, tmp_path / "image.npy", "--name", "slide")[0] == 0
    code, _, err = run(
        "add-labels", path, "slide", tmp_path / "labels.npy", "--collection", "seg",
        "--name", "cells", "--type", "instance", "--method", "algorithm",
        "--classes", tmp_path / "classes.json",
    )  # fmt: skip
    assert code == 0, err
    return path


def features(path: Path) -> list[dict[str, Any]]:
    document = json.loads(path.read_text())
    assert document["type"] == "FeatureCollection"
    found: list[dict[str, Any]] = document["features"]
    return found


def test_geojson_round_trip_gives_the_label_image_back(
    run: Run, repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cells.geojson"
    code, stdout, err = run("polygons", repo, "cells@v1", "--output", out)
    assert code == 0, err
    assert "wrote 5 features" in stdout
    found = features(out)
    assert len(found) == 5  # one Feature per object, pieces and holes included
    geometries = [shapely.geometry.shape(f["geometry"]) for f in found]
    assert all(g.is_valid for g in geometries)
    with Repository.open(repo) as repository:
        label = repository.label_image("cells@v1")
        original = np.asarray(repository.label_levels(label)[0])
    assert [f["properties"]["instance_id"] for f in found] == [
        f"{label.id}:{value}" for value in (1, 2, 3, 4, 7)
    ]
    assert [g.area for g in geometries] == [float((original == v).sum()) for v in (1, 2, 3, 4, 7)]
    assert [g.geom_type for g in geometries] == [
        "Polygon", "MultiPolygon", "Polygon", "MultiPolygon", "Polygon",
    ]  # fmt: skip

    code, _, err = run(
        "add-labels", repo, "slide", out, "--collection", "qupath", "--name", "cells-qupath",
        "--type", "instance", "--method", "manual", "--software", "QuPath==0.6",
        "--value-property", "label",
    )  # fmt: skip
    assert code == 0, err
    with Repository.open(repo) as repository:
        back = repository.label_image("cells-qupath@v1")
        pixels = np.asarray(repository.label_levels(back)[0])
        classes = {c.value: c.name for c in back.label_schema.classes}
        assert back.provenance.software == "QuPath"
        assert back.provenance.parameters["annotations"]["features"] == 5
    assert np.array_equal(pixels, original) and pixels.dtype == original.dtype
    assert back.provenance.content_hash == label.provenance.content_hash == content_hash(original)
    assert classes == {1: "nucleus", 2: "cell"}


def test_features_carry_qupath_classes_measurements_and_provenance(
    run: Run, repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cells.geojson"
    code, _, err = run("polygons", repo, "cells@v1", "--output", out, "--measurements",
                       "--object-type", "detection")  # fmt: skip
    assert code == 0, err
    document = json.loads(out.read_text())
    header = document["properties"]
    assert header["lossless"] is True
    assert header["label_image"]["provenance"]["method"] == "algorithm"
    first = document["features"][0]
    props = first["properties"]
    assert props["objectType"] == "detection"
    assert props["classification"] == {"name": "nucleus", "color": [255, 0, 0]}
    assert props["measurements"]["area"] == float((instance_labels() == 1).sum())
    assert props["metadata"] == {"instance_id": props["instance_id"], "label": "1"}
    assert first["id"] == str(uuid.uuid5(FEATURE_NAMESPACE, props["instance_id"]))
    assert "classification" in document["features"][1]["properties"]  # "cell", colour made up
    assert "classification" not in document["features"][2]["properties"]
    # Ids are stable: a second export gives the same ones.
    again = tmp_path / "again.geojson"
    assert run("polygons", repo, "cells@v1", "--output", again)[0] == 0
    assert [f["id"] for f in features(again)] == [f["id"] for f in document["features"]]


def test_simplify_says_the_result_is_no_longer_lossless(
    run: Run, repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "small.geojson"
    code, stdout, _ = run("polygons", repo, "cells@v1", "--output", out, "--simplify", "2")
    assert code == 0 and "no longer give the pixels back" in stdout
    document = json.loads(out.read_text())
    assert document["properties"]["lossless"] is False
    assert document["properties"]["simplify_tolerance"] == 2
    assert all(shapely.geometry.shape(f["geometry"]).is_valid for f in document["features"])


def test_an_existing_output_is_refused_and_kept(run: Run, repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "cells.geojson"
    out.write_text("keep me")
    code, _, err = run("polygons", repo, "cells@v1", "--output", out)
    assert code == 2 and err.count("\n") == 1 and "does not exist yet" in err
    assert out.read_text() == "keep me"


def test_stacks_give_one_feature_collection_per_plane(tmp_path: Path, run: Run) -> None:
    repo = tmp_path / "repo"
    np.save(tmp_path / "image.npy", np.zeros((3, 6, 7), np.uint8))
    labels = np.zeros((3, 6, 7), np.uint16)
    labels[0, 1:3, 1:3] = 5
    labels[2, 2:5, 2:6] = 5
    labels[2, 0, 0] = 6
    np.save(tmp_path / "labels.npy", labels)
    assert run("init", repo)[0] == 0
    assert (
        run("add-image", repo, tmp_path / "image.npy", "--name", "stack", "--axes", "zyx")[0] == 0
    )
    assert run("add-labels", repo, "stack", tmp_path / "labels.npy", "--collection", "c",
               "--name", "n", "--type", "instance", "--method", "manual")[0] == 0  # fmt: skip
    out = tmp_path / "stack.geojson"
    code, _, err = run("polygons", repo, "n@v1", "--output", out)
    assert code == 0, err
    planes = [tmp_path / f"stack_z{z}.geojson" for z in range(3)]
    assert [len(features(p)) for p in planes] == [1, 0, 2]
    (tmp_path / "second_z1.geojson").write_text("mine")  # one plane's file exists: none written
    code, _, err = run("polygons", repo, "n@v1", "--output", tmp_path / "second.geojson")
    assert code == 2 and "second_z1.geojson" in err
    assert sorted(p.name for p in tmp_path.glob("second*")) == ["second_z1.geojson"]
    third = features(planes[2])
    assert [f["properties"]["z"] for f in third] == [2, 2]
    assert third[0]["geometry"]["plane"] == {"c": -1, "z": 2}
    assert json.loads(planes[2].read_text())["properties"]["plane"] == {"z": 2}

    merged = tmp_path / "all.geojson"
    merged.write_text(json.dumps({"type": "FeatureCollection", "features": [
        *features(planes[0]), *third]}))  # fmt: skip
    code, _, err = run("add-labels", repo, "stack", merged, "--collection", "c",
                       "--name", "back", "--type", "instance", "--method", "manual",
                       "--value-property", "label")  # fmt: skip
    assert code == 0, err
    with Repository.open(repo) as repository:
        back = repository.label_levels(repository.label_image("back@v1"))[0]
        assert np.array_equal(np.asarray(back), labels)


def qupath_collection(*shapes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(shapes)}


def qupath_feature(coordinates: list[Any], name: str | None, **extra: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {"objectType": "annotation", **extra}
    if name is not None:
        properties["classification"] = {"name": name, "color": [10, 20, 30]}
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": coordinates},
            "properties": properties}  # fmt: skip


def square(x: float, y: float, size: float) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def test_qupath_annotations_become_a_semantic_label_image(
    run: Run, repo: Path, tmp_path: Path
) -> None:
    source = tmp_path / "annotations.geojson"
    source.write_text(json.dumps(qupath_collection(
        qupath_feature([square(0, 0, 10)], "Tissue"),
        qupath_feature([square(2.4, 2.6, 3)], "Tumor"),  # drawn later: wins where they overlap
        qupath_feature([square(20, 20, 4), square(21, 21, 2)], "Tissue"),  # with a hole
    )))  # fmt: skip
    code, _, err = run("add-labels", repo, "slide", source, "--collection", "qupath",
                       "--name", "regions", "--type", "semantic", "--method", "manual",
                       "--software", "QuPath==0.6")  # fmt: skip
    assert code == 0, err
    with Repository.open(repo) as repository:
        label = repository.label_image("regions@v1")
        pixels = np.asarray(repository.label_levels(label)[0])
    assert [(c.value, c.name, c.color) for c in label.label_schema.classes] == [
        (1, "Tissue", (10, 20, 30, 255)),
        (2, "Tumor", (10, 20, 30, 255)),
    ]
    expected = np.zeros((40, 50), np.uint8)
    expected[0:10, 0:10] = 1
    expected[3:6, 2:5] = 2  # pixel centres inside (2.4..5.4, 2.6..5.6)
    expected[20:24, 20:24] = 1
    expected[21:23, 21:23] = 0
    assert np.array_equal(pixels, expected)


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"type": "Topology"}, "type"),
        ({"type": "FeatureCollection", "features": []}, "features"),
        (
            qupath_collection(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [1, 2]},
                    "properties": {},
                }
            ),
            "features[0].geometry.type",
        ),
        (
            qupath_collection(qupath_feature([[[0, 0], [1, 1]]], None)),
            "features[0].geometry.coordinates[0]",
        ),
        (
            qupath_collection(qupath_feature([square(0, 0, 2)], None, label="seven")),
            "features[0].properties.label",
        ),
        (
            qupath_collection(qupath_feature([square(0, 0, 2)], None, label=1, z=4)),
            "features[0].properties.z",
        ),
    ],
)
def test_bad_geojson_is_one_line_naming_the_field(
    run: Run, repo: Path, tmp_path: Path, document: dict[str, Any], field: str
) -> None:
    source = tmp_path / "bad.geojson"
    source.write_text(json.dumps(document))
    before = sorted(p.name for p in (repo / "images").rglob("*"))
    code, _, err = run("add-labels", repo, "slide", source, "--collection", "q",
                       "--name", "bad", "--type", "instance", "--method", "manual",
                       "--value-property", "label")  # fmt: skip
    assert code == 2 and err.count("\n") == 1, err
    assert f"{source}: {field}:" in err
    assert sorted(p.name for p in (repo / "images").rglob("*")) == before


def test_geojson_is_read_strictly(run: Run, repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "twice.geojson"
    source.write_text('{"type": "FeatureCollection", "type": "Feature", "features": []}')
    code, _, err = run("add-labels", repo, "slide", source, "--collection", "q",
                       "--name", "bad", "--type", "instance", "--method", "manual")  # fmt: skip
    assert code == 2 and "'type': keys that appear once per object" in err


@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    hnp.arrays(
        np.uint16,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=10),
        elements=st.sampled_from([0, 1, 2, 3, 300]),
    )
)
def test_any_label_image_survives_geojson_and_back(
    tmp_path_factory: Any, labels: np.ndarray
) -> None:
    folder = tmp_path_factory.mktemp("round")
    repository = Repository.init(folder / "repo")
    with repository:
        repository.add_image(np.zeros(labels.shape, np.uint8), "img")
        made = repository.add_labels(
            "img", labels, collection="c", name="a", label_type="instance",
            provenance=Provenance(method="algorithm"),
        )  # fmt: skip
        export_polygons(repository, made.id, folder / "a.geojson")
        if not labels.any():
            assert features(folder / "a.geojson") == []
            return
        back = add_annotations(
            repository, "img", folder / "a.geojson", collection="c", name="b",
            label_type="instance", provenance=Provenance(method="manual"), value_property="label",
        )  # fmt: skip
        assert back.provenance.content_hash == made.provenance.content_hash
