"""``migrate``: the BioHackathon prototype's annotations on an OMERO image, rewritten in our
schema. The prototype's annotations are left as they are; collections migrated before are
skipped, so running it again changes nothing; each collection is migrated all or nothing."""

from __future__ import annotations

import json
from typing import Any

from labelcollections.errors import InputError
from labelcollections.formats.biohackathon import PrototypeCollection, import_prototype_collection
from labelcollections.formats.collection_document import document_paths, to_document
from labelcollections.formats.omero_kv import (
    NS_COLLECTION,
    NS_LABEL_IMAGE,
    collection_to_pairs,
    label_image_to_pairs,
)
from labelcollections.omero.gateway import MapAnnotation, OmeroGateway, OmeroImage
from labelcollections.omero_sync.find import all_pages
from labelcollections.omero_sync.mapping import (
    NS_DOCUMENT,
    NS_PROTOTYPE_COLLECTION,
    NS_PROTOTYPE_NODES,
    document_name,
)
from labelcollections.omero_sync.read import collection_annotations
from labelcollections.omero_sync.rules import require_annotate, require_same_group
from labelcollections.omero_sync.undo import Undo, all_or_nothing

__all__ = ["migrate"]


def migrate(gateway: OmeroGateway, omero_image_id: int) -> list[PrototypeCollection]:
    """Write our annotations for the prototype collections linked to an OMERO image."""
    ref = gateway.get_image(omero_image_id)
    done = {item.id for item, _ in collection_annotations(gateway, ref)}
    migrated = []
    for header in gateway.map_annotations("Image", ref.id, NS_PROTOTYPE_COLLECTION):
        document = _prototype_document(gateway, header)
        source = f"Image:{ref.id} MapAnnotation:{header.id} ({NS_PROTOTYPE_COLLECTION})"
        for item in import_prototype_collection(document, source):
            if item.collection.id in done or item.image.omero_image_id != ref.id:
                continue
            _check(gateway, ref, item)
            with all_or_nothing(gateway) as undo:
                migrated.append(_write(gateway, undo, ref, item))
    return migrated


def _prototype_document(gateway: OmeroGateway, header: MapAnnotation) -> dict[str, Any]:
    """The prototype's collection document, put back together from its annotations."""
    values = dict(header.pairs)
    records = []
    condition = [("collection_id", str(header.id))]
    for image_id in all_pages(gateway, "Image", NS_PROTOTYPE_NODES, condition):
        for annotation in gateway.map_annotations("Image", image_id, NS_PROTOTYPE_NODES):
            if condition[0] in annotation.pairs:
                records.append((image_id, dict(annotation.pairs)))
    nodes = []
    for image_id, record in sorted(records, key=lambda r: r[0]):
        attributes: dict[str, Any] = {"omero:image_id": image_id}
        for key, value in record.items():
            if key in {"path", "collection_id", "name"}:
                continue
            attributes[key] = value.split(",") if key == "source" and "," in value else value
        nodes.append(
            {
                "type": "multiscale",
                "name": record.get("name", str(image_id)),
                "attributes": attributes,
            }
        )
    return {
        "ome": {
            "version": values.get("version", "0.x"),
            "type": "collection",
            "name": values.get("name", f"collection-{header.id}"),
            "nodes": nodes,
        }
    }


def _check(gateway: OmeroGateway, ref: OmeroImage, item: PrototypeCollection) -> None:
    require_annotate(gateway, ref)
    for label in item.labels:
        if label.omero_image_id is None:
            raise InputError(label.name, "omero:image_id", "the OMERO image of the label node")
        image = gateway.get_image(label.omero_image_id)
        require_same_group(image.group_id, ref, f"Image:{image.id}")
        require_annotate(gateway, image)


def _write(
    gateway: OmeroGateway, undo: Undo, ref: OmeroImage, item: PrototypeCollection
) -> PrototypeCollection:
    annotation = gateway.link_map_annotation(
        "Image",
        ref.id,
        NS_COLLECTION,
        collection_to_pairs(item.collection, ref_omero_image_id=ref.id),
    )
    undo.created("Annotation", annotation.id)
    collection = item.collection.model_copy(update={"omero_collection_id": annotation.id})
    gateway.update_map_annotation(
        annotation.id, collection_to_pairs(collection, ref_omero_image_id=ref.id)
    )
    for label in item.labels:
        assert label.omero_image_id is not None
        pairs = label_image_to_pairs(
            label, ref_omero_image_id=ref.id, collection_omero_ids=[annotation.id]
        )
        linked = gateway.link_map_annotation("Image", label.omero_image_id, NS_LABEL_IMAGE, pairs)
        undo.created("Annotation", linked.id)
    paths = document_paths(
        item.image.id, [(label, f"{collection.name}/{label.key}") for label in item.labels]
    )
    document = to_document(collection, item.image, item.labels, paths)
    linked_document = gateway.link_file_annotation(
        "Image",
        ref.id,
        NS_DOCUMENT,
        document_name(collection.id),
        json.dumps(document, indent=2, ensure_ascii=False).encode(),
    )
    undo.created("Annotation", linked_document.id)
    return PrototypeCollection(collection, item.image, item.labels)
