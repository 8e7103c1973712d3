"""Tile rendering functions: colours, outlines, comparison status, channel windows."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.server.tiles import (
    MAX_TABLE_SIZE,
    STATUS_COLOURS,
    LabelPalette,
    Mode,
    Status,
    comparison_tile,
    default_rendering,
    image_tile,
    label_tile,
    outlines,
)

SCHEMA = LabelSchema(
    classes=(
        LabelClass(value=0, color=(1, 2, 3, 4)),
        LabelClass(value=7, name="seven", color=(10, 20, 30, 40)),
        LabelClass(value=9, name="named only"),
    )
)


@given(arrays(np.uint32, (6, 7), elements=st.integers(0, 2**32 - 1)))
def test_table_and_large_values_colour_alike(labels: np.ndarray) -> None:
    """Values beyond the lookup table get the colours the table would give them."""
    palette = LabelPalette(SCHEMA)
    small = labels % 1000
    assert np.array_equal(palette.colour(small), palette.colours_of(small.astype(np.int64)))
    big = labels | np.uint32(MAX_TABLE_SIZE)
    assert np.array_equal(palette.colour(big), palette.colours_of(big.astype(np.int64)))


def test_schema_colours_win_and_background_is_clear() -> None:
    labels = np.array([[0, 7, 9, 11]], dtype=np.uint16)
    rgba = label_tile(labels, LabelPalette(SCHEMA), Mode.FILL, (0, 0, 0, 0))
    assert rgba[0, 0].tolist() == [1, 2, 3, 4]
    assert rgba[0, 1].tolist() == [10, 20, 30, 40]
    assert rgba[0, 2, 3] == 255 and rgba[0, 3, 3] == 255
    plain = label_tile(labels, LabelPalette(LabelSchema()), Mode.FILL, (0, 0, 0, 0))
    assert plain[0, 0].tolist() == [0, 0, 0, 0]
    assert plain[0, 1].tolist() != plain[0, 3].tolist()


def test_outline_uses_the_margin() -> None:
    labels = np.zeros((5, 5), dtype=np.uint8)
    labels[1:4, 1:4] = 3
    full = outlines(labels, (0, 0, 0, 0))
    assert full[1:4, 1:4].sum() == 8 and not full[2, 2]
    # The same inner 3×3 region cut with a one-pixel margin on every side.
    inner = outlines(labels[0:5, 0:5], (1, 1, 1, 1))
    assert np.array_equal(inner, full[1:4, 1:4])


def test_comparison_colours() -> None:
    a = np.array([[1, 1, 0, 2, 0]], dtype=np.uint32)
    b = np.array([[5, 5, 0, 0, 6]], dtype=np.uint32)
    rgba = comparison_tile(a, b, np.array([1]), np.array([5]))
    assert rgba[0, 0].tolist() == list(STATUS_COLOURS[Status.MATCHED])
    assert rgba[0, 2].tolist() == [0, 0, 0, 0]
    assert rgba[0, 3].tolist() == list(STATUS_COLOURS[Status.MISSED])
    assert rgba[0, 4].tolist() == list(STATUS_COLOURS[Status.EXTRA])


def test_default_contrast() -> None:
    rgb = np.arange(3 * 16, dtype=np.uint8).reshape(3, 4, 4)
    channels = default_rendering(rgb, "uint8")
    assert [c.window for c in channels] == [(0.0, 255.0)] * 3
    assert np.array_equal(image_tile(rgb, channels), np.moveaxis(rgb, 0, -1))
    two = np.stack([np.linspace(0, 1000, 400), np.linspace(50, 60, 400)]).reshape(2, 20, 20)
    windows = default_rendering(two, "float64")
    assert [c.colour for c in windows] == [(0, 255, 0), (255, 0, 255)]
    assert windows[0].window == (5.0, 995.0)
    shown = image_tile(two, windows)
    assert shown[0, 0].tolist() == [0, 0, 0] and shown[-1, -1].tolist() == [255, 255, 255]
