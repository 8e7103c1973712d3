"""Pyramid levels never invent label values and keep the image's geometry."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from labelcollections.model.geometry import level_shapes
from labelcollections.storage.pyramid import downsample_image, downsample_labels

label_arrays = arrays(
    dtype=st.sampled_from([np.uint8, np.uint16, np.int32, np.uint32]),
    shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    elements=st.integers(0, 6),
)


def test_level_shapes_halve_y_and_x_until_they_fit() -> None:
    assert level_shapes((3, 8192, 8192), ("c", "y", "x")) == [
        (3, 8192 // 2**k, 8192 // 2**k) for k in range(6)
    ]
    assert level_shapes((520, 704), ("y", "x")) == [(520, 704), (260, 352), (130, 176)]
    assert level_shapes((100, 100), ("y", "x")) == [(100, 100)]


@given(label_arrays, st.sampled_from(["nearest", "mode"]))
def test_downsampled_labels_only_hold_values_of_the_source(array: np.ndarray, method: str) -> None:
    target = (max(1, array.shape[0] // 2), max(1, array.shape[1] // 2))
    result = downsample_labels(array, target, method)  # type: ignore[arg-type]
    assert result.shape == target
    assert result.dtype == array.dtype
    assert set(np.unique(result)) <= set(np.unique(array))


@given(label_arrays)
def test_nearest_by_two_takes_every_second_pixel(array: np.ndarray) -> None:
    target = (max(1, array.shape[0] // 2), max(1, array.shape[1] // 2))
    expected = array[:: array.shape[0] // target[0], :: array.shape[1] // target[1]]
    np.testing.assert_array_equal(
        downsample_labels(array, target), expected[: target[0], : target[1]]
    )


def test_mode_takes_the_majority_of_each_block() -> None:
    labels = np.array([[1, 1, 2, 3], [2, 1, 3, 3], [5, 6, 7, 7], [8, 9, 7, 0]], dtype=np.uint16)
    np.testing.assert_array_equal(downsample_labels(labels, (2, 2), "mode"), [[1, 3], [5, 7]])


def test_non_integer_factors_still_pick_existing_pixels() -> None:
    labels = np.arange(520 * 704, dtype=np.uint32).reshape(520, 704)
    result = downsample_labels(labels, (32, 44))
    assert result.shape == (32, 44)
    assert np.isin(result, labels).all()


def test_image_downsampling_averages_blocks_and_keeps_dtype() -> None:
    image = np.array([[0, 2, 10, 10], [2, 4, 10, 10]], dtype=np.uint8)
    result = downsample_image(image, (1, 2))
    assert result.dtype == np.uint8
    np.testing.assert_array_equal(result, [[2, 10]])
