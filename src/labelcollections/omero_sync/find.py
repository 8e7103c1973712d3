"""Finding label images in OMERO by the key-value pairs of their annotations.

Every lookup of label images (``find``, locating a member of a collection, resolving a label
reference) runs the same query: objects of each kind that hold a label annotation with every
pair, page after page past OMERO's default limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from labelcollections.formats.omero_kv import NS_LABEL_IMAGE
from labelcollections.model.images import LabelImage
from labelcollections.model.references import choose_label
from labelcollections.omero.gateway import DEFAULT_LIMIT, ObjectKind, OmeroGateway, OmeroImage
from labelcollections.omero_sync.mapping import OBJECT_KINDS, LabelLocation
from labelcollections.omero_sync.rules import group_id_of

__all__ = ["FoundLabel", "all_pages", "find_labels", "label_locations", "locate", "pushed_label"]


@dataclass(frozen=True)
class FoundLabel:
    """A label image found by a query, with the OMERO object that holds it."""

    kind: ObjectKind
    object_id: int
    group_id: int
    ref_image_id: int | None
    label: LabelImage


def find_labels(
    gateway: OmeroGateway,
    conditions: Sequence[tuple[str, str]],
    group: str | None = None,
    page_size: int = DEFAULT_LIMIT,
) -> list[FoundLabel]:
    """Label images whose annotation holds every ``(key, value)``, across the user's groups
    (or in ``group``, a name or id), reading page after page."""
    group_id = group_id_of(gateway, group) if group is not None else None
    return [
        FoundLabel(
            location.kind,
            location.object_id,
            location.annotation.group_id,
            location.ref_image_id,
            location.label,
        )
        for location in label_locations(gateway, conditions, group_id, page_size)
    ]


def label_locations(
    gateway: OmeroGateway,
    conditions: Sequence[tuple[str, str]],
    group_id: int | None = None,
    page_size: int = DEFAULT_LIMIT,
) -> Iterator[LabelLocation]:
    """Each label annotation holding every pair, with the Image or ROI it is linked to."""
    for kind in OBJECT_KINDS:
        for object_id in all_pages(gateway, kind, NS_LABEL_IMAGE, conditions, page_size, group_id):
            for annotation in gateway.map_annotations(kind, object_id, NS_LABEL_IMAGE):
                if set(conditions) <= set(annotation.pairs):
                    yield LabelLocation(kind, object_id, annotation)


def locate(gateway: OmeroGateway, label_id: str, ref_id: int) -> LabelLocation | None:
    """The Image or ROI holding label image ``label_id`` of reference Image ``ref_id``."""
    conditions = [("label.id", label_id), ("omero.ref_image_id", str(ref_id))]
    return next(label_locations(gateway, conditions), None)


def pushed_label(
    gateway: OmeroGateway, ref: OmeroImage, reference: str
) -> tuple[LabelImage, LabelLocation]:
    """A label image of ``ref`` by ``<id>``, ``<name>@<version>`` or
    ``Image:<id>/<name>@<version>``."""
    candidates = [
        (location.label, f"Image:{ref.id}", location)
        for location in label_locations(gateway, [("omero.ref_image_id", str(ref.id))])
    ]
    return choose_label(reference, candidates, f"a label image pushed to Image:{ref.id}")


def all_pages(
    gateway: OmeroGateway,
    kind: ObjectKind,
    namespace: str,
    conditions: Sequence[tuple[str, str]],
    page_size: int = DEFAULT_LIMIT,
    group_id: int | None = None,
) -> Iterator[int]:
    """The ids of every object a query matches, one page at a time."""
    offset = 0
    while True:
        page = gateway.find_objects(kind, namespace, conditions, offset, page_size, group_id)
        yield from page
        if len(page) < page_size:
            return
        offset += page_size
