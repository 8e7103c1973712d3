"""Our Masks carry the same boxes and bytes as omero-rois makes, and read its Masks back."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labelcollections.omero.masks import (
    MaskShape,
    labels_from_masks,
    masks_from_labels,
    rgba_to_int,
)

omero_rois = pytest.importorskip(
    "omero_rois", reason="omero-rois (and omero-py with zeroc-ice) not installed; make test does"
)
ColorHolder = pytest.importorskip("omero.gateway").ColorHolder


def box_and_bytes(mask: object) -> tuple[int, int, int, int, bytes]:
    return (
        int(mask.getX().getValue()),  # type: ignore[attr-defined]
        int(mask.getY().getValue()),  # type: ignore[attr-defined]
        int(mask.getWidth().getValue()),  # type: ignore[attr-defined]
        int(mask.getHeight().getValue()),  # type: ignore[attr-defined]
        np.asarray(mask.getBytes(), dtype=np.uint8).tobytes(),  # type: ignore[attr-defined]
    )


def ours(shape: MaskShape) -> tuple[int, int, int, int, bytes]:
    return (shape.x, shape.y, shape.width, shape.height, shape.bytes)


def bordered(inner: np.ndarray) -> np.ndarray:
    """omero-rois finds no mask for an object lying only in row 0 or column 0 (it tests the
    indices of its box for truth), so comparisons keep row and column 0 empty."""
    return np.pad(inner, ((1, 0), (1, 0)))


@given(
    hnp.arrays(
        st.sampled_from([np.uint8, np.uint16, np.uint32]),
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=20),
        elements=st.integers(0, 9),
    )
)
def test_boxes_and_bytes_equal_omero_rois(inner: np.ndarray) -> None:
    labels = bordered(inner)
    peer = omero_rois.masks_from_label_image(labels, raise_on_no_mask=False)
    present = [box_and_bytes(m) for m in peer if m.getWidth().getValue() > 0]
    assert [ours(s) for s in masks_from_labels(labels)] == present


def test_each_plane_equals_omero_rois_on_that_plane() -> None:
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 5, (3, 17, 17)).astype(np.uint16)
    labels[:, 0, :] = labels[:, :, 0] = 0

    shapes = masks_from_labels(labels, ("z", "y", "x"))

    for z in range(labels.shape[0]):
        peer = omero_rois.masks_from_label_image(labels[z], z=z, raise_on_no_mask=False)
        assert [m.getTheZ().getValue() for m in peer] == [z] * len(peer)
        expected = [box_and_bytes(m) for m in peer if m.getWidth().getValue() > 0]
        assert [ours(s) for s in shapes if s.z == z] == expected


def test_omero_rois_masks_paint_back_to_the_labels() -> None:
    labels = bordered(np.kron(np.arange(1, 10, dtype=np.uint8).reshape(3, 3), np.ones((4, 5))))
    labels = labels.astype(np.uint8)
    labels[5, 6] = 0
    shapes = [
        MaskShape(label=value, x=x, y=y, width=w, height=h, bytes=data)
        for value, (x, y, w, h, data) in enumerate(
            (box_and_bytes(m) for m in omero_rois.masks_from_label_image(labels)), start=1
        )
    ]

    np.testing.assert_array_equal(labels_from_masks(shapes, labels.shape, np.uint8), labels)


@given(st.tuples(*[st.integers(0, 255)] * 4))
def test_colour_integer_equals_omero_colour_holder(rgba: tuple[int, int, int, int]) -> None:
    assert rgba_to_int(rgba) == ColorHolder.fromRGBA(*rgba).getInt()
