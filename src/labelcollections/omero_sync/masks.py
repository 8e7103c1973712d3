"""``masks``: a pushed label image as classic Mask ROIs or as Polygon ROIs (one ROI per
object), and such ROIs painted back into a label image."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import groupby
from typing import Literal

import dask.array as da
import numpy as np

from labelcollections.errors import ConflictError, InputError, NotFoundError
from labelcollections.omero.gateway import MaskShape, OmeroGateway, OmeroImage, Roi
from labelcollections.omero.masks import labels_from_masks, masks_from_labels
from labelcollections.omero.polygons import (
    PolygonShape,
    labels_from_polygons,
    polygons_from_labels,
)
from labelcollections.omero_sync.find import pushed_label
from labelcollections.omero_sync.mapping import TCZYX
from labelcollections.omero_sync.pixels import label_arrays
from labelcollections.omero_sync.rules import require_annotate
from labelcollections.omero_sync.undo import all_or_nothing

__all__ = ["SHAPE_KINDS", "ShapeKind", "from_masks", "to_masks"]

ShapeKind = Literal["mask", "polygon"]
"""The OMERO shape a label image's objects become: ``mask`` (one Mask per plane) or
``polygon`` (one Polygon per ring of the exact pixel-edge outline)."""
SHAPE_KINDS: dict[ShapeKind, str] = {"mask": "Mask", "polygon": "Polygon"}
"""Each shape kind's OMERO name."""
LABEL_DTYPE = np.uint32
"""The label image read back from ROIs: OMERO's widest unsigned pixel type."""


def to_masks(
    gateway: OmeroGateway, omero_image_id: int, label_reference: str, shape: ShapeKind = "mask"
) -> list[Roi]:
    """One ROI per object of a pushed label image, holding its Masks (one per plane) or its
    Polygons (one per ring: each piece's outline and each hole, on each plane).

    Each ROI is named by the object's stable instance id ``<label-image-id>:<value>`` and its
    shapes carry the schema's colour and class name. Refused (before writing) when the label
    image was converted to that shape already; if a server call fails part way, the ROIs made
    so far are deleted.
    """
    ref = gateway.get_image(omero_image_id)
    label, location = pushed_label(gateway, ref, label_reference)
    require_annotate(gateway, ref)
    prefix = f"{label.id}:"
    if any(
        (roi.name or "").startswith(prefix) and _shapes_of(roi, shape)
        for roi in gateway.rois(ref.id)
    ):
        raise ConflictError(
            label.key,
            f"{shape}s",
            f"a label image not yet converted to {SHAPE_KINDS[shape]}s on Image:{ref.id}",
        )
    # Read lazily: Masks are made one plane at a time, Polygons one chunk at a time.
    level0 = da.asarray(label_arrays(gateway, label, location)[0])  # type: ignore[no-untyped-call]
    # An axis of size 1 where the image has more is irrelevant: its shapes cover every index.
    names = [axis.name for axis in label.axes]
    irrelevant = [
        i
        for i, name in enumerate(names)
        if level0.shape[i] == 1 and ref.shape[TCZYX.index(name)] > 1
    ]
    labels = level0.squeeze(axis=tuple(irrelevant))
    axes = [name for i, name in enumerate(names) if i not in irrelevant]
    shapes: Sequence[MaskShape | PolygonShape] = (
        sorted(polygons_from_labels(labels, axes, label.label_schema), key=lambda s: s.label)
        if shape == "polygon"
        else masks_from_labels(labels, axes, label.label_schema)
    )
    rois = []
    with all_or_nothing(gateway) as undo:
        for value, group in groupby(shapes, key=lambda item: item.label):
            roi = gateway.create_roi(ref.id, list(group), label.instance_id(value))
            undo.created("Roi", roi.id)
            rois.append(roi)
    return rois


def from_masks(gateway: OmeroGateway, omero_image_id: int, shape: ShapeKind = "mask") -> np.ndarray:
    """A label image (TCZYX, uint32) painted from the Mask ROIs or the Polygon ROIs of an
    OMERO image.

    Its t, c and z sizes are the image's, or 1 along an axis no shape is pinned to. A ROI named
    ``<label-image-id>:<value>`` (as :func:`to_masks` writes) gets that value, any other ROI
    (one drawn in OMERO.iviewer, say) its rank by id among the ROIs read (1, 2, …, as
    omero-cli-zarr numbers them). Masks of different objects must not overlap; ROIs pointing
    at OME-Zarr labels (ExternalInfo) hold no pixels and are skipped. The Polygons of one ROI
    on one plane are filled with the even-odd rule (pixel centres inside), and where Polygon
    ROIs overlap, the later one wins.
    """
    ref = gateway.get_image(omero_image_id)
    rois = [
        roi
        for roi in sorted(gateway.rois(ref.id), key=lambda r: r.id)
        if _shapes_of(roi, shape) and roi.external_info is None
    ]
    if not rois:
        raise NotFoundError(f"Image:{ref.id}", "rois", f"ROIs with {SHAPE_KINDS[shape]} shapes")
    values = [_instance_value(roi.name) or rank for rank, roi in enumerate(rois, start=1)]
    if shape == "mask":
        masks = [
            replace(mask, label=value)
            for roi, value in zip(rois, values, strict=True)
            for mask in roi.masks
        ]
        return labels_from_masks(masks, _plane_shape(ref, masks), LABEL_DTYPE, TCZYX)
    return _fill_polygons(ref, rois, values)


def _fill_polygons(ref: OmeroImage, rois: Sequence[Roi], values: Sequence[int]) -> np.ndarray:
    """Fill each ROI's Polygons on its own (numbered by rank, so ROIs sharing a value are
    never filled together), then give each rank its value."""
    limit = int(np.iinfo(LABEL_DTYPE).max)
    polygons = []
    for rank, (roi, value) in enumerate(zip(rois, values, strict=True), start=1):
        if value > limit:
            raise InputError(f"Roi:{roi.id}", "name", f"an instance id with a value ≤ {limit}")
        for polygon in roi.polygons:
            polygon.vertices(f"Image:{ref.id}: Roi:{roi.id}")  # a drawn shape's error names it
            polygons.append(replace(polygon, label=rank))
    ranks = labels_from_polygons(polygons, _plane_shape(ref, polygons), LABEL_DTYPE, TCZYX)
    by_rank = np.array([0, *values], dtype=LABEL_DTYPE)
    filled: np.ndarray = by_rank[ranks]
    return filled


def _shapes_of(roi: Roi, shape: ShapeKind) -> tuple[MaskShape | PolygonShape, ...]:
    return roi.masks if shape == "mask" else roi.polygons


def _plane_shape(ref: OmeroImage, shapes: Sequence[MaskShape | PolygonShape]) -> list[int]:
    """The image's TCZYX sizes, with 1 along an axis no shape pins to an index (theT, theC,
    theZ unset on all of them)."""
    return [
        1 if name in "tcz" and all(getattr(s, name) is None for s in shapes) else size
        for name, size in zip(TCZYX, ref.shape, strict=True)
    ]


def _instance_value(name: str | None) -> int | None:
    """The label value of an instance id ``<label-image-id>:<value>``, if ``name`` is one."""
    _, colon, value = (name or "").rpartition(":")
    return int(value) if colon and value.isascii() and value.isdigit() and int(value) > 0 else None
