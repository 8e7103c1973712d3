"""GeoJSON as QuPath writes and reads it: geometries from vertex arrays, Features parsed back."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelcollections.errors import InputError
from labelcollections.formats.geojson import (
    classification,
    geometry_texts,
    parse_features,
    write_feature_collection,
)


def square(x: int, y: int, size: int) -> list[list[int]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


OBJECTS = st.lists(  # objects → polygons → rings of integer squares
    st.lists(
        st.lists(
            st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 9)),
            min_size=1,
            max_size=3,
        ),
        min_size=1,
        max_size=3,
    ),
    max_size=5,
)


@given(OBJECTS)
def test_geometry_texts_are_the_geojson_of_the_rings(objects: list[Any]) -> None:
    rings = [[square(*ring) for ring in polygon] for found in objects for polygon in found]
    coords = np.array([p for polygon in rings for ring in polygon for p in ring], np.int64)
    ring_sizes = [len(ring) for polygon in rings for ring in polygon]
    ring_offsets = np.cumsum([0, *ring_sizes])
    polygon_offsets = np.cumsum([0, *(len(polygon) for polygon in rings)])
    object_offsets = np.cumsum([0, *(len(found) for found in objects)])
    texts = geometry_texts(coords.reshape(-1, 2), ring_offsets, polygon_offsets, object_offsets)
    position = 0
    for found, text in zip(objects, texts, strict=True):
        geometry = json.loads(text)
        mine = rings[position : position + len(found)]
        position += len(found)
        if len(found) == 1:
            assert geometry == {"type": "Polygon", "coordinates": mine[0]}
        else:
            assert geometry == {"type": "MultiPolygon", "coordinates": mine}


def test_plane_member_and_feature_collection() -> None:
    coords = np.array(square(1, 2, 3), np.int64)
    (text,) = geometry_texts(
        coords, np.array([0, 5]), np.array([0, 1]), np.array([0, 1]), [{"z": 4}]
    )
    assert json.loads(text)["plane"] == {"c": -1, "z": 4}
    handle = io.StringIO()
    write_feature_collection(handle, [text], [{"label": 3}], ["id-1"], {"lossless": True})
    document = json.loads(handle.getvalue())
    assert document["properties"] == {"lossless": True}
    assert document["features"][0]["id"] == "id-1"
    assert document["features"][0]["properties"] == {"label": 3}


def test_classification_needs_a_colour_for_qupath() -> None:
    assert classification("Tumor", (200, 0, 0, 255)) == {"name": "Tumor", "color": [200, 0, 0]}
    assert classification("Tumor", (200, 0, 0, 128))["color"] == [200, 0, 0, 128]
    made = classification("Stroma", None)["color"]
    assert made == classification("Stroma", None)["color"] and len(made) == 3


def feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def test_qupath_variants_are_read() -> None:
    polygon = {"type": "Polygon", "coordinates": [square(0, 0, 2)[:-1]]}  # not closed
    collection = {
        "type": "GeometryCollection",
        "geometries": [polygon, {"type": "MultiPolygon", "coordinates": [[square(5, 5, 1)]]}],
        "plane": {"c": -1, "z": 2, "t": 1},
    }
    found = parse_features(
        [
            feature(polygon, classification={"name": "A", "color": [1, 2, 3]}),
            feature(
                collection, classification={"names": ["Tumor", "Positive"], "colorRGB": -65536}
            ),
            feature(polygon, classification="Stroma", z=3),
        ],
        "x.geojson",
    )
    assert [f.class_name for f in found] == ["A", "Tumor: Positive", "Stroma"]
    assert [f.class_color for f in found] == [(1, 2, 3, 255), (255, 0, 0, 255), None]
    assert [f.plane for f in found] == [{}, {"z": 2, "t": 1}, {"z": 3}]
    assert len(found[1].polygons) == 2
    assert found[0].polygons[0][0].tolist()[-1] == [0.0, 0.0]  # closed when read
    single = parse_features(feature(polygon), "one.geojson")
    assert len(single) == 1


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"type": "FeatureCollection"}, "features"),
        ([{"type": "Nope"}], "[0]"),
        (
            [feature({"type": "Polygon", "coordinates": [[[0, 0], [1, "a"], [1, 1]]]})],
            "[0].geometry.coordinates[0]",
        ),
        (
            [feature({"type": "Polygon", "coordinates": [[[0, 0], [1, float("inf")], [1, 1]]]})],
            "[0].geometry.coordinates[0]",
        ),
        (
            [feature({"type": "Polygon", "coordinates": [square(0, 0, 1)]}, z=-1)],
            "[0].properties.z",
        ),
        (
            [
                feature(
                    {"type": "Polygon", "coordinates": [square(0, 0, 1)]},
                    classification={"name": "A", "color": [300, 0, 0]},
                )
            ],
            "[0].properties.classification.color",
        ),
    ],
)
def test_bad_documents_name_the_place(document: Any, field: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_features(document, "bad.geojson")
    assert raised.value.field.endswith(field)
