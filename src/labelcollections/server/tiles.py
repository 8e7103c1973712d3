"""Tile rendering with numpy: label colours, outlines, image channels, comparison status.

Every function works on whole arrays: colours come from a lookup table indexed by the label
values, outlines from comparing each pixel with its four neighbours, channels from one tensor
product. There is no loop over pixels or labels.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from labelcollections.model.label_schema import LabelSchema

MAX_TABLE_SIZE = 1 << 22
"""Largest lookup table (entries) kept per label image; larger values are coloured per tile."""
HASH_MULTIPLIER = np.uint64(2654435761)
"""Knuth's multiplicative hash: spreads neighbouring label values far apart in colour."""

RGBA = tuple[int, int, int, int]
INT64_MAX = 2**63 - 1


class Mode(StrEnum):
    """How a label overlay is drawn: filled objects or their one-pixel outlines."""

    FILL = "fill"
    OUTLINE = "outline"


class Status(StrEnum):
    """Where an object of a comparison ended up."""

    MATCHED = "matched"
    MISSED = "missed"
    EXTRA = "extra"


STATUS_COLOURS: dict[Status, RGBA] = {
    Status.MATCHED: (46, 204, 64, 255),
    Status.MISSED: (255, 65, 54, 255),
    Status.EXTRA: (0, 116, 217, 255),
}


def pack(colour: RGBA) -> int:
    """An RGBA colour as one little-endian uint32, so that a table of them views as RGBA bytes."""
    red, green, blue, alpha = colour
    return red | green << 8 | blue << 16 | alpha << 24


def hash_colours(values: np.ndarray) -> np.ndarray:
    """Stable, bright, opaque colours (packed) for label values without a schema colour."""
    hashed = (values.astype(np.uint64) * HASH_MULTIPLIER) & np.uint64(0xFFFFFF)
    channels = [(hashed >> np.uint64(shift)) & np.uint64(0xFF) for shift in (0, 8, 16)]
    red, green, blue = (
        np.uint64(64) + channel * np.uint64(191) // np.uint64(255) for channel in channels
    )
    packed = red | green << np.uint64(8) | blue << np.uint64(16) | np.uint64(255) << np.uint64(24)
    result: np.ndarray = packed.astype("<u4")
    return result


class LabelPalette:
    """The colours of one label image's values: schema colours first, then hashed colours.

    Background (0) is transparent unless the schema colours it. The lookup table grows to the
    largest value seen (up to MAX_TABLE_SIZE); beyond that a tile's distinct values are coloured.
    """

    def __init__(self, schema: LabelSchema) -> None:
        self._listed = sorted((c.value, pack(c.color)) for c in schema.classes if c.color)
        self._listed_as: dict[np.dtype[np.integer], tuple[np.ndarray, np.ndarray]] = {}
        self._table = self.colours_of(np.arange(256))
        self._lock = threading.Lock()

    def colours_of(self, values: np.ndarray) -> np.ndarray:
        """Packed colours of the given label values (an integer array)."""
        colours = hash_colours(values)
        colours[values == 0] = 0
        listed_values, listed_colours = self._listed_in(values.dtype)
        if listed_values.size:
            position = np.searchsorted(listed_values, values)
            clipped = np.minimum(position, listed_values.size - 1)
            listed = listed_values[clipped] == values
            colours[listed] = listed_colours[clipped[listed]]
        return colours

    def colours_of_values(self, values: Sequence[int]) -> list[int]:
        """Packed colours of label values given as Python integers, anywhere from int64's
        minimum to uint64's maximum (no one numpy dtype holds them all)."""
        large = np.array([v > INT64_MAX for v in values], dtype=bool)
        colours = np.zeros(len(values), dtype="<u4")
        for chosen, dtype in ((~large, np.int64), (large, np.uint64)):
            if chosen.any():
                picked = np.array([v for v, c in zip(values, chosen, strict=True) if c], dtype)
                colours[chosen] = self.colours_of(picked)
        return [int(colour) for colour in colours]

    def _listed_in(self, dtype: np.dtype[np.integer]) -> tuple[np.ndarray, np.ndarray]:
        """The schema's coloured values that ``dtype`` holds, in that dtype (so comparing
        them with label values is exact), and their colours."""
        found = self._listed_as.get(dtype)
        if found is None:
            limits = np.iinfo(dtype)
            pairs = [(v, c) for v, c in self._listed if limits.min <= v <= limits.max]
            found = (
                np.array([v for v, _ in pairs], dtype=dtype),
                np.array([c for _, c in pairs], dtype="<u4"),
            )
            self._listed_as[dtype] = found
        return found

    def colour(self, labels: np.ndarray) -> np.ndarray:
        """Packed colours of a label tile (same shape)."""
        if labels.size == 0:
            return np.zeros(labels.shape, dtype="<u4")
        largest = int(labels.max())
        if largest >= MAX_TABLE_SIZE or (labels.dtype.kind == "i" and int(labels.min()) < 0):
            values, inverse = np.unique(labels, return_inverse=True)
            return self.colours_of(values)[inverse.reshape(labels.shape)]
        table = self._table
        if largest >= table.size:
            with self._lock:
                table = self._table
                if largest >= table.size:
                    size = min(MAX_TABLE_SIZE, 1 << largest.bit_length())
                    table = self.colours_of(np.arange(size))
                    self._table = table
        coloured: np.ndarray = np.take(table, labels)
        return coloured


def outlines(labels: np.ndarray, margin: tuple[int, int, int, int]) -> np.ndarray:
    """Where a pixel differs from one of its four neighbours, for the inner part of ``labels``.

    ``labels`` carries ``margin`` = (top, bottom, left, right) extra rows and columns around the
    tile (0 at the edges of the array, where the border pixel is its own neighbour).
    """
    top, bottom, left, right = margin
    padded = np.pad(labels, ((1 - top, 1 - bottom), (1 - left, 1 - right)), mode="edge")
    centre = padded[1:-1, 1:-1]
    edge = centre != padded[:-2, 1:-1]
    edge |= centre != padded[2:, 1:-1]
    edge |= centre != padded[1:-1, :-2]
    edge |= centre != padded[1:-1, 2:]
    result: np.ndarray = edge
    return result


def label_tile(
    labels: np.ndarray, palette: LabelPalette, mode: Mode, margin: tuple[int, int, int, int]
) -> np.ndarray:
    """An RGBA tile (h, w, 4) of a label region; ``labels`` includes ``margin`` (see outlines)."""
    top, bottom, left, right = margin
    inner = labels[top : labels.shape[0] - bottom, left : labels.shape[1] - right]
    colours = palette.colour(inner)
    if mode is Mode.OUTLINE:
        colours = np.where(outlines(labels, margin), colours, np.uint32(0)).astype("<u4")
    return rgba_view(colours)


def rgba_view(packed: np.ndarray) -> np.ndarray:
    """Packed little-endian colours (h, w) as RGBA bytes (h, w, 4), without copying."""
    contiguous = np.ascontiguousarray(packed, dtype="<u4")
    return contiguous.view(np.uint8).reshape(*contiguous.shape, 4)


def comparison_tile(
    a: np.ndarray, b: np.ndarray, matched_a: np.ndarray, matched_b: np.ndarray
) -> np.ndarray:
    """An RGBA tile of a comparison: objects of ``a`` matched or missed, objects of ``b`` extra.

    ``matched_a`` / ``matched_b`` are the sorted label values that found a partner.
    """
    in_a = a != 0
    a_matched = np.isin(a, matched_a)
    extra = (b != 0) & ~np.isin(b, matched_b)
    packed = np.zeros(a.shape, dtype="<u4")
    packed[extra] = pack(STATUS_COLOURS[Status.EXTRA])
    packed[in_a & ~a_matched] = pack(STATUS_COLOURS[Status.MISSED])
    packed[a_matched] = pack(STATUS_COLOURS[Status.MATCHED])
    return rgba_view(packed)


def semantic_comparison_tile(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """An RGBA tile of two semantic label images, pixel by pixel: the same class (matched), a
    class of ``a`` that ``b`` lost or changed (missed), a class only ``b`` has (extra)."""
    packed = np.zeros(a.shape, dtype="<u4")
    packed[(a == 0) & (b != 0)] = pack(STATUS_COLOURS[Status.EXTRA])
    packed[(a != 0) & (a != b)] = pack(STATUS_COLOURS[Status.MISSED])
    packed[(a != 0) & (a == b)] = pack(STATUS_COLOURS[Status.MATCHED])
    return rgba_view(packed)


@dataclass(frozen=True)
class ChannelRendering:
    """How one image channel is shown: its display window and colour (RGB, 0–255)."""

    index: int
    window: tuple[float, float]
    colour: tuple[int, int, int]


DEFAULT_COLOURS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (0, 255, 255),
    (255, 0, 255),
    (255, 255, 0),
)
PERCENTILES = (0.5, 99.5)
"""Default contrast: the display window spans these percentiles of each channel."""


def default_rendering(overview: np.ndarray, dtype: str) -> tuple[ChannelRendering, ...]:
    """Channels of an image given a small overview (channels, y, x) of it.

    Three uint8 channels are an RGB picture and keep their full range; otherwise each channel's
    window spans PERCENTILES of its values, one channel is grey and two are green and magenta.
    """
    count = overview.shape[0]
    if count == 3 and dtype == "uint8":
        return tuple(ChannelRendering(i, (0.0, 255.0), DEFAULT_COLOURS[i]) for i in range(3))
    colours = {1: ((255, 255, 255),), 2: ((0, 255, 0), (255, 0, 255))}.get(count)
    flat = overview.reshape(count, -1).astype(np.float64)
    low, high = np.percentile(flat, PERCENTILES, axis=1)
    return tuple(
        ChannelRendering(
            i,
            (float(low[i]), float(max(high[i], low[i] + 1e-9))),
            colours[i] if colours else DEFAULT_COLOURS[i % len(DEFAULT_COLOURS)],
        )
        for i in range(count)
    )


def image_tile(planes: np.ndarray, channels: tuple[ChannelRendering, ...]) -> np.ndarray:
    """An RGB tile (h, w, 3) of ``planes`` (one per entry of ``channels``, same order)."""
    low = np.array([c.window[0] for c in channels], dtype=np.float32)[:, None, None]
    high = np.array([c.window[1] for c in channels], dtype=np.float32)[:, None, None]
    scaled = np.clip((planes.astype(np.float32) - low) / (high - low), 0.0, 1.0)
    colours = np.array([c.colour for c in channels], dtype=np.float32)
    rgb = np.tensordot(scaled, colours, axes=([0], [0]))
    return np.clip(rgb + 0.5, 0.0, 255.0).astype(np.uint8)
