"""Label images as OMERO Polygon shapes, and back.

An OMERO Polygon is one closed ring, its vertices in ``points`` as ``"x1,y1 x2,y2 …"`` (the
first vertex not repeated). An object becomes one ROI (``label``) holding one Polygon per ring
of its exact pixel-edge outline on each plane: a shell per piece and a Polygon per hole, each
hole lying inside its shell. Reading, the Polygons of one ROI on one plane are filled with the
even-odd rule (a pixel belongs to the object when its centre lies inside an odd number of
them), which gives the label image back bit for bit and fills a single drawn Polygon as
OMERO.iviewer shows it. Where ROIs overlap, the one listed later wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from labelcollections.errors import InputError
from labelcollections.formats.coordinates import pair_text
from labelcollections.model.geometry import ngff_axis_order
from labelcollections.model.label_schema import LabelSchema
from labelcollections.omero.masks import PLANE_AXES, rgba_to_int
from labelcollections.polygons import Outlines, trace_outlines
from labelcollections.polygons.outlines import owners
from labelcollections.polygons.rasterise import rasterise

__all__ = ["PolygonShape", "labels_from_polygons", "polygons_from_labels"]

SOURCE = "polygons"
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True, kw_only=True)
class PolygonShape:
    """One ring of one object (ROI ``label``) on one plane, as an OMERO Polygon holds it.

    ``hole`` marks the rings that cut holes (drawn with a transparent fill); ``fill_color``
    and ``stroke_color`` are OMERO's signed RGBA integers, ``text`` the class name.
    """

    label: int
    points: str
    hole: bool = False
    z: int | None = None
    t: int | None = None
    c: int | None = None
    fill_color: int | None = None
    stroke_color: int | None = None
    text: str | None = None

    def vertices(self, source: str = SOURCE) -> np.ndarray:
        """The ring's (x, y) vertices, closed (the first repeated last)."""
        numbers = NUMBER.findall(self.points)
        if len(numbers) % 2 or len(numbers) < 6:
            raise InputError(source, "points", "'x1,y1 x2,y2 x3,y3 …' with at least 3 vertices")
        pairs = np.array(numbers, dtype=np.float64).reshape(-1, 2)
        return np.concatenate([pairs, pairs[:1]])


def polygons_from_labels(
    labels: np.ndarray, axes: Sequence[str] = ("y", "x"), schema: LabelSchema | None = None
) -> list[PolygonShape]:
    """The Polygons of every object, ordered by plane, then label value, then ring (each
    piece's shell, then its holes). Colours and texts are the schema's class colour and name;
    holes get the class colour with a transparent fill."""
    order = ngff_axis_order(axes, SOURCE)
    if len(axes) != labels.ndim:
        raise InputError(SOURCE, "axes", f"one axis per dimension ({labels.ndim})")
    if labels.dtype.kind not in "ui":
        raise InputError(SOURCE, "dtype", f"integer label values (got {labels.dtype})")
    ngff = np.transpose(labels, order)
    plane_axes = [axes[i] for i in order][:-2]
    outlines = trace_outlines(ngff)
    styles = {c.value: c for c in (schema.classes if schema else ())}
    ring_texts = _ring_texts(outlines)
    holes = np.ones(len(ring_texts), dtype=bool)
    holes[outlines.polygon_offsets[:-1]] = False
    ring_object = owners(outlines.object_offsets)[owners(outlines.polygon_offsets)]
    shapes = []
    for text, hole, owner in zip(ring_texts, holes, ring_object.tolist(), strict=True):
        label = int(outlines.labels[owner])
        where = dict(
            zip(plane_axes, np.unravel_index(outlines.planes[owner], ngff.shape[:-2]), strict=True)
        )
        style = styles.get(label)
        color = None if style is None or style.color is None else style.color
        shapes.append(
            PolygonShape(
                label=label,
                points=text,
                hole=bool(hole),
                z=_index(where.get("z")),
                t=_index(where.get("t")),
                c=_index(where.get("c")),
                fill_color=None
                if color is None
                else rgba_to_int((*color[:3], 0) if hole else color),
                stroke_color=None if color is None else rgba_to_int(color),
                text=None if style is None else style.name,
            )
        )
    return shapes


def _ring_texts(outlines: Outlines) -> list[str]:
    """OMERO ``points`` of every ring (without the repeated closing vertex)."""
    ends = outlines.ring_offsets[1:] - 1
    keep = np.ones(len(outlines.coords), dtype=bool)
    keep[ends] = False
    text, offsets = pair_text(outlines.coords[keep], before=b"", between=b",", after=b" ")
    decoded = text.decode("ascii")
    starts = outlines.ring_offsets[:-1] - np.arange(ends.size)
    stops = ends - np.arange(ends.size)
    return [
        decoded[offsets[start] : offsets[stop] - 1]
        for start, stop in zip(starts.tolist(), stops.tolist(), strict=True)
    ]


def _index(value: np.integer[Any] | None) -> int | None:
    return None if value is None else int(value)


def labels_from_polygons(
    shapes: Sequence[PolygonShape],
    shape: Sequence[int],
    dtype: npt.DTypeLike,
    axes: Sequence[str] = ("y", "x"),
) -> np.ndarray:
    """Fill Polygons into a label image of ``shape`` (axes ``axes``) with each ROI's label.

    A Polygon without a t, c or z index lies on every index of that axis, as in OMERO.
    """
    order = ngff_axis_order(axes, SOURCE)
    if len(axes) != len(shape):
        raise InputError(SOURCE, "axes", f"one axis per dimension ({len(shape)})")
    label_dtype = np.dtype(dtype)
    if label_dtype.kind not in "ui":
        raise InputError(SOURCE, "dtype", f"an integer data type (got {label_dtype})")
    ngff_shape = tuple(int(shape[i]) for i in order)
    plane_axes = [axes[i] for i in order][:-2]
    sizes = dict(zip(plane_axes, ngff_shape[:-2], strict=True))
    groups: dict[tuple[int, int], list[np.ndarray]] = {}
    limit = int(np.iinfo(label_dtype).max)
    for index, polygon in enumerate(shapes):
        where = f"shapes[{index}]"
        if not 0 < polygon.label <= limit:
            raise InputError(SOURCE, f"{where}.label", f"a label value in 1..{limit}")
        ring = polygon.vertices(f"{SOURCE}: {where}")
        for plane in _planes(polygon, plane_axes, sizes, where):
            groups.setdefault((plane, polygon.label), []).append(ring)
    keys = list(groups)
    outlines = Outlines.from_polygons(
        [[groups[key]] for key in keys],
        np.array([label for _, label in keys], dtype=np.uint64),
        np.array([plane for plane, _ in keys], dtype=np.int64),
    )
    filled = rasterise(outlines, ngff_shape, label_dtype)
    return np.ascontiguousarray(np.transpose(filled, np.argsort(order)))


def _planes(
    polygon: PolygonShape, plane_axes: Sequence[str], sizes: dict[str, int], where: str
) -> list[int]:
    """The C-order numbers of the planes a Polygon lies on (unset indices: all of them)."""
    choices = []
    for axis in PLANE_AXES:
        index = getattr(polygon, axis)
        size = sizes.get(axis, 1)
        if index is not None and not 0 <= index < size:
            raise InputError(SOURCE, f"{where}.{axis}", f"an index below {size} or none")
    for axis in plane_axes:
        index = getattr(polygon, axis)
        choices.append(range(sizes[axis]) if index is None else [index])
    numbers = np.arange(int(np.prod([sizes[axis] for axis in plane_axes]))).reshape(
        [sizes[axis] for axis in plane_axes]
    )
    return [int(n) for n in numbers[np.ix_(*choices)].reshape(-1)] if plane_axes else [0]
