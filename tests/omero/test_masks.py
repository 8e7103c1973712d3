"""Label images to OMERO Mask shapes and back: boxes, packed bits, planes, colours, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labelcollections.errors import InputError
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.omero.masks import (
    MaskShape,
    int_to_rgba,
    labels_from_masks,
    masks_from_labels,
    rgba_to_int,
)

AXES_3D = [("z", "y", "x"), ("t", "y", "x"), ("c", "y", "x"), ("y", "z", "x")]
LABEL_DTYPES = st.sampled_from([np.uint8, np.uint16, np.uint32, np.int32, np.uint64])


def unpack(shape: MaskShape) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(shape.bytes, np.uint8))
    return bits[: shape.width * shape.height].reshape(shape.height, shape.width).astype(bool)


def test_one_mask_per_value_with_tight_box_and_row_major_bits() -> None:
    labels = np.zeros((6, 8), np.uint16)
    labels[1:3, 2:5] = 4
    labels[2, 2] = 0
    labels[5, 7] = 2

    shapes = masks_from_labels(labels)

    assert [s.label for s in shapes] == [2, 4]
    two, four = shapes
    assert (two.x, two.y, two.width, two.height, two.bytes) == (7, 5, 1, 1, b"\x80")
    assert (four.x, four.y, four.width, four.height) == (2, 1, 3, 2)
    assert four.bytes == bytes([0b11101100])
    assert (four.z, four.t, four.c) == (None, None, None)


def test_planes_get_their_index_and_a_box_of_their_own() -> None:
    labels = np.zeros((2, 3, 5, 6), np.uint8)
    labels[0, 1, 0:2, 0:2] = 7
    labels[1, 2, 3:5, 4:6] = 7

    shapes = masks_from_labels(labels, ("t", "z", "y", "x"))

    assert [(s.label, s.t, s.z, s.c, s.x, s.y, s.width, s.height) for s in shapes] == [
        (7, 0, 1, None, 0, 0, 2, 2),
        (7, 1, 2, None, 4, 3, 2, 2),
    ]


def test_schema_gives_colour_and_text() -> None:
    schema = LabelSchema(
        classes=(LabelClass(value=1, name="nucleus", color=(255, 0, 0, 255)), LabelClass(value=2))
    )
    labels = np.array([[1, 2, 3]], np.uint8)

    shapes = masks_from_labels(labels, schema=schema)

    assert [(s.fill_color, s.text) for s in shapes] == [
        (rgba_to_int((255, 0, 0, 255)), "nucleus"),
        (None, None),
        (None, None),
    ]


@given(st.tuples(*[st.integers(0, 255)] * 4))
def test_colour_integer_is_signed_32_bit_and_reversible(rgba: tuple[int, int, int, int]) -> None:
    value = rgba_to_int(rgba)
    assert -(2**31) <= value < 2**31
    assert int_to_rgba(value) == rgba


@given(
    hnp.arrays(
        LABEL_DTYPES,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=12),
        elements=st.integers(0, 6),
    )
)
def test_labels_masks_labels_is_identity_2d(labels: np.ndarray) -> None:
    shapes = masks_from_labels(labels)
    assert [s.label for s in shapes] == sorted(int(v) for v in np.unique(labels) if v)
    back = labels_from_masks(shapes, labels.shape, labels.dtype)
    assert back.dtype == labels.dtype
    np.testing.assert_array_equal(back, labels)


@given(
    st.sampled_from(AXES_3D),
    hnp.arrays(
        np.uint16, hnp.array_shapes(min_dims=3, max_dims=3, max_side=7), elements=st.integers(0, 4)
    ),
)
def test_labels_masks_labels_is_identity_per_plane(
    axes: tuple[str, ...], labels: np.ndarray
) -> None:
    shapes = masks_from_labels(labels, axes)
    plane_axis = next(a for a in axes if a not in "yx")
    assert all(getattr(s, plane_axis) is not None for s in shapes)
    np.testing.assert_array_equal(
        labels_from_masks(shapes, labels.shape, labels.dtype, axes), labels
    )


def test_sparse_large_values_keep_their_value() -> None:
    labels = np.zeros((4, 4), np.uint64)
    labels[0, 0] = 2**63 + 5
    labels[3, 1:3] = 2**40

    shapes = masks_from_labels(labels)

    assert [s.label for s in shapes] == [2**40, 2**63 + 5]
    np.testing.assert_array_equal(labels_from_masks(shapes, labels.shape, np.uint64), labels)


def test_mask_without_plane_index_covers_every_plane() -> None:
    shape = MaskShape(label=3, x=1, y=0, width=2, height=1, bytes=b"\xc0", t=1)

    labels = labels_from_masks([shape], (2, 2, 1, 3), np.uint8, ("t", "z", "y", "x"))

    expected = np.zeros((2, 2, 1, 3), np.uint8)
    expected[1, :, 0, 1:3] = 3
    np.testing.assert_array_equal(labels, expected)


def test_many_masks_paint_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("labelcollections.omero.masks.BATCH_PIXELS", 16)
    labels = np.arange(1, 101, dtype=np.uint32).reshape(10, 10).repeat(3, 0).repeat(3, 1)

    shapes = masks_from_labels(labels)

    np.testing.assert_array_equal(labels_from_masks(shapes, labels.shape, labels.dtype), labels)


@pytest.mark.parametrize(
    ("labels", "axes", "message"),
    [
        (np.zeros((2, 2), np.float32), ("y", "x"), "masks: dtype: integer label values"),
        (np.array([[0, -1]], np.int16), ("y", "x"), "masks: labels: label values of at least 0"),
        (np.zeros((2, 2, 2), np.uint8), ("y", "x"), "masks: axes: one axis per dimension"),
        (np.zeros((2, 2), np.uint8), ("z", "x"), "masks: axes: axes including y and x"),
    ],
)
def test_bad_label_images_are_refused(
    labels: np.ndarray, axes: tuple[str, ...], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        masks_from_labels(labels, axes)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (MaskShape(label=1, x=3, y=0, width=2, height=1, bytes=b"\xc0"), r"shapes\[1\]\.width"),
        (MaskShape(label=1, x=0, y=3, width=1, height=2, bytes=b"\xc0"), r"shapes\[1\]\.height"),
        (MaskShape(label=1, x=0, y=0, width=3, height=3, bytes=b"\xff"), r"shapes\[1\]\.bytes"),
        (MaskShape(label=300, x=0, y=0, width=1, height=1, bytes=b"\x80"), r"shapes\[1\]\.label"),
        (MaskShape(label=0, x=0, y=0, width=1, height=1, bytes=b"\x80"), r"shapes\[1\]\.label"),
        (MaskShape(label=1, x=0, y=0, width=1, height=1, bytes=b"\x80", z=1), r"shapes\[1\]\.z"),
        (MaskShape(label=2, x=0, y=0, width=2, height=1, bytes=b"\xc0"), r"shapes\[1\]: masks"),
    ],
)
def test_bad_masks_are_refused_by_position(shape: MaskShape, message: str) -> None:
    fine = MaskShape(label=1, x=0, y=0, width=1, height=1, bytes=b"\x80")
    with pytest.raises(InputError, match=message):
        labels_from_masks([fine, shape], (4, 4), np.uint8)


def test_masks_of_the_same_value_may_touch_the_same_pixel() -> None:
    shapes = [
        MaskShape(label=5, x=0, y=0, width=2, height=1, bytes=b"\xc0"),
        MaskShape(label=5, x=1, y=0, width=2, height=1, bytes=b"\xc0"),
    ]
    np.testing.assert_array_equal(labels_from_masks(shapes, (1, 3), np.uint8), [[5, 5, 5]])


def test_empty_image_has_no_masks() -> None:
    assert masks_from_labels(np.zeros((0, 4), np.uint8)) == []
    assert masks_from_labels(np.zeros((3, 4), np.uint8)) == []


def test_a_stored_stack_is_read_one_plane_at_a_time() -> None:
    labels = np.zeros((3, 2, 20, 30), np.uint16)
    labels[0, 1, 2:6, 3:9] = 4
    labels[2, 0, 10:20, 0:5] = 9
    reads: list[tuple[object, ...]] = []

    class Stored:
        """A stored (t, z, y, x) array that records what is read of it."""

        shape, dtype = labels.shape, labels.dtype

        def __getitem__(self, selection: tuple[object, ...]) -> np.ndarray:
            reads.append(selection)
            return labels[selection]

    shapes = masks_from_labels(Stored(), ("t", "z", "y", "x"))
    assert shapes == masks_from_labels(labels, ("t", "z", "y", "x"))
    assert [(s.label, s.t, s.z) for s in shapes] == [(4, 0, 1), (9, 2, 0)]
    assert len(reads) == 6
    assert all(selection[2:] == (slice(None), slice(None)) for selection in reads)
    assert all(isinstance(index, int) for selection in reads for index in selection[:2])
