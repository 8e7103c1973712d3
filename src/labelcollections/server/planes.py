"""From tile coordinates to the region of a (t, c, z, y, x) array that a tile shows.

Tiles are ``size``×``size`` squares of one pyramid level, numbered from the top left; z and t
pick the 2D plane of a stack. Axes of size 1 (a 2D mask of a z stack) always give their only
plane.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from labelcollections.errors import InputError, NotFoundError
from labelcollections.model.images import LabelImage
from labelcollections.server.chunks import Selection


@dataclass(frozen=True)
class Tile:
    """One tile: pyramid level, column, row and edge length (pixels of that level)."""

    level: int
    x: int
    y: int
    size: int

    def bounds(self, height: int, width: int) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) in the level's pixels, cut at the level's edges."""
        top, left = self.y * self.size, self.x * self.size
        if not (0 <= top < height and 0 <= left < width):
            raise NotFoundError(
                f"tile {self.level}/{self.x}/{self.y}",
                "x, y",
                f"a tile within {(width + self.size - 1) // self.size}"
                f"×{(height + self.size - 1) // self.size} tiles of {self.size} px at this level",
            )
        return top, min(top + self.size, height), left, min(left + self.size, width)


@dataclass(frozen=True)
class Plane:
    """The z and t index of a 2D plane (0 for 2D images)."""

    z: int = 0
    t: int = 0


def axis_names(label: LabelImage) -> tuple[str, ...]:
    return tuple(axis.name for axis in label.axes)


def check_level(level: int, count: int) -> None:
    if not 0 <= level < count:
        raise InputError(f"level {level}", "level", f"a pyramid level from 0 to {count - 1}")


def check_plane(axes: Sequence[str], shape: Sequence[int], plane: Plane) -> None:
    """Refuse a z or t beyond the image's stack."""
    for name, index in (("z", plane.z), ("t", plane.t)):
        size = shape[axes.index(name)] if name in axes else 1
        if not 0 <= index < size:
            raise InputError(f"{name}={index}", name, f"an index from 0 to {size - 1}")


def selection(
    axes: Sequence[str],
    shape: Sequence[int],
    plane: Plane,
    rows: tuple[int, int],
    columns: tuple[int, int],
    channel: int | None,
) -> Selection:
    """The selection of one plane's rows and columns; ``channel`` None keeps every channel."""
    chosen: list[int | slice] = []
    for name, size in zip(axes, shape, strict=True):
        if name == "y":
            chosen.append(slice(*rows))
        elif name == "x":
            chosen.append(slice(*columns))
        elif name == "c" and channel is None:
            chosen.append(slice(0, size))
        else:
            index = {"z": plane.z, "t": plane.t, "c": channel or 0}.get(name, 0)
            chosen.append(index if size > 1 else 0)
    return tuple(chosen)


def with_margin(
    bounds: tuple[int, int, int, int], height: int, width: int
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int, int, int]]:
    """Rows and columns grown by one pixel where the array goes on, and the margin taken."""
    top, bottom, left, right = bounds
    margin = (int(top > 0), int(bottom < height), int(left > 0), int(right < width))
    rows = (top - margin[0], bottom + margin[1])
    columns = (left - margin[2], right + margin[3])
    return rows, columns, margin
