"""Label collections on an OMERO server: one module per use case.

``push`` and ``pull`` move collections between a repository and OMERO; ``list`` (``read``),
``find``, ``register-zarr``, ``migrate`` and ``masks`` need only a gateway. The mapping onto
OMERO's objects is in :mod:`~labelcollections.omero_sync.mapping` (docs/omero.md), the group
and permission checks every writing use case makes first in
:mod:`~labelcollections.omero_sync.rules`. :class:`OmeroSync` bundles the use cases over one
repository and one gateway.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from labelcollections.formats.biohackathon import PrototypeCollection
from labelcollections.omero.gateway import DEFAULT_LIMIT, MapAnnotation, OmeroGateway, Roi
from labelcollections.omero_sync.find import FoundLabel, find_labels
from labelcollections.omero_sync.mapping import (
    LABEL_PIXEL_DTYPES,
    NGFF_ENTITY_ID,
    NGFF_ENTITY_TYPE,
    NS_DOCUMENT,
    NS_NGFF,
    NS_PROTOTYPE_COLLECTION,
    NS_PROTOTYPE_NODES,
    LabelLocation,
    PixelMode,
)
from labelcollections.omero_sync.masks import SHAPE_KINDS, ShapeKind, from_masks, to_masks
from labelcollections.omero_sync.migrate import migrate
from labelcollections.omero_sync.plates import (
    NS_PLATE,
    PlatePull,
    PlatePush,
    pull_plate,
    push_plate,
)
from labelcollections.omero_sync.pull import PullResult, pull
from labelcollections.omero_sync.push import PushResult, push
from labelcollections.omero_sync.read import OmeroCollection, read_collections
from labelcollections.omero_sync.register import register_zarr
from labelcollections.repository import Repository

__all__ = [
    "LABEL_PIXEL_DTYPES",
    "NGFF_ENTITY_ID",
    "NGFF_ENTITY_TYPE",
    "NS_DOCUMENT",
    "NS_NGFF",
    "NS_PLATE",
    "NS_PROTOTYPE_COLLECTION",
    "NS_PROTOTYPE_NODES",
    "SHAPE_KINDS",
    "FoundLabel",
    "LabelLocation",
    "OmeroCollection",
    "OmeroSync",
    "PixelMode",
    "PlatePull",
    "PlatePush",
    "PullResult",
    "PushResult",
    "ShapeKind",
    "find_labels",
    "from_masks",
    "migrate",
    "pull",
    "pull_plate",
    "push",
    "push_plate",
    "read_collections",
    "register_zarr",
    "to_masks",
]


class OmeroSync:
    """The OMERO use cases over one repository and one gateway."""

    def __init__(self, repository: Repository, gateway: OmeroGateway) -> None:
        self.repository = repository
        self.gateway = gateway

    def push(
        self,
        image_name: str,
        omero_image_id: int,
        collection: str | None = None,
        pixels: PixelMode = "upload",
        zarr_base: str | None = None,
    ) -> PushResult:
        """See :func:`~labelcollections.omero_sync.push.push`."""
        return push(
            self.repository, self.gateway, image_name, omero_image_id, collection, pixels, zarr_base
        )

    def pull(self, omero_image_id: int, collection: str | None = None) -> PullResult:
        """See :func:`~labelcollections.omero_sync.pull.pull`."""
        return pull(self.repository, self.gateway, omero_image_id, collection)

    def read(self, omero_image_id: int, collection: str | None = None) -> list[OmeroCollection]:
        """See :func:`~labelcollections.omero_sync.read.read_collections`."""
        return read_collections(self.gateway, omero_image_id, collection)

    def find(
        self,
        conditions: Sequence[tuple[str, str]],
        group: str | None = None,
        page_size: int = DEFAULT_LIMIT,
    ) -> list[FoundLabel]:
        """See :func:`~labelcollections.omero_sync.find.find_labels`."""
        return find_labels(self.gateway, conditions, group, page_size)

    def register_zarr(
        self,
        omero_image_id: int,
        zarr_path: str,
        ngff_version: str | None = None,
        conversion_date: str | None = None,
    ) -> MapAnnotation:
        """See :func:`~labelcollections.omero_sync.register.register_zarr`."""
        return register_zarr(self.gateway, omero_image_id, zarr_path, ngff_version, conversion_date)

    def migrate(self, omero_image_id: int) -> list[PrototypeCollection]:
        """See :func:`~labelcollections.omero_sync.migrate.migrate`."""
        return migrate(self.gateway, omero_image_id)

    def to_masks(
        self, omero_image_id: int, label_reference: str, shape: ShapeKind = "mask"
    ) -> list[Roi]:
        """See :func:`~labelcollections.omero_sync.masks.to_masks`."""
        return to_masks(self.gateway, omero_image_id, label_reference, shape)

    def from_masks(self, omero_image_id: int, shape: ShapeKind = "mask") -> np.ndarray:
        """See :func:`~labelcollections.omero_sync.masks.from_masks`."""
        return from_masks(self.gateway, omero_image_id, shape)
