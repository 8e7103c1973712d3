"""Reading the collections on an OMERO image (what ``list`` shows and ``pull`` copies).

The key-value pairs are the record: where the JSON document is missing or disagrees with them,
the collection is rebuilt from the pairs and the OMERO image, with a note.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from labelcollections.errors import InputError, NotFoundError
from labelcollections.formats.collection_document import from_document, to_document
from labelcollections.formats.omero_kv import NS_COLLECTION, collection_from_pairs
from labelcollections.model.collection import LabelCollection
from labelcollections.model.geometry import image_levels
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.names import safe_name
from labelcollections.omero.gateway import FileAnnotation, MapAnnotation, OmeroGateway, OmeroImage
from labelcollections.omero_sync.find import locate
from labelcollections.omero_sync.mapping import (
    NS_DOCUMENT,
    TCZYX,
    LabelLocation,
    document_name,
)

__all__ = ["OmeroCollection", "collection_annotations", "documents_of", "read_collections"]


@dataclass(frozen=True)
class OmeroCollection:
    """A collection as read from OMERO: its models, where each label image lives, and notes
    about what had to be rebuilt."""

    collection: LabelCollection
    image: ReferenceImage
    labels: tuple[LabelImage, ...]
    paths: dict[str, str]
    locations: dict[str, LabelLocation]
    notes: tuple[str, ...] = ()


def read_collections(
    gateway: OmeroGateway, omero_image_id: int, collection: str | None = None
) -> list[OmeroCollection]:
    """The collections on an OMERO image (or one, by name or id), checked against each other."""
    ref = gateway.get_image(omero_image_id)
    source = f"Image:{ref.id}"
    documents = documents_of(gateway, ref)
    found = []
    for item, _ in collection_annotations(gateway, ref):
        if collection is not None and collection not in (item.name, item.id):
            continue
        labels, locations = [], {}
        for member in item.members:
            location = locate(gateway, member, ref.id)
            if location is None:
                raise NotFoundError(
                    f"{source} collection {item.name}",
                    "member",
                    f"label image {member} in OMERO (its annotation is missing)",
                )
            labels.append(location.label)
            locations[member] = location
        found.append(_with_document(gateway, ref, item, labels, locations, documents))
    if collection is not None and not found:
        raise NotFoundError(collection, "collection", f"a collection pushed to {source}")
    return found


def collection_annotations(
    gateway: OmeroGateway, ref: OmeroImage
) -> list[tuple[LabelCollection, MapAnnotation]]:
    """Each collection on the image with the map annotation that records it."""
    return [
        (
            collection_from_pairs(
                annotation.pairs, f"Image:{ref.id} MapAnnotation:{annotation.id}"
            ).collection,
            annotation,
        )
        for annotation in gateway.map_annotations("Image", ref.id, NS_COLLECTION)
    ]


def documents_of(gateway: OmeroGateway, ref: OmeroImage) -> dict[str, FileAnnotation]:
    """The JSON documents on the image, by file name."""
    return {doc.name: doc for doc in gateway.file_annotations("Image", ref.id, NS_DOCUMENT)}


def _with_document(
    gateway: OmeroGateway,
    ref: OmeroImage,
    item: LabelCollection,
    labels: list[LabelImage],
    locations: dict[str, LabelLocation],
    documents: dict[str, FileAnnotation],
) -> OmeroCollection:
    annotation = documents.get(document_name(item.id))
    source = f"Image:{ref.id} collection {item.name}"
    note = f"{source}: JSON document missing; rebuilt from the key-value pairs"
    if annotation is not None:
        try:
            data = json.loads(gateway.read_file_annotation(annotation.id))
            document = from_document(data, f"FileAnnotation:{annotation.id}")
        except (ValueError, InputError):
            note = f"{source}: JSON document unreadable; rebuilt from the key-value pairs"
        else:
            expected = to_document(item, document.image, labels, document.paths)
            if json.loads(json.dumps(expected)) == data:
                paths = {
                    label.id: document.paths[label.id].removeprefix("../labels/")
                    for label in labels
                }
                return OmeroCollection(item, document.image, tuple(labels), paths, locations)
            note = (
                f"{source}: JSON document differs from the key-value pairs (edited?); "
                "rebuilt from the key-value pairs"
            )
    image = _rebuild_reference(ref, item, labels)
    paths = {label.id: f"{item.name}/{label.key}" for label in labels}
    return OmeroCollection(item, image, tuple(labels), paths, locations, (note,))


def _rebuild_reference(
    ref: OmeroImage, collection: LabelCollection, labels: Sequence[LabelImage]
) -> ReferenceImage:
    """The reference image from OMERO's image and its labels' pyramid, when no document tells."""
    described = next((label for label in labels if label.levels), None)
    if described is None:
        raise InputError(
            f"Image:{ref.id}", "collection document", f"a document for collection {collection.name}"
        )
    names = [axis.name for axis in described.axes]
    shape = tuple(ref.shape[TCZYX.index(name)] for name in names)
    return ReferenceImage(
        id=collection.image_id,
        name=safe_name(ref.name),
        axes=described.axes,
        dtype=ref.dtype,
        levels=image_levels(shape, names, described.levels[0].scale),
        content_hash=described.provenance.reference_hash,
    )
