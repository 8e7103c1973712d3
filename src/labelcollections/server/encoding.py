"""Tiles as PNG or WebP bytes.

PNG is assembled here: rows with filter type 0 compressed by zlib-ng at level 1, which is
several times faster than the usual encoders (that try filters per row and use classic zlib)
and still small for overlay tiles, which are mostly flat colour and transparency. WebP is
lossless for label overlays (exact colours) and lossy for images (smaller, as photographs are).
"""

from __future__ import annotations

import io
import struct
import zlib
from enum import StrEnum

import imagecodecs
import numpy as np
from PIL import Image

WEBP_IMAGE_QUALITY = 90
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_COLOUR_TYPES = {3: 2, 4: 6}
"""Channels → PNG colour type: RGB is 2, RGBA is 6."""


class TileFormat(StrEnum):
    PNG = "png"
    WEBP = "webp"

    @property
    def media_type(self) -> str:
        return f"image/{self.value}"


def encode(pixels: np.ndarray, fmt: TileFormat, exact: bool) -> bytes:
    """Encode an (h, w, 3) RGB or (h, w, 4) RGBA uint8 tile; ``exact`` asks for lossless WebP."""
    if fmt is TileFormat.PNG:
        return png(pixels)
    buffer = io.BytesIO()
    picture = Image.fromarray(np.ascontiguousarray(pixels))
    if exact:
        picture.save(buffer, format="WEBP", lossless=True, quality=0, method=0)
    else:
        picture.save(buffer, format="WEBP", quality=WEBP_IMAGE_QUALITY, method=0)
    return buffer.getvalue()


def png(pixels: np.ndarray) -> bytes:
    """A PNG of an (h, w, 3|4) uint8 array: 8 bits per channel, no filtering, zlib level 1."""
    height, width, channels = pixels.shape
    rows = np.empty((height, 1 + width * channels), dtype=np.uint8)
    rows[:, 0] = 0
    rows[:, 1:] = pixels.reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, PNG_COLOUR_TYPES[channels], 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", _compress(rows.tobytes())),
            _chunk(b"IEND", b""),
        )
    )


def _compress(data: bytes) -> bytes:
    if imagecodecs.ZLIBNG.available:
        return bytes(imagecodecs.zlibng_encode(data, level=1))
    return zlib.compress(data, 1)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
