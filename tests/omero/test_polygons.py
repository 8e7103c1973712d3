"""Label images to OMERO Polygon shapes and back: points text, holes, planes, colours, errors."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labelcollections.errors import InputError
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.omero.masks import rgba_to_int
from labelcollections.omero.polygons import (
    PolygonShape,
    labels_from_polygons,
    polygons_from_labels,
)


def test_one_polygon_per_ring_with_omero_points() -> None:
    labels = np.zeros((6, 8), np.uint16)
    labels[1:5, 1:5] = 4
    labels[2, 2] = 0
    labels[5, 7] = 2

    shapes = polygons_from_labels(labels)

    assert [(s.label, s.hole) for s in shapes] == [(2, False), (4, False), (4, True)]
    assert shapes[0].points == "7,5 8,5 8,6 7,6"
    assert shapes[1].points == "1,1 5,1 5,5 1,5"
    assert shapes[2].points == "2,2 2,3 3,3 3,2"
    assert all(s.z is None and s.t is None and s.c is None for s in shapes)
    assert np.array_equal(labels_from_polygons(shapes, labels.shape, labels.dtype), labels)


def test_planes_colours_and_texts() -> None:
    labels = np.zeros((2, 3, 5, 6), np.uint8)
    labels[0, 1, 0:3, 0:3] = 7
    labels[0, 1, 1, 1] = 0
    labels[1, 2, 3:5, 4:6] = 7
    red = (255, 0, 0, 255)
    schema = LabelSchema(classes=(LabelClass(value=7, name="nucleus", color=red),))

    shapes = polygons_from_labels(labels, ("t", "z", "y", "x"), schema)

    assert [(s.t, s.z, s.hole) for s in shapes] == [(0, 1, False), (0, 1, True), (1, 2, False)]
    assert {s.text for s in shapes} == {"nucleus"}
    assert shapes[0].fill_color == shapes[0].stroke_color == rgba_to_int(red)
    assert shapes[1].fill_color == rgba_to_int((255, 0, 0, 0))  # a hole is not filled
    back = labels_from_polygons(shapes, labels.shape, labels.dtype, ("t", "z", "y", "x"))
    assert np.array_equal(back, labels)


def test_axes_in_any_order_come_back_in_that_order() -> None:
    labels = np.zeros((5, 2, 4), np.uint32)  # y, z, x
    labels[1:3, 1, 0:2] = 3
    shapes = polygons_from_labels(labels, ("y", "z", "x"))
    assert [s.z for s in shapes] == [1]
    assert np.array_equal(
        labels_from_polygons(shapes, labels.shape, np.uint32, ("y", "z", "x")), labels
    )


def test_a_drawn_polygon_fills_the_pixels_whose_centres_it_holds_on_every_unset_plane() -> None:
    drawn = PolygonShape(label=1, points="0.5,0.5 3.7,0.5 3.7, 2.2 0.5,2.2")
    filled = labels_from_polygons([drawn], (2, 4, 5), np.uint8, ("z", "y", "x"))
    expected = np.zeros((4, 5), np.uint8)
    expected[0:2, 0:4] = 1  # centres x 0.5 … 3.5 and y 0.5, 1.5
    assert np.array_equal(filled[0], expected) and np.array_equal(filled[1], expected)


def test_rings_of_valid_polygons() -> None:
    labels = np.zeros((9, 9), np.uint16)
    labels[1:8, 1:8] = 1
    labels[3:6, 3:6] = 0
    labels[4, 4] = 1  # a piece inside its own hole
    rings = [shapely.LinearRing(s.vertices()) for s in polygons_from_labels(labels)]
    assert all(ring.is_valid for ring in rings)
    shells = [
        shapely.Polygon(r)
        for r, s in zip(rings, polygons_from_labels(labels), strict=True)
        if not s.hole
    ]
    assert len(shells) == 2


@pytest.mark.parametrize(
    ("shape", "field"),
    [
        (PolygonShape(label=1, points="0,0 1,1"), "shapes[0]: points"),
        (PolygonShape(label=1, points="0,0 1,0 1,x"), "shapes[0]: points"),
        (PolygonShape(label=0, points="0,0 1,0 1,1"), "shapes[0].label"),
        (PolygonShape(label=1, points="0,0 1,0 1,1", z=2), "shapes[0].z"),
    ],
)
def test_bad_polygons_are_named(shape: PolygonShape, field: str) -> None:
    with pytest.raises(InputError, match=field.replace("[", r"\[").replace("]", r"\]")):
        labels_from_polygons([shape], (2, 3, 3), np.uint8, ("z", "y", "x"))


@settings(max_examples=100)
@given(
    hnp.arrays(
        st.sampled_from([np.uint8, np.uint16, np.int32, np.uint64]),
        hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=8),
        elements=st.integers(0, 3),
    ),
    st.permutations(["z", "y", "x"]),
)
def test_any_label_image_survives_polygons(labels: np.ndarray, axes: list[str]) -> None:
    shapes = polygons_from_labels(labels, axes)
    back = labels_from_polygons(shapes, labels.shape, labels.dtype, axes)
    assert np.array_equal(back, labels)
