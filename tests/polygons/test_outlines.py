"""Tracing label images into polygons and rasterising them back: exact, valid, one per object."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import zarr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labelcollections.polygons import trace_outlines
from labelcollections.polygons.rasterise import rasterise, rasterise_into

LABEL_DTYPES = st.sampled_from([np.uint8, np.uint16, np.uint32, np.int32, np.uint64, np.int64])


def tricky_labels() -> np.ndarray:
    """Touching objects, a hole, an object in a hole, several pieces, diagonal contacts."""
    labels = np.zeros((12, 14), np.uint16)
    labels[1:6, 1:6] = 1
    labels[3, 3] = 0  # a hole
    labels[2:5, 6:9] = 2  # touches 1
    labels[8:11, 1:12] = 3
    labels[9, 3:10] = 0  # a long hole ...
    labels[9, 5] = 3  # ... split by a bridge of the object itself
    labels[9, 7] = 4  # an object inside the hole
    labels[0, 12] = 5
    labels[6, 6] = 5  # two pieces, one touching 1 at a corner
    labels[6, 7] = 6
    labels[7, 8] = 6  # diagonal pieces of one object
    return labels


def outline_round_trip(labels: np.ndarray) -> None:
    outlines = trace_outlines(labels)
    geometries = outlines.geometries()
    values = np.unique(labels[labels != 0])
    assert outlines.labels.tolist() == values.tolist()
    assert shapely.is_valid(geometries).all()
    areas = shapely.area(geometries)
    assert areas.tolist() == [float((labels == value).sum()) for value in values]
    assert np.array_equal(rasterise(outlines, labels.shape, labels.dtype), labels)


def test_tricky_objects_round_trip_exactly() -> None:
    outline_round_trip(tricky_labels())


def test_holes_pieces_and_orientation() -> None:
    outlines = trace_outlines(tricky_labels())
    by_label = dict(zip(outlines.labels.tolist(), outlines.geometries(), strict=True))
    assert by_label[1].geom_type == "Polygon" and len(by_label[1].interiors) == 1
    assert by_label[5].geom_type == "MultiPolygon" and len(by_label[5].geoms) == 2
    assert by_label[6].geom_type == "MultiPolygon"
    three = by_label[3]
    assert three.geom_type == "Polygon" and len(three.interiors) == 2
    # Shells counter-clockwise, holes clockwise in (x, y), as RFC 7946 asks.
    assert three.exterior.is_ccw and not any(ring.is_ccw for ring in three.interiors)
    assert by_label[4].within(shapely.Polygon(three.interiors[1]))


def test_a_piece_touching_itself_at_a_corner_becomes_a_shell_and_a_hole() -> None:
    labels = np.zeros((5, 5), np.uint8)
    labels[1:4, 1:4] = 1
    labels[2, 2] = 0
    labels[1, 1] = 0  # the hole touches the outside at one point
    outlines = trace_outlines(labels)
    (geometry,) = outlines.geometries()
    assert geometry.is_valid and geometry.area == 7
    assert geometry.geom_type == "Polygon" and len(geometry.interiors) == 1


def test_holes_touching_each_other_diagonally_stay_separate_holes() -> None:
    labels = np.ones((5, 9), np.uint8)
    labels[1, 6] = labels[2, 5] = labels[3, 6] = 0  # holes touching at two corners
    outline_round_trip(labels)
    (one,) = trace_outlines(labels).geometries()
    assert one.geom_type == "Polygon" and len(one.interiors) == 3
    labels[2, 7] = 0  # now (2, 6) is a piece of its own inside a hole shaped like a plus
    outline_round_trip(labels)
    (one,) = trace_outlines(labels).geometries()
    assert [len(piece.interiors) for piece in one.geoms] == [1, 0]


def test_vertices_are_pixel_corners_in_level_0_units() -> None:
    labels = np.zeros((4, 6), np.uint32)
    labels[1:3, 2:5] = 9
    outlines = trace_outlines(labels)
    assert outlines.coords.tolist() == [[2, 1], [5, 1], [5, 3], [2, 3], [2, 1]]


def test_planes_are_outlined_separately() -> None:
    labels = np.zeros((2, 3, 4, 4), np.uint16)
    labels[0, 1, 1:3, 1:3] = 7
    labels[1, 2, 0:2, 0:2] = 7
    labels[1, 2, 3, 3] = 8
    outlines = trace_outlines(labels)
    assert outlines.labels.tolist() == [7, 7, 8]
    assert outlines.planes.tolist() == [1, 5, 5]
    assert np.array_equal(rasterise(outlines, labels.shape, labels.dtype), labels)
    assert outlines.select(outlines.planes == 5).labels.tolist() == [7, 8]


@pytest.mark.parametrize("chunks", [(3, 4), (5, 5), (1, 14), (12, 1)])
def test_blocks_of_any_shape_give_the_same_outlines(chunks: tuple[int, int]) -> None:
    labels = tricky_labels()
    whole = trace_outlines(labels)
    stored = zarr.create_array(store={}, shape=labels.shape, chunks=chunks, dtype=labels.dtype)
    stored[:] = labels
    blocked = trace_outlines(stored, workers=2)
    assert np.array_equal(blocked.coords, whole.coords)
    assert np.array_equal(blocked.ring_offsets, whole.ring_offsets)
    assert np.array_equal(blocked.polygon_offsets, whole.polygon_offsets)
    target = zarr.create_array(store={}, shape=labels.shape, chunks=chunks, dtype=labels.dtype)
    rasterise_into(whole, target, workers=2)
    assert np.array_equal(target[:], labels)


def test_an_empty_image_has_no_outlines() -> None:
    outlines = trace_outlines(np.zeros((3, 4), np.uint8))
    assert len(outlines) == 0
    assert rasterise(outlines, (3, 4), np.uint8).sum() == 0


def test_later_objects_win_where_they_overlap() -> None:
    first = trace_outlines(np.pad(np.ones((3, 3), np.uint8), 1))
    second = trace_outlines(np.pad(np.full((2, 2), 2, np.uint8), ((2, 1), (2, 1))))
    both = _joined(first, second)
    painted = rasterise(both, (5, 5), np.uint8)
    assert painted[3, 3] == 2 and painted[1, 1] == 1


def _joined(a, b):  # type: ignore[no-untyped-def]
    from labelcollections.polygons import Outlines

    rings = len(a.ring_offsets) - 1
    polygons = len(a.polygon_offsets) - 1
    return Outlines(
        coords=np.concatenate([a.coords, b.coords]),
        ring_offsets=np.concatenate([a.ring_offsets, b.ring_offsets[1:] + a.ring_offsets[-1]]),
        polygon_offsets=np.concatenate([a.polygon_offsets, b.polygon_offsets[1:] + rings]),
        object_offsets=np.concatenate([a.object_offsets, b.object_offsets[1:] + polygons]),
        labels=np.concatenate([a.labels, b.labels]),
        planes=np.concatenate([a.planes, b.planes]),
    )


@settings(max_examples=300)
@given(
    hnp.arrays(
        LABEL_DTYPES,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
        elements=st.integers(0, 4),
    )
)
def test_any_label_image_round_trips_through_valid_polygons(labels: np.ndarray) -> None:
    outline_round_trip(labels)


@settings(max_examples=60)
@given(
    hnp.arrays(
        np.uint16,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=16),
        elements=st.integers(0, 3),
    ),
    st.integers(1, 5),
    st.integers(1, 5),
)
def test_any_chunking_gives_the_same_outlines(labels: np.ndarray, rows: int, columns: int) -> None:
    stored = zarr.create_array(store={}, shape=labels.shape, chunks=(rows, columns), dtype="u2")
    stored[:] = labels
    whole, blocked = trace_outlines(labels), trace_outlines(stored)
    assert np.array_equal(whole.coords, blocked.coords)
    assert np.array_equal(whole.object_offsets, blocked.object_offsets)
    assert np.array_equal(rasterise(blocked, labels.shape, labels.dtype), labels)
