"""``register-zarr``: record where an OMERO image is published as OME-Zarr."""

from __future__ import annotations

from datetime import UTC, datetime

from labelcollections.omero.gateway import MapAnnotation, OmeroGateway
from labelcollections.omero_sync.mapping import NS_NGFF
from labelcollections.omero_sync.rules import require_annotate, require_edit
from labelcollections.storage.locations import is_url, normalise
from labelcollections.storage.ome_zarr_store import ImageStore

__all__ = ["register_zarr"]


def register_zarr(
    gateway: OmeroGateway,
    omero_image_id: int,
    zarr_path: str,
    ngff_version: str | None = None,
    conversion_date: str | None = None,
) -> MapAnnotation:
    """Record ``zarr_path``, ``ngff_version`` (read from the store unless given) and
    ``zarr_conversion_date`` on an OMERO image, replacing an earlier registration."""
    ref = gateway.get_image(omero_image_id)
    if ngff_version is None:
        location = zarr_path if is_url(zarr_path) else normalise(zarr_path)
        ngff_version = ImageStore.open(location).ngff_version
    date = conversion_date or datetime.now(UTC).date().isoformat()
    pairs = [
        ("zarr_path", zarr_path),
        ("ngff_version", ngff_version),
        ("zarr_conversion_date", date),
    ]
    existing = gateway.map_annotations("Image", ref.id, NS_NGFF)
    if existing:
        require_edit(gateway, existing[0])
        return gateway.update_map_annotation(existing[0].id, pairs)
    require_annotate(gateway, ref)
    return gateway.link_map_annotation("Image", ref.id, NS_NGFF, pairs)
