"""Label images as OMERO Mask shapes, and back.

A Mask stores one bit per pixel of its bounding box, packed row-major with ``numpy.packbits``;
``MaskShape`` keeps exactly those bytes so they can be handed to ``omero.model.MaskI`` unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from labelcollections.errors import InputError
from labelcollections.model.geometry import ngff_axis_order
from labelcollections.model.label_schema import LabelSchema


@dataclass(frozen=True, kw_only=True)
class MaskShape:
    """One label value on one plane, as an OMERO Mask would hold it.

    ``x``/``y``/``width``/``height`` are the bounding box in pixels, ``bytes`` the packed bits of
    the boolean mask over that box, ``fill_color`` OMERO's signed RGBA integer.
    """

    label: int
    x: int
    y: int
    width: int
    height: int
    bytes: bytes
    z: int | None = None
    t: int | None = None
    c: int | None = None
    fill_color: int | None = None
    text: str | None = None


PLANE_AXES = ("t", "c", "z")
"""Axes a Mask pins to one index (``theT``, ``theC``, ``theZ``); ``None`` means every index."""
COMPACT_LIMIT = 1 << 24
"""Above this maximum value, labels are renumbered first: find_objects keeps one slot per value."""
BATCH_PIXELS = 1 << 22
"""Bounding-box pixels painted per vectorised step of :func:`labels_from_masks`."""
SOURCE = "masks"


def rgba_to_int(rgba: Sequence[int]) -> int:
    """OMERO's colour integer: RGBA packed big-endian into a signed 32-bit int."""
    red, green, blue, alpha = (int(channel) for channel in rgba)
    value = (red << 24) | (green << 16) | (blue << 8) | alpha
    return value - (1 << 32) if value >= 1 << 31 else value


def int_to_rgba(value: int) -> tuple[int, int, int, int]:
    """The (red, green, blue, alpha) of an OMERO colour integer."""
    unsigned = value & 0xFFFFFFFF
    return (unsigned >> 24, (unsigned >> 16) & 0xFF, (unsigned >> 8) & 0xFF, unsigned & 0xFF)


def masks_from_labels(
    labels: Any, axes: Sequence[str] = ("y", "x"), schema: LabelSchema | None = None
) -> list[MaskShape]:
    """One Mask per label value and plane, ordered by label value, then plane.

    ``labels`` is any array that slices (numpy, Zarr, dask); it is read one plane (one t, c, z
    index) at a time, so memory holds a plane, never the whole image. One pass over a plane
    finds the bounding box of every object on it; each object is then compared and packed
    inside its box only. The mask bytes equal ``omero_rois.masks_from_label_image`` on each
    plane. Colours and texts are the schema's colour and class name of each value.
    """
    order = _validated_axes(axes, len(labels.shape))
    if np.dtype(labels.dtype).kind not in "ui":
        raise InputError(SOURCE, "dtype", f"integer label values (got {labels.dtype})")
    plane_axes = tuple(axes[i] for i in order)[:-2]
    plane_shape = tuple(int(labels.shape[i]) for i in order[:-2])
    styles = _styles(schema)
    shapes: list[tuple[int, int, MaskShape]] = []
    for plane, position in enumerate(np.ndindex(*plane_shape)):
        where = {axis: int(index) for axis, index in zip(plane_axes, position, strict=True)}
        pixels = _read_plane(labels, axes, where)
        for label, y, x, mask in _objects(pixels):
            fill_color, text = styles.get(label, (None, None))
            shape = MaskShape(
                label=label,
                x=x,
                y=y,
                width=mask.shape[1],
                height=mask.shape[0],
                bytes=np.packbits(mask).tobytes(),
                z=where.get("z"),
                t=where.get("t"),
                c=where.get("c"),
                fill_color=fill_color,
                text=text,
            )
            shapes.append((label, plane, shape))
    shapes.sort(key=lambda item: (item[0], item[1]))
    return [shape for _, _, shape in shapes]


def _read_plane(labels: Any, axes: Sequence[str], plane: dict[str, int]) -> np.ndarray:
    """The (y, x) plane of ``labels`` at the given t, c, z indices."""
    selection = tuple(plane.get(axis, slice(None)) for axis in axes)
    pixels = np.asarray(labels[selection])
    if list(axes).index("x") < list(axes).index("y"):
        pixels = pixels.T
    if pixels.dtype.kind == "i" and pixels.size and pixels.min() < 0:
        raise InputError(SOURCE, "labels", "label values of at least 0")
    return pixels


def _objects(plane: np.ndarray) -> Iterator[tuple[int, int, int, np.ndarray]]:
    """(label, y, x, tight boolean mask) of every object on one plane."""
    if plane.size == 0:
        return
    values, compact = _compact(plane)
    for index, box in enumerate(ndimage.find_objects(compact), start=1):
        if box is None:
            continue
        label = int(values[index]) if values is not None else index
        rows, columns = box
        yield label, rows.start, columns.start, compact[box] == index


def labels_from_masks(
    shapes: Sequence[MaskShape],
    shape: Sequence[int],
    dtype: npt.DTypeLike,
    axes: Sequence[str] = ("y", "x"),
) -> np.ndarray:
    """Paint Masks into a label image of ``shape`` (axes ``axes``) with each Mask's label value.

    A Mask without a t, c or z index covers every index of that axis, as in OMERO. Masks of
    different values must not overlap. Painting is vectorised over batches of Masks.
    """
    order = _validated_axes(axes, len(shape))
    ngff_shape = tuple(int(shape[i]) for i in order)
    label_dtype = np.dtype(dtype)
    if label_dtype.kind not in "ui":
        raise InputError(SOURCE, "dtype", f"an integer data type (got {label_dtype})")
    plane_axes = tuple(axes[i] for i in order)[:-2]
    plane_shape = ngff_shape[:-2]
    table = _shape_table(shapes, plane_axes, plane_shape, ngff_shape[-2:], label_dtype)
    output = np.zeros(ngff_shape, dtype=label_dtype)
    flat = output.reshape(-1)
    areas = table["width"] * table["height"]
    batch = np.cumsum(areas) // BATCH_PIXELS
    bounds = [0, *(np.flatnonzero(np.diff(batch)) + 1).tolist(), len(table["label"])]
    for start, stop in itertools.pairwise(bounds):
        _paint(flat, shapes, table, slice(start, stop), ngff_shape[-2:])
    return np.ascontiguousarray(np.transpose(output, np.argsort(order)))


def _validated_axes(axes: Sequence[str], ndim: int) -> list[int]:
    """The NGFF transposition of ``axes``, which must name every dimension."""
    order = ngff_axis_order(axes, SOURCE)
    if len(axes) != ndim:
        raise InputError(SOURCE, "axes", f"one axis per dimension ({ndim}, got {''.join(axes)!r})")
    return order


def _compact(stack: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Renumber sparse large values 1..n (returning the original values by new number)."""
    if int(stack.max()) <= COMPACT_LIMIT:
        return None, stack
    values, inverse = np.unique(stack, return_inverse=True)
    if values[0] != 0:
        values = np.concatenate([np.zeros(1, values.dtype), values])
        inverse = inverse + 1
    return values, inverse.reshape(stack.shape)


def _styles(schema: LabelSchema | None) -> dict[int, tuple[int | None, str | None]]:
    """Fill colour and text of each value the schema lists."""
    if schema is None:
        return {}
    return {
        c.value: (None if c.color is None else rgba_to_int(c.color), c.name) for c in schema.classes
    }


def _shape_table(
    shapes: Sequence[MaskShape],
    plane_axes: tuple[str, ...],
    plane_shape: tuple[int, ...],
    yx_shape: tuple[int, ...],
    dtype: np.dtype[Any],
) -> dict[str, np.ndarray]:
    """Columns of the Masks, checked against the image; unset plane indices expanded."""
    info = np.iinfo(dtype)
    labels = [s.label for s in shapes]
    fits = np.array([not 0 < label <= info.max for label in labels], dtype=bool)
    _raise_first(fits, "label", f"a label value in 1..{info.max}")
    columns: dict[str, np.ndarray] = {
        name: np.array([getattr(s, name) for s in shapes], dtype=np.int64).reshape(-1)
        for name in ("x", "y", "width", "height")
    }
    columns["label"] = np.array(labels, dtype=dtype).reshape(-1)
    columns["source"] = np.arange(len(shapes))
    columns["bytes"] = np.array([len(s.bytes) for s in shapes], dtype=np.int64).reshape(-1)
    checks = (
        ("x", (columns["x"] < 0) | (columns["width"] < 0), "a box with x, width ≥ 0"),
        ("y", (columns["y"] < 0) | (columns["height"] < 0), "a box with y, height ≥ 0"),
        ("width", columns["x"] + columns["width"] > yx_shape[1], f"x + width ≤ {yx_shape[1]}"),
        ("height", columns["y"] + columns["height"] > yx_shape[0], f"y + height ≤ {yx_shape[0]}"),
        (
            "bytes",
            columns["bytes"] * 8 < columns["width"] * columns["height"],
            "one bit per pixel of the box",
        ),
    )
    for field, bad, expected in checks:
        _raise_first(bad, field, expected)
    for axis in PLANE_AXES:
        index = np.array(
            [-1 if getattr(s, axis) is None else getattr(s, axis) for s in shapes], dtype=np.int64
        ).reshape(-1)
        size = plane_shape[plane_axes.index(axis)] if axis in plane_axes else 1
        _raise_first((index < -1) | (index >= size), axis, f"an index below {size} or none")
        columns[axis] = index
    for axis, size in zip(plane_axes, plane_shape, strict=True):
        unset = columns[axis] == -1
        repeats = np.where(unset, size, 1)
        columns = {name: np.repeat(column, repeats) for name, column in columns.items()}
        unset = np.repeat(unset, repeats)
        starts = np.cumsum(repeats) - repeats
        positions = np.arange(len(unset)) - np.repeat(starts, repeats)
        columns[axis] = np.where(unset, positions, columns[axis])
    plane = np.zeros(len(columns["label"]), dtype=np.int64)
    for axis, size in zip(plane_axes, plane_shape, strict=True):
        plane = plane * size + columns[axis]
    columns["plane"] = plane
    return columns


def _raise_first(bad: np.ndarray, field: str, expected: str) -> None:
    """An InputError naming the first Mask where ``bad`` holds."""
    if bad.any():
        raise InputError(SOURCE, f"shapes[{int(np.argmax(bad))}].{field}", expected)


def _paint(
    flat: np.ndarray,
    shapes: Sequence[MaskShape],
    table: dict[str, np.ndarray],
    rows: slice,
    yx_shape: tuple[int, ...],
) -> None:
    """Write one batch of Masks into the flat label array, refusing overlaps."""
    part = {name: column[rows] for name, column in table.items()}
    packed = np.frombuffer(b"".join(shapes[i].bytes for i in part["source"].tolist()), np.uint8)
    bits = np.unpackbits(packed)
    bit_starts = 8 * (np.cumsum(part["bytes"]) - part["bytes"])
    areas = part["width"] * part["height"]
    owner = np.repeat(np.arange(len(areas)), areas)
    local = np.arange(int(areas.sum())) - np.repeat(np.cumsum(areas) - areas, areas)
    on = bits[bit_starts[owner] + local].astype(bool)
    owner, local = owner[on], local[on]
    width = part["width"][owner]
    rows_, columns = part["y"][owner] + local // width, part["x"][owner] + local % width
    index = (part["plane"][owner] * yx_shape[0] + rows_) * yx_shape[1] + columns
    values = part["label"][owner]
    before = flat[index]
    clash = (before != 0) & (before != values)
    flat[index] = values
    clash |= flat[index] != values
    if clash.any():
        pixel = index[int(np.argmax(clash))]
        last = int(part["source"][owner[index == pixel]].max())
        raise InputError(SOURCE, f"shapes[{last}]", "masks of different labels not overlapping")
