"""How label collections map onto OMERO objects: namespaces, where a label image lives, and
the axis order OMERO images use (docs/omero.md, "The mapping").

Each label image is an OMERO Image of its own (``upload``) or one ROI with one Mask on the
reference image whose ExternalInfo points at the OME-Zarr label (``zarr``, the omero-label
convention). Each carries a :data:`~labelcollections.formats.omero_kv.NS_LABEL_IMAGE` map
annotation; each collection a :data:`~labelcollections.formats.omero_kv.NS_COLLECTION` map
annotation and a JSON file annotation (:data:`NS_DOCUMENT`) on the reference image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from labelcollections.formats.omero_kv import label_image_from_pairs
from labelcollections.model.images import LabelImage
from labelcollections.omero.gateway import MapAnnotation, ObjectKind

__all__ = [
    "LABEL_PIXEL_DTYPES",
    "NGFF_ENTITY_ID",
    "NGFF_ENTITY_TYPE",
    "NS_DOCUMENT",
    "NS_NGFF",
    "NS_PROTOTYPE_COLLECTION",
    "NS_PROTOTYPE_NODES",
    "OBJECT_KINDS",
    "TCZYX",
    "LabelLocation",
    "PixelMode",
    "collection_ids",
    "document_name",
    "from_tczyx",
    "to_tczyx",
]

NS_DOCUMENT = "labelcollections/collection-document/v1"
"""Namespace of the JSON file annotation holding a collection's RFC-8 document."""
NS_NGFF = "labelcollections/ngff/v1"
"""Namespace of the NGFF registration pairs ``zarr_path``, ``ngff_version``,
``zarr_conversion_date``."""
NS_PROTOTYPE_COLLECTION = "ome/collection"
NS_PROTOTYPE_NODES = "ome/collection/nodes"
"""The BioHackathon prototype's namespaces (read by ``migrate``)."""
NGFF_ENTITY_TYPE = "com.glencoesoftware.ngff:multiscales"
NGFF_ENTITY_ID = 3
"""omero-label's ExternalInfo: a Mask backed by an OME-Zarr multiscale at a URI."""
LABEL_PIXEL_DTYPES = ("uint8", "uint16", "uint32")
"""Label types ``--pixels upload`` accepts (OMERO has no 64-bit integer pixels)."""
TCZYX = "tczyx"
OBJECT_KINDS: tuple[ObjectKind, ...] = ("Image", "Roi")
"""The OMERO objects that hold label images (``upload`` and ``zarr`` mode)."""

PixelMode = Literal["upload", "zarr"]


@dataclass(frozen=True)
class LabelLocation:
    """Where a label image lives in OMERO: the Image or ROI and its label annotation."""

    kind: ObjectKind
    object_id: int
    annotation: MapAnnotation

    @property
    def label(self) -> LabelImage:
        """The label image the annotation describes (refused, naming it, if malformed)."""
        source = f"{self.kind}:{self.object_id} MapAnnotation:{self.annotation.id}"
        return label_image_from_pairs(self.annotation.pairs, source).label

    @property
    def ref_image_id(self) -> int | None:
        """The OMERO id of the reference image the annotation names."""
        return next((int(v) for k, v in self.annotation.pairs if k == "omero.ref_image_id"), None)


def document_name(collection_id: str) -> str:
    """The file name of a collection's JSON document in OMERO."""
    return f"labelcollections-{collection_id}.json"


def collection_ids(annotation: MapAnnotation) -> set[int]:
    """The OMERO ids of the collections a label-image annotation lists."""
    return {int(v) for k, v in annotation.pairs if k == "omero.collection_id"}


def to_tczyx(data: np.ndarray, axis_names: Sequence[str]) -> np.ndarray:
    """NGFF-ordered pixels as OMERO's five dimensions (missing axes of size 1)."""
    shape = [data.shape[list(axis_names).index(a)] if a in axis_names else 1 for a in TCZYX]
    return data.reshape(shape)


def from_tczyx(data: np.ndarray, axis_names: Sequence[str]) -> np.ndarray:
    """OMERO's five dimensions as NGFF-ordered pixels of ``axis_names``."""
    return data[tuple(slice(None) if a in axis_names else 0 for a in TCZYX)]
