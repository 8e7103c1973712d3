"""NGFF (OME-Zarr) metadata, 0.4 and 0.5: ``multiscales`` of images, ``labels`` groups and
``image-label`` metadata of label images, ``omero`` channel rendering."""

from labelcollections.formats.ngff.labels import (
    image_label_metadata,
    image_path_from_label,
    label_schema_from_image_label,
    labels_group_metadata,
)
from labelcollections.formats.ngff.multiscales import (
    NGFF_VERSIONS,
    NgffVersion,
    multiscales_metadata,
    parse_multiscales,
)
from labelcollections.formats.ngff.omero import channels_from_omero, omero_metadata

__all__ = [
    "NGFF_VERSIONS",
    "NgffVersion",
    "channels_from_omero",
    "image_label_metadata",
    "image_path_from_label",
    "label_schema_from_image_label",
    "labels_group_metadata",
    "multiscales_metadata",
    "omero_metadata",
    "parse_multiscales",
]
