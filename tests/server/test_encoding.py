"""Tiles decode to exactly the pixels they were made from (PNG, lossless WebP)."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from labelcollections.server.encoding import TileFormat, encode


@st.composite
def tiles(draw: st.DrawFn) -> np.ndarray:
    shape = (draw(st.integers(1, 40)), draw(st.integers(1, 40)), draw(st.sampled_from([3, 4])))
    drawn: np.ndarray = draw(arrays(np.uint8, shape))
    return drawn


@given(tiles())
def test_png_round_trip(pixels: np.ndarray) -> None:
    decoded = Image.open(io.BytesIO(encode(pixels, TileFormat.PNG, exact=True)))
    assert decoded.mode == ("RGBA" if pixels.shape[2] == 4 else "RGB")
    assert np.array_equal(np.asarray(decoded), pixels)


@given(tiles())
def test_lossless_webp_round_trip(pixels: np.ndarray) -> None:
    decoded = np.asarray(
        Image.open(io.BytesIO(encode(pixels, TileFormat.WEBP, exact=True))).convert("RGBA")
    )
    if pixels.shape[2] == 4:
        visible = pixels[..., 3] > 0
        assert np.array_equal(decoded[visible], pixels[visible])
        assert np.array_equal(decoded[..., 3], pixels[..., 3])
    else:
        assert np.array_equal(decoded[..., :3], pixels)
