"""``masks``: a pushed label image as classic Mask ROIs (one ROI per object), and Mask ROIs
painted back into a label image."""

from __future__ import annotations

from dataclasses import replace
from itertools import groupby

import dask.array as da
import numpy as np

from labelcollections.errors import ConflictError, NotFoundError
from labelcollections.omero.gateway import MaskShape, OmeroGateway, Roi
from labelcollections.omero.masks import labels_from_masks, masks_from_labels
from labelcollections.omero_sync.find import pushed_label
from labelcollections.omero_sync.mapping import TCZYX
from labelcollections.omero_sync.pixels import label_arrays
from labelcollections.omero_sync.rules import require_annotate

__all__ = ["from_masks", "to_masks"]


def to_masks(gateway: OmeroGateway, omero_image_id: int, label_reference: str) -> list[Roi]:
    """One ROI per object of a pushed label image, holding its Masks (one per plane).

    Each ROI is named by the object's stable instance id ``<label-image-id>:<value>`` and its
    Masks carry the schema's colour and class name. Refused (before writing) when the label
    image was converted already.
    """
    ref = gateway.get_image(omero_image_id)
    label, location = pushed_label(gateway, ref, label_reference)
    require_annotate(gateway, ref)
    prefix = f"{label.id}:"
    if any((roi.name or "").startswith(prefix) for roi in gateway.rois(ref.id)):
        raise ConflictError(
            label.key, "masks", f"a label image not yet converted to Masks on Image:{ref.id}"
        )
    # Read lazily: the Masks are made one plane at a time.
    level0 = da.asarray(label_arrays(gateway, label, location)[0])  # type: ignore[no-untyped-call]
    # An axis of size 1 where the image has more is irrelevant: its Masks cover every index.
    names = [axis.name for axis in label.axes]
    irrelevant = [
        i
        for i, name in enumerate(names)
        if level0.shape[i] == 1 and ref.shape[TCZYX.index(name)] > 1
    ]
    shapes = masks_from_labels(
        level0.squeeze(axis=tuple(irrelevant)),
        [name for i, name in enumerate(names) if i not in irrelevant],
        label.label_schema,
    )
    return [
        gateway.create_roi(ref.id, list(masks), label.instance_id(value))
        for value, masks in groupby(shapes, key=lambda shape: shape.label)
    ]


def from_masks(gateway: OmeroGateway, omero_image_id: int) -> np.ndarray:
    """A label image (TCZYX, uint32) painted from the Mask ROIs of an OMERO image.

    Its t, c and z sizes are the image's, or 1 along an axis no Mask is pinned to. A ROI named
    ``<label-image-id>:<value>`` (as :func:`to_masks` writes) gets that value, any other ROI
    its rank by id (1, 2, …, as omero-cli-zarr numbers them). ROIs pointing at OME-Zarr labels
    (ExternalInfo) hold no pixels and are skipped.
    """
    ref = gateway.get_image(omero_image_id)
    rois = [roi for roi in gateway.rois(ref.id) if roi.external_info is None and roi.masks]
    if not rois:
        raise NotFoundError(f"Image:{ref.id}", "rois", "ROIs with Mask shapes")
    shapes: list[MaskShape] = []
    for rank, roi in enumerate(sorted(rois, key=lambda r: r.id), start=1):
        value = _instance_value(roi.name) or rank
        shapes.extend(replace(mask, label=value) for mask in roi.masks)
    # An axis no Mask pins to an index (theT, theC, theZ unset) has size 1 in the result.
    shape = [
        1 if name in "tcz" and all(getattr(m, name) is None for m in shapes) else size
        for name, size in zip(TCZYX, ref.shape, strict=True)
    ]
    return labels_from_masks(shapes, shape, np.uint32, TCZYX)


def _instance_value(name: str | None) -> int | None:
    """The label value of an instance id ``<label-image-id>:<value>``, if ``name`` is one."""
    _, colon, value = (name or "").rpartition(":")
    return int(value) if colon and value.isdigit() and int(value) > 0 else None
