"""Label collections as RFC-8 collection documents, and back.

A collection document lists the reference image first and then each member label image as a
``multiscale`` node carrying the core ``labels`` attribute (``source`` and ``labelAttributes``),
so any RFC-8 reader understands it. Our full records travel under prefixed attribute keys
(``labelcollections:collection``, ``labelcollections:image``, ``labelcollections:label``), which
makes the document alone enough to rebuild the collection. Other tools' attributes are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labelcollections.errors import InputError
from labelcollections.formats.rfc8 import check_document
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.parsing import validate_model
from labelcollections.model.plates import Plate, PlateCollection
from labelcollections.model.provenance import Provenance
from labelcollections.model.records import to_record
from labelcollections.model.vocabulary import LabelType, Method

PREFIX = "labelcollections:"
COLLECTION_KEY = f"{PREFIX}collection"
IMAGE_KEY = f"{PREFIX}image"
LABEL_KEY = f"{PREFIX}label"
CLASS_KEY = f"{PREFIX}class"
PROPERTIES_KEY = f"{PREFIX}properties"
PLATE_COLLECTION_KEY = f"{PREFIX}plate-collection"
DOCUMENT_VERSION = "0.x"
"""The RFC-8 draft has no released version yet; its examples declare ``0.x``."""


@dataclass(frozen=True)
class CollectionDocument:
    """What one RFC-8 collection document says: the collection, its image and its members.

    ``paths`` maps each node id to the Zarr path written in the document, relative to it.
    """

    collection: LabelCollection
    image: ReferenceImage
    labels: tuple[LabelImage, ...]
    paths: Mapping[str, str]


def document_paths(image_id: str, labels: Iterable[tuple[LabelImage, str]]) -> dict[str, str]:
    """Node paths of a document stored at ``collections/<name>.json`` beside the image: the
    image is ``..`` and each label image ``../labels/<path>``."""
    return {image_id: "..", **{label.id: f"../labels/{path}" for label, path in labels}}


def to_document(
    collection: LabelCollection,
    image: ReferenceImage,
    labels: Sequence[LabelImage],
    paths: Mapping[str, str],
) -> dict[str, Any]:
    """The ``{"ome": …}`` document of a collection; ``paths`` gives each node's relative path."""
    by_id = {label.id: label for label in labels}
    nodes: list[dict[str, Any]] = [
        {
            "type": "multiscale",
            "name": image.name,
            "id": image.id,
            "path": {"type": "zarr", "path": paths[image.id]},
            "attributes": {IMAGE_KEY: to_record(image)},
        }
    ]
    for member in collection.members:
        label = by_id[member]
        nodes.append(
            {
                "type": "multiscale",
                "name": label.key,
                "id": label.id,
                "path": {"type": "zarr", "path": paths[label.id]},
                "attributes": {
                    **label.attributes,
                    "labels": _labels_attribute(label.label_schema, image.id),
                    LABEL_KEY: to_record(label, exclude={"attributes"}),
                },
            }
        )
    attributes = {
        **collection.attributes,
        COLLECTION_KEY: to_record(collection, exclude={"attributes", "members"}),
    }
    return {
        "ome": {
            "version": DOCUMENT_VERSION,
            "type": "collection",
            "name": collection.name,
            "id": collection.id,
            "attributes": attributes,
            "nodes": nodes,
        }
    }


def plate_collection_document(
    item: PlateCollection, plate: Plate, members: Sequence[tuple[str, str, str, str]]
) -> dict[str, Any]:
    """The RFC-8 document of a plate-level collection: a collection of the field collections
    ``members`` (``(collection id, field path A/1/0, document path, name)``), with the RFC-8
    ``plate`` attribute on the root and ``well`` on each node."""
    nodes = []
    for collection_id, field, path, name in members:
        row, column, _ = field.split("/")
        nodes.append(
            {
                "type": "collection",
                "name": f"{field} {name}",
                "id": collection_id,
                "path": {"type": "json", "path": path},
                "attributes": {"well": {"row": {"id": row}, "column": {"id": column}}},
            }
        )
    return {
        "ome": {
            "version": DOCUMENT_VERSION,
            "type": "collection",
            "name": item.name,
            "id": item.id,
            "attributes": {
                "plate": {
                    "rows": [{"id": name} for name in plate.rows],
                    "columns": [{"id": name} for name in plate.columns],
                },
                PLATE_COLLECTION_KEY: to_record(item),
            },
            "nodes": nodes,
        }
    }


def from_document(document: Mapping[str, Any], source: str) -> CollectionDocument:
    """Rebuild a collection from its document, validating it against the RFC-8 rules first.

    Documents written by other RFC-8 tools are accepted when they hold one unlabelled
    multiscale (the reference image) and label maps whose ``source`` points at it; what our
    records would have said is then filled with neutral values (method ``imported``).
    """
    ome = document.get("ome") if isinstance(document, Mapping) else None
    if not isinstance(ome, Mapping):
        raise InputError(source, "ome", "an object with the RFC-8 collection document")
    check_document(ome, source)
    if ome.get("type") != "collection":
        raise InputError(source, "ome.type", f"'collection' (got {ome.get('type')!r})")
    nodes = ome.get("nodes")
    if not isinstance(nodes, list):
        raise InputError(source, "ome.nodes", "inline nodes (a 'path' to nodes is not supported)")
    image_nodes = [
        (i, node) for i, node in enumerate(nodes) if "labels" not in node.get("attributes", {})
    ]
    if len(image_nodes) != 1:
        raise InputError(
            source, "ome.nodes", "exactly one reference image (a node without 'labels')"
        )
    image_index, image_node = image_nodes[0]
    image = _image_from_node(image_node, source, f"ome.nodes[{image_index}]")
    paths = {image.id: _node_path(image_node, source, f"ome.nodes[{image_index}]")}
    labels = []
    for index, node in enumerate(nodes):
        if index == image_index:
            continue
        location = f"ome.nodes[{index}]"
        label = _label_from_node(node, image, source, location)
        labels.append(label)
        paths[label.id] = _node_path(node, source, location)
    collection = _collection_from_root(ome, image, labels, source)
    return CollectionDocument(collection, image, tuple(labels), paths)


def _labels_attribute(schema: LabelSchema, image_id: str) -> dict[str, Any]:
    attributes = []
    for label_class in schema.classes:
        entry: dict[str, Any] = {"labelValue": label_class.value}
        if label_class.color is not None:
            entry["color"] = list(label_class.color)
        if label_class.name is not None:
            entry[CLASS_KEY] = label_class.name
        if label_class.properties:
            entry[PROPERTIES_KEY] = label_class.properties
        attributes.append(entry)
    result: dict[str, Any] = {"source": [{"id": image_id}]}
    if attributes:
        result["labelAttributes"] = attributes
    return result


def _schema_from_labels_attribute(
    labels: Mapping[str, Any], source: str, location: str
) -> LabelSchema:
    classes = []
    for index, entry in enumerate(labels.get("labelAttributes", [])):
        value = entry["labelValue"]
        if value != int(value):
            raise InputError(
                source, f"{location}.labelAttributes[{index}].labelValue", "an integer"
            )
        extra = {
            k: v
            for k, v in entry.items()
            if k not in {"labelValue", "color", CLASS_KEY, PROPERTIES_KEY}
        }
        classes.append(
            LabelClass(
                value=int(value),
                name=entry.get(CLASS_KEY),
                color=tuple(int(c) for c in entry["color"]) if "color" in entry else None,
                properties={**extra, **entry.get(PROPERTIES_KEY, {})},
            )
        )
    return LabelSchema(classes=tuple(classes))


def _node_path(node: Mapping[str, Any], source: str, location: str) -> str:
    path = node.get("path")
    if not isinstance(path, Mapping) or path.get("type") != "zarr":
        raise InputError(source, f"{location}.path", "a path of type 'zarr' to the image data")
    return str(path["path"])


def _image_from_node(node: Mapping[str, Any], source: str, location: str) -> ReferenceImage:
    attributes = node.get("attributes", {})
    record = attributes.get(IMAGE_KEY)
    if record is not None:
        return validate_model(ReferenceImage, record, source, f"{location}.attributes.{IMAGE_KEY}")
    others = {k: v for k, v in attributes.items() if k != IMAGE_KEY}
    return validate_model(
        ReferenceImage,
        {"id": node.get("id") or node["name"], "name": node["name"], "attributes": others},
        source,
        location,
    )


def _label_from_node(
    node: Mapping[str, Any], image: ReferenceImage, source: str, location: str
) -> LabelImage:
    attributes = dict(node.get("attributes", {}))
    labels = attributes.pop("labels", None)
    if labels is None:
        raise InputError(source, f"{location}.attributes.labels", "a label map beside the image")
    sources = [reference.get("id") for reference in labels.get("source", [])]
    if sources and image.id not in sources:
        raise InputError(
            source,
            f"{location}.attributes.labels.source",
            f"a reference to the collection's image {image.id!r} (got {sources})",
        )
    record = attributes.pop(LABEL_KEY, None)
    if record is not None:
        field = f"{location}.attributes.{LABEL_KEY}"
        label = validate_model(LabelImage, {**record, "attributes": attributes}, source, field)
        if label.image_id != image.id:
            raise InputError(
                source,
                f"{field}.image_id",
                f"the collection's image {image.id!r} (got {label.image_id!r})",
            )
        return label
    name, _, version = str(node["name"]).partition("@")
    return validate_model(
        LabelImage,
        {
            "id": node.get("id") or node["name"],
            "name": name,
            "version": version or "v1",
            "image_id": image.id,
            "label_type": LabelType.INSTANCE,
            "label_schema": _schema_from_labels_attribute(
                labels, source, f"{location}.attributes.labels"
            ),
            "provenance": Provenance(method=Method.IMPORTED),
            "attributes": attributes,
        },
        source,
        location,
    )


def _collection_from_root(
    ome: Mapping[str, Any], image: ReferenceImage, labels: Sequence[LabelImage], source: str
) -> LabelCollection:
    attributes = dict(ome.get("attributes", {}))
    record = attributes.pop(COLLECTION_KEY, None)
    members = tuple(label.id for label in labels)
    if record is not None:
        return validate_model(
            LabelCollection,
            {**record, "members": members, "attributes": attributes},
            source,
            f"ome.attributes.{COLLECTION_KEY}",
        )
    return validate_model(
        LabelCollection,
        {
            "id": ome.get("id") or ome["name"],
            "name": ome["name"],
            "image_id": image.id,
            "members": members,
            "attributes": attributes,
        },
        source,
        "ome",
    )
