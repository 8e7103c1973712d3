"""Reading a label image's pixels back from OMERO: an Image's planes (``upload``) or the
OME-Zarr label a ROI's ExternalInfo points at (``zarr``), checked against the recorded hash."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np

from labelcollections.errors import InputError
from labelcollections.model.images import LabelImage
from labelcollections.omero.gateway import OmeroGateway, OmeroImage
from labelcollections.omero_sync.mapping import NGFF_ENTITY_TYPE, LabelLocation, from_tczyx
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.locations import normalise
from labelcollections.storage.ome_zarr_store import ImageStore
from labelcollections.storage.pyramid import downsample_labels

__all__ = ["TILE", "check_hash", "label_arrays", "read_pixels"]

TILE = 2048
"""Pixels are read from OMERO in tiles of at most TILE × TILE (below any server's plane limit)."""


def read_pixels(gateway: OmeroGateway, image: OmeroImage) -> np.ndarray:
    """All pixels of an OMERO image (TCZYX), read tile by tile."""
    data = np.empty(image.shape, dtype=image.dtype)
    for t in range(image.size_t):
        for c in range(image.size_c):
            for z in range(image.size_z):
                for y in range(0, image.size_y, TILE):
                    for x in range(0, image.size_x, TILE):
                        width = min(TILE, image.size_x - x)
                        height = min(TILE, image.size_y - y)
                        data[t, c, z, y : y + height, x : x + width] = gateway.read_plane(
                            image.id, z, c, t, (x, y, width, height)
                        )
    return data


def label_arrays(gateway: OmeroGateway, label: LabelImage, location: LabelLocation) -> list[Any]:
    """Every level of a pushed label image, level 0 checked against its recorded hash."""
    where = f"{location.kind}:{location.object_id}"
    if not label.levels:
        raise InputError(where, "label.levels", "a label image with pixel levels (pushed by us)")
    if location.kind == "Image":
        pixels = read_pixels(gateway, gateway.get_image(location.object_id))
        level0 = from_tczyx(pixels, [axis.name for axis in label.axes])
        arrays = [level0]
        for level in label.levels[1:]:
            arrays.append(downsample_labels(arrays[-1], level.shape, label.downsampling))
    else:
        arrays = _zarr_label_arrays(gateway, label, location)
    check_hash(where, arrays[0], label.provenance.content_hash)
    return arrays


def check_hash(where: str, pixels: Any, recorded: str | None) -> None:
    """Pixels read back must hash to what was recorded when they were made."""
    if recorded is not None and (actual := content_hash(pixels)) != recorded:
        raise InputError(where, "pixels", f"pixels hashing to {recorded} (got {actual})")


def _zarr_label_arrays(
    gateway: OmeroGateway, label: LabelImage, location: LabelLocation
) -> list[Any]:
    ref_id = location.ref_image_id
    if ref_id is None:
        raise InputError(f"Roi:{location.object_id}", "omero.ref_image_id", "a value")
    rois = [r for r in gateway.rois(ref_id) if r.id == location.object_id]
    info = rois[0].external_info if rois else None
    if info is None or info.entity_type != NGFF_ENTITY_TYPE:
        raise InputError(
            f"Roi:{location.object_id}",
            "externalInfo",
            f"a Mask with entityType {NGFF_ENTITY_TYPE}",
        )
    uri = info.lsid
    location_text = unquote(urlsplit(uri).path) if uri.startswith("file://") else uri
    store = ImageStore.open(normalise(location_text))
    return [np.asarray(store.array(level.path)[...]) for level in label.levels]
