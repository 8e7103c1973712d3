"""Linking corners into rings and rings into polygons: the exact outline of every object.

Along a horizontal grid line, the corners of one value sorted by x pair up as the two ends of
each horizontal edge; along a vertical line, sorted by y, as the ends of each vertical edge. A
corner's successor on its ring is its partner along the edge it leaves by, so two orderings
(16-bit radix passes, see :mod:`.ordering`) link every ring of every object at once. The rings
are then read in order with one depth-first walk (scipy's ``csgraph``) over all of them chained
together, which costs one step per corner.

Where two diagonal pixels carry a value, each corner first turns around its own pixel. That is
right when the two pixels belong to different pieces of the object; when they belong to the
same piece the ring would touch itself, which is not a valid polygon. Such corners are found
(both on one ring) and swap their vertical edges, which splits the ring into an outer ring and a
hole touching at that point, as OGC Simple Features (and shapely's ``is_valid``) want.

Rings with a positive area are outer rings (shells), the others holes. A hole belongs to the
only shell of its object when there is one (the common case); otherwise to the smallest shell of
its object containing it, found with a shapely ``STRtree``.

Hand-written rather than delegated to GEOS: polygonising each object's edges with GEOS costs
more than tracing the whole image here, and pixel-edge outlines need no floating point at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sparse
import shapely
from scipy.sparse.csgraph import connected_components, depth_first_order

from labelcollections.polygons.corners import DOWN, LEAVES_HORIZONTALLY, Corners
from labelcollections.polygons.ordering import stable_order
from labelcollections.polygons.outlines import Outlines, offsets, shapely_array


def _walk(successor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The corners ring by ring (each from its smallest corner, rings in that corner's order)
    and where each ring starts in that sequence."""
    size = successor.size
    graph = sparse.csr_matrix(
        (np.ones(size, dtype=np.int8), successor, np.arange(size + 1)), shape=(size, size)
    )
    # Each corner has one successor and one predecessor: the strong components are the rings.
    count, ring = connected_components(graph, directed=True, connection="strong")
    roots = np.full(count, size, dtype=np.int64)
    np.minimum.at(roots, ring, np.arange(size))
    roots.sort()
    predecessor = np.empty(size, dtype=np.int64)
    predecessor[successor] = np.arange(size)
    chained = successor.copy()
    chained[predecessor[roots]] = np.roll(roots, -1)
    path = sparse.csr_matrix(
        (np.ones(size, dtype=np.int8), chained, np.arange(size + 1)), shape=(size, size)
    )
    order = depth_first_order(path, int(roots[0]), directed=True, return_predecessors=False)
    is_root = np.zeros(size, dtype=bool)
    is_root[roots] = True
    return order.astype(np.int64), np.flatnonzero(is_root[order])


def link_rings(corners: Corners) -> Outlines:
    """The outlines of all objects whose corners are ``corners`` (see the module docstring),
    given line by line: within each plane by y, then x, the corner whose horizontal edge lies
    left first (as :func:`.scan.scan_corners` gives them)."""
    if corners.size == 0:
        zero = np.zeros(1, dtype=np.int64)
        return Outlines(
            np.zeros((0, 2), np.int64), zero, zero, zero, corners.labels[:0], corners.planes[:0]
        )
    # Hashing (pandas) rather than sorting every corner's value: only distinct values are sorted.
    codes, distinct = pd.factorize(corners.labels, sort=True)
    values, value_index = np.asarray(distinct, dtype=corners.labels.dtype), codes.astype(np.int64)
    # Corners come by line (y, then x); sorting by value keeps that order within each value.
    along = stable_order([corners.planes, value_index])
    planes, index = corners.planes[along], value_index[along]
    ys, xs, kinds = corners.ys[along], corners.xs[along], corners.kinds[along]
    size = kinds.size
    horizontal = np.arange(size) ^ 1
    # Sorted by x (stably, so y stays sorted), then by value: the order along vertical lines.
    down = stable_order([planes, index], stable_order([xs]))
    # Two corners at one point: the one whose vertical edge lies above comes first.
    first, second = down[:-1], down[1:]
    twins = np.flatnonzero(
        (ys[first] == ys[second])
        & (xs[first] == xs[second])
        & (index[first] == index[second])
        & (planes[first] == planes[second])
        & ((kinds[first] & DOWN) != 0)
    )
    down[twins], down[twins + 1] = down[twins + 1], down[twins].copy()
    upper, lower = down[0::2], down[1::2]
    vertical = _partners(upper, lower)
    leaves_horizontally = (kinds & LEAVES_HORIZONTALLY) != 0
    order, starts = _walk(np.where(leaves_horizontally, horizontal, vertical))

    # Diagonal pixels of one piece: both corners at the point lie on one ring; they swap their
    # vertical edges (every such point at once, whichever edges join two of them) so the ring
    # splits there.
    twins = np.flatnonzero(
        (planes[1:] == planes[:-1])
        & (index[1:] == index[:-1])
        & (ys[1:] == ys[:-1])
        & (xs[1:] == xs[:-1])
    )
    if twins.size:
        begins = np.zeros(size, dtype=np.int64)
        begins[starts] = 1
        ring = np.empty(size, dtype=np.int64)
        ring[order] = np.cumsum(begins) - 1
        first = twins[ring[twins] == ring[twins + 1]]
        if first.size:
            twin = np.arange(size)
            twin[first], twin[first + 1] = first + 1, first
            vertical = _partners(twin[upper], twin[lower])
            order, starts = _walk(np.where(leaves_horizontally, horizontal, vertical))
    return _polygons(order, starts, xs, ys, planes, index, values)


def _partners(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Each corner's partner along its vertical edge, the edges given by their two ends."""
    partner = np.empty(upper.size + lower.size, dtype=np.int64)
    partner[upper] = lower
    partner[lower] = upper
    return partner


def _polygons(
    order: np.ndarray,
    starts: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    planes: np.ndarray,
    index: np.ndarray,
    values: np.ndarray,
) -> Outlines:
    """Group the rings (corners ``order``, ring ``starts``) into polygons and objects."""
    x, y = xs[order], ys[order]
    lengths = np.diff(np.append(starts, order.size))
    following = np.arange(order.size) + 1
    following[starts + lengths - 1] = starts
    area = np.add.reduceat(x * y[following] - x[following] * y, starts)
    roots = order[starts]
    changes = (planes[roots][1:] != planes[roots][:-1]) | (index[roots][1:] != index[roots][:-1])
    ring_object = np.concatenate([[0], np.cumsum(changes)])
    shell = area > 0
    parent = _parents(shell, ring_object, area, x[starts], y[starts], x, y, starts, lengths)
    ring_sequence = np.lexsort((np.arange(starts.size), parent))
    closed = lengths[ring_sequence] + 1
    ring_offsets = offsets(closed)
    source = np.repeat(starts[ring_sequence] - ring_offsets[:-1], closed) + np.arange(
        int(ring_offsets[-1])
    )
    last = ring_offsets[1:] - 1
    source[last] = starts[ring_sequence]
    coords = np.stack([x[source], y[source]], axis=1)
    ordered_parent = parent[ring_sequence]
    new_polygon = np.concatenate([[True], ordered_parent[1:] != ordered_parent[:-1]])
    polygon_offsets = np.append(np.flatnonzero(new_polygon), ring_sequence.size)
    polygon_object = ring_object[ring_sequence][new_polygon]
    new_object = np.concatenate([[True], polygon_object[1:] != polygon_object[:-1]])
    object_offsets = np.append(np.flatnonzero(new_object), polygon_object.size)
    object_roots = roots[ring_sequence][polygon_offsets[:-1]][new_object]
    return Outlines(
        coords=coords,
        ring_offsets=ring_offsets,
        polygon_offsets=polygon_offsets.astype(np.int64),
        object_offsets=object_offsets.astype(np.int64),
        labels=values[index[object_roots]],
        planes=planes[object_roots],
    )


def _parents(
    shell: np.ndarray,
    ring_object: np.ndarray,
    area: np.ndarray,
    root_x: np.ndarray,
    root_y: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
) -> np.ndarray:
    """The shell ring each ring belongs to (a shell to itself)."""
    rings = np.arange(shell.size)
    parent = rings.copy()
    objects = int(ring_object[-1]) + 1
    shells_per_object = np.bincount(ring_object[shell], minlength=objects)
    last_shell = np.full(objects, -1, dtype=np.int64)
    np.maximum.at(last_shell, ring_object[shell], rings[shell])
    holes = ~shell
    single = holes & (shells_per_object[ring_object] == 1)
    parent[single] = last_shell[ring_object[single]]
    several = np.flatnonzero(holes & ~single)
    if several.size:
        candidates = np.flatnonzero(shell & (shells_per_object[ring_object] > 1))
        members = _members(starts[candidates], lengths[candidates])
        polygons = shapely_array(
            shapely.polygons(
                shapely.linearrings(
                    np.stack([x[members], y[members]], axis=1),
                    indices=np.repeat(np.arange(candidates.size), lengths[candidates]),
                )
            )
        )
        # The pixel below-right of a hole's top-left corner lies inside the hole.
        points = shapely.points(root_x[several] + 0.5, root_y[several] + 0.5)
        point, tree = shapely.STRtree(polygons).query(points, predicate="within")
        same = ring_object[several[point]] == ring_object[candidates[tree]]
        point, tree = point[same], tree[same]
        smallest = np.lexsort((area[candidates[tree]], point))
        point, tree = point[smallest], tree[smallest]
        first = np.concatenate([[True], point[1:] != point[:-1]])
        parent[several[point[first]]] = candidates[tree[first]]
    return parent


def _members(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions of the rings starting at ``starts`` with ``lengths``, one after another."""
    return np.repeat(starts - offsets(lengths)[:-1], lengths) + np.arange(int(lengths.sum()))
