"""Outlines: objects as polygons with holes, in flat arrays (GeoArrow's layout).

Vertices of all rings sit in one array, cut into rings, polygons and objects by offset arrays,
so millions of vertices cost a few arrays rather than millions of Python objects; shapely
geometries are built from them in one vectorised call when needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely


@dataclass(frozen=True)
class Outlines:
    """Objects as polygons with holes, in pixel units.

    ``coords`` holds (x, y) vertices, every ring closed (its first vertex repeated last).
    Ring ``r`` is ``coords[ring_offsets[r]:ring_offsets[r + 1]]``; polygon ``p`` is rings
    ``polygon_offsets[p]:polygon_offsets[p + 1]``, the first its shell (counter-clockwise in
    (x, y), positive area), the others its holes (clockwise); object ``o`` is polygons
    ``object_offsets[o]:object_offsets[o + 1]``, with label value ``labels[o]`` on plane
    ``planes[o]``. Traced outlines have integer vertices on pixel corners, objects sorted by
    plane, then label value, and polygons and rings by their top-left vertex.
    """

    coords: np.ndarray
    ring_offsets: np.ndarray
    polygon_offsets: np.ndarray
    object_offsets: np.ndarray
    labels: np.ndarray
    planes: np.ndarray

    @classmethod
    def from_polygons(
        cls,
        objects: Sequence[Sequence[Sequence[np.ndarray]]],
        labels: np.ndarray,
        planes: np.ndarray,
    ) -> Outlines:
        """Outlines of objects given as polygons, each a sequence of closed rings of (x, y)
        positions (shell first), with each object's label value and plane."""
        polygons = [polygon for found in objects for polygon in found]
        rings = [ring for polygon in polygons for ring in polygon]
        coords = np.concatenate(rings) if rings else np.zeros((0, 2))
        return cls(
            coords=coords,
            ring_offsets=offsets(np.array([len(ring) for ring in rings], dtype=np.int64)),
            polygon_offsets=offsets(np.array([len(p) for p in polygons], dtype=np.int64)),
            object_offsets=offsets(np.array([len(found) for found in objects], dtype=np.int64)),
            labels=np.asarray(labels),
            planes=np.asarray(planes, dtype=np.int64),
        )

    @classmethod
    def from_geometries(
        cls, geometries: np.ndarray, labels: np.ndarray, planes: np.ndarray
    ) -> Outlines:
        """Outlines of shapely Polygons and MultiPolygons (shells made counter-clockwise)."""
        if not len(geometries):
            zero = np.zeros(1, dtype=np.int64)
            return cls(np.zeros((0, 2)), zero, zero, zero, labels, planes)
        oriented = shapely.orient_polygons(geometries)
        _, coords, (ring_offsets, polygon_offsets, object_offsets) = shapely.to_ragged_array(
            oriented, include_z=False
        )
        return cls(
            coords=coords,
            ring_offsets=ring_offsets.astype(np.int64),
            polygon_offsets=polygon_offsets.astype(np.int64),
            object_offsets=object_offsets.astype(np.int64),
            labels=labels,
            planes=planes,
        )

    def __len__(self) -> int:
        return int(self.labels.size)

    def polygon_counts(self) -> np.ndarray:
        """The number of polygons (pieces) of each object."""
        return np.diff(self.object_offsets)

    def geometries(self) -> np.ndarray:
        """One shapely geometry per object: a Polygon, or a MultiPolygon for several pieces."""
        if not len(self):
            return np.zeros(0, dtype=object)
        rings = shapely_array(shapely.linearrings(self.coords, indices=owners(self.ring_offsets)))
        polygons = shapely_array(shapely.polygons(rings, indices=owners(self.polygon_offsets)))
        multi = shapely_array(shapely.multipolygons(polygons, indices=owners(self.object_offsets)))
        single = polygons[self.object_offsets[:-1]]
        chosen: np.ndarray = np.where(self.polygon_counts() == 1, single, multi)
        return chosen

    def select(self, keep: np.ndarray) -> Outlines:
        """The objects where ``keep`` (a boolean per object) holds."""
        per_object = np.diff(self.object_offsets)
        per_polygon = np.diff(self.polygon_offsets)
        per_ring = np.diff(self.ring_offsets)
        polygons = np.repeat(keep, per_object)
        rings = np.repeat(polygons, per_polygon)
        return Outlines(
            coords=self.coords[np.repeat(rings, per_ring)],
            ring_offsets=offsets(per_ring[rings]),
            polygon_offsets=offsets(per_polygon[polygons]),
            object_offsets=offsets(per_object[keep]),
            labels=self.labels[keep],
            planes=self.planes[keep],
        )


def shapely_array(geometries: Any) -> np.ndarray:
    """Shapely's vectorised constructors' result as an object array (their stubs say a
    geometry or an array)."""
    return np.asarray(geometries, dtype=object)


def owners(bounds: np.ndarray) -> np.ndarray:
    """For the offsets ``bounds`` of groups, the group index of each member."""
    return np.repeat(np.arange(bounds.size - 1), np.diff(bounds))


def offsets(counts: np.ndarray) -> np.ndarray:
    """The offsets of groups of ``counts`` members (one more than there are groups)."""
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
