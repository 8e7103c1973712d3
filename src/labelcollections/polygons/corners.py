"""Corners of label regions: where the pixel-edge outline of an object turns.

The outline of an object (all pixels of one label value) runs along pixel edges. At each grid
point, the four pixels around it decide whether the outline of a value turns there: once (one
or three of the four pixels carry the value) or twice (the two diagonal pixels carry it). Every
such turn is one *corner*; the corners of an object are exactly its polygon vertices.

A corner records which of its two edges is horizontal (to the left or the right of the point)
and which is vertical (above or below), and whether the outline leaves it horizontally. Outlines
are oriented with the object on their left in (x, y) coordinates, so outer rings have a positive
(counter-clockwise) area and holes a negative one, as GeoJSON asks. Where two diagonal pixels
carry the value, each corner first turns around its own pixel; :mod:`.rings` revisits those
corners once rings are known.

Corners are found with a handful of whole-block comparisons; only the few grid points where
values differ both horizontally and vertically are looked at one by one (vectorised).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

RIGHT = 1
"""Bit of :attr:`Corners.kinds`: the horizontal edge lies right of the point (else left)."""
DOWN = 2
"""Bit of :attr:`Corners.kinds`: the vertical edge lies below the point (else above)."""
LEAVES_HORIZONTALLY = 4
"""Bit of :attr:`Corners.kinds`: the outline leaves the point along its horizontal edge."""
BACKGROUND = 0
"""The NGFF label value for "no object": it has no outline."""


@dataclass(frozen=True)
class Corners:
    """Corners of objects, one row each: plane index, label value, grid point and kind."""

    planes: np.ndarray
    labels: np.ndarray
    ys: np.ndarray
    xs: np.ndarray
    kinds: np.ndarray

    FIELDS: ClassVar[tuple[str, ...]] = ("planes", "labels", "ys", "xs", "kinds")

    @classmethod
    def concatenate(cls, parts: list[Corners], dtype: np.dtype[np.integer]) -> Corners:
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, np.zeros(0, dtype=dtype), empty, empty, np.zeros(0, np.uint8))
        return cls(
            *(np.concatenate([getattr(part, name) for part in parts]) for name in cls.FIELDS)
        )

    @property
    def size(self) -> int:
        return int(self.labels.size)


def _turns(tl: bool, tr: bool, bl: bool, br: bool) -> list[int]:
    """The corner kinds of one value whose membership of the four pixels around a point
    (top-left, top-right, bottom-left, bottom-right) is given."""
    if tl and br and not tr and not bl:
        # Leaves left around the top-left pixel, right around the bottom-right one.
        return [LEAVES_HORIZONTALLY, RIGHT | DOWN | LEAVES_HORIZONTALLY]
    if tr and bl and not tl and not br:
        # Enters from the left around the bottom-left pixel, from the right around the top-right.
        return [DOWN, RIGHT]
    horizontal = [side for side, edge in ((0, tl != bl), (RIGHT, tr != br)) if edge]
    vertical = [side for side, edge in ((0, tl != tr), (DOWN, bl != br)) if edge]
    if len(horizontal) != 1 or len(vertical) != 1:
        return []
    # With the object on the left, a horizontal edge leaves the point where the object lies
    # above it on the left side or below it on the right side.
    leaves = tl if horizontal[0] == 0 else br
    return [horizontal[0] | vertical[0] | (LEAVES_HORIZONTALLY if leaves else 0)]


def _kind_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per membership pattern (bits: top-left 1, top-right 2, bottom-left 4, bottom-right 8):
    the number of corners and the kinds of the first and second one."""
    turns = [_turns(*(bool(code & bit) for bit in (1, 2, 4, 8))) for code in range(16)]
    count = np.array([len(t) for t in turns], dtype=np.int8)
    first = np.array([t[0] if t else 0 for t in turns], dtype=np.uint8)
    second = np.array([t[1] if len(t) > 1 else 0 for t in turns], dtype=np.uint8)
    return count, first, second


TURN_COUNT, FIRST_KIND, SECOND_KIND = _kind_tables()


def block_corners(pixels: np.ndarray, origin: tuple[int, int], planes: np.ndarray) -> Corners:
    """The corners at the interior grid points of ``pixels`` (planes, rows, columns).

    ``origin`` is the (y, x) of ``pixels[:, 0, 0]``; the grid point between pixels (i, j) and
    (i + 1, j + 1) is (y + i + 1, x + j + 1). ``planes`` gives the plane index of each of the
    block's planes. Background pixels (0) have no outline.
    """
    across = pixels[:, :, 1:] != pixels[:, :, :-1]
    down = pixels[:, 1:, :] != pixels[:, :-1, :]
    # A value turns at a point only where values change both along and across it.
    turning = (across[:, :-1, :] | across[:, 1:, :]) & (down[:, :, :-1] | down[:, :, 1:])
    points = np.flatnonzero(turning)
    plane, rest = np.divmod(points, turning.shape[1] * turning.shape[2])
    row, column = np.divmod(rest, turning.shape[2])
    flat = pixels.reshape(-1)
    top_left = (plane * pixels.shape[1] + row) * pixels.shape[2] + column
    below = pixels.shape[2]
    # The four pixels around each point: top-left, top-right, bottom-left, bottom-right.
    quad = flat[top_left + np.array([[0], [1], [below], [below + 1]])]
    pattern = np.zeros(quad.shape, dtype=np.uint8)
    for bit in range(4):
        pattern |= (quad == quad[bit]).view(np.uint8) << bit
    # Each distinct value once per point (at its first position), background never.
    first = (pattern & ((1 << np.arange(4, dtype=np.uint8)) - 1)[:, None]) == 0
    position, point = np.nonzero(first & (quad != BACKGROUND))
    pattern = pattern[position, point]
    count = TURN_COUNT[pattern]
    second = count == 2
    chosen = np.concatenate([np.flatnonzero(count >= 1), np.flatnonzero(second)])
    kinds = np.concatenate([FIRST_KIND[pattern[count >= 1]], SECOND_KIND[pattern[second]]])
    point = point[chosen]
    return Corners(
        planes=planes[plane[point]],
        labels=quad[position[chosen], point],
        ys=row[point] + (origin[0] + 1),
        xs=column[point] + (origin[1] + 1),
        kinds=kinds,
    )
